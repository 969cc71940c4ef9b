//! The async network layer every side shares.
//!
//! A [`Connection`] is one TCP connection carrying requests and responses in
//! both directions, multiplexed by `opaque`: the same type serves a client's
//! connection to a broker and a server's connection from a client. Incoming
//! responses complete the matching [`Connection::invoke`]; incoming requests
//! go to a [`Processor`]. A server is [`run`]: accept, then drive each
//! connection until it closes or the server shuts down.
//!
//! Per connection there is one reader task (it decodes frames and drives the
//! processor futures of that connection concurrently, without spawning a task
//! per request) and one writer task (it coalesces every queued frame into one
//! vectored write; large body segments such as stored records are written in
//! place, not copied). The reader writes the answers to what it has read
//! itself, once per read, before it waits for the socket again; only what
//! the socket does not take at once is left to the writer task.

mod connection;
mod router;
mod server;
mod writer;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use connection::Connection;
pub use router::Router;
pub use server::run;

use crate::codec::DEFAULT_MAX_FRAME_LEN;
use crate::command::RemotingCommand;

/// A boxed, sendable future: what processors return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Handles the requests that arrive on connections.
///
/// Return `None` to send no response. The net layer copies the request's
/// `opaque` and serialize type into the response and sets the response flag;
/// the response to a oneway request is dropped.
pub trait Processor: Send + Sync + 'static {
    /// Handles one request that arrived on `conn`.
    fn process<'a>(
        &'a self,
        conn: &'a std::sync::Arc<Connection>,
        request: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>>;

    /// Called once when a connection is established.
    fn on_connected(&self, _conn: &std::sync::Arc<Connection>) {}

    /// Called once when a connection has closed (either side, or an error).
    fn on_closed(&self, _conn: &std::sync::Arc<Connection>) {}
}

/// Settings of a server's connections.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted frame, length word included (16 MiB by default).
    pub max_frame_len: usize,
    /// Requests one connection may have in processing at once; beyond it a
    /// request is answered SYSTEM_BUSY instead of queueing without bound.
    pub max_inflight_per_connection: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            max_inflight_per_connection: 4096,
        }
    }
}

/// Settings of an outgoing connection.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Largest accepted frame, length word included.
    pub max_frame_len: usize,
    /// Bound on the TCP connect.
    pub connect_timeout: Duration,
    /// Requests from the peer processed at once (broker-to-client calls).
    pub max_inflight: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            connect_timeout: Duration::from_secs(3),
            max_inflight: 1024,
        }
    }
}

/// Why a network call failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The TCP connect failed.
    #[error("connect to {addr} failed: {source}")]
    Connect {
        /// Address dialled.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The TCP connect did not finish in time.
    #[error("connect to {0} timed out")]
    ConnectTimeout(String),
    /// No response arrived in time.
    #[error("request to {addr} timed out after {timeout:?}")]
    Timeout {
        /// Peer address.
        addr: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// The connection closed before the response arrived, or was closed.
    #[error("connection to {0} is closed")]
    Closed(String),
    /// The request cannot be encoded (e.g. a binary header's `code` does
    /// not fit its 16 bits); it was not sent.
    #[error("request cannot be encoded: {0}")]
    Encode(#[from] crate::codec::CodecError),
}
