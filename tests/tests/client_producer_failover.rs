//! Failover: a broker stopped in the middle of a run (sends go to the other
//! broker within the retries, with and without latency-based avoidance),
//! and a dead NameServer in the list.

mod client_producer_util;

use std::collections::HashMap;
use std::time::Duration;

use client::producer::{DefaultMQProducer, ProducerConfig};
use client::ClientConfig;
use client_producer_util as util;
use futures::stream::{FuturesUnordered, StreamExt};
use harness::Cluster;

async fn broker_stopped_mid_run(fault_enable: bool) {
    let mut cluster = Cluster::builder().brokers(2).start().await.unwrap();
    let ns = cluster.namesrv_addr_list();
    let admin = util::admin(&ns).await;
    let topic = util::unique_topic("ClientFailover");
    util::create_topic(&admin, &topic, 4).await;

    let mut cfg = ProducerConfig::new("client_failover");
    cfg.client = ClientConfig::with_namesrv(&ns);
    cfg.send_latency_fault_enable = fault_enable;
    let p = DefaultMQProducer::with_config(cfg);
    p.start().await.unwrap();

    const N: usize = 600;
    const STOP_AT: usize = 200;
    let mut per_broker_after: HashMap<String, usize> = HashMap::new();
    let mut per_broker_before: HashMap<String, usize> = HashMap::new();
    let mut inflight = FuturesUnordered::new();
    let mut next = 0;
    let mut stopped = false;
    while next < N || !inflight.is_empty() {
        while next < N && inflight.len() < 16 {
            let i = next;
            let f = p.send_async_future(util::message(&topic, "failover", i));
            inflight.push(async move { (i, f.await) });
            next += 1;
        }
        if next >= STOP_AT && !stopped {
            // Stop broker-a while 16 sends are in flight.
            assert!(cluster.broker_mut(0).stop(Duration::from_secs(10)).await);
            stopped = true;
        }
        if let Some((i, r)) = inflight.next().await {
            let r = r.unwrap_or_else(|e| panic!("send {i} failed despite retries: {e}"));
            let counts = if stopped && i >= STOP_AT + 16 {
                &mut per_broker_after
            } else {
                &mut per_broker_before
            };
            *counts.entry(r.message_queue.broker_name).or_default() += 1;
        }
    }
    assert!(
        per_broker_before.len() == 2,
        "both brokers took messages before the stop: {per_broker_before:?}"
    );
    assert_eq!(
        per_broker_after.keys().collect::<Vec<_>>(),
        ["broker-b"],
        "after the stop everything lands on broker-b"
    );
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_fail_over_to_the_other_broker() {
    broker_stopped_mid_run(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_fail_over_with_latency_fault_tolerance() {
    broker_stopped_mid_run(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_namesrv_in_the_list_is_skipped() {
    let mut cluster = Cluster::builder()
        .namesrvs(2)
        .brokers(1)
        .start()
        .await
        .unwrap();
    let addrs = cluster.namesrv_addrs();
    // Either order: whichever the client tries first, one of them is dead.
    assert!(cluster.namesrv_mut(0).stop(Duration::from_secs(5)).await);
    for list in [
        format!("{};{}", addrs[0], addrs[1]),
        format!("{};{}", addrs[1], addrs[0]),
    ] {
        let p = util::producer(&list, "client_ns_failover").await;
        for i in 0..10 {
            p.send(util::message(&util::unique_topic("NsFailover"), "sync", i))
                .await
                .unwrap_or_else(|e| panic!("send with namesrv list {list}: {e}"));
        }
        p.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_is_redialled_after_a_broker_restart() {
    let mut cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let ns = cluster.namesrv_addr_list();
    let admin = util::admin(&ns).await;
    let topic = util::unique_topic("ClientRedial");
    util::create_topic(&admin, &topic, 2).await;
    let p = util::producer(&ns, "client_redial").await;
    let mq = client::MessageQueue::new(&topic, "broker-a", 0);
    p.send_to_queue(util::message(&topic, "sync", 0), &mq)
        .await
        .unwrap();
    cluster.broker_mut(0).restart().await.unwrap();
    // The pooled connection died with the broker; the next send dials again.
    let mut ok = false;
    for i in 1..50 {
        if p.send_to_queue(util::message(&topic, "sync", i), &mq)
            .await
            .is_ok()
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "sends work again after the restart");
    p.shutdown().await;
    admin.shutdown().await;
}
