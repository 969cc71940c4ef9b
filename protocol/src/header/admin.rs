//! Admin requests: consume stats, connections, offset reset, requests the
//! broker forwards to clients, config (PROTOCOL.md §13.8–§13.12, §14).

use super::command_header;

command_header! {
    /// `GetConsumeStatsRequestHeader` (GET_CONSUME_STATS).
    pub struct GetConsumeStatsRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// One topic; absent = every topic of the group.
        topic: Option<String> = "topic",
        /// 5.x comma-separated topic list.
        topic_list: Option<String> = "topicList",
    }
}

command_header! {
    /// `GetConsumerConnectionListRequestHeader`.
    pub struct GetConsumerConnectionListRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
    }
}

command_header! {
    /// `GetProducerConnectionListRequestHeader`.
    pub struct GetProducerConnectionListRequestHeader {
        /// Producer group.
        producer_group: String = "producerGroup",
    }
}

command_header! {
    /// `ResetOffsetRequestHeader`: INVOKE_BROKER_TO_RESET_OFFSET (admin to
    /// broker) and RESET_CONSUMER_CLIENT_OFFSET (broker to client, oneway).
    pub struct ResetOffsetRequestHeader {
        /// Consumer group.
        group: String = "group",
        /// Topic.
        topic: String = "topic",
        /// Store timestamp to reset to, ms (-1 = max offset).
        timestamp: i64 = "timestamp",
        /// Reset even forwards (the field is literally `isForce`).
        is_force: bool = "isForce",
        /// 5.x: one queue (-1 or absent = all).
        queue_id: Option<i32> = "queueId",
        /// 5.x: explicit offset instead of a timestamp.
        offset: Option<i64> = "offset",
    }
}

command_header! {
    /// `GetConsumerStatusRequestHeader`: INVOKE_BROKER_TO_GET_CONSUMER_STATUS
    /// and GET_CONSUMER_STATUS_FROM_CLIENT.
    pub struct GetConsumerStatusRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Consumer group.
        group: String = "group",
        /// One client address; absent = all.
        client_addr: Option<String> = "clientAddr",
    }
}

command_header! {
    /// `GetConsumerRunningInfoRequestHeader` (admin to broker, forwarded to the client).
    pub struct GetConsumerRunningInfoRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Client id.
        client_id: String = "clientId",
        /// Include a thread dump.
        jstack_enable: Option<bool> = "jstackEnable",
    }
}

command_header! {
    /// `ConsumeMessageDirectlyResultRequestHeader` (CONSUME_MESSAGE_DIRECTLY).
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Client id.
        client_id: Option<String> = "clientId",
        /// Offset message id of the message.
        msg_id: Option<String> = "msgId",
        /// Broker name.
        broker_name: Option<String> = "brokerName",
        /// Topic (5.x).
        topic: Option<String> = "topic",
    }
}

command_header! {
    /// `QueryConsumeTimeSpanRequestHeader`.
    pub struct QueryConsumeTimeSpanRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Consumer group.
        group: String = "group",
    }
}

command_header! {
    /// `CloneGroupOffsetRequestHeader`.
    pub struct CloneGroupOffsetRequestHeader {
        /// Source group.
        src_group: String = "srcGroup",
        /// Destination group.
        dest_group: String = "destGroup",
        /// Topic; absent = all topics of the source group.
        topic: Option<String> = "topic",
        /// Offline copy.
        offline: Option<bool> = "offline",
    }
}

command_header! {
    /// `QueryCorrectionOffsetHeader`.
    pub struct QueryCorrectionOffsetHeader {
        /// Comma-separated groups to compare with.
        filter_groups: Option<String> = "filterGroups",
        /// Group to correct.
        compare_group: String = "compareGroup",
        /// Topic.
        topic: String = "topic",
    }
}

command_header! {
    /// `ViewBrokerStatsDataRequestHeader`.
    pub struct ViewBrokerStatsDataRequestHeader {
        /// Statistics item name.
        stats_name: String = "statsName",
        /// Statistics key.
        stats_key: String = "statsKey",
    }
}

command_header! {
    /// `QueryConsumeQueueRequestHeader`.
    pub struct QueryConsumeQueueRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// First logical offset.
        index: i64 = "index",
        /// Entry count.
        count: i32 = "count",
        /// Group whose filter to apply.
        consumer_group: Option<String> = "consumerGroup",
    }
}

command_header! {
    /// `ResumeCheckHalfMessageRequestHeader`.
    pub struct ResumeCheckHalfMessageRequestHeader {
        /// Message id of the half message.
        msg_id: Option<String> = "msgId",
        /// Topic (5.x).
        topic: Option<String> = "topic",
    }
}

command_header! {
    /// `GetBrokerConfigResponseHeader`: the config DataVersion as JSON text.
    pub struct GetBrokerConfigResponseHeader {
        /// DataVersion JSON.
        version: String = "version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::{CommandHeader, ExtFields};

    #[test]
    fn reset_offset_uses_is_force() {
        let h = ResetOffsetRequestHeader {
            group: "G".into(),
            topic: "T".into(),
            timestamp: -1,
            is_force: true,
            queue_id: None,
            offset: None,
        };
        let mut e = ExtFields::new();
        h.write(&mut e);
        assert_eq!(e.get("isForce"), Some("true"));
        assert_eq!(ResetOffsetRequestHeader::read(&e).unwrap(), h);
    }
}
