//! [`MessageStore`]: opening (lock, recovery, abort file), the put path, the
//! service threads and shutdown. Reads are in `read.rs`.

use crate::checkpoint::Checkpoint;
use crate::clock::{Environment, SystemEnvironment};
use crate::commit_log::{CommitLog, EncodedBatch, WriteMode};
use crate::config::{BrokerRole, FlushDiskType, StoreConfig};
use crate::flush::FlushRequest;
use crate::index::IndexService;
use crate::mapped_file::sys;
use crate::queue_table::QueueTable;
use crate::stats::Stats;
use crate::wakeup::Wakeup;
use crate::{MessageToStore, PutFuture, PutResult, PutStatus, StoreError};
use parking_lot::{Mutex, RwLock};
use protocol::message::create_offset_msg_id;
use protocol::message::properties::{find_property, WAIT};
use protocol::message::record::{encode_stored_record, StoredRecord};
use protocol::message::sysflag::transaction_value;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Called after a message becomes visible in a queue (after dispatch, which
/// under SYNC_FLUSH may run while the message is being flushed) with
/// (topic, queue id, new max offset). It runs on the store's dispatch path:
/// keep it short and non-blocking.
pub type ArrivalListener = Arc<dyn Fn(&str, i32, i64) + Send + Sync>;

/// Shared state of the store and its service threads.
pub(crate) struct Inner {
    pub(crate) config: StoreConfig,
    pub(crate) env: Arc<dyn Environment>,
    pub(crate) commit_log: CommitLog,
    pub(crate) queues: QueueTable,
    pub(crate) index: Option<IndexService>,
    pub(crate) checkpoint: Checkpoint,
    pub(crate) dispatch: Mutex<crate::dispatch::DispatchState>,
    pub(crate) dispatched_to: AtomicU64,
    pub(crate) last_dispatched_ts: AtomicI64,
    pub(crate) flush_requests: Mutex<Vec<FlushRequest>>,
    pub(crate) flusher_wake: Wakeup,
    pub(crate) dispatcher_wake: Wakeup,
    pub(crate) logic_flusher_wake: Wakeup,
    pub(crate) cleaner_wake: Wakeup,
    pub(crate) watcher_wake: Wakeup,
    pub(crate) allocator_wake: Wakeup,
    pub(crate) shutdown: AtomicBool,
    pub(crate) fault: AtomicBool,
    pub(crate) disk_full: AtomicBool,
    pub(crate) listener: RwLock<Option<ArrivalListener>>,
    pub(crate) stats: Stats,
    pub(crate) delay_levels: Vec<i64>,
    pub(crate) memory_window: i64,
    pub(crate) start_time: i64,
    pub(crate) root: PathBuf,
    _lock: File,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStore")
            .field("root", &self.root)
            .finish()
    }
}

/// The storage engine: CommitLog, consume queues, index, flush, recovery and
/// retention. Create with [`MessageStore::open`]; all methods take `&self`.
#[derive(Debug)]
pub struct MessageStore {
    pub(crate) inner: Arc<Inner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl MessageStore {
    /// Opens the store at `config.store_path_root_dir`: takes the lock file,
    /// recovers (normal or after a crash, depending on the abort file),
    /// creates the abort file and starts the flush, dispatch and clean
    /// threads.
    pub fn open(config: StoreConfig) -> Result<Arc<MessageStore>, StoreError> {
        Self::open_with_env(config, Arc::new(SystemEnvironment))
    }

    /// [`MessageStore::open`] with an injected clock and disk probe (tests).
    pub fn open_with_env(
        mut config: StoreConfig,
        env: Arc<dyn Environment>,
    ) -> Result<Arc<MessageStore>, StoreError> {
        let unit = crate::consume_queue::CQ_UNIT_SIZE;
        config.mapped_file_size_consume_queue =
            (config.mapped_file_size_consume_queue / unit).max(1) * unit;
        config.mapped_file_size_commit_log = config.mapped_file_size_commit_log.max(4096);
        let root = config.store_path_root_dir.clone();
        std::fs::create_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
        let lock_path = root.join("lock");
        let lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        if !sys::try_lock(&lock).map_err(|e| StoreError::io(&lock_path, e))? {
            return Err(StoreError::Locked(root));
        }
        let abort_path = root.join("abort");
        let abnormal = abort_path.exists();
        let write_mode = match config.flush_disk_type {
            FlushDiskType::Async => WriteMode::Mapped,
            FlushDiskType::Sync => WriteMode::Positioned,
        };
        let commit_log = CommitLog::load(
            &config.commit_log_dir(),
            config.mapped_file_size_commit_log,
            write_mode,
        )?;
        let queues = QueueTable::load(
            &config.consume_queue_dir(),
            config.mapped_file_size_consume_queue,
        )?;
        let index = if config.message_index_enable {
            Some(IndexService::load(
                &config.index_dir(),
                config.max_hash_slot_num as usize,
                config.max_index_num as usize,
            )?)
        } else {
            None
        };
        let checkpoint = Checkpoint::open(&root.join("checkpoint"))?;
        let memory_window = (sys::physical_memory() as i64 / 100)
            .saturating_mul(config.access_message_in_memory_max_ratio as i64);
        let inner = Arc::new(Inner {
            delay_levels: config.delay_levels_ms(),
            start_time: env.now_ms(),
            env,
            commit_log,
            queues,
            index,
            checkpoint,
            dispatch: Mutex::new(Default::default()),
            dispatched_to: AtomicU64::new(0),
            last_dispatched_ts: AtomicI64::new(0),
            flush_requests: Mutex::new(Vec::new()),
            flusher_wake: Wakeup::default(),
            dispatcher_wake: Wakeup::default(),
            logic_flusher_wake: Wakeup::default(),
            cleaner_wake: Wakeup::default(),
            watcher_wake: Wakeup::default(),
            allocator_wake: Wakeup::default(),
            shutdown: AtomicBool::new(false),
            fault: AtomicBool::new(false),
            disk_full: AtomicBool::new(false),
            listener: RwLock::new(None),
            stats: Stats::default(),
            memory_window: if memory_window > 0 {
                memory_window
            } else {
                i64::MAX
            },
            root: root.clone(),
            config,
            _lock: lock,
        });
        crate::recovery::recover(&inner, abnormal)?;
        File::create(&abort_path).map_err(|e| StoreError::io(&abort_path, e))?;
        inner.checkpoint.flush()?;
        tracing::info!(root = %root.display(), abnormal, max_offset = inner.commit_log.max_offset(), "message store opened");
        let store = Arc::new(MessageStore {
            inner,
            threads: Mutex::new(Vec::new()),
        });
        store.start_threads()?;
        Ok(store)
    }

    fn start_threads(&self) -> Result<(), StoreError> {
        let mut threads = self.threads.lock();
        let sync = self.inner.config.flush_disk_type == FlushDiskType::Sync;
        let mut spawn = |name: &str, f: fn(&Inner)| -> Result<(), StoreError> {
            let inner = Arc::clone(&self.inner);
            let h = std::thread::Builder::new()
                .name(name.to_string())
                .spawn(move || f(&inner))
                .map_err(|e| StoreError::io(PathBuf::from(name), e))?;
            threads.push(h);
            Ok(())
        };
        spawn("rmq-store-flush", crate::flush::commit_log_flusher)?;
        spawn("rmq-store-dispatch", crate::dispatch::dispatcher)?;
        spawn("rmq-store-flush-cq", crate::flush::logic_flusher)?;
        spawn("rmq-store-clean", crate::retention::cleaner)?;
        spawn("rmq-store-alloc", allocator)?;
        if sync {
            spawn("rmq-store-flush-watch", crate::flush::timeout_watcher)?;
        }
        Ok(())
    }

    /// Stops the threads, flushes everything, writes the checkpoint and
    /// removes the abort file. Idempotent; also run on drop.
    pub fn shutdown(&self) {
        let inner = &self.inner;
        if inner.shutdown.swap(true, Ordering::AcqRel) {
            return;
        }
        for w in [
            &inner.flusher_wake,
            &inner.dispatcher_wake,
            &inner.logic_flusher_wake,
            &inner.cleaner_wake,
            &inner.watcher_wake,
            &inner.allocator_wake,
        ] {
            w.wake();
        }
        for h in self.threads.lock().drain(..) {
            let _ = h.join();
        }
        let clean = crate::flush::final_flush(inner);
        inner.commit_log.drop_standby();
        // Waiters still pending were not confirmed: they get FlushDiskTimeout.
        crate::flush::complete_requests(inner, inner.commit_log.files().flushed_where(), true);
        if clean && !inner.fault.load(Ordering::Acquire) {
            let _ = std::fs::remove_file(inner.root.join("abort"));
        }
        tracing::info!(root = %inner.root.display(), "message store shut down");
    }

    /// The effective configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// Registers the listener called when messages become visible.
    pub fn set_arrival_listener(&self, listener: ArrivalListener) {
        *self.inner.listener.write() = Some(listener);
    }

    /// Appends one message. See [`MessageStore::put_messages`].
    pub fn put_message(&self, msg: &MessageToStore) -> PutFuture {
        self.put_messages(std::slice::from_ref(msg))
    }

    /// Appends messages of one topic and queue as consecutive records with
    /// consecutive queue offsets. Under ASYNC_FLUSH (or `WAIT=false`) the
    /// future is ready at once; under SYNC_FLUSH it completes when the group
    /// commit flushed the records (`Ok`) or after `syncFlushTimeout` or a
    /// failed flush (`FlushDiskTimeout`).
    pub fn put_messages(&self, msgs: &[MessageToStore]) -> PutFuture {
        let inner = &self.inner;
        let prev_ts = inner.commit_log.last_store_timestamp();
        let res = self.append(msgs);
        let (result, end) = match res {
            Ok(x) => x,
            Err(status) => {
                Stats::add(&inner.stats.put_message_failed_times, 1);
                return PutFuture::ready(PutResult::failed(status));
            }
        };
        if inner.commit_log.needs_allocation(end) {
            inner.allocator_wake.wake();
        }
        match inner.config.flush_disk_type {
            FlushDiskType::Async => {
                // The dispatcher polls every millisecond; wake it only for
                // the first append of a millisecond, so a busy store makes no
                // wake-up syscall per message and a quiet one has no delay.
                if prev_ts != result.store_timestamp {
                    inner.dispatcher_wake.wake();
                }
                PutFuture::ready(result)
            }
            FlushDiskType::Sync => {
                let wait = msgs
                    .first()
                    .and_then(|m| find_property(&m.properties, WAIT))
                    != Some("false");
                if !wait {
                    // Not acknowledged after a flush, so written (into the
                    // page cache) before it is acknowledged.
                    crate::flush::write_staged(inner);
                    inner.flusher_wake.wake();
                    return PutFuture::ready(result);
                }
                let (tx, rx) = futures::channel::oneshot::channel();
                let deadline =
                    Instant::now() + Duration::from_millis(inner.config.sync_flush_timeout);
                let waiting = {
                    let mut reqs = inner.flush_requests.lock();
                    reqs.push(FlushRequest { end, deadline, tx });
                    reqs.len()
                };
                // Wake the flusher for the first waiter only: a flusher
                // that is flushing looks for the next group when it is done.
                if waiting == 1 {
                    inner.flusher_wake.wake();
                }
                PutFuture::waiting(result, rx)
            }
        }
    }

    fn writable_status(&self) -> Option<PutStatus> {
        let inner = &self.inner;
        if inner.shutdown.load(Ordering::Acquire)
            || inner.fault.load(Ordering::Acquire)
            || inner.disk_full.load(Ordering::Acquire)
            || inner.config.broker_role == BrokerRole::Slave
        {
            return Some(PutStatus::ServiceNotAvailable);
        }
        None
    }

    fn append(&self, msgs: &[MessageToStore]) -> Result<(PutResult, u64), PutStatus> {
        let inner = &self.inner;
        if let Some(s) = self.writable_status() {
            return Err(s);
        }
        let first = msgs.first().ok_or(PutStatus::MessageIllegal)?;
        let cfg = &inner.config;
        let topic = first.topic.as_str();
        if topic.is_empty()
            || first.queue_id < 0
            || topic.len() > i16::MAX as usize
            || (topic.len() > 127 && !cfg.auto_message_version_on_topic_len)
        {
            return Err(PutStatus::MessageIllegal);
        }
        let mut batch = take_encode_buffer();
        let res = self.encode_and_append(msgs, &mut batch);
        give_back_encode_buffer(batch);
        res
    }

    /// Encodes `msgs` (checked by [`Self::append`]) into `batch` and appends it.
    fn encode_and_append(
        &self,
        msgs: &[MessageToStore],
        batch: &mut EncodedBatch,
    ) -> Result<(PutResult, u64), PutStatus> {
        let inner = &self.inner;
        let cfg = &inner.config;
        let first = msgs.first().ok_or(PutStatus::MessageIllegal)?;
        let topic = first.topic.as_str();
        let total: usize = msgs
            .iter()
            .map(|m| m.body.len() + m.properties.len() + topic.len() + 128)
            .sum();
        batch.buf.reserve(total);
        for m in msgs {
            if m.topic != first.topic || m.queue_id != first.queue_id {
                return Err(PutStatus::MessageIllegal);
            }
            if m.body.len() as u64 > cfg.max_message_size {
                return Err(PutStatus::MessageIllegal);
            }
            if m.properties.len() > i16::MAX as usize {
                return Err(PutStatus::PropertiesSizeExceeded);
            }
            let rec = StoredRecord {
                topic,
                queue_id: m.queue_id,
                flag: m.flag,
                body: &m.body,
                properties: &m.properties,
                sys_flag: m.sys_flag,
                born_timestamp: m.born_timestamp,
                born_host: m.born_host,
                store_timestamp: 0,
                store_host: m.store_host,
                reconsume_times: m.reconsume_times,
                prepared_transaction_offset: m.prepared_transaction_offset,
                queue_offset: 0,
                commit_log_offset: 0,
            };
            let len = encode_stored_record(&rec, &mut batch.buf)
                .map_err(|_| PutStatus::MessageIllegal)?;
            batch.lens.push(len);
            batch.tx_types.push(transaction_value(m.sys_flag));
        }
        let busy = cfg.os_page_cache_busy_time_out_mills as i64;
        if inner
            .commit_log
            .lock_held_longer_than(busy, || inner.env.now_ms())
        {
            return Err(PutStatus::OsPageCacheBusy);
        }
        let env = &inner.env;
        let appended = inner
            .commit_log
            .append(topic, first.queue_id as usize, batch, || env.now_ms())?;
        Stats::add(&inner.stats.put_message_times_total, msgs.len() as u64);
        Stats::add(
            &inner.stats.put_message_size_total,
            appended.wrote_bytes as u64,
        );
        let msg_id = if msgs.len() == 1 {
            create_offset_msg_id(first.store_host, appended.first_offset)
        } else {
            let mut ids = String::with_capacity(33 * msgs.len());
            for (m, off) in msgs.iter().zip(&batch.offsets) {
                if !ids.is_empty() {
                    ids.push(',');
                }
                ids.push_str(&create_offset_msg_id(m.store_host, *off));
            }
            ids
        };
        let result = PutResult {
            status: PutStatus::Ok,
            msg_id,
            queue_offset: appended.first_queue_offset,
            commit_log_offset: appended.first_offset,
            wrote_bytes: appended.wrote_bytes,
            msg_num: msgs.len() as i32,
            store_timestamp: appended.store_timestamp,
        };
        Ok((result, appended.end_offset))
    }

    /// Whether appends are currently accepted.
    pub fn is_writable(&self) -> bool {
        self.writable_status().is_none()
    }

    /// Deletes the consume queues of `topics` (their CommitLog records stay
    /// until retention) and forgets their queue offsets.
    pub fn delete_topics(&self, topics: &[&str]) {
        let mut st = self.inner.commit_log.state();
        self.inner.dispatch.lock().clear_cache();
        for t in topics {
            st.queue_offsets.remove(*t);
            self.inner.queues.remove_topic(t);
        }
    }

    /// Waits until everything appended so far is dispatched to the consume
    /// queues (under SYNC_FLUSH, dispatch does not wait for the flush). For
    /// tests and admin tools. Returns false on timeout.
    pub fn wait_for_dispatch(&self, timeout: Duration) -> bool {
        let target = self.inner.commit_log.max_offset();
        let deadline = Instant::now() + timeout;
        loop {
            if self.inner.dispatched_to.load(Ordering::Acquire) >= target {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.inner.flusher_wake.wake();
            self.inner.dispatcher_wake.wake();
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Runs one retention round now (what the cleaner thread does every
    /// `cleanResourceInterval`); `manual` forces time-based deletion
    /// regardless of `deleteWhen` (admin DELETE_EXPIRED_COMMITLOG). Returns
    /// the number of CommitLog files deleted.
    pub fn clean_expired_files(&self, manual: bool) -> usize {
        crate::retention::run_once(&self.inner, manual)
    }
}

/// Encode buffers above this size are not kept for the next put.
const KEEP_ENCODE_BUFFER: usize = 1024 * 1024;

thread_local! {
    /// This thread's encode buffer: puts are synchronous, so each thread
    /// needs one, and reusing it spares a large allocation per put.
    static ENCODE_BUFFER: std::cell::Cell<Option<EncodedBatch>> = const { std::cell::Cell::new(None) };
}

fn take_encode_buffer() -> EncodedBatch {
    let mut b = ENCODE_BUFFER.with(|c| c.take()).unwrap_or_default();
    b.clear();
    b
}

fn give_back_encode_buffer(b: EncodedBatch) {
    if b.buf.capacity() <= KEEP_ENCODE_BUFFER {
        ENCODE_BUFFER.with(|c| c.set(Some(b)));
    }
}

/// The allocator thread: pre-creates the next CommitLog file and faults in
/// pages ahead of the writer.
fn allocator(inner: &Inner) {
    inner.allocator_wake.register();
    while !inner.shutdown.load(Ordering::Acquire) {
        inner.commit_log.allocate_ahead();
        inner.allocator_wake.wait(Duration::from_millis(100));
    }
}

impl Drop for MessageStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}
