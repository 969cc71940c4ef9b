//! Consumer offsets and queue offset lookups: QUERY_CONSUMER_OFFSET (14),
//! UPDATE_CONSUMER_OFFSET (15), SEARCH_OFFSET_BY_TIMESTAMP (29),
//! GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32)
//! (PROTOCOL.md §13.1–§13.3).

use std::fmt;
use std::str::FromStr;

use super::{command_header, display_value};

command_header! {
    /// `QueryConsumerOffsetRequestHeader`.
    pub struct QueryConsumerOffsetRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// 5.x: answer 0 instead of QUERY_NOT_FOUND when the queue still starts at 0.
        set_zero_if_not_found: Option<bool> = "setZeroIfNotFound",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

command_header! {
    /// `QueryConsumerOffsetResponseHeader`.
    pub struct QueryConsumerOffsetResponseHeader {
        /// The stored offset.
        offset: i64 = "offset",
    }
}

command_header! {
    /// `UpdateConsumerOffsetRequestHeader` (usually oneway).
    pub struct UpdateConsumerOffsetRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Offset to store.
        commit_offset: i64 = "commitOffset",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

command_header! {
    /// `GetMaxOffsetRequestHeader`.
    pub struct GetMaxOffsetRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// 5.x: only committed (replicated) offsets; default true.
        committed: Option<bool> = "committed",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

command_header! {
    /// `GetMaxOffsetResponseHeader`.
    pub struct GetMaxOffsetResponseHeader {
        /// Logical max offset (the offset the next message will get).
        offset: i64 = "offset",
    }
}

command_header! {
    /// `GetMinOffsetRequestHeader`.
    pub struct GetMinOffsetRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

command_header! {
    /// `GetMinOffsetResponseHeader`.
    pub struct GetMinOffsetResponseHeader {
        /// Min logical offset still present.
        offset: i64 = "offset",
    }
}

/// Which side of a timestamp SEARCH_OFFSET_BY_TIMESTAMP answers (5.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum BoundaryType {
    /// First offset whose store time is >= the timestamp (the default).
    #[default]
    Lower,
    /// Last offset whose store time is <= the timestamp.
    Upper,
}

impl fmt::Display for BoundaryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BoundaryType::Lower => "lower",
            BoundaryType::Upper => "upper",
        })
    }
}

impl FromStr for BoundaryType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("lower") {
            Ok(BoundaryType::Lower)
        } else if s.eq_ignore_ascii_case("upper") {
            Ok(BoundaryType::Upper)
        } else {
            Err(format!("unknown boundary type '{s}'"))
        }
    }
}

display_value!(BoundaryType);

command_header! {
    /// `SearchOffsetRequestHeader` (SEARCH_OFFSET_BY_TIMESTAMP).
    pub struct SearchOffsetRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Store timestamp to search for, ms.
        timestamp: i64 = "timestamp",
        /// 5.x boundary (default lower).
        boundary_type: Option<BoundaryType> = "boundaryType",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

command_header! {
    /// `SearchOffsetResponseHeader`.
    pub struct SearchOffsetResponseHeader {
        /// The offset found.
        offset: i64 = "offset",
    }
}

command_header! {
    /// `GetEarliestMsgStoretimeRequestHeader`.
    pub struct GetEarliestMsgStoretimeRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

command_header! {
    /// `GetEarliestMsgStoretimeResponseHeader`.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        /// Store timestamp of the message at the min offset (-1 if none).
        timestamp: i64 = "timestamp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::{CommandHeader, ExtFields};

    #[test]
    fn boundary_type_text() {
        let h = SearchOffsetRequestHeader {
            topic: "T".into(),
            queue_id: 0,
            timestamp: 5,
            boundary_type: Some(BoundaryType::Upper),
            bname: None,
        };
        let mut e = ExtFields::new();
        h.write(&mut e);
        assert_eq!(e.get("boundaryType"), Some("upper"));
        assert_eq!(SearchOffsetRequestHeader::read(&e).unwrap(), h);
        e.put("boundaryType", "LOWER");
        assert_eq!(
            SearchOffsetRequestHeader::read(&e).unwrap().boundary_type,
            Some(BoundaryType::Lower)
        );
    }
}
