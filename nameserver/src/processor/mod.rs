//! Request handling: [`NameServer`] holds the state and answers every
//! request code with a plain `match` in [`NameServer::handle`]; the handlers
//! live in one small file per request group.

mod admin;
mod broker;
mod config;
mod kv;
mod route;

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};
use protocol::body::BodyError;
use protocol::code::{request, response};
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::{HeaderError, RemotingCommand};

use crate::clock::Clock;
use crate::config::NamesrvConfig;
use crate::kv::KvStore;
use crate::route_table::{RouteTable, UnitFilter};

/// Why a request could not be served; answered SYSTEM_ERROR with the
/// message as remark, as Java answers a `RemotingCommandException`.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// A required header field is missing or invalid.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The body does not decode.
    #[error(transparent)]
    Body(#[from] BodyError),
}

type Reply = Result<RemotingCommand, RequestError>;

/// The NameServer's state and request processor.
///
/// One `RwLock` guards the route table (write for registrations and
/// removals, read for lookups); no lock is held across an await.
pub struct NameServer {
    config: RwLock<NamesrvConfig>,
    routes: RwLock<RouteTable>,
    kv: KvStore,
    /// Connections brokers registered over, closed when their broker expires.
    broker_conns: Mutex<HashMap<u64, Weak<Connection>>>,
}

impl NameServer {
    /// State for `config`, reading time from `clock`; loads the KV config
    /// from `kvConfigPath` (an unreadable file is an error).
    pub fn new(config: NamesrvConfig, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        let kv = KvStore::load(&config.kv_config_path)?;
        let expiry = i64::try_from(config.broker_channel_expired_time).unwrap_or(i64::MAX);
        Ok(NameServer {
            routes: RwLock::new(RouteTable::new(clock).with_default_timeout_ms(expiry)),
            config: RwLock::new(config),
            kv,
            broker_conns: Mutex::new(HashMap::new()),
        })
    }

    /// A copy of the current settings.
    pub fn config(&self) -> NamesrvConfig {
        self.config.read().clone()
    }

    /// Runs one expiry scan: drops silent brokers and closes their
    /// connections when no other live broker uses them.
    pub fn scan_not_active_brokers(&self) {
        let expired = self.routes.write().scan_expired();
        for conn_id in expired.into_iter().filter_map(|(_, c)| c) {
            if self.routes.read().connection_in_use(conn_id) {
                continue;
            }
            let conn = self.broker_conns.lock().remove(&conn_id);
            if let Some(conn) = conn.and_then(|w| w.upgrade()) {
                conn.close();
            }
        }
    }

    /// Answers one request.
    pub fn handle(&self, conn: &Arc<Connection>, req: &RemotingCommand) -> RemotingCommand {
        use request::*;
        let reply: Reply = match req.code {
            REGISTER_BROKER => broker::register(self, conn, req),
            UNREGISTER_BROKER => broker::unregister(self, req),
            BROKER_HEARTBEAT => broker::heartbeat(self, req),
            QUERY_DATA_VERSION => broker::query_data_version(self, req),
            GET_ROUTEINFO_BY_TOPIC => route::route_by_topic(self, req),
            GET_BROKER_CLUSTER_INFO => route::cluster_info(self),
            GET_ALL_TOPIC_LIST_FROM_NAMESERVER => route::all_topics(self),
            GET_TOPICS_BY_CLUSTER => route::topics_by_cluster(self, req),
            GET_SYSTEM_TOPIC_LIST_FROM_NS => route::system_topics(self),
            GET_UNIT_TOPIC_LIST => route::unit_topics(self, UnitFilter::Unit),
            GET_HAS_UNIT_SUB_TOPIC_LIST => route::unit_topics(self, UnitFilter::HasUnitSub),
            GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST => {
                route::unit_topics(self, UnitFilter::HasUnitSubNotUnit)
            }
            DELETE_TOPIC_IN_NAMESRV => admin::delete_topic(self, req),
            WIPE_WRITE_PERM_OF_BROKER => admin::wipe_write_perm(self, req),
            ADD_WRITE_PERM_OF_BROKER => admin::add_write_perm(self, req),
            PUT_KV_CONFIG => kv::put(self, req),
            GET_KV_CONFIG => kv::get(self, req),
            DELETE_KV_CONFIG => kv::delete(self, req),
            GET_KVLIST_BY_NAMESPACE => kv::list(self, req),
            GET_NAMESRV_CONFIG => config::get(self),
            UPDATE_NAMESRV_CONFIG => config::update(self, req),
            code => Ok(RemotingCommand::error(
                response::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {code} not supported"),
            )),
        };
        reply.unwrap_or_else(|e| {
            tracing::warn!(code = req.code, peer = %conn.peer_addr(), error = %e, "bad request");
            RemotingCommand::error(response::SYSTEM_ERROR, e.to_string())
        })
    }
}

/// Request codes whose handling writes a file (KV config, namesrv config).
fn writes_files(code: i32) -> bool {
    matches!(
        code,
        request::PUT_KV_CONFIG | request::DELETE_KV_CONFIG | request::UPDATE_NAMESRV_CONFIG
    )
}

/// Runs `f`, which does blocking file I/O, so that it does not stall the
/// other tasks of a multi-thread runtime's worker (`block_in_place` hands
/// them to another worker). A current-thread runtime (tests) runs it inline:
/// there is no other worker to hand over to.
fn on_blocking_worker<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Processor for NameServer {
    fn process<'a>(
        &'a self,
        conn: &'a Arc<Connection>,
        request: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        let reply = if writes_files(request.code) {
            on_blocking_worker(|| self.handle(conn, &request))
        } else {
            self.handle(conn, &request)
        };
        Box::pin(std::future::ready(Some(reply)))
    }

    fn on_closed(&self, conn: &Arc<Connection>) {
        self.broker_conns.lock().remove(&conn.id());
        let gone = self.routes.write().unregister_connection(conn.id());
        for b in gone {
            tracing::info!(broker = ?b, peer = %conn.peer_addr(), "connection closed; broker removed");
        }
    }
}
