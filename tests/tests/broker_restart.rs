//! Durability across restarts: consumer offsets and every acknowledged
//! message survive a clean restart (in process and SIGTERM of `mqbroker`)
//! and a `kill -9` under SYNC_FLUSH.

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use harness::client::{PullRequest, TestClient};
use harness::{Cluster, Mode};
use protocol::code::response;

fn body(i: usize) -> Bytes {
    Bytes::from(format!("durable-{i:04}-{}", "y".repeat(i % 64)))
}

/// Sends `n` messages round-robin over `queues` queues of `topic`, 32 in
/// flight; every one must be acknowledged SUCCESS.
async fn send_all(client: &TestClient, topic: &str, n: usize, queues: usize) {
    let mut i = 0;
    while i < n {
        let batch = i..(i + 32).min(n);
        let sends = batch.clone().map(|k| {
            let c = client.clone();
            async move { c.send(topic, (k % queues) as i32, body(k), None).await }
        });
        for r in futures::future::join_all(sends).await {
            let r = r.unwrap();
            assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
        }
        i = batch.end;
    }
}

/// Pulls every queue and checks that exactly messages `0..n` are there,
/// each once, at dense queue offsets (concurrent sends may be stored in any
/// order).
async fn check_all(client: &TestClient, topic: &str, n: usize, queues: usize) {
    for q in 0..queues {
        let expected: BTreeSet<Bytes> = (0..n).filter(|k| k % queues == q).map(body).collect();
        let msgs = client
            .pull_all("G_check", topic, q as i32, 0, expected.len())
            .await
            .unwrap();
        assert_eq!(msgs.len(), expected.len(), "queue {q}");
        for (j, m) in msgs.iter().enumerate() {
            assert_eq!(m.queue_offset, j as i64, "queue {q}");
        }
        let got: BTreeSet<Bytes> = msgs.into_iter().map(|m| m.body).collect();
        assert_eq!(got, expected, "queue {q}: contents");
    }
}

#[tokio::test]
async fn offsets_and_messages_survive_a_clean_restart() {
    let mut cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    send_all(&client, "Durable", 500, 2).await;
    check_all(&client, "Durable", 500, 2).await;
    // Offsets: one by UPDATE_CONSUMER_OFFSET, one piggybacked on a pull.
    assert_eq!(
        client
            .update_offset("G_dur", "Durable", 0, 123)
            .await
            .unwrap(),
        response::SUCCESS
    );
    let mut p = PullRequest::new("G_dur", "Durable", 1, 70);
    p.commit_offset = Some(77);
    let r = client.pull(&p).await.unwrap();
    assert_eq!(r.code, response::SUCCESS);
    assert_eq!(
        client.query_offset("G_dur", "Durable", 1).await.unwrap(),
        Some(77)
    );
    assert_eq!(
        client.query_offset("G_dur", "Durable", 2).await.unwrap(),
        None
    );

    assert!(
        cluster.broker_mut(0).stop(Duration::from_secs(10)).await,
        "clean stop"
    );
    assert!(
        !cluster.broker(0).store_dir().join("abort").exists(),
        "abort file removed"
    );
    cluster.broker_mut(0).restart().await.unwrap();

    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    assert_eq!(
        client.query_offset("G_dur", "Durable", 0).await.unwrap(),
        Some(123)
    );
    assert_eq!(
        client.query_offset("G_dur", "Durable", 1).await.unwrap(),
        Some(77)
    );
    check_all(&client, "Durable", 500, 2).await;
    // New messages continue the queues.
    let r = client.send("Durable", 0, body(0), None).await.unwrap();
    assert_eq!(r.header.unwrap().queue_offset, 250);
}

#[tokio::test]
async fn child_broker_sigterm_is_clean_and_restart_keeps_messages() {
    let mut cluster = Cluster::builder()
        .mode(Mode::ChildProcess)
        .brokers(1)
        .start()
        .await
        .unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    send_all(&client, "ChildDurable", 300, 3).await;
    assert_eq!(
        client
            .update_offset("G_child", "ChildDurable", 2, 42)
            .await
            .unwrap(),
        response::SUCCESS
    );
    let store = cluster.broker(0).store_dir();
    assert!(store.join("abort").exists(), "abort file while running");
    assert!(
        cluster.broker_mut(0).stop(Duration::from_secs(15)).await,
        "SIGTERM exits 0"
    );
    assert!(
        !store.join("abort").exists(),
        "abort file removed on clean shutdown"
    );
    let log =
        std::fs::read_to_string(cluster.broker(0).dir().join("broker-a.log")).unwrap_or_default();
    assert!(log.contains("boot success"), "{log}");
    cluster.broker_mut(0).restart().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    check_all(&client, "ChildDurable", 300, 3).await;
    assert_eq!(
        client
            .query_offset("G_child", "ChildDurable", 2)
            .await
            .unwrap(),
        Some(42)
    );
}

#[tokio::test]
async fn sync_flush_acknowledged_messages_survive_kill_9() {
    let mut cluster = Cluster::builder()
        .mode(Mode::ChildProcess)
        .brokers(1)
        .broker_config("flushDiskType", "SYNC_FLUSH")
        .start()
        .await
        .unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    send_all(&client, "Killed", 400, 4).await;
    cluster.broker_mut(0).kill();
    cluster.broker_mut(0).restart().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    check_all(&client, "Killed", 400, 4).await;
}
