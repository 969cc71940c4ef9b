//! Recovery at open (STORAGE.md §8.3).
//!
//! 1. Each consume queue is cut after its last valid entry.
//! 2. The CommitLog is walked from a safe point, validating every record
//!    (magic, lengths, body CRC when `checkCRCOnRecover`, and that the
//!    record's PHYSICALOFFSET is its own position); the walk's end is the
//!    truncate offset, past which the log is cut and zeroed.
//!
//!    The safe point is the checkpoint's flushed CommitLog offset (see
//!    `checkpoint.rs`) when it checks out: it lies inside the files and is a
//!    record boundary (a record stored at that offset, an end-of-file blank,
//!    a file start), or else the newest consume-queue entry points at an
//!    intact record ending at or below it. Everything below it was flushed
//!    before the checkpoint was written, so a restart costs time in
//!    proportion to what was written since the last checkpoint (about a
//!    second), not to the size of the files. Without usable offsets (a Java
//!    or older checkpoint) the walk starts, after a clean shutdown, at the
//!    third-last file and, after a crash (abort file present), at the newest
//!    file whose first record is older than the checkpoint's safe time.
//! 3. Consume queue and index entries pointing past the truncate offset are
//!    dropped; then every record not yet in the queues is re-dispatched
//!    (idempotently), so deleting `consumequeue/` rebuilds it. Dispatch
//!    restarts at the lowest of the queues' newest entry end and the
//!    checkpoint's dispatched offset (every record below it had its queue
//!    and index entries flushed), or after a crash without that offset at
//!    the start of the file the timestamps point to.
//! 4. The queue-offset table is rebuilt from the queues' max offsets.
//! 5. After a crash, what was found at open may so far live only in the
//!    page cache: the CommitLog is marked unflushed from the safe point and
//!    the queue files are synced whole by the next queue flush, before the
//!    checkpoint's offsets move past them.

use crate::commit_log::{CommitLog, Scan};
use crate::consume_queue::ConsumeQueue;
use crate::mapped_file::MappedFile;
use crate::store::Inner;
use crate::StoreError;
use protocol::message::record::END_FILE_MIN_BLANK_LENGTH;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Whether the first record of `file` is valid and stored at or before `ts`.
fn first_record_before(file: &MappedFile, ts: i64) -> bool {
    match CommitLog::scan(file, 0, false, false) {
        Scan::Record(info) => info.store_timestamp != 0 && info.store_timestamp <= ts,
        _ => false,
    }
}

/// The file holding `offset` and the position in it; the end of the last
/// file counts as inside it. None outside the files or in a gap between
/// them.
fn locate(files: &[Arc<MappedFile>], offset: u64) -> Option<(usize, usize)> {
    let first = files.first()?;
    let size = first.size() as u64;
    let rel = offset.checked_sub(first.start())?;
    let (mut idx, mut pos) = ((rel / size) as usize, rel % size);
    if idx == files.len() && pos == 0 {
        idx -= 1;
        pos = size;
    }
    let f = files.get(idx)?;
    (f.start() + pos == offset).then_some((idx, pos as usize))
}

/// If `offset` is where a record starts or where its file's records end
/// for certain (a record stored there with that PHYSICALOFFSET, an
/// end-of-file blank, a file start or end), the offset to walk from.
fn boundary(files: &[Arc<MappedFile>], offset: u64) -> Option<u64> {
    let (idx, pos) = locate(files, offset)?;
    let f = &files[idx];
    if pos == 0 || pos == f.size() {
        return Some(offset);
    }
    match CommitLog::scan(f, pos, false, false) {
        Scan::Record(info) => {
            return (u64::try_from(info.commit_log_offset).ok() == Some(offset)).then_some(offset)
        }
        Scan::Blank => return Some(offset),
        Scan::End(_) => {}
    }
    // A flush between writing the end-of-file blank and marking the file
    // full records the offset just past the blank's first 8 bytes.
    let blank = pos.checked_sub(END_FILE_MIN_BLANK_LENGTH)?;
    matches!(CommitLog::scan(f, blank, false, false), Scan::Blank)
        .then(|| f.start() + f.size() as u64)
}

/// The end of the record the newest consume-queue entry points at, if that
/// record is intact there.
fn queues_end(files: &[Arc<MappedFile>], queues: &[Arc<ConsumeQueue>], crc: bool) -> Option<u64> {
    let q = queues.iter().max_by_key(|q| q.max_phy_end())?;
    let e = q.last_entry()?;
    let phy = u64::try_from(e.phy).ok()?;
    let (idx, pos) = locate(files, phy)?;
    match CommitLog::scan(&files[idx], pos, crc, false) {
        Scan::Record(info)
            if info.commit_log_offset == e.phy && info.total_size as i64 == e.size as i64 =>
        {
            Some(phy + e.size as u64)
        }
        _ => None,
    }
}

/// The timestamp rule (no usable checkpoint offsets): the index of the
/// file to walk from.
fn fallback_start(inner: &Inner, files: &[Arc<MappedFile>], abnormal: bool) -> usize {
    if abnormal {
        let safe = inner
            .checkpoint
            .min_timestamp(inner.config.message_index_safe);
        files
            .iter()
            .rposition(|f| first_record_before(f, safe))
            .unwrap_or(0)
    } else {
        files.len().saturating_sub(3)
    }
}

/// Result of a walk.
struct Walk {
    /// Offset just past the last valid record.
    end: u64,
    /// Whether the walk passed a record boundary at the probe offset.
    probe_hit: bool,
}

/// Walks records from `from` (a record boundary inside the files).
fn walk(files: &[Arc<MappedFile>], from: u64, check_crc: bool, probe: Option<u64>) -> Walk {
    let Some((start, first_pos)) = locate(files, from) else {
        return Walk {
            end: from,
            probe_hit: probe == Some(from),
        };
    };
    let mut hit = probe == Some(from);
    let mut end = from;
    let mut pos = first_pos;
    for f in &files[start..] {
        if f.start() + pos as u64 != end {
            break; // a hole in the file sequence: stop at the last good byte
        }
        loop {
            let at = f.start() + pos as u64;
            hit |= probe == Some(at);
            match CommitLog::scan(f, pos, check_crc, false) {
                Scan::Record(info) => {
                    if info.commit_log_offset != at as i64 {
                        tracing::warn!(offset = at, "record offset mismatch; truncating");
                        return Walk {
                            end: at,
                            probe_hit: hit,
                        };
                    }
                    pos += info.total_size;
                }
                Scan::Blank => {
                    end = f.start() + f.size() as u64;
                    hit |= probe == Some(end);
                    break;
                }
                Scan::End(err) => {
                    if let Some(e) = err {
                        // Zero bytes past the data are the normal end.
                        let zero = f
                            .raw_slice(pos, 8)
                            .is_some_and(|b| b.iter().all(|&x| x == 0));
                        if !zero {
                            tracing::warn!(offset = at, error = %e, "invalid record; truncating the CommitLog here");
                        }
                    }
                    return Walk {
                        end: at,
                        probe_hit: hit,
                    };
                }
            }
        }
        pos = 0;
    }
    Walk {
        end,
        probe_hit: hit,
    }
}

/// Runs recovery on a freshly loaded store.
pub(crate) fn recover(inner: &Inner, abnormal: bool) -> Result<(), StoreError> {
    let began = Instant::now();
    let queues = inner.queues.all();
    for q in &queues {
        q.recover();
    }
    let cl = &inner.commit_log;
    let ck = &inner.checkpoint;
    let files = cl.files().files();
    if files.is_empty() {
        if !queues.is_empty() {
            tracing::warn!("no CommitLog files: destroying all consume queues");
            inner.queues.clear();
        }
        if let Some(index) = &inner.index {
            index.truncate_dirty(0);
        }
        ck.commit_log_flushed.store(0, Ordering::Release);
        ck.dispatch_flushed.store(0, Ordering::Release);
        return Ok(());
    }
    let crc = inner.config.check_crc_on_recover;
    // Offsets outside the files are not this store's (or not intact).
    let files_end = files.last().map_or(0, |f| f.start() + f.size() as u64);
    let inside = |o: &u64| (cl.min_offset()..=files_end).contains(o);
    let saved = ck.saved_offsets();
    let saved_dispatched = saved.dispatched.filter(inside);
    // Where to start validating: the checkpoint's flushed offset if it is a
    // record boundary, else the end of the newest queued record below it.
    let anchor = saved.commit_log.filter(inside).and_then(|a| {
        boundary(&files, a).or_else(|| queues_end(&files, &queues, crc).filter(|&g| g <= a))
    });
    let from = match anchor {
        Some(a) => a,
        None => files[fallback_start(inner, &files, abnormal)].start(),
    };
    let probe = saved_dispatched.filter(|&b| b > from);
    let walked = walk(&files, from, crc, probe);
    let truncate = walked.end;
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
    // Every record below the checkpoint's dispatched offset has its queue
    // and index entries on disk; use it when it is a record boundary.
    let dispatched = saved_dispatched.and_then(|b| {
        if b >= truncate {
            Some(truncate)
        } else if b == from {
            Some(b)
        } else if b > from {
            walked.probe_hit.then_some(b)
        } else {
            boundary(&files, b)
        }
    });
    match dispatched {
        Some(b) => reput = reput.min(b),
        None if abnormal => {
            reput = reput.min(files[fallback_start(inner, &files, abnormal)].start());
        }
        None => {}
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
    crate::checkpoint::Checkpoint::advance(&ck.physic_msg_timestamp, last_ts);
    // The offsets this recovery vouches for. After a crash the bytes above
    // the safe point may be in the page cache only: the flushers sync them
    // before the offsets move on.
    let flushed = if abnormal {
        from.min(truncate)
    } else {
        truncate
    };
    ck.commit_log_flushed
        .store(flushed as i64, Ordering::Release);
    ck.dispatch_flushed.store(reput as i64, Ordering::Release);
    if abnormal {
        cl.files().mark_unflushed_from(flushed);
        ck.resync_logics.store(true, Ordering::Release);
    }
    tracing::info!(
        abnormal,
        from_checkpoint = anchor.is_some(),
        walked = truncate.saturating_sub(from),
        redispatched = truncate.saturating_sub(reput),
        truncate,
        elapsed_ms = began.elapsed().as_millis() as u64,
        "CommitLog recovered"
    );
    Ok(())
}
