//! The SDK's admin API (`DefaultMQAdminExt`) against our cluster: cluster
//! info, topics (create, route, list, stats, delete), offsets, consume
//! stats, subscription groups, broker config and runtime info, message
//! queries, NameServer KV configs and write permissions.

mod client_producer_util;

use std::time::Duration;

use client::admin::DefaultMQAdminExt;
use client::MessageQueue;
use client_producer_util as util;
use harness::Cluster;
use protocol::body::route::{TopicConfig, PERM_READ, PERM_RW};
use protocol::body::SubscriptionGroupConfig;
use protocol::code::response;

async fn setup() -> (Cluster, DefaultMQAdminExt, String) {
    let cluster = Cluster::builder().brokers(2).start().await.unwrap();
    let ns = cluster.namesrv_addr_list();
    let admin = util::admin(&ns).await;
    (cluster, admin, ns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_routes_stats_and_delete() {
    let (cluster, admin, ns) = setup().await;
    let info = admin.examine_broker_cluster_info().await.unwrap();
    let brokers = &info.cluster_addr_table["DefaultCluster"];
    assert_eq!(brokers.iter().collect::<Vec<_>>(), ["broker-a", "broker-b"]);
    let masters = admin.cluster_master_addrs("DefaultCluster").await.unwrap();
    assert_eq!(masters, [cluster.broker_addr(0), cluster.broker_addr(1)]);

    let topic = util::unique_topic("ClientAdminTopic");
    let tc = TopicConfig::new(&topic, 3, 3, PERM_RW);
    let done = admin
        .create_topic_in_cluster("DefaultCluster", &tc)
        .await
        .unwrap();
    assert_eq!(done.len(), 2);
    util::create_topic(&admin, &topic, 3).await; // waits for the route
    let route = admin.examine_topic_route_info(&topic).await.unwrap();
    assert_eq!(route.queue_datas.len(), 2);
    assert!(route.queue_datas.iter().all(|q| q.write_queue_nums == 3));
    assert!(admin
        .fetch_all_topic_list()
        .await
        .unwrap()
        .topic_list
        .contains(&topic));
    assert!(admin
        .fetch_topics_by_cluster("DefaultCluster")
        .await
        .unwrap()
        .topic_list
        .contains(&topic));
    assert_eq!(
        admin.topic_cluster_list(&topic).await.unwrap(),
        ["DefaultCluster"]
    );

    // 30 messages, then offsets add up.
    let p = util::producer(&ns, "client_admin_producer").await;
    for i in 0..30 {
        p.send(util::message(&topic, "sync", i)).await.unwrap();
    }
    // The ConsumeQueue is built asynchronously (as in Java): wait for it.
    let mut stats = admin.examine_topic_stats(&topic).await.unwrap();
    for _ in 0..50 {
        if stats
            .offset_table
            .values()
            .map(|o| o.max_offset)
            .sum::<i64>()
            == 30
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        stats = admin.examine_topic_stats(&topic).await.unwrap();
    }
    assert_eq!(stats.offset_table.len(), 6);
    let total: i64 = stats.offset_table.values().map(|o| o.max_offset).sum();
    assert_eq!(total, 30);
    for (mq, o) in &stats.offset_table {
        assert_eq!(admin.max_offset(mq).await.unwrap(), o.max_offset);
        assert_eq!(admin.min_offset(mq).await.unwrap(), 0);
    }

    // Offsets of a group, and its consume stats.
    let group = "client_admin_group";
    let (mq, o) = stats
        .offset_table
        .iter()
        .find(|(_, o)| o.max_offset >= 2)
        .map(|(mq, o)| (mq.clone(), *o))
        .unwrap();
    // Nothing stored: QUERY_NOT_FOUND, or 0 while message 0 is in memory
    // (the broker's rule when the request does not say setZeroIfNotFound).
    let none = admin.consumer_offset(group, &mq).await.unwrap();
    assert!(matches!(none, None | Some(0)), "{none:?}");
    admin.update_consumer_offset(group, &mq, 2).await.unwrap();
    assert_eq!(admin.consumer_offset(group, &mq).await.unwrap(), Some(2));
    let cs = admin
        .examine_consume_stats(group, Some(&topic))
        .await
        .unwrap();
    let w = cs.offset_table[&mq];
    assert_eq!((w.broker_offset, w.consumer_offset), (o.max_offset, 2));
    assert!(cs.diff_total() >= o.max_offset - 2);

    // Search by store time: the far future is past the end.
    let far = admin.search_offset(&mq, i64::MAX / 2).await.unwrap();
    assert!(far <= o.max_offset);
    assert!(admin.earliest_msg_store_time(&mq).await.unwrap() > 0);

    // Read-only update, then delete.
    let ro = TopicConfig::new(&topic, 3, 3, PERM_READ);
    admin
        .create_and_update_topic_config(cluster.broker_addr(0), &ro)
        .await
        .unwrap();
    admin.delete_topic(&topic, "DefaultCluster").await.unwrap();
    let e = admin.examine_topic_route_info(&topic).await.unwrap_err();
    assert_eq!(e.response_code(), Some(response::TOPIC_NOT_EXIST), "{e}");
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_by_id_and_key() {
    let (_cluster, admin, ns) = setup().await;
    let topic = util::unique_topic("ClientAdminQuery");
    util::create_topic(&admin, &topic, 2).await;
    let p = util::producer(&ns, "client_admin_query").await;
    let sent = p.send(util::message(&topic, "sync", 42)).await.unwrap();

    let m = admin.view_message(&sent.offset_msg_id).await.unwrap();
    assert_eq!(m.uniq_key(), Some(sent.msg_id.as_str()));
    assert_eq!(&m.body[..], util::body("sync", 42).as_bytes());

    let end = i64::MAX / 2;
    let mut found = Vec::new();
    for _ in 0..50 {
        // the index is built asynchronously
        found = admin
            .query_message(&topic, "sync-k42", 32, 0, end, false)
            .await
            .unwrap();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found.len(), 1, "by key");
    let by_id = admin
        .query_message(&topic, &sent.msg_id, 32, 0, end, true)
        .await
        .unwrap();
    assert_eq!(by_id.len(), 1, "by unique key");
    assert_eq!(by_id[0].queue_offset, sent.queue_offset);
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_brokers_and_namesrv_settings() {
    let (cluster, admin, _ns) = setup().await;
    let addr = cluster.broker_addr(0).to_owned();

    // Subscription groups.
    let mut g = SubscriptionGroupConfig::new("client_admin_sub");
    g.retry_max_times = 5;
    admin
        .create_subscription_group_in_cluster("DefaultCluster", &g)
        .await
        .unwrap();
    let all = admin.get_all_subscription_group(&addr).await.unwrap();
    assert_eq!(
        all.subscription_group_table["client_admin_sub"].retry_max_times,
        5
    );
    admin
        .delete_subscription_group(&addr, "client_admin_sub", true)
        .await
        .unwrap();
    let all = admin.get_all_subscription_group(&addr).await.unwrap();
    assert!(!all
        .subscription_group_table
        .contains_key("client_admin_sub"));

    // Broker config and runtime info.
    let cfg = admin.get_broker_config(&addr).await.unwrap();
    assert_eq!(cfg.get("brokerName").map(String::as_str), Some("broker-a"));
    admin
        .update_broker_config(&addr, "autoCreateSubscriptionGroup", "false")
        .await
        .unwrap();
    let cfg = admin.get_broker_config(&addr).await.unwrap();
    assert_eq!(
        cfg.get("autoCreateSubscriptionGroup").map(String::as_str),
        Some("false")
    );
    let e = admin
        .update_broker_config(&addr, "brokerConfigPath", "/tmp/x")
        .await
        .unwrap_err();
    assert_eq!(e.response_code(), Some(response::NO_PERMISSION), "{e}");
    let rt = admin.fetch_broker_runtime_stats(&addr).await.unwrap();
    assert!(
        rt.table.contains_key("brokerVersionDesc"),
        "{:?}",
        rt.table.keys()
    );
    assert!(rt.table.contains_key("putTps"));

    // NameServer KV config and write permission.
    admin.put_kv_config("client_ns", "k", "v1").await.unwrap();
    assert_eq!(
        admin
            .get_kv_config("client_ns", "k")
            .await
            .unwrap()
            .as_deref(),
        Some("v1")
    );
    admin.delete_kv_config("client_ns", "k").await.unwrap();
    assert_eq!(admin.get_kv_config("client_ns", "k").await.unwrap(), None);

    let topic = util::unique_topic("ClientAdminPerm");
    util::create_topic(&admin, &topic, 2).await;
    let wiped = admin.wipe_write_perm_of_broker("broker-a").await.unwrap();
    assert!(wiped.iter().all(|(_, n)| *n > 0), "{wiped:?}");
    let route = admin.examine_topic_route_info(&topic).await.unwrap();
    let qa = route
        .queue_datas
        .iter()
        .find(|q| q.broker_name == "broker-a")
        .unwrap();
    assert_eq!(qa.perm & protocol::body::route::PERM_WRITE, 0);
    admin.add_write_perm_of_broker("broker-a").await.unwrap();
    let route = admin.examine_topic_route_info(&topic).await.unwrap();
    let qa = route
        .queue_datas
        .iter()
        .find(|q| q.broker_name == "broker-a")
        .unwrap();
    assert_ne!(qa.perm & protocol::body::route::PERM_WRITE, 0);

    // Unknown queue of a known broker still answers (offset 0).
    let mq = MessageQueue::new(&topic, "broker-a", 1);
    assert_eq!(admin.max_offset(&mq).await.unwrap(), 0);
    admin.shutdown().await;
}
