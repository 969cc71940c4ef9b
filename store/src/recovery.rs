//! Recovery at open (STORAGE.md §8.3).
//!
//! 1. Each consume queue is cut after its last valid entry.
//! 2. The CommitLog is walked from a safe point, validating every record
//!    (magic, lengths, body CRC when `checkCRCOnRecover`, and that the
//!    record's PHYSICALOFFSET is its own position); the walk's end is the
//!    truncate offset, past which the log is cut and zeroed. After a clean
//!    shutdown the walk starts at the third-last file; after a crash (abort
//!    file present) at the newest file whose first record is older than the
//!    checkpoint's safe time.
//! 3. Consume queue and index entries pointing past the truncate offset are
//!    dropped; then every record not yet in the queues is re-dispatched
//!    (idempotently), so deleting `consumequeue/` rebuilds it.
//! 4. The queue-offset table is rebuilt from the queues' max offsets.

use crate::commit_log::{CommitLog, Scan};
use crate::mapped_file::MappedFile;
use crate::store::Inner;
use crate::StoreError;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Whether the first record of `file` is valid and stored at or before `ts`.
fn first_record_before(file: &MappedFile, ts: i64) -> bool {
    match CommitLog::scan(file, 0, false, false) {
        Scan::Record(info) => info.store_timestamp != 0 && info.store_timestamp <= ts,
        _ => false,
    }
}

/// Walks records from the start of `files[start]`; returns the offset just
/// past the last valid record.
fn walk(files: &[Arc<MappedFile>], start: usize, check_crc: bool) -> u64 {
    let Some(first) = files.get(start) else {
        return 0;
    };
    let mut end = first.start();
    for f in &files[start..] {
        if f.start() != end {
            break; // a hole in the file sequence: stop at the last good byte
        }
        let mut pos = 0usize;
        loop {
            match CommitLog::scan(f, pos, check_crc, false) {
                Scan::Record(info) => {
                    if info.commit_log_offset != (f.start() + pos as u64) as i64 {
                        tracing::warn!(
                            offset = f.start() + pos as u64,
                            "record offset mismatch; truncating"
                        );
                        return f.start() + pos as u64;
                    }
                    pos += info.total_size;
                }
                Scan::Blank => {
                    end = f.start() + f.size() as u64;
                    break;
                }
                Scan::End(err) => {
                    if let Some(e) = err {
                        let at = f.start() + pos as u64;
                        // Zero bytes past the data are the normal end.
                        let zero = f
                            .raw_slice(pos, 8)
                            .is_some_and(|b| b.iter().all(|&x| x == 0));
                        if !zero {
                            tracing::warn!(offset = at, error = %e, "invalid record; truncating the CommitLog here");
                        }
                    }
                    return f.start() + pos as u64;
                }
            }
        }
    }
    end
}

/// Runs recovery on a freshly loaded store.
pub(crate) fn recover(inner: &Inner, abnormal: bool) -> Result<(), StoreError> {
    let queues = inner.queues.all();
    for q in &queues {
        q.recover();
    }
    let cl = &inner.commit_log;
    let files = cl.files().files();
    if files.is_empty() {
        if !queues.is_empty() {
            tracing::warn!("no CommitLog files: destroying all consume queues");
            inner.queues.clear();
        }
        if let Some(index) = &inner.index {
            index.truncate_dirty(0);
        }
        return Ok(());
    }
    let start = if abnormal {
        let safe = inner
            .checkpoint
            .min_timestamp(inner.config.message_index_safe);
        files
            .iter()
            .rposition(|f| first_record_before(f, safe))
            .unwrap_or(0)
    } else {
        files.len().saturating_sub(3)
    };
    let truncate = walk(&files, start, inner.config.check_crc_on_recover);
    if truncate < cl.max_offset() {
        tracing::info!(truncate, abnormal, "truncating CommitLog");
    }
    cl.files().truncate_to(truncate);
    if let Some(last) = cl.files().last() {
        let _ = last.flush_all();
    }
    for q in &queues {
        q.truncate_dirty(truncate as i64);
    }
    let mut reput = queues
        .iter()
        .map(|q| q.max_phy_end())
        .max()
        .unwrap_or(0)
        .max(0) as u64;
    if abnormal {
        reput = reput.min(files[start].start());
    }
    if let Some(index) = &inner.index {
        if let Some(from) = index.truncate_dirty(truncate as i64) {
            reput = reput.min(from.max(0) as u64);
        }
    }
    let min = cl.min_offset();
    reput = reput.clamp(min, truncate.max(min));
    inner.dispatch.lock().reput_from = reput;
    crate::dispatch::dispatch_until(inner, cl.max_offset());
    let mut st = cl.state();
    for q in inner.queues.all() {
        q.correct_min_offset(min as i64);
        let v = st.queue_offsets.entry(q.topic().to_string()).or_default();
        let qid = q.queue_id().max(0) as usize;
        if v.len() <= qid {
            v.resize(qid + 1, 0);
        }
        v[qid] = q.max_offset();
    }
    drop(st);
    let last_ts = inner.last_dispatched_ts.load(Ordering::Acquire);
    crate::checkpoint::Checkpoint::advance(&inner.checkpoint.physic_msg_timestamp, last_ts);
    Ok(())
}
