//! Administration requests (PROTOCOL.md §13.6-§13.10): topics
//! (UPDATE_AND_CREATE_TOPIC 17, DELETE_TOPIC_IN_BROKER 215,
//! GET_ALL_TOPIC_CONFIG 21, GET_SYSTEM_TOPIC_LIST_FROM_BROKER 305), groups
//! (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP 200, DELETE_SUBSCRIPTIONGROUP 207,
//! GET_ALL_SUBSCRIPTIONGROUP_CONFIG 201), broker config (GET_BROKER_CONFIG 26,
//! UPDATE_BROKER_CONFIG 25), and the read-only views in [`super::admin_stats`]
//! (runtime info, topic/consume stats, connections, consumers of a topic).

use std::sync::Arc;

use parking_lot::Mutex;
use protocol::body::route::{DataVersion, TopicConfig, TopicFilterType, TopicList};
use protocol::body::{properties, JsonBody, SubscriptionGroupConfig};
use protocol::code::request;
use protocol::header::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, DeleteTopicRequestHeader,
    GetBrokerConfigResponseHeader,
};
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::RemotingCommand;

use super::admin_stats::{self, RuntimeStats};
use crate::clock::now_ms;
use crate::context::BrokerContext;
use crate::error::{into_response, BrokerError};
use crate::topic_manager::{is_legal_name, validate_topic};

/// The request codes this processor serves.
pub const CODES: &[i32] = &[
    request::UPDATE_AND_CREATE_TOPIC,
    request::DELETE_TOPIC_IN_BROKER,
    request::GET_ALL_TOPIC_CONFIG,
    request::GET_SYSTEM_TOPIC_LIST_FROM_BROKER,
    request::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
    request::DELETE_SUBSCRIPTIONGROUP,
    request::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
    request::GET_BROKER_CONFIG,
    request::UPDATE_BROKER_CONFIG,
    request::GET_BROKER_RUNTIME_INFO,
    request::GET_TOPIC_STATS_INFO,
    request::GET_CONSUME_STATS,
    request::GET_CONSUMER_CONNECTION_LIST,
    request::GET_PRODUCER_CONNECTION_LIST,
    request::QUERY_TOPIC_CONSUME_BY_WHO,
];

/// Keys UPDATE_BROKER_CONFIG refuses (Java's default `configBlackList`).
pub const CONFIG_BLACK_LIST: &[&str] = &["configBlackList", "brokerConfigPath"];

/// Largest queue count accepted for a topic.
const MAX_QUEUE_NUMS: i32 = 1 << 16;

/// Longest group name (Java's `CHARACTER_MAX_LENGTH`).
const GROUP_MAX_LENGTH: usize = 255;

/// Serves administration requests.
pub struct AdminProcessor {
    ctx: Arc<BrokerContext>,
    stats: RuntimeStats,
    /// Version of the broker config, bumped by UPDATE_BROKER_CONFIG.
    config_version: Mutex<DataVersion>,
}

impl AdminProcessor {
    /// A processor over the broker's shared state.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        AdminProcessor {
            ctx,
            stats: RuntimeStats::new(now_ms()),
            config_version: Mutex::new(DataVersion::new(now_ms())),
        }
    }

    async fn update_topic(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: CreateTopicRequestHeader = req.header()?;
        validate_topic(&h.topic)?;
        if self.ctx.topics.is_system_topic(&h.topic) {
            return Err(BrokerError::InvalidParameter(format!(
                "The topic[{}] is conflict with system topic.",
                h.topic
            )));
        }
        for (name, n) in [
            ("readQueueNums", h.read_queue_nums),
            ("writeQueueNums", h.write_queue_nums),
        ] {
            if !(0..=MAX_QUEUE_NUMS).contains(&n) {
                return Err(BrokerError::InvalidParameter(format!(
                    "{name} {n} is out of range [0, {MAX_QUEUE_NUMS}]"
                )));
            }
        }
        if h.perm & !0xF != 0 {
            return Err(BrokerError::InvalidParameter(format!(
                "perm {} is not valid",
                h.perm
            )));
        }
        let mut tc = TopicConfig::new(&h.topic, h.read_queue_nums, h.write_queue_nums, h.perm);
        tc.topic_filter_type =
            TopicFilterType::from_name(h.topic_filter_type.name()).unwrap_or_default();
        tc.topic_sys_flag = h.topic_sys_flag.unwrap_or(0);
        tc.order = h.order;
        if let Some(old) = self.ctx.topics.get(&h.topic) {
            tc.attributes = old.attributes.clone();
        }
        if let Some(changes) = h.attributes.as_deref() {
            apply_attribute_changes(&mut tc.attributes, changes)?;
        }
        tracing::info!(topic = %h.topic, read = tc.read_queue_nums, write = tc.write_queue_nums, perm = tc.perm, "updating topic from {}", req_origin(req));
        self.ctx.topics.update(tc).await?;
        Ok(RemotingCommand::success())
    }

    async fn delete_topic(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: DeleteTopicRequestHeader = req.header()?;
        validate_topic(&h.topic)?;
        if self.ctx.topics.is_system_topic(&h.topic) {
            return Err(BrokerError::InvalidParameter(format!(
                "The topic[{}] is conflict with system topic.",
                h.topic
            )));
        }
        self.ctx.topics.delete(&h.topic).await?;
        self.ctx.offsets.remove_topic(&h.topic);
        self.ctx.pull_hold.remove_topic(&h.topic);
        let store = self.ctx.store.clone();
        let topic = h.topic.clone();
        // Deleting consume-queue files is disk work: off the runtime threads.
        let _ = tokio::task::spawn_blocking(move || store.delete_topics(&[topic.as_str()])).await;
        tracing::info!(topic = %h.topic, "deleted topic from {}", req_origin(req));
        Ok(RemotingCommand::success())
    }

    fn all_topic_config(&self) -> Result<RemotingCommand, BrokerError> {
        Ok(RemotingCommand::success().with_body(self.ctx.topics.snapshot().to_json()))
    }

    fn system_topics(&self) -> Result<RemotingCommand, BrokerError> {
        let list = TopicList {
            broker_addr: None,
            topic_list: self.ctx.topics.system_topics().iter().cloned().collect(),
        };
        Ok(RemotingCommand::success().with_body(list.to_json()))
    }

    async fn update_group(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let cfg = SubscriptionGroupConfig::from_json(&req.body)?;
        validate_group(&cfg.group_name)?;
        if cfg.retry_queue_nums < 0 || cfg.retry_queue_nums > MAX_QUEUE_NUMS {
            return Err(BrokerError::InvalidParameter(format!(
                "retryQueueNums {} is out of range",
                cfg.retry_queue_nums
            )));
        }
        tracing::info!(group = %cfg.group_name, "updating subscription group from {}", req_origin(req));
        self.ctx.subscriptions.update(cfg);
        self.persist_groups().await?;
        Ok(RemotingCommand::success())
    }

    async fn delete_group(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: DeleteSubscriptionGroupRequestHeader = req.header()?;
        self.ctx.subscriptions.delete(&h.group_name);
        if h.clean_offset.unwrap_or(false) {
            self.ctx.offsets.remove_group(&h.group_name);
        }
        tracing::info!(group = %h.group_name, "deleted subscription group from {}", req_origin(req));
        self.persist_groups().await?;
        Ok(RemotingCommand::success())
    }

    async fn persist_groups(&self) -> Result<(), BrokerError> {
        self.ctx
            .subscriptions
            .persist_if_dirty()
            .await
            .map_err(BrokerError::from)
    }

    fn all_group_config(&self) -> Result<RemotingCommand, BrokerError> {
        let (body, _) = self.ctx.subscriptions.encode()?;
        Ok(RemotingCommand::success().with_body(body))
    }

    fn broker_config(&self) -> Result<RemotingCommand, BrokerError> {
        let text = self.ctx.config.read().to_properties();
        let version = String::from_utf8_lossy(&self.config_version.lock().to_json()).into_owned();
        Ok(RemotingCommand::success()
            .with_header(&GetBrokerConfigResponseHeader { version })
            .with_body(text.into_bytes()))
    }

    fn update_broker_config(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let text = std::str::from_utf8(&req.body).map_err(|_| {
            BrokerError::System("the config body is not UTF-8 properties text".into())
        })?;
        let entries = properties::parse(text);
        if let Some((k, _)) = entries
            .iter()
            .find(|(k, _)| CONFIG_BLACK_LIST.contains(&k.as_str()))
        {
            return Err(BrokerError::NoPermission(format!(
                "Can not update config in black list: {k}"
            )));
        }
        if entries.is_empty() {
            return Ok(RemotingCommand::success());
        }
        // Apply to a copy so a bad value leaves the running config untouched.
        let mut next = self.ctx.config.read().clone();
        let applied = next.apply_properties(text)?;
        next.validate()?;
        self.ctx
            .subscriptions
            .set_auto_create(next.auto_create_subscription_group);
        self.ctx
            .clients
            .set_notify_enabled(next.notify_consumer_ids_changed_enable);
        *self.ctx.config.write() = next;
        self.config_version.lock().next_version(now_ms());
        tracing::info!(keys = ?applied, "broker config updated from {}", req_origin(req));
        Ok(RemotingCommand::success())
    }
}

/// Who sent a request, for the audit log lines of admin changes.
fn req_origin(req: &RemotingCommand) -> String {
    format!("{:?} client version {}", req.language, req.version)
}

/// Applies 5.x attribute changes `+k=v,-k` to `attrs`.
fn apply_attribute_changes(
    attrs: &mut std::collections::BTreeMap<String, String>,
    changes: &str,
) -> Result<(), BrokerError> {
    for item in changes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(kv) = item.strip_prefix('+') {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                BrokerError::InvalidParameter(format!("attribute '{item}' is not +key=value"))
            })?;
            attrs.insert(k.trim().to_owned(), v.trim().to_owned());
        } else if let Some(k) = item.strip_prefix('-') {
            attrs.remove(k.trim());
        } else {
            return Err(BrokerError::InvalidParameter(format!(
                "attribute '{item}' must start with + or -"
            )));
        }
    }
    Ok(())
}

/// Group names follow the topic charset rule, up to 255 characters.
fn validate_group(group: &str) -> Result<(), BrokerError> {
    if group.trim().is_empty() {
        return Err(BrokerError::InvalidParameter(
            "the group name is blank".into(),
        ));
    }
    if !is_legal_name(group) {
        return Err(BrokerError::InvalidParameter(format!(
            "the group name [{group}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        )));
    }
    if group.len() > GROUP_MAX_LENGTH {
        return Err(BrokerError::InvalidParameter(format!(
            "the group name is longer than {GROUP_MAX_LENGTH} characters"
        )));
    }
    Ok(())
}

impl Processor for AdminProcessor {
    fn process<'a>(
        &'a self,
        _conn: &'a Arc<Connection>,
        req: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async move {
            let ctx = &self.ctx;
            let result = match req.code {
                request::UPDATE_AND_CREATE_TOPIC => self.update_topic(&req).await,
                request::DELETE_TOPIC_IN_BROKER => self.delete_topic(&req).await,
                request::GET_ALL_TOPIC_CONFIG => self.all_topic_config(),
                request::GET_SYSTEM_TOPIC_LIST_FROM_BROKER => self.system_topics(),
                request::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => self.update_group(&req).await,
                request::DELETE_SUBSCRIPTIONGROUP => self.delete_group(&req).await,
                request::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => self.all_group_config(),
                request::GET_BROKER_CONFIG => self.broker_config(),
                request::UPDATE_BROKER_CONFIG => self.update_broker_config(&req),
                request::GET_BROKER_RUNTIME_INFO => Ok(admin_stats::runtime_info(ctx, &self.stats)),
                request::GET_TOPIC_STATS_INFO => admin_stats::topic_stats(ctx, &req),
                request::GET_CONSUME_STATS => admin_stats::consume_stats(ctx, &req),
                request::GET_CONSUMER_CONNECTION_LIST => {
                    admin_stats::consumer_connections(ctx, &req)
                }
                request::GET_PRODUCER_CONNECTION_LIST => {
                    admin_stats::producer_connections(ctx, &req)
                }
                request::QUERY_TOPIC_CONSUME_BY_WHO => admin_stats::consumed_by(ctx, &req),
                code => Err(BrokerError::not_served(code, "admin")),
            };
            Some(into_response(result))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_changes() {
        let mut a = std::collections::BTreeMap::new();
        a.insert("x".to_owned(), "1".to_owned());
        apply_attribute_changes(&mut a, "+message.type=NORMAL, -x").unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a["message.type"], "NORMAL");
        assert!(apply_attribute_changes(&mut a, "y=1").is_err());
        assert!(apply_attribute_changes(&mut a, "+y").is_err());
    }

    #[test]
    fn group_names() {
        assert!(validate_group("CID_a-b|c%1").is_ok());
        assert!(validate_group(" ").is_err());
        assert!(validate_group("a b").is_err());
        assert!(validate_group(&"g".repeat(256)).is_err());
    }
}
