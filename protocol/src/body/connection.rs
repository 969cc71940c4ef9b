//! GET_CONSUMER_CONNECTION_LIST / GET_PRODUCER_CONNECTION_LIST bodies
//! (PROTOCOL.md §13.9, §15.10).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::fastjson::JsonBody;
use super::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
use crate::command::LanguageCode;

/// One client channel of a group (`Connection`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Connection {
    /// Peer `ip:port`.
    pub client_addr: String,
    /// Client id.
    pub client_id: String,
    /// Client language, written as Java's enum name.
    #[serde(with = "language_name")]
    pub language: LanguageCode,
    /// Client version ordinal.
    pub version: i32,
}

mod language_name {
    use super::*;

    pub fn serialize<S: Serializer>(l: &LanguageCode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(l.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LanguageCode, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(match v {
            serde_json::Value::String(s) => LanguageCode::from_name(&s),
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .map(LanguageCode::from_code)
                .unwrap_or(LanguageCode::Other),
            _ => LanguageCode::Other,
        })
    }
}

/// GET_CONSUMER_CONNECTION_LIST response body (`ConsumerConnection`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerConnection {
    /// Live channels of the group.
    pub connection_set: Vec<Connection>,
    /// The group's start position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consume_from_where: Option<ConsumeFromWhere>,
    /// Push, pull or pop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consume_type: Option<ConsumeType>,
    /// Clustering or broadcasting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_model: Option<MessageModel>,
    /// Topic -> subscription.
    pub subscription_table: BTreeMap<String, SubscriptionData>,
}

/// GET_PRODUCER_CONNECTION_LIST response body (`ProducerConnection`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerConnection {
    /// Live channels of the group.
    pub connection_set: Vec<Connection>,
}

impl JsonBody for Connection {}
impl JsonBody for ConsumerConnection {}
impl JsonBody for ProducerConnection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_shapes() {
        let text = r#"{"connectionSet":[{"clientAddr":"10.0.0.5:53412","clientId":"c1","language":"JAVA","version":479}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"T":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"T"}}}"#;
        let c = ConsumerConnection::from_json(text.as_bytes()).unwrap();
        assert_eq!(c.connection_set[0].language, LanguageCode::Java);
        assert_eq!(String::from_utf8(c.to_json()).unwrap(), text);
        let p = ProducerConnection::from_json(br#"{"connectionSet":[{"clientAddr":"a","clientId":"b","language":"RUST","version":1}]}"#).unwrap();
        assert_eq!(p.connection_set[0].language, LanguageCode::Rust);
    }
}
