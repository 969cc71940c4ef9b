//! Client registration against a running broker: heartbeats make consumer
//! lists and connection lists, membership changes notify the group's
//! members, unregister and close clean up, real clients' heartbeat and lock
//! bodies (wire corpus) are accepted.

mod broker_admin_util;

use std::path::PathBuf;

use broker_admin_util::*;
use harness::Cluster;
use protocol::body::{
    ConsumerConnection, GetConsumerListByGroupResponseBody, JsonBody, ProducerConnection,
};
use protocol::code::{request, response};
use protocol::header::{
    GetConsumerConnectionListRequestHeader, GetConsumerListByGroupRequestHeader,
    GetProducerConnectionListRequestHeader, UnregisterClientRequestHeader,
};
use protocol::net::Connection;
use protocol::RemotingCommand;

async fn consumer_list(conn: &Connection, group: &str) -> RemotingCommand {
    let h = GetConsumerListByGroupRequestHeader {
        consumer_group: group.to_owned(),
    };
    call(
        conn,
        RemotingCommand::request(request::GET_CONSUMER_LIST_BY_GROUP, &h),
    )
    .await
}

fn ids(resp: &RemotingCommand) -> Vec<String> {
    GetConsumerListByGroupResponseBody::from_json(&resp.body)
        .expect("consumer list body")
        .consumer_id_list
}

#[tokio::test]
async fn heartbeat_registers_consumers_and_connection_lists() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let addr = cluster.broker_addr(0);
    let (c1, _i1) = connect_with_inbox(addr).await;
    let (c2, _i2) = connect_with_inbox(addr).await;

    // Unknown group: SYSTEM_ERROR with the reason.
    let r = consumer_list(&c1, "G_clients").await;
    assert_eq!(r.code, response::SYSTEM_ERROR);
    assert!(
        r.remark_str().contains("no consumer for this group"),
        "{}",
        r.remark_str()
    );

    let hb1 = consumer_heartbeat("10.0.0.1@a", "G_clients", "T_clients", "TagA || TagB");
    assert_eq!(heartbeat(&c1, &hb1).await.code, response::SUCCESS);
    let mut hb2 = consumer_heartbeat("10.0.0.2@b", "G_clients", "T_clients", "TagA || TagB");
    hb2.producer_data_set[0].group_name = "PG_clients".into();
    assert_eq!(heartbeat(&c2, &hb2).await.code, response::SUCCESS);

    let r = consumer_list(&c1, "G_clients").await;
    assert_eq!(r.code, response::SUCCESS);
    assert_eq!(ids(&r), ["10.0.0.1@a", "10.0.0.2@b"]);

    let h = GetConsumerConnectionListRequestHeader {
        consumer_group: "G_clients".into(),
    };
    let r = call(
        &c1,
        RemotingCommand::request(request::GET_CONSUMER_CONNECTION_LIST, &h),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    let cc = ConsumerConnection::from_json(&r.body).unwrap();
    assert_eq!(cc.connection_set.len(), 2);
    assert!(cc
        .connection_set
        .iter()
        .all(|c| c.client_addr.starts_with("127.0.0.1:")));
    let sub = &cc.subscription_table["T_clients"];
    assert_eq!(sub.tags_set, ["TagA", "TagB"]);

    // The retry topic of the group exists now.
    let all = call(
        &c1,
        RemotingCommand::new_request(request::GET_ALL_TOPIC_CONFIG),
    )
    .await;
    let text = String::from_utf8_lossy(&all.body).into_owned();
    assert!(text.contains("\"%RETRY%G_clients\""), "{text}");

    // Producer connections.
    let h = GetProducerConnectionListRequestHeader {
        producer_group: "PG_clients".into(),
    };
    let r = call(
        &c1,
        RemotingCommand::request(request::GET_PRODUCER_CONNECTION_LIST, &h),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS);
    let pc = ProducerConnection::from_json(&r.body).unwrap();
    assert_eq!(pc.connection_set.len(), 1);
    assert_eq!(pc.connection_set[0].client_id, "10.0.0.2@b");
    let h = GetProducerConnectionListRequestHeader {
        producer_group: "PG_nobody".into(),
    };
    let r = call(
        &c1,
        RemotingCommand::request(request::GET_PRODUCER_CONNECTION_LIST, &h),
    )
    .await;
    assert_eq!(r.code, response::SYSTEM_ERROR);
    assert!(r.remark_str().contains("not exist"), "{}", r.remark_str());

    // An offline group: CONSUMER_NOT_ONLINE, as Java.
    let h = GetConsumerConnectionListRequestHeader {
        consumer_group: "G_offline".into(),
    };
    let r = call(
        &c1,
        RemotingCommand::request(request::GET_CONSUMER_CONNECTION_LIST, &h),
    )
    .await;
    assert_eq!(r.code, response::CONSUMER_NOT_ONLINE);
    assert!(r.remark_str().contains("G_offline"), "{}", r.remark_str());
}

#[tokio::test]
async fn membership_changes_notify_every_member() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let addr = cluster.broker_addr(0);
    let (c1, inbox1) = connect_with_inbox(addr).await;
    let (c2, inbox2) = connect_with_inbox(addr).await;
    let (c3, _inbox3) = connect_with_inbox(addr).await;
    let group = "G_notify";

    heartbeat(&c1, &consumer_heartbeat("c1", group, "T_notify", "*")).await;
    assert!(inbox1.wait_notified(1).await, "first member notified");
    // A refresh is not a membership change.
    heartbeat(&c1, &consumer_heartbeat("c1", group, "T_notify", "*")).await;

    heartbeat(&c2, &consumer_heartbeat("c2", group, "T_notify", "*")).await;
    assert!(inbox1.wait_notified(2).await, "c1 told about c2");
    assert!(inbox2.wait_notified(1).await, "c2 told too");

    heartbeat(&c3, &consumer_heartbeat("c3", group, "T_notify", "*")).await;
    assert!(inbox1.wait_notified(3).await);

    // UNREGISTER_CLIENT of c3.
    let h = UnregisterClientRequestHeader {
        client_id: "c3".into(),
        producer_group: None,
        consumer_group: Some(group.into()),
    };
    let r = call(
        &c3,
        RemotingCommand::request(request::UNREGISTER_CLIENT, &h),
    )
    .await;
    assert_eq!(r.code, response::SUCCESS);
    assert!(inbox1.wait_notified(4).await, "told about the unregister");
    assert_eq!(ids(&consumer_list(&c1, group).await), ["c1", "c2"]);

    // c2's connection closes.
    c2.close();
    assert!(
        inbox1.wait_notified(5).await,
        "told about the closed connection"
    );
    assert!(
        eventually(3, || async {
            ids(&consumer_list(&c1, group).await) == ["c1"]
        })
        .await,
        "closed member removed"
    );
    assert!(inbox1.notified_groups().iter().all(|g| g == group));
    assert_eq!(inbox1.notified_groups().len(), 5, "exactly one per change");
}

/// Whether `r` is an acceptable answer to a replayed corpus request of
/// `code`: the request decoded and got the answer the Java broker gives on
/// a broker that does not know the client's topics and groups.
fn acceptable(code: i32, r: &RemotingCommand) -> bool {
    match code {
        request::QUERY_CONSUMER_OFFSET => {
            [response::SUCCESS, response::QUERY_NOT_FOUND].contains(&r.code)
        }
        request::UPDATE_CONSUMER_OFFSET => {
            [response::SUCCESS, response::TOPIC_NOT_EXIST].contains(&r.code)
        }
        request::GET_CONSUMER_LIST_BY_GROUP => {
            r.code == response::SUCCESS
                || (r.code == response::SYSTEM_ERROR
                    && r.remark_str().starts_with("no consumer for this group"))
        }
        _ => r.code == response::SUCCESS,
    }
}

/// Every frame of the codes this side of the broker serves, as real clients
/// sent them (wire corpus), decodes, bodies included, and gets a Java answer.
#[tokio::test]
async fn real_clients_requests_are_accepted() {
    let corpus = harness::wire_corpus_dir();
    if !corpus.exists() {
        eprintln!("wire corpus not found at {}; skipping", corpus.display());
        return;
    }
    let codes = [
        request::HEART_BEAT,
        request::LOCK_BATCH_MQ,
        request::UNLOCK_BATCH_MQ,
        request::QUERY_CONSUMER_OFFSET,
        request::UPDATE_CONSUMER_OFFSET,
        request::UPDATE_AND_CREATE_TOPIC,
        request::GET_MAX_OFFSET,
        request::UNREGISTER_CLIENT,
        request::GET_CONSUMER_LIST_BY_GROUP,
    ];
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let (conn, _inbox) = connect_with_inbox(cluster.broker_addr(0)).await;
    let mut checked = std::collections::BTreeMap::<i32, usize>::new();
    let mut clients: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    clients.sort();
    for client in clients {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&client)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let Some(code) = name.split('-').nth(1).and_then(|c| c.parse::<i32>().ok()) else {
                continue;
            };
            if !codes.contains(&code) {
                continue;
            }
            let cmd = decode_frame(&std::fs::read(&f).unwrap());
            assert_eq!(cmd.code, code, "{name}");
            let mut req = RemotingCommand::new_request(cmd.code).with_body(cmd.body.clone());
            req.ext_fields = cmd.ext_fields.clone();
            req.language = cmd.language;
            req.version = cmd.version;
            req.serialize_type = cmd.serialize_type;
            let r = call(&conn, req).await;
            assert!(
                acceptable(code, &r),
                "{}/{name}: code {} {}",
                client.display(),
                r.code,
                r.remark_str()
            );
            *checked.entry(code).or_default() += 1;
        }
    }
    for code in codes {
        assert!(
            checked.get(&code).copied().unwrap_or(0) > 0,
            "no corpus frame of code {code}: {checked:?}"
        );
    }
}

fn decode_frame(frame: &[u8]) -> RemotingCommand {
    protocol::RemotingCodec::decode_frame(bytes::Bytes::copy_from_slice(&frame[4..]))
        .expect("frame decodes")
}

#[tokio::test]
async fn silent_clients_expire_and_their_group_is_notified() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let ctx = cluster
        .broker(0)
        .broker()
        .expect("in-process broker")
        .context()
        .clone();
    // RocketMQ's channelExpiredTimeout is 120 s; shortened so the rule runs in ms.
    ctx.clients.set_channel_expired_ms(1000);
    let addr = cluster.broker_addr(0);
    let (c1, inbox1) = connect_with_inbox(addr).await;
    let (c2, _inbox2) = connect_with_inbox(addr).await;
    heartbeat(&c1, &consumer_heartbeat("c1", "G_expire", "T_expire", "*")).await;
    heartbeat(&c2, &consumer_heartbeat("c2", "G_expire", "T_expire", "*")).await;
    assert!(inbox1.wait_notified(2).await);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    heartbeat(&c1, &consumer_heartbeat("c1", "G_expire", "T_expire", "*")).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(ctx.clients.scan_expired(), 1, "c2 was silent");
    assert_eq!(ids(&consumer_list(&c1, "G_expire").await), ["c1"]);
    assert!(inbox1.wait_notified(3).await, "c1 told that c2 left");
    assert!(
        eventually(3, || async { c2.is_closed() }).await,
        "the broker closed the silent connection"
    );
}
