//! The running state of a push consumer ([`PushCore`]): subscriptions, the
//! process-queue table with one pull task per assigned queue, the offset
//! store, the consume services, and the rebalance that ties them together.
//!
//! Module map: `pull` (the per-queue pull loop), `concurrently` and
//! `orderly` (the two consume services), `lock` (broker queue locks for
//! orderly consumption).
//!
//! Invariants: a queue is in the table exactly while this member consumes
//! it and has exactly one pull task; a queue is dropped (pull stopped,
//! offset persisted, orderly lock released) before any newly allocated
//! queue is taken.

mod concurrently;
mod lock;
mod orderly;
mod pull;

pub(crate) use pull::filter_by_tag;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use protocol::body::ConsumerRunningInfo;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::consumer::allocate::AllocateMessageQueueStrategy;
use crate::consumer::hook::PushHook;
pub(crate) use crate::consumer::listener::MessageListener as Listener;
use crate::consumer::offset_store::OffsetStore;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::push_consumer::PushConsumerConfig;
use crate::consumer::rebalance::{self, epoch_ms, retry_topic};
use crate::consumer::subscription::TagExpression;
use crate::error::ClientError;
use crate::instance::{MQClientInstance, MessageModel, SubscriptionData};
use crate::message::{MessageExt, MessageQueue};

/// One subscribed topic: what heartbeats carry and the client-side filter.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    /// As sent to brokers.
    pub(crate) data: SubscriptionData,
    /// The parsed tag filter.
    pub(crate) expr: TagExpression,
}

impl Subscription {
    pub(crate) fn new(topic: &str, expr: TagExpression) -> Self {
        Subscription {
            data: SubscriptionData::new(topic, &expr.expression, epoch_ms()),
            expr,
        }
    }
}

struct QueueEntry {
    pq: Arc<ProcessQueue>,
    pull: JoinHandle<()>,
}

/// A started push consumer.
pub(crate) struct PushCore {
    pub(crate) group: String,
    pub(crate) cfg: PushConsumerConfig,
    instance: Arc<MQClientInstance>,
    pub(crate) offset_store: OffsetStore,
    subscriptions: RwLock<BTreeMap<String, Arc<Subscription>>>,
    table: Mutex<HashMap<MessageQueue, QueueEntry>>,
    pub(crate) listener: Listener,
    strategy: Arc<dyn AllocateMessageQueueStrategy>,
    /// One permit per listener call in progress (`consume_thread_max`).
    pub(crate) permits: Arc<Semaphore>,
    stopping: AtomicBool,
    paused: AtomicBool,
    consume_timestamp_ms: i64,
    background: Mutex<Vec<JoinHandle<()>>>,
    weak: Weak<PushCore>,
}

impl PushCore {
    /// Builds, registers and starts a push consumer.
    pub(crate) async fn start(
        group: String,
        cfg: PushConsumerConfig,
        topics: BTreeMap<String, TagExpression>,
        listener: Listener,
        strategy: Arc<dyn AllocateMessageQueueStrategy>,
    ) -> Result<Arc<PushCore>, ClientError> {
        let instance = MQClientInstance::get_or_create(&cfg.client).await?;
        let mut subs: BTreeMap<String, Arc<Subscription>> = topics
            .iter()
            .map(|(t, e)| (t.clone(), Arc::new(Subscription::new(t, e.clone()))))
            .collect();
        if cfg.message_model == MessageModel::Clustering {
            let retry = retry_topic(&group);
            let all = TagExpression::parse("*")
                .map_err(|e| ClientError::IllegalArgument(e.to_string()))?;
            subs.entry(retry.clone())
                .or_insert_with(|| Arc::new(Subscription::new(&retry, all)));
        }
        let offset_store = OffsetStore::open(
            cfg.message_model,
            &instance,
            &group,
            cfg.offset_store_dir.clone(),
        )
        .await?;
        let consume_timestamp_ms = cfg
            .consume_timestamp_ms
            .unwrap_or_else(|| epoch_ms() - 30 * 60 * 1000);
        let permits = Arc::new(Semaphore::new(cfg.consume_thread_max.max(1)));
        let core = Arc::new_cyclic(|weak| PushCore {
            group: group.clone(),
            cfg,
            instance: instance.clone(),
            offset_store,
            subscriptions: RwLock::new(subs),
            table: Mutex::new(HashMap::new()),
            listener,
            strategy,
            permits,
            stopping: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            consume_timestamp_ms,
            background: Mutex::new(Vec::new()),
            weak: weak.clone(),
        });
        let hook = Arc::new(PushHook::new(&core));
        instance.register_consumer(hook)?;
        let topics: Vec<String> = core.subscriptions.read().keys().cloned().collect();
        for topic in topics {
            if let Err(e) = instance.update_route(&topic).await {
                tracing::debug!(%topic, error = %e, "no route yet");
            }
        }
        instance.send_heartbeat_now().await;
        if core.is_orderly() && core.cfg.message_model == MessageModel::Clustering {
            core.spawn_lock_renewal();
        }
        instance.trigger_rebalance(&group);
        tracing::info!(group = %group, client_id = %instance.client_id(), "push consumer started");
        Ok(core)
    }

    /// The shared client instance.
    pub(crate) fn instance(&self) -> &Arc<MQClientInstance> {
        &self.instance
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    pub(crate) fn is_orderly(&self) -> bool {
        matches!(self.listener, Listener::Orderly(_))
    }

    pub(crate) fn is_clustering(&self) -> bool {
        self.cfg.message_model == MessageModel::Clustering
    }

    pub(crate) fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Release);
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    fn arc(&self) -> Option<Arc<PushCore>> {
        self.weak.upgrade()
    }

    /// Adds or replaces a subscription and tells the brokers.
    pub(crate) fn subscribe(&self, topic: &str, expr: TagExpression) {
        self.subscriptions
            .write()
            .insert(topic.to_owned(), Arc::new(Subscription::new(topic, expr)));
        self.announce_subscriptions();
    }

    /// Removes a subscription and tells the brokers.
    pub(crate) fn unsubscribe(&self, topic: &str) {
        self.subscriptions.write().remove(topic);
        self.announce_subscriptions();
    }

    fn announce_subscriptions(&self) {
        let instance = self.instance.clone();
        let group = self.group.clone();
        tokio::spawn(async move {
            instance.send_heartbeat_now().await;
            instance.trigger_rebalance(&group);
        });
    }

    /// The current subscription of `topic`.
    pub(crate) fn subscription(&self, topic: &str) -> Option<Arc<Subscription>> {
        self.subscriptions.read().get(topic).cloned()
    }

    /// What heartbeats announce.
    pub(crate) fn subscription_data(&self) -> Vec<SubscriptionData> {
        self.subscriptions
            .read()
            .values()
            .map(|s| s.data.clone())
            .collect()
    }

    /// The queues in the table.
    pub(crate) fn assigned_queues(&self) -> Vec<MessageQueue> {
        let mut v: Vec<_> = self.table.lock().keys().cloned().collect();
        v.sort();
        v
    }

    pub(crate) fn process_queue(&self, mq: &MessageQueue) -> Option<Arc<ProcessQueue>> {
        self.table.lock().get(mq).map(|e| e.pq.clone())
    }

    /// Process queues and settings for GET_CONSUMER_RUNNING_INFO.
    pub(crate) fn running_info(&self) -> ConsumerRunningInfo {
        let offsets = self.offset_store.clone_offset_table(None);
        let mut info = ConsumerRunningInfo::default();
        for (mq, e) in self.table.lock().iter() {
            let commit = offsets.get(mq).copied().unwrap_or(-1);
            info.mq_table.insert(mq.clone(), e.pq.info(commit));
        }
        let c = &self.cfg;
        let props: [(&str, String); 8] = [
            ("PROP_CONSUMEORDERLY", self.is_orderly().to_string()),
            ("PROP_CONSUME_TYPE", "CONSUME_PASSIVELY".to_owned()),
            (
                "PROP_THREADPOOL_CORE_SIZE",
                c.consume_thread_max.to_string(),
            ),
            ("consumeThreadMax", c.consume_thread_max.to_string()),
            ("pullBatchSize", c.pull_batch_size.to_string()),
            (
                "consumeMessageBatchMaxSize",
                c.consume_message_batch_max_size.to_string(),
            ),
            (
                "pullThresholdForQueue",
                c.pull_threshold_for_queue.to_string(),
            ),
            ("messageModel", c.message_model.to_string()),
        ];
        for (k, v) in props {
            info.properties
                .insert(k.to_owned(), serde_json::Value::String(v));
        }
        info
    }

    /// Recomputes the assignment of every subscribed topic and applies it.
    pub(crate) async fn rebalance(&self) {
        if self.is_stopping() {
            return;
        }
        let topics: Vec<String> = self.subscriptions.read().keys().cloned().collect();
        for topic in &topics {
            let target = rebalance::allocate_topic(
                &self.instance,
                &self.group,
                topic,
                self.cfg.message_model,
                &*self.strategy,
            )
            .await;
            match target {
                Ok(target) => self.apply_assignment(topic, &target).await,
                Err(e) => {
                    tracing::debug!(group = %self.group, %topic, error = %e, "rebalance skipped")
                }
            }
        }
        // Queues of topics no longer subscribed.
        let stale: Vec<MessageQueue> = self
            .table
            .lock()
            .keys()
            .filter(|mq| !topics.contains(&mq.topic))
            .cloned()
            .collect();
        for mq in stale {
            self.drop_queue(&mq).await;
        }
    }

    /// Makes `target` the set of consumed queues of `topic`: drops first,
    /// then takes (orderly: only queues whose broker lock it gets).
    async fn apply_assignment(&self, topic: &str, target: &BTreeSet<MessageQueue>) {
        let (mut to_drop, _) = {
            let table = self.table.lock();
            let current = table.keys().filter(|mq| mq.topic == topic);
            rebalance::diff(current, target)
        };
        // A queue whose pull loop died, or left dropped by an unfinished
        // earlier drop, is given up and taken afresh.
        let stale: Vec<MessageQueue> = self
            .table
            .lock()
            .iter()
            .filter(|(mq, e)| {
                mq.topic == topic
                    && target.contains(*mq)
                    && (e.pq.is_pull_expired() || e.pq.is_dropped())
            })
            .map(|(mq, _)| mq.clone())
            .collect();
        to_drop.extend(stale);
        for mq in &to_drop {
            self.drop_queue(mq).await;
        }
        // Taken only after every drop (and against what is left).
        let (_, to_take) = {
            let table = self.table.lock();
            let current = table.keys().filter(|mq| mq.topic == topic);
            rebalance::diff(current, target)
        };
        for mq in to_take {
            if self.is_stopping() {
                return;
            }
            self.take_queue(mq).await;
        }
        if !to_drop.is_empty() {
            tracing::info!(group = %self.group, %topic, dropped = to_drop.len(), now = target.len(), "rebalanced");
        }
    }

    /// Stops consuming `mq`: marks it dropped, stops its pull, persists its
    /// offset and (orderly) releases the broker lock once no listener call
    /// runs on it. Keeps it in the table if the orderly listener does not
    /// finish within 1 s (retried at the next rebalance).
    async fn drop_queue(&self, mq: &MessageQueue) {
        let Some(pq) = self.process_queue(mq) else {
            return;
        };
        pq.set_dropped();
        let orderly_lock = self.is_orderly() && self.is_clustering();
        let _consume_guard = if orderly_lock {
            match tokio::time::timeout(Duration::from_secs(1), pq.consume_lock().lock()).await {
                Ok(g) => Some(g),
                Err(_) => {
                    tracing::debug!(queue = %mq, "orderly listener still running; drop retried later");
                    return;
                }
            }
        } else {
            None
        };
        if let Err(e) = self.offset_store.persist(mq).await {
            tracing::warn!(queue = %mq, error = %e, "persisting offset of a dropped queue failed");
        }
        self.offset_store.remove_offset(mq);
        if orderly_lock {
            self.unlock(mq, true).await;
        }
        if let Some(e) = self.table.lock().remove(mq) {
            e.pull.abort();
        }
    }

    /// Starts consuming `mq` from its stored offset (or per
    /// `consume_from_where`).
    async fn take_queue(&self, mq: MessageQueue) {
        if self.is_orderly() && self.is_clustering() && !self.lock_one(&mq).await {
            return;
        }
        self.offset_store.remove_offset(&mq);
        let offset = rebalance::compute_pull_from_where(
            &self.instance,
            &self.offset_store,
            &mq,
            self.cfg.consume_from_where,
            self.consume_timestamp_ms,
        )
        .await;
        let offset = match offset {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(queue = %mq, error = %e, "cannot compute start offset; queue skipped");
                return;
            }
        };
        let Some(me) = self.arc() else { return };
        let pq = Arc::new(ProcessQueue::new());
        if self.is_orderly() && self.is_clustering() {
            pq.set_locked(true);
        }
        let mut table = self.table.lock();
        if table.contains_key(&mq) || self.is_stopping() {
            return;
        }
        tracing::debug!(group = %self.group, queue = %mq, offset, "queue taken");
        let pull = tokio::spawn(me.pull_loop(mq.clone(), pq.clone(), offset));
        table.insert(mq, QueueEntry { pq, pull });
    }

    /// Forgets `mq` without persisting (its offset moved; the store already
    /// holds the new one).
    pub(crate) fn forget_queue(&self, mq: &MessageQueue) {
        if let Some(e) = self.table.lock().remove(mq) {
            e.pq.set_dropped();
        }
    }

    /// Commits every consumed queue's offset (oneway, or waiting).
    pub(crate) async fn persist_offsets(&self, sync: bool) {
        let mqs = self.assigned_queues();
        self.offset_store.persist_all(&mqs, sync).await;
    }

    /// Restores the original topic of messages redelivered from the retry
    /// topic (Java `resetRetryAndNamespace`).
    pub(crate) fn reset_retry_topic(&self, msgs: &mut [MessageExt]) {
        let retry = retry_topic(&self.group);
        for m in msgs {
            if m.topic == retry {
                if let Some(t) = m.property(protocol::message::properties::RETRY_TOPIC) {
                    m.topic = t.to_owned();
                }
            }
        }
    }

    pub(crate) fn spawn_background(&self, task: JoinHandle<()>) {
        let mut bg = self.background.lock();
        bg.retain(|t| !t.is_finished());
        bg.push(task);
    }

    /// Graceful stop: no more pulls; wait (bounded) for listener calls in
    /// progress; commit offsets; release locks; leave the group.
    pub(crate) async fn shutdown(&self) {
        if self.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        for t in self.background.lock().drain(..) {
            t.abort();
        }
        for e in self.table.lock().values() {
            e.pull.abort();
        }
        let max = self.cfg.consume_thread_max.max(1) as u32;
        let waited = tokio::time::timeout(
            self.cfg.await_termination_when_shutdown,
            self.permits.acquire_many(max),
        )
        .await;
        if waited.is_err() {
            tracing::warn!(group = %self.group, "listener calls still running at shutdown; their offsets are not committed");
        }
        self.persist_offsets(true).await;
        if self.is_orderly() && self.is_clustering() {
            self.unlock_all().await;
        }
        for e in self.table.lock().values() {
            e.pq.set_dropped();
        }
        self.instance.unregister_consumer_wait(&self.group).await;
        self.table.lock().clear();
        tracing::info!(group = %self.group, "push consumer shut down");
    }
}
