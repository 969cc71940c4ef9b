//! The shared client instance: heartbeats register consumers and producers
//! with the broker, NOTIFY_CONSUMER_IDS_CHANGED triggers a rebalance at
//! once, offsets are persisted on schedule, and the instance shuts down
//! when its last member leaves.

mod client_producer_util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use client::instance::{
    ConsumeFromWhere, ConsumeType, ConsumerHook, MQClientInstance, MessageModel, SubscriptionData,
};
use client::ClientConfig;
use client_producer_util as util;
use harness::Cluster;
use protocol::net::BoxFuture;

struct CountingHook {
    group: String,
    topic: String,
    rebalances: AtomicUsize,
    persists: AtomicUsize,
}

impl CountingHook {
    fn new(group: &str, topic: &str) -> Arc<Self> {
        Arc::new(CountingHook {
            group: group.into(),
            topic: topic.into(),
            rebalances: AtomicUsize::new(0),
            persists: AtomicUsize::new(0),
        })
    }
}

impl ConsumerHook for CountingHook {
    fn group(&self) -> &str {
        &self.group
    }
    fn message_model(&self) -> MessageModel {
        MessageModel::Clustering
    }
    fn consume_type(&self) -> ConsumeType {
        ConsumeType::ConsumePassively
    }
    fn consume_from_where(&self) -> ConsumeFromWhere {
        ConsumeFromWhere::ConsumeFromFirstOffset
    }
    fn subscriptions(&self) -> Vec<SubscriptionData> {
        vec![SubscriptionData::new(self.topic.clone(), "TagA || TagB", 1)]
    }
    fn rebalance(&self) -> BoxFuture<'_, ()> {
        self.rebalances.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
    fn persist_offsets(&self) -> BoxFuture<'_, ()> {
        self.persists.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
}

fn config(ns: &str, name: &str) -> ClientConfig {
    let mut c = ClientConfig::with_namesrv(ns);
    c.instance_name = format!("{name}-{}", rand::random::<u32>());
    c.persist_consumer_offset_interval = Duration::from_millis(100);
    c
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 5 s: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_ids_change_triggers_rebalance_and_last_member_shuts_down() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let ns = cluster.namesrv_addr_list();
    let admin = util::admin(&ns).await;
    let topic = util::unique_topic("ClientInstance");
    util::create_topic(&admin, &topic, 4).await;
    let group = "client_instance_group";

    let i1 = MQClientInstance::get_or_create(&config(&ns, "one"))
        .await
        .unwrap();
    let again = MQClientInstance::get_or_create(i1.config()).await.unwrap();
    assert!(Arc::ptr_eq(&i1, &again), "one instance per client id");
    let h1 = CountingHook::new(group, &topic);
    i1.register_consumer(h1.clone()).unwrap();
    assert!(
        i1.register_consumer(CountingHook::new(group, &topic))
            .is_err(),
        "group unique"
    );
    assert_eq!(i1.subscribe_queues(&topic).await.unwrap().len(), 4);
    i1.send_heartbeat_now().await;
    assert_eq!(
        i1.consumer_ids(group, &topic).await.unwrap(),
        [i1.client_id()]
    );

    // Offsets are persisted on the schedule (100 ms here).
    eventually("persist_offsets runs", || {
        h1.persists.load(Ordering::SeqCst) >= 2
    })
    .await;

    // A second member joins: the broker notifies the first, which
    // rebalances long before the 20 s period.
    let before = h1.rebalances.load(Ordering::SeqCst);
    let i2 = MQClientInstance::get_or_create(&config(&ns, "two"))
        .await
        .unwrap();
    let h2 = CountingHook::new(group, &topic);
    i2.register_consumer(h2.clone()).unwrap();
    i2.topic_route(&topic).await.unwrap();
    i2.send_heartbeat_now().await;
    eventually("NOTIFY_CONSUMER_IDS_CHANGED rebalances member one", || {
        h1.rebalances.load(Ordering::SeqCst) > before
    })
    .await;
    let mut ids = i1.consumer_ids(group, &topic).await.unwrap();
    ids.sort();
    let mut want = vec![i1.client_id().to_owned(), i2.client_id().to_owned()];
    want.sort();
    assert_eq!(ids, want);

    // The admin API sees both and their subscription.
    let conns = admin.examine_consumer_connection_info(group).await.unwrap();
    assert_eq!(conns.connection_set.len(), 2);
    let sub = &conns.subscription_table[&topic];
    assert_eq!(sub.sub_string, "TagA || TagB");

    // The second leaves: the first rebalances again; the second's instance
    // had no other member and shuts down.
    let before = h1.rebalances.load(Ordering::SeqCst);
    i2.unregister_consumer_wait(group).await;
    assert!(i2.is_shut_down());
    eventually("member one rebalances when member two leaves", || {
        h1.rebalances.load(Ordering::SeqCst) > before
    })
    .await;
    assert_eq!(
        i1.consumer_ids(group, &topic).await.unwrap(),
        [i1.client_id()]
    );
    let fresh = MQClientInstance::get_or_create(i2.config()).await.unwrap();
    assert!(
        !Arc::ptr_eq(&fresh, &i2),
        "a shut-down instance is replaced"
    );
    fresh.shutdown();

    i1.unregister_consumer(group);
    eventually("instance one shuts down", || i1.is_shut_down()).await;
    admin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_heartbeat_shows_in_producer_connections() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let ns = cluster.namesrv_addr_list();
    let admin = util::admin(&ns).await;
    let topic = util::unique_topic("ClientProducerConn");
    util::create_topic(&admin, &topic, 4).await;
    let p = util::producer(&ns, "client_conn_group").await;
    p.send(util::message(&topic, "sync", 0)).await.unwrap();
    let inst = p.instance().unwrap().clone();
    inst.send_heartbeat_now().await;
    let conns = admin
        .examine_producer_connection_info("client_conn_group", &topic)
        .await
        .unwrap();
    assert!(
        conns
            .connection_set
            .iter()
            .any(|c| c.client_id == inst.client_id()),
        "{conns:?}"
    );
    p.shutdown().await;
    assert!(
        inst.is_shut_down(),
        "the producer was the instance's last member"
    );
    admin.shutdown().await;
}
