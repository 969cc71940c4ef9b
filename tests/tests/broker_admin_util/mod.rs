//! Helpers shared by the broker_admin_* suites: a client connection that
//! records the requests the broker pushes to it, and request builders.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, JsonBody, MessageModel,
    ProducerData, SubscriptionData,
};
use protocol::code::request;
use protocol::net::{BoxFuture, ClientConfig, Connection, Processor};
use protocol::RemotingCommand;
use std::sync::Mutex;

/// Timeout of one request in these suites.
pub const RPC: Duration = Duration::from_secs(3);

/// Records every request the broker sends on a client connection.
#[derive(Default)]
pub struct Inbox(pub Mutex<Vec<RemotingCommand>>);

impl Processor for Inbox {
    fn process<'a>(
        &'a self,
        _c: &'a Arc<Connection>,
        r: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        self.0.lock().expect("inbox").push(r);
        Box::pin(async { None })
    }
}

impl Inbox {
    /// NOTIFY_CONSUMER_IDS_CHANGED requests received so far, by group.
    pub fn notified_groups(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("inbox")
            .iter()
            .filter(|r| r.code == request::NOTIFY_CONSUMER_IDS_CHANGED)
            .map(|r| r.ext_fields.get("consumerGroup").unwrap_or("").to_owned())
            .collect()
    }

    /// Waits (bounded) until at least `n` notifications arrived.
    pub async fn wait_notified(&self, n: usize) -> bool {
        for _ in 0..300 {
            if self.notified_groups().len() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

/// A connection to `addr` whose pushed requests land in the returned inbox.
pub async fn connect_with_inbox(addr: &str) -> (Arc<Connection>, Arc<Inbox>) {
    let inbox = Arc::new(Inbox::default());
    let conn = Connection::connect(addr, &ClientConfig::default(), Some(inbox.clone()))
        .await
        .expect("connect");
    (conn, inbox)
}

/// A push consumer's heartbeat for `group` subscribing `topic` with `expr`.
pub fn consumer_heartbeat(client_id: &str, group: &str, topic: &str, expr: &str) -> HeartbeatData {
    HeartbeatData {
        client_id: client_id.to_owned(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            consume_type: ConsumeType::ConsumePassively,
            group_name: group.to_owned(),
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![SubscriptionData::new(topic, expr, 1)],
            unit_mode: false,
        }],
        producer_data_set: vec![ProducerData {
            group_name: "CLIENT_INNER_PRODUCER".into(),
        }],
        ..Default::default()
    }
}

/// Sends a HEART_BEAT with `hb`; returns the response.
pub async fn heartbeat(conn: &Connection, hb: &HeartbeatData) -> RemotingCommand {
    let cmd = RemotingCommand::new_request(request::HEART_BEAT).with_body(hb.to_json());
    conn.invoke(cmd, RPC).await.expect("heartbeat")
}

/// Sends any request; panics on transport errors only.
pub async fn call(conn: &Connection, cmd: RemotingCommand) -> RemotingCommand {
    conn.invoke(cmd, RPC).await.expect("request")
}

/// Polls `f` (bounded, 10 ms steps, up to `secs`) until it returns true.
pub async fn eventually<F, Fut>(secs: u64, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
