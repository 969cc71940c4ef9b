//! RocketMQ-compatible storage engine: CommitLog, ConsumeQueue, IndexFile,
//! flush, checkpoint and recovery, retention. No network code; on-disk
//! formats are RocketMQ's byte for byte (see `STORAGE.md`).
//!
//! # Using the store (what the broker calls)
//!
//! ```text
//! let mut config = StoreConfig::default();
//! config.set("flushDiskType", "SYNC_FLUSH")?;            // from broker.conf
//! let store: Arc<MessageStore> = MessageStore::open(config)?; // recovers, starts threads
//! store.set_arrival_listener(Arc::new(|topic, queue_id, max_offset| { /* wake long polls */ }));
//!
//! // Put: one message or a batch (same topic and queue). The future is ready
//! // at once under ASYNC_FLUSH; under SYNC_FLUSH it completes after the group
//! // commit. It is runtime-agnostic: `.await` it on tokio, never blocking.
//! let r: PutResult = store.put_message(&msg).await;       // r.status: PutStatus
//! let r: PutResult = store.put_messages(&batch).await;    // msg_id comma-joined
//!
//! // Pull: zero-copy records (`Bytes` slices of the mapped CommitLog).
//! let g: GetMessageResult = store.get_message(topic, qid, offset, 32, 4 << 20, Some(&|tag| codes.contains(&tag)));
//! store.max_offset_in_queue(topic, qid); store.min_offset_in_queue(topic, qid);
//! store.offset_by_time(topic, qid, ts); store.earliest_message_time(topic, qid);
//! store.store_time_of(topic, qid, offset);
//! store.look_message_by_offset(commit_log_offset);         // VIEW_MESSAGE_BY_ID
//! store.query_message(topic, key, max, begin, end);         // QUERY_MESSAGE
//! store.commit_log_max_offset(); store.commit_log_min_offset();
//! store.delete_topics(&["T"]); store.runtime_info(); store.clean_expired_files(true);
//! store.shutdown();                                          // also on drop
//! ```
//!
//! Expected outcomes are values ([`PutStatus`], [`GetMessageStatus`]);
//! [`StoreError`] is for real faults (I/O at open, a locked directory,
//! corrupt files). After a failed write or fsync, or with the disk above
//! `diskSpaceWarningLevelRatio`, appends return `ServiceNotAvailable` while
//! reads keep working; a failed fsync is never acknowledged as `Ok`.
//!
//! # Restart and crash recovery
//!
//! `MessageStore::open` recovers before it returns. Besides Java's three
//! timestamps, the `checkpoint` file (rewritten by the queue flusher about
//! once a second) records the CommitLog offset known flushed and the offset
//! below which every record's consume-queue and index entries were flushed.
//! A restart validates the CommitLog (CRC, positions) only from the first,
//! cuts a torn tail there, and re-dispatches records from the second: its
//! cost follows what was written since the last checkpoint, not the size of
//! the files (`kill -9` on a 1.3 GB CommitLog in 1 GiB files: about 0.1 s
//! after a load, 0.25 s in the middle of one, instead of 3 s). A checkpoint
//! without these offsets
//! (Java's, an older version's) or with offsets that are not record
//! boundaries of these files falls back to the timestamp rule of
//! STORAGE.md §8.3. Details in `recovery.rs` and `checkpoint.rs`.
//!
//! # Threads
//!
//! `rmq-store-flush` (CommitLog flush or SYNC_FLUSH group commit),
//! `rmq-store-dispatch` (CommitLog -> consume queues and index, arrival
//! listener), `rmq-store-flush-cq` (queues, index, checkpoint),
//! `rmq-store-clean` (retention), `rmq-store-alloc` (creates the next
//! CommitLog file and faults pages in ahead of the writer) and, under SYNC_FLUSH,
//! `rmq-store-flush-watch` (flush timeouts). All are joined by
//! [`MessageStore::shutdown`].
//!
//! Module map: [`config`] (settings), `mapped_file` (all `unsafe`),
//! `mapped_queue`, `commit_log`, `consume_queue`, `queue_table`, `index`,
//! `dispatch`, `flush`, `checkpoint`, `recovery`, `retention`, `store`
//! (open/put/shutdown), `read` (get/query).

mod checkpoint;
mod clock;
mod commit_log;
pub mod config;
mod consume_queue;
mod dispatch;
mod error;
mod flush;
mod index;
mod mapped_file;
mod mapped_queue;
mod queue_table;
mod read;
mod recovery;
mod retention;
mod stats;
mod store;
mod types;
mod wakeup;

pub use clock::{Environment, SystemEnvironment};
pub use config::{BrokerRole, FlushDiskType, StoreConfig};
pub use consume_queue::CQ_UNIT_SIZE;
pub use dispatch::SCHEDULE_TOPIC;
pub use error::StoreError;
pub use store::{ArrivalListener, MessageStore};
pub use types::{
    GetMessageResult, GetMessageStatus, MessageToStore, PutFuture, PutResult, PutStatus,
    QueryMessageResult,
};
