//! Values exchanged with the store: what to append, put and get results.

use bytes::Bytes;
use futures::channel::oneshot;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A message to append, as the broker hands it in. The store sets the store
/// timestamp, queue offset and CommitLog offset. The ConsumeQueue tag code
/// and the index keys are derived from `properties` (`TAGS`, `KEYS`,
/// `UNIQ_KEY`; the delivery time for `SCHEDULE_TOPIC_XXXX` from `DELAY`) so
/// that recovery, which only has the CommitLog, derives the same values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageToStore {
    /// Topic (system topics such as `SCHEDULE_TOPIC_XXXX` are ordinary topics here).
    pub topic: String,
    /// Queue id (>= 0).
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Body as it is to be stored (compressed already if the sysFlag says so).
    pub body: Bytes,
    /// Encoded properties string (`protocol::message::properties`).
    pub properties: String,
    /// sysFlag; the IPv6 host bits are set by the store from the addresses.
    pub sys_flag: i32,
    /// Producer timestamp, ms.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// This broker's client-facing address (offset msgIds are built from it).
    pub store_host: SocketAddr,
    /// Times the message was re-delivered.
    pub reconsume_times: i32,
    /// For commit/rollback records: the half message's CommitLog offset.
    pub prepared_transaction_offset: i64,
}

/// Outcome of an append (RocketMQ's `PutMessageStatus`). Only `Ok`,
/// `FlushDiskTimeout`, `FlushSlaveTimeout` and `SlaveNotAvailable` mean the
/// message is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PutStatus {
    /// Stored (and flushed under SYNC_FLUSH).
    Ok,
    /// Stored, but not confirmed flushed within `syncFlushTimeout` (or the
    /// flush failed): maybe not durable.
    FlushDiskTimeout,
    /// Stored; the slave did not confirm in time (HA, later).
    FlushSlaveTimeout,
    /// Stored; no slave available (HA, later).
    SlaveNotAvailable,
    /// Not stored: the store is shut down, a slave, the disk is full or a
    /// write/fsync failed earlier.
    ServiceNotAvailable,
    /// Not stored: a new CommitLog file could not be created.
    CreateMappedFileFailed,
    /// Not stored: body over `maxMessageSize`, bad topic or queue id, or a
    /// batch mixing queues.
    MessageIllegal,
    /// Not stored: properties longer than 32767 bytes.
    PropertiesSizeExceeded,
    /// Not stored: the append lock was held too long (`osPageCacheBusyTimeOutMills`).
    OsPageCacheBusy,
    /// Not stored: unexpected failure.
    UnknownError,
}

impl PutStatus {
    /// The Java enum name (`PUT_OK`, `FLUSH_DISK_TIMEOUT`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PutStatus::Ok => "PUT_OK",
            PutStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            PutStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            PutStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
            PutStatus::ServiceNotAvailable => "SERVICE_NOT_AVAILABLE",
            PutStatus::CreateMappedFileFailed => "CREATE_MAPEDFILE_FAILED",
            PutStatus::MessageIllegal => "MESSAGE_ILLEGAL",
            PutStatus::PropertiesSizeExceeded => "PROPERTIES_SIZE_EXCEEDED",
            PutStatus::OsPageCacheBusy => "OS_PAGECACHE_BUSY",
            PutStatus::UnknownError => "UNKNOWN_ERROR",
        }
    }

    /// Whether the message was written to the CommitLog.
    pub fn is_stored(self) -> bool {
        matches!(
            self,
            PutStatus::Ok
                | PutStatus::FlushDiskTimeout
                | PutStatus::FlushSlaveTimeout
                | PutStatus::SlaveNotAvailable
        )
    }
}

/// Result of [`crate::MessageStore::put_message`] / `put_messages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutResult {
    /// Outcome.
    pub status: PutStatus,
    /// Offset msgId(s): store host + CommitLog offset; comma-joined for a batch.
    pub msg_id: String,
    /// Queue offset of the (first) message.
    pub queue_offset: i64,
    /// CommitLog offset of the (first) record.
    pub commit_log_offset: i64,
    /// Bytes written (all records, excluding end-of-file blanks).
    pub wrote_bytes: i64,
    /// Number of messages written.
    pub msg_num: i32,
    /// Store timestamp given to the record(s).
    pub store_timestamp: i64,
}

impl PutResult {
    /// A result for a message that was not stored.
    pub fn failed(status: PutStatus) -> PutResult {
        PutResult {
            status,
            msg_id: String::new(),
            queue_offset: 0,
            commit_log_offset: 0,
            wrote_bytes: 0,
            msg_num: 0,
            store_timestamp: 0,
        }
    }
}

/// The answer of a put: ready at once (ASYNC_FLUSH, errors, `WAIT=false`)
/// or completed by the group-commit thread (SYNC_FLUSH). Runtime-agnostic:
/// `.await` it from any executor, or call [`PutFuture::wait`] off-runtime.
#[derive(Debug)]
pub struct PutFuture {
    result: Option<PutResult>,
    waiter: Option<oneshot::Receiver<PutStatus>>,
}

impl PutFuture {
    pub(crate) fn ready(result: PutResult) -> PutFuture {
        PutFuture {
            result: Some(result),
            waiter: None,
        }
    }

    pub(crate) fn waiting(result: PutResult, rx: oneshot::Receiver<PutStatus>) -> PutFuture {
        PutFuture {
            result: Some(result),
            waiter: Some(rx),
        }
    }

    /// Whether the result is available without waiting for a flush.
    pub fn is_ready(&self) -> bool {
        self.waiter.is_none()
    }

    /// Blocks the current thread until the result is known. Do not call on
    /// an async runtime's worker thread; `.await` instead.
    pub fn wait(self) -> PutResult {
        futures::executor::block_on(self)
    }
}

impl Future for PutFuture {
    type Output = PutResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<PutResult> {
        let this = &mut *self;
        if let Some(rx) = this.waiter.as_mut() {
            let status = match Pin::new(rx).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(s)) => s,
                // The flusher went away (shutdown) without confirming.
                Poll::Ready(Err(_)) => PutStatus::FlushDiskTimeout,
            };
            this.waiter = None;
            if let Some(r) = this.result.as_mut() {
                r.status = status;
            }
        }
        Poll::Ready(
            this.result
                .take()
                .unwrap_or_else(|| PutResult::failed(PutStatus::UnknownError)),
        )
    }
}

/// Outcome of a get (RocketMQ's `GetMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GetMessageStatus {
    /// At least one message returned.
    Found,
    /// Entries were scanned but none matched the filter.
    NoMatchedMessage,
    /// The queue has no messages (max offset 0).
    NoMessageInQueue,
    /// No ConsumeQueue data could be read at the offset.
    OffsetFoundNull,
    /// Offset beyond max offset.
    OffsetOverflowBadly,
    /// Offset equals max offset (nothing new yet).
    OffsetOverflowOne,
    /// Offset below min offset.
    OffsetTooSmall,
    /// No such topic/queue.
    NoMatchedLogicQueue,
    /// The CommitLog data was deleted.
    MessageWasRemoving,
}

impl GetMessageStatus {
    /// The Java enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            GetMessageStatus::Found => "FOUND",
            GetMessageStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
            GetMessageStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
            GetMessageStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
            GetMessageStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
            GetMessageStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
            GetMessageStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
            GetMessageStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
            GetMessageStatus::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
        }
    }
}

/// Result of [`crate::MessageStore::get_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMessageResult {
    /// Outcome.
    pub status: GetMessageStatus,
    /// Offset the consumer should ask for next.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Whole stored records, zero-copy slices of the mapped CommitLog.
    pub messages: Vec<Bytes>,
    /// Queue offset of each returned record.
    pub queue_offsets: Vec<i64>,
    /// Sum of the record sizes.
    pub buffer_total_size: usize,
    /// The data read is older than the in-memory window (`accessMessageInMemoryMaxRatio`).
    pub suggest_pulling_from_slave: bool,
}

impl GetMessageResult {
    pub(crate) fn empty(status: GetMessageStatus, next: i64, min: i64, max: i64) -> Self {
        GetMessageResult {
            status,
            next_begin_offset: next,
            min_offset: min,
            max_offset: max,
            messages: Vec::new(),
            queue_offsets: Vec::new(),
            buffer_total_size: 0,
            suggest_pulling_from_slave: false,
        }
    }
}

/// The result of an index query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryMessageResult {
    /// Matching records (hash matches; callers re-check the key).
    pub messages: Vec<Bytes>,
    /// End timestamp of the newest index file (`indexLastUpdateTimestamp`).
    pub index_last_update_timestamp: i64,
    /// End physical offset of the newest index file (`indexLastUpdatePhyoffset`).
    pub index_last_update_phyoffset: i64,
}
