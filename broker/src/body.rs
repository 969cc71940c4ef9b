//! Consumer-side JSON bodies the broker reads and writes (PROTOCOL.md §15.5,
//! §15.7, §15.8, §15.10, §12.6) that `protocol::body` does not have yet.
//!
//! Readers tolerate every real client seen in the wire corpus: enums as names
//! or as Java ordinals (the C++ client), `subVersion` as a number or a string,
//! `expressionType`/`classFilterMode`/`subscriptionDataSet` absent, unknown
//! fields ignored. Writers produce fastjson's shape: enums by name, fields in
//! alphabetical order, compact.

use std::collections::BTreeMap;
use std::fmt;

use protocol::body::fastjson::{self, JsonStyle};
use protocol::body::BodyError;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Encodes a body in fastjson's style.
pub fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, BodyError> {
    fastjson::to_vec(value, JsonStyle::Fastjson)
}

/// Decodes a body written by fastjson or a standard JSON writer.
pub fn from_json<T: de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    fastjson::from_slice(bytes)
}

/// One queue of a topic on one broker. Ordered by topic, broker name, queue
/// id, as the Java client sorts them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueue {
    /// Broker name (not address).
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Topic.
    pub topic: String,
}

impl Ord for MessageQueue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.topic, &self.broker_name, self.queue_id).cmp(&(&other.topic, &other.broker_name, other.queue_id))
    }
}

impl PartialOrd for MessageQueue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl MessageQueue {
    /// A queue.
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        MessageQueue {
            topic: topic.into(),
            broker_name: broker_name.into(),
            queue_id,
        }
    }

    /// The queue as fastjson writes it when it is a map key:
    /// `{"brokerName":"b","queueId":0,"topic":"T"}`.
    pub fn key_json(&self) -> String {
        let mut s = String::with_capacity(48 + self.topic.len() + self.broker_name.len());
        s.push_str("{\"brokerName\":");
        push_json_str(&mut s, &self.broker_name);
        s.push_str(",\"queueId\":");
        s.push_str(&self.queue_id.to_string());
        s.push_str(",\"topic\":");
        push_json_str(&mut s, &self.topic);
        s.push('}');
        s
    }
}

fn push_json_str(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"\""),
    }
}

/// Defines a Java enum written by name and read by name or ordinal.
macro_rules! java_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $java:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            const ALL: &'static [($name, &'static str)] = &[$(($name::$variant, $java)),+];

            /// Java's enum name.
            pub fn name(self) -> &'static str {
                Self::ALL.iter().find(|(v, _)| *v == self).map(|(_, n)| *n).unwrap_or("")
            }

            /// The value for a Java name (case-insensitive).
            pub fn from_name(s: &str) -> Option<Self> {
                Self::ALL.iter().find(|(_, n)| n.eq_ignore_ascii_case(s.trim())).map(|(v, _)| *v)
            }

            /// The value for a Java ordinal.
            pub fn from_ordinal(i: i64) -> Option<Self> {
                usize::try_from(i).ok().and_then(|i| Self::ALL.get(i)).map(|(v, _)| *v)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(EnumVisitor::<$name>(
                    stringify!($name),
                    $name::from_name,
                    $name::from_ordinal,
                ))
            }
        }
    };
}

/// Reads an enum from a name, an ordinal (number or numeric string) or null.
struct EnumVisitor<T>(&'static str, fn(&str) -> Option<T>, fn(i64) -> Option<T>);

impl<T: Default> Visitor<'_> for EnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} name or ordinal", self.0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        if let Some(x) = (self.1)(v) {
            return Ok(x);
        }
        match v.trim().parse::<i64>() {
            Ok(i) => self.visit_i64(i),
            Err(_) => Err(E::custom(format!("unknown {} '{v}'", self.0))),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        (self.2)(v).ok_or_else(|| E::custom(format!("unknown {} ordinal {v}", self.0)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

java_enum! {
    /// How a consumer gets messages (`ConsumeType`).
    ConsumeType {
        /// Pull / lite-pull consumers.
        Actively = "CONSUME_ACTIVELY",
        /// Push consumers.
        #[default]
        Passively = "CONSUME_PASSIVELY",
        /// 5.x pop consumers.
        Pop = "CONSUME_POP",
    }
}

java_enum! {
    /// Whether each message goes to one consumer of the group or to all.
    MessageModel {
        /// Every consumer gets every message.
        Broadcasting = "BROADCASTING",
        /// Queues are shared out among the group's consumers.
        #[default]
        Clustering = "CLUSTERING",
    }
}

java_enum! {
    /// Where a consumer without a stored offset starts.
    ConsumeFromWhere {
        /// From the queue's end.
        #[default]
        LastOffset = "CONSUME_FROM_LAST_OFFSET",
        /// Deprecated.
        LastOffsetAndFromMinWhenBootFirst = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        /// Deprecated.
        MinOffset = "CONSUME_FROM_MIN_OFFSET",
        /// Deprecated.
        MaxOffset = "CONSUME_FROM_MAX_OFFSET",
        /// From the queue's start.
        FirstOffset = "CONSUME_FROM_FIRST_OFFSET",
        /// From a timestamp.
        Timestamp = "CONSUME_FROM_TIMESTAMP",
    }
}

/// A long written as a JSON number and read from a number or a string.
fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number or numeric string")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("number out of range"))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            Ok(v as i64)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(0);
            }
            t.parse().map_err(|_| E::custom(format!("not a number: '{v}'")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<i64, E> {
            Ok(0)
        }
    }
    d.deserialize_any(V)
}

/// A boolean read from `true`/`false`, `1`/`0` or their string forms.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim() {
                t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
                t if t.eq_ignore_ascii_case("false") || t == "0" || t.is_empty() => Ok(false),
                _ => Err(E::custom(format!("not a boolean: '{v}'"))),
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    d.deserialize_any(V)
}

/// One topic subscription of a consumer (`SubscriptionData`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionData {
    /// Legacy class-filter mode.
    #[serde(deserialize_with = "lenient_bool")]
    pub class_filter_mode: bool,
    /// Java hash codes of the tags (not trusted: the broker rebuilds them).
    pub code_set: Vec<i32>,
    /// `TAG` or `SQL92`; absent means TAG.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_type: Option<String>,
    /// The expression: `*`, `TagA || TagB`, or SQL92.
    pub sub_string: String,
    /// When the client subscribed (ms); newer wins.
    #[serde(deserialize_with = "lenient_i64")]
    pub sub_version: i64,
    /// The tags.
    pub tags_set: Vec<String>,
    /// Topic.
    pub topic: String,
}

/// One consumer group of a client (`ConsumerData`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerData {
    /// Where to start without an offset.
    pub consume_from_where: ConsumeFromWhere,
    /// Push, pull or pop.
    pub consume_type: ConsumeType,
    /// Consumer group.
    pub group_name: String,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// Subscriptions (absent for some pull consumers).
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode.
    #[serde(deserialize_with = "lenient_bool")]
    pub unit_mode: bool,
}

/// One producer group of a client (`ProducerData`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerData {
    /// Producer group.
    pub group_name: String,
}

/// The HEART_BEAT body (`HeartbeatData`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HeartbeatData {
    /// `<ip>@<instanceName>`.
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// Consumer groups of the client.
    #[serde(rename = "consumerDataSet")]
    pub consumer_data_set: Vec<ConsumerData>,
    /// 5.x heartbeat v2 fingerprint; 0 = classic.
    #[serde(rename = "heartbeatFingerprint", deserialize_with = "lenient_i64")]
    pub heartbeat_fingerprint: i64,
    /// Producer groups of the client.
    #[serde(rename = "producerDataSet")]
    pub producer_data_set: Vec<ProducerData>,
    /// 5.x: subscriptions omitted (keep the previous ones).
    #[serde(rename = "withoutSub", deserialize_with = "lenient_bool")]
    pub without_sub: bool,
}

/// LOCK_BATCH_MQ / UNLOCK_BATCH_MQ request body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchRequestBody {
    /// Client asking.
    pub client_id: String,
    /// Consumer group.
    pub consumer_group: String,
    /// Queues to (un)lock.
    pub mq_set: Vec<MessageQueue>,
    /// Lock only on this broker (5.x strict mode); absent = false.
    #[serde(deserialize_with = "lenient_bool")]
    pub only_this_broker: bool,
}

/// LOCK_BATCH_MQ response body: the queues now locked by the client.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LockBatchResponseBody {
    /// Locked queues.
    #[serde(rename = "lockOKMQSet")]
    pub lock_ok_mq_set: Vec<MessageQueue>,
}

/// A client connection as admin tools list it (`Connection`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConnectionInfo {
    /// Remote `ip:port`.
    pub client_addr: String,
    /// Client id.
    pub client_id: String,
    /// Language name (`JAVA`, `CPP`, ...).
    pub language: String,
    /// Client version ordinal.
    pub version: i32,
}

/// GET_CONSUMER_CONNECTION_LIST response body (`ConsumerConnection`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerConnection {
    /// The group's live connections.
    pub connection_set: Vec<ConnectionInfo>,
    /// Where the group starts.
    pub consume_from_where: ConsumeFromWhere,
    /// Push or pull.
    pub consume_type: ConsumeType,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// Topic to subscription.
    pub subscription_table: BTreeMap<String, SubscriptionData>,
}

/// GET_PRODUCER_CONNECTION_LIST response body (`ProducerConnection`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerConnection {
    /// The group's live connections.
    pub connection_set: Vec<ConnectionInfo>,
}

/// `{"consumerIdList":[...]}` (GET_CONSUMER_LIST_BY_GROUP).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerIdList {
    /// Client ids of the group's live consumers.
    pub consumer_id_list: Vec<String>,
}

/// `{"groupList":[...]}` (QUERY_TOPIC_CONSUME_BY_WHO).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupList {
    /// Group names.
    pub group_list: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_from_cpp_client_enums_as_ordinals() {
        let body = br#"{"clientID":"127.0.0.1@12475#DEFAULT","consumerDataSet":[{"consumeFromWhere":0,"consumeType":1,"groupName":"cg","messageModel":1,"subscriptionDataSet":[{"subString":"*","subVersion":"1795406206333","topic":"%RETRY%cg"},{"codeSet":[0,0,0],"subString":"TagA || TagB || probe","subVersion":"1795406206333","tagsSet":["TagA","TagB","probe"],"topic":"t"}]},{"consumeFromWhere":0,"consumeType":0,"groupName":"pull","messageModel":0}],"producerDataSet":[{"groupName":"pg"}]}"#;
        let hb: HeartbeatData = from_json(body).unwrap();
        assert_eq!(hb.client_id, "127.0.0.1@12475#DEFAULT");
        let c = &hb.consumer_data_set[0];
        assert_eq!(c.consume_type, ConsumeType::Passively);
        assert_eq!(c.message_model, MessageModel::Clustering);
        assert_eq!(c.consume_from_where, ConsumeFromWhere::LastOffset);
        assert_eq!(c.subscription_data_set[1].sub_version, 1795406206333);
        assert_eq!(c.subscription_data_set[1].expression_type, None);
        let p = &hb.consumer_data_set[1];
        assert_eq!(p.consume_type, ConsumeType::Actively);
        assert_eq!(p.message_model, MessageModel::Broadcasting);
        assert!(p.subscription_data_set.is_empty());
        assert_eq!(hb.producer_data_set[0].group_name, "pg");
    }

    #[test]
    fn heartbeat_from_java_style_names() {
        let body = br#"{"clientID":"10.0.0.5@25120#43871337429833","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"G1","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1713000000000,"tagsSet":["TagA"],"topic":"TopicTest"}],"unitMode":false}],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}],"withoutSub":false}"#;
        let hb: HeartbeatData = from_json(body).unwrap();
        let s = &hb.consumer_data_set[0].subscription_data_set[0];
        assert_eq!(s.expression_type.as_deref(), Some("TAG"));
        assert_eq!(s.sub_version, 1713000000000);
        let again: HeartbeatData = from_json(&to_json(&hb).unwrap()).unwrap();
        assert_eq!(again, hb);
        assert!(from_json::<HeartbeatData>(br#"{"consumerDataSet":[{"consumeType":"NOPE"}]}"#).is_err());
    }

    #[test]
    fn lock_body_without_only_this_broker() {
        let b: LockBatchRequestBody = from_json(
            br#"{"clientId":"c","consumerGroup":"g","mqSet":[{"brokerName":"b","queueId":0,"topic":"t"}]}"#,
        )
        .unwrap();
        assert!(!b.only_this_broker);
        assert_eq!(b.mq_set, vec![MessageQueue::new("t", "b", 0)]);
        let r = LockBatchResponseBody {
            lock_ok_mq_set: b.mq_set,
        };
        assert_eq!(
            to_json(&r).unwrap(),
            br#"{"lockOKMQSet":[{"brokerName":"b","queueId":0,"topic":"t"}]}"#
        );
    }

    #[test]
    fn message_queue_key_json() {
        assert_eq!(
            MessageQueue::new("T", "b", 3).key_json(),
            r#"{"brokerName":"b","queueId":3,"topic":"T"}"#
        );
    }
}
