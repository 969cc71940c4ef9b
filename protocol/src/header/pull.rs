//! PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361) (PROTOCOL.md §12.4).

use super::command_header;

/// PullSysFlag bit: store `commitOffset` as the group's consumer offset.
pub const PULL_FLAG_COMMIT_OFFSET: i32 = 0x1;
/// PullSysFlag bit: the broker may hold the request (long polling).
pub const PULL_FLAG_SUSPEND: i32 = 0x2;
/// PullSysFlag bit: `subscription`/`expressionType` are authoritative.
pub const PULL_FLAG_SUBSCRIPTION: i32 = 0x4;
/// PullSysFlag bit: legacy class-filter mode.
pub const PULL_FLAG_CLASS_FILTER: i32 = 0x8;
/// PullSysFlag bit: request from a lite-pull consumer.
pub const PULL_FLAG_LITE_PULL: i32 = 0x10;

/// Builds a PullSysFlag value from its bits.
pub fn pull_sys_flag(
    commit_offset: bool,
    suspend: bool,
    subscription: bool,
    class_filter: bool,
    lite_pull: bool,
) -> i32 {
    let mut f = 0;
    for (on, bit) in [
        (commit_offset, PULL_FLAG_COMMIT_OFFSET),
        (suspend, PULL_FLAG_SUSPEND),
        (subscription, PULL_FLAG_SUBSCRIPTION),
        (class_filter, PULL_FLAG_CLASS_FILTER),
        (lite_pull, PULL_FLAG_LITE_PULL),
    ] {
        if on {
            f |= bit;
        }
    }
    f
}

command_header! {
    /// `PullMessageRequestHeader`, shared by PULL_MESSAGE and LITE_PULL_MESSAGE.
    pub struct PullMessageRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Topic.
        topic: String = "topic",
        /// Queue id (must be below the topic's readQueueNums).
        queue_id: i32 = "queueId",
        /// Logical offset to start reading at.
        queue_offset: i64 = "queueOffset",
        /// Most messages to return.
        max_msg_nums: i32 = "maxMsgNums",
        /// PullSysFlag bits (`PULL_FLAG_*`).
        sys_flag: i32 = "sysFlag",
        /// The consumer's committed offset (valid with the commit bit).
        commit_offset: i64 = "commitOffset",
        /// Long-poll hold time in ms.
        suspend_timeout_millis: i64 = "suspendTimeoutMillis",
        /// Subscription expression (with the subscription bit).
        subscription: Option<String> = "subscription",
        /// The subscription's version (ms timestamp at subscribe time).
        sub_version: i64 = "subVersion",
        /// `TAG` (default) or `SQL92`.
        expression_type: Option<String> = "expressionType",
        /// Byte limit of the response (5.x).
        max_msg_bytes: Option<i32> = "maxMsgBytes",
        /// 5.x proxy marker (-1 or absent = SDK).
        request_source: Option<i32> = "requestSource",
        /// 5.x proxy client id (Java's spelling).
        proxy_froward_client_id: Option<String> = "proxyFrowardClientId",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

impl PullMessageRequestHeader {
    /// The commit-offset bit is set.
    pub fn has_commit_offset(&self) -> bool {
        self.sys_flag & PULL_FLAG_COMMIT_OFFSET != 0
    }

    /// The suspend (long polling) bit is set.
    pub fn has_suspend(&self) -> bool {
        self.sys_flag & PULL_FLAG_SUSPEND != 0
    }

    /// The subscription bit is set.
    pub fn has_subscription(&self) -> bool {
        self.sys_flag & PULL_FLAG_SUBSCRIPTION != 0
    }

    /// The class-filter bit is set.
    pub fn has_class_filter(&self) -> bool {
        self.sys_flag & PULL_FLAG_CLASS_FILTER != 0
    }

    /// The lite-pull bit is set.
    pub fn is_lite_pull(&self) -> bool {
        self.sys_flag & PULL_FLAG_LITE_PULL != 0
    }

    /// The expression type, `TAG` when absent.
    pub fn expression_type(&self) -> &str {
        match self.expression_type.as_deref() {
            Some(t) if !t.is_empty() => t,
            _ => "TAG",
        }
    }
}

command_header! {
    /// `PullMessageResponseHeader`.
    pub struct PullMessageResponseHeader {
        /// Broker id to pull from next (0 = master).
        suggest_which_broker_id: i64 = "suggestWhichBrokerId",
        /// Where the client should continue.
        next_begin_offset: i64 = "nextBeginOffset",
        /// Queue min logical offset.
        min_offset: i64 = "minOffset",
        /// Queue max logical offset (offset of the next message to be written).
        max_offset: i64 = "maxOffset",
        /// 5.x static topics.
        offset_delta: Option<i64> = "offsetDelta",
        /// 5.x topic sysFlag.
        topic_sys_flag: Option<i32> = "topicSysFlag",
        /// 5.x group sysFlag.
        group_sys_flag: Option<i32> = "groupSysFlag",
        /// 5.x, on NO_PERMISSION: 1 broker, 2 group, 3 topic, 4 broadcast, 5 subscription.
        forbidden_type: Option<i32> = "forbiddenType",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::{CommandHeader, ExtFields};

    #[test]
    fn sys_flag_bits() {
        assert_eq!(pull_sys_flag(true, true, true, false, false), 7);
        assert_eq!(pull_sys_flag(false, true, false, false, true), 0x12);
        let h = PullMessageRequestHeader {
            sys_flag: 6,
            ..Default::default()
        };
        assert!(!h.has_commit_offset() && h.has_suspend() && h.has_subscription());
        assert!(!h.has_class_filter() && !h.is_lite_pull());
        assert_eq!(h.expression_type(), "TAG");
    }

    #[test]
    fn round_trip_and_missing_subversion() {
        let h = PullMessageRequestHeader {
            consumer_group: "CG".into(),
            topic: "T".into(),
            queue_id: 1,
            queue_offset: 10,
            max_msg_nums: 32,
            sys_flag: 3,
            commit_offset: 9,
            suspend_timeout_millis: 15000,
            sub_version: 1713000000000,
            expression_type: Some("TAG".into()),
            max_msg_bytes: Some(262144),
            ..Default::default()
        };
        let mut e = ExtFields::new();
        h.write(&mut e);
        assert_eq!(PullMessageRequestHeader::read(&e).unwrap(), h);
        e.remove("subVersion");
        assert_eq!(
            PullMessageRequestHeader::read(&e),
            Err(crate::ext::HeaderError::Missing("subVersion"))
        );
    }
}
