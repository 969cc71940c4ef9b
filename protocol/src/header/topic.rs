//! Topic and subscription-group administration on the broker:
//! UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER (215),
//! GET_TOPIC_STATS_INFO (202), QUERY_TOPIC_CONSUME_BY_WHO (300),
//! GET_TOPIC_CONFIG (351), DELETE_SUBSCRIPTIONGROUP (207),
//! GET_SUBSCRIPTIONGROUP_CONFIG (352) (PROTOCOL.md §13.6, §13.7).

use super::{command_header, HeaderValue};
use crate::ext::{ExtFields, HeaderError};

/// The topic filter type is the body type of [`crate::body::route`]; in a
/// header it is written as its Java name (`SINGLE_TAG` / `MULTI_TAG`).
pub use crate::body::route::TopicFilterType;

impl HeaderValue for TopicFilterType {
    fn parse_value(key: &'static str, raw: &str) -> Result<Self, HeaderError> {
        TopicFilterType::from_name(raw.trim()).ok_or_else(|| HeaderError::Invalid {
            field: key,
            value: raw.to_owned(),
        })
    }

    fn put_value(&self, ext: &mut ExtFields, key: &'static str) {
        ext.put(key, self.name());
    }
}

command_header! {
    /// `CreateTopicRequestHeader` (UPDATE_AND_CREATE_TOPIC).
    pub struct CreateTopicRequestHeader {
        /// Topic to create or update.
        topic: String = "topic",
        /// Any template topic (e.g. `TBW102`).
        default_topic: String = "defaultTopic",
        /// Read queue count.
        read_queue_nums: i32 = "readQueueNums",
        /// Write queue count.
        write_queue_nums: i32 = "writeQueueNums",
        /// PermName bits.
        perm: i32 = "perm",
        /// Tag filter type.
        topic_filter_type: TopicFilterType = "topicFilterType",
        /// TopicSysFlag bits.
        topic_sys_flag: Option<i32> = "topicSysFlag",
        /// Ordered topic.
        order: bool = "order",
        /// 5.x attribute changes (`+k=v,-k`).
        attributes: Option<String> = "attributes",
        /// 5.x force flag.
        force: Option<bool> = "force",
    }
}

command_header! {
    /// `DeleteTopicRequestHeader` (DELETE_TOPIC_IN_BROKER).
    pub struct DeleteTopicRequestHeader {
        /// Topic to delete.
        topic: String = "topic",
    }
}

command_header! {
    /// `GetTopicStatsInfoRequestHeader`.
    pub struct GetTopicStatsInfoRequestHeader {
        /// Topic.
        topic: String = "topic",
    }
}

command_header! {
    /// `QueryTopicConsumeByWhoRequestHeader`.
    pub struct QueryTopicConsumeByWhoRequestHeader {
        /// Topic.
        topic: String = "topic",
    }
}

command_header! {
    /// `GetTopicConfigRequestHeader` (5.x GET_TOPIC_CONFIG).
    pub struct GetTopicConfigRequestHeader {
        /// Topic.
        topic: String = "topic",
    }
}

command_header! {
    /// `DeleteSubscriptionGroupRequestHeader`.
    pub struct DeleteSubscriptionGroupRequestHeader {
        /// Group to delete.
        group_name: String = "groupName",
        /// 5.x: also remove the group's offsets.
        clean_offset: Option<bool> = "cleanOffset",
    }
}

command_header! {
    /// `GetSubscriptionGroupConfigRequestHeader` (5.x GET_SUBSCRIPTIONGROUP_CONFIG).
    pub struct GetSubscriptionGroupConfigRequestHeader {
        /// Group.
        group: String = "group",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::{CommandHeader, ExtFields, HeaderError};

    #[test]
    fn create_topic_round_trip_and_bad_filter_type() {
        let h = CreateTopicRequestHeader {
            topic: "T".into(),
            default_topic: "TBW102".into(),
            read_queue_nums: 4,
            write_queue_nums: 4,
            perm: 6,
            topic_filter_type: TopicFilterType::MultiTag,
            topic_sys_flag: Some(0),
            order: false,
            attributes: None,
            force: None,
        };
        let mut e = ExtFields::new();
        h.write(&mut e);
        assert_eq!(e.get("topicFilterType"), Some("MULTI_TAG"));
        assert_eq!(e.get("order"), Some("false"));
        assert_eq!(CreateTopicRequestHeader::read(&e).unwrap(), h);
        e.put("topicFilterType", "NONE");
        assert!(matches!(
            CreateTopicRequestHeader::read(&e),
            Err(HeaderError::Invalid {
                field: "topicFilterType",
                ..
            })
        ));
        assert_eq!(
            serde_json::to_string(&TopicFilterType::SingleTag).unwrap(),
            "\"SINGLE_TAG\""
        );
    }
}
