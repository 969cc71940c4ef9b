//! Topic and subscription-group administration, stats, broker config and
//! message queries against a running broker, as mqadmin drives them; bad
//! input gets its error code with a remark and the broker keeps serving.

mod broker_admin_util;

use broker_admin_util::*;
use bytes::Bytes;
use harness::client::TestClient;
use harness::Cluster;
use protocol::body::route::{KVTable, TopicConfigSerializeWrapper, TopicList};
use protocol::body::{
    ConsumeStats, GroupList, JsonBody, MessageQueue, SubscriptionGroupConfig,
    SubscriptionGroupWrapper, TopicStatsTable,
};
use protocol::code::{request, response};
use protocol::header::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, DeleteTopicRequestHeader,
    GetBrokerConfigResponseHeader, GetConsumeStatsRequestHeader, GetTopicStatsInfoRequestHeader,
    QueryMessageRequestHeader, QueryTopicConsumeByWhoRequestHeader, TopicFilterType,
    ViewMessageByIdRequestHeader,
};
use protocol::message::{decode_messages, decode_offset_msg_id};
use protocol::net::Connection;
use protocol::RemotingCommand;

fn create_topic(topic: &str, queues: i32) -> RemotingCommand {
    let h = CreateTopicRequestHeader {
        topic: topic.into(),
        default_topic: "TBW102".into(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm: 6,
        topic_filter_type: TopicFilterType::SingleTag,
        topic_sys_flag: Some(0),
        order: false,
        attributes: None,
        force: None,
    };
    RemotingCommand::request(request::UPDATE_AND_CREATE_TOPIC, &h)
}

async fn all_topics(conn: &Connection) -> TopicConfigSerializeWrapper {
    let r = call(
        conn,
        RemotingCommand::new_request(request::GET_ALL_TOPIC_CONFIG),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS);
    TopicConfigSerializeWrapper::from_json(&r.body).unwrap()
}

/// The queue count the name server's route gives `topic` on broker-a.
async fn route_queues(ns: &TestClient, topic: &str) -> Option<i32> {
    let route = ns.route(topic).await.unwrap()?;
    route
        .queue_datas
        .iter()
        .find(|q| q.broker_name == "broker-a")
        .map(|q| q.write_queue_nums)
}

#[tokio::test]
async fn create_update_delete_topic_reflected_in_config_and_routes() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let conn = client.conn();
    let ns = TestClient::connect(cluster.namesrv_addr(0)).await.unwrap();

    let r = call(conn, create_topic("T_admin", 4)).await;
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    let tc = &all_topics(conn).await.topic_config_table["T_admin"];
    assert_eq!(
        (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
        (4, 4, 6)
    );
    assert!(
        eventually(10, || async {
            route_queues(&ns, "T_admin").await == Some(4)
        })
        .await,
        "route of the new topic"
    );

    let r = call(conn, create_topic("T_admin", 8)).await;
    assert_eq!(r.code, response::SUCCESS);
    assert!(
        eventually(10, || async {
            route_queues(&ns, "T_admin").await == Some(8)
        })
        .await,
        "route follows the update"
    );
    let topics_json = cluster.broker(0).store_dir().join("config/topics.json");
    assert!(std::fs::read_to_string(&topics_json)
        .unwrap()
        .contains("\"T_admin\""));

    // Offsets of the topic go with it.
    client
        .send("T_admin", 0, Bytes::from_static(b"x"), None)
        .await
        .unwrap();
    assert_eq!(
        client
            .update_offset("G_admin", "T_admin", 0, 1)
            .await
            .unwrap(),
        response::SUCCESS
    );
    let h = DeleteTopicRequestHeader {
        topic: "T_admin".into(),
    };
    let r = call(
        conn,
        RemotingCommand::request(request::DELETE_TOPIC_IN_BROKER, &h),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    assert!(!all_topics(conn)
        .await
        .topic_config_table
        .contains_key("T_admin"));
    assert_eq!(
        client.query_offset("G_admin", "T_admin", 0).await.unwrap(),
        None
    );
    let h = GetTopicStatsInfoRequestHeader {
        topic: "T_admin".into(),
    };
    let r = call(
        conn,
        RemotingCommand::request(request::GET_TOPIC_STATS_INFO, &h),
    )
    .await;
    assert_eq!(r.code, response::TOPIC_NOT_EXIST);
    assert!(r.remark_str().contains("T_admin"), "{}", r.remark_str());
}

#[tokio::test]
async fn bad_admin_input_gets_error_codes_and_the_broker_keeps_serving() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let conn = client.conn();
    let cases: Vec<(RemotingCommand, i32, &str)> = vec![
        (
            create_topic("bad topic!", 4),
            response::INVALID_PARAMETER,
            "illegal",
        ),
        (
            create_topic(&"t".repeat(200), 4),
            response::INVALID_PARAMETER,
            "length",
        ),
        (
            create_topic("TBW102", 4),
            response::INVALID_PARAMETER,
            "system topic",
        ),
        (
            create_topic("T_neg", -1),
            response::INVALID_PARAMETER,
            "readQueueNums",
        ),
        (
            RemotingCommand::new_request(request::UPDATE_AND_CREATE_TOPIC),
            response::SYSTEM_ERROR,
            "topic",
        ),
        (
            RemotingCommand::new_request(request::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(Bytes::from_static(b"{not json")),
            response::SYSTEM_ERROR,
            "JSON",
        ),
        (
            RemotingCommand::new_request(request::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(SubscriptionGroupConfig::new("bad group").to_json()),
            response::INVALID_PARAMETER,
            "illegal",
        ),
        (
            RemotingCommand::new_request(request::HEART_BEAT)
                .with_body(Bytes::from_static(b"[1,2")),
            response::SYSTEM_ERROR,
            "JSON",
        ),
        (
            RemotingCommand::new_request(request::LOCK_BATCH_MQ)
                .with_body(Bytes::from_static(b"{\"mqSet\":7}")),
            response::SYSTEM_ERROR,
            "",
        ),
        (
            RemotingCommand::new_request(request::GET_CONSUMER_LIST_BY_GROUP),
            response::SYSTEM_ERROR,
            "consumerGroup",
        ),
        (
            RemotingCommand::request(
                request::VIEW_MESSAGE_BY_ID,
                &ViewMessageByIdRequestHeader {
                    offset: 1 << 40,
                    topic: None,
                },
            ),
            response::SYSTEM_ERROR,
            "can not find message",
        ),
        (
            RemotingCommand::new_request(request::UPDATE_BROKER_CONFIG)
                .with_body(Bytes::from_static(b"brokerConfigPath=/tmp/x\n")),
            response::NO_PERMISSION,
            "black list",
        ),
        (
            RemotingCommand::new_request(request::UPDATE_BROKER_CONFIG)
                .with_body(Bytes::from_static(b"defaultTopicQueueNums=many\n")),
            response::SYSTEM_ERROR,
            "defaultTopicQueueNums",
        ),
    ];
    for (i, (cmd, code, remark)) in cases.into_iter().enumerate() {
        let name = cmd.code;
        let r = call(conn, cmd).await;
        assert_eq!(
            r.code,
            code,
            "case {i} (request {name}): {}",
            r.remark_str()
        );
        assert!(!r.remark_str().is_empty(), "case {i} has a remark");
        assert!(
            r.remark_str()
                .to_lowercase()
                .contains(&remark.to_lowercase()),
            "case {i}: remark {:?} lacks {remark:?}",
            r.remark_str()
        );
    }
    // Still serving, and nothing bad was created.
    let r = call(conn, create_topic("T_fine", 2)).await;
    assert_eq!(r.code, response::SUCCESS);
    let topics = all_topics(conn).await.topic_config_table;
    assert!(topics.contains_key("T_fine") && !topics.contains_key("T_neg"));
    let r = call(
        conn,
        RemotingCommand::new_request(request::GET_BROKER_CONFIG),
    )
    .await;
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert!(
        text.contains("defaultTopicQueueNums=8"),
        "config unchanged: {text}"
    );
}

async fn list(c: &Connection) -> SubscriptionGroupWrapper {
    let r = call(
        c,
        RemotingCommand::new_request(request::GET_ALL_SUBSCRIPTIONGROUP_CONFIG),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS);
    SubscriptionGroupWrapper::from_json(&r.body).unwrap()
}

#[tokio::test]
async fn subscription_groups_are_created_listed_persisted_and_deleted() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let conn = client.conn();
    let mut cfg = SubscriptionGroupConfig::new("G_sub");
    cfg.retry_max_times = 3;
    cfg.consume_broadcast_enable = false;
    let cmd = RemotingCommand::new_request(request::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
        .with_body(cfg.to_json());
    assert_eq!(call(conn, cmd).await.code, response::SUCCESS);

    let w = list(conn).await;
    assert_eq!(w.subscription_group_table["G_sub"], cfg);
    assert!(w.subscription_group_table.contains_key("TOOLS_CONSUMER"));
    let file = cluster
        .broker(0)
        .store_dir()
        .join("config/subscriptionGroup.json");
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("\"G_sub\""));

    client
        .send("T_sub", 0, Bytes::from_static(b"x"), None)
        .await
        .unwrap();
    assert_eq!(
        client.update_offset("G_sub", "T_sub", 0, 1).await.unwrap(),
        response::SUCCESS
    );
    let h = DeleteSubscriptionGroupRequestHeader {
        group_name: "G_sub".into(),
        clean_offset: Some(true),
    };
    let r = call(
        conn,
        RemotingCommand::request(request::DELETE_SUBSCRIPTIONGROUP, &h),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS);
    assert!(!list(conn)
        .await
        .subscription_group_table
        .contains_key("G_sub"));
    assert!(!std::fs::read_to_string(&file)
        .unwrap()
        .contains("\"G_sub\""));
    assert_eq!(
        client.query_offset("G_sub", "T_sub", 0).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn stats_runtime_info_and_config() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let conn = client.conn();
    assert_eq!(
        call(conn, create_topic("T_stats", 2)).await.code,
        response::SUCCESS
    );
    for i in 0..5 {
        let r = client
            .send("T_stats", i % 2, Bytes::from(format!("m{i}")), None)
            .await
            .unwrap();
        assert_eq!(r.code, response::SUCCESS);
    }
    let h = GetTopicStatsInfoRequestHeader {
        topic: "T_stats".into(),
    };
    let stats = || async {
        let r = call(
            conn,
            RemotingCommand::request(request::GET_TOPIC_STATS_INFO, &h),
        )
        .await;
        assert_eq!(r.code, response::SUCCESS);
        TopicStatsTable::from_json(&r.body).unwrap()
    };
    assert!(
        eventually(5, || async {
            stats()
                .await
                .offset_table
                .values()
                .map(|o| o.max_offset)
                .sum::<i64>()
                == 5
        })
        .await
    );
    let t = stats().await;
    let q0 = &t.offset_table[&MessageQueue::new("T_stats", "broker-a", 0)];
    assert_eq!((q0.min_offset, q0.max_offset), (0, 3));
    assert!(q0.last_update_timestamp > 0);

    // Consume stats: the group committed 2 of queue 0.
    heartbeat(conn, &consumer_heartbeat("c1", "G_stats", "T_stats", "*")).await;
    assert_eq!(
        client
            .update_offset("G_stats", "T_stats", 0, 2)
            .await
            .unwrap(),
        response::SUCCESS
    );
    let h = GetConsumeStatsRequestHeader {
        consumer_group: "G_stats".into(),
        topic: None,
        topic_list: None,
    };
    let r = call(
        conn,
        RemotingCommand::request(request::GET_CONSUME_STATS, &h),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    let cs = ConsumeStats::from_json(&r.body).unwrap();
    let w = cs.offset_table[&MessageQueue::new("T_stats", "broker-a", 0)];
    assert_eq!((w.broker_offset, w.consumer_offset), (3, 2));
    assert!(w.last_timestamp > 0);
    let w1 = cs.offset_table[&MessageQueue::new("T_stats", "broker-a", 1)];
    assert_eq!((w1.broker_offset, w1.consumer_offset), (2, 0));
    assert_eq!(cs.diff_total(), 3);

    // Who consumes the topic.
    let h = QueryTopicConsumeByWhoRequestHeader {
        topic: "T_stats".into(),
    };
    let r = call(
        conn,
        RemotingCommand::request(request::QUERY_TOPIC_CONSUME_BY_WHO, &h),
    )
    .await;
    let groups = GroupList::from_json(&r.body).unwrap().group_list;
    assert!(groups.contains("G_stats"), "{groups:?}");

    // Runtime info with the keys admin tools print.
    let r = call(
        conn,
        RemotingCommand::new_request(request::GET_BROKER_RUNTIME_INFO),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS);
    let kv = KVTable::from_json(&r.body).unwrap().table;
    for key in [
        "brokerVersionDesc",
        "msgPutTotalTodayNow",
        "msgGetTotalTodayNow",
        "msgPutTotalTodayMorning",
        "commitLogMaxOffset",
        "commitLogMinOffset",
        "putTps",
        "getTransferredTps",
        "earliestMessageTimeStamp",
        "commitLogDiskRatio",
        "bootTimestamp",
        "runtime",
    ] {
        assert!(kv.contains_key(key), "runtime info lacks {key}: {kv:?}");
    }
    assert!(kv["msgPutTotalTodayNow"].parse::<u64>().unwrap() >= 5);
    assert!(kv["commitLogMaxOffset"].parse::<i64>().unwrap() > 0);
    assert_eq!(
        kv["putTps"]
            .split(' ')
            .filter(|x| x.parse::<f64>().is_ok())
            .count(),
        3
    );

    // System topics.
    let r = call(
        conn,
        RemotingCommand::new_request(request::GET_SYSTEM_TOPIC_LIST_FROM_BROKER),
    )
    .await;
    let topics = TopicList::from_json(&r.body).unwrap().topic_list;
    assert!(
        topics.contains("TBW102") && topics.contains("SCHEDULE_TOPIC_XXXX"),
        "{topics:?}"
    );

    // Broker config: properties text, and updates apply live.
    let r = call(
        conn,
        RemotingCommand::new_request(request::GET_BROKER_CONFIG),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS);
    assert!(r
        .header::<GetBrokerConfigResponseHeader>()
        .unwrap()
        .version
        .contains("counter"));
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert!(text.contains("brokerName=broker-a"), "{text}");
    let cmd = RemotingCommand::new_request(request::UPDATE_BROKER_CONFIG)
        .with_body(Bytes::from_static(b"autoCreateSubscriptionGroup=false\n"));
    assert_eq!(call(conn, cmd).await.code, response::SUCCESS);
    let r = call(
        conn,
        RemotingCommand::new_request(request::GET_BROKER_CONFIG),
    )
    .await;
    assert!(String::from_utf8_lossy(&r.body).contains("autoCreateSubscriptionGroup=false"));
    assert_eq!(
        client
            .update_offset("G_new_after_update", "T_stats", 0, 1)
            .await
            .unwrap(),
        response::SUBSCRIPTION_GROUP_NOT_EXIST
    );
}

#[tokio::test]
async fn query_by_key_and_view_by_offset_msg_id() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let conn = client.conn();
    let cmd = client.send_request(
        "T_query",
        0,
        Bytes::from_static(b"hello-key"),
        Some("TagQ"),
        Some("K-123"),
    );
    let sent = client.send_command(cmd).await.unwrap();
    assert_eq!(sent.code, response::SUCCESS);
    let msg_id = sent.header.unwrap().msg_id;

    let (_, offset) = decode_offset_msg_id(&msg_id).unwrap();
    let h = ViewMessageByIdRequestHeader {
        offset,
        topic: None,
    };
    let r = call(
        conn,
        RemotingCommand::request(request::VIEW_MESSAGE_BY_ID, &h),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    let m = &decode_messages(&r.body).unwrap()[0];
    assert_eq!(&m.body[..], b"hello-key");
    assert_eq!(m.keys(), Some("K-123"));

    let query = |key: &str| {
        let h = QueryMessageRequestHeader {
            topic: "T_query".into(),
            key: key.into(),
            max_num: 32,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            unique_key_query: None,
        };
        RemotingCommand::request(request::QUERY_MESSAGE, &h)
    };
    assert!(
        eventually(5, || async {
            call(conn, query("K-123")).await.code == response::SUCCESS
        })
        .await,
        "message found by key"
    );
    let r = call(conn, query("K-123")).await;
    let found = decode_messages(&r.body).unwrap();
    assert!(found
        .iter()
        .any(|m| m.keys() == Some("K-123") && &m.body[..] == b"hello-key"));
    let r = call(conn, query("K-none")).await;
    assert_eq!(r.code, response::QUERY_NOT_FOUND);
    assert!(
        r.remark_str().contains("can not find message"),
        "{}",
        r.remark_str()
    );
}
