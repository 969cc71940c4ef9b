//! What producers send and consumers receive: [`Message`], [`MessageQueue`],
//! and [`MessageExt`] (the decoded stored record, from `protocol::message`).

use bytes::Bytes;
use protocol::message::properties as prop;

use crate::error::ClientError;

/// A received message: the stored record as decoded by `protocol::message`
/// (`msg_id` is the offset id; [`MessageExt::uniq_key`] is the id users see).
pub use protocol::message::MessageExt;

/// One queue of a topic on one broker, ordered (topic, broker, queue id).
pub use protocol::body::MessageQueue;

/// Property keys a user may not set through [`Message::put_user_property`]
/// (Java's `MessageConst.STRING_HASH_SET`).
const SYSTEM_KEYS: &[&str] = &[
    prop::TRACE_ON,
    prop::MSG_REGION,
    prop::KEYS,
    prop::TAGS,
    prop::WAIT,
    prop::DELAY,
    prop::RETRY_TOPIC,
    prop::REAL_TOPIC,
    prop::REAL_QID,
    prop::TRAN_MSG,
    prop::PGROUP,
    prop::MIN_OFFSET,
    prop::MAX_OFFSET,
    prop::BUYER_ID,
    prop::ORIGIN_MESSAGE_ID,
    prop::TRANSFER_FLAG,
    prop::CORRECTION_FLAG,
    prop::MQ2_FLAG,
    prop::RECONSUME_TIME,
    prop::UNIQ_KEY,
    prop::MAX_RECONSUME_TIMES,
    prop::CONSUME_START_TIME,
    prop::TRAN_PREPARED_QUEUE_OFFSET,
    prop::TRANSACTION_CHECK_TIMES,
    prop::CHECK_IMMUNITY_TIME_IN_SECONDS,
    prop::SHARDING_KEY,
    prop::INSTANCE_ID,
    prop::CORRELATION_ID,
    prop::REPLY_TO_CLIENT,
    prop::TTL,
    prop::ARRIVE_TIME,
    prop::PUSH_REPLY_TIME,
    prop::CLUSTER,
    prop::MSG_TYPE,
    prop::INNER_MULTI_QUEUE_OFFSET,
    prop::INNER_MULTI_DISPATCH,
    prop::TIMER_DELIVER_MS,
    prop::TIMER_DELAY_SEC,
    prop::TIMER_DELAY_MS,
];

/// A message to send (Java's `Message`).
///
/// Invariant: properties hold at most one value per key, in insertion order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// Target topic.
    pub topic: String,
    /// User flag, stored as the record's FLAG.
    pub flag: i32,
    /// Payload.
    pub body: Bytes,
    /// Set by the transactional producer.
    pub transaction_id: Option<String>,
    properties: Vec<(String, String)>,
}

impl Message {
    /// A message for `topic` with `body`.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Message {
            topic: topic.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    /// Sets the tag (builder style).
    pub fn with_tags(mut self, tags: impl Into<String>) -> Self {
        self.set_tags(tags);
        self
    }

    /// Sets the business keys (builder style), see [`Message::set_keys`].
    pub fn with_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.set_keys(keys);
        self
    }

    /// Sets the delay level 1..=18 (builder style).
    pub fn with_delay_level(mut self, level: i32) -> Self {
        self.set_delay_time_level(level);
        self
    }

    /// Adds a user property (builder style); reserved keys are ignored, see
    /// [`Message::put_user_property`].
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let _ = self.put_user_property(key, value);
        self
    }

    /// The tag (`TAGS`).
    pub fn tags(&self) -> Option<&str> {
        self.property(prop::TAGS)
    }

    /// Sets the tag (`TAGS`), used for broker-side filtering.
    pub fn set_tags(&mut self, tags: impl Into<String>) {
        self.put_property(prop::TAGS, tags);
    }

    /// The business keys (`KEYS`, space separated).
    pub fn keys(&self) -> Option<&str> {
        self.property(prop::KEYS)
    }

    /// Sets the business keys; each is indexed by the broker for queries.
    pub fn set_keys<I, S>(&mut self, keys: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut joined = String::new();
        for k in keys {
            if !joined.is_empty() {
                joined.push_str(prop::KEY_SEPARATOR);
            }
            joined.push_str(k.as_ref());
        }
        self.put_property(prop::KEYS, joined);
    }

    /// The delay level (`DELAY`), 0 when none.
    pub fn delay_time_level(&self) -> i32 {
        self.property(prop::DELAY)
            .and_then(|d| d.parse().ok())
            .unwrap_or(0)
    }

    /// Sets the delay level (1 = 1 s ... 18 = 2 h with the default table).
    pub fn set_delay_time_level(&mut self, level: i32) {
        self.put_property(prop::DELAY, level.to_string());
    }

    /// Whether the send waits for flush/replication on SYNC brokers (`WAIT`,
    /// true when absent).
    pub fn wait_store_msg_ok(&self) -> bool {
        self.property(prop::WAIT) != Some("false")
    }

    /// Sets `WAIT`.
    pub fn set_wait_store_msg_ok(&mut self, wait: bool) {
        self.put_property(prop::WAIT, if wait { "true" } else { "false" });
    }

    /// The client message id (`UNIQ_KEY`), set when the message is sent.
    pub fn uniq_key(&self) -> Option<&str> {
        self.property(prop::UNIQ_KEY)
    }

    /// Sets the buyer id (`BUYER_ID`).
    pub fn set_buyer_id(&mut self, id: impl Into<String>) {
        self.put_property(prop::BUYER_ID, id);
    }

    /// Adds a user property. Fails for RocketMQ's reserved keys and for
    /// blank keys or values.
    pub fn put_user_property(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), ClientError> {
        let (key, value) = (key.into(), value.into());
        if SYSTEM_KEYS.contains(&key.as_str()) {
            return Err(ClientError::IllegalArgument(format!(
                "the property {key} is reserved for system use"
            )));
        }
        if key.trim().is_empty() || value.trim().is_empty() {
            return Err(ClientError::IllegalArgument(
                "a user property needs a non-blank key and value".into(),
            ));
        }
        self.put_property(key, value);
        Ok(())
    }

    /// A user property.
    pub fn user_property(&self, key: &str) -> Option<&str> {
        self.property(key)
    }

    /// Any property, system or user.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets any property, replacing an earlier value (no reserved-key check;
    /// for the SDK and for callers who know the system keys).
    pub fn put_property(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.properties.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.properties.push((key, value)),
        }
    }

    /// Removes a property, returning its value.
    pub fn clear_property(&mut self, key: &str) -> Option<String> {
        let i = self.properties.iter().position(|(k, _)| k == key)?;
        Some(self.properties.remove(i).1)
    }

    /// All properties in insertion order.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of properties.
    pub fn properties_len(&self) -> usize {
        self.properties.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_and_reserved_keys() {
        let mut m = Message::new("T", "body")
            .with_tags("TagA")
            .with_keys(["k1", "k2"]);
        assert_eq!(m.tags(), Some("TagA"));
        assert_eq!(m.keys(), Some("k1 k2"));
        assert!(m.wait_store_msg_ok());
        m.set_wait_store_msg_ok(false);
        assert!(!m.wait_store_msg_ok());
        m.set_delay_time_level(3);
        assert_eq!(m.delay_time_level(), 3);
        assert!(m.put_user_property("UNIQ_KEY", "x").is_err());
        assert!(m.put_user_property("", "x").is_err());
        m.put_user_property("color", "red").unwrap();
        m.put_user_property("color", "blue").unwrap();
        assert_eq!(m.user_property("color"), Some("blue"));
        assert_eq!(m.properties_len(), 5);
        assert_eq!(m.clear_property("color").as_deref(), Some("blue"));
        assert_eq!(m.user_property("color"), None);
    }

    #[test]
    fn queue_order_and_json() {
        let mut v = [
            MessageQueue::new("B", "a", 0),
            MessageQueue::new("A", "b", 1),
            MessageQueue::new("A", "b", 0),
            MessageQueue::new("A", "a", 3),
        ];
        v.sort();
        assert_eq!(
            v.iter()
                .map(|q| format!("{}/{}/{}", q.topic, q.broker_name, q.queue_id))
                .collect::<Vec<_>>(),
            ["A/a/3", "A/b/0", "A/b/1", "B/a/0"]
        );
        let json = serde_json::to_string(&v[0]).unwrap();
        assert_eq!(json, r#"{"brokerName":"a","queueId":3,"topic":"A"}"#);
        assert_eq!(
            v[0].to_string(),
            "MessageQueue [topic=A, brokerName=a, queueId=3]"
        );
    }
}
