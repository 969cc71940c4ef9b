//! Registration with the name servers (NAMESRV.md §3, PROTOCOL.md §10.2-10.3):
//! REGISTER_BROKER to every name server at start, every
//! `registerNameServerPeriod` (30 s) and at once when the topic table changes;
//! UNREGISTER_BROKER to every name server on clean shutdown.
//!
//! A name server that is down only costs a warning: the next round retries.
//! Calls to different name servers run concurrently, each bounded by
//! `registerBrokerTimeoutMills`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use parking_lot::Mutex;
use protocol::body::route::{register_body_crc32, KVTable, RegisterBrokerBody, TopicConfig};
use protocol::body::JsonBody;
use protocol::code::{request, response};
use protocol::header::namesrv::{RegisterBrokerRequestHeader, UnregisterBrokerRequestHeader};
use protocol::net::{ClientConfig, Connection};
use protocol::RemotingCommand;
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::error::BrokerError;

/// Timeout of UNREGISTER_BROKER at shutdown (Java uses 3 s).
const UNREGISTER_TIMEOUT: Duration = Duration::from_secs(3);
/// Delay before the first periodic registration (Java: 10 s).
const FIRST_PERIOD_DELAY: Duration = Duration::from_secs(10);

/// Connections to the name servers, dialled on first use and redialled
/// when closed.
#[derive(Debug, Default)]
pub struct NamesrvClient {
    conns: Mutex<HashMap<String, Arc<Connection>>>,
}

impl NamesrvClient {
    /// A client with no connections yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `cmd` to `addr` and waits for the response.
    pub async fn invoke(
        &self,
        addr: &str,
        cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, BrokerError> {
        let conn = self.connection(addr).await?;
        match conn.invoke(cmd, timeout).await {
            Ok(r) => Ok(r),
            Err(e) => {
                // A timed-out or broken connection is dropped; the next call redials.
                self.conns.lock().remove(addr);
                conn.close();
                Err(e.into())
            }
        }
    }

    async fn connection(&self, addr: &str) -> Result<Arc<Connection>, BrokerError> {
        if let Some(c) = self.conns.lock().get(addr) {
            if !c.is_closed() {
                return Ok(c.clone());
            }
        }
        let conn = Connection::connect(addr, &ClientConfig::default(), None).await?;
        self.conns.lock().insert(addr.to_owned(), conn.clone());
        Ok(conn)
    }

    /// Closes every connection.
    pub fn close(&self) {
        for (_, c) in self.conns.lock().drain() {
            c.close();
        }
    }
}

/// What a registration says about this broker, read once from the config.
struct Identity {
    broker_name: String,
    broker_addr: String,
    cluster_name: String,
    ha_server_addr: String,
    broker_id: i64,
    broker_permission: i32,
    heartbeat_timeout: Option<u64>,
    timeout: Duration,
    namesrvs: Vec<String>,
}

fn identity(ctx: &BrokerContext) -> Identity {
    let cfg = ctx.config.read();
    Identity {
        broker_name: cfg.broker_name.clone(),
        broker_addr: ctx.broker_addr.clone(),
        cluster_name: cfg.broker_cluster_name.clone(),
        ha_server_addr: cfg.ha_server_addr(),
        broker_id: cfg.broker_id,
        broker_permission: cfg.broker_permission,
        heartbeat_timeout: cfg.broker_not_active_timeout_millis,
        timeout: Duration::from_millis(cfg.register_broker_timeout_mills.max(1)),
        namesrvs: cfg.namesrv_addrs(),
    }
}

/// Registers with every name server; returns how many accepted.
pub async fn register_all(ctx: &BrokerContext) -> usize {
    let id = identity(ctx);
    if id.namesrvs.is_empty() {
        return 0;
    }
    let mut wrapper = ctx.topics.snapshot();
    // A broker that is not both readable and writable registers every topic
    // with its own permission, so clients stop writing (or reading) there.
    let perm = id.broker_permission;
    if !protocol::body::route::is_writeable(perm) || !protocol::body::route::is_readable(perm) {
        for tc in wrapper.topic_config_table.values_mut() {
            *tc = TopicConfig { perm, ..tc.clone() };
        }
    }
    let body = RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: wrapper,
    }
    .to_json();
    let header = RegisterBrokerRequestHeader {
        broker_name: id.broker_name.clone(),
        broker_addr: id.broker_addr.clone(),
        cluster_name: id.cluster_name.clone(),
        ha_server_addr: id.ha_server_addr.clone(),
        broker_id: id.broker_id,
        heartbeat_timeout_millis: id
            .heartbeat_timeout
            .map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
        enable_acting_master: Some(false),
        compressed: Some(false),
        body_crc32: Some(register_body_crc32(&body)),
    };
    let body = bytes::Bytes::from(body);
    let calls = id.namesrvs.iter().map(|addr| {
        let cmd =
            RemotingCommand::request(request::REGISTER_BROKER, &header).with_body(body.clone());
        async move { (addr, ctx.namesrv.invoke(addr, cmd, id.timeout).await) }
    });
    let mut ok = 0;
    for (addr, result) in join_all(calls).await {
        match result {
            Ok(resp) if resp.code == response::SUCCESS => {
                ok += 1;
                tracing::debug!(namesrv = %addr, "registered with name server");
                if !resp.body.is_empty() {
                    match KVTable::from_json(&resp.body) {
                        Ok(kv) => ctx.topics.apply_order_topics(&kv.table).await,
                        Err(e) => {
                            tracing::debug!(namesrv = %addr, error = %e, "unreadable order-topic table")
                        }
                    }
                }
            }
            Ok(resp) => tracing::warn!(
                namesrv = %addr,
                code = resp.code,
                remark = resp.remark_str(),
                "name server refused registration"
            ),
            Err(e) => tracing::warn!(namesrv = %addr, error = %e, "register to name server failed"),
        }
    }
    ok
}

/// Unregisters from every name server (clean shutdown).
pub async fn unregister_all(ctx: &BrokerContext) {
    let id = identity(ctx);
    let header = UnregisterBrokerRequestHeader {
        broker_name: id.broker_name,
        broker_addr: id.broker_addr,
        cluster_name: id.cluster_name,
        broker_id: id.broker_id,
    };
    let calls = id.namesrvs.iter().map(|addr| {
        let cmd = RemotingCommand::request(request::UNREGISTER_BROKER, &header);
        async move {
            (
                addr,
                ctx.namesrv.invoke(addr, cmd, UNREGISTER_TIMEOUT).await,
            )
        }
    });
    for (addr, result) in join_all(calls).await {
        match result {
            Ok(resp) if resp.code == response::SUCCESS => {
                tracing::info!(namesrv = %addr, "unregistered from name server")
            }
            Ok(resp) => {
                tracing::warn!(namesrv = %addr, code = resp.code, remark = resp.remark_str(), "unregister refused")
            }
            Err(e) => {
                tracing::warn!(namesrv = %addr, error = %e, "unregister from name server failed")
            }
        }
    }
}

/// The periodic registration service: every period, and at once after a
/// topic change, until `stop` is cancelled.
pub async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    let period = {
        let p = ctx.config.read().register_name_server_period;
        Duration::from_millis(p.clamp(10_000, 60_000))
    };
    let mut next = tokio::time::Instant::now() + FIRST_PERIOD_DELAY;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep_until(next) => next += period,
            _ = ctx.topics.changed() => {}
        }
        register_all(&ctx).await;
    }
}
