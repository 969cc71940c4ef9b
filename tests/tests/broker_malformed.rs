//! Bad input of every class gets the response code a Java client expects,
//! with a remark saying why, and the broker keeps serving (the same
//! connection for request-level errors, new connections after a frame-level
//! error closed one).

use std::time::Duration;

use bytes::Bytes;
use harness::client::{message_properties, PullRequest, TestClient};
use harness::Cluster;
use protocol::body::route::TopicFilterType;
use protocol::code::{request, response};
use protocol::header::CreateTopicRequestHeader;
use protocol::RemotingCommand;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Asserts `resp` has `code` and a remark containing `text`.
fn expect(resp: &RemotingCommand, code: i32, text: &str, what: &str) {
    assert_eq!(resp.code, code, "{what}: remark {:?}", resp.remark_str());
    assert!(
        resp.remark_str().contains(text),
        "{what}: remark {:?} lacks {text:?}",
        resp.remark_str()
    );
}

/// A valid send and pull still work on `c`.
async fn still_serving(c: &TestClient) {
    let r = c
        .send("StillOk", 0, Bytes::from_static(b"ok"), None)
        .await
        .unwrap();
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark);
    let msgs = c.pull_all("G_ok", "StillOk", 0, 0, 1).await.unwrap();
    assert!(!msgs.is_empty());
}

#[tokio::test]
async fn request_level_errors() {
    let cluster = Cluster::builder()
        .brokers(1)
        .broker_config("maxMessageSize", 1024)
        .start()
        .await
        .unwrap();
    let c = TestClient::connect(cluster.broker_addr(0)).await.unwrap();

    let r = c.invoke(RemotingCommand::new_request(9999)).await.unwrap();
    expect(
        &r,
        response::REQUEST_CODE_NOT_SUPPORTED,
        "9999",
        "unknown code",
    );

    let mut missing = c.send_request("T1", 0, Bytes::from_static(b"x"), None, None);
    missing.ext_fields.remove("b");
    let r = c.invoke(missing).await.unwrap();
    expect(&r, response::SYSTEM_ERROR, "'b'", "missing topic field");

    let mut bad = c.send_request("T1", 0, Bytes::from_static(b"x"), None, None);
    bad.ext_fields.put("e", "abc");
    let r = c.invoke(bad).await.unwrap();
    expect(&r, response::SYSTEM_ERROR, "abc", "unparsable queue id");

    for topic in ["bad topic", "a.b", &"t".repeat(128)] {
        let r = c
            .send(topic, 0, Bytes::from_static(b"x"), None)
            .await
            .unwrap();
        assert_eq!(r.code, response::INVALID_PARAMETER, "{topic}: {}", r.remark);
        assert!(r.remark.contains("topic"), "{}", r.remark);
    }

    let r = c
        .send("Big", 0, Bytes::from(vec![7u8; 1025]), None)
        .await
        .unwrap();
    expect_send(&r, response::MESSAGE_ILLEGAL, "maxMessageSize");
    let r = c
        .send("Big", 0, Bytes::from(vec![7u8; 1024]), None)
        .await
        .unwrap();
    assert_eq!(
        r.code,
        response::SUCCESS,
        "a body of exactly maxMessageSize is fine"
    );

    let huge_props = "K".repeat(40_000);
    let mut big_props = c.send_request("Big", 0, Bytes::from_static(b"x"), None, None);
    big_props
        .ext_fields
        .put("i", message_properties(None, Some(&huge_props)));
    let r = c.invoke(big_props).await.unwrap();
    expect(
        &r,
        response::MESSAGE_ILLEGAL,
        "properties",
        "oversized properties",
    );

    let r = c
        .send("SCHEDULE_TOPIC_XXXX", 0, Bytes::from_static(b"x"), None)
        .await
        .unwrap();
    expect_send(&r, response::NO_PERMISSION, "forbidden");

    let mut no_template = c.send_request("NoSuchTopic", 0, Bytes::from_static(b"x"), None, None);
    no_template.ext_fields.put("c", "NoSuchTemplate");
    let r = c.invoke(no_template).await.unwrap();
    expect(
        &r,
        response::TOPIC_NOT_EXIST,
        "topic[NoSuchTopic] not exist",
        "no template",
    );

    let r = c
        .send("Big", 99, Bytes::from_static(b"x"), None)
        .await
        .unwrap();
    expect_send(&r, response::INVALID_PARAMETER, "queueId[99]");

    let mut batch = c.send_request(
        "Batchy",
        0,
        Bytes::from_static(b"\x00\x00\x00\x30garbage"),
        None,
        None,
    );
    batch.code = request::SEND_BATCH_MESSAGE;
    batch.ext_fields.put("m", "true");
    let r = c.invoke(batch).await.unwrap();
    assert_eq!(
        r.code,
        response::MESSAGE_ILLEGAL,
        "torn batch: {}",
        r.remark_str()
    );

    let r = c
        .send_batch("%RETRY%G1", 0, &[Bytes::from_static(b"x")], None)
        .await
        .unwrap();
    expect_send(&r, response::MESSAGE_ILLEGAL, "retry");

    // Pulls.
    let r = c
        .pull(&PullRequest::new("G_bad", "NoSuchTopic", 0, 0))
        .await
        .unwrap();
    assert_eq!(r.code, response::TOPIC_NOT_EXIST, "{}", r.remark);
    let r = c
        .pull(&PullRequest::new("G_bad", "Big", 42, 0))
        .await
        .unwrap();
    assert_eq!(r.code, response::INVALID_PARAMETER, "{}", r.remark);
    // The one stored message of "Big" reaches its ConsumeQueue a moment
    // after its send was acknowledged (dispatch is asynchronous, as in
    // RocketMQ): wait until it is pullable, so the queue's max offset is 1.
    let stored = c.pull_all("G_bad", "Big", 0, 0, 1).await.unwrap();
    assert_eq!(stored.len(), 1, "the stored message becomes pullable");
    let r = c
        .pull(&PullRequest::new("G_bad", "Big", 0, 1000))
        .await
        .unwrap();
    assert_eq!(r.code, response::PULL_OFFSET_MOVED, "{}", r.remark);
    assert_eq!(r.next_begin_offset(), 1, "offset past the end moves to max");
    let mut bad_pull = TestClient::pull_request(&PullRequest::new("G_bad", "Big", 0, 0));
    bad_pull.ext_fields.remove("subVersion");
    let r = c.invoke(bad_pull).await.unwrap();
    expect(
        &r,
        response::SYSTEM_ERROR,
        "subVersion",
        "pull without subVersion",
    );

    // A malformed heartbeat body.
    let hb = RemotingCommand::new_request(request::HEART_BEAT).with_body(&b"{not json"[..]);
    let r = c.invoke(hb).await.unwrap();
    assert_ne!(r.code, response::SUCCESS, "garbage heartbeat");

    // A oneway request with an error gets no response; the next one does.
    let mut oneway = c.send_request("bad topic", 0, Bytes::from_static(b"x"), None, None);
    oneway.set_oneway();
    c.conn().send_oneway(oneway).unwrap();

    still_serving(&c).await;
}

fn expect_send(r: &harness::client::SendOutcome, code: i32, text: &str) {
    assert_eq!(r.code, code, "remark {:?}", r.remark);
    assert!(
        r.remark.contains(text),
        "remark {:?} lacks {text:?}",
        r.remark
    );
}

#[tokio::test]
async fn read_only_broker_and_topic_refuse_sends() {
    let cluster = Cluster::builder()
        .brokers(1)
        .broker_config("brokerPermission", 4)
        .start()
        .await
        .unwrap();
    let c = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let r = c
        .send("Anything", 0, Bytes::from_static(b"x"), None)
        .await
        .unwrap();
    expect_send(&r, response::NO_PERMISSION, "forbidden");

    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let c = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let create = CreateTopicRequestHeader {
        topic: "ReadOnly".into(),
        default_topic: "TBW102".into(),
        read_queue_nums: 2,
        write_queue_nums: 2,
        perm: 4,
        topic_filter_type: TopicFilterType::SingleTag,
        topic_sys_flag: Some(0),
        order: false,
        attributes: None,
        force: None,
    };
    let r = c
        .invoke(RemotingCommand::request(
            request::UPDATE_AND_CREATE_TOPIC,
            &create,
        ))
        .await
        .unwrap();
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    let r = c
        .send("ReadOnly", 0, Bytes::from_static(b"x"), None)
        .await
        .unwrap();
    expect_send(&r, response::NO_PERMISSION, "topic[ReadOnly]");
    still_serving(&c).await;
}

#[tokio::test]
async fn frame_level_errors_close_only_that_connection() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let addr = cluster.broker_addr(0).to_owned();
    let frames: Vec<(&str, Vec<u8>)> = vec![
        ("oversized length", 0x7fff_fff0u32.to_be_bytes().to_vec()),
        ("negative length", (-5i32).to_be_bytes().to_vec()),
        (
            "header longer than frame",
            [
                &8u32.to_be_bytes()[..],
                &0x0000_0100u32.to_be_bytes(),
                b"abcd",
            ]
            .concat(),
        ),
        (
            "unknown serialize type",
            [
                &8u32.to_be_bytes()[..],
                &0x0700_0004u32.to_be_bytes(),
                b"{}{}",
            ]
            .concat(),
        ),
        (
            "garbage JSON header",
            [&12u32.to_be_bytes()[..], &8u32.to_be_bytes(), b"not json"].concat(),
        ),
    ];
    for (what, bytes) in frames {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(&bytes).await.unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{what}: connection not closed"));
        assert!(matches!(n, Ok(0) | Err(_)), "{what}: got {n:?}");
    }
    // A torn frame (half sent, then the client goes away) is harmless too.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(&100u32.to_be_bytes()).await.unwrap();
    s.write_all(b"partial").await.unwrap();
    drop(s);
    let c = TestClient::connect(&addr).await.unwrap();
    still_serving(&c).await;
}
