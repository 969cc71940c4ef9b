//! LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42) bodies (PROTOCOL.md §12.6).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::fastjson::JsonBody;
use super::MessageQueue;

/// LOCK_BATCH_MQ request body (`LockBatchRequestBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchRequestBody {
    /// Client asking for the locks.
    pub client_id: String,
    /// Consumer group.
    pub consumer_group: String,
    /// Queues to lock.
    pub mq_set: BTreeSet<MessageQueue>,
    /// 5.x strict mode: lock only on this broker (absent = false).
    pub only_this_broker: bool,
}

/// LOCK_BATCH_MQ response body (`LockBatchResponseBody`): the queues now
/// locked by the requesting client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockBatchResponseBody {
    /// Queues locked by the client.
    #[serde(rename = "lockOKMQSet")]
    pub lock_ok_mq_set: BTreeSet<MessageQueue>,
}

/// UNLOCK_BATCH_MQ request body (`UnlockBatchRequestBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UnlockBatchRequestBody {
    /// Client releasing the locks.
    pub client_id: String,
    /// Consumer group.
    pub consumer_group: String,
    /// Queues to unlock.
    pub mq_set: BTreeSet<MessageQueue>,
    /// 5.x strict mode flag (absent = false).
    pub only_this_broker: bool,
}

impl JsonBody for LockBatchRequestBody {}
impl JsonBody for LockBatchResponseBody {}
impl JsonBody for UnlockBatchRequestBody {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_sample_and_cpp_form() {
        let text = r#"{"clientId":"10.0.0.5@123#456","consumerGroup":"G","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}],"onlyThisBroker":false}"#;
        let b = LockBatchRequestBody::from_json(text.as_bytes()).unwrap();
        assert_eq!(
            b.mq_set.first(),
            Some(&MessageQueue::new("T", "broker-a", 0))
        );
        assert_eq!(String::from_utf8(b.to_json()).unwrap(), text);
        let cpp = r#"{"clientId":"c","consumerGroup":"G","mqSet":[{"brokerName":"b","queueId":0,"topic":"T"}]}"#;
        assert!(
            !LockBatchRequestBody::from_json(cpp.as_bytes())
                .unwrap()
                .only_this_broker
        );
        let resp = LockBatchResponseBody {
            lock_ok_mq_set: b.mq_set.clone(),
        };
        assert_eq!(
            String::from_utf8(resp.to_json()).unwrap(),
            r#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}]}"#
        );
    }
}
