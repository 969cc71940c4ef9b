//! The CommitLog: one append-only log of stored records for all topics
//! (STORAGE.md §3-4).
//!
//! Records are encoded outside the append lock; under it the store only
//! assigns the queue offset, the CommitLog offset and the store timestamp
//! (patched at fixed positions) and copies the bytes into the mapped file,
//! writing the 8-byte end-of-file blank and rolling to a new file when a
//! record does not fit.
//!
//! Two ways of writing ([`WriteMode`]): ASYNC_FLUSH copies into the mapping
//! (cheapest per record) and the allocator faults the pages ahead of the
//! writer in; SYNC_FLUSH stages records in memory and the group commit
//! writes each group with one `pwrite` ([`CommitLog::write_staged`]), while
//! the allocator writes zeros ahead of the writer (and syncs them), so a
//! group commit's flush writes only the blocks of its records: no large
//! dirty folios, no unwritten extents to convert, no writable mapping to
//! clean, and no system call per record on the appending threads.

use crate::mapped_file::{MappedFile, OS_PAGE_SIZE};
use crate::mapped_queue::MappedFileQueue;
use crate::{PutStatus, StoreError};
use bytes::Bytes;
use parking_lot::Mutex;
use protocol::message::record::{
    check_record, patch_stored_record, RecordCheck, BLANK_MAGIC, END_FILE_MIN_BLANK_LENGTH,
};
use protocol::message::sysflag::{
    transaction_value, TRANSACTION_PREPARED_TYPE, TRANSACTION_ROLLBACK_TYPE,
};
use protocol::message::MessageError;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Bytes faulted in ahead of the writer (capped at the file size).
const PREFAULT_AHEAD: u64 = 32 * 1024 * 1024;
/// Bytes faulted in per madvise call.
const PREFAULT_CHUNK: usize = 2 * 1024 * 1024;

/// Records of one put, encoded back to back, all for one topic and queue.
/// Reused from put to put (see `store.rs`), so its buffers keep their
/// capacity: call [`EncodedBatch::clear`] before filling it.
#[derive(Debug, Default)]
pub(crate) struct EncodedBatch {
    /// The encoded records.
    pub(crate) buf: Vec<u8>,
    /// Length of each record in `buf`.
    pub(crate) lens: Vec<usize>,
    /// Transaction type bits of each record.
    pub(crate) tx_types: Vec<i32>,
    /// CommitLog offset of each record, filled by the append.
    pub(crate) offsets: Vec<i64>,
}

impl EncodedBatch {
    /// Empties the batch, keeping its capacity.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.lens.clear();
        self.tx_types.clear();
        self.offsets.clear();
    }
}

/// Where the records of one put landed (each record's offset is in the
/// batch's `offsets`).
#[derive(Debug, Clone)]
pub(crate) struct Appended {
    /// CommitLog offset of the first record.
    pub(crate) first_offset: i64,
    /// Queue offset of the first record.
    pub(crate) first_queue_offset: i64,
    /// Bytes of the records (no blanks).
    pub(crate) wrote_bytes: i64,
    /// CommitLog offset just past the last record.
    pub(crate) end_offset: u64,
    /// Store timestamp given to the records.
    pub(crate) store_timestamp: i64,
}

/// How records reach the CommitLog files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMode {
    /// Stores into the memory mapping (ASYNC_FLUSH).
    Mapped,
    /// Records staged in memory, then written with one `pwrite` per group
    /// commit; zeros written ahead (SYNC_FLUSH).
    Positioned,
}

/// Positioned writes: past this many staged bytes (the group commit is
/// stalled, say on a hanging disk) the appender writes the run itself, so
/// memory stays bounded and appenders slow down with the disk, as they do
/// when they write into the page cache.
const MAX_STAGED_BYTES: usize = 16 * 1024 * 1024;

/// Positioned writes: records appended but not yet written to their file.
///
/// Appenders copy records here under the append lock (no system call); the
/// group commit takes the run and writes it with one `pwrite` just before
/// it syncs, and only then publishes the file's new write position, so
/// readers and dispatch never see a staged record. Invariant: the run
/// continues its file's data without a gap: `pos` is the file's write
/// position once every run taken earlier is written.
#[derive(Debug, Default)]
struct Staging {
    /// File of the run; None when nothing was staged since the last roll
    /// (the next record goes to its file's write position).
    file: Option<Arc<MappedFile>>,
    /// File position of `run[0]`.
    pos: usize,
    /// Whole records (and the end-of-file blank).
    run: Vec<u8>,
    /// Offsets in `run` of the records that cross a page boundary, whose
    /// TOTALSIZE is written last (see [`MappedFile::write_run`]).
    commits: Vec<usize>,
    /// The buffers of the run being written, kept for reuse.
    spare: (Vec<u8>, Vec<usize>),
}

/// State guarded by the append lock.
#[derive(Debug, Default)]
pub(crate) struct AppendState {
    /// `topic -> [next queue offset per queue id]` (RocketMQ's topicQueueTable).
    pub(crate) queue_offsets: HashMap<String, Vec<i64>>,
    current: Option<Arc<MappedFile>>,
}

/// The shared log.
#[derive(Debug)]
pub(crate) struct CommitLog {
    files: MappedFileQueue,
    state: Mutex<AppendState>,
    /// The next file, created ahead of time by the allocator thread.
    standby: Mutex<Option<Arc<MappedFile>>>,
    /// Global offset up to which pages are faulted in (or, positioned,
    /// zeroed) ahead of the writer.
    prefaulted_to: std::sync::atomic::AtomicU64,
    mode: WriteMode,
    /// Positioned writes: global offset below which the allocator never
    /// writes zeros again. Invariant: every record write ends at or below
    /// it (a writer that would pass it raises it first), and the allocator
    /// zeroes only above it, both under this lock.
    zero_limit: Mutex<u64>,
    /// Lock-free copy of `zero_limit` for the writer's check.
    zero_limit_hint: std::sync::atomic::AtomicU64,
    last_store_timestamp: AtomicI64,
    lock_begin_ms: AtomicI64,
    /// Positioned writes: the staged run.
    staging: Mutex<Staging>,
    /// Positioned writes: held while a run is written and published, so
    /// runs reach the file one at a time and in order. Taken before
    /// `staging`, never the other way round.
    run_writer: Mutex<()>,
}

/// Result of reading one record position during recovery or dispatch.
pub(crate) enum Scan<'a> {
    /// A valid record of `size` bytes.
    Record(protocol::message::RecordInfo<'a>),
    /// Blank marker: continue at the next file.
    Blank,
    /// Invalid data or end of written data.
    End(Option<MessageError>),
}

impl CommitLog {
    /// Loads the CommitLog files of `dir`, to be written in `mode`.
    pub(crate) fn load(
        dir: &Path,
        file_size: u64,
        mode: WriteMode,
    ) -> Result<CommitLog, StoreError> {
        Ok(CommitLog {
            files: MappedFileQueue::load(dir, file_size)?,
            state: Mutex::new(AppendState::default()),
            standby: Mutex::new(None),
            prefaulted_to: std::sync::atomic::AtomicU64::new(0),
            mode,
            zero_limit: Mutex::new(0),
            zero_limit_hint: std::sync::atomic::AtomicU64::new(0),
            last_store_timestamp: AtomicI64::new(0),
            lock_begin_ms: AtomicI64::new(0),
            staging: Mutex::new(Staging::default()),
            run_writer: Mutex::new(()),
        })
    }

    /// The file queue.
    pub(crate) fn files(&self) -> &MappedFileQueue {
        &self.files
    }

    /// The append state (queue offset table), for recovery and topic deletion.
    pub(crate) fn state(&self) -> parking_lot::MutexGuard<'_, AppendState> {
        self.state.lock()
    }

    /// End of the written data.
    pub(crate) fn max_offset(&self) -> u64 {
        self.files.max_offset()
    }

    /// First offset still stored.
    pub(crate) fn min_offset(&self) -> u64 {
        self.files.min_offset()
    }

    /// Store timestamp of the last appended record.
    pub(crate) fn last_store_timestamp(&self) -> i64 {
        self.last_store_timestamp.load(Ordering::Acquire)
    }

    /// Milliseconds the current append has held the lock (0 if none).
    pub(crate) fn lock_held_ms(&self, now_ms: i64) -> i64 {
        match self.lock_begin_ms.load(Ordering::Acquire) {
            0 => 0,
            b => (now_ms - b).max(0),
        }
    }

    /// Whether an append has held the lock for more than `busy_ms`; reads
    /// the clock only while an append holds it.
    pub(crate) fn lock_held_longer_than(&self, busy_ms: i64, now_ms: impl Fn() -> i64) -> bool {
        match self.lock_begin_ms.load(Ordering::Acquire) {
            0 => false,
            b => now_ms() - b > busy_ms,
        }
    }

    /// Appends the records of `batch` for `topic`/`queue_id`: consecutive
    /// queue offsets (PREPARED/ROLLBACK records get 0 and do not advance).
    pub(crate) fn append(
        &self,
        topic: &str,
        queue_id: usize,
        batch: &mut EncodedBatch,
        now_ms: impl Fn() -> i64,
    ) -> Result<Appended, PutStatus> {
        let file_size = self.files.file_size() as usize;
        if batch
            .lens
            .iter()
            .any(|&l| l + END_FILE_MIN_BLANK_LENGTH > file_size)
        {
            return Err(PutStatus::MessageIllegal);
        }
        let mut st = self.state.lock();
        let now = now_ms();
        self.lock_begin_ms.store(now.max(1), Ordering::Release);
        let res = self.append_locked(&mut st, topic, queue_id, batch, now);
        self.lock_begin_ms.store(0, Ordering::Release);
        if res.is_ok() {
            self.last_store_timestamp.store(now, Ordering::Release);
        }
        res
    }

    fn append_locked(
        &self,
        st: &mut AppendState,
        topic: &str,
        queue_id: usize,
        batch: &mut EncodedBatch,
        now: i64,
    ) -> Result<Appended, PutStatus> {
        let mut next_qoff = match st.queue_offsets.get(topic) {
            Some(v) => v.get(queue_id).copied().unwrap_or(0),
            None => 0,
        };
        let first_queue_offset = next_qoff;
        batch.offsets.clear();
        let mut pos_in_buf = 0;
        let mut wrote_bytes = 0i64;
        let mut end_offset = 0;
        for (i, &len) in batch.lens.iter().enumerate() {
            let mut file = self.writable_file(st, len)?;
            let mut wrote = self.next_write_pos(&file);
            if wrote + len + END_FILE_MIN_BLANK_LENGTH > file.size() {
                // Blank marker over the tail, then roll to the next file.
                let tail = file.size() - wrote;
                let mut blank = [0u8; END_FILE_MIN_BLANK_LENGTH];
                blank[..4].copy_from_slice(&(tail as i32).to_be_bytes());
                blank[4..].copy_from_slice(&BLANK_MAGIC.to_be_bytes());
                if !self.write_at(&file, wrote, &blank) {
                    return Err(PutStatus::UnknownError);
                }
                if self.mode == WriteMode::Positioned {
                    // The file is complete: write its last run now.
                    if let Err(e) = self.write_staged() {
                        tracing::error!(error = %e, path = %file.path().display(), "CommitLog write failed");
                        return Err(PutStatus::UnknownError);
                    }
                    self.staging.lock().file = None;
                }
                file.set_written_to_end();
                file = self.writable_file(st, len)?;
                wrote = self.next_write_pos(&file);
            }
            let phy = file.start() + wrote as u64;
            let rec = &mut batch.buf[pos_in_buf..pos_in_buf + len];
            let tx = batch.tx_types[i];
            let advances = tx != TRANSACTION_PREPARED_TYPE && tx != TRANSACTION_ROLLBACK_TYPE;
            let qoff = if advances { next_qoff } else { 0 };
            // TOTALSIZE goes last: a copy cut short by a crash stays invalid.
            if patch_stored_record(rec, qoff, phy as i64, now).is_err()
                || !self.write_at(&file, wrote, rec)
            {
                return Err(PutStatus::UnknownError);
            }
            if advances {
                next_qoff += 1;
            }
            batch.offsets.push(phy as i64);
            wrote_bytes += len as i64;
            end_offset = phy + len as u64;
            pos_in_buf += len;
        }
        if next_qoff != first_queue_offset {
            let v = match st.queue_offsets.get_mut(topic) {
                Some(v) => v,
                None => st.queue_offsets.entry(topic.to_string()).or_default(),
            };
            if v.len() <= queue_id {
                v.resize(queue_id + 1, 0);
            }
            v[queue_id] = next_qoff;
        }
        Ok(Appended {
            first_offset: batch.offsets.first().copied().unwrap_or(0),
            first_queue_offset,
            wrote_bytes,
            end_offset,
            store_timestamp: now,
        })
    }

    /// Writes (mapped) or stages (positioned) a record or blank at the
    /// write position `pos` of `file`, its TOTALSIZE (first 4 bytes) last;
    /// false if it failed.
    fn write_at(&self, file: &Arc<MappedFile>, pos: usize, data: &[u8]) -> bool {
        match self.mode {
            WriteMode::Mapped => file.append_committed(pos, data, 0..4),
            WriteMode::Positioned => {
                self.claim_for_write(file.start() + (pos + data.len()) as u64);
                self.stage(file, pos, data)
            }
        }
    }

    /// Where the next record of `file` goes: after the staged run, else at
    /// the file's write position.
    fn next_write_pos(&self, file: &MappedFile) -> usize {
        if self.mode == WriteMode::Positioned {
            let s = self.staging.lock();
            if let Some(f) = &s.file {
                if f.start() == file.start() {
                    return s.pos + s.run.len();
                }
            }
        }
        file.wrote_position()
    }

    /// Appends `data` (a record or blank for file position `pos`) to the
    /// staged run, and writes the run at once past [`MAX_STAGED_BYTES`];
    /// false if `pos` does not continue the run or that write failed.
    fn stage(&self, file: &Arc<MappedFile>, pos: usize, data: &[u8]) -> bool {
        if data.len() < 4 {
            return false;
        }
        let staged = {
            let mut guard = self.staging.lock();
            let s = &mut *guard;
            if !Self::extend_run(s, file, pos, data) {
                return false;
            }
            s.run.len()
        };
        if staged > MAX_STAGED_BYTES {
            // `run_writer` is taken before `staging`, so outside its guard.
            if let Err(e) = self.write_staged() {
                tracing::error!(error = %e, "CommitLog write failed");
                return false;
            }
        }
        true
    }

    /// [`CommitLog::stage`] under the staging lock.
    fn extend_run(s: &mut Staging, file: &Arc<MappedFile>, pos: usize, data: &[u8]) -> bool {
        match &s.file {
            Some(f) if f.start() == file.start() => {
                if s.pos + s.run.len() != pos {
                    return false;
                }
            }
            _ => {
                if !s.run.is_empty() {
                    return false;
                }
                s.file = Some(Arc::clone(file));
                s.pos = pos;
            }
        }
        if pos / OS_PAGE_SIZE != (pos + data.len() - 1) / OS_PAGE_SIZE {
            s.commits.push(s.run.len());
        }
        s.run.extend_from_slice(data);
        true
    }

    /// Whether records are staged and not yet written (positioned writes).
    pub(crate) fn has_staged(&self) -> bool {
        self.staged_bytes() > 0
    }

    /// Bytes staged and not yet written (positioned writes).
    fn staged_bytes(&self) -> usize {
        match self.mode {
            WriteMode::Positioned => self.staging.lock().run.len(),
            WriteMode::Mapped => 0,
        }
    }

    /// Positioned writes: writes the staged run to its file with one
    /// `pwrite` (two when records cross a page boundary, see
    /// [`MappedFile::write_run`]) and publishes the file's new write
    /// position. Appenders stage the next run meanwhile. A no-op for mapped
    /// writes or when nothing is staged. After an error the CommitLog
    /// cannot be written any more (the run is lost and the next one would
    /// leave a gap).
    pub(crate) fn write_staged(&self) -> std::io::Result<()> {
        if self.mode != WriteMode::Positioned {
            return Ok(());
        }
        let _writer = self.run_writer.lock();
        let (file, pos, mut run, mut commits) = {
            let mut guard = self.staging.lock();
            let s = &mut *guard;
            let Some(file) = s.file.clone().filter(|_| !s.run.is_empty()) else {
                return Ok(());
            };
            let (spare_run, spare_commits) = std::mem::take(&mut s.spare);
            let run = std::mem::replace(&mut s.run, spare_run);
            let commits = std::mem::replace(&mut s.commits, spare_commits);
            let pos = s.pos;
            s.pos += run.len();
            (file, pos, run, commits)
        };
        let res = file.write_run(pos, &mut run, &commits);
        if run.capacity() > 2 * MAX_STAGED_BYTES {
            // After a stalled disk: do not keep the memory.
            run = Vec::new();
        }
        run.clear();
        commits.clear();
        self.staging.lock().spare = (run, commits);
        match res {
            Ok(true) => Ok(()),
            Ok(false) => Err(std::io::Error::other(format!(
                "staged run at {} does not continue {}",
                pos,
                file.path().display()
            ))),
            Err(e) => Err(e),
        }
    }

    /// Positioned writes: makes sure the allocator will not write zeros
    /// below `end` (waits if it is zeroing that range right now).
    fn claim_for_write(&self, end: u64) {
        if end <= self.zero_limit_hint.load(Ordering::Acquire) {
            return;
        }
        let mut limit = self.zero_limit.lock();
        if *limit < end {
            *limit = end;
            self.zero_limit_hint.store(end, Ordering::Release);
        }
    }

    /// Positioned writes: writes zeros over `[pos, end)` of `f` (file
    /// positions), or the part of it above the zero limit and the written
    /// data, then syncs them. Returns the global offset zeroed to.
    fn zero_ahead(&self, f: &MappedFile, pos: usize, end: usize) -> std::io::Result<u64> {
        let end_global = f.start() + end as u64;
        {
            let mut limit = self.zero_limit.lock();
            // Everything written so far ends below max(limit, max_offset):
            // data recovered at start-up below max_offset, later writes
            // below the limit they raised.
            let from = (*limit)
                .max(self.files.max_offset())
                .max(f.start() + pos as u64);
            if from >= end_global {
                return Ok(end_global);
            }
            f.write_zeros((from - f.start()) as usize, (end_global - from) as usize)?;
            *limit = end_global;
            self.zero_limit_hint.store(end_global, Ordering::Release);
        }
        // Outside the lock: the writer may already write into the range.
        f.sync_data()?;
        Ok(end_global)
    }

    /// The file to write the next record into, creating the first or next
    /// file when needed.
    fn writable_file(
        &self,
        st: &mut AppendState,
        _len: usize,
    ) -> Result<Arc<MappedFile>, PutStatus> {
        if let Some(f) = &st.current {
            if !f.is_full() {
                return Ok(Arc::clone(f));
            }
        }
        let last = self.files.last();
        let start = match &last {
            Some(l) if !l.is_full() => {
                st.current = Some(Arc::clone(l));
                return Ok(Arc::clone(l));
            }
            Some(l) => l.start() + self.files.file_size(),
            None => self.files.max_offset(),
        };
        // The standby lock also serializes file creation with the allocator.
        let mut standby = self.standby.lock();
        if let Some(f) = standby.take() {
            if f.start() == start && self.files.push_file(Arc::clone(&f)) {
                st.current = Some(Arc::clone(&f));
                return Ok(f);
            }
            f.destroy();
        }
        match self.files.create_file(start) {
            Ok(f) => {
                st.current = Some(Arc::clone(&f));
                Ok(f)
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot create CommitLog file");
                Err(PutStatus::CreateMappedFileFailed)
            }
        }
    }

    /// How far ahead of the write position the allocator faults pages in.
    fn prefault_ahead(&self) -> u64 {
        self.files.file_size().min(PREFAULT_AHEAD)
    }

    /// Whether the allocator should run for a writer now at `end`.
    pub(crate) fn needs_allocation(&self, end: u64) -> bool {
        end + self.prefault_ahead() / 2 > self.prefaulted_to.load(Ordering::Acquire)
    }

    /// Allocator work: create the next file ahead of time and fault in the
    /// pages ahead of the write position, or under positioned writes write
    /// and sync zeros there (outside the append lock).
    pub(crate) fn allocate_ahead(&self) {
        let Some(last) = self.files.last() else {
            return;
        };
        let size = self.files.file_size();
        let next_start = last.start() + size;
        let wrote = last.start() + last.wrote_position() as u64;
        let target = wrote + self.prefault_ahead();
        if target > next_start {
            let mut standby = self.standby.lock();
            let missing = standby.as_ref().map(|f| f.start()) != Some(next_start);
            if missing && self.files.find(next_start).is_none() {
                if let Some(old) = standby.take() {
                    old.destroy();
                }
                let path = self.files.path_for(next_start);
                match MappedFile::create(&path, next_start, size as usize) {
                    Ok(f) => *standby = Some(Arc::new(f)),
                    Err(e) => tracing::warn!(error = %e, "cannot pre-create CommitLog file"),
                }
            }
        }
        let mut p = self.prefaulted_to.load(Ordering::Acquire).max(wrote);
        while p < target {
            let f = if p < next_start {
                Some(Arc::clone(&last))
            } else {
                self.standby
                    .lock()
                    .clone()
                    .filter(|f| f.start() == next_start)
                    .or_else(|| self.files.find(p))
            };
            let Some(f) = f else { break };
            let pos = (p - f.start()) as usize;
            let end = (target - f.start()).min(f.size() as u64) as usize;
            let chunk_end = (pos + PREFAULT_CHUNK).min(end);
            let done = match self.mode {
                WriteMode::Mapped => f.prefault(pos, chunk_end - pos),
                WriteMode::Positioned => self.zero_ahead(&f, pos, chunk_end).map(|_| ()),
            };
            if let Err(e) = done {
                tracing::debug!(error = %e, mode = ?self.mode, "cannot prepare pages ahead of the writer");
                self.prefaulted_to.store(u64::MAX / 2, Ordering::Release);
                return;
            }
            p = f.start() + chunk_end as u64;
            self.prefaulted_to.store(p, Ordering::Release);
        }
    }

    /// Deletes the pre-created next file (shutdown), so only written files
    /// stay on disk.
    pub(crate) fn drop_standby(&self) {
        if let Some(f) = self.standby.lock().take() {
            f.destroy();
        }
    }

    /// One whole record at `offset` as a zero-copy `Bytes` (None if the
    /// offset is not the start of a readable record).
    pub(crate) fn read_record(&self, offset: i64) -> Option<Bytes> {
        let off = u64::try_from(offset).ok()?;
        let f = self.files.find(off)?;
        let pos = (off - f.start()) as usize;
        let size_bytes = f.slice(pos, 4)?;
        let size = i32::from_be_bytes([size_bytes[0], size_bytes[1], size_bytes[2], size_bytes[3]]);
        let size = usize::try_from(size).ok().filter(|&s| s >= 8)?;
        let magic = f.slice(pos + 4, 4)?;
        if i32::from_be_bytes([magic[0], magic[1], magic[2], magic[3]]) == BLANK_MAGIC {
            return None;
        }
        f.bytes(pos, size)
    }

    /// `size` bytes at `offset` as a zero-copy `Bytes`, with the file they
    /// came from (so consecutive reads can reuse it).
    pub(crate) fn read_at(
        &self,
        offset: i64,
        size: i32,
        hint: &mut Option<Arc<MappedFile>>,
    ) -> Option<Bytes> {
        let off = u64::try_from(offset).ok()?;
        let size = usize::try_from(size).ok()?;
        let f = match hint {
            Some(f) if off >= f.start() && off < f.start() + f.size() as u64 => Arc::clone(f),
            _ => {
                let f = self.files.find(off)?;
                *hint = Some(Arc::clone(&f));
                f
            }
        };
        f.bytes((off - f.start()) as usize, size)
    }

    /// Reads 8 bytes at `offset + rel` (e.g. a record's store timestamp).
    pub(crate) fn read_i64(&self, offset: i64, rel: usize) -> Option<i64> {
        let off = u64::try_from(offset).ok()?;
        let f = self.files.find(off)?;
        let b = f.slice((off - f.start()) as usize + rel, 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(i64::from_be_bytes(a))
    }

    /// Reads 4 bytes at `offset + rel`.
    pub(crate) fn read_i32(&self, offset: i64, rel: usize) -> Option<i32> {
        let off = u64::try_from(offset).ok()?;
        let f = self.files.find(off)?;
        let b = f.slice((off - f.start()) as usize + rel, 4)?;
        Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Examines the bytes at `pos` of `file`: within the published data when
    /// `published`, else anywhere in the file (recovery).
    pub(crate) fn scan<'a>(
        file: &'a MappedFile,
        pos: usize,
        check_crc: bool,
        published: bool,
    ) -> Scan<'a> {
        let end = if published {
            file.wrote_position()
        } else {
            file.size()
        };
        if pos >= end {
            return Scan::End(None);
        }
        let Some(buf) = file.raw_slice(pos, end - pos) else {
            return Scan::End(None);
        };
        match check_record(buf, check_crc) {
            Ok(RecordCheck::Message(info)) => Scan::Record(info),
            Ok(RecordCheck::Blank { size }) if pos + size == file.size() => Scan::Blank,
            Ok(RecordCheck::Blank { size }) => Scan::End(Some(MessageError::BadLength(format!(
                "blank of {size} bytes at {pos} does not reach the end of the file"
            )))),
            Err(e) => Scan::End(Some(e)),
        }
    }
}

/// The transaction type of a record's sysFlag.
pub(crate) fn tx_type(sys_flag: i32) -> i32 {
    transaction_value(sys_flag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::record::{encode_stored_record, StoredRecord};

    /// A batch of `n` encoded records with `body_len`-byte bodies.
    fn batch(n: usize, body_len: usize) -> EncodedBatch {
        let host = "127.0.0.1:10911".parse().expect("address");
        let body = vec![b'b'; body_len];
        let mut b = EncodedBatch::default();
        for _ in 0..n {
            let rec = StoredRecord {
                topic: "T",
                queue_id: 0,
                flag: 0,
                body: &body,
                properties: "",
                sys_flag: 0,
                born_timestamp: 1,
                born_host: host,
                store_timestamp: 0,
                store_host: host,
                reconsume_times: 0,
                prepared_transaction_offset: 0,
                queue_offset: 0,
                commit_log_offset: 0,
            };
            let len = encode_stored_record(&rec, &mut b.buf).expect("encode");
            b.lens.push(len);
            b.tx_types.push(0);
        }
        b
    }

    #[test]
    fn staged_records_are_invisible_until_written_and_bounded_without_a_flusher() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file_size = 64 * 1024 * 1024;
        let cl = CommitLog::load(dir.path(), file_size, WriteMode::Positioned).expect("load");
        let mut b = batch(10, 1000);
        let first = cl.append("T", 0, &mut b, || 1).expect("append");
        // Staged: readers and dispatch do not see it yet.
        assert_eq!(cl.max_offset(), 0);
        assert!(cl.read_record(first.first_offset).is_none());
        assert!(cl.has_staged());
        cl.write_staged().expect("write");
        assert!(!cl.has_staged());
        assert_eq!(cl.max_offset(), first.end_offset);
        let rec = cl.read_record(first.first_offset).expect("record written");
        assert_eq!(rec.len(), b.lens[0]);
        // Nobody writes the runs (a stalled group commit): appenders write
        // them themselves past MAX_STAGED_BYTES, so staging stays bounded.
        let mut appended = first.end_offset;
        while appended < 3 * MAX_STAGED_BYTES as u64 {
            let mut b = batch(100, 1000);
            appended = cl.append("T", 0, &mut b, || 2).expect("append").end_offset;
            assert!(cl.staged_bytes() <= MAX_STAGED_BYTES);
        }
        assert!(cl.max_offset() >= 2 * MAX_STAGED_BYTES as u64);
        cl.write_staged().expect("write");
        assert_eq!(cl.max_offset(), appended);
    }
}
