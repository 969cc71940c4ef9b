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

// ---------------------------------------------------------------- scenarios

/// 10,000 messages produced, consumed by one push consumer: every message
/// arrives exactly once with its content, tag and properties.
pub async fn consume_ten_thousand(namesrv: &str) {
    const N: usize = 10_000;
    let topic = unique("CT_consume");
    create_topic(namesrv, &topic, 4).await;
    let p = producer(namesrv).await;
    send_all(&p, (0..N).map(|i| message(&topic, "TagA", i)).collect()).await;

    let log: Log = Arc::default();
    let c = start_push(
        push_config(namesrv, &unique("CG_consume")),
        &topic,
        "*",
        0,
        &log,
    )
    .await;
    wait_for("10,000 deliveries", Duration::from_secs(60), || async {
        lock(&log).len() >= N
    })
    .await;
    // A little longer: anything extra would be a duplicate.
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.shutdown().await;
    p.shutdown().await;

    let log = lock(&log);
    assert_eq!(log.len(), N, "exactly one delivery per message");
    let mut seen = vec![false; N];
    for g in log.iter() {
        assert!(g.idx < N, "unknown message {g:?}");
        assert!(!seen[g.idx], "message {} twice", g.idx);
        seen[g.idx] = true;
        assert_eq!(g.body, body(g.idx).as_bytes(), "content of {}", g.idx);
        assert_eq!(g.topic, topic);
        assert_eq!(g.tags.as_deref(), Some("TagA"));
    }
}

/// A `TagA || TagB` subscription gets exactly the TagA and TagB messages.
pub async fn tag_filtering(namesrv: &str) {
    let topic = unique("CT_tags");
    create_topic(namesrv, &topic, 2).await;
    let p = producer(namesrv).await;
    let tags = ["TagA", "TagB", "TagC"];
    send_all(
        &p,
        (0..300).map(|i| message(&topic, tags[i % 3], i)).collect(),
    )
    .await;

    let log: Log = Arc::default();
    let c = start_push(
        push_config(namesrv, &unique("CG_tags")),
        &topic,
        "TagA || TagB",
        0,
        &log,
    )
    .await;
    wait_for(
        "the TagA and TagB messages",
        Duration::from_secs(30),
        || async { lock(&log).len() >= 200 },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.shutdown().await;
    p.shutdown().await;
    let log = lock(&log);
    assert_eq!(log.len(), 200);
    for g in log.iter() {
        assert_ne!(
            g.tags.as_deref(),
            Some("TagC"),
            "filtered tag delivered: {}",
            g.idx
        );
        assert_eq!(g.tags.as_deref(), Some(tags[g.idx % 3]));
    }
    let expect: BTreeSet<usize> = (0..300).filter(|i| i % 3 != 2).collect();
    assert_eq!(log.iter().map(|g| g.idx).collect::<BTreeSet<_>>(), expect);
}

/// Three members of a clustering group split the queues; while all run,
/// each message goes to exactly one of them; when one leaves, the others
/// take its queues and nothing is lost.
pub async fn clustering_rebalance(namesrv: &str) {
    let topic = unique("CT_cluster");
    create_topic(namesrv, &topic, 6).await;
    let group = unique("CG_cluster");
    let p = producer(namesrv).await;
    let log: Log = Arc::default();
    let mut members = Vec::new();
    for m in 0..3 {
        members.push(start_push(push_config(namesrv, &group), &topic, "*", m, &log).await);
    }
    let total = queue_count(&members[0], &topic).await;
    wait_balanced(&[&members[0], &members[1], &members[2]], &topic, total).await;

    const N: usize = 3000;
    send_all(&p, (0..N).map(|i| message(&topic, "T", i)).collect()).await;
    wait_for("first half", Duration::from_secs(60), || async {
        distinct(&log, None).len() >= N
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    {
        let l = lock(&log);
        assert_eq!(l.len(), N, "while all run, each message goes to one member");
        for m in 0..3 {
            assert!(l.iter().any(|g| g.member == m), "member {m} got nothing");
        }
    }

    // Member 1 leaves; the other two take over its queues.
    let leaving = members.remove(1);
    leaving.shutdown().await;
    wait_balanced(&[&members[0], &members[1]], &topic, total).await;
    send_all(&p, (N..2 * N).map(|i| message(&topic, "T", i)).collect()).await;
    wait_for("second half", Duration::from_secs(60), || async {
        distinct(&log, None).len() >= 2 * N
    })
    .await;
    assert_eq!(
        distinct(&log, None),
        (0..2 * N).collect::<BTreeSet<_>>(),
        "nothing lost"
    );
    {
        let l = lock(&log);
        assert!(l.iter().filter(|g| g.idx >= N).all(|g| g.member != 1));
    }
    for c in members {
        c.shutdown().await;
    }
    p.shutdown().await;
}

/// Every member of a broadcasting group gets every message.
pub async fn broadcasting(namesrv: &str) {
    let topic = unique("CT_broadcast");
    create_topic(namesrv, &topic, 4).await;
    let group = unique("CG_broadcast");
    let dir = OffsetDir::new();
    let log: Log = Arc::default();
    let mut members = Vec::new();
    for m in 0..3 {
        let mut cfg = push_config(namesrv, &group);
        cfg.message_model = MessageModel::Broadcasting;
        cfg.offset_store_dir = Some(dir.path());
        members.push(start_push(cfg, &topic, "*", m, &log).await);
    }
    let p = producer(namesrv).await;
    const N: usize = 1000;
    send_all(&p, (0..N).map(|i| message(&topic, "T", i)).collect()).await;
    wait_for(
        "every member gets every message",
        Duration::from_secs(60),
        || async { (0..3).all(|m| distinct(&log, Some(m)).len() >= N) },
    )
    .await;
    for c in members {
        c.shutdown().await;
    }
    p.shutdown().await;
    for m in 0..3 {
        assert_eq!(
            distinct(&log, Some(m)),
            (0..N).collect::<BTreeSet<_>>(),
            "member {m}"
        );
    }
    // Offsets went to the local file (Java's offsets.json shape).
    let files: Vec<_> = walk(&dir.path())
        .into_iter()
        .filter(|p| p.ends_with("offsets.json"))
        .collect();
    assert_eq!(files.len(), 3, "one offsets file per member: {files:?}");
    let text = std::fs::read_to_string(&files[0]).expect("offsets file");
    assert!(
        text.contains("\"offsetTable\"") && text.contains(&topic),
        "{text}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Orderly consumption by two members: for every sharding key, messages
/// arrive in the order they were sent (queues of every broker are used).
pub async fn orderly_per_key(namesrv: &str) {
    const KEYS: usize = 16;
    const PER_KEY: usize = 60;
    let topic = unique("CT_orderly");
    let brokers = create_topic(namesrv, &topic, 4).await;
    let group = unique("CG_orderly");
    let log: Log = Arc::default();
    let mut members = Vec::new();
    for m in 0..2 {
        let c = DefaultMQPushConsumer::with_config(push_config(namesrv, &group));
        c.subscribe(&topic, "*").expect("subscribe");
        let log = log.clone();
        c.register_message_listener_orderly(move |msgs, _ctx| {
            let mut l = lock(&log);
            for msg in msgs {
                l.push(got(m, msg));
            }
            ConsumeOrderlyStatus::Success
        });
        c.start().await.expect("orderly consumer starts");
        members.push(c);
    }
    let total = queue_count(&members[0], &topic).await;
    assert_eq!(total, 4 * brokers);
    wait_balanced(&[&members[0], &members[1]], &topic, total).await;

    let p = producer(namesrv).await;
    // Keys are sent concurrently; each key's messages one after another.
    let sends = (0..KEYS).map(|k| {
        let (p, topic) = (&p, &topic);
        async move {
            let key = format!("order-{k}");
            let mut queues = BTreeSet::new();
            for s in 0..PER_KEY {
                let idx = k * PER_KEY + s;
                let msg = message(topic, "O", idx).with_property("key", key.clone());
                let r = p
                    .send_with_selector(msg, &SelectMessageQueueByHash, key.as_str())
                    .await
                    .expect("ordered send");
                queues.insert(r.message_queue);
            }
            assert_eq!(queues.len(), 1, "one queue per key");
            queues.into_iter().next()
        }
    });
    let used: BTreeSet<MessageQueue> = futures::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect();
    let used_brokers: BTreeSet<_> = used.iter().map(|q| q.broker_name.clone()).collect();
    assert_eq!(used_brokers.len(), brokers, "keys spread over every broker");

    wait_for("all ordered messages", Duration::from_secs(60), || async {
        distinct(&log, None).len() >= KEYS * PER_KEY
    })
    .await;
    for c in members {
        c.shutdown().await;
    }
    p.shutdown().await;
    let l = lock(&log);
    assert_eq!(l.len(), KEYS * PER_KEY, "no redelivery with stable members");
    let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut member_of_key: HashMap<String, usize> = HashMap::new();
    for g in l.iter() {
        let key = g.key.clone().expect("key property");
        by_key.entry(key.clone()).or_default().push(g.idx);
        let m = *member_of_key.entry(key.clone()).or_insert(g.member);
        assert_eq!(m, g.member, "key {key} consumed by two members");
    }
    for (key, idxs) in by_key {
        let k: usize = key["order-".len()..].parse().expect("key number");
        let expect: Vec<usize> = (k * PER_KEY..(k + 1) * PER_KEY).collect();
        assert_eq!(idxs, expect, "order of {key}");
    }
}

/// A lite-pull consumer assigned one queue reads it, seeks back into it,
/// to its beginning, and commits.
pub async fn lite_pull_seek(namesrv: &str) {
    let topic = unique("CT_lite");
    create_topic(namesrv, &topic, 1).await;
    let p = producer(namesrv).await;
    send_all(&p, (0..100).map(|i| message(&topic, "L", i)).collect()).await;

    let mut cfg = LitePullConsumerConfig::new(unique("CG_lite"));
    cfg.client = client_config(namesrv);
    cfg.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    cfg.auto_commit = false;
    let c = DefaultLitePullConsumer::with_config(cfg);
    c.start().await.expect("lite consumer starts");
    let mqs = c.fetch_message_queues(&topic).await.expect("queues");
    assert_eq!(mqs.len(), 1);
    let mq = mqs[0].clone();
    c.assign(mqs).expect("assign");

    let read = |n: usize| {
        let c = &c;
        async move {
            let mut out: Vec<i64> = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(20);
            while out.len() < n && Instant::now() < deadline {
                out.extend(
                    c.poll(Duration::from_millis(500))
                        .await
                        .iter()
                        .map(|m| m.queue_offset),
                );
            }
            out
        }
    };
    let first = read(100).await;
    assert_eq!(first, (0..100).collect::<Vec<i64>>());
    c.seek(&mq, 50).await.expect("seek");
    let again = read(50).await;
    assert_eq!(again, (50..100).collect::<Vec<i64>>(), "after seek(50)");
    c.seek_to_begin(&mq).await.expect("seek to begin");
    let from_start = read(10).await;
    assert_eq!(from_start[0], 0, "after seek_to_begin");
    assert!(c.seek(&mq, 1000).await.is_err(), "beyond the max offset");
    c.commit_sync().await.expect("commit");
    let committed = c
        .committed(&mq)
        .await
        .expect("committed")
        .expect("an offset");
    assert_eq!(committed, *from_start.last().unwrap() + 1);
    // Nothing new arrives after the end.
    c.seek_to_end(&mq).await.expect("seek to end");
    assert!(c.poll(Duration::from_millis(300)).await.is_empty());
    c.shutdown().await;
    p.shutdown().await;
}

/// A group's offsets survive consumer restarts: a new member of the same
/// group continues where the previous one stopped.
pub async fn offsets_survive_restart(namesrv: &str) {
    let topic = unique("CT_restart");
    create_topic(namesrv, &topic, 4).await;
    let group = unique("CG_restart");
    let p = producer(namesrv).await;
    send_all(&p, (0..500).map(|i| message(&topic, "R", i)).collect()).await;

    let log: Log = Arc::default();
    let c = start_push(push_config(namesrv, &group), &topic, "*", 0, &log).await;
    wait_for("first 500", Duration::from_secs(30), || async {
        distinct(&log, None).len() >= 500
    })
    .await;
    c.shutdown().await;

    send_all(&p, (500..1000).map(|i| message(&topic, "R", i)).collect()).await;
    let c = start_push(push_config(namesrv, &group), &topic, "*", 1, &log).await;
    wait_for("next 500", Duration::from_secs(30), || async {
        distinct(&log, Some(1)).len() >= 500
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.shutdown().await;
    p.shutdown().await;
    let second: Vec<usize> = lock(&log)
        .iter()
        .filter(|g| g.member == 1)
        .map(|g| g.idx)
        .collect();
    assert_eq!(second.len(), 500, "no reprocessing after a clean shutdown");
    assert!(
        second.iter().all(|i| *i >= 500),
        "an already-consumed message came again"
    );
}

/// A message whose listener asks for `ReconsumeLater` comes back (through
/// the group's retry topic) with its original topic, body and properties
/// and a higher reconsume count; the others are not redelivered.
pub async fn reconsume_later_redelivers(namesrv: &str) {
    const N: usize = 60;
    let topic = unique("CT_retry");
    create_topic(namesrv, &topic, 2).await;
    let p = producer(namesrv).await;
    send_all(&p, (0..N).map(|i| message(&topic, "R", i)).collect()).await;

    let log: Log = Arc::default();
    let c = DefaultMQPushConsumer::with_config(push_config(namesrv, &unique("CG_retry")));
    c.subscribe(&topic, "*").expect("subscribe");
    let l = log.clone();
    c.register_message_listener_concurrently(move |msgs, ctx| {
        let mut l = lock(&l);
        let mut status = ConsumeConcurrentlyStatus::ConsumeSuccess;
        for m in msgs {
            let g = got(0, m);
            if g.idx.is_multiple_of(3) && g.reconsume_times == 0 {
                status = ConsumeConcurrentlyStatus::ReconsumeLater;
            }
            l.push(g);
        }
        // Shortest delay level (1 s), for brokers that delay retries.
        ctx.delay_level_when_next_consume = 1;
        status
    });
    c.start().await.expect("consumer starts");
    let retried = N / 3;
    wait_for("the retried messages", Duration::from_secs(60), || async {
        lock(&log).iter().filter(|g| g.reconsume_times > 0).count() >= retried
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.shutdown().await;
    p.shutdown().await;
    let l = lock(&log);
    assert_eq!(l.len(), N + retried, "each failed message comes back once");
    for g in l.iter().filter(|g| g.reconsume_times > 0) {
        assert_eq!(g.idx % 3, 0, "only failed messages are redelivered");
        assert_eq!(g.reconsume_times, 1);
        assert_eq!(g.topic, topic, "the original topic is restored");
        assert_eq!(g.body, body(g.idx).as_bytes());
        assert_eq!(g.tags.as_deref(), Some("R"));
    }
    let all: BTreeSet<usize> = l.iter().map(|g| g.idx).collect();
    assert_eq!(all, (0..N).collect::<BTreeSet<_>>());
}

/// An orderly listener that suspends its queue gets the same messages
/// again, still in order, before any later one.
pub async fn orderly_suspend_redelivers_in_order(namesrv: &str) {
    const N: usize = 40;
    let topic = unique("CT_suspend");
    create_topic(namesrv, &topic, 1).await;
    let p = producer(namesrv).await;
    for i in 0..N {
        p.send(message(&topic, "S", i)).await.expect("send");
    }
    let log: Log = Arc::default();
    let mut cfg = push_config(namesrv, &unique("CG_suspend"));
    cfg.suspend_current_queue_time = Duration::from_millis(100);
    let c = DefaultMQPushConsumer::with_config(cfg);
    c.subscribe(&topic, "*").expect("subscribe");
    let l = log.clone();
    let suspended = Arc::new(Mutex::new(BTreeSet::new()));
    c.register_message_listener_orderly(move |msgs, _ctx| {
        let mut l = lock(&l);
        for m in msgs {
            let g = got(0, m);
            let idx = g.idx;
            l.push(g);
            if idx % 10 == 5 && suspended.lock().expect("lock").insert(idx) {
                return ConsumeOrderlyStatus::SuspendCurrentQueueAMoment;
            }
        }
        ConsumeOrderlyStatus::Success
    });
    c.start().await.expect("consumer starts");
    wait_for("every message", Duration::from_secs(30), || async {
        distinct(&log, None).len() >= N
    })
    .await;
    c.shutdown().await;
    p.shutdown().await;
    let order: Vec<usize> = lock(&log).iter().map(|g| g.idx).collect();
    let mut expect = Vec::new();
    for i in 0..N {
        expect.push(i);
        if i % 10 == 5 {
            expect.push(i);
        }
    }
    assert_eq!(order, expect, "suspended messages come again, in order");
}

/// Two lite-pull consumers subscribed in one group split the topic's queues
/// through the rebalance; with auto-commit, a restarted member continues
/// after what was polled.
pub async fn lite_pull_subscribe_group(namesrv: &str) {
    const N: usize = 400;
    let topic = unique("CT_lite_sub");
    create_topic(namesrv, &topic, 4).await;
    let group = unique("CG_lite_sub");
    let lite = |auto_commit: bool| {
        let mut cfg = LitePullConsumerConfig::new(group.clone());
        cfg.client = client_config(namesrv);
        cfg.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
        cfg.auto_commit = auto_commit;
        cfg.auto_commit_interval = Duration::from_secs(1);
        let c = DefaultLitePullConsumer::with_config(cfg);
        c.subscribe(&topic, "*").expect("subscribe");
        c
    };
    let a = lite(true);
    let b = lite(true);
    a.start().await.expect("start a");
    b.start().await.expect("start b");
    wait_for("both members assigned", Duration::from_secs(30), || async {
        let (qa, qb) = (a.assignment(), b.assignment());
        let all: BTreeSet<MessageQueue> = qa.iter().chain(qb.iter()).cloned().collect();
        !qa.is_empty() && !qb.is_empty() && qa.len() + qb.len() == 4 && all.len() == 4
    })
    .await;
    let p = producer(namesrv).await;
    send_all(&p, (0..N).map(|i| message(&topic, "L", i)).collect()).await;

    let mut got: Vec<(usize, usize)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.len() < N && Instant::now() < deadline {
        for (member, c) in [(0, &a), (1, &b)] {
            for m in c.poll(Duration::from_millis(100)).await {
                let idx = m
                    .property("idx")
                    .and_then(|i| i.parse().ok())
                    .unwrap_or(usize::MAX);
                got.push((member, idx));
            }
        }
    }
    assert_eq!(got.len(), N, "every message polled once");
    let idxs: BTreeSet<usize> = got.iter().map(|(_, i)| *i).collect();
    assert_eq!(idxs, (0..N).collect::<BTreeSet<_>>());
    assert!(got.iter().any(|(m, _)| *m == 0) && got.iter().any(|(m, _)| *m == 1));

    // Auto-commit: after a poll past the interval, shutdown commits.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let _ = a.poll(Duration::from_millis(10)).await;
    let _ = b.poll(Duration::from_millis(10)).await;
    a.shutdown().await;
    b.shutdown().await;
    send_all(&p, (N..N + 100).map(|i| message(&topic, "L", i)).collect()).await;
    let c = lite(true);
    c.start().await.expect("restart");
    let mut again = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while again.len() < 100 && Instant::now() < deadline {
        for m in c.poll(Duration::from_millis(200)).await {
            let idx: usize = m
                .property("idx")
                .and_then(|i| i.parse().ok())
                .unwrap_or(usize::MAX);
            assert!(idx >= N, "message {idx} was committed already");
            again.insert(idx);
        }
    }
    assert_eq!(again, (N..N + 100).collect::<BTreeSet<_>>());
    c.shutdown().await;
    p.shutdown().await;
}
