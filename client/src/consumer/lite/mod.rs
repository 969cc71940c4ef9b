//! The running state of a lite-pull consumer ([`LiteCore`]): the assigned
//! queues, one prefetch task per queue, and the cache `poll` drains.
//!
//! Invariants: a cached batch is handed out only if its queue is still
//! assigned and was not sought since the batch was pulled (a per-queue
//! generation, bumped by seek and checked under the queue's lock); the
//! consume offset of a queue is the offset after the last message polled.

mod pull;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use protocol::body::ConsumerRunningInfo;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::consumer::allocate::AllocateMessageQueueStrategy;
use crate::consumer::hook::LiteHook;
use crate::consumer::lite_pull_consumer::LitePullConsumerConfig;
use crate::consumer::offset_store::{OffsetStore, ReadOffsetType};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::push::Subscription;
use crate::consumer::rebalance::{self, epoch_ms};
use crate::consumer::subscription::TagExpression;
use crate::error::ClientError;
use crate::instance::{MQClientInstance, MessageModel, SubscriptionData};
use crate::message::{MessageExt, MessageQueue};

/// How the consumer gets its queues.
#[derive(Debug, Clone, Default)]
pub(crate) enum Assignment {
    /// Nothing yet.
    #[default]
    None,
    /// Subscribed topics (tag expressions); queues from the rebalance.
    Subscribe(BTreeMap<String, TagExpression>),
    /// Exactly these queues.
    Assign(BTreeSet<MessageQueue>),
}

/// Per-queue state shared by the prefetch task, `poll` and `seek`.
#[derive(Debug)]
pub(crate) struct QueueState {
    pub(crate) generation: u64,
    pub(crate) paused: bool,
    /// Offset after the last polled message; -1 before the first poll.
    pub(crate) consume_offset: i64,
}

struct LiteQueue {
    pq: Arc<ProcessQueue>,
    state: Arc<Mutex<QueueState>>,
    task: JoinHandle<()>,
}

/// A prefetched batch waiting for `poll`.
struct Prefetched {
    mq: MessageQueue,
    generation: u64,
    msgs: Vec<MessageExt>,
}

/// A started lite-pull consumer.
pub(crate) struct LiteCore {
    pub(crate) group: String,
    pub(crate) cfg: LitePullConsumerConfig,
    instance: Arc<MQClientInstance>,
    offset_store: OffsetStore,
    strategy: Arc<dyn AllocateMessageQueueStrategy>,
    assignment: Mutex<Assignment>,
    subscriptions: Mutex<BTreeMap<String, Arc<Subscription>>>,
    queues: Mutex<HashMap<MessageQueue, LiteQueue>>,
    paused: Mutex<HashSet<MessageQueue>>,
    cache: Mutex<VecDeque<Prefetched>>,
    cache_notify: Notify,
    cached_msgs: AtomicUsize,
    last_commit: Mutex<Instant>,
    /// Serializes assignment changes (rebalance, assign).
    reassign: tokio::sync::Mutex<()>,
    stopping: AtomicBool,
    consume_timestamp_ms: i64,
    weak: Weak<LiteCore>,
}

impl LiteCore {
    pub(crate) async fn start(
        group: String,
        cfg: LitePullConsumerConfig,
        assignment: Assignment,
        strategy: Arc<dyn AllocateMessageQueueStrategy>,
    ) -> Result<Arc<LiteCore>, ClientError> {
        let instance = MQClientInstance::get_or_create(&cfg.client).await?;
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
        let core = Arc::new_cyclic(|weak| LiteCore {
            group: group.clone(),
            cfg,
            instance: instance.clone(),
            offset_store,
            strategy,
            assignment: Mutex::new(Assignment::None),
            subscriptions: Mutex::new(BTreeMap::new()),
            queues: Mutex::new(HashMap::new()),
            paused: Mutex::new(HashSet::new()),
            cache: Mutex::new(VecDeque::new()),
            cache_notify: Notify::new(),
            cached_msgs: AtomicUsize::new(0),
            last_commit: Mutex::new(Instant::now()),
            reassign: tokio::sync::Mutex::new(()),
            stopping: AtomicBool::new(false),
            consume_timestamp_ms,
            weak: weak.clone(),
        });
        instance.register_consumer(Arc::new(LiteHook::new(&core)))?;
        core.set_assignment(assignment);
        instance.send_heartbeat_now().await;
        core.rebalance().await;
        tracing::info!(group = %group, client_id = %instance.client_id(), "lite pull consumer started");
        Ok(core)
    }

    pub(crate) fn instance(&self) -> &Arc<MQClientInstance> {
        &self.instance
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Replaces how queues are obtained and applies it (in the background).
    pub(crate) fn set_assignment(&self, assignment: Assignment) {
        let subs = match &assignment {
            Assignment::Subscribe(topics) => topics
                .iter()
                .map(|(t, e)| (t.clone(), Arc::new(Subscription::new(t, e.clone()))))
                .collect(),
            _ => BTreeMap::new(),
        };
        *self.subscriptions.lock() = subs;
        *self.assignment.lock() = assignment;
        if let Some(me) = self.weak.upgrade() {
            tokio::spawn(async move {
                me.instance.send_heartbeat_now().await;
                me.rebalance().await;
            });
        }
    }

    pub(crate) fn subscription_data(&self) -> Vec<SubscriptionData> {
        self.subscriptions
            .lock()
            .values()
            .map(|s| s.data.clone())
            .collect()
    }

    /// The subscription used to filter `topic` (`*` for assigned queues).
    pub(crate) fn subscription(&self, topic: &str) -> Arc<Subscription> {
        if let Some(s) = self.subscriptions.lock().get(topic) {
            return s.clone();
        }
        let all = TagExpression {
            expression: "*".into(),
            tags: Vec::new(),
            codes: Vec::new(),
        };
        Arc::new(Subscription::new(topic, all))
    }

    pub(crate) fn assigned_queues(&self) -> Vec<MessageQueue> {
        let mut v: Vec<_> = self.queues.lock().keys().cloned().collect();
        v.sort();
        v
    }

    /// Applies the current assignment: rebalances subscribed topics, or
    /// takes exactly the assigned queues.
    pub(crate) async fn rebalance(&self) {
        if self.is_stopping() {
            return;
        }
        let _one = self.reassign.lock().await;
        let assignment = self.assignment.lock().clone();
        let target: BTreeSet<MessageQueue> = match assignment {
            Assignment::None => BTreeSet::new(),
            Assignment::Assign(mqs) => mqs,
            Assignment::Subscribe(topics) => {
                let mut all = BTreeSet::new();
                for topic in topics.keys() {
                    match rebalance::allocate_topic(
                        &self.instance,
                        &self.group,
                        topic,
                        self.cfg.message_model,
                        &*self.strategy,
                    )
                    .await
                    {
                        Ok(mqs) => all.extend(mqs),
                        Err(e) => {
                            tracing::debug!(group = %self.group, %topic, error = %e, "rebalance skipped");
                            // Keep what we have of this topic.
                            all.extend(
                                self.queues
                                    .lock()
                                    .keys()
                                    .filter(|mq| &mq.topic == topic)
                                    .cloned(),
                            );
                        }
                    }
                }
                all
            }
        };
        let (to_drop, to_take) = {
            let queues = self.queues.lock();
            rebalance::diff(queues.keys(), &target)
        };
        for mq in to_drop {
            self.drop_queue(&mq).await;
        }
        for mq in to_take {
            self.take_queue(mq);
        }
    }

    async fn drop_queue(&self, mq: &MessageQueue) {
        let Some(q) = self.queues.lock().remove(mq) else {
            return;
        };
        q.pq.set_dropped();
        q.task.abort();
        self.discard_cached(mq);
        let consumed = q.state.lock().consume_offset;
        if self.cfg.auto_commit && consumed >= 0 {
            self.offset_store.update_offset(mq, consumed, false);
        }
        if let Err(e) = self.offset_store.persist(mq).await {
            tracing::warn!(queue = %mq, error = %e, "persisting offset of a dropped queue failed");
        }
        self.offset_store.remove_offset(mq);
    }

    fn take_queue(&self, mq: MessageQueue) {
        let Some(me) = self.weak.upgrade() else {
            return;
        };
        let pq = Arc::new(ProcessQueue::new());
        let state = Arc::new(Mutex::new(QueueState {
            generation: 0,
            paused: self.paused.lock().contains(&mq),
            consume_offset: -1,
        }));
        let task = tokio::spawn(me.prefetch_loop(mq.clone(), pq.clone(), state.clone(), 0, None));
        self.queues.lock().insert(mq, LiteQueue { pq, state, task });
    }

    /// Removes cached batches of `mq`; returns how many messages went.
    fn discard_cached(&self, mq: &MessageQueue) -> usize {
        let mut cache = self.cache.lock();
        let mut n = 0;
        cache.retain(|p| {
            let keep = &p.mq != mq;
            if !keep {
                n += p.msgs.len();
            }
            keep
        });
        drop(cache);
        self.cached_msgs.fetch_sub(n, Ordering::AcqRel);
        n
    }

    /// Queues a prefetched batch if `generation` is still the queue's.
    pub(crate) fn offer(
        &self,
        mq: &MessageQueue,
        state: &Mutex<QueueState>,
        generation: u64,
        pq: &ProcessQueue,
        msgs: Vec<MessageExt>,
    ) {
        let st = state.lock();
        if st.generation != generation || pq.is_dropped() {
            return;
        }
        pq.put_offsets(&msgs);
        self.cached_msgs.fetch_add(msgs.len(), Ordering::AcqRel);
        self.cache.lock().push_back(Prefetched {
            mq: mq.clone(),
            generation,
            msgs,
        });
        drop(st);
        self.cache_notify.notify_one();
    }

    pub(crate) fn cached_msgs(&self) -> usize {
        self.cached_msgs.load(Ordering::Acquire)
    }

    /// Prefetch queues and settings for GET_CONSUMER_RUNNING_INFO.
    pub(crate) fn running_info(&self) -> ConsumerRunningInfo {
        let mut info = ConsumerRunningInfo::default();
        for (mq, q) in self.queues.lock().iter() {
            let consumed = q.state.lock().consume_offset;
            info.mq_table.insert(mq.clone(), q.pq.info(consumed));
        }
        let c = &self.cfg;
        let props: [(&str, String); 5] = [
            ("PROP_CONSUMEORDERLY", "false".to_owned()),
            ("PROP_CONSUME_TYPE", "CONSUME_ACTIVELY".to_owned()),
            ("autoCommit", c.auto_commit.to_string()),
            ("pullBatchSize", c.pull_batch_size.to_string()),
            ("messageModel", c.message_model.to_string()),
        ];
        for (k, v) in props {
            info.properties
                .insert(k.to_owned(), serde_json::Value::String(v));
        }
        info
    }

    pub(crate) async fn poll(&self, timeout: Duration) -> Vec<MessageExt> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.is_stopping() {
                return Vec::new();
            }
            self.maybe_auto_commit().await;
            let notified = self.cache_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            loop {
                // Pop before anything else is locked (lock order: state, cache).
                let next = self.cache.lock().pop_front();
                let Some(p) = next else { break };
                self.cached_msgs.fetch_sub(p.msgs.len(), Ordering::AcqRel);
                if let Some(msgs) = self.accept(p) {
                    return msgs;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Vec::new();
            }
        }
    }

    /// Marks a batch as consumed if it is still current.
    fn accept(&self, p: Prefetched) -> Option<Vec<MessageExt>> {
        let queues = self.queues.lock();
        let q = queues.get(&p.mq)?;
        let mut st = q.state.lock();
        if st.generation != p.generation || q.pq.is_dropped() {
            return None;
        }
        let offset = q.pq.remove_messages(p.msgs.iter().map(|m| m.queue_offset));
        if offset >= 0 {
            st.consume_offset = offset;
        }
        Some(p.msgs)
    }

    async fn maybe_auto_commit(&self) {
        if !self.cfg.auto_commit {
            return;
        }
        let due = {
            let mut last = self.last_commit.lock();
            if last.elapsed() >= self.cfg.auto_commit_interval.max(Duration::from_secs(1)) {
                *last = Instant::now();
                true
            } else {
                false
            }
        };
        if due {
            self.commit_all(false).await;
        }
    }

    /// Records the polled offsets in the offset store; with `persist` also
    /// commits them (waiting), otherwise the instance's 5 s job does.
    pub(crate) async fn commit_all(&self, persist: bool) {
        let offsets: Vec<(MessageQueue, i64)> = self
            .queues
            .lock()
            .iter()
            .filter(|(_, q)| !q.pq.is_dropped())
            .map(|(mq, q)| (mq.clone(), q.state.lock().consume_offset))
            .filter(|(_, o)| *o >= 0)
            .collect();
        for (mq, off) in &offsets {
            self.offset_store.update_offset(mq, *off, false);
        }
        if persist || self.cfg.message_model == MessageModel::Broadcasting {
            let mqs = self.assigned_queues();
            self.offset_store.persist_all(&mqs, persist).await;
        }
    }

    pub(crate) async fn persist_offsets(&self, sync: bool) {
        let mqs = self.assigned_queues();
        self.offset_store.persist_all(&mqs, sync).await;
    }

    pub(crate) async fn committed(&self, mq: &MessageQueue) -> Result<Option<i64>, ClientError> {
        self.offset_store
            .read_offset(mq, ReadOffsetType::ReadFromStore)
            .await
    }

    /// Restarts `mq`'s prefetch at `offset` after checking the bounds.
    pub(crate) async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<(), ClientError> {
        if !self.queues.lock().contains_key(mq) {
            return Err(ClientError::IllegalState(format!("{mq} is not assigned")));
        }
        let min = rebalance::min_offset(&self.instance, mq).await?;
        let max = rebalance::max_offset(&self.instance, mq).await?;
        if offset < min || offset > max {
            return Err(ClientError::IllegalArgument(format!(
                "seek offset {offset} outside [{min}, {max}] of {mq}"
            )));
        }
        self.restart_at(mq, offset)
    }

    pub(crate) async fn seek_to_edge(
        &self,
        mq: &MessageQueue,
        begin: bool,
    ) -> Result<(), ClientError> {
        if !self.queues.lock().contains_key(mq) {
            return Err(ClientError::IllegalState(format!("{mq} is not assigned")));
        }
        let offset = if begin {
            rebalance::min_offset(&self.instance, mq).await?
        } else {
            rebalance::max_offset(&self.instance, mq).await?
        };
        self.restart_at(mq, offset)
    }

    fn restart_at(&self, mq: &MessageQueue, offset: i64) -> Result<(), ClientError> {
        let Some(me) = self.weak.upgrade() else {
            return Err(ClientError::IllegalState("consumer stopped".into()));
        };
        let mut queues = self.queues.lock();
        let Some(q) = queues.get_mut(mq) else {
            return Err(ClientError::IllegalState(format!("{mq} is not assigned")));
        };
        let generation = {
            let mut st = q.state.lock();
            st.generation += 1;
            st.consume_offset = offset;
            st.generation
        };
        q.task.abort();
        // Batches of older generations can no longer be offered (the
        // generation check runs under the state lock): drop the cached ones
        // before the new task can add any.
        self.discard_cached(mq);
        q.pq.clear();
        let pq = q.pq.clone();
        let state = q.state.clone();
        q.task = tokio::spawn(me.prefetch_loop(mq.clone(), pq, state, generation, Some(offset)));
        Ok(())
    }

    pub(crate) fn set_paused(&self, mqs: &[MessageQueue], paused: bool) {
        let mut set = self.paused.lock();
        let queues = self.queues.lock();
        for mq in mqs {
            if paused {
                set.insert(mq.clone());
            } else {
                set.remove(mq);
            }
            if let Some(q) = queues.get(mq) {
                q.state.lock().paused = paused;
            }
        }
    }

    pub(crate) async fn shutdown(&self) {
        if self.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        for q in self.queues.lock().values() {
            q.task.abort();
        }
        if self.cfg.auto_commit {
            self.commit_all(false).await;
        }
        self.persist_offsets(true).await;
        for q in self.queues.lock().values() {
            q.pq.set_dropped();
        }
        self.instance.unregister_consumer_wait(&self.group).await;
        self.queues.lock().clear();
        self.cache.lock().clear();
        self.cache_notify.notify_waiters();
        tracing::info!(group = %self.group, "lite pull consumer shut down");
    }
}
