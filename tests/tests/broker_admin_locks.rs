//! Orderly consumers' queue locks against a running broker: exclusive per
//! group, refreshed by the holder, released by unlock (sync or oneway),
//! tolerant of bodies without `onlyThisBroker`. Expiry after 60 s is covered
//! with a fake clock by the lock manager's unit tests.

mod broker_admin_util;

use std::collections::BTreeSet;

use broker_admin_util::*;
use bytes::Bytes;
use harness::Cluster;
use protocol::body::{JsonBody, LockBatchRequestBody, LockBatchResponseBody, MessageQueue};
use protocol::code::{request, response};
use protocol::net::Connection;
use protocol::RemotingCommand;

fn mqs(ids: &[i32]) -> BTreeSet<MessageQueue> {
    ids.iter()
        .map(|&i| MessageQueue::new("T_lock", "broker-a", i))
        .collect()
}

fn body(client: &str, ids: &[i32]) -> LockBatchRequestBody {
    LockBatchRequestBody {
        client_id: client.into(),
        consumer_group: "G_lock".into(),
        mq_set: mqs(ids),
        only_this_broker: false,
    }
}

async fn lock(conn: &Connection, client: &str, ids: &[i32]) -> BTreeSet<MessageQueue> {
    let cmd =
        RemotingCommand::new_request(request::LOCK_BATCH_MQ).with_body(body(client, ids).to_json());
    let r = call(conn, cmd).await;
    assert_eq!(r.code, response::SUCCESS, "{}", r.remark_str());
    LockBatchResponseBody::from_json(&r.body)
        .unwrap()
        .lock_ok_mq_set
}

async fn unlock(conn: &Connection, client: &str, ids: &[i32]) {
    let cmd = RemotingCommand::new_request(request::UNLOCK_BATCH_MQ)
        .with_body(body(client, ids).to_json());
    assert_eq!(call(conn, cmd).await.code, response::SUCCESS);
}

#[tokio::test]
async fn locks_are_exclusive_and_released_by_their_holder() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let (a, _) = connect_with_inbox(cluster.broker_addr(0)).await;
    let (b, _) = connect_with_inbox(cluster.broker_addr(0)).await;

    assert_eq!(lock(&a, "client-a", &[0, 1]).await, mqs(&[0, 1]));
    assert_eq!(
        lock(&b, "client-b", &[1, 2]).await,
        mqs(&[2]),
        "queue 1 is a's"
    );
    // The holder re-locks (refresh) without trouble.
    assert_eq!(lock(&a, "client-a", &[0, 1]).await, mqs(&[0, 1]));
    // Only the holder can unlock.
    unlock(&b, "client-b", &[0, 1]).await;
    assert!(lock(&b, "client-b", &[0]).await.is_empty());
    unlock(&a, "client-a", &[1]).await;
    assert_eq!(lock(&b, "client-b", &[1]).await, mqs(&[1]));

    // Oneway unlock, as Java sends it for one queue removed by rebalance.
    let mut cmd = RemotingCommand::new_request(request::UNLOCK_BATCH_MQ)
        .with_body(body("client-a", &[0]).to_json());
    cmd.set_oneway();
    a.send_oneway(cmd).unwrap();
    assert!(
        eventually(3, || async {
            lock(&b, "client-b", &[0]).await == mqs(&[0])
        })
        .await
    );

    // A body without onlyThisBroker (the C++ client's).
    let raw = r#"{"clientId":"client-c","consumerGroup":"G_other","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T_lock"}]}"#;
    let cmd = RemotingCommand::new_request(request::LOCK_BATCH_MQ).with_body(Bytes::from(raw));
    let r = call(&a, cmd).await;
    assert_eq!(r.code, response::SUCCESS);
    assert_eq!(
        LockBatchResponseBody::from_json(&r.body)
            .unwrap()
            .lock_ok_mq_set
            .len(),
        1,
        "other group is independent"
    );

    // A lock request without ids is refused with a reason.
    let cmd =
        RemotingCommand::new_request(request::LOCK_BATCH_MQ).with_body(Bytes::from_static(b"{}"));
    let r = call(&a, cmd).await;
    assert_eq!(r.code, response::SYSTEM_ERROR);
    assert!(r.remark_str().contains("clientId"), "{}", r.remark_str());
}

#[tokio::test]
async fn an_unrefreshed_lock_expires_and_another_client_takes_it() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    let ctx = cluster
        .broker(0)
        .broker()
        .expect("in-process broker")
        .context()
        .clone();
    // RocketMQ's lifetime is 60 s; shortened here so the rule runs in a second.
    ctx.locks.set_max_live_ms(1000);
    let (a, _) = connect_with_inbox(cluster.broker_addr(0)).await;
    let (b, _) = connect_with_inbox(cluster.broker_addr(0)).await;
    assert_eq!(lock(&a, "client-a", &[0, 1]).await, mqs(&[0, 1]));
    // Only "still live" checks are timing-sensitive (a stall makes locks
    // look older, never younger), so those keep a wide margin.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        lock(&a, "client-a", &[0]).await,
        mqs(&[0]),
        "a refreshes queue 0 only"
    );
    assert!(
        lock(&b, "client-b", &[0, 1]).await.is_empty(),
        "both still live"
    );
    tokio::time::sleep(std::time::Duration::from_millis(750)).await;
    assert_eq!(
        lock(&b, "client-b", &[0, 1]).await,
        mqs(&[1]),
        "queue 1 expired, 0 refreshed"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1050)).await;
    assert_eq!(lock(&b, "client-b", &[0, 1]).await, mqs(&[0, 1]));
}
