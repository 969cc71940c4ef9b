//! The same send-every-way suite against the peer broker (mxsm/rocketmq-rust,
//! started by ../shared/bench/run-peer.sh). Runs when `RMQ_PEER_NAMESRV`
//! holds the peer's NameServer address; otherwise each test prints why it
//! skipped and passes.

mod client_producer_util;

use std::io::Write;
use std::time::Duration;

use client_producer_util as util;

fn peer() -> Option<String> {
    match std::env::var("RMQ_PEER_NAMESRV") {
        Ok(a) if !a.trim().is_empty() => Some(a),
        _ => {
            // Written to stderr directly so the reason shows even though
            // the test harness captures `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {}: RMQ_PEER_NAMESRV is not set (start the peer with ../shared/bench/run-peer.sh)",
                std::thread::current().name().unwrap_or("peer test")
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_ten_thousand_messages_every_way() {
    let Some(ns) = peer() else { return };
    let admin = util::admin(&ns).await;
    let topic = util::unique_topic("ClientPeerEveryWay");
    util::create_topic(&admin, &topic, 4).await;
    let p = util::producer(&ns, "client_peer_every_way").await;
    let (selector_queues, sync_results) = util::send_every_way(&p, &topic).await;
    let pulled = util::pull_all(&admin, &topic, util::total(), Duration::from_secs(20)).await;
    util::verify(&pulled, &topic, &selector_queues, &sync_results);
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_unknown_topic_is_created_through_the_default_route() {
    let Some(ns) = peer() else { return };
    let p = util::producer(&ns, "client_peer_auto_create").await;
    let topic = util::unique_topic("ClientPeerAutoCreate");
    for i in 0..20 {
        p.send(util::message(&topic, "sync", i))
            .await
            .expect("send to a new topic");
    }
    let admin = util::admin(&ns).await;
    let pulled = util::pull_all(&admin, &topic, 20, Duration::from_secs(10)).await;
    assert_eq!(pulled.len(), 20);
    p.shutdown().await;
    admin.shutdown().await;
}
