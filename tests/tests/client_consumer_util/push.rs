//! Push-consumer scenarios.

use super::*;

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
