//! Two brokers serve one topic; one goes away. Its routes disappear from the
//! name server (at once on a clean stop, by channel close / expiry on a
//! kill) and a producer that follows the routes keeps succeeding on the
//! other broker.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use harness::client::TestClient;
use harness::{Cluster, Mode};
use protocol::body::route::{is_writeable, TopicRouteData};
use protocol::code::response;

/// Broker names in the route of `topic` (empty when there is none).
async fn routed_brokers(ns: &TestClient, topic: &str) -> Vec<String> {
    match ns.route(topic).await {
        Ok(Some(route)) => route
            .queue_datas
            .iter()
            .map(|q| q.broker_name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Master address of every writable broker in the route.
fn writable(route: &TopicRouteData) -> Vec<String> {
    route
        .queue_datas
        .iter()
        .filter(|q| is_writeable(q.perm) && q.write_queue_nums > 0)
        .filter_map(|q| {
            route
                .broker_datas
                .iter()
                .find(|b| b.broker_name == q.broker_name)
                .and_then(|b| b.master_addr().map(str::to_owned))
        })
        .collect()
}

/// A producer that follows the routes like the Java client: pick a broker
/// round-robin from the route, and on failure refresh the route and retry
/// on another broker (up to 3 attempts).
struct RoutedProducer {
    ns: TestClient,
    conns: BTreeMap<String, TestClient>,
    counter: usize,
}

impl RoutedProducer {
    async fn send(&mut self, topic: &str, body: Bytes) -> Result<String, String> {
        let mut last = String::new();
        for attempt in 0..3 {
            let route = self
                .ns
                .route(topic)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no route")?;
            let addrs = writable(&route);
            if addrs.is_empty() {
                return Err("no writable broker".into());
            }
            self.counter += 1;
            let addr = addrs[(self.counter + attempt) % addrs.len()].clone();
            if !self.conns.contains_key(&addr) || self.conns[&addr].conn().is_closed() {
                match TestClient::connect(&addr).await {
                    Ok(c) => {
                        self.conns.insert(addr.clone(), c);
                    }
                    Err(e) => {
                        last = format!("{addr}: {e}");
                        continue;
                    }
                }
            }
            match self.conns[&addr].send(topic, -1, body.clone(), None).await {
                Ok(r) if r.code == response::SUCCESS => return Ok(addr),
                Ok(r) => last = format!("{addr}: code {} {}", r.code, r.remark),
                Err(e) => last = format!("{addr}: {e}"),
            }
        }
        Err(last)
    }
}

async fn two_broker_topic(cluster: &Cluster, topic: &str) -> TestClient {
    for i in 0..2 {
        let c = TestClient::connect(cluster.broker_addr(i)).await.unwrap();
        let r = c
            .send(topic, 0, Bytes::from_static(b"create"), None)
            .await
            .unwrap();
        assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
    }
    let ns = TestClient::connect(cluster.namesrv_addr(0)).await.unwrap();
    let both = harness::wait_until(Duration::from_secs(5), || async {
        routed_brokers(&ns, topic).await.len() == 2
    })
    .await;
    assert!(
        both,
        "both brokers routed: {:?}",
        routed_brokers(&ns, topic).await
    );
    ns
}

#[tokio::test]
async fn killed_broker_expires_and_sends_keep_succeeding() {
    let mut cluster = Cluster::builder()
        .mode(Mode::ChildProcess)
        .namesrv_config("scanNotActiveBrokerInterval", 200)
        .namesrv_config("brokerChannelExpiredTime", 3000)
        .brokers(2)
        .start()
        .await
        .unwrap();
    let ns = two_broker_topic(&cluster, "Failover").await;
    let mut producer = RoutedProducer {
        ns: TestClient::connect(cluster.namesrv_addr(0)).await.unwrap(),
        conns: BTreeMap::new(),
        counter: 0,
    };
    for i in 0..20 {
        producer
            .send("Failover", Bytes::from(format!("before-{i}")))
            .await
            .unwrap();
    }
    cluster.broker_mut(1).kill();
    // Sends succeed throughout (retrying on the live broker if needed).
    for i in 0..50 {
        let r = producer
            .send("Failover", Bytes::from(format!("during-{i}")))
            .await;
        assert!(r.is_ok(), "send {i}: {r:?}");
    }
    let expired = harness::wait_until(Duration::from_secs(10), || async {
        routed_brokers(&ns, "Failover").await == vec!["broker-a".to_owned()]
    })
    .await;
    assert!(
        expired,
        "routes: {:?}",
        routed_brokers(&ns, "Failover").await
    );
    for i in 0..30 {
        let addr = producer
            .send("Failover", Bytes::from(format!("after-{i}")))
            .await
            .unwrap();
        assert_eq!(addr, cluster.broker_addr(0));
    }
}

#[tokio::test]
async fn cleanly_stopped_broker_unregisters_at_once() {
    let mut cluster = Cluster::builder().brokers(2).start().await.unwrap();
    let ns = two_broker_topic(&cluster, "Unregister").await;
    assert!(cluster.broker_mut(1).stop(Duration::from_secs(10)).await);
    // Unregistration is part of the stop: no waiting for expiry.
    assert_eq!(
        routed_brokers(&ns, "Unregister").await,
        vec!["broker-a".to_owned()]
    );
    let c = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    for i in 0..10 {
        let r = c
            .send("Unregister", -1, Bytes::from(format!("m{i}")), None)
            .await
            .unwrap();
        assert_eq!(r.code, response::SUCCESS);
    }
    // Restarted, it registers again.
    cluster.broker_mut(1).restart().await.unwrap();
    assert_eq!(routed_brokers(&ns, "Unregister").await.len(), 2);
}
