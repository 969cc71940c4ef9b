//! HEART_BEAT's body, `HeartbeatData`, and the consumer descriptions it
//! carries (PROTOCOL.md §15.7).
//!
//! Clients differ: the C++ client sends enums as ordinals and `subVersion` as
//! a string and omits `expressionType`/`classFilterMode`; ali-ons omits
//! `expressionType`; 5.x clients add `heartbeatFingerprint`/`withoutSub`.
//! All of these read into the same types.

use serde::{Deserialize, Serialize};

use super::fastjson::JsonBody;
use super::{java_enum, lenient_i64};
use crate::message::tag::java_string_hash;

java_enum! {
    /// How a consumer gets messages (`ConsumeType`); defaults to push.
    #[derive(Default)]
    pub enum ConsumeType {
        /// Pull and lite-pull consumers.
        ConsumeActively = "CONSUME_ACTIVELY",
        /// Push consumers.
        #[default]
        ConsumePassively = "CONSUME_PASSIVELY",
        /// 5.x pop consumers.
        ConsumePop = "CONSUME_POP",
    }
}

java_enum! {
    /// How a group shares messages (`MessageModel`); defaults to clustering.
    #[derive(Default)]
    pub enum MessageModel {
        /// Every consumer gets every message.
        Broadcasting = "BROADCASTING",
        /// Each message goes to one consumer of the group.
        #[default]
        Clustering = "CLUSTERING",
    }
}

java_enum! {
    /// Where a group with no stored offset starts (`ConsumeFromWhere`),
    /// including Java's deprecated names; defaults to the last offset.
    #[derive(Default)]
    pub enum ConsumeFromWhere {
        /// From the queue's max offset (retry topics: from 0).
        #[default]
        ConsumeFromLastOffset = "CONSUME_FROM_LAST_OFFSET",
        /// Deprecated.
        ConsumeFromLastOffsetAndFromMinWhenBootFirst = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        /// Deprecated.
        ConsumeFromMinOffset = "CONSUME_FROM_MIN_OFFSET",
        /// Deprecated.
        ConsumeFromMaxOffset = "CONSUME_FROM_MAX_OFFSET",
        /// From offset 0.
        ConsumeFromFirstOffset = "CONSUME_FROM_FIRST_OFFSET",
        /// From the offset at `consumeTimestamp`.
        ConsumeFromTimestamp = "CONSUME_FROM_TIMESTAMP",
    }
}

/// Subscription expression meaning "every tag".
pub const SUB_ALL: &str = "*";
/// `expressionType` of tag subscriptions (the default).
pub const EXPRESSION_TYPE_TAG: &str = "TAG";
/// `expressionType` of SQL92 property filters.
pub const EXPRESSION_TYPE_SQL92: &str = "SQL92";

fn default_expression_type() -> String {
    EXPRESSION_TYPE_TAG.to_owned()
}

/// One topic subscription of a consumer group (`SubscriptionData`).
///
/// Invariant (for tag subscriptions built by [`SubscriptionData::new`]):
/// `code_set[i]` is the Java hash of `tags_set[i]`; both are empty for `*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionData {
    /// Legacy class-filter mode.
    pub class_filter_mode: bool,
    /// Java `String.hashCode` of each tag.
    pub code_set: Vec<i32>,
    /// `TAG` or `SQL92`.
    pub expression_type: String,
    /// `*`, `TagA || TagB`, or an SQL92 expression.
    pub sub_string: String,
    /// Subscribe time in ms; a newer version replaces an older one.
    #[serde(deserialize_with = "lenient_i64")]
    pub sub_version: i64,
    /// The tags of a tag subscription.
    pub tags_set: Vec<String>,
    /// Topic.
    pub topic: String,
}

impl Default for SubscriptionData {
    fn default() -> Self {
        SubscriptionData {
            class_filter_mode: false,
            code_set: Vec::new(),
            expression_type: default_expression_type(),
            sub_string: SUB_ALL.to_owned(),
            sub_version: 0,
            tags_set: Vec::new(),
            topic: String::new(),
        }
    }
}

impl SubscriptionData {
    /// A tag subscription to `topic` with expression `sub_string`
    /// (`*`, empty, or tags separated by `||`), tags trimmed and empty
    /// ones dropped.
    pub fn new(topic: impl Into<String>, sub_string: &str, sub_version: i64) -> Self {
        let trimmed = sub_string.trim();
        let sub_string = if trimmed.is_empty() { SUB_ALL } else { trimmed };
        let mut data = SubscriptionData {
            sub_string: sub_string.to_owned(),
            sub_version,
            topic: topic.into(),
            ..Default::default()
        };
        if sub_string != SUB_ALL {
            for tag in parse_tags(sub_string) {
                if !data.tags_set.iter().any(|t| t == tag) {
                    data.code_set.push(java_string_hash(tag));
                    data.tags_set.push(tag.to_owned());
                }
            }
        }
        data
    }

    /// An SQL92 subscription.
    pub fn sql92(topic: impl Into<String>, expression: &str, sub_version: i64) -> Self {
        SubscriptionData {
            expression_type: EXPRESSION_TYPE_SQL92.to_owned(),
            sub_string: expression.to_owned(),
            sub_version,
            topic: topic.into(),
            ..Default::default()
        }
    }

    /// True for tag subscriptions (including a blank `expressionType`).
    pub fn is_tag_type(&self) -> bool {
        self.expression_type.is_empty()
            || self
                .expression_type
                .eq_ignore_ascii_case(EXPRESSION_TYPE_TAG)
    }

    /// True when every tag matches (`*` or an empty expression).
    pub fn is_sub_all(&self) -> bool {
        let s = self.sub_string.trim();
        s.is_empty() || s == SUB_ALL
    }

    /// Broker-side tag filter: does a message with tag hash `tags_code` match?
    /// SQL92 subscriptions are not decided here (they match by tag code).
    pub fn matches_tag_code(&self, tags_code: i64) -> bool {
        if !self.is_tag_type() || self.is_sub_all() {
            return true;
        }
        // Clients that send tags but no codes (or all-zero codes, as the C++
        // client does) are matched by the codes recomputed from the tags.
        if self.code_set.iter().any(|&c| c != 0) {
            self.code_set.iter().any(|&c| c as i64 == tags_code)
        } else if !self.tags_set.is_empty() {
            self.tags_set
                .iter()
                .any(|t| java_string_hash(t) as i64 == tags_code)
        } else {
            parse_tags(&self.sub_string).any(|t| java_string_hash(t) as i64 == tags_code)
        }
    }
}

/// The tags of a tag expression: split on `||`, trimmed, empty ones dropped.
pub fn parse_tags(expression: &str) -> impl Iterator<Item = &str> {
    expression
        .split("||")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// A producer group a client belongs to (`ProducerData`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerData {
    /// Producer group.
    pub group_name: String,
}

/// A consumer group a client belongs to (`ConsumerData`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerData {
    /// Where to start without a stored offset.
    pub consume_from_where: ConsumeFromWhere,
    /// Push, pull or pop.
    pub consume_type: ConsumeType,
    /// Consumer group.
    pub group_name: String,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// Subscriptions (absent for the C++ pull consumer).
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode.
    pub unit_mode: bool,
}

/// HEART_BEAT body (`HeartbeatData`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeartbeatData {
    /// `<ip>@<instanceName>[@<unitName>]`.
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// Consumer groups of this client.
    pub consumer_data_set: Vec<ConsumerData>,
    /// 5.x heartbeat V2 fingerprint; 0 = classic heartbeat.
    pub heartbeat_fingerprint: i32,
    /// Producer groups of this client (Java always adds `CLIENT_INNER_PRODUCER`).
    pub producer_data_set: Vec<ProducerData>,
    /// 5.x heartbeat V2: subscriptions omitted, keep the previous ones.
    pub without_sub: bool,
}

impl JsonBody for HeartbeatData {}
impl JsonBody for SubscriptionData {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_sample_round_trips_byte_for_byte() {
        // PROTOCOL.md §15.7.
        let text = r#"{"clientID":"10.0.0.5@25120#43871337429833","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"G1","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1713000000000,"tagsSet":["TagA"],"topic":"TopicTest"},{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1713000000001,"tagsSet":[],"topic":"%RETRY%G1"}],"unitMode":false}],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}],"withoutSub":false}"#;
        let hb = HeartbeatData::from_json(text.as_bytes()).unwrap();
        let c = &hb.consumer_data_set[0];
        assert_eq!(c.consume_type, ConsumeType::ConsumePassively);
        assert_eq!(
            c.subscription_data_set[0],
            SubscriptionData::new("TopicTest", "TagA", 1713000000000)
        );
        assert_eq!(String::from_utf8(hb.to_json()).unwrap(), text);
    }

    #[test]
    fn cpp_client_ordinals_and_string_sub_version() {
        let text = r#"{"clientID":"127.0.0.1@1#DEFAULT","consumerDataSet":[{"consumeFromWhere":4,"consumeType":1,"groupName":"g","messageModel":0,"subscriptionDataSet":[{"codeSet":[0,0],"subString":"TagA || TagB","subVersion":"1795406206333","tagsSet":["TagA","TagB"],"topic":"t"}],"unitMode":false}],"producerDataSet":[]}"#;
        let hb = HeartbeatData::from_json(text.as_bytes()).unwrap();
        let c = &hb.consumer_data_set[0];
        assert_eq!(
            c.consume_from_where,
            ConsumeFromWhere::ConsumeFromFirstOffset
        );
        assert_eq!(c.message_model, MessageModel::Broadcasting);
        let s = &c.subscription_data_set[0];
        assert_eq!(s.sub_version, 1795406206333);
        assert_eq!(s.expression_type, "TAG");
        assert!(s.matches_tag_code(2598920));
        assert!(!s.matches_tag_code(1));
        // the C++ pull consumer sends no subscriptionDataSet
        let pull = r#"{"clientID":"c","consumerDataSet":[{"consumeFromWhere":0,"consumeType":0,"groupName":"p","messageModel":1,"unitMode":false}]}"#;
        let hb = HeartbeatData::from_json(pull.as_bytes()).unwrap();
        assert_eq!(
            hb.consumer_data_set[0].consume_type,
            ConsumeType::ConsumeActively
        );
        assert!(hb.consumer_data_set[0].subscription_data_set.is_empty());
    }

    #[test]
    fn enums_reject_unknown_values() {
        assert!(serde_json::from_str::<ConsumeType>("\"CONSUME_LATER\"").is_err());
        assert!(serde_json::from_str::<ConsumeType>("7").is_err());
        assert!(serde_json::from_str::<ConsumeType>("-1").is_err());
        assert_eq!(
            serde_json::from_str::<MessageModel>("\"1\"").unwrap(),
            MessageModel::Clustering
        );
        assert_eq!(
            "CONSUME_FROM_MIN_OFFSET"
                .parse::<ConsumeFromWhere>()
                .unwrap()
                .ordinal(),
            2
        );
        assert_eq!(ConsumeFromWhere::ALL.len(), 6);
    }

    #[test]
    fn tag_expressions() {
        let s = SubscriptionData::new("T", " TagA ||  || TagB||TagA ", 1);
        assert_eq!(s.tags_set, ["TagA", "TagB"]);
        assert_eq!(s.code_set, [2598919, 2598920]);
        let all = SubscriptionData::new("T", "", 1);
        assert_eq!(all.sub_string, "*");
        assert!(all.matches_tag_code(12345) && all.tags_set.is_empty());
    }
}
