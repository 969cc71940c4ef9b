//! [`ClientError`]: every way a client call can fail.

use protocol::body::BodyError;
use protocol::message::MessageError;
use protocol::net::NetError;
use protocol::HeaderError;

/// Why a client call failed.
///
/// Broker and NameServer refusals keep the server's response code and remark
/// ([`ClientError::Broker`]), so callers can match on RocketMQ's codes
/// (`protocol::code::response`).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error code.
    #[error("{addr} answered code {code}: {remark}")]
    Broker {
        /// The response code (`protocol::code::response`).
        code: i32,
        /// The server's remark.
        remark: String,
        /// The server that answered.
        addr: String,
    },
    /// A network failure: connect, timeout, closed connection.
    #[error(transparent)]
    Net(#[from] NetError),
    /// No NameServer address is configured (nor `NAMESRV_ADDR`).
    #[error("no NameServer address: set namesrv_addr or NAMESRV_ADDR")]
    NoNameServer,
    /// No route for the topic on any NameServer.
    #[error("no route info for topic {0}")]
    NoRoute(String),
    /// No address known for a broker name.
    #[error("broker {0} has no known address")]
    BrokerNotFound(String),
    /// The caller passed something unusable (a bad message, topic, group...).
    #[error("illegal argument: {0}")]
    IllegalArgument(String),
    /// The client is not in a state that allows the call (not started,
    /// already shut down, group already registered, ...).
    #[error("illegal state: {0}")]
    IllegalState(String),
    /// Every attempt of a send failed; the last error is kept.
    #[error("send failed after {attempts} attempt(s) in {elapsed_ms} ms: {last}")]
    SendFailed {
        /// Attempts made.
        attempts: u32,
        /// Time spent, ms.
        elapsed_ms: u64,
        /// The error of the last attempt.
        last: Box<ClientError>,
    },
    /// The operation did not finish within its time budget.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A response header could not be read.
    #[error("bad response header: {0}")]
    Header(#[from] HeaderError),
    /// A response body could not be read.
    #[error("bad response body: {0}")]
    Body(#[from] BodyError),
    /// A message could not be encoded or decoded.
    #[error("bad message: {0}")]
    Message(#[from] MessageError),
    /// A local file (offsets) could not be read or written.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ClientError {
    /// A server refusal from a response.
    pub fn broker(addr: &str, code: i32, remark: Option<&str>) -> Self {
        ClientError::Broker {
            code,
            remark: remark.unwrap_or_default().to_owned(),
            addr: addr.to_owned(),
        }
    }

    /// The server's response code, when the server refused (looking through
    /// [`ClientError::SendFailed`]).
    pub fn response_code(&self) -> Option<i32> {
        match self {
            ClientError::Broker { code, .. } => Some(*code),
            ClientError::SendFailed { last, .. } => last.response_code(),
            _ => None,
        }
    }

    /// The server's remark, when the server refused.
    pub fn remark(&self) -> Option<&str> {
        match self {
            ClientError::Broker { remark, .. } => Some(remark),
            ClientError::SendFailed { last, .. } => last.remark(),
            _ => None,
        }
    }

    /// True for network failures (the broker may be down or unreachable).
    pub fn is_network(&self) -> bool {
        match self {
            ClientError::Net(_) => true,
            ClientError::SendFailed { last, .. } => last.is_network(),
            _ => false,
        }
    }
}
