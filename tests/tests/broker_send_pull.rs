//! Producing and consuming through one broker: content and counts, batches,
//! tags, auto-created topics and their routes.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use harness::client::{PullRequest, TestClient};
use harness::Cluster;
use protocol::code::response;
use protocol::message::properties::TAGS;

fn body(i: usize) -> Bytes {
    Bytes::from(format!("message-{i:05}-{}", "x".repeat(i % 200)))
}

#[tokio::test]
async fn ten_thousand_messages_round_trip() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let topic = "RoundTrip";
    const N: usize = 10_000;
    const QUEUES: usize = 4;
    // Pipelined sends, 64 in flight, round-robin over 4 queues.
    let mut next = 0usize;
    let mut offsets = vec![Vec::new(); QUEUES];
    while next < N {
        let batch: Vec<usize> = (next..(next + 64).min(N)).collect();
        let sends = batch.iter().map(|&i| {
            let c = client.clone();
            async move {
                (
                    i,
                    c.send(topic, (i % QUEUES) as i32, body(i), Some("T")).await,
                )
            }
        });
        for (i, r) in futures::future::join_all(sends).await {
            let r = r.unwrap();
            assert_eq!(r.code, response::SUCCESS, "send {i}: {}", r.remark);
            let h = r.header.unwrap();
            assert_eq!(h.queue_id as usize, i % QUEUES);
            assert_eq!(h.msg_id.len(), 32, "offset msg id");
            offsets[i % QUEUES].push(h.queue_offset);
        }
        next += batch.len();
    }
    // Queue offsets are dense per queue.
    for (q, offs) in offsets.iter_mut().enumerate() {
        offs.sort_unstable();
        let expect: Vec<i64> = (0..(N / QUEUES) as i64).collect();
        assert_eq!(offs, &expect, "queue {q}");
    }
    // Pull everything back and check every body, once.
    let mut seen = HashSet::new();
    for q in 0..QUEUES {
        let msgs = client
            .pull_all("G_roundtrip", topic, q as i32, 0, N / QUEUES)
            .await
            .unwrap();
        assert_eq!(msgs.len(), N / QUEUES, "queue {q}");
        for (k, m) in msgs.iter().enumerate() {
            assert_eq!(m.topic, topic);
            assert_eq!(m.queue_id, q as i32);
            assert_eq!(m.queue_offset, k as i64);
            assert_eq!(m.property(TAGS), Some("T"));
            assert_eq!(m.store_host.to_string(), cluster.broker_addr(0));
            let text = std::str::from_utf8(&m.body).unwrap();
            let i: usize = text[8..13].parse().unwrap();
            assert_eq!(m.body, body(i), "content of message {i}");
            assert_eq!(i % QUEUES, q);
            assert!(seen.insert(i), "message {i} twice");
        }
    }
    assert_eq!(seen.len(), N);
    // At the end: nothing new.
    let r = client
        .pull(&PullRequest::new(
            "G_roundtrip",
            topic,
            0,
            (N / QUEUES) as i64,
        ))
        .await
        .unwrap();
    assert_eq!(r.code, response::PULL_NOT_FOUND);
    assert_eq!(r.next_begin_offset(), (N / QUEUES) as i64);
}

#[tokio::test]
async fn auto_created_topic_is_routed_and_batches_get_consecutive_offsets() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let ns = TestClient::connect(cluster.namesrv_addr(0)).await.unwrap();
    assert!(ns.route("Batched").await.unwrap().is_none());
    let bodies: Vec<Bytes> = (0..10).map(body).collect();
    let r = client
        .send_batch("Batched", 1, &bodies, Some("B"))
        .await
        .unwrap();
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
    let h = r.header.unwrap();
    assert_eq!(h.queue_offset, 0);
    assert_eq!(h.msg_id.split(',').count(), 10);
    let r = client
        .send_batch("Batched", 1, &bodies, Some("B"))
        .await
        .unwrap();
    assert_eq!(r.header.unwrap().queue_offset, 10);
    // The auto-created topic reaches the name server at once.
    let routed = harness::wait_until(Duration::from_secs(5), || async {
        ns.route("Batched").await.ok().flatten().is_some()
    })
    .await;
    assert!(routed, "auto-created topic registered");
    let route = ns.route("Batched").await.unwrap().unwrap();
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);
    assert_eq!(route.queue_datas[0].perm, 6);
    let msgs = client
        .pull_all("G_batch", "Batched", 1, 0, 20)
        .await
        .unwrap();
    assert_eq!(msgs.len(), 20);
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m.body, body(i % 10));
        assert_eq!(m.queue_offset, i as i64);
    }
}

#[tokio::test]
async fn tags_filter_on_the_broker() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    for i in 0..30 {
        let tag = ["TagA", "TagB", "TagC"][i % 3];
        let r = client.send("Tagged", 0, body(i), Some(tag)).await.unwrap();
        assert_eq!(r.code, response::SUCCESS);
    }
    client.send("Tagged", 0, body(99), None).await.unwrap();
    // Wait until all 31 are dispatched to the queue.
    assert_eq!(
        client
            .pull_all("G_all", "Tagged", 0, 0, 31)
            .await
            .unwrap()
            .len(),
        31
    );
    // Posted subscription, with spaces as real clients send it.
    let mut p = PullRequest::new("G_tags", "Tagged", 0, 0);
    p.subscription = Some("TagA ||  TagC ".into());
    p.max_msgs = 64;
    let r = client.pull(&p).await.unwrap();
    assert_eq!(r.code, response::SUCCESS);
    let tags: Vec<&str> = r.messages.iter().filter_map(|m| m.property(TAGS)).collect();
    assert_eq!(tags.len(), 20);
    assert!(tags.iter().all(|t| *t == "TagA" || *t == "TagC"));
    // Without the subscription flag the heartbeat's subscription applies.
    let code = client
        .heartbeat_consumer("127.0.0.1@test", "G_hb", "Tagged", "TagB")
        .await
        .unwrap();
    assert_eq!(code, response::SUCCESS);
    let mut p = PullRequest::new("G_hb", "Tagged", 0, 0);
    p.subscription = None;
    p.max_msgs = 64;
    let r = client.pull(&p).await.unwrap();
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
    assert_eq!(r.messages.len(), 10);
    assert!(r.messages.iter().all(|m| m.property(TAGS) == Some("TagB")));
    // A group that never sent a heartbeat has no subscription.
    let mut p = PullRequest::new("G_unknown", "Tagged", 0, 0);
    p.subscription = None;
    let r = client.pull(&p).await.unwrap();
    assert_eq!(r.code, response::SUBSCRIPTION_NOT_EXIST);
}
