//! [`DefaultLitePullConsumer`]: a polling consumer (Java's
//! `DefaultLitePullConsumer`, CLIENT-API.md §9). Background tasks keep each
//! assigned queue's messages prefetched; [`poll`](DefaultLitePullConsumer::poll)
//! hands them out. Queues come from the group's rebalance
//! ([`subscribe`](DefaultLitePullConsumer::subscribe)) or from the caller
//! ([`assign`](DefaultLitePullConsumer::assign)), never both.
//!
//! ```no_run
//! # async fn demo() -> Result<(), client::error::ClientError> {
//! use std::time::Duration;
//! use client::consumer::DefaultLitePullConsumer;
//! let mut consumer = DefaultLitePullConsumer::new("my_group");
//! consumer.set_namesrv_addr("127.0.0.1:9876");
//! consumer.subscribe("TopicTest", "*")?;
//! consumer.start().await?;
//! loop {
//!     let msgs = consumer.poll(Duration::from_secs(1)).await;
//!     if msgs.is_empty() { break; }
//!     for m in &msgs { println!("{}", m.queue_offset); }
//! }
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
use crate::consumer::lite::{Assignment, LiteCore};
use crate::consumer::subscription::TagExpression;
use crate::error::ClientError;
use crate::instance::{ConsumeFromWhere, MessageModel};
use crate::message::{MessageExt, MessageQueue};

/// Settings of a lite-pull consumer; the defaults are Java's.
#[derive(Debug, Clone)]
pub struct LitePullConsumerConfig {
    /// The consumer group (required).
    pub consumer_group: String,
    /// Settings shared with the client instance (NameServers, timeouts...).
    pub client: ClientConfig,
    /// CLUSTERING (offsets on the brokers) or BROADCASTING (local file).
    pub message_model: MessageModel,
    /// Where a group without a stored offset starts.
    pub consume_from_where: ConsumeFromWhere,
    /// Store time (ms) for `ConsumeFromTimestamp`; `None` = 30 min ago.
    pub consume_timestamp_ms: Option<i64>,
    /// Record polled messages as consumed automatically (true).
    pub auto_commit: bool,
    /// Period of the automatic commit, checked on each poll (5 s, at
    /// least 1 s).
    pub auto_commit_interval: Duration,
    /// Messages asked for per pull (10).
    pub pull_batch_size: i32,
    /// Prefetched messages over all queues before pulling pauses (10,000).
    pub pull_threshold_for_all: usize,
    /// Prefetched span of a queue before its pulling pauses (2000).
    pub consume_max_span: i64,
    /// Prefetched messages per queue before pulling pauses (1000).
    pub pull_threshold_for_queue: usize,
    /// Prefetched body bytes per queue before pulling pauses (100 MiB).
    pub pull_threshold_size_for_queue: u64,
    /// Timeout of [`DefaultLitePullConsumer::poll_default`] (5 s).
    pub poll_timeout: Duration,
    /// Long-poll hold time asked of the broker (20 s).
    pub broker_suspend_max_time: Duration,
    /// Pull RPC timeout while the broker holds the request (30 s).
    pub consumer_timeout_when_suspend: Duration,
    /// Directory of broadcasting offset files (`~/.rocketmq_offsets`).
    pub offset_store_dir: Option<std::path::PathBuf>,
}

impl LitePullConsumerConfig {
    /// Java's defaults for `group`.
    pub fn new(group: impl Into<String>) -> Self {
        LitePullConsumerConfig {
            consumer_group: group.into(),
            client: ClientConfig::default(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp_ms: None,
            auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            pull_batch_size: 10,
            pull_threshold_for_all: 10_000,
            consume_max_span: 2000,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100 * 1024 * 1024,
            poll_timeout: Duration::from_secs(5),
            broker_suspend_max_time: Duration::from_secs(20),
            consumer_timeout_when_suspend: Duration::from_secs(30),
            offset_store_dir: None,
        }
    }
}

/// A lite-pull consumer of one consumer group. All calls but
/// [`config_mut`](Self::config_mut) take `&self`, so it can be shared.
pub struct DefaultLitePullConsumer {
    config: LitePullConsumerConfig,
    assignment: Mutex<Assignment>,
    strategy: Mutex<Arc<dyn AllocateMessageQueueStrategy>>,
    core: Mutex<Option<Arc<LiteCore>>>,
}

impl std::fmt::Debug for DefaultLitePullConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultLitePullConsumer")
            .field("group", &self.config.consumer_group)
            .field("started", &self.core.lock().is_some())
            .finish()
    }
}

impl DefaultLitePullConsumer {
    /// A consumer of `group` with Java's defaults.
    pub fn new(group: impl Into<String>) -> Self {
        Self::with_config(LitePullConsumerConfig::new(group))
    }

    /// A consumer with the given settings.
    pub fn with_config(config: LitePullConsumerConfig) -> Self {
        DefaultLitePullConsumer {
            config,
            assignment: Mutex::new(Assignment::None),
            strategy: Mutex::new(Arc::new(AllocateMessageQueueAveragely)),
            core: Mutex::new(None),
        }
    }

    /// The settings.
    pub fn config(&self) -> &LitePullConsumerConfig {
        &self.config
    }

    /// The settings, to change before [`start`](Self::start).
    pub fn config_mut(&mut self) -> &mut LitePullConsumerConfig {
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

    /// Replaces the queue allocation strategy (default averagely); applies
    /// from the next start.
    pub fn set_allocate_message_queue_strategy(&self, strategy: impl AllocateMessageQueueStrategy) {
        *self.strategy.lock() = Arc::new(strategy);
    }

    fn apply(&self, assignment: Assignment) {
        *self.assignment.lock() = assignment.clone();
        if let Some(core) = self.core.lock().as_ref() {
            core.set_assignment(assignment);
        }
    }

    /// Subscribes to `topic` with a tag expression; queues come from the
    /// group's rebalance. Fails after [`assign`](Self::assign).
    pub fn subscribe(&self, topic: &str, expression: &str) -> Result<(), ClientError> {
        let expr = TagExpression::parse(expression)
            .map_err(|e| ClientError::IllegalArgument(e.to_string()))?;
        let topic = self.config.client.with_namespace(topic);
        let mut topics = match &*self.assignment.lock() {
            Assignment::Assign(_) => {
                return Err(ClientError::IllegalState(
                    "subscribe and assign are mutually exclusive".into(),
                ))
            }
            Assignment::Subscribe(t) => t.clone(),
            Assignment::None => BTreeMap::new(),
        };
        topics.insert(topic, expr);
        self.apply(Assignment::Subscribe(topics));
        Ok(())
    }

    /// Drops the subscription to `topic`.
    pub fn unsubscribe(&self, topic: &str) {
        let topic = self.config.client.with_namespace(topic);
        let current = self.assignment.lock().clone();
        if let Assignment::Subscribe(mut t) = current {
            t.remove(&topic);
            self.apply(Assignment::Subscribe(t));
        }
    }

    /// Consumes exactly `mqs` (no rebalance). Fails after
    /// [`subscribe`](Self::subscribe).
    pub fn assign(&self, mqs: impl IntoIterator<Item = MessageQueue>) -> Result<(), ClientError> {
        if matches!(&*self.assignment.lock(), Assignment::Subscribe(_)) {
            return Err(ClientError::IllegalState(
                "subscribe and assign are mutually exclusive".into(),
            ));
        }
        self.apply(Assignment::Assign(mqs.into_iter().collect()));
        Ok(())
    }

    /// Starts prefetching (and, when subscribed, joins the group's
    /// rebalance).
    pub async fn start(&self) -> Result<(), ClientError> {
        if self.core.lock().is_some() {
            return Err(ClientError::IllegalState(format!(
                "lite pull consumer {} already started",
                self.config.consumer_group
            )));
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
        let assignment = self.assignment.lock().clone();
        let strategy = self.strategy.lock().clone();
        let core = LiteCore::start(group, self.config.clone(), assignment, strategy).await?;
        install_core(&self.core, core, "lite pull consumer").await
    }

    /// Stops prefetching, commits (when auto-committing) and persists the
    /// offsets, and leaves the group.
    pub async fn shutdown(&self) {
        remove_core(&self.core).await;
    }

    fn core(&self) -> Result<Arc<LiteCore>, ClientError> {
        self.core
            .lock()
            .clone()
            .ok_or_else(|| ClientError::IllegalState("lite pull consumer not started".into()))
    }

    /// The next prefetched messages (of one queue, in order), waiting up to
    /// `timeout`; empty when none arrived in time or not started.
    pub async fn poll(&self, timeout: Duration) -> Vec<MessageExt> {
        match self.core() {
            Ok(core) => core.poll(timeout).await,
            Err(_) => Vec::new(),
        }
    }

    /// [`poll`](Self::poll) with the configured `poll_timeout`.
    pub async fn poll_default(&self) -> Vec<MessageExt> {
        self.poll(self.config.poll_timeout).await
    }

    /// Continues `mq` at `offset` (between its min and max offset):
    /// prefetched messages of the queue are discarded.
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<(), ClientError> {
        self.core()?.seek(mq, offset).await
    }

    /// Continues `mq` at its min offset.
    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        self.core()?.seek_to_edge(mq, true).await
    }

    /// Continues `mq` at its max offset (only new messages).
    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        self.core()?.seek_to_edge(mq, false).await
    }

    /// Stops prefetching `mqs` until resumed.
    pub fn pause(&self, mqs: &[MessageQueue]) {
        if let Ok(core) = self.core() {
            core.set_paused(mqs, true);
        }
    }

    /// Resumes prefetching `mqs`.
    pub fn resume(&self, mqs: &[MessageQueue]) {
        if let Ok(core) = self.core() {
            core.set_paused(mqs, false);
        }
    }

    /// Records everything polled so far as consumed and commits it to the
    /// brokers (or the local file), waiting for the answers.
    pub async fn commit_sync(&self) -> Result<(), ClientError> {
        self.core()?.commit_all(true).await;
        Ok(())
    }

    /// The committed offset of `mq` as stored by the broker (or file).
    pub async fn committed(&self, mq: &MessageQueue) -> Result<Option<i64>, ClientError> {
        self.core()?.committed(mq).await
    }

    /// The queues currently consumed.
    pub fn assignment(&self) -> Vec<MessageQueue> {
        self.core().map(|c| c.assigned_queues()).unwrap_or_default()
    }

    /// The readable queues of `topic`.
    pub async fn fetch_message_queues(
        &self,
        topic: &str,
    ) -> Result<Vec<MessageQueue>, ClientError> {
        self.core()?.instance().subscribe_queues(topic).await
    }

    /// The first offset of `mq` stored at or after `timestamp_ms`.
    pub async fn offset_for_timestamp(
        &self,
        mq: &MessageQueue,
        timestamp_ms: i64,
    ) -> Result<i64, ClientError> {
        crate::consumer::rebalance::search_offset(self.core()?.instance(), mq, timestamp_ms).await
    }
}

/// A consumer dropped while started leaves its group in the background
/// (the same steps as `shutdown`, not waited for).
impl Drop for DefaultLitePullConsumer {
    fn drop(&mut self) {
        if let Some(core) = self.core.get_mut().take() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { core.shutdown().await });
            }
        }
    }
}
