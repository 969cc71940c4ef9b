//! [`BrokerContext`]: the state every processor and service shares — config,
//! store, managers — built once at start by [`BrokerContext::open`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use protocol::message::UniqIdGenerator;
use store::MessageStore;

use crate::client_manager::ClientManager;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::lock_manager::QueueLockManager;
use crate::long_poll::PullHoldService;
use crate::offset_manager::ConsumerOffsetManager;
use crate::registration::NamesrvClient;
use crate::subscription_manager::SubscriptionGroupManager;
use crate::topic_manager::TopicConfigManager;

/// Everything a broker's processors and services share.
///
/// Invariants: `broker_addr` is `brokerIP1:listenPort` and `store_host` is
/// the same address parsed; neither changes while the broker runs (a config
/// update of those keys takes effect at the next start).
pub struct BrokerContext {
    /// Effective config; UPDATE_BROKER_CONFIG mutates it.
    pub config: RwLock<BrokerConfig>,
    /// The message store.
    pub store: Arc<MessageStore>,
    /// topics.json.
    pub topics: TopicConfigManager,
    /// subscriptionGroup.json.
    pub subscriptions: SubscriptionGroupManager,
    /// consumerOffset.json.
    pub offsets: ConsumerOffsetManager,
    /// Producer and consumer connections by group.
    pub clients: ClientManager,
    /// Orderly consumers' queue locks.
    pub locks: QueueLockManager,
    /// Held (long-polling) pulls.
    pub pull_hold: PullHoldService,
    /// Connections to the name servers.
    pub namesrv: NamesrvClient,
    /// `brokerIP1:listenPort`: what clients dial, stored as storeHost.
    pub broker_addr: String,
    /// `broker_addr` as a socket address.
    pub store_host: SocketAddr,
    /// UNIQ_KEY generator for messages that arrive without one.
    pub uniq_ids: UniqIdGenerator,
    /// Sends currently being processed (flow-control bound).
    pub sends_in_flight: AtomicUsize,
    shutting_down: AtomicBool,
}

impl std::fmt::Debug for BrokerContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerContext")
            .field("broker_addr", &self.broker_addr)
            .finish_non_exhaustive()
    }
}

impl BrokerContext {
    /// Opens the store and loads every manager from `storePathRootDir/config`.
    pub fn open(config: BrokerConfig) -> Result<Arc<Self>, BrokerError> {
        let dir = config.config_dir();
        std::fs::create_dir_all(&dir).map_err(|e| BrokerError::io(dir.display().to_string(), e))?;
        let store = MessageStore::open(config.store.clone())?;
        let topics = TopicConfigManager::load(&dir, &config)?;
        let subscriptions = SubscriptionGroupManager::load(&dir)?;
        subscriptions.set_auto_create(config.auto_create_subscription_group);
        let offsets = ConsumerOffsetManager::load(&dir)?;
        let store_host = config.store_host();
        let broker_addr = config.broker_addr();
        let uniq_ids = UniqIdGenerator::new(store_host.ip(), std::process::id(), 0);
        let ctx = Arc::new(BrokerContext {
            pull_hold: PullHoldService::new(),
            clients: ClientManager::new(),
            locks: QueueLockManager::new(),
            namesrv: NamesrvClient::new(),
            config: RwLock::new(config),
            store,
            topics,
            subscriptions,
            offsets,
            broker_addr,
            store_host,
            uniq_ids,
            sends_in_flight: AtomicUsize::new(0),
            shutting_down: AtomicBool::new(false),
        });
        Ok(ctx)
    }

    /// Marks the broker as stopping: new sends get SERVICE_NOT_AVAILABLE.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Whether the broker is stopping.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }

    /// The broker name (cheap accessor for hot paths' remarks and headers).
    pub fn broker_name(&self) -> String {
        self.config.read().broker_name.clone()
    }

    /// Persists every config file now (blocking; shutdown path).
    pub fn persist_all(&self) {
        if let Err(e) = self.topics.persist() {
            tracing::warn!(error = %e, "cannot persist topics.json");
        }
        if let Err(e) = self.subscriptions.persist() {
            tracing::warn!(error = %e, "cannot persist subscriptionGroup.json");
        }
        if let Err(e) = self.offsets.persist() {
            tracing::warn!(error = %e, "cannot persist consumerOffset.json");
        }
    }
}
