//! Consumer offsets and queue offsets against a running broker: commit and
//! query, QUERY_NOT_FOUND, error codes for bad updates, persistence in
//! consumerOffset.json (periodic and across a restart), max/min/earliest/
//! search-by-time.

mod broker_admin_util;

use std::time::Duration;

use broker_admin_util::*;
use bytes::Bytes;
use harness::client::TestClient;
use harness::Cluster;
use protocol::code::{request, response};
use protocol::header::{
    BoundaryType, GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use protocol::RemotingCommand;

/// Sends `n` messages to `topic`/`queue` and waits until they are
/// dispatched to the consume queue (dispatch follows the reply).
async fn send_n(client: &TestClient, topic: &str, queue: i32, n: usize) {
    let mut last = -1;
    for i in 0..n {
        let r = client
            .send(topic, queue, Bytes::from(format!("m{i}")), None)
            .await
            .unwrap();
        assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
        last = r.header.map_or(-1, |h| h.queue_offset);
    }
    let want = last + 1;
    assert!(
        eventually(5, || async {
            max_offset(client, topic, queue).await == want
        })
        .await,
        "messages of {topic}/{queue} not dispatched"
    );
}

async fn max_offset(client: &TestClient, topic: &str, queue_id: i32) -> i64 {
    let h = GetMaxOffsetRequestHeader {
        topic: topic.into(),
        queue_id,
        committed: None,
        bname: None,
    };
    let r = call(
        client.conn(),
        RemotingCommand::request(request::GET_MAX_OFFSET, &h),
    )
    .await;
    r.header::<GetMaxOffsetResponseHeader>()
        .map_or(-1, |h| h.offset)
}

fn update(group: &str, topic: &str, queue_id: i32, offset: i64) -> RemotingCommand {
    let h = UpdateConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        commit_offset: offset,
        bname: None,
    };
    RemotingCommand::request(request::UPDATE_CONSUMER_OFFSET, &h)
}

fn query(group: &str, topic: &str, queue_id: i32, zero: Option<bool>) -> RemotingCommand {
    let h = QueryConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        set_zero_if_not_found: zero,
        bname: None,
    };
    RemotingCommand::request(request::QUERY_CONSUMER_OFFSET, &h)
}

#[tokio::test]
async fn offsets_persist_across_a_restart() {
    let mut cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    send_n(&client, "T_persist", 0, 3).await;
    assert_eq!(
        client
            .update_offset("G_persist", "T_persist", 0, 2)
            .await
            .unwrap(),
        response::SUCCESS
    );
    assert_eq!(
        client
            .update_offset("G_persist", "T_persist", 1, 7)
            .await
            .unwrap(),
        response::SUCCESS
    );
    assert_eq!(
        client
            .query_offset("G_persist", "T_persist", 0)
            .await
            .unwrap(),
        Some(2)
    );
    // Oneway updates (what Java clients send every 5 s) are applied too.
    let mut oneway = update("G_persist", "T_persist", 0, 3);
    oneway.set_oneway();
    client.conn().send_oneway(oneway).unwrap();
    assert!(
        eventually(3, || async {
            client
                .query_offset("G_persist", "T_persist", 0)
                .await
                .unwrap()
                == Some(3)
        })
        .await
    );

    cluster.broker_mut(0).restart().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    assert_eq!(
        client
            .query_offset("G_persist", "T_persist", 0)
            .await
            .unwrap(),
        Some(3)
    );
    assert_eq!(
        client
            .query_offset("G_persist", "T_persist", 1)
            .await
            .unwrap(),
        Some(7)
    );
    // RocketMQ's file format: topic@group keys, bare integer queue ids.
    let path = cluster
        .broker(0)
        .store_dir()
        .join("config/consumerOffset.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(r#""T_persist@G_persist":{0:3,1:7}"#),
        "{text}"
    );
}

#[tokio::test]
async fn offsets_are_flushed_periodically() {
    let cluster = Cluster::builder()
        .brokers(1)
        .broker_config("flushConsumerOffsetInterval", 100)
        .start()
        .await
        .unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    send_n(&client, "T_flush", 0, 1).await;
    assert_eq!(
        client
            .update_offset("G_flush", "T_flush", 0, 1)
            .await
            .unwrap(),
        response::SUCCESS
    );
    let path = cluster
        .broker(0)
        .store_dir()
        .join("config/consumerOffset.json");
    assert!(
        eventually(5, || async {
            std::fs::read_to_string(&path).is_ok_and(|t| t.contains(r#""T_flush@G_flush":{0:1}"#))
        })
        .await,
        "consumerOffset.json was not written while running"
    );
}

#[tokio::test]
async fn missing_offsets_and_bad_updates_get_java_codes() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let conn = client.conn();
    send_n(&client, "T_codes", 0, 2).await;

    // No offset stored: QUERY_NOT_FOUND with a remark.
    let r = call(conn, query("G_codes", "T_codes", 0, Some(false))).await;
    assert_eq!(r.code, response::QUERY_NOT_FOUND);
    assert!(!r.remark_str().is_empty());
    let r = call(conn, query("G_codes", "T_codes", 3, None)).await;
    assert_eq!(
        r.code,
        response::QUERY_NOT_FOUND,
        "empty queue: {}",
        r.remark_str()
    );
    // Java 5.x: a queue that still starts at 0 with its first message in
    // memory answers 0 unless setZeroIfNotFound=false.
    let r = call(conn, query("G_codes", "T_codes", 0, None)).await;
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    assert_eq!(
        r.header::<QueryConsumerOffsetResponseHeader>()
            .unwrap()
            .offset,
        0
    );

    let r = call(conn, update("G_codes", "T_no_such_topic", 0, 1)).await;
    assert_eq!(r.code, response::TOPIC_NOT_EXIST);
    assert!(
        r.remark_str().contains("T_no_such_topic"),
        "{}",
        r.remark_str()
    );
    let r = call(conn, update("G_codes", "T_codes", 999, 1)).await;
    assert_eq!(r.code, response::INVALID_PARAMETER);
    assert!(r.remark_str().contains("queueId"), "{}", r.remark_str());
    // A header missing a required field.
    let mut bad = update("G_codes", "T_codes", 0, 1);
    bad.ext_fields.remove("commitOffset");
    let r = call(conn, bad).await;
    assert_eq!(r.code, response::SYSTEM_ERROR);
    assert!(
        r.remark_str().contains("commitOffset"),
        "{}",
        r.remark_str()
    );
    // The broker keeps serving.
    assert_eq!(
        client
            .update_offset("G_codes", "T_codes", 0, 1)
            .await
            .unwrap(),
        response::SUCCESS
    );
}

#[tokio::test]
async fn unknown_group_without_auto_create_is_refused() {
    let cluster = Cluster::builder()
        .brokers(1)
        .broker_config("autoCreateSubscriptionGroup", "false")
        .start()
        .await
        .unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    send_n(&client, "T_nogroup", 0, 1).await;
    let r = call(client.conn(), update("G_unknown", "T_nogroup", 0, 1)).await;
    assert_eq!(r.code, response::SUBSCRIPTION_GROUP_NOT_EXIST);
    assert!(r.remark_str().contains("G_unknown"), "{}", r.remark_str());
}

#[tokio::test]
async fn queue_offsets_and_times() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let conn = client.conn();
    let before = now_ms();
    send_n(&client, "T_times", 0, 5).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let middle = now_ms();
    tokio::time::sleep(Duration::from_millis(20)).await;
    send_n(&client, "T_times", 0, 5).await;
    let after = now_ms();

    assert_eq!(max_offset(&client, "T_times", 0).await, 10);
    assert_eq!(max_offset(&client, "T_times", 2).await, 0, "empty queue");
    let h = GetMinOffsetRequestHeader {
        topic: "T_times".into(),
        queue_id: 0,
        bname: None,
    };
    let r = call(conn, RemotingCommand::request(request::GET_MIN_OFFSET, &h)).await;
    assert_eq!(r.header::<GetMinOffsetResponseHeader>().unwrap().offset, 0);

    let earliest = |queue_id| GetEarliestMsgStoretimeRequestHeader {
        topic: "T_times".into(),
        queue_id,
        bname: None,
    };
    let r = call(
        conn,
        RemotingCommand::request(request::GET_EARLIEST_MSG_STORETIME, &earliest(0)),
    )
    .await;
    let t = r
        .header::<GetEarliestMsgStoretimeResponseHeader>()
        .unwrap()
        .timestamp;
    assert!(t >= before && t <= after, "{before} <= {t} <= {after}");
    let r = call(
        conn,
        RemotingCommand::request(request::GET_EARLIEST_MSG_STORETIME, &earliest(3)),
    )
    .await;
    assert_eq!(
        r.header::<GetEarliestMsgStoretimeResponseHeader>()
            .unwrap()
            .timestamp,
        -1
    );

    let search = |timestamp, boundary_type| {
        let h = SearchOffsetRequestHeader {
            topic: "T_times".into(),
            queue_id: 0,
            timestamp,
            boundary_type,
            bname: None,
        };
        RemotingCommand::request(request::SEARCH_OFFSET_BY_TIMESTAMP, &h)
    };
    let offset = |r: RemotingCommand| r.header::<SearchOffsetResponseHeader>().unwrap().offset;
    assert_eq!(
        offset(call(conn, search(middle, Some(BoundaryType::Lower))).await),
        5
    );
    assert_eq!(
        offset(call(conn, search(middle, Some(BoundaryType::Upper))).await),
        4
    );
    assert_eq!(
        offset(call(conn, search(after + 60_000, Some(BoundaryType::Lower))).await),
        10
    );
    assert_eq!(
        offset(call(conn, search(0, Some(BoundaryType::Lower))).await),
        0
    );
    let r = offset(call(conn, search(middle, None)).await);
    assert!(r == 4 || r == 5, "4.9 closest neighbour: {r}");
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A broker killed with SIGKILL keeps the offsets and groups it had
/// persisted: the periodic flush wrote them atomically before the crash.
#[tokio::test]
async fn offsets_and_groups_survive_kill_9() {
    let mut cluster = Cluster::builder()
        .mode(harness::Mode::ChildProcess)
        .brokers(1)
        .broker_config("flushConsumerOffsetInterval", 100)
        .start()
        .await
        .unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    send_n(&client, "T_kill", 1, 3).await;
    assert_eq!(
        client
            .update_offset("G_kill", "T_kill", 1, 3)
            .await
            .unwrap(),
        response::SUCCESS
    );
    let config = cluster.broker(0).store_dir().join("config");
    assert!(
        eventually(5, || async {
            let offsets = std::fs::read_to_string(config.join("consumerOffset.json"));
            let groups = std::fs::read_to_string(config.join("subscriptionGroup.json"));
            offsets.is_ok_and(|t| t.contains(r#""T_kill@G_kill":{1:3}"#))
                && groups.is_ok_and(|t| t.contains("\"G_kill\""))
        })
        .await,
        "offsets and the auto-created group flushed while running"
    );
    cluster.broker_mut(0).kill();
    cluster.broker_mut(0).restart().await.unwrap();
    let client = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    assert_eq!(
        client.query_offset("G_kill", "T_kill", 1).await.unwrap(),
        Some(3)
    );
}
