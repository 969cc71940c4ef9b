//! Consumer-side requests: CONSUMER_SEND_MSG_BACK (36), UNREGISTER_CLIENT
//! (35), GET_CONSUMER_LIST_BY_GROUP (38), NOTIFY_CONSUMER_IDS_CHANGED (40)
//! (PROTOCOL.md §12, §14).

use super::command_header;

command_header! {
    /// `ConsumerSendMsgBackRequestHeader`: a consumed message goes back for retry.
    pub struct ConsumerSendMsgBackRequestHeader {
        /// Commit log offset of the consumed message.
        offset: i64 = "offset",
        /// Consumer group.
        group: String = "group",
        /// 0 = broker decides (3 + reconsumeTimes), -1 = straight to DLQ, n > 0 explicit.
        delay_level: i32 = "delayLevel",
        /// The consumed message's msgId.
        origin_msg_id: Option<String> = "originMsgId",
        /// The consumed message's topic.
        origin_topic: Option<String> = "originTopic",
        /// Unit mode.
        unit_mode: Option<bool> = "unitMode",
        /// The client's max reconsume times (default 16).
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

command_header! {
    /// `UnregisterClientRequestHeader`: a client shuts down.
    pub struct UnregisterClientRequestHeader {
        /// Client id.
        client_id: String = "clientID",
        /// Producer group being left.
        producer_group: Option<String> = "producerGroup",
        /// Consumer group being left.
        consumer_group: Option<String> = "consumerGroup",
    }
}

command_header! {
    /// `GetConsumerListByGroupRequestHeader`.
    pub struct GetConsumerListByGroupRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
    }
}

command_header! {
    /// `NotifyConsumerIdsChangedRequestHeader` (broker to client, oneway).
    pub struct NotifyConsumerIdsChangedRequestHeader {
        /// Consumer group whose membership changed.
        consumer_group: String = "consumerGroup",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::{CommandHeader, ExtFields, HeaderError};

    #[test]
    fn unregister_uses_client_id_capital() {
        let mut e = ExtFields::new();
        e.put("clientID", "192.0.2.2@1");
        e.put("consumerGroup", "CG");
        let h = UnregisterClientRequestHeader::read(&e).unwrap();
        assert_eq!(h.client_id, "192.0.2.2@1");
        assert_eq!(h.producer_group, None);
        let mut e = ExtFields::new();
        e.put("clientId", "x");
        assert_eq!(
            UnregisterClientRequestHeader::read(&e),
            Err(HeaderError::Missing("clientID"))
        );
    }
}
