//! Long polling: a held pull answers as soon as a message for its queue
//! arrives, answers PULL_NOT_FOUND when its suspend time passes with
//! nothing, and skips messages its tag filter does not want.

use std::time::{Duration, Instant};

use bytes::Bytes;
use harness::client::{PullRequest, TestClient};
use harness::Cluster;
use protocol::code::response;
use protocol::message::properties::TAGS;

/// Creates `topic` (4 queues) by sending one message to queue 0, and waits
/// until that message is dispatched (readable).
async fn create_topic(client: &TestClient, topic: &str) {
    let r = client
        .send(topic, 0, Bytes::from_static(b"seed"), None)
        .await
        .unwrap();
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
    let seen = client.pull_all("G_seed", topic, 0, 0, 1).await.unwrap();
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn held_pull_returns_promptly_when_a_message_arrives() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let consumer = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let producer = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    create_topic(&producer, "LongPoll").await;

    let mut p = PullRequest::new("G_lp", "LongPoll", 1, 0);
    p.suspend_ms = 10_000;
    let started = Instant::now();
    let pull = tokio::spawn({
        let c = consumer.clone();
        async move {
            let r = c.pull(&p).await.unwrap();
            (r, Instant::now())
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !pull.is_finished(),
        "the pull is held while the queue is empty"
    );
    let sent_at = Instant::now();
    let r = producer
        .send("LongPoll", 1, Bytes::from_static(b"wake up"), None)
        .await
        .unwrap();
    assert_eq!(r.code, response::SUCCESS);
    let (r, answered_at) = tokio::time::timeout(Duration::from_secs(5), pull)
        .await
        .expect("held pull answered")
        .unwrap();
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
    assert_eq!(r.messages.len(), 1);
    assert_eq!(&r.messages[0].body[..], b"wake up");
    assert_eq!(r.next_begin_offset(), 1);
    let latency = answered_at - sent_at;
    assert!(
        latency < Duration::from_millis(500),
        "woken after {latency:?}"
    );
    assert!(answered_at - started < Duration::from_secs(3));
}

#[tokio::test]
async fn held_pull_times_out_with_pull_not_found() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    create_topic(&client, "Quiet").await;
    // Queue 0 holds one message: read it, then wait at its end.
    let mut p = PullRequest::new("G_quiet", "Quiet", 0, 1);
    p.suspend_ms = 700;
    let started = Instant::now();
    let r = client.pull(&p).await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.code, response::PULL_NOT_FOUND, "{}", r.remark);
    assert_eq!(r.next_begin_offset(), 1);
    assert!(
        took >= Duration::from_millis(650),
        "answered after {took:?}"
    );
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
    // Without SUSPEND the same pull answers at once.
    p.suspend_ms = 0;
    let started = Instant::now();
    let r = client.pull(&p).await.unwrap();
    assert_eq!(r.code, response::PULL_NOT_FOUND);
    assert!(started.elapsed() < Duration::from_millis(300));
    // An offset into a queue that never had a message moves at once.
    let mut p = PullRequest::new("G_quiet", "Quiet", 3, 5);
    p.suspend_ms = 5000;
    let started = Instant::now();
    let r = client.pull(&p).await.unwrap();
    assert_eq!(r.code, response::PULL_OFFSET_MOVED, "{}", r.remark);
    assert_eq!(r.next_begin_offset(), 0);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn held_pull_skips_unwanted_tags() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    create_topic(&client, "TagHold").await;
    let mut p = PullRequest::new("G_taghold", "TagHold", 2, 0);
    p.suspend_ms = 10_000;
    p.subscription = Some("TagA".into());
    let pull = tokio::spawn({
        let c = client.clone();
        async move { c.pull(&p).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..3 {
        let b = Bytes::from(format!("b{i}"));
        client.send("TagHold", 2, b, Some("TagB")).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !pull.is_finished(),
        "TagB messages do not answer a TagA pull"
    );
    client
        .send("TagHold", 2, Bytes::from_static(b"a"), Some("TagA"))
        .await
        .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), pull)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.messages[0].property(TAGS), Some("TagA"));
    assert_eq!(r.messages[0].queue_offset, 3);
    assert_eq!(r.next_begin_offset(), 4);
}

#[tokio::test]
async fn many_held_pulls_all_wake() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    create_topic(&client, "Fanout").await;
    let mut pulls = Vec::new();
    for g in 0..20 {
        let mut p = PullRequest::new(&format!("G_fan{g}"), "Fanout", 3, 0);
        p.suspend_ms = 10_000;
        let c = client.clone();
        pulls.push(tokio::spawn(async move { c.pull(&p).await.unwrap() }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .send("Fanout", 3, Bytes::from_static(b"all"), None)
        .await
        .unwrap();
    for p in pulls {
        let r = tokio::time::timeout(Duration::from_secs(5), p)
            .await
            .expect("answered")
            .unwrap();
        assert_eq!(r.code, response::SUCCESS);
        assert_eq!(&r.messages[0].body[..], b"all");
    }
    let ctx = cluster.broker(0).broker().unwrap().context();
    assert_eq!(ctx.pull_hold.waiting(), 0, "no hold is left behind");
}
