//! [`DefaultMQPushConsumer`]: the consumer that pulls for you and calls your
//! listener (Java's `DefaultMQPushConsumer`, CLIENT-API.md §7).
//!
//! ```no_run
//! # async fn demo() -> Result<(), client::error::ClientError> {
//! use client::consumer::{ConsumeConcurrentlyStatus, DefaultMQPushConsumer};
//! let mut consumer = DefaultMQPushConsumer::new("my_group");
//! consumer.set_namesrv_addr("127.0.0.1:9876");
//! consumer.subscribe("TopicTest", "TagA || TagB")?;
//! consumer.register_message_listener_concurrently(|msgs, _ctx| {
//!     for m in msgs {
//!         println!("{} {:?}", m.queue_offset, m.body);
//!     }
//!     ConsumeConcurrentlyStatus::ConsumeSuccess
//! });
//! consumer.start().await?;
//! // ...
//! consumer.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::config::ClientConfig;
use crate::consumer::allocate::{AllocateMessageQueueAveragely, AllocateMessageQueueStrategy};
use crate::consumer::hook::{install_core, remove_core};
use crate::consumer::listener::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, MessageListener,
};
use crate::consumer::push::PushCore;
use crate::consumer::subscription::TagExpression;
use crate::error::ClientError;
use crate::instance::{ConsumeFromWhere, MessageModel};
use crate::message::{MessageExt, MessageQueue};

/// Settings of a push consumer (Java's `DefaultMQPushConsumer`
/// properties); the defaults are Java's.
#[derive(Debug, Clone)]
pub struct PushConsumerConfig {
    /// The consumer group (required).
    pub consumer_group: String,
    /// Settings shared with the client instance (NameServers, timeouts...).
    pub client: ClientConfig,
    /// CLUSTERING (each message to one member) or BROADCASTING (to all).
    pub message_model: MessageModel,
    /// Where a group without a stored offset starts.
    pub consume_from_where: ConsumeFromWhere,
    /// Store time (ms since the epoch) for `ConsumeFromTimestamp`; `None`
    /// means half an hour before start, as Java.
    pub consume_timestamp_ms: Option<i64>,
    /// Lower bound of consume concurrency (kept for Java parity; the bound
    /// that applies is `consume_thread_max`).
    pub consume_thread_min: usize,
    /// Most listener calls running at once (20).
    pub consume_thread_max: usize,
    /// Stop pulling a queue while its cached span exceeds this (2000).
    pub consume_concurrently_max_span: i64,
    /// Cached messages per queue before pulling pauses (1000).
    pub pull_threshold_for_queue: usize,
    /// Cached body bytes per queue before pulling pauses (100 MiB).
    pub pull_threshold_size_for_queue: u64,
    /// Pause between pulls of a queue (0).
    pub pull_interval: Duration,
    /// Messages asked for per pull (32).
    pub pull_batch_size: i32,
    /// Bytes asked for per pull (256 KiB, 5.x `maxMsgBytes`).
    pub pull_batch_size_in_bytes: i32,
    /// Messages per listener call (1).
    pub consume_message_batch_max_size: usize,
    /// Send the subscription in every pull (false: the broker uses the
    /// heartbeat's).
    pub post_subscription_when_pull: bool,
    /// Deliveries before a message goes to the DLQ; -1 = 16 concurrently,
    /// unlimited orderly.
    pub max_reconsume_times: i32,
    /// Pause of an orderly queue after `SuspendCurrentQueueAMoment` (1 s).
    pub suspend_current_queue_time: Duration,
    /// How long shutdown waits for listener calls in progress (5 s).
    pub await_termination_when_shutdown: Duration,
    /// Long-poll hold time asked of the broker (15 s).
    pub broker_suspend_max_time: Duration,
    /// Pull RPC timeout while the broker holds the request (30 s).
    pub consumer_timeout_when_suspend: Duration,
    /// Directory of broadcasting offset files (`~/.rocketmq_offsets`).
    pub offset_store_dir: Option<std::path::PathBuf>,
}

impl PushConsumerConfig {
    /// Java's defaults for `group`.
    pub fn new(group: impl Into<String>) -> Self {
        PushConsumerConfig {
            consumer_group: group.into(),
            client: ClientConfig::default(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp_ms: None,
            consume_thread_min: 20,
            consume_thread_max: 20,
            consume_concurrently_max_span: 2000,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100 * 1024 * 1024,
            pull_interval: Duration::ZERO,
            pull_batch_size: 32,
            pull_batch_size_in_bytes: 256 * 1024,
            consume_message_batch_max_size: 1,
            post_subscription_when_pull: false,
            max_reconsume_times: -1,
            suspend_current_queue_time: Duration::from_secs(1),
            await_termination_when_shutdown: Duration::from_secs(5),
            broker_suspend_max_time: Duration::from_secs(15),
            consumer_timeout_when_suspend: Duration::from_secs(30),
            offset_store_dir: None,
        }
    }
}

/// What is set up before start: subscriptions, listener, strategy.
struct Setup {
    subscriptions: BTreeMap<String, TagExpression>,
    listener: Option<MessageListener>,
    strategy: Arc<dyn AllocateMessageQueueStrategy>,
}

/// A push consumer of one consumer group.
///
/// Lifecycle: configure ([`config_mut`](Self::config_mut),
/// [`subscribe`](Self::subscribe), one listener), [`start`](Self::start),
/// [`shutdown`](Self::shutdown). All calls but `config_mut` take `&self`,
/// so the consumer can be shared (`Arc`). Settings changed after `start`
/// apply from the next start; subscriptions apply at once.
pub struct DefaultMQPushConsumer {
    config: PushConsumerConfig,
    setup: Mutex<Setup>,
    core: Mutex<Option<Arc<PushCore>>>,
}

impl std::fmt::Debug for DefaultMQPushConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultMQPushConsumer")
            .field("group", &self.config.consumer_group)
            .field("started", &self.core.lock().is_some())
            .finish()
    }
}

impl DefaultMQPushConsumer {
    /// A consumer of `group` with Java's defaults.
    pub fn new(group: impl Into<String>) -> Self {
        Self::with_config(PushConsumerConfig::new(group))
    }

    /// A consumer with the given settings.
    pub fn with_config(config: PushConsumerConfig) -> Self {
        DefaultMQPushConsumer {
            config,
            setup: Mutex::new(Setup {
                subscriptions: BTreeMap::new(),
                listener: None,
                strategy: Arc::new(AllocateMessageQueueAveragely),
            }),
            core: Mutex::new(None),
        }
    }

    /// The settings.
    pub fn config(&self) -> &PushConsumerConfig {
        &self.config
    }

    /// The settings, to change before [`start`](Self::start).
    pub fn config_mut(&mut self) -> &mut PushConsumerConfig {
        &mut self.config
    }

    /// The consumer group.
    pub fn consumer_group(&self) -> &str {
        &self.config.consumer_group
    }

    /// Sets the NameServer list (`host:port;host:port`).
    pub fn set_namesrv_addr(&mut self, addr: impl Into<String>) {
        self.config.client.namesrv_addr = Some(addr.into());
    }

    /// Sets CLUSTERING or BROADCASTING.
    pub fn set_message_model(&mut self, model: MessageModel) {
        self.config.message_model = model;
    }

    /// Sets where a group without a stored offset starts.
    pub fn set_consume_from_where(&mut self, from: ConsumeFromWhere) {
        self.config.consume_from_where = from;
    }

    /// Replaces the queue allocation strategy (default averagely); applies
    /// from the next start.
    pub fn set_allocate_message_queue_strategy(&self, strategy: impl AllocateMessageQueueStrategy) {
        self.setup.lock().strategy = Arc::new(strategy);
    }

    /// Subscribes to `topic` with a tag expression (`*`, `TagA`,
    /// `TagA || TagB`); replaces an earlier subscription to the topic.
    /// After `start` the brokers learn it at once (heartbeat).
    pub fn subscribe(&self, topic: &str, expression: &str) -> Result<(), ClientError> {
        let expr = TagExpression::parse(expression)
            .map_err(|e| ClientError::IllegalArgument(e.to_string()))?;
        let topic = self.config.client.with_namespace(topic);
        if let Some(core) = self.core.lock().as_ref() {
            core.subscribe(&topic, expr.clone());
        }
        self.setup.lock().subscriptions.insert(topic, expr);
        Ok(())
    }

    /// Drops the subscription to `topic`.
    pub fn unsubscribe(&self, topic: &str) {
        let topic = self.config.client.with_namespace(topic);
        if let Some(core) = self.core.lock().as_ref() {
            core.unsubscribe(&topic);
        }
        self.setup.lock().subscriptions.remove(&topic);
    }

    /// Sets a concurrent listener (replacing any other listener).
    pub fn register_message_listener_concurrently<F>(&self, listener: F)
    where
        F: Fn(&[MessageExt], &mut ConsumeConcurrentlyContext) -> ConsumeConcurrentlyStatus
            + Send
            + Sync
            + 'static,
    {
        self.register_message_listener(MessageListener::Concurrently(Arc::new(listener)));
    }

    /// Sets an orderly listener (replacing any other listener): each queue
    /// is consumed by one task at a time, in order, under a broker lock.
    pub fn register_message_listener_orderly<F>(&self, listener: F)
    where
        F: Fn(&[MessageExt], &mut ConsumeOrderlyContext) -> ConsumeOrderlyStatus
            + Send
            + Sync
            + 'static,
    {
        self.register_message_listener(MessageListener::Orderly(Arc::new(listener)));
    }

    /// Sets a listener of either kind, e.g. a type implementing
    /// [`MessageListenerConcurrently`](crate::consumer::MessageListenerConcurrently).
    pub fn register_message_listener(&self, listener: MessageListener) {
        self.setup.lock().listener = Some(listener);
    }

    /// Joins the group: registers with the shared client instance, sends a
    /// heartbeat, rebalances and starts pulling.
    pub async fn start(&self) -> Result<(), ClientError> {
        if self.core.lock().is_some() {
            return Err(ClientError::IllegalState(format!(
                "push consumer {} already started",
                self.config.consumer_group
            )));
        }
        let (subscriptions, listener, strategy) = {
            let setup = self.setup.lock();
            (
                setup.subscriptions.clone(),
                setup.listener.clone(),
                setup.strategy.clone(),
            )
        };
        let Some(listener) = listener else {
            return Err(ClientError::IllegalState(
                "register a message listener before start".into(),
            ));
        };
        if subscriptions.is_empty() {
            return Err(ClientError::IllegalState(
                "subscribe to at least one topic before start".into(),
            ));
        }
        if self.config.consumer_group.trim().is_empty() {
            return Err(ClientError::IllegalArgument(
                "consumer group is blank".into(),
            ));
        }
        let group = self
            .config
            .client
            .with_namespace(&self.config.consumer_group);
        let core = PushCore::start(
            group,
            self.config.clone(),
            subscriptions,
            listener,
            strategy,
        )
        .await?;
        install_core(&self.core, core, "push consumer").await
    }

    /// Leaves the group: stops pulling, waits (bounded) for listener calls
    /// in progress, commits offsets, releases orderly locks and unregisters.
    pub async fn shutdown(&self) {
        remove_core(&self.core).await;
    }

    /// Stops pulling until [`resume`](Self::resume) (cached messages are
    /// still consumed).
    pub fn suspend(&self) {
        if let Some(core) = self.core.lock().as_ref() {
            core.set_paused(true);
        }
    }

    /// Resumes pulling after [`suspend`](Self::suspend).
    pub fn resume(&self) {
        if let Some(core) = self.core.lock().as_ref() {
            core.set_paused(false);
        }
    }

    /// The queues this member currently consumes (empty when not started).
    pub fn assigned_queues(&self) -> Vec<MessageQueue> {
        self.core
            .lock()
            .as_ref()
            .map(|c| c.assigned_queues())
            .unwrap_or_default()
    }

    fn core(&self) -> Result<Arc<PushCore>, ClientError> {
        self.core
            .lock()
            .clone()
            .ok_or_else(|| ClientError::IllegalState("push consumer not started".into()))
    }

    /// The readable queues of `topic` (Java `fetchSubscribeMessageQueues`).
    pub async fn fetch_subscribe_message_queues(
        &self,
        topic: &str,
    ) -> Result<Vec<MessageQueue>, ClientError> {
        self.core()?.instance().subscribe_queues(topic).await
    }

    /// The client id this consumer is registered under (after start).
    pub fn client_id(&self) -> Option<String> {
        self.core
            .lock()
            .as_ref()
            .map(|c| c.instance().client_id().to_owned())
    }
}

/// A consumer dropped while started leaves its group in the background
/// (the same steps as `shutdown`, not waited for).
impl Drop for DefaultMQPushConsumer {
    fn drop(&mut self) {
        if let Some(core) = self.core.get_mut().take() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { core.shutdown().await });
            }
        }
    }
}
