//! NameServer behaviour over the wire, with in-process NameServers and
//! scripted brokers: registration, routes, cluster info, expiry, connection
//! loss, several NameServers, KV config, permissions and config commands.

use std::sync::Arc;
use std::time::Duration;

use harness::namesrv::route_request;
use harness::{connect, wait_until, Cluster, FakeBroker, RPC_TIMEOUT};
use protocol::body::fastjson::JsonBody;
use protocol::body::route::{ClusterInfo, KVTable, TopicList, TopicRouteData, PERM_READ, PERM_RW};
use protocol::code::{request, response};
use protocol::header::namesrv::*;
use protocol::net::Connection;
use protocol::RemotingCommand;

const CLUSTER: &str = "DefaultCluster";

async fn call(conn: &Arc<Connection>, cmd: RemotingCommand) -> RemotingCommand {
    conn.invoke(cmd, RPC_TIMEOUT).await.expect("response")
}

async fn route(conn: &Arc<Connection>, topic: &str) -> Option<TopicRouteData> {
    let resp = call(conn, route_request(topic)).await;
    match resp.code {
        response::SUCCESS => Some(TopicRouteData::from_json(&resp.body).expect("route body")),
        response::TOPIC_NOT_EXIST => None,
        other => panic!("unexpected response {other}: {}", resp.remark_str()),
    }
}

async fn cluster_info(conn: &Arc<Connection>) -> ClusterInfo {
    let resp = call(
        conn,
        RemotingCommand::new_request(request::GET_BROKER_CLUSTER_INFO),
    )
    .await;
    assert_eq!(resp.code, response::SUCCESS);
    ClusterInfo::from_json(&resp.body).unwrap()
}

async fn topic_list(conn: &Arc<Connection>, cmd: RemotingCommand) -> TopicList {
    let resp = call(conn, cmd).await;
    assert_eq!(resp.code, response::SUCCESS, "{}", resp.remark_str());
    TopicList::from_json(&resp.body).unwrap()
}

#[tokio::test]
async fn registered_broker_appears_in_routes_cluster_info_and_topic_lists() {
    let cluster = Cluster::builder().start().await.unwrap();
    let broker = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:10911").with_topic("TopicA", 4);
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let resp = broker.register(&conn).await.unwrap();
    assert_eq!(resp.code, response::SUCCESS, "{}", resp.remark_str());

    let r = route(&conn, "TopicA").await.expect("route");
    assert_eq!(r.queue_datas.len(), 1);
    assert_eq!(r.queue_datas[0].broker_name, "broker-a");
    assert_eq!(r.queue_datas[0].write_queue_nums, 4);
    assert_eq!(r.queue_datas[0].perm, PERM_RW);
    assert_eq!(r.broker_datas[0].master_addr(), Some("127.0.0.1:10911"));
    assert_eq!(r.broker_datas[0].cluster, CLUSTER);
    assert!(route(&conn, "NoSuchTopic").await.is_none());

    let info = cluster_info(&conn).await;
    assert_eq!(
        info.master_addrs(CLUSTER),
        vec!["127.0.0.1:10911".to_owned()]
    );

    let all = topic_list(
        &conn,
        RemotingCommand::new_request(request::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
    )
    .await;
    for t in ["TopicA", "TBW102", "broker-a"] {
        assert!(all.topic_list.contains(t), "{t} missing from {all:?}");
    }
    let by_cluster = RemotingCommand::request(
        request::GET_TOPICS_BY_CLUSTER,
        &GetTopicsByClusterRequestHeader {
            cluster: CLUSTER.into(),
        },
    );
    assert_eq!(
        topic_list(&conn, by_cluster).await.topic_list,
        all.topic_list
    );
    let sys = topic_list(
        &conn,
        RemotingCommand::new_request(request::GET_SYSTEM_TOPIC_LIST_FROM_NS),
    )
    .await;
    assert!(sys.topic_list.contains(CLUSTER) && sys.topic_list.contains("broker-a"));
    assert_eq!(sys.broker_addr.as_deref(), Some("127.0.0.1:10911"));
    for code in [
        request::GET_UNIT_TOPIC_LIST,
        request::GET_HAS_UNIT_SUB_TOPIC_LIST,
        request::GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST,
    ] {
        assert!(topic_list(&conn, RemotingCommand::new_request(code))
            .await
            .topic_list
            .is_empty());
    }

    let unknown = call(&conn, RemotingCommand::new_request(9999)).await;
    assert_eq!(unknown.code, response::REQUEST_CODE_NOT_SUPPORTED);
}

#[tokio::test]
async fn route_json_follows_the_client_version() {
    let cluster = Cluster::builder().start().await.unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:10911")
        .with_topic("T", 4)
        .register(&conn)
        .await
        .unwrap();
    let body_text = |version: i32, standard: Option<bool>| {
        let mut req = RemotingCommand::request(
            request::GET_ROUTEINFO_BY_TOPIC,
            &GetRouteInfoRequestHeader {
                topic: "T".into(),
                accept_standard_json_only: standard,
            },
        );
        req.version = version;
        let conn = conn.clone();
        async move { String::from_utf8(call(&conn, req).await.body.to_vec()).unwrap() }
    };
    let legacy = body_text(317, None).await;
    assert!(
        legacy.contains(r#""brokerAddrs":{0:"127.0.0.1:10911"}"#),
        "{legacy}"
    );
    let standard = body_text(401, None).await;
    assert!(
        standard.contains(r#""brokerAddrs":{"0":"127.0.0.1:10911"}"#),
        "{standard}"
    );
    let asked = body_text(317, Some(true)).await;
    assert!(asked.contains(r#"{"0":"#), "{asked}");
    // cluster info always uses bare keys
    let info = call(
        &conn,
        RemotingCommand::new_request(request::GET_BROKER_CLUSTER_INFO),
    )
    .await;
    let text = String::from_utf8(info.body.to_vec()).unwrap();
    assert!(text.contains(r#"{0:"127.0.0.1:10911"}"#), "{text}");
}

#[tokio::test]
async fn silent_broker_is_dropped_while_a_heartbeating_one_stays() {
    let cluster = Cluster::builder()
        .namesrv_config("scanNotActiveBrokerInterval", 50)
        .start()
        .await
        .unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let silent = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:1")
        .with_topic("Silent", 2)
        .with_heartbeat_timeout_ms(300);
    let alive = FakeBroker::new(CLUSTER, "broker-b", "127.0.0.1:2")
        .with_topic("Alive", 2)
        .with_heartbeat_timeout_ms(600);
    let registered_at = tokio::time::Instant::now();
    silent.register(&conn).await.unwrap();
    let keep_alive = connect(cluster.namesrv_addr(0)).await.unwrap();
    alive.register(&keep_alive).await.unwrap();
    assert!(route(&conn, "Silent").await.is_some());

    let heartbeat = {
        let conn = keep_alive.clone();
        tokio::spawn(async move {
            loop {
                let h = BrokerHeartbeatRequestHeader {
                    cluster_name: CLUSTER.into(),
                    broker_addr: "127.0.0.1:2".into(),
                    broker_name: "broker-b".into(),
                    ..Default::default()
                };
                let _ = conn
                    .invoke(
                        RemotingCommand::request(request::BROKER_HEARTBEAT, &h),
                        RPC_TIMEOUT,
                    )
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let client = connect(cluster.namesrv_addr(0)).await.unwrap();
    let dropped = wait_until(Duration::from_secs(5), || {
        let client = client.clone();
        async move { route(&client, "Silent").await.is_none() }
    })
    .await;
    assert!(dropped, "silent broker still routed");
    assert!(
        registered_at.elapsed() >= Duration::from_millis(300),
        "dropped before its timeout"
    );
    // well past the heartbeating broker's own 600 ms timeout
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(
        route(&client, "Alive").await.is_some(),
        "heartbeating broker was dropped"
    );
    heartbeat.abort();
    assert!(
        wait_until(Duration::from_secs(5), || async { conn.is_closed() }).await,
        "the expired broker's connection is closed"
    );
}

#[tokio::test]
async fn closing_the_connection_drops_the_broker_registered_over_it() {
    let cluster = Cluster::builder().start().await.unwrap();
    let a_conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let b_conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:1")
        .with_topic("Shared", 4)
        .register(&a_conn)
        .await
        .unwrap();
    FakeBroker::new(CLUSTER, "broker-b", "127.0.0.1:2")
        .with_topic("Shared", 4)
        .register(&b_conn)
        .await
        .unwrap();
    let client = connect(cluster.namesrv_addr(0)).await.unwrap();
    assert_eq!(route(&client, "Shared").await.unwrap().queue_datas.len(), 2);

    a_conn.close();
    let gone = wait_until(Duration::from_secs(5), || {
        let client = client.clone();
        async move { route(&client, "broker-a").await.is_none() }
    })
    .await;
    assert!(
        gone,
        "broker-a still registered after its connection closed"
    );
    let shared = route(&client, "Shared").await.unwrap();
    assert_eq!(shared.queue_datas.len(), 1);
    assert_eq!(shared.queue_datas[0].broker_name, "broker-b");
    assert_eq!(cluster_info(&client).await.broker_addr_table.len(), 1);
}

#[tokio::test]
async fn two_nameservers_each_hold_the_registration() {
    let mut cluster = Cluster::builder().namesrvs(2).start().await.unwrap();
    let broker = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:10911").with_topic("T", 4);
    let mut conns = Vec::new();
    for addr in cluster.namesrv_addrs() {
        let c = connect(&addr).await.unwrap();
        assert_eq!(broker.register(&c).await.unwrap().code, response::SUCCESS);
        conns.push(c);
    }
    for addr in cluster.namesrv_addrs() {
        let c = connect(&addr).await.unwrap();
        assert_eq!(
            route(&c, "T").await.unwrap().queue_datas[0].write_queue_nums,
            4
        );
    }
    // one going away does not affect the other
    assert!(cluster.namesrv_mut(0).stop(Duration::from_secs(5)).await);
    let c = connect(cluster.namesrv_addr(1)).await.unwrap();
    assert!(route(&c, "T").await.is_some());
    assert!(connect(cluster.namesrv_addr(0)).await.is_err());
}

#[tokio::test]
async fn unregister_removes_the_broker_and_its_topics() {
    let cluster = Cluster::builder().start().await.unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let broker = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:1").with_topic("T", 4);
    broker.register(&conn).await.unwrap();
    assert_eq!(
        broker.unregister(&conn).await.unwrap().code,
        response::SUCCESS
    );
    assert!(route(&conn, "T").await.is_none());
    assert!(cluster_info(&conn).await.cluster_addr_table.is_empty());
}

#[tokio::test]
async fn slave_learns_its_master_and_compressed_bodies_register() {
    let cluster = Cluster::builder().start().await.unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let mut master = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:10911").with_topic("T", 4);
    master.compressed = true;
    assert_eq!(
        master.register(&conn).await.unwrap().code,
        response::SUCCESS
    );
    let slave = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:10921")
        .with_topic("T", 4)
        .with_id(1);
    let resp = slave.register(&conn).await.unwrap();
    let h: RegisterBrokerResponseHeader = resp.header().unwrap();
    assert_eq!(h.master_addr.as_deref(), Some("127.0.0.1:10911"));
    assert_eq!(h.ha_server_addr.as_deref(), Some("127.0.0.1:10912"));
    let r = route(&conn, "T").await.unwrap();
    assert_eq!(r.broker_datas[0].broker_addrs.len(), 2);
}

#[tokio::test]
async fn corrupt_registrations_are_refused() {
    let cluster = Cluster::builder().start().await.unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let broker = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:1").with_topic("T", 4);

    let mut bad_crc = broker.register_request();
    bad_crc.ext_fields.put("bodyCrc32", 12345);
    let resp = call(&conn, bad_crc).await;
    assert_eq!(
        (resp.code, resp.remark_str()),
        (response::SYSTEM_ERROR, "crc32 not match")
    );

    let mut bad_body = broker.register_request().with_body(&b"{not json"[..]);
    bad_body.ext_fields.remove("bodyCrc32");
    assert_eq!(call(&conn, bad_body).await.code, response::SYSTEM_ERROR);

    let mut no_name = broker.register_request();
    no_name.ext_fields.remove("brokerName");
    let resp = call(&conn, no_name).await;
    assert_eq!(resp.code, response::SYSTEM_ERROR);
    assert!(
        resp.remark_str().contains("brokerName"),
        "{}",
        resp.remark_str()
    );

    assert!(route(&conn, "T").await.is_none());
    // the connection still serves
    assert_eq!(
        broker.register(&conn).await.unwrap().code,
        response::SUCCESS
    );
}

#[tokio::test]
async fn query_data_version_reports_changes() {
    let cluster = Cluster::builder().start().await.unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let broker = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:1").with_topic("T", 4);
    broker.register(&conn).await.unwrap();
    let query = |dv: &protocol::body::route::DataVersion| {
        RemotingCommand::request(
            request::QUERY_DATA_VERSION,
            &QueryDataVersionRequestHeader {
                broker_name: "broker-a".into(),
                broker_addr: "127.0.0.1:1".into(),
                cluster_name: CLUSTER.into(),
                broker_id: 0,
            },
        )
        .with_body(dv.to_json())
    };
    let resp = call(&conn, query(&broker.data_version)).await;
    let h: QueryDataVersionResponseHeader = resp.header().unwrap();
    assert!(!h.changed);
    let mut newer = broker.data_version.clone();
    newer.next_version(1_800_000_000_000);
    let resp = call(&conn, query(&newer)).await;
    assert!(
        resp.header::<QueryDataVersionResponseHeader>()
            .unwrap()
            .changed
    );
    let stored = protocol::body::route::DataVersion::from_json(&resp.body).unwrap();
    assert_eq!(stored, broker.data_version);
}

#[tokio::test]
async fn kv_config_feeds_order_topic_conf_and_is_persisted() {
    let cluster = Cluster::builder()
        .namesrv_config("orderMessageEnable", true)
        .start()
        .await
        .unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let put = RemotingCommand::request(
        request::PUT_KV_CONFIG,
        &PutKVConfigRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
            key: "T".into(),
            value: "broker-a:4".into(),
        },
    );
    assert_eq!(call(&conn, put).await.code, response::SUCCESS);
    let get = |key: &str| {
        RemotingCommand::request(
            request::GET_KV_CONFIG,
            &GetKVConfigRequestHeader {
                namespace: "ORDER_TOPIC_CONFIG".into(),
                key: key.into(),
            },
        )
    };
    let resp = call(&conn, get("T")).await;
    let h: GetKVConfigResponseHeader = resp.header().unwrap();
    assert_eq!(h.value.as_deref(), Some("broker-a:4"));
    assert_eq!(call(&conn, get("U")).await.code, response::QUERY_NOT_FOUND);

    // brokers get the namespace back when they register
    let resp = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:1")
        .with_topic("T", 4)
        .register(&conn)
        .await
        .unwrap();
    assert_eq!(
        KVTable::from_json(&resp.body).unwrap().table["T"],
        "broker-a:4"
    );
    assert_eq!(
        route(&conn, "T").await.unwrap().order_topic_conf.as_deref(),
        Some("broker-a:4")
    );

    let list = RemotingCommand::request(
        request::GET_KVLIST_BY_NAMESPACE,
        &GetKVListByNamespaceRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
        },
    );
    let resp = call(&conn, list.clone()).await;
    assert_eq!(KVTable::from_json(&resp.body).unwrap().table.len(), 1);

    let file = cluster.namesrvs()[0].dir().join("kvConfig.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        r#"{"configTable":{"ORDER_TOPIC_CONFIG":{"T":"broker-a:4"}}}"#
    );

    let delete = RemotingCommand::request(
        request::DELETE_KV_CONFIG,
        &DeleteKVConfigRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
            key: "T".into(),
        },
    );
    assert_eq!(call(&conn, delete).await.code, response::SUCCESS);
    assert_eq!(call(&conn, get("T")).await.code, response::QUERY_NOT_FOUND);
    assert_eq!(call(&conn, list).await.code, response::QUERY_NOT_FOUND);
    assert_eq!(route(&conn, "T").await.unwrap().order_topic_conf, None);
}

#[tokio::test]
async fn write_permission_is_wiped_and_restored() {
    let cluster = Cluster::builder().start().await.unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let broker = FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:1").with_topic("T", 4);
    broker.register(&conn).await.unwrap();
    let wipe = RemotingCommand::request(
        request::WIPE_WRITE_PERM_OF_BROKER,
        &WipeWritePermOfBrokerRequestHeader {
            broker_name: "broker-a".into(),
        },
    );
    let resp = call(&conn, wipe).await;
    let h: WipeWritePermOfBrokerResponseHeader = resp.header().unwrap();
    assert_eq!(h.wipe_topic_count, 3);
    assert_eq!(
        route(&conn, "T").await.unwrap().queue_datas[0].perm,
        PERM_READ
    );
    // the periodic re-registration (same data version) keeps it wiped
    broker.register(&conn).await.unwrap();
    assert_eq!(
        route(&conn, "T").await.unwrap().queue_datas[0].perm,
        PERM_READ
    );

    let add = RemotingCommand::request(
        request::ADD_WRITE_PERM_OF_BROKER,
        &AddWritePermOfBrokerRequestHeader {
            broker_name: "broker-a".into(),
        },
    );
    let resp = call(&conn, add).await;
    assert_eq!(
        resp.header::<AddWritePermOfBrokerResponseHeader>()
            .unwrap()
            .add_topic_count,
        3
    );
    assert_eq!(
        route(&conn, "T").await.unwrap().queue_datas[0].perm,
        PERM_RW
    );
}

#[tokio::test]
async fn delete_topic_in_namesrv() {
    let cluster = Cluster::builder().start().await.unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    FakeBroker::new(CLUSTER, "broker-a", "127.0.0.1:1")
        .with_topic("T", 4)
        .register(&conn)
        .await
        .unwrap();
    let delete = RemotingCommand::request(
        request::DELETE_TOPIC_IN_NAMESRV,
        &DeleteTopicFromNamesrvRequestHeader {
            topic: "T".into(),
            cluster_name: None,
        },
    );
    assert_eq!(call(&conn, delete).await.code, response::SUCCESS);
    assert!(route(&conn, "T").await.is_none());
    assert!(route(&conn, "TBW102").await.is_some());
}

#[tokio::test]
async fn namesrv_config_is_read_and_updated_as_properties() {
    let cluster = Cluster::builder().start().await.unwrap();
    let conn = connect(cluster.namesrv_addr(0)).await.unwrap();
    let get = || RemotingCommand::new_request(request::GET_NAMESRV_CONFIG);
    let text = String::from_utf8(call(&conn, get()).await.body.to_vec()).unwrap();
    assert!(text.contains("orderMessageEnable=false\n"), "{text}");
    let port = cluster
        .namesrv_addr(0)
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    assert!(text.contains(&format!("listenPort={port}\n")), "{text}");

    let update = |body: &str| {
        RemotingCommand::new_request(request::UPDATE_NAMESRV_CONFIG)
            .with_body(body.as_bytes().to_vec())
    };
    assert_eq!(
        call(&conn, update("orderMessageEnable=true\n")).await.code,
        response::SUCCESS
    );
    let text = String::from_utf8(call(&conn, get()).await.body.to_vec()).unwrap();
    assert!(text.contains("orderMessageEnable=true\n"), "{text}");
    let stored = cluster.namesrvs()[0].dir().join("namesrv.properties");
    assert!(std::fs::read_to_string(stored)
        .unwrap()
        .contains("orderMessageEnable=true"));

    let refused = call(
        &conn,
        update("kvConfigPath=/tmp/x.json\norderMessageEnable=false"),
    )
    .await;
    assert_eq!(refused.code, response::NO_PERMISSION);
    let invalid = call(&conn, update("scanNotActiveBrokerInterval=soon")).await;
    assert_eq!(invalid.code, response::SYSTEM_ERROR);
    let text = String::from_utf8(call(&conn, get()).await.body.to_vec()).unwrap();
    assert!(
        text.contains("orderMessageEnable=true\n"),
        "refused update changed nothing: {text}"
    );
}
