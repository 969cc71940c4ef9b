//! Bodies with maps keyed by [`MessageQueue`], which fastjson writes with
//! object keys (PROTOCOL.md §15.9, §15.11, §13.12): `ConsumeStats`,
//! `TopicStatsTable`, `ResetOffsetBody`, and `QueryConsumeTimeSpanBody`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::JsonBody;
use super::message_queue::{mq_map, ObjectWriter};
use super::MessageQueue;

/// Progress of one group on one queue (`OffsetWrapper`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OffsetWrapper {
    /// Queue max offset.
    pub broker_offset: i64,
    /// The group's stored offset.
    pub consumer_offset: i64,
    /// Store time of the message at `consumer_offset - 1` (0 if none).
    pub last_timestamp: i64,
    /// 5.x: max(consumer offset, last pulled offset).
    pub pull_offset: i64,
}

/// GET_CONSUME_STATS response body (`ConsumeStats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumeStats {
    /// The group's recent consume TPS.
    pub consume_tps: f64,
    /// Per-queue progress.
    #[serde(with = "mq_map")]
    pub offset_table: BTreeMap<MessageQueue, OffsetWrapper>,
}

impl ConsumeStats {
    /// Messages not yet consumed, summed over queues.
    pub fn diff_total(&self) -> i64 {
        self.offset_table
            .values()
            .map(|w| w.broker_offset - w.consumer_offset)
            .sum()
    }
}

impl JsonBody for ConsumeStats {
    fn to_json(&self) -> Vec<u8> {
        let mut w = ObjectWriter::new();
        w.field("consumeTps", &self.consume_tps);
        w.mq_map("offsetTable", &self.offset_table);
        w.finish()
    }
}

/// Offsets of one queue (`TopicOffset`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicOffset {
    /// Store time of the last message (0 if none).
    pub last_update_timestamp: i64,
    /// Max logical offset.
    pub max_offset: i64,
    /// Min logical offset.
    pub min_offset: i64,
}

/// GET_TOPIC_STATS_INFO response body (`TopicStatsTable`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicStatsTable {
    /// Per-queue offsets.
    #[serde(with = "mq_map")]
    pub offset_table: BTreeMap<MessageQueue, TopicOffset>,
    /// 5.x: put TPS of the topic.
    pub topic_put_tps: f64,
}

impl JsonBody for TopicStatsTable {
    fn to_json(&self) -> Vec<u8> {
        let mut w = ObjectWriter::new();
        w.mq_map("offsetTable", &self.offset_table);
        w.field("topicPutTps", &self.topic_put_tps);
        w.finish()
    }
}

/// INVOKE_BROKER_TO_RESET_OFFSET response and RESET_CONSUMER_CLIENT_OFFSET
/// body (`ResetOffsetBody`): the new offset of each queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResetOffsetBody {
    /// Queue -> new offset.
    #[serde(with = "mq_map")]
    pub offset_table: BTreeMap<MessageQueue, i64>,
}

impl JsonBody for ResetOffsetBody {
    fn to_json(&self) -> Vec<u8> {
        let mut w = ObjectWriter::new();
        w.mq_map("offsetTable", &self.offset_table);
        w.finish()
    }
}

/// Consume time span of one queue (`QueueTimeSpan`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueTimeSpan {
    /// Store time of the message at the group's offset.
    pub consume_time_stamp: i64,
    /// `max_time_stamp - consume_time_stamp`.
    pub delay_time: i64,
    /// Store time of the newest message.
    pub max_time_stamp: i64,
    /// The queue.
    pub message_queue: MessageQueue,
    /// Store time of the oldest message.
    pub min_time_stamp: i64,
}

/// QUERY_CONSUME_TIME_SPAN response body (`QueryConsumeTimeSpanBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryConsumeTimeSpanBody {
    /// One entry per queue.
    pub consume_time_span_set: Vec<QueueTimeSpan>,
}

impl JsonBody for QueueTimeSpan {}
impl JsonBody for QueryConsumeTimeSpanBody {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_stats_reference_sample() {
        // PROTOCOL.md §15.9, byte for byte.
        let text = r#"{"consumeTps":0.0,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":250,"consumerOffset":250,"lastTimestamp":1713000000000,"pullOffset":250},{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"brokerOffset":10,"consumerOffset":4,"lastTimestamp":0,"pullOffset":4}}}"#;
        let s = ConsumeStats::from_json(text.as_bytes()).unwrap();
        assert_eq!(s.offset_table.len(), 2);
        assert_eq!(s.diff_total(), 6);
        assert_eq!(String::from_utf8(s.to_json()).unwrap(), text);
        // Quoted keys (standard JSON) read the same.
        let std_form = s.to_json_in(super::super::fastjson::JsonStyle::Standard);
        assert_eq!(ConsumeStats::from_json(&std_form).unwrap(), s);
    }

    #[test]
    fn topic_stats_and_reset_offset() {
        // 4.9 has no topicPutTps.
        let text = r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":5,"maxOffset":9,"minOffset":1}}}"#;
        let t = TopicStatsTable::from_json(text.as_bytes()).unwrap();
        assert_eq!(
            t.offset_table[&MessageQueue::new("T", "b", 0)].max_offset,
            9
        );
        assert_eq!(TopicStatsTable::from_json(&t.to_json()).unwrap(), t);
        let r = ResetOffsetBody::from_json(
            br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:123}}"#,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(r.to_json()).unwrap(),
            r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:123}}"#
        );
        assert_eq!(
            String::from_utf8(ResetOffsetBody::default().to_json()).unwrap(),
            r#"{"offsetTable":{}}"#
        );
    }

    #[test]
    fn time_span_shape() {
        let text = r#"{"consumeTimeSpanSet":[{"consumeTimeStamp":3,"delayTime":2,"maxTimeStamp":5,"messageQueue":{"brokerName":"b","queueId":0,"topic":"T"},"minTimeStamp":1}]}"#;
        let b = QueryConsumeTimeSpanBody::from_json(text.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(b.to_json()).unwrap(), text);
    }
}
