//! CONSUMER_SEND_MSG_BACK: a consumed message goes to `%RETRY%<group>` with
//! its retry properties, and to `%DLQ%<group>` once it was reconsumed
//! `maxReconsumeTimes` times.

use bytes::Bytes;
use harness::client::{PullRequest, TestClient};
use harness::Cluster;
use protocol::code::{request, response};
use protocol::header::ConsumerSendMsgBackRequestHeader;
use protocol::message::properties::{ORIGIN_MESSAGE_ID, RETRY_TOPIC, TAGS};
use protocol::message::MessageExt;
use protocol::RemotingCommand;

async fn send_back(c: &TestClient, m: &MessageExt, group: &str, max: i32) -> RemotingCommand {
    let h = ConsumerSendMsgBackRequestHeader {
        offset: m.commit_log_offset,
        group: group.to_owned(),
        delay_level: 0,
        origin_msg_id: Some(m.msg_id.clone()),
        origin_topic: Some(m.topic.clone()),
        unit_mode: Some(false),
        max_reconsume_times: Some(max),
        bname: None,
    };
    c.invoke(RemotingCommand::request(
        request::CONSUMER_SEND_MSG_BACK,
        &h,
    ))
    .await
    .unwrap()
}

async fn pull_one(c: &TestClient, group: &str, topic: &str, offset: i64) -> MessageExt {
    let mut p = PullRequest::new(group, topic, 0, offset);
    p.suspend_ms = 3000;
    let r = c.pull(&p).await.unwrap();
    assert_eq!(r.code, response::SUCCESS, "{topic}@{offset}: {}", r.remark);
    r.messages.into_iter().next().unwrap()
}

#[tokio::test]
async fn retry_then_dead_letter() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let c = TestClient::connect(cluster.broker_addr(0)).await.unwrap();
    let r = c
        .send("Orders", 0, Bytes::from_static(b"order-1"), Some("TagA"))
        .await
        .unwrap();
    assert_eq!(r.code, response::SUCCESS);
    let original = pull_one(&c, "G_retry", "Orders", 0).await;

    let r = send_back(&c, &original, "G_retry", 2).await;
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    let retry1 = pull_one(&c, "G_retry", "%RETRY%G_retry", 0).await;
    assert_eq!(retry1.body, original.body);
    assert_eq!(retry1.reconsume_times, 1);
    assert_eq!(retry1.property(RETRY_TOPIC), Some("Orders"));
    assert_eq!(retry1.property(TAGS), Some("TagA"));
    assert_eq!(
        retry1.property(ORIGIN_MESSAGE_ID),
        Some(original.msg_id.as_str())
    );
    assert_eq!(retry1.born_timestamp, original.born_timestamp);

    let r = send_back(&c, &retry1, "G_retry", 2).await;
    assert_eq!(r.code, response::SUCCESS);
    let retry2 = pull_one(&c, "G_retry", "%RETRY%G_retry", 1).await;
    assert_eq!(retry2.reconsume_times, 2);
    assert_eq!(
        retry2.property(RETRY_TOPIC),
        Some("Orders"),
        "kept through retries"
    );
    assert_eq!(
        retry2.property(ORIGIN_MESSAGE_ID),
        Some(original.msg_id.as_str())
    );

    // Reconsumed twice with maxReconsumeTimes 2: the next failure is final.
    let r = send_back(&c, &retry2, "G_retry", 2).await;
    assert_eq!(r.code, response::SUCCESS);
    let dead = pull_one(&c, "G_retry", "%DLQ%G_retry", 0).await;
    assert_eq!(dead.body, original.body);
    assert_eq!(dead.reconsume_times, 3);
    assert_eq!(dead.property(RETRY_TOPIC), Some("Orders"));

    // An offset that holds no message.
    let mut bogus = original.clone();
    bogus.commit_log_offset = 1 << 40;
    let r = send_back(&c, &bogus, "G_retry", 2).await;
    assert_eq!(r.code, response::SYSTEM_ERROR);
    assert!(r.remark_str().contains("offset"), "{}", r.remark_str());
}
