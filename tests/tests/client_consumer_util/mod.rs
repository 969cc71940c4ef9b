//! Shared by the client consumer suites (against our broker and against the
//! peer broker): scenarios that take a NameServer address, produce with the
//! SDK's producer and consume with its push and lite-pull consumers.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use client::admin::DefaultMQAdminExt;
use client::consumer::{
    ConsumeConcurrentlyStatus, ConsumeFromWhere, ConsumeOrderlyStatus, DefaultLitePullConsumer,
    DefaultMQPushConsumer, LitePullConsumerConfig, MessageModel, PushConsumerConfig,
};
use client::producer::{DefaultMQProducer, ProducerConfig, SelectMessageQueueByHash};
use client::{ClientConfig, Message, MessageExt, MessageQueue};
use futures::stream::{FuturesUnordered, StreamExt};
use protocol::body::route::{TopicConfig, PERM_RW};

/// One delivery seen by a test listener.
#[derive(Debug, Clone)]
pub struct Got {
    /// Which consumer of the test got it.
    pub member: usize,
    /// Topic as the listener saw it.
    pub topic: String,
    /// The `TAGS` property.
    pub tags: Option<String>,
    /// The `idx` user property.
    pub idx: usize,
    /// The body.
    pub body: Vec<u8>,
    /// Queue id and broker (store host) it came from.
    pub queue_id: i32,
    /// Queue offset.
    pub offset: i64,
    /// The `key` user property (orderly tests).
    pub key: Option<String>,
    /// Deliveries before this one (retries).
    pub reconsume_times: i32,
}

/// Every delivery of a test, in arrival order.
pub type Log = Arc<Mutex<Vec<Got>>>;

/// A topic or group name unique to this run.
pub fn unique(prefix: &str) -> String {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{:x}_{nanos:08x}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Locks a test log (a poisoned lock means a listener panicked: fail).
pub fn lock(log: &Log) -> MutexGuard<'_, Vec<Got>> {
    log.lock().expect("log lock")
}

/// A client config for tests: fast rebalance and offset commits.
pub fn client_config(namesrv: &str) -> ClientConfig {
    let mut c = ClientConfig::with_namesrv(namesrv);
    c.rebalance_interval = Duration::from_secs(1);
    c.persist_consumer_offset_interval = Duration::from_secs(1);
    c.pull_time_delay_when_exception = Duration::from_millis(200);
    c
}

/// The body of message `idx`.
pub fn body(idx: usize) -> String {
    format!("consumer-test-{idx:06}-{}", "b".repeat(idx % 97))
}

/// Message `idx` of `topic` with tag `tag`.
pub fn message(topic: &str, tag: &str, idx: usize) -> Message {
    Message::new(topic, body(idx))
        .with_tags(tag)
        .with_keys([format!("k{idx}")])
        .with_property("idx", idx.to_string())
}

/// A started producer.
pub async fn producer(namesrv: &str) -> DefaultMQProducer {
    let mut cfg = ProducerConfig::new(unique("PG_consumer_test"));
    cfg.client = ClientConfig::with_namesrv(namesrv);
    cfg.send_msg_timeout = Duration::from_secs(10);
    let p = DefaultMQProducer::with_config(cfg);
    p.start().await.expect("producer starts");
    p
}

/// A started admin client.
pub async fn admin(namesrv: &str) -> DefaultMQAdminExt {
    let a = DefaultMQAdminExt::with_config(ClientConfig::with_namesrv(namesrv));
    a.start().await.expect("admin starts");
    a
}

/// Creates `topic` with `queues` read/write queues on every master and
/// waits until the NameServer routes it on all of them.
pub async fn create_topic(namesrv: &str, topic: &str, queues: i32) -> usize {
    let admin = admin(namesrv).await;
    let info = admin
        .examine_broker_cluster_info()
        .await
        .expect("cluster info");
    let tc = TopicConfig::new(topic, queues, queues, PERM_RW);
    let mut brokers = 0;
    for cluster in info.cluster_addr_table.keys() {
        brokers += admin
            .create_topic_in_cluster(cluster, &tc)
            .await
            .expect("create topic")
            .len();
    }
    wait_for("route of the new topic", Duration::from_secs(20), || {
        let admin = &admin;
        async move {
            matches!(admin.examine_topic_route_info(topic).await,
                     Ok(r) if r.queue_datas.len() >= brokers)
        }
    })
    .await;
    admin.shutdown().await;
    brokers
}

/// Polls `cond` every 50 ms until it holds; panics after `limit`.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if cond().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends `msgs` with up to 64 in flight; panics on a failure.
pub async fn send_all(p: &DefaultMQProducer, msgs: Vec<Message>) {
    let mut inflight = FuturesUnordered::new();
    let mut it = msgs.into_iter();
    loop {
        while inflight.len() < 64 {
            let Some(m) = it.next() else { break };
            inflight.push(p.send_async_future(m));
        }
        match inflight.next().await {
            Some(r) => {
                r.expect("send");
            }
            None => break,
        }
    }
}

/// A directory for broadcasting offset files, removed on drop.
pub struct OffsetDir(pub tempfile::TempDir);

impl OffsetDir {
    /// A fresh directory.
    pub fn new() -> Self {
        OffsetDir(tempfile::tempdir().expect("temp dir"))
    }

    /// Its path.
    pub fn path(&self) -> PathBuf {
        self.0.path().to_path_buf()
    }
}

fn got(member: usize, m: &MessageExt) -> Got {
    Got {
        member,
        topic: m.topic.clone(),
        tags: m.tags().map(str::to_owned),
        idx: m
            .property("idx")
            .and_then(|i| i.parse().ok())
            .unwrap_or(usize::MAX),
        body: m.body.to_vec(),
        queue_id: m.queue_id,
        offset: m.queue_offset,
        key: m.property("key").map(str::to_owned),
        reconsume_times: m.reconsume_times,
    }
}

/// A push consumer config for tests.
pub fn push_config(namesrv: &str, group: &str) -> PushConsumerConfig {
    let mut cfg = PushConsumerConfig::new(group);
    cfg.client = client_config(namesrv);
    cfg.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    cfg
}

/// Starts a concurrent push consumer that records into `log` as `member`.
pub async fn start_push(
    cfg: PushConsumerConfig,
    topic: &str,
    expr: &str,
    member: usize,
    log: &Log,
) -> DefaultMQPushConsumer {
    let c = DefaultMQPushConsumer::with_config(cfg);
    c.subscribe(topic, expr).expect("subscribe");
    let log = log.clone();
    c.register_message_listener_concurrently(move |msgs, _ctx| {
        let mut l = lock(&log);
        for m in msgs {
            l.push(got(member, m));
        }
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    c.start().await.expect("push consumer starts");
    c
}

/// Distinct `idx` values in `log` (of one member, or all).
pub fn distinct(log: &Log, member: Option<usize>) -> BTreeSet<usize> {
    lock(log)
        .iter()
        .filter(|g| member.is_none_or(|m| g.member == m))
        .map(|g| g.idx)
        .collect()
}

/// Waits until `members` consumers of a group hold disjoint sets of
/// `topic`'s queues that together cover its `total` queues.
pub async fn wait_balanced(members: &[&DefaultMQPushConsumer], topic: &str, total: usize) {
    wait_for(
        "a stable, disjoint assignment",
        Duration::from_secs(30),
        || async {
            let mut seen = BTreeSet::new();
            let mut count = 0;
            for c in members {
                let q: Vec<MessageQueue> = c
                    .assigned_queues()
                    .into_iter()
                    .filter(|q| q.topic == topic)
                    .collect();
                if q.is_empty() {
                    return false;
                }
                count += q.len();
                seen.extend(q);
            }
            count == total && seen.len() == total
        },
    )
    .await;
}

/// Number of queues of `topic` (readable) across brokers.
pub async fn queue_count(c: &DefaultMQPushConsumer, topic: &str) -> usize {
    c.fetch_subscribe_message_queues(topic)
        .await
        .expect("queues")
        .len()
}

mod lite;
mod push;

pub use lite::*;
pub use push::*;
