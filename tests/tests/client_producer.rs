//! The SDK producer against our broker: 10,000 messages sent every way
//! (sync, async future, callback, oneway, batch, hash selector) and pulled
//! back with content and count checks; topic auto-creation through the
//! TBW102 route; send errors carrying the broker's code.

mod client_producer_util;

use std::time::Duration;

use client::producer::DefaultMQProducer;
use client::Message;
use client_producer_util as util;
use harness::Cluster;
use protocol::code::response;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_every_way() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let ns = cluster.namesrv_addr_list();
    let admin = util::admin(&ns).await;
    let topic = util::unique_topic("ClientEveryWay");
    util::create_topic(&admin, &topic, 4).await;

    let p = util::producer(&ns, "client_every_way").await;
    let (selector_queues, sync_results) = util::send_every_way(&p, &topic).await;
    let pulled = util::pull_all(&admin, &topic, util::total(), Duration::from_secs(10)).await;
    util::verify(&pulled, &topic, &selector_queues, &sync_results);
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_topic_is_created_through_the_default_route() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let ns = cluster.namesrv_addr_list();
    let p = util::producer(&ns, "client_auto_create").await;
    let topic = util::unique_topic("ClientAutoCreate");
    for i in 0..20 {
        let r = p
            .send(util::message(&topic, "sync", i))
            .await
            .expect("send to a new topic");
        assert_eq!(r.message_queue.topic, topic);
        assert!(r.message_queue.queue_id < 4, "default queue count is 4");
    }
    // The broker registered the new topic: its real route appears.
    let admin = util::admin(&ns).await;
    let mut routed = false;
    for _ in 0..100 {
        if admin.examine_topic_route_info(&topic).await.is_ok() {
            routed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(routed, "auto-created topic gets a route");
    let pulled = util::pull_all(&admin, &topic, 20, Duration::from_secs(5)).await;
    assert_eq!(pulled.len(), 20);
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_bad_input_are_typed_errors() {
    let cluster = Cluster::builder()
        .brokers(1)
        .broker_config("autoCreateTopicEnable", "false")
        .start()
        .await
        .unwrap();
    let ns = cluster.namesrv_addr_list();
    let p = util::producer(&ns, "client_refusals").await;

    // Not a topic name / empty body: rejected before anything is sent.
    let e = p.send(Message::new("bad topic", "x")).await.unwrap_err();
    assert!(matches!(e, client::ClientError::IllegalArgument(_)), "{e}");
    let e = p.send(Message::new("T", "")).await.unwrap_err();
    assert!(matches!(e, client::ClientError::IllegalArgument(_)), "{e}");

    // No auto-create: no route, as the Java client reports it.
    let e = p
        .send(Message::new(util::unique_topic("NoSuchTopic"), "x"))
        .await
        .unwrap_err();
    assert!(matches!(e, client::ClientError::NoRoute(_)), "{e}");

    // A queue the topic does not have: the broker refuses; the error keeps
    // the broker's code and remark.
    let admin = util::admin(&ns).await;
    let topic = util::unique_topic("ClientRefusal");
    util::create_topic(&admin, &topic, 4).await;
    let mq = client::MessageQueue::new(&topic, "broker-a", 99);
    let e = p
        .send_to_queue(Message::new(&topic, "x"), &mq)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.response_code(),
            Some(response::SYSTEM_ERROR) | Some(response::INVALID_PARAMETER)
        ),
        "{e}"
    );
    assert!(!e.remark().unwrap_or_default().is_empty());
    admin.shutdown().await;

    // After shutdown sends fail cleanly.
    p.shutdown().await;
    let e = p.send(Message::new("T", "x")).await.unwrap_err();
    assert!(matches!(e, client::ClientError::IllegalState(_)), "{e}");

    // A producer that was never started.
    let idle = DefaultMQProducer::new("never_started");
    assert!(idle.send(Message::new("T", "x")).await.is_err());
}

/// `mqbench producer --create-topic` creates the topic on every master and
/// waits for its route before the load starts, so no send fails for want
/// of a route (auto-creation is off, so nothing else makes the topic).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqbench_create_topic_then_every_send_succeeds() {
    use client::bench::producer::{run, ProducerArgs, SendMode};
    let cluster = Cluster::builder()
        .brokers(2)
        .broker_config("autoCreateTopicEnable", "false")
        .start()
        .await
        .unwrap();
    let topic = util::unique_topic("MqbenchCreate");
    let args = ProducerArgs {
        namesrv: Some(cluster.namesrv_addr_list()),
        topic: topic.clone(),
        size: 256,
        inflight: 16,
        duration: None,
        count: Some(300),
        mode: SendMode::Async,
        batch: 1,
        queues: 4,
        create_topic: true,
        cluster: None,
        group: "mqbench_create_test".into(),
        tags: None,
        timeout_ms: 3000,
        json: true,
        quiet: true,
    };
    let summary = tokio::time::timeout(Duration::from_secs(60), run(args))
        .await
        .expect("mqbench finishes")
        .expect("mqbench runs");
    assert_eq!(summary.sent, 300, "{summary:?}");
    assert_eq!(summary.failed, 0, "{summary:?}");
    let admin = util::admin(&cluster.namesrv_addr_list()).await;
    let route = admin.examine_topic_route_info(&topic).await.unwrap();
    assert_eq!(route.queue_datas.len(), 2, "created on both masters");
    admin.shutdown().await;
}
