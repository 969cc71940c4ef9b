//! ClientManager tests over real loopback connections: the broker side of
//! each connection is captured from a test server, the client side records
//! the NOTIFY_CONSUMER_IDS_CHANGED requests it receives.

use super::*;
use crate::clock::ManualClock;
use parking_lot::Mutex;
use protocol::net::{self, BoxFuture, ClientConfig, Processor, ServerConfig};
use tokio::sync::oneshot;

/// Server side: remembers every accepted connection.
#[derive(Default)]
struct Capture(Mutex<Vec<Arc<Connection>>>);

impl Processor for Capture {
    fn process<'a>(
        &'a self,
        _c: &'a Arc<Connection>,
        _r: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async { Some(RemotingCommand::success()) })
    }

    fn on_connected(&self, conn: &Arc<Connection>) {
        self.0.lock().push(conn.clone());
    }
}

/// Client side: counts notifications per group.
#[derive(Default)]
struct Notified(Mutex<Vec<String>>);

impl Processor for Notified {
    fn process<'a>(
        &'a self,
        _c: &'a Arc<Connection>,
        r: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        if r.code == request::NOTIFY_CONSUMER_IDS_CHANGED {
            let group = r.ext_fields.get("consumerGroup").unwrap_or("").to_owned();
            self.0.lock().push(group);
        }
        Box::pin(async { None })
    }
}

struct Rig {
    capture: Arc<Capture>,
    addr: String,
    _stop: oneshot::Sender<()>,
}

impl Rig {
    async fn start() -> Rig {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let capture = Arc::new(Capture::default());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(net::run(
            ServerConfig::default(),
            listener,
            capture.clone(),
            async {
                let _ = rx.await;
            },
        ));
        Rig {
            capture,
            addr,
            _stop: tx,
        }
    }

    /// Connects a client; returns (client side, notifications, broker side).
    async fn client(&self) -> (Arc<Connection>, Arc<Notified>, Arc<Connection>) {
        let before = self.capture.0.lock().len();
        let notified = Arc::new(Notified::default());
        let c = Connection::connect(&self.addr, &ClientConfig::default(), Some(notified.clone()))
            .await
            .unwrap();
        for _ in 0..200 {
            if self.capture.0.lock().len() > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let server_side = self.capture.0.lock()[before].clone();
        (c, notified, server_side)
    }
}

fn info(id: &str) -> ClientInfo {
    ClientInfo {
        client_id: id.to_owned(),
        language: LanguageCode::Java,
        version: 479,
    }
}

fn consumer(group: &str, subs: Vec<SubscriptionData>) -> ConsumerData {
    ConsumerData {
        group_name: group.to_owned(),
        subscription_data_set: subs,
        ..Default::default()
    }
}

async fn wait_count(n: &Notified, want: usize) -> bool {
    for _ in 0..200 {
        if n.0.lock().len() >= want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

#[tokio::test]
async fn heartbeat_registers_and_new_members_trigger_notify() {
    let rig = Rig::start().await;
    let m = ClientManager::new();
    let (_c1, n1, s1) = rig.client().await;
    let (_c2, n2, s2) = rig.client().await;
    let data = consumer("G", vec![SubscriptionData::new("T", "TagA || TagB", 1)]);
    let subs = data.subscription_data_set.clone();

    let out = m.register_consumer(&s1, &info("c1"), &data, Some(&subs), true);
    assert!(out.membership_changed && out.subscriptions_changed);
    assert!(wait_count(&n1, 1).await);
    // A refresh from the same connection changes nothing and notifies no one.
    let out = m.register_consumer(&s1, &info("c1"), &data, Some(&subs), true);
    assert_eq!(out, RegisterOutcome::default());

    m.register_consumer(&s2, &info("c2"), &data, Some(&subs), true);
    assert!(wait_count(&n1, 2).await);
    assert!(wait_count(&n2, 1).await);
    assert_eq!(n1.0.lock()[1], "G");
    assert_eq!(m.consumer_ids("G"), ["c1", "c2"]);

    let sub = m.subscription("G", "T").unwrap();
    let f = sub.filter.as_ref().unwrap();
    assert!(f.matches_code(protocol::message::tag_hash_code(Some("TagB"))));
    assert!(!f.matches_code(protocol::message::tag_hash_code(Some("TagC"))));
    assert_eq!(
        m.subscription("G", "X").unwrap_err(),
        SubscriptionMiss::TopicNotSubscribed
    );
    assert_eq!(
        m.subscription("H", "T").unwrap_err(),
        SubscriptionMiss::GroupNotOnline
    );

    let cc = m.consumer_connection("G").unwrap();
    assert_eq!(cc.connection_set.len(), 2);
    assert_eq!(cc.message_model, Some(MessageModel::Clustering));
    assert!(cc.subscription_table.contains_key("T"));
    assert_eq!(m.groups_subscribing("T"), BTreeSet::from(["G".to_owned()]));
}

#[tokio::test]
async fn unregister_and_close_notify_the_remaining_members() {
    let rig = Rig::start().await;
    let m = ClientManager::new();
    let (_c1, n1, s1) = rig.client().await;
    let (c2, _n2, s2) = rig.client().await;
    let (_c3, _n3, s3) = rig.client().await;
    let data = consumer("G", vec![]);
    m.register_consumer(&s1, &info("c1"), &data, Some(&[]), true);
    m.register_consumer(&s2, &info("c2"), &data, Some(&[]), true);
    m.register_consumer(&s3, &info("c3"), &data, Some(&[]), true);
    assert!(wait_count(&n1, 3).await);

    assert!(m.unregister_consumer("G", &s3, true));
    assert!(!m.unregister_consumer("G", &s3, true));
    assert!(wait_count(&n1, 4).await);
    assert_eq!(m.consumer_ids("G"), ["c1", "c2"]);

    c2.close();
    for _ in 0..200 {
        if s2.is_closed() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    m.on_connection_closed(&s2);
    assert!(wait_count(&n1, 5).await);
    assert_eq!(m.consumer_ids("G"), ["c1"]);

    m.on_connection_closed(&s1);
    assert!(m.consumer_ids("G").is_empty());
    assert!(m.consumer_connection("G").is_none());
    assert!(m.consumer_groups().is_empty());
}

#[tokio::test]
async fn silent_channels_expire_and_are_closed() {
    let rig = Rig::start().await;
    let clock = ManualClock::new(1_000_000);
    let m = ClientManager::with_clock(clock.clone(), DEFAULT_CHANNEL_EXPIRED_MS);
    let (_c1, n1, s1) = rig.client().await;
    let (_c2, _n2, s2) = rig.client().await;
    let data = consumer("G", vec![]);
    m.register_consumer(&s1, &info("c1"), &data, Some(&[]), false);
    m.register_consumer(&s2, &info("c2"), &data, Some(&[]), false);
    m.register_producer(&s2, &info("c2"), "PG");
    assert!(m.producer_connection("PG").is_some());

    clock.advance(100_000);
    m.register_consumer(&s1, &info("c1"), &data, Some(&[]), false); // c1 keeps beating
    assert_eq!(m.scan_expired(), 0);
    clock.advance(30_000);
    assert_eq!(m.scan_expired(), 1);
    assert_eq!(m.consumer_ids("G"), ["c1"]);
    assert!(m.producer_connection("PG").is_none());
    assert!(wait_count(&n1, 1).await, "remaining member notified");
    for _ in 0..200 {
        if s2.is_closed() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(s2.is_closed(), "expired connection is closed");
}

#[tokio::test]
async fn subscriptions_follow_the_newest_heartbeat() {
    let rig = Rig::start().await;
    let m = ClientManager::new();
    let (_c1, _n1, s1) = rig.client().await;
    let g = consumer("G", vec![]);
    let v1 = vec![
        SubscriptionData::new("A", "x", 10),
        SubscriptionData::new("B", "*", 10),
    ];
    m.register_consumer(&s1, &info("c1"), &g, Some(&v1), false);
    // An older version does not replace; a missing topic is dropped.
    let v0 = vec![SubscriptionData::new("A", "y", 5)];
    assert!(
        m.register_consumer(&s1, &info("c1"), &g, Some(&v0), false)
            .subscriptions_changed
    );
    assert_eq!(m.subscription("G", "A").unwrap().data.sub_string, "x");
    assert_eq!(
        m.subscription("G", "B").unwrap_err(),
        SubscriptionMiss::TopicNotSubscribed
    );
    // Same version, new expression (clients that always send 0) replaces.
    let v2 = vec![SubscriptionData::new("A", "z", 10)];
    m.register_consumer(&s1, &info("c1"), &g, Some(&v2), false);
    assert_eq!(m.subscription("G", "A").unwrap().data.sub_string, "z");
    // Heartbeat v2 without subscriptions keeps them.
    m.register_consumer(&s1, &info("c1"), &g, None, false);
    assert_eq!(m.subscribed_topics("G"), BTreeSet::from(["A".to_owned()]));
    // SQL92 subscriptions have no tag filter.
    let sql = vec![SubscriptionData::sql92("A", "a > 1", 11)];
    m.register_consumer(&s1, &info("c1"), &g, Some(&sql), false);
    assert!(m.subscription("G", "A").unwrap().filter.is_none());
}
