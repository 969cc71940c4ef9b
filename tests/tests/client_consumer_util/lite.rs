//! Lite-pull-consumer scenarios.

use super::*;

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
