//! [`ClientManager`]: the producers and consumers connected to this broker,
//! per group and per connection, as HEART_BEAT registers them
//! (PROTOCOL.md §12.1-§12.3, §14).
//!
//! A consumer group's members are its live connections. When they change
//! (a new connection registers, one unregisters, closes, or stops sending
//! heartbeats for `channelExpiredTimeout` = 120 s) every remaining member is
//! sent NOTIFY_CONSUMER_IDS_CHANGED (oneway) so clients rebalance at once.
//! The group's subscriptions are group-wide: the newest heartbeat's set wins
//! topic by topic (a newer `subVersion`, or the same one with a different
//! expression), and topics missing from it are dropped.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use protocol::body::{
    Connection as ConnectionInfo, ConsumeFromWhere, ConsumeType, ConsumerConnection, ConsumerData,
    MessageModel, ProducerConnection, SubscriptionData,
};
use protocol::code::request;
use protocol::header::NotifyConsumerIdsChangedRequestHeader;
use protocol::net::Connection;
use protocol::{LanguageCode, RemotingCommand};

use crate::clock::{SharedClock, SystemClock};
use crate::filter::SubscriptionFilter;

/// RocketMQ's `channelExpiredTimeout`: a client silent this long is dropped.
pub const DEFAULT_CHANNEL_EXPIRED_MS: i64 = 120_000;

/// How often RocketMQ scans for expired channels.
pub const DEFAULT_SCAN_INTERVAL: Duration = Duration::from_secs(10);

/// Who a connection belongs to, as a heartbeat tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client id (`ip@instance`).
    pub client_id: String,
    /// The client's language (from the request frame).
    pub language: LanguageCode,
    /// The client's version ordinal (from the request frame).
    pub version: i32,
}

/// One registered connection of a group.
#[derive(Debug, Clone)]
struct Channel {
    conn: Arc<Connection>,
    info: ClientInfo,
    last_update_ms: i64,
}

impl Channel {
    fn connection_info(&self) -> ConnectionInfo {
        ConnectionInfo {
            client_addr: self.conn.peer_addr().to_string(),
            client_id: self.info.client_id.clone(),
            language: self.info.language,
            version: self.info.version,
        }
    }
}

/// A consumer group's subscription to one topic, with its tag filter built
/// from the expression (clients' `codeSet`s are not trusted: the C++ client
/// sends zeros).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSubscription {
    /// As the heartbeat sent it.
    pub data: SubscriptionData,
    /// The TAG filter; `None` when the expression type is not supported
    /// (SQL92).
    pub filter: Option<SubscriptionFilter>,
}

impl RegisteredSubscription {
    /// Builds the filter from `data`'s expression.
    pub fn new(data: SubscriptionData) -> Self {
        let filter =
            SubscriptionFilter::parse_typed(&data.sub_string, Some(&data.expression_type)).ok();
        RegisteredSubscription { data, filter }
    }
}

/// Why a group's subscription to a topic is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionMiss {
    /// No live consumer of the group has sent a heartbeat here.
    GroupNotOnline,
    /// The group is online but does not subscribe to the topic.
    TopicNotSubscribed,
}

/// What changed when a consumer registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegisterOutcome {
    /// The group's set of connections changed (a new member).
    pub membership_changed: bool,
    /// The group's subscriptions changed.
    pub subscriptions_changed: bool,
}

#[derive(Debug)]
struct ConsumerGroup {
    channels: HashMap<u64, Channel>,
    subscriptions: HashMap<String, Arc<RegisteredSubscription>>,
    consume_type: ConsumeType,
    message_model: MessageModel,
    consume_from_where: ConsumeFromWhere,
}

impl ConsumerGroup {
    fn new(data: &ConsumerData) -> Self {
        ConsumerGroup {
            channels: HashMap::new(),
            subscriptions: HashMap::new(),
            consume_type: data.consume_type,
            message_model: data.message_model,
            consume_from_where: data.consume_from_where,
        }
    }

    fn connections(&self) -> Vec<Arc<Connection>> {
        self.channels.values().map(|c| c.conn.clone()).collect()
    }

    /// Applies a heartbeat's subscription set; true when anything changed.
    fn update_subscriptions(&mut self, subs: &[SubscriptionData]) -> bool {
        let mut changed = false;
        for sub in subs {
            let replace = match self.subscriptions.get(&sub.topic) {
                None => true,
                Some(old) => {
                    sub.sub_version > old.data.sub_version
                        || (sub.sub_version == old.data.sub_version
                            && (sub.sub_string != old.data.sub_string
                                || sub.expression_type != old.data.expression_type))
                }
            };
            if replace {
                self.subscriptions.insert(
                    sub.topic.clone(),
                    Arc::new(RegisteredSubscription::new(sub.clone())),
                );
                changed = true;
            }
        }
        let before = self.subscriptions.len();
        self.subscriptions
            .retain(|topic, _| subs.iter().any(|s| &s.topic == topic));
        changed || self.subscriptions.len() != before
    }
}

/// Producer and consumer registrations per group and connection.
///
/// Invariant: a group is present only while it has at least one channel.
pub struct ClientManager {
    clock: SharedClock,
    channel_expired_ms: AtomicI64,
    notify_enabled: AtomicBool,
    consumers: RwLock<HashMap<String, ConsumerGroup>>,
    producers: RwLock<HashMap<String, HashMap<u64, Channel>>>,
}

impl std::fmt::Debug for ClientManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientManager")
            .field("consumer_groups", &self.consumers.read().len())
            .field("producer_groups", &self.producers.read().len())
            .finish_non_exhaustive()
    }
}

impl Default for ClientManager {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientManager {
    /// A manager on the system clock with the 120 s channel expiry.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock), DEFAULT_CHANNEL_EXPIRED_MS)
    }

    /// A manager on `clock` dropping channels silent for `channel_expired_ms`.
    pub fn with_clock(clock: SharedClock, channel_expired_ms: i64) -> Self {
        ClientManager {
            clock,
            channel_expired_ms: AtomicI64::new(channel_expired_ms),
            notify_enabled: AtomicBool::new(true),
            consumers: RwLock::new(HashMap::new()),
            producers: RwLock::new(HashMap::new()),
        }
    }

    /// Broker-wide switch for the notifications sent when channels close or
    /// expire (`notifyConsumerIdsChangedEnable`, default on).
    pub fn set_notify_enabled(&self, on: bool) {
        self.notify_enabled.store(on, Ordering::Relaxed);
    }

    /// Sets how long a client may stay silent before it is dropped
    /// (`channelExpiredTimeout`, ms).
    pub fn set_channel_expired_ms(&self, ms: i64) {
        self.channel_expired_ms.store(ms.max(1), Ordering::Relaxed);
    }

    /// Registers (or refreshes) `conn` as a consumer of `data.group_name`.
    /// `subscriptions: None` keeps the group's previous ones (heartbeat v2
    /// without subscriptions). When the group's membership changed and
    /// `notify` is set, every member is sent NOTIFY_CONSUMER_IDS_CHANGED.
    pub fn register_consumer(
        &self,
        conn: &Arc<Connection>,
        client: &ClientInfo,
        data: &ConsumerData,
        subscriptions: Option<&[SubscriptionData]>,
        notify: bool,
    ) -> RegisterOutcome {
        let now = self.clock.now_ms();
        let mut out = RegisterOutcome::default();
        let members = {
            let mut consumers = self.consumers.write();
            let group = consumers
                .entry(data.group_name.clone())
                .or_insert_with(|| ConsumerGroup::new(data));
            group.consume_type = data.consume_type;
            group.message_model = data.message_model;
            group.consume_from_where = data.consume_from_where;
            match group.channels.get_mut(&conn.id()) {
                Some(ch) => {
                    if ch.info.client_id != client.client_id {
                        out.membership_changed = true;
                    }
                    ch.info = client.clone();
                    ch.last_update_ms = now;
                }
                None => {
                    group.channels.insert(
                        conn.id(),
                        Channel {
                            conn: conn.clone(),
                            info: client.clone(),
                            last_update_ms: now,
                        },
                    );
                    out.membership_changed = true;
                }
            }
            if let Some(subs) = subscriptions {
                out.subscriptions_changed = group.update_subscriptions(subs);
            }
            (out.membership_changed && notify).then(|| group.connections())
        };
        if out.membership_changed {
            tracing::info!(
                "consumer {} of group {} registered from {}",
                client.client_id,
                data.group_name,
                conn.peer_addr()
            );
        }
        if let Some(members) = members {
            notify_ids_changed(&data.group_name, &members);
        }
        out
    }

    /// Registers (or refreshes) `conn` as a producer of `group`.
    pub fn register_producer(&self, conn: &Arc<Connection>, client: &ClientInfo, group: &str) {
        let now = self.clock.now_ms();
        let mut producers = self.producers.write();
        let channels = match producers.get_mut(group) {
            Some(c) => c,
            None => producers.entry(group.to_owned()).or_default(),
        };
        match channels.get_mut(&conn.id()) {
            Some(ch) => {
                ch.info = client.clone();
                ch.last_update_ms = now;
            }
            None => {
                channels.insert(
                    conn.id(),
                    Channel {
                        conn: conn.clone(),
                        info: client.clone(),
                        last_update_ms: now,
                    },
                );
            }
        }
    }

    /// Removes `conn` from consumer `group` (UNREGISTER_CLIENT); notifies the
    /// remaining members when `notify`. Returns whether it was registered.
    pub fn unregister_consumer(&self, group: &str, conn: &Connection, notify: bool) -> bool {
        let members = {
            let mut consumers = self.consumers.write();
            let Some(g) = consumers.get_mut(group) else {
                return false;
            };
            if g.channels.remove(&conn.id()).is_none() {
                return false;
            }
            if g.channels.is_empty() {
                consumers.remove(group);
                Vec::new()
            } else {
                g.connections()
            }
        };
        tracing::info!("consumer group {group}: {} unregistered", conn.peer_addr());
        if notify {
            notify_ids_changed(group, &members);
        }
        true
    }

    /// Removes `conn` from producer `group`. Returns whether it was registered.
    pub fn unregister_producer(&self, group: &str, conn: &Connection) -> bool {
        let mut producers = self.producers.write();
        let Some(channels) = producers.get_mut(group) else {
            return false;
        };
        let removed = channels.remove(&conn.id()).is_some();
        if channels.is_empty() {
            producers.remove(group);
        }
        removed
    }

    /// Forgets a closed connection everywhere; remaining members of the
    /// consumer groups it left are notified.
    pub fn on_connection_closed(&self, conn: &Connection) {
        let id = conn.id();
        self.remove_channels(|cid, _| cid == id);
    }

    /// Drops channels without a heartbeat for the expiry time, closes their
    /// connections and notifies the groups they left. Returns how many
    /// channels were dropped.
    pub fn scan_expired(&self) -> usize {
        let expired_ms = self.channel_expired_ms.load(Ordering::Relaxed);
        let deadline = self.clock.now_ms() - expired_ms;
        let expired = self.remove_channels(|_, ch| ch.last_update_ms < deadline);
        for ch in &expired {
            tracing::warn!(
                "client {} ({}) sent no heartbeat for {} ms: dropped",
                ch.info.client_id,
                ch.conn.peer_addr(),
                expired_ms
            );
            ch.conn.close();
        }
        expired.len()
    }

    /// Runs [`Self::scan_expired`] every `interval` until `shutdown`.
    pub async fn run_expiry_scan(&self, interval: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => { self.scan_expired(); }
            }
        }
    }

    /// Removes the channels `pred` selects from every group; notifies the
    /// consumer groups that lost members; returns the removed channels.
    fn remove_channels(&self, pred: impl Fn(u64, &Channel) -> bool) -> Vec<Channel> {
        let mut removed = Vec::new();
        let mut to_notify = Vec::new();
        {
            let mut consumers = self.consumers.write();
            consumers.retain(|group, g| {
                let before = removed.len();
                g.channels.retain(|&id, ch| {
                    let drop = pred(id, ch);
                    if drop {
                        removed.push(ch.clone());
                    }
                    !drop
                });
                if removed.len() != before && !g.channels.is_empty() {
                    to_notify.push((group.clone(), g.connections()));
                }
                !g.channels.is_empty()
            });
        }
        {
            let mut producers = self.producers.write();
            producers.retain(|_, channels| {
                channels.retain(|&id, ch| {
                    let drop = pred(id, ch);
                    if drop && !removed.iter().any(|r: &Channel| r.conn.id() == id) {
                        removed.push(ch.clone());
                    }
                    !drop
                });
                !channels.is_empty()
            });
        }
        if self.notify_enabled.load(Ordering::Relaxed) {
            for (group, members) in &to_notify {
                notify_ids_changed(group, members);
            }
        }
        removed
    }

    /// Client ids of the group's live consumers, sorted (GET_CONSUMER_LIST_BY_GROUP).
    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        let consumers = self.consumers.read();
        let mut ids: Vec<String> = consumers
            .get(group)
            .map(|g| {
                g.channels
                    .values()
                    .map(|c| c.info.client_id.clone())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The group's subscription to `topic` (the pull path's lookup when the
    /// request carries no subscription).
    pub fn subscription(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<Arc<RegisteredSubscription>, SubscriptionMiss> {
        let consumers = self.consumers.read();
        let g = consumers
            .get(group)
            .ok_or(SubscriptionMiss::GroupNotOnline)?;
        g.subscriptions
            .get(topic)
            .cloned()
            .ok_or(SubscriptionMiss::TopicNotSubscribed)
    }

    /// The group's message model, `None` when the group is not online.
    pub fn message_model(&self, group: &str) -> Option<MessageModel> {
        self.consumers.read().get(group).map(|g| g.message_model)
    }

    /// The group's connections and subscriptions (GET_CONSUMER_CONNECTION_LIST);
    /// `None` when the group is not online.
    pub fn consumer_connection(&self, group: &str) -> Option<ConsumerConnection> {
        let consumers = self.consumers.read();
        let g = consumers.get(group)?;
        let mut connection_set: Vec<ConnectionInfo> =
            g.channels.values().map(Channel::connection_info).collect();
        connection_set.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Some(ConsumerConnection {
            connection_set,
            consume_from_where: Some(g.consume_from_where),
            consume_type: Some(g.consume_type),
            message_model: Some(g.message_model),
            subscription_table: g
                .subscriptions
                .iter()
                .map(|(t, s)| (t.clone(), s.data.clone()))
                .collect::<BTreeMap<_, _>>(),
        })
    }

    /// The group's producer connections (GET_PRODUCER_CONNECTION_LIST);
    /// `None` when no producer of the group is connected.
    pub fn producer_connection(&self, group: &str) -> Option<ProducerConnection> {
        let producers = self.producers.read();
        let channels = producers.get(group)?;
        let mut connection_set: Vec<ConnectionInfo> =
            channels.values().map(Channel::connection_info).collect();
        connection_set.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Some(ProducerConnection { connection_set })
    }

    /// One live connection of producer `group` (transaction check-back).
    pub fn any_producer_connection(&self, group: &str) -> Option<Arc<Connection>> {
        let producers = self.producers.read();
        producers
            .get(group)?
            .values()
            .filter(|c| !c.conn.is_closed())
            .max_by_key(|c| c.last_update_ms)
            .map(|c| c.conn.clone())
    }

    /// The connections of consumer `group`.
    pub fn consumer_connections(&self, group: &str) -> Vec<Arc<Connection>> {
        self.consumers
            .read()
            .get(group)
            .map(ConsumerGroup::connections)
            .unwrap_or_default()
    }

    /// The connection of client `client_id` in consumer `group`.
    pub fn consumer_connection_of(&self, group: &str, client_id: &str) -> Option<Arc<Connection>> {
        let consumers = self.consumers.read();
        consumers
            .get(group)?
            .channels
            .values()
            .find(|c| c.info.client_id == client_id)
            .map(|c| c.conn.clone())
    }

    /// Online consumer groups, sorted.
    pub fn consumer_groups(&self) -> Vec<String> {
        let mut v: Vec<String> = self.consumers.read().keys().cloned().collect();
        v.sort();
        v
    }

    /// Online groups subscribing to `topic`.
    pub fn groups_subscribing(&self, topic: &str) -> BTreeSet<String> {
        self.consumers
            .read()
            .iter()
            .filter(|(_, g)| g.subscriptions.contains_key(topic))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Topics consumer `group` subscribes to (empty when offline).
    pub fn subscribed_topics(&self, group: &str) -> BTreeSet<String> {
        self.consumers
            .read()
            .get(group)
            .map(|g| g.subscriptions.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) to each member.
fn notify_ids_changed(group: &str, members: &[Arc<Connection>]) {
    if members.is_empty() {
        return;
    }
    let header = NotifyConsumerIdsChangedRequestHeader {
        consumer_group: group.to_owned(),
    };
    let cmd = RemotingCommand::request(request::NOTIFY_CONSUMER_IDS_CHANGED, &header);
    for conn in members {
        if let Err(e) = conn.send_oneway(cmd.clone()) {
            tracing::debug!(
                "notify consumer ids changed of {group} to {} failed: {e}",
                conn.peer_addr()
            );
        }
    }
}

#[cfg(test)]
#[path = "client_manager_tests.rs"]
mod tests;
