//! [`MQClientInstance`]: what every producer and consumer of one client id
//! shares (Java's `MQClientInstance`): connections, the route cache, the
//! heartbeats, the rebalance and offset-commit schedules, and the handler of
//! requests brokers send to the client.
//!
//! Module map: [`consumer_hook`] is the seam to the consumers; [`route`] the
//! route cache; `registry` the per-process instance table; `heartbeat`
//! heartbeats and unregistration; `processor` broker-initiated requests;
//! `tasks` the periodic jobs.

pub mod consumer_hook;
mod heartbeat;
mod processor;
mod registry;
pub mod route;
mod tasks;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use protocol::body::route::TopicRouteData;
use protocol::code::response;
use tokio_util::sync::CancellationToken;

pub use consumer_hook::ConsumerHook;
pub use protocol::body::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
pub use route::{RouteTable, TopicPublishInfo};

use crate::api::MQClientAPI;
use crate::config::ClientConfig;
use crate::error::ClientError;
use crate::message::MessageQueue;

/// The producer group every instance announces for its internal producer.
pub const CLIENT_INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";

/// The template topic producers auto-create topics from.
pub const DEFAULT_TOPIC: &str = "TBW102";

/// A registered consumer and the locks that keep its callbacks from
/// overlapping.
pub(crate) struct ConsumerEntry {
    pub(crate) hook: Arc<dyn ConsumerHook>,
    pub(crate) rebalance_lock: tokio::sync::Mutex<()>,
    pub(crate) persist_lock: tokio::sync::Mutex<()>,
}

/// One client instance per process and client id.
///
/// Invariants: consumer and producer groups are unique per instance; once
/// shut down (its last producer or consumer left, or
/// [`MQClientInstance::shutdown`]) it accepts no registrations and
/// [`MQClientInstance::get_or_create`] makes a new one.
pub struct MQClientInstance {
    client_id: String,
    config: ClientConfig,
    api: MQClientAPI,
    routes: RouteTable,
    producers: Mutex<BTreeSet<String>>,
    consumers: RwLock<HashMap<String, Arc<ConsumerEntry>>>,
    route_update: tokio::sync::Mutex<()>,
    heartbeat_lock: tokio::sync::Mutex<()>,
    rebalance_all: tokio::sync::Notify,
    cancel: CancellationToken,
    shut_down: AtomicBool,
}

impl std::fmt::Debug for MQClientInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MQClientInstance")
            .field("client_id", &self.client_id)
            .field("producers", &*self.producers.lock())
            .field(
                "consumers",
                &self.consumers.read().keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl MQClientInstance {
    /// The instance for `config`'s client id, created (and its periodic
    /// jobs started) when there is none. A default instance name is first
    /// replaced by `<pid>#<nanos>`, so such configs get a fresh instance.
    pub async fn get_or_create(
        config: &ClientConfig,
    ) -> Result<Arc<MQClientInstance>, ClientError> {
        let mut config = config.clone();
        config.resolve_instance_name();
        if config.namesrv_addrs().is_empty() {
            return Err(ClientError::NoNameServer);
        }
        Ok(registry::get_or_create(config))
    }

    fn new(config: ClientConfig) -> Arc<Self> {
        let client_id = config.client_id();
        Arc::new_cyclic(|weak| {
            let handler = Arc::new(processor::ClientProcessor::new(weak.clone()));
            MQClientInstance {
                api: MQClientAPI::new(config.clone(), Some(handler)),
                client_id,
                config,
                routes: RouteTable::default(),
                producers: Mutex::new(BTreeSet::new()),
                consumers: RwLock::new(HashMap::new()),
                route_update: tokio::sync::Mutex::new(()),
                heartbeat_lock: tokio::sync::Mutex::new(()),
                rebalance_all: tokio::sync::Notify::new(),
                cancel: CancellationToken::new(),
                shut_down: AtomicBool::new(false),
            }
        })
    }

    /// `clientIP@instanceName[@unitName]`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The config this instance runs with (instance name resolved).
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The typed RPCs, over this instance's connections.
    pub fn api(&self) -> &MQClientAPI {
        &self.api
    }

    /// The route cache.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// True once the instance has shut down.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    fn check_running(&self) -> Result<(), ClientError> {
        if self.is_shut_down() {
            return Err(ClientError::IllegalState(format!(
                "client instance {} is shut down; get a new one",
                self.client_id
            )));
        }
        Ok(())
    }

    /// Registers a consumer; its group must be unique on this instance.
    pub fn register_consumer(&self, hook: Arc<dyn ConsumerHook>) -> Result<(), ClientError> {
        self.check_running()?;
        let group = hook.group().to_owned();
        let mut consumers = self.consumers.write();
        if consumers.contains_key(&group) {
            return Err(ClientError::IllegalState(format!(
                "the consumer group {group} is already registered on {}",
                self.client_id
            )));
        }
        consumers.insert(
            group,
            Arc::new(ConsumerEntry {
                hook,
                rebalance_lock: tokio::sync::Mutex::new(()),
                persist_lock: tokio::sync::Mutex::new(()),
            }),
        );
        Ok(())
    }

    /// Removes a consumer and sends UNREGISTER_CLIENT for its group to every
    /// broker in the background; the instance shuts down when this was its
    /// last producer or consumer. See
    /// [`MQClientInstance::unregister_consumer_wait`] to wait for it.
    pub fn unregister_consumer(self: &Arc<Self>, group: &str) {
        if self.consumers.write().remove(group).is_none() {
            return;
        }
        let this = self.clone();
        let group = group.to_owned();
        tokio::spawn(async move {
            this.unregister_client(None, Some(&group)).await;
            this.shutdown_if_unused().await;
        });
    }

    /// Like [`MQClientInstance::unregister_consumer`], returning once the
    /// brokers were told (and the instance shut down if it was the last).
    pub async fn unregister_consumer_wait(&self, group: &str) {
        if self.consumers.write().remove(group).is_none() {
            return;
        }
        self.unregister_client(None, Some(group)).await;
        self.shutdown_if_unused().await;
    }

    /// Registers a producer group; it must be unique on this instance.
    pub fn register_producer(&self, group: &str) -> Result<(), ClientError> {
        self.check_running()?;
        if !self.producers.lock().insert(group.to_owned()) {
            return Err(ClientError::IllegalState(format!(
                "the producer group {group} is already registered on {}",
                self.client_id
            )));
        }
        Ok(())
    }

    /// Removes a producer group, tells every broker (UNREGISTER_CLIENT) and
    /// shuts the instance down when this was its last producer or consumer.
    pub async fn unregister_producer(&self, group: &str) {
        if !self.producers.lock().remove(group) {
            return;
        }
        self.unregister_client(Some(group), None).await;
        self.shutdown_if_unused().await;
    }

    /// Producer groups registered here.
    pub fn producer_groups(&self) -> Vec<String> {
        self.producers.lock().iter().cloned().collect()
    }

    /// The consumer of `group`, if registered here.
    pub fn consumer(&self, group: &str) -> Option<Arc<dyn ConsumerHook>> {
        self.consumers.read().get(group).map(|e| e.hook.clone())
    }

    pub(crate) fn consumer_entries(&self) -> Vec<Arc<ConsumerEntry>> {
        self.consumers.read().values().cloned().collect()
    }

    fn has_members(&self) -> bool {
        !self.producers.lock().is_empty() || !self.consumers.read().is_empty()
    }

    async fn shutdown_if_unused(&self) {
        if !self.has_members() {
            self.shutdown();
        }
    }

    /// Stops the periodic jobs, closes every connection and removes the
    /// instance from the process table. Idempotent.
    pub fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        self.cancel.cancel();
        registry::remove(&self.client_id, self);
        self.api.close_all();
        tracing::debug!(client_id = %self.client_id, "client instance shut down");
    }

    /// The route of `topic`: cached, or fetched from the NameServers (and
    /// then kept fresh every 30 s).
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData, ClientError> {
        if let Some(e) = self.routes.get(topic) {
            return Ok((*e.route).clone());
        }
        self.update_route(topic).await?;
        self.routes
            .get(topic)
            .map(|e| (*e.route).clone())
            .ok_or_else(|| ClientError::NoRoute(topic.to_owned()))
    }

    /// The readable queues of `topic`, sorted.
    pub async fn subscribe_queues(&self, topic: &str) -> Result<Vec<MessageQueue>, ClientError> {
        if self.routes.get(topic).is_none() {
            self.update_route(topic).await?;
        }
        match self.routes.get(topic) {
            Some(e) => Ok((*e.subscribe).clone()),
            None => Err(ClientError::NoRoute(topic.to_owned())),
        }
    }

    /// Fetches `topic`'s route from the NameServers into the cache; returns
    /// whether it changed.
    pub async fn update_route(&self, topic: &str) -> Result<bool, ClientError> {
        let _guard = self.route_update.lock().await;
        let route = self.api.get_topic_route(topic).await?;
        Ok(self.routes.put(topic, route, false))
    }

    /// The cached publish queues of `topic`, when usable (no NameServer
    /// call; the send path's fast path before [`Self::publish_info`]).
    pub fn cached_publish_info(&self, topic: &str) -> Option<Arc<TopicPublishInfo>> {
        self.routes.publish(topic).filter(|p| p.ok())
    }

    /// The publish queues of `topic` for a producer. A topic without a
    /// route yet gets `default_topic`'s route cut to `queue_nums` queues per
    /// broker, so the first send lets the broker auto-create it.
    pub async fn publish_info(
        &self,
        topic: &str,
        default_topic: &str,
        queue_nums: i32,
    ) -> Result<Arc<TopicPublishInfo>, ClientError> {
        if let Some(p) = self.routes.publish(topic) {
            if p.ok() {
                return Ok(p);
            }
        }
        let _guard = self.route_update.lock().await;
        if let Some(p) = self.routes.publish(topic) {
            if p.ok() {
                return Ok(p);
            }
        }
        match self.api.get_topic_route(topic).await {
            Ok(route) => {
                self.routes.put(topic, route, false);
            }
            Err(e) if is_no_route(&e) => {
                let default = self
                    .api
                    .get_topic_route(default_topic)
                    .await
                    .map_err(|de| {
                        tracing::debug!(topic, error = %de, "no default route either");
                        ClientError::NoRoute(topic.to_owned())
                    })?;
                let route = route::route_from_default(&default, queue_nums);
                self.routes.put(topic, route, true);
            }
            Err(e) => return Err(e),
        }
        self.routes
            .publish(topic)
            .filter(|p| p.ok())
            .ok_or_else(|| ClientError::NoRoute(topic.to_owned()))
    }

    /// An address of `broker_name`: the master when `prefer_master` and it
    /// is known, else any known address.
    pub async fn find_broker_addr(&self, broker_name: &str, prefer_master: bool) -> Option<String> {
        if prefer_master {
            if let Some(a) = self.routes.master_addr(broker_name) {
                return Some(a.to_string());
            }
        }
        self.routes
            .find_addr(broker_name, protocol::body::route::MASTER_ID, false)
            .map(|(a, _)| a)
    }

    /// The client ids of `group`'s live members, asked of a broker that
    /// serves `topic` (GET_CONSUMER_LIST_BY_GROUP).
    pub async fn consumer_ids(&self, group: &str, topic: &str) -> Result<Vec<String>, ClientError> {
        let route = self.topic_route(topic).await?;
        let mut last = ClientError::NoRoute(topic.to_owned());
        // Start at a random broker, as Java does, and try the others on failure.
        let n = route.broker_datas.len();
        let start = if n == 0 {
            0
        } else {
            rand::random::<usize>() % n
        };
        for i in 0..n {
            let bd = &route.broker_datas[(start + i) % n];
            let addr = bd
                .master_addr()
                .map(str::to_owned)
                .or_else(|| bd.broker_addrs.values().next().cloned());
            let Some(addr) = addr else { continue };
            match self.api.get_consumer_id_list(&addr, group).await {
                Ok(ids) => return Ok(ids),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Sends heartbeats to every broker now (and waits for them).
    pub async fn send_heartbeat_now(&self) {
        self.send_heartbeat_to_all().await;
    }

    /// Runs the rebalance of `group` soon, in the background (what
    /// NOTIFY_CONSUMER_IDS_CHANGED does).
    pub fn trigger_rebalance(&self, group: &str) {
        let Some(entry) = self.consumers.read().get(group).cloned() else {
            return;
        };
        tokio::spawn(async move {
            let _one_at_a_time = entry.rebalance_lock.lock().await;
            entry.hook.rebalance().await;
        });
    }

    /// Wakes the rebalance job: every consumer rebalances now.
    pub fn rebalance_all_now(&self) {
        self.rebalance_all.notify_one();
    }
}

/// True when `e` says the topic has no route (TOPIC_NOT_EXIST or an empty
/// route).
pub(crate) fn is_no_route(e: &ClientError) -> bool {
    matches!(e, ClientError::NoRoute(_)) || e.response_code() == Some(response::TOPIC_NOT_EXIST)
}
