//! [`MessageQueue`] (PROTOCOL.md §15.5) and maps keyed by it, which fastjson
//! writes with JSON objects as keys (§15.9, §16):
//! `{{"brokerName":"b","queueId":0,"topic":"T"}:5}`.
//!
//! A type holding such a map declares the field as
//! `#[serde(with = "mq_map")] BTreeMap<MessageQueue, V>`: serde then reads
//! the keys from their text (after [`super::fastjson::normalize`] has turned
//! object keys into strings) and writes them as quoted JSON text, which is
//! the standard-JSON form. The fastjson form is written by overriding
//! `JsonBody::to_json` with an [`ObjectWriter`] that emits object keys.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::{self, JsonStyle};

/// One queue of a topic on one broker.
///
/// Ordering is Java's: topic, then broker name, then queue id (clients sort
/// queues this way before allocating them). Fields are declared in
/// fastjson's alphabetical order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueue {
    /// Broker name (not address).
    pub broker_name: String,
    /// Queue id within the topic on that broker.
    pub queue_id: i32,
    /// Topic.
    pub topic: String,
}

impl MessageQueue {
    /// A queue.
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        MessageQueue {
            broker_name: broker_name.into(),
            queue_id,
            topic: topic.into(),
        }
    }
}

impl Ord for MessageQueue {
    fn cmp(&self, other: &Self) -> Ordering {
        self.topic
            .cmp(&other.topic)
            .then_with(|| self.broker_name.cmp(&other.broker_name))
            .then_with(|| self.queue_id.cmp(&other.queue_id))
    }
}

impl PartialOrd for MessageQueue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for MessageQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MessageQueue [topic={}, brokerName={}, queueId={}]",
            self.topic, self.broker_name, self.queue_id
        )
    }
}

/// serde `with` module for `BTreeMap<MessageQueue, V>`: keys are written as
/// quoted JSON text and read from JSON text (quoted or, after
/// normalization, originally bare objects).
pub mod mq_map {
    use std::collections::BTreeMap;

    use serde::de::Error as _;
    use serde::ser::{Error as _, SerializeMap};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::MessageQueue;
    use crate::body::fastjson;

    /// Writes the map with each key as its JSON text in a string.
    pub fn serialize<S: Serializer, V: Serialize>(
        map: &BTreeMap<MessageQueue, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(map.len()))?;
        for (k, v) in map {
            let key = serde_json::to_string(k).map_err(S::Error::custom)?;
            m.serialize_entry(&key, v)?;
        }
        m.end()
    }

    /// Reads a map whose keys are the JSON text of message queues.
    pub fn deserialize<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
        d: D,
    ) -> Result<BTreeMap<MessageQueue, V>, D::Error> {
        let raw = BTreeMap::<String, V>::deserialize(d)?;
        raw.into_iter()
            .map(|(k, v)| {
                let mq: MessageQueue = fastjson::from_str(&k).map_err(D::Error::custom)?;
                Ok((mq, v))
            })
            .collect()
    }
}

/// Writes a JSON object field by field, in the order given (callers give
/// fastjson's alphabetical order), with message-queue maps in fastjson's
/// object-key form.
pub(crate) struct ObjectWriter {
    buf: Vec<u8>,
    first: bool,
}

impl ObjectWriter {
    /// Starts an object.
    pub(crate) fn new() -> Self {
        ObjectWriter {
            buf: vec![b'{'],
            first: true,
        }
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    fn value<T: Serialize + ?Sized>(buf: &mut Vec<u8>, v: &T) {
        // Plain data (strings, numbers, string-keyed maps) cannot fail to
        // serialize; `null` keeps the document well formed if it ever did.
        match fastjson::to_vec(v, JsonStyle::Fastjson) {
            Ok(bytes) => buf.extend_from_slice(&bytes),
            Err(_) => buf.extend_from_slice(b"null"),
        }
    }

    /// Writes `"name":<value>`.
    pub(crate) fn field<T: Serialize + ?Sized>(&mut self, name: &str, v: &T) {
        self.key(name);
        Self::value(&mut self.buf, v);
    }

    /// Writes `"name":<value>` unless `v` is `None` (Java omits nulls).
    pub(crate) fn opt_field<T: Serialize>(&mut self, name: &str, v: &Option<T>) {
        if let Some(v) = v {
            self.field(name, v);
        }
    }

    /// Writes `"name":{{mq}:<value>,...}` with object keys.
    pub(crate) fn mq_map<V: Serialize>(&mut self, name: &str, map: &BTreeMap<MessageQueue, V>) {
        self.key(name);
        self.buf.push(b'{');
        for (i, (k, v)) in map.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            Self::value(&mut self.buf, k);
            self.buf.push(b':');
            Self::value(&mut self.buf, v);
        }
        self.buf.push(b'}');
    }

    /// Closes the object and returns the bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf.push(b'}');
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_order_and_json_shape() {
        let mut v = [
            MessageQueue::new("T", "b", 1),
            MessageQueue::new("T", "a", 2),
            MessageQueue::new("S", "z", 0),
            MessageQueue::new("T", "a", 0),
        ];
        v.sort();
        let order: Vec<_> = v
            .iter()
            .map(|q| format!("{}/{}/{}", q.topic, q.broker_name, q.queue_id))
            .collect();
        assert_eq!(order, ["S/z/0", "T/a/0", "T/a/2", "T/b/1"]);
        assert_eq!(
            serde_json::to_string(&MessageQueue::new("TopicTest", "broker-a", 0)).unwrap(),
            r#"{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}"#
        );
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Holder {
        #[serde(with = "mq_map")]
        table: BTreeMap<MessageQueue, i64>,
    }

    #[test]
    fn mq_map_reads_object_and_quoted_keys() {
        let bare = r#"{"table":{{"brokerName":"b","queueId":1,"topic":"T"}:5,{"brokerName":"b","queueId":0,"topic":"T"}:7}}"#;
        let h: Holder = fastjson::from_str(bare).unwrap();
        assert_eq!(h.table[&MessageQueue::new("T", "b", 1)], 5);
        assert_eq!(h.table[&MessageQueue::new("T", "b", 0)], 7);
        let quoted = serde_json::to_string(&h).unwrap();
        assert!(quoted.contains(r#""{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}":7"#));
        assert_eq!(fastjson::from_str::<Holder>(&quoted).unwrap(), h);

        let mut w = ObjectWriter::new();
        w.mq_map("table", &h.table);
        let out = String::from_utf8(w.finish()).unwrap();
        assert_eq!(
            out,
            r#"{"table":{{"brokerName":"b","queueId":0,"topic":"T"}:7,{"brokerName":"b","queueId":1,"topic":"T"}:5}}"#
        );
        assert!(fastjson::from_str::<Holder>(r#"{"table":{{"queueId":"x"}:1}}"#).is_err());
    }
}
