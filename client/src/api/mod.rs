//! [`MQClientAPI`]: typed async calls to NameServers and brokers over pooled
//! connections (Java's `MQClientAPIImpl`).
//!
//! One [`protocol::net::Connection`] per address, dialled on first use and
//! again after it closes. NameServer calls go to one NameServer at a time
//! and fail over to the next on network errors.
//!
//! Module map: this file holds the pool and the request plumbing;
//! [`namesrv`] the NameServer calls, [`broker`] the producer/consumer calls
//! (send, pull, offsets, heartbeats, locks), [`admin`] the admin calls.

pub mod admin;
pub mod broker;
pub mod namesrv;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use protocol::code::response;
use protocol::net::{self, Connection, Processor};
use protocol::{CommandHeader, RemotingCommand};

use crate::config::ClientConfig;
use crate::error::ClientError;

pub use broker::{PullResult, PullStatus, SendKind};

/// Typed RPCs of one client instance, with its connection pool.
///
/// Invariant: at most one live connection per address; a closed connection
/// is replaced on the next call to that address.
pub struct MQClientAPI {
    config: ClientConfig,
    net: net::ClientConfig,
    handler: Option<Arc<dyn Processor>>,
    conns: Mutex<HashMap<String, Arc<Connection>>>,
    dialing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    namesrv: RwLock<Vec<String>>,
    namesrv_index: AtomicUsize,
}

impl std::fmt::Debug for MQClientAPI {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MQClientAPI")
            .field("namesrv", &*self.namesrv.read())
            .field("connections", &self.conns.lock().len())
            .finish()
    }
}

impl MQClientAPI {
    /// An API over `config`'s NameServers; requests brokers send on our
    /// connections go to `handler`.
    pub fn new(config: ClientConfig, handler: Option<Arc<dyn Processor>>) -> Self {
        let namesrv = config.namesrv_addrs();
        // Start at a random NameServer, as Java does, to spread the load.
        let start = if namesrv.is_empty() {
            0
        } else {
            rand::random::<usize>() % namesrv.len()
        };
        MQClientAPI {
            net: net::ClientConfig {
                connect_timeout: config.mq_client_api_timeout,
                ..Default::default()
            },
            config,
            handler,
            conns: Mutex::new(HashMap::new()),
            dialing: Mutex::new(HashMap::new()),
            namesrv: RwLock::new(namesrv),
            namesrv_index: AtomicUsize::new(start),
        }
    }

    /// The config this API was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The NameServer list in use.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv.read().clone()
    }

    /// Replaces the NameServer list (`a:1;b:2`).
    pub fn update_namesrv_addrs(&self, addrs: &str) {
        *self.namesrv.write() = crate::config::split_addrs(addrs);
    }

    /// A request frame with our language and serialization.
    pub fn new_request(&self, code: i32) -> RemotingCommand {
        let mut cmd = RemotingCommand::new_request(code);
        cmd.language = self.config.language;
        cmd.serialize_type = self.config.serialize_type;
        cmd
    }

    /// A request frame carrying a typed header.
    pub fn request<H: CommandHeader>(&self, code: i32, header: &H) -> RemotingCommand {
        let mut cmd = self.new_request(code);
        header.write(&mut cmd.ext_fields);
        cmd
    }

    /// The live connection to `addr`, dialling it when there is none.
    pub async fn connection(&self, addr: &str) -> Result<Arc<Connection>, ClientError> {
        if let Some(c) = self.cached(addr) {
            return Ok(c);
        }
        // One dial per address at a time; the others wait and reuse it.
        let gate = self
            .dialing
            .lock()
            .entry(addr.to_owned())
            .or_default()
            .clone();
        let _dialing = gate.lock().await;
        if let Some(c) = self.cached(addr) {
            return Ok(c);
        }
        let conn = Connection::connect(addr, &self.net, self.handler.clone()).await?;
        self.conns.lock().insert(addr.to_owned(), conn.clone());
        Ok(conn)
    }

    fn cached(&self, addr: &str) -> Option<Arc<Connection>> {
        let conns = self.conns.lock();
        conns.get(addr).filter(|c| !c.is_closed()).cloned()
    }

    /// Sends `cmd` to `addr` and waits for the response (any code).
    pub async fn invoke(
        &self,
        addr: &str,
        cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, ClientError> {
        // The dial path is boxed: kept inline, its state would make every
        // call's future (and each send's) several hundred bytes larger.
        let conn = match self.cached(addr) {
            Some(c) => c,
            None => Box::pin(self.connection(addr)).await?,
        };
        Ok(conn.invoke(cmd, timeout).await?)
    }

    /// Sends `cmd` to `addr` and returns the response if its code is SUCCESS,
    /// else the server's refusal as [`ClientError::Broker`].
    pub async fn invoke_ok(
        &self,
        addr: &str,
        cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, ClientError> {
        let resp = self.invoke(addr, cmd, timeout).await?;
        expect_success(addr, resp)
    }

    /// Sends `cmd` to `addr` without waiting for any response.
    pub async fn invoke_oneway(&self, addr: &str, cmd: RemotingCommand) -> Result<(), ClientError> {
        let conn = match self.cached(addr) {
            Some(c) => c,
            None => Box::pin(self.connection(addr)).await?,
        };
        Ok(conn.send_oneway(cmd)?)
    }

    /// Sends `cmd` to the NameServers: to the current one, moving on to the
    /// next on a network failure, until one answers (any code).
    pub async fn invoke_namesrv(
        &self,
        cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<(String, RemotingCommand), ClientError> {
        let addrs = self.namesrv_addrs();
        if addrs.is_empty() {
            return Err(ClientError::NoNameServer);
        }
        let start = self.namesrv_index.load(Ordering::Relaxed);
        let mut last = None;
        for i in 0..addrs.len() {
            let idx = (start + i) % addrs.len();
            let addr = &addrs[idx];
            match self.invoke(addr, cmd.clone(), timeout).await {
                Ok(resp) => {
                    if i > 0 {
                        self.namesrv_index.store(idx, Ordering::Relaxed);
                    }
                    return Ok((addr.clone(), resp));
                }
                Err(e) => {
                    tracing::debug!(namesrv = %addr, error = %e, "NameServer call failed; trying the next");
                    last = Some(e);
                }
            }
        }
        // Next time, start after the one we began with.
        self.namesrv_index
            .store((start + 1) % addrs.len(), Ordering::Relaxed);
        Err(last.unwrap_or(ClientError::NoNameServer))
    }

    /// [`MQClientAPI::invoke_namesrv`], requiring SUCCESS.
    pub async fn invoke_namesrv_ok(
        &self,
        cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, ClientError> {
        let (addr, resp) = self.invoke_namesrv(cmd, timeout).await?;
        expect_success(&addr, resp)
    }

    /// Closes every pooled connection (the pool stays usable).
    pub fn close_all(&self) {
        let conns: Vec<_> = self.conns.lock().drain().map(|(_, c)| c).collect();
        for c in conns {
            c.close();
        }
        self.dialing.lock().clear();
    }

    /// Closes the connection to `addr`, if any.
    pub fn close_connection(&self, addr: &str) {
        if let Some(c) = self.conns.lock().remove(addr) {
            c.close();
        }
    }
}

impl Drop for MQClientAPI {
    fn drop(&mut self) {
        self.close_all();
    }
}

/// `resp` if its code is SUCCESS, else the refusal as [`ClientError::Broker`].
pub fn expect_success(addr: &str, resp: RemotingCommand) -> Result<RemotingCommand, ClientError> {
    if resp.code == response::SUCCESS {
        Ok(resp)
    } else {
        Err(ClientError::broker(addr, resp.code, resp.remark.as_deref()))
    }
}
