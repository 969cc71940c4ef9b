//! [`SendResult`], [`SendStatus`] and [`SendCallback`] (CLIENT-API.md §4).

use std::fmt;

use protocol::code::response;

use crate::error::ClientError;
use crate::message::MessageQueue;

/// How a stored message's durability turned out. Every status means the
/// broker stored the message; the last three say a requested flush or
/// replication was not confirmed in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Stored (and flushed/replicated as the broker is configured to).
    SendOk,
    /// SYNC_FLUSH did not complete in time.
    FlushDiskTimeout,
    /// The SYNC_MASTER's slave did not acknowledge in time.
    FlushSlaveTimeout,
    /// The SYNC_MASTER has no slave in sync.
    SlaveNotAvailable,
}

impl SendStatus {
    /// The status for a send response code; `None` for codes that mean the
    /// message was not stored.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            response::SUCCESS => Some(SendStatus::SendOk),
            response::FLUSH_DISK_TIMEOUT => Some(SendStatus::FlushDiskTimeout),
            response::FLUSH_SLAVE_TIMEOUT => Some(SendStatus::FlushSlaveTimeout),
            response::SLAVE_NOT_AVAILABLE => Some(SendStatus::SlaveNotAvailable),
            _ => None,
        }
    }

    /// Java's enum name.
    pub fn name(self) -> &'static str {
        match self {
            SendStatus::SendOk => "SEND_OK",
            SendStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            SendStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            SendStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
        }
    }
}

impl fmt::Display for SendStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome of a stored send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// Durability status.
    pub send_status: SendStatus,
    /// The client id (`UNIQ_KEY`) of the message; comma-joined for batches.
    pub msg_id: String,
    /// The queue the message went to.
    pub message_queue: MessageQueue,
    /// Logical offset in that queue (of the first message of a batch).
    pub queue_offset: i64,
    /// The broker's transaction id (the message's `UNIQ_KEY`).
    pub transaction_id: Option<String>,
    /// The broker's offset message id(s) (store host + CommitLog offset).
    pub offset_msg_id: String,
    /// The broker's region (`DefaultRegion` when it sent none).
    pub region_id: String,
    /// Whether the broker has tracing on.
    pub trace_on: bool,
}

impl fmt::Display for SendResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SendResult [sendStatus={}, msgId={}, offsetMsgId={}, messageQueue={}, queueOffset={}]",
            self.send_status,
            self.msg_id,
            self.offset_msg_id,
            self.message_queue,
            self.queue_offset
        )
    }
}

/// Receives the outcome of an asynchronous send (Java's `SendCallback`).
///
/// Implemented for every `FnOnce(Result<SendResult, ClientError>)`.
pub trait SendCallback: Send + 'static {
    /// Called exactly once, with the result or the error.
    fn on_complete(self: Box<Self>, result: Result<SendResult, ClientError>);
}

impl<F> SendCallback for F
where
    F: FnOnce(Result<SendResult, ClientError>) + Send + 'static,
{
    fn on_complete(self: Box<Self>, result: Result<SendResult, ClientError>) {
        (*self)(result)
    }
}
