//! Subscription group configs: `SubscriptionGroupConfig` (subscriptionGroup.json
//! entries, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body) and the
//! GET_ALL_SUBSCRIPTIONGROUP_CONFIG body (PROTOCOL.md §13.7, §15.8).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::JsonBody;
use super::route::DataVersion;

/// One consumer group's broker-side settings, with Java's defaults for
/// every missing field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    /// 5.x attributes.
    pub attributes: BTreeMap<String, String>,
    /// Broker id to consume from normally (0 = master).
    pub broker_id: i64,
    /// Broadcasting consumers allowed.
    pub consume_broadcast_enable: bool,
    /// The group may consume at all.
    pub consume_enable: bool,
    /// Start from the min offset on first consumption.
    pub consume_from_min_enable: bool,
    /// 5.x: orderly consumption.
    pub consume_message_orderly: bool,
    /// 5.x: consume timeout in minutes.
    pub consume_timeout_minute: i32,
    /// Group name.
    pub group_name: String,
    /// 5.x pop retry policy (kept as JSON; not used by this broker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_retry_policy: Option<serde_json::Value>,
    /// 5.x group sysFlag.
    pub group_sys_flag: i32,
    /// Notify clients when the group's membership changes.
    pub notify_consumer_ids_changed_enable: bool,
    /// Reconsume attempts before a message goes to the DLQ.
    pub retry_max_times: i32,
    /// Queue count of the group's retry topic.
    pub retry_queue_nums: i32,
    /// 5.x declared subscriptions (kept as JSON; optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_data_set: Option<serde_json::Value>,
    /// Broker id suggested when the consumer falls behind.
    pub which_broker_when_consume_slowly: i64,
}

impl Default for SubscriptionGroupConfig {
    fn default() -> Self {
        SubscriptionGroupConfig {
            attributes: BTreeMap::new(),
            broker_id: 0,
            consume_broadcast_enable: true,
            consume_enable: true,
            consume_from_min_enable: true,
            consume_message_orderly: false,
            consume_timeout_minute: 15,
            group_name: String::new(),
            group_retry_policy: None,
            group_sys_flag: 0,
            notify_consumer_ids_changed_enable: true,
            retry_max_times: 16,
            retry_queue_nums: 1,
            subscription_data_set: None,
            which_broker_when_consume_slowly: 1,
        }
    }
}

impl SubscriptionGroupConfig {
    /// A group with Java's defaults.
    pub fn new(group_name: impl Into<String>) -> Self {
        SubscriptionGroupConfig {
            group_name: group_name.into(),
            ..Default::default()
        }
    }
}

/// subscriptionGroup.json and the GET_ALL_SUBSCRIPTIONGROUP_CONFIG body
/// (`SubscriptionGroupWrapper`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupWrapper {
    /// Version of the table.
    pub data_version: DataVersion,
    /// 5.x: group -> topic -> forbidden bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forbidden_table: Option<BTreeMap<String, BTreeMap<String, i32>>>,
    /// Group name -> config.
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

impl JsonBody for SubscriptionGroupConfig {}
impl JsonBody for SubscriptionGroupWrapper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_java_defaults() {
        let c = SubscriptionGroupConfig::from_json(
            br#"{"groupName":"G","retryMaxTimes":3,"unknown":1}"#,
        )
        .unwrap();
        assert_eq!(c.group_name, "G");
        assert_eq!(c.retry_max_times, 3);
        assert!(
            c.consume_enable && c.consume_broadcast_enable && c.notify_consumer_ids_changed_enable
        );
        assert_eq!(
            (c.retry_queue_nums, c.which_broker_when_consume_slowly),
            (1, 1)
        );
    }

    #[test]
    fn wrapper_round_trip() {
        // A 4.9 subscriptionGroup.json, pretty-printed with tabs.
        let text = "{\n\t\"dataVersion\":{\n\t\t\"counter\":2,\n\t\t\"timestamp\":1713000000000\n\t},\n\t\"subscriptionGroupTable\":{\n\t\t\"G1\":{\n\t\t\t\"brokerId\":0,\n\t\t\t\"consumeBroadcastEnable\":true,\n\t\t\t\"consumeEnable\":false,\n\t\t\t\"consumeFromMinEnable\":true,\n\t\t\t\"groupName\":\"G1\",\n\t\t\t\"notifyConsumerIdsChangedEnable\":true,\n\t\t\t\"retryMaxTimes\":16,\n\t\t\t\"retryQueueNums\":1,\n\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n\t\t}\n\t}\n}";
        let w = SubscriptionGroupWrapper::from_json(text.as_bytes()).unwrap();
        assert_eq!(w.data_version.counter, 2);
        assert!(!w.subscription_group_table["G1"].consume_enable);
        let again = SubscriptionGroupWrapper::from_json(&w.to_json()).unwrap();
        assert_eq!(again, w);
        let out = String::from_utf8(w.to_json()).unwrap();
        assert!(out.starts_with(r#"{"dataVersion":{"counter":2,"#));
        assert!(!out.contains("forbiddenTable"));
    }
}
