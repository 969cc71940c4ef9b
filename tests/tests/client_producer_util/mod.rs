//! Shared by the client producer suites (ours and the peer's): send 10,000
//! messages every way the SDK offers, then pull everything back over the
//! SDK's low-level API and check count and content.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use client::admin::DefaultMQAdminExt;
use client::api::PullStatus;
use client::instance::route::subscribe_queues_of;
use client::producer::{DefaultMQProducer, ProducerConfig, SelectMessageQueueByHash, SendResult};
use client::{ClientConfig, ClientError, Message, MessageExt, MessageQueue};
use futures::stream::{FuturesUnordered, StreamExt};
use protocol::body::route::{TopicConfig, PERM_RW};
use protocol::header::{PullMessageRequestHeader, PULL_FLAG_SUBSCRIPTION};
use protocol::message::sysflag::COMPRESSED_FLAG;

/// Messages of each kind in [`send_every_way`] (10,000 in all).
pub const KINDS: &[(&str, usize)] = &[
    ("sync", 2000),
    ("future", 2000),
    ("callback", 2000),
    ("oneway", 1000),
    ("batch", 2000),
    ("selector", 1000),
];

/// Total messages [`send_every_way`] sends.
pub fn total() -> usize {
    KINDS.iter().map(|(_, n)| n).sum()
}

/// A topic name unique to this run.
pub fn unique_topic(prefix: &str) -> String {
    format!("{prefix}_{:08x}", rand::random::<u32>())
}

/// The body of message `i` of `kind`: every 500th is 5000 bytes, so it
/// travels compressed.
pub fn body(kind: &str, i: usize) -> String {
    let pad = if i % 500 == 7 { 5000 } else { i % 100 };
    format!("{kind}-{i:05}-{}", "p".repeat(pad))
}

/// Message `i` of `kind`, with tags, keys and a user property.
pub fn message(topic: &str, kind: &str, i: usize) -> Message {
    Message::new(topic, body(kind, i))
        .with_tags(kind)
        .with_keys([format!("{kind}-k{i}")])
        .with_property("idx", i.to_string())
        .with_property("kind", kind)
}

/// A started producer against `namesrv`.
pub async fn producer(namesrv: &str, group: &str) -> DefaultMQProducer {
    let mut cfg = ProducerConfig::new(group);
    cfg.client = ClientConfig::with_namesrv(namesrv);
    cfg.send_msg_timeout = Duration::from_secs(10);
    let p = DefaultMQProducer::with_config(cfg);
    p.start().await.expect("producer starts");
    p
}

/// A started admin client against `namesrv`.
pub async fn admin(namesrv: &str) -> DefaultMQAdminExt {
    let a = DefaultMQAdminExt::with_config(ClientConfig::with_namesrv(namesrv));
    a.start().await.expect("admin starts");
    a
}

/// Creates `topic` with `queues` queues on every master of every cluster
/// and waits until the NameServer routes it.
pub async fn create_topic(admin: &DefaultMQAdminExt, topic: &str, queues: i32) {
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
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = admin.examine_topic_route_info(topic).await {
            if r.queue_datas.len() >= brokers {
                return;
            }
        }
        assert!(Instant::now() < deadline, "route of {topic} never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the messages of the selector kind went, by order key.
pub type SelectorQueues = HashMap<String, MessageQueue>;

/// Sends [`total`] messages: sync (8 tasks), async futures (64 in flight),
/// callbacks, oneway, batches of 50 and hash-selected (10 order keys).
/// Returns the queue each order key went to and the ids the sync sends
/// reported.
pub async fn send_every_way(
    p: &DefaultMQProducer,
    topic: &str,
) -> (SelectorQueues, HashMap<usize, SendResult>) {
    let p = Arc::new(p);
    let mut sync_results = HashMap::new();

    // sync: 8 tasks, each waiting for every send
    let n = KINDS[0].1;
    let workers = (0..8).map(|w| {
        let p = p.clone();
        async move {
            let mut out = Vec::new();
            for i in (w..n).step_by(8) {
                let r = p.send(message(topic, "sync", i)).await;
                out.push((i, r.unwrap_or_else(|e| panic!("sync send {i}: {e}"))));
            }
            out
        }
    });
    for out in futures::future::join_all(workers).await {
        for (i, r) in out {
            sync_results.insert(i, r);
        }
    }

    // async futures, 64 in flight
    let n = KINDS[1].1;
    let mut inflight = FuturesUnordered::new();
    let mut next = 0;
    while next < n || !inflight.is_empty() {
        while next < n && inflight.len() < 64 {
            let i = next;
            let f = p.send_async_future(message(topic, "future", i));
            inflight.push(async move { (i, f.await) });
            next += 1;
        }
        if let Some((i, r)) = inflight.next().await {
            r.unwrap_or_else(|e| panic!("async send {i}: {e}"));
        }
    }

    // callbacks
    let n = KINDS[2].1;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..n {
        let tx = tx.clone();
        p.send_async(
            message(topic, "callback", i),
            move |r: Result<SendResult, ClientError>| {
                let _ = tx.send((i, r));
            },
        );
        if i % 64 == 63 {
            // keep the window bounded
            tokio::task::yield_now().await;
        }
    }
    drop(tx);
    let mut got = 0;
    while let Some((i, r)) = rx.recv().await {
        r.unwrap_or_else(|e| panic!("callback send {i}: {e}"));
        got += 1;
    }
    assert_eq!(got, n, "every callback ran once");

    // oneway
    for i in 0..KINDS[3].1 {
        p.send_oneway(message(topic, "oneway", i))
            .await
            .unwrap_or_else(|e| panic!("oneway send {i}: {e}"));
    }

    // batches of 50
    let n = KINDS[4].1;
    for b in 0..n / 50 {
        let msgs: Vec<Message> = (b * 50..(b + 1) * 50)
            .map(|i| message(topic, "batch", i))
            .collect();
        let r = p
            .send_batch(&msgs)
            .await
            .unwrap_or_else(|e| panic!("batch {b}: {e}"));
        assert_eq!(r.msg_id.split(',').count(), 50, "one id per batch message");
    }

    // ordered by key
    let mut queues = SelectorQueues::new();
    for i in 0..KINDS[5].1 {
        let key = format!("order-{}", i % 10);
        let r = p
            .send_with_selector(
                message(topic, "selector", i),
                &SelectMessageQueueByHash,
                key.as_str(),
            )
            .await
            .unwrap_or_else(|e| panic!("selector send {i}: {e}"));
        if let Some(q) = queues.get(&key) {
            assert_eq!(q, &r.message_queue, "order key {key} changed queue");
        } else {
            queues.insert(key, r.message_queue.clone());
        }
    }
    (queues, sync_results)
}

/// Pulls every message of `topic` from offset 0 on every readable queue
/// (PULL_MESSAGE with a `*` subscription, no long polling), waiting up to
/// `within` for at least `expect` messages in all.
pub async fn pull_all(
    admin: &DefaultMQAdminExt,
    topic: &str,
    expect: usize,
    within: Duration,
) -> Vec<(MessageQueue, MessageExt)> {
    let deadline = Instant::now() + within;
    loop {
        let got = pull_once(admin, topic).await;
        if got.len() >= expect || Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn pull_once(admin: &DefaultMQAdminExt, topic: &str) -> Vec<(MessageQueue, MessageExt)> {
    let api = admin.api().expect("admin started");
    let route = admin.examine_topic_route_info(topic).await.expect("route");
    let mut out = Vec::new();
    for mq in subscribe_queues_of(topic, &route) {
        let addr = route
            .broker_datas
            .iter()
            .find(|b| b.broker_name == mq.broker_name)
            .and_then(|b| b.master_addr())
            .expect("master address")
            .to_owned();
        let mut offset = 0;
        loop {
            let header = PullMessageRequestHeader {
                consumer_group: "client_test_puller".into(),
                topic: topic.to_owned(),
                queue_id: mq.queue_id,
                queue_offset: offset,
                max_msg_nums: 32,
                sys_flag: PULL_FLAG_SUBSCRIPTION,
                commit_offset: 0,
                suspend_timeout_millis: 0,
                subscription: Some("*".into()),
                sub_version: 0,
                expression_type: Some("TAG".into()),
                ..Default::default()
            };
            let r = api
                .pull_message(&addr, &header, Duration::from_secs(10))
                .await
                .unwrap_or_else(|e| panic!("pull {mq} at {offset}: {e}"));
            match r.status {
                PullStatus::Found => {
                    assert!(r.next_begin_offset > offset, "pull makes progress");
                    offset = r.next_begin_offset;
                    out.extend(r.msgs.into_iter().map(|m| (mq.clone(), m)));
                }
                PullStatus::NoMatchedMsg => offset = r.next_begin_offset,
                PullStatus::NoNewMsg | PullStatus::OffsetIllegal => break,
            }
        }
    }
    out
}

/// Checks the pulled messages against what [`send_every_way`] sent: the
/// count, every (kind, idx) exactly once, body (decompressed), tags, keys,
/// user properties, ids of the sync sends, and that each order key's
/// messages sit in one queue in send order.
pub fn verify(
    pulled: &[(MessageQueue, MessageExt)],
    topic: &str,
    selector_queues: &SelectorQueues,
    sync_results: &HashMap<usize, SendResult>,
) {
    assert_eq!(pulled.len(), total(), "message count");
    let mut seen: BTreeMap<(String, usize), ()> = BTreeMap::new();
    let mut order_offsets: HashMap<String, Vec<(usize, i64)>> = HashMap::new();
    let mut compressed = 0;
    for (mq, m) in pulled {
        assert_eq!(m.topic, topic);
        let kind = m.property("kind").expect("kind property").to_owned();
        let i: usize = m
            .property("idx")
            .expect("idx property")
            .parse()
            .expect("idx");
        assert!(
            seen.insert((kind.clone(), i), ()).is_none(),
            "{kind} {i} twice"
        );
        assert_eq!(&m.body[..], body(&kind, i).as_bytes(), "body of {kind} {i}");
        assert_eq!(m.tags(), Some(kind.as_str()));
        assert_eq!(m.keys(), Some(format!("{kind}-k{i}").as_str()));
        let uniq = m.uniq_key().expect("UNIQ_KEY");
        assert_eq!(uniq.len(), 32, "uniq key {uniq}");
        if m.sys_flag & COMPRESSED_FLAG != 0 {
            compressed += 1;
            assert!(m.body.len() > 4096, "only large bodies are compressed");
        }
        if kind == "sync" {
            let sr = &sync_results[&i];
            assert_eq!(sr.msg_id, uniq, "sync {i}: reported id is the UNIQ_KEY");
            assert_eq!(&sr.message_queue, mq, "sync {i}: reported queue");
            assert_eq!(sr.queue_offset, m.queue_offset, "sync {i}: reported offset");
        }
        if kind == "selector" {
            let key = format!("order-{}", i % 10);
            assert_eq!(&selector_queues[&key], mq, "selector {i} queue");
            order_offsets
                .entry(key)
                .or_default()
                .push((i, m.queue_offset));
        }
    }
    for (kind, n) in KINDS {
        let count = seen.keys().filter(|(k, _)| k == kind).count();
        assert_eq!(count, *n, "{kind} messages received");
    }
    // bodies 7, 507, 1007, 1507 of each kind are 5000 bytes; all but the
    // batched ones travel compressed
    assert_eq!(
        compressed,
        4 + 4 + 4 + 2 + 2,
        "large single sends are compressed"
    );
    for (key, mut v) in order_offsets {
        v.sort();
        assert!(
            v.windows(2).all(|w| w[0].1 < w[1].1),
            "{key}: queue order follows send order"
        );
    }
}
