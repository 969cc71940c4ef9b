//! Bodies the broker relays between admin tools and clients:
//! `ConsumerRunningInfo` (GET_CONSUMER_RUNNING_INFO), `ConsumeMessageDirectlyResult`
//! (CONSUME_MESSAGE_DIRECTLY), and `CheckClientRequestBody` (CHECK_CLIENT_CONFIG)
//! (PROTOCOL.md §13.12, §14).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::JsonBody;
use super::heartbeat::SubscriptionData;
use super::message_queue::{mq_map, ObjectWriter};
use super::{java_enum, MessageQueue};

/// State of one queue in a consumer's memory (`ProcessQueueInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProcessQueueInfo {
    /// Messages cached.
    pub cached_msg_count: i32,
    /// Largest cached offset.
    pub cached_msg_max_offset: i64,
    /// Smallest cached offset.
    pub cached_msg_min_offset: i64,
    /// Cached bytes in MiB.
    #[serde(rename = "cachedMsgSizeInMiB")]
    pub cached_msg_size_in_mib: i32,
    /// Offset the consumer will commit.
    pub commit_offset: i64,
    /// Queue dropped by rebalance (Java's spelling).
    pub droped: bool,
    /// Last consume time, ms.
    pub last_consume_timestamp: i64,
    /// Last lock time, ms.
    pub last_lock_timestamp: i64,
    /// Last pull time, ms.
    pub last_pull_timestamp: i64,
    /// Locked for orderly consumption.
    pub locked: bool,
    /// Messages being consumed orderly.
    pub transaction_msg_count: i32,
    /// Largest offset being consumed orderly.
    pub transaction_msg_max_offset: i64,
    /// Smallest offset being consumed orderly.
    pub transaction_msg_min_offset: i64,
    /// Failed unlock attempts.
    pub try_unlock_times: i64,
}

/// Consumption statistics of one topic (`ConsumeStatus`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeStatus {
    /// Failed messages in the last hour.
    #[serde(rename = "consumeFailedMsgs")]
    pub consume_failed_msgs: i64,
    /// Failed messages per second.
    #[serde(rename = "consumeFailedTPS")]
    pub consume_failed_tps: f64,
    /// Consumed messages per second.
    #[serde(rename = "consumeOKTPS")]
    pub consume_ok_tps: f64,
    /// Consume response time, ms.
    #[serde(rename = "consumeRT")]
    pub consume_rt: f64,
    /// Pull response time, ms.
    #[serde(rename = "pullRT")]
    pub pull_rt: f64,
    /// Pulled messages per second.
    #[serde(rename = "pullTPS")]
    pub pull_tps: f64,
}

/// GET_CONSUMER_RUNNING_INFO response body (`ConsumerRunningInfo`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerRunningInfo {
    /// Thread dump, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jstack: Option<String>,
    /// Queue -> in-memory state.
    #[serde(with = "mq_map")]
    pub mq_table: BTreeMap<MessageQueue, ProcessQueueInfo>,
    /// Client settings (Java `Properties`; values are normally strings).
    pub properties: BTreeMap<String, serde_json::Value>,
    /// Topic -> statistics.
    pub status_table: BTreeMap<String, ConsumeStatus>,
    /// Subscriptions.
    pub subscription_set: Vec<SubscriptionData>,
    /// 5.x user-supplied info.
    pub user_consumer_info: BTreeMap<String, String>,
}

impl JsonBody for ConsumerRunningInfo {
    fn to_json(&self) -> Vec<u8> {
        let mut w = ObjectWriter::new();
        w.opt_field("jstack", &self.jstack);
        w.mq_map("mqTable", &self.mq_table);
        w.field("properties", &self.properties);
        w.field("statusTable", &self.status_table);
        w.field("subscriptionSet", &self.subscription_set);
        w.field("userConsumerInfo", &self.user_consumer_info);
        w.finish()
    }
}

java_enum! {
    /// Outcome of CONSUME_MESSAGE_DIRECTLY (`CMResult`).
    pub enum CmResult {
        /// Consumed.
        Success = "CR_SUCCESS",
        /// Reconsume later.
        Later = "CR_LATER",
        /// Orderly: roll back.
        Rollback = "CR_ROLLBACK",
        /// Orderly: commit.
        Commit = "CR_COMMIT",
        /// The listener threw.
        ThrowException = "CR_THROW_EXCEPTION",
        /// The listener returned null.
        ReturnNull = "CR_RETURN_NULL",
    }
}

/// CONSUME_MESSAGE_DIRECTLY response body (`ConsumeMessageDirectlyResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumeMessageDirectlyResult {
    /// Orderly consumer auto-commit.
    pub auto_commit: bool,
    /// Outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consume_result: Option<CmResult>,
    /// Orderly consumer.
    pub order: bool,
    /// Free text (e.g. the exception).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Time spent, ms (Java's spelling).
    pub spent_time_mills: i64,
}

impl Default for ConsumeMessageDirectlyResult {
    fn default() -> Self {
        ConsumeMessageDirectlyResult {
            auto_commit: true,
            consume_result: None,
            order: false,
            remark: None,
            spent_time_mills: 0,
        }
    }
}

/// CHECK_CLIENT_CONFIG request body (`CheckClientRequestBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckClientRequestBody {
    /// Client id.
    pub client_id: String,
    /// Consumer group.
    pub group: String,
    /// The subscription to check.
    pub subscription_data: SubscriptionData,
}

impl JsonBody for ConsumeMessageDirectlyResult {}
impl JsonBody for CheckClientRequestBody {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_info_round_trip_with_object_keys() {
        let mut info = ConsumerRunningInfo::default();
        info.mq_table.insert(
            MessageQueue::new("T", "b", 0),
            ProcessQueueInfo {
                commit_offset: 7,
                locked: true,
                ..Default::default()
            },
        );
        info.properties.insert(
            "consumeType".into(),
            serde_json::Value::String("CONSUME_PASSIVELY".into()),
        );
        info.status_table.insert(
            "T".into(),
            ConsumeStatus {
                consume_ok_tps: 1.5,
                ..Default::default()
            },
        );
        info.subscription_set
            .push(SubscriptionData::new("T", "*", 1));
        let text = String::from_utf8(info.to_json()).unwrap();
        assert!(text.starts_with(
            r#"{"mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"cachedMsgCount":0,"#
        ));
        assert!(text.contains(r#""consumeOKTPS":1.5"#));
        assert_eq!(
            ConsumerRunningInfo::from_json(text.as_bytes()).unwrap(),
            info
        );
    }

    #[test]
    fn consume_directly_result_shape() {
        let text = r#"{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"remark":"ok","spentTimeMills":3}"#;
        let r = ConsumeMessageDirectlyResult::from_json(text.as_bytes()).unwrap();
        assert_eq!(r.consume_result, Some(CmResult::Success));
        assert_eq!(String::from_utf8(r.to_json()).unwrap(), text);
        assert!(
            ConsumeMessageDirectlyResult::from_json(b"{}")
                .unwrap()
                .auto_commit
        );
    }
}
