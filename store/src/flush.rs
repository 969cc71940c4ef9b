//! Flush services (STORAGE.md §9). All fsync/msync calls run on these
//! threads, never on the caller's (async) threads.
//!
//! - CommitLog, ASYNC_FLUSH: every `flushIntervalCommitLog` ms, flush when
//!   at least `flushCommitLogLeastPages` pages are dirty, or everything once
//!   `flushCommitLogThoroughInterval` passed.
//! - CommitLog, SYNC_FLUSH (group commit): waiters register the end offset
//!   of their records. Each round writes the records staged so far with one
//!   `pwrite` (appenders only copy them into the staging run), flushes
//!   everything written (msync) and acknowledges every waiter the flush
//!   covers; waiters that arrive during a round form the next group, which
//!   is flushed at once (no waiting to gather more: with zeros written
//!   ahead, a flush costs about one disk write, so waiting would only add
//!   latency). Writing the group on this thread keeps the page-cache work
//!   off the network threads, which a SYNC_FLUSH send load keeps busy
//!   while this thread mostly waits for the disk. Between writing and
//!   syncing the group, this thread also dispatches it (queue and index
//!   entries): cheaper than waking the dispatch thread for every group,
//!   which on two cores preempted the flusher before its sync. So a waiter
//!   is acknowledged once its records are on disk *and* dispatched, and an
//!   acknowledged message is always visible. Like RocketMQ's reput
//!   service, dispatch does not wait for the flush: consumers may see a
//!   record while it is being flushed, never acknowledged before it is on
//!   disk. A waiter not covered within `syncFlushTimeout` gets
//!   FlushDiskTimeout from the watcher thread; a failed flush fails every
//!   pending waiter and stops appends (the store stays readable).
//! - ConsumeQueue and index: every `flushIntervalConsumeQueue` ms, then the
//!   checkpoint.

use crate::checkpoint::Checkpoint;
use crate::config::FlushDiskType;
use crate::dispatch::{dispatch_until, visible_limit};
use crate::stats::Stats;
use crate::store::Inner;
use crate::PutStatus;
use futures::channel::oneshot;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A SYNC_FLUSH waiter.
#[derive(Debug)]
pub(crate) struct FlushRequest {
    /// CommitLog offset that must be flushed.
    pub(crate) end: u64,
    /// When the waiter gets FlushDiskTimeout.
    pub(crate) deadline: Instant,
    /// Completion.
    pub(crate) tx: oneshot::Sender<PutStatus>,
}

/// Writes the staged records (SYNC_FLUSH) to their file, publishing them
/// to readers. A failure puts the store into the fault state.
pub(crate) fn write_staged(inner: &Inner) -> bool {
    match inner.commit_log.write_staged() {
        Ok(()) => true,
        Err(e) => {
            if !inner.fault.swap(true, Ordering::AcqRel) {
                tracing::error!(error = %e, "CommitLog write failed; refusing further appends");
            }
            false
        }
    }
}

/// Writes the staged records, flushes the CommitLog and records the
/// checkpoint's physic timestamp. A failure puts the store into the fault
/// state (appends refused).
fn flush_commit_log(inner: &Inner, least_pages: usize) -> bool {
    // The timestamp of records already appended, hence in what is flushed.
    let ts = inner.commit_log.last_store_timestamp();
    if !write_staged(inner) {
        return false;
    }
    match inner.commit_log.files().flush(least_pages) {
        Ok(_) => {
            let flushed = inner.commit_log.files().flushed_where();
            if flushed >= inner.commit_log.max_offset() {
                Checkpoint::advance(&inner.checkpoint.physic_msg_timestamp, ts);
            }
            // A record boundary (flushes end at a published write position).
            Checkpoint::advance(&inner.checkpoint.commit_log_flushed, flushed as i64);
            true
        }
        Err(e) => {
            if !inner.fault.swap(true, Ordering::AcqRel) {
                tracing::error!(error = %e, "CommitLog flush failed; refusing further appends");
            }
            false
        }
    }
}

/// Completes waiters covered by `flushed`; with `fail_rest`, every other
/// waiter gets FlushDiskTimeout.
/// The completions are sent after the lock is released, so the appenders
/// they wake do not queue behind it.
pub(crate) fn complete_requests(inner: &Inner, flushed: u64, fail_rest: bool) {
    let now = Instant::now();
    let mut done = Vec::new();
    {
        let mut reqs = inner.flush_requests.lock();
        let mut i = 0;
        while i < reqs.len() {
            let r = &reqs[i];
            let status = if r.end <= flushed && !inner.fault.load(Ordering::Acquire) {
                PutStatus::Ok
            } else if fail_rest || r.deadline <= now {
                Stats::add(&inner.stats.flush_disk_timeouts, 1);
                PutStatus::FlushDiskTimeout
            } else {
                i += 1;
                continue;
            };
            done.push((reqs.swap_remove(i).tx, status));
        }
    }
    for (tx, status) in done {
        let _ = tx.send(status);
    }
}

/// The CommitLog flush thread (async interval flush or group commit).
pub(crate) fn commit_log_flusher(inner: &Inner) {
    inner.flusher_wake.register();
    match inner.config.flush_disk_type {
        FlushDiskType::Async => async_flush_loop(inner),
        FlushDiskType::Sync => group_commit_loop(inner),
    }
}

fn async_flush_loop(inner: &Inner) {
    let interval = Duration::from_millis(inner.config.flush_interval_commit_log.max(1));
    let thorough = inner.config.flush_commit_log_thorough_interval as u128;
    let least = inner.config.flush_commit_log_least_pages as usize;
    let mut last_thorough = Instant::now();
    while !inner.shutdown.load(Ordering::Acquire) {
        inner.flusher_wake.wait(interval);
        let pages = if last_thorough.elapsed().as_millis() >= thorough {
            last_thorough = Instant::now();
            0
        } else {
            least
        };
        flush_commit_log(inner, pages);
    }
}

fn group_commit_loop(inner: &Inner) {
    while !inner.shutdown.load(Ordering::Acquire) {
        let pending = !inner.flush_requests.lock().is_empty();
        let dirty = inner.commit_log.files().flushed_where() < inner.commit_log.max_offset()
            || inner.commit_log.has_staged();
        if !pending && !dirty {
            inner.flusher_wake.wait(Duration::from_millis(10));
            continue;
        }
        // Write the group and make it visible, then sync it (records staged
        // meanwhile are written and synced with it).
        if write_staged(inner) {
            dispatch_until(inner, visible_limit(inner));
        }
        let ok = flush_commit_log(inner, 0);
        let flushed = inner.commit_log.files().flushed_where();
        // Visible before acknowledged (usually dispatched already).
        dispatch_until(inner, flushed);
        complete_requests(inner, flushed, !ok);
        if !ok {
            inner.flusher_wake.wait(Duration::from_millis(10));
        }
    }
}

/// SYNC_FLUSH only: fails waiters past their deadline even while a flush
/// hangs.
pub(crate) fn timeout_watcher(inner: &Inner) {
    inner.watcher_wake.register();
    while !inner.shutdown.load(Ordering::Acquire) {
        inner.watcher_wake.wait(Duration::from_millis(20));
        let now = Instant::now();
        let expired = inner
            .flush_requests
            .lock()
            .iter()
            .any(|r| r.deadline <= now);
        if expired {
            complete_requests(inner, 0, false);
        }
    }
}

/// Flushes consume queues and index files, then writes the checkpoint,
/// including the offset below which every record's queue and index entries
/// are on disk (where crash recovery re-dispatches from).
fn flush_logics(inner: &Inner, least_pages: usize) {
    /// How far (CommitLog bytes) a queue's oldest unflushed entry may lag
    /// the dispatch position before the queue is flushed regardless of
    /// `least_pages`: what a crash restart would re-dispatch.
    const REDISPATCH_BUDGET: u64 = 64 * 1024 * 1024;
    // Before the flushes: every record below it has its entries written.
    let dispatched = inner.dispatched_to.load(Ordering::Acquire);
    let logics_ts = inner.last_dispatched_ts.load(Ordering::Acquire);
    let resync = inner.checkpoint.resync_logics.load(Ordering::Acquire);
    let mut ok = true;
    let mut safe = dispatched;
    for q in inner.queues.all() {
        let mut res = if resync { q.sync_all() } else { Ok(()) };
        if res.is_ok() {
            res = q.flush(least_pages).map(|_| ());
        }
        // Entries the least-pages rule left in memory hold the safe offset
        // back; flush a queue that holds it back too far.
        let mut pending = q.first_unflushed_phy();
        if res.is_ok() && pending.is_some_and(|p| dispatched.saturating_sub(p) > REDISPATCH_BUDGET)
        {
            res = q.flush(0).map(|_| ());
            pending = q.first_unflushed_phy();
        }
        if let Err(e) = res {
            tracing::error!(topic = q.topic(), queue = q.queue_id(), error = %e, "consume queue flush failed");
            ok = false;
        }
        if let Some(p) = pending {
            safe = safe.min(p);
        }
    }
    if ok {
        Checkpoint::advance(&inner.checkpoint.logics_msg_timestamp, logics_ts);
    }
    let mut index_ok = true;
    if let Some(index) = &inner.index {
        match index.flush() {
            Ok(ts) => Checkpoint::advance(&inner.checkpoint.index_msg_timestamp, ts),
            Err(e) => {
                tracing::error!(error = %e, "index flush failed");
                index_ok = false;
            }
        }
    }
    if ok && index_ok {
        if resync {
            inner
                .checkpoint
                .resync_logics
                .store(false, Ordering::Release);
        }
        Checkpoint::advance(&inner.checkpoint.dispatch_flushed, safe as i64);
    }
    if let Err(e) = inner.checkpoint.flush() {
        tracing::error!(error = %e, "checkpoint flush failed");
    }
}

/// The ConsumeQueue/index flush thread.
pub(crate) fn logic_flusher(inner: &Inner) {
    inner.logic_flusher_wake.register();
    let interval = Duration::from_millis(inner.config.flush_interval_consume_queue.max(1));
    let thorough = inner.config.flush_consume_queue_thorough_interval as u128;
    let least = inner.config.flush_consume_queue_least_pages as usize;
    let mut last_thorough = Instant::now();
    while !inner.shutdown.load(Ordering::Acquire) {
        inner.logic_flusher_wake.wait(interval);
        let pages = if last_thorough.elapsed().as_millis() >= thorough {
            last_thorough = Instant::now();
            0
        } else {
            least
        };
        flush_logics(inner, pages);
    }
}

/// Shutdown: flush the CommitLog, dispatch what is left, flush queues,
/// index and checkpoint. Returns whether everything was flushed.
pub(crate) fn final_flush(inner: &Inner) -> bool {
    let ok = flush_commit_log(inner, 0);
    dispatch_until(inner, visible_limit(inner));
    flush_logics(inner, 0);
    ok && inner.commit_log.files().flushed_where() >= inner.commit_log.max_offset()
}
