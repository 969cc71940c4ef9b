//! [`ProcessQueue`]: a consumer's local view of one assigned queue — the
//! messages pulled but not yet consumed, the counts that drive flow control,
//! and the offset that is safe to commit.
//!
//! Invariants: `msg_count()` and `msg_size()` always equal the number and the
//! body bytes of the cached entries (pending plus, for orderly consumption,
//! taken-but-uncommitted ones); the commit offset reported by
//! [`ProcessQueue::remove_messages`] is the smallest offset not yet consumed,
//! so committing it never skips a message (at-least-once).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use parking_lot::Mutex;
use protocol::body::ProcessQueueInfo;
use protocol::message::properties::MAX_OFFSET;

use crate::message::MessageExt;

/// A queue not pulled for this long is dropped by the rebalance (Java
/// `pullMaxIdleTime`, 120 s).
pub const PULL_MAX_IDLE_MS: u64 = 120_000;
/// A broker queue lock older than this is treated as lost (Java
/// `REBALANCE_LOCK_MAX_LIVE_TIME`, 30 s; the broker's own expiry is 60 s).
pub const LOCK_MAX_LIVE_MS: u64 = 30_000;

/// Milliseconds on a monotonic clock shared by the consumer module.
pub(crate) fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// One cached message: its body size, and the message itself when the queue
/// keeps messages (orderly consumption takes them back out in order).
#[derive(Debug)]
struct Slot {
    size: u64,
    msg: Option<MessageExt>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Pulled, not yet consumed (or, orderly, not yet taken), by queue offset.
    pending: BTreeMap<i64, Slot>,
    /// Orderly only: taken by the consume task, not yet committed.
    taken: BTreeMap<i64, Slot>,
    /// Highest queue offset ever cached.
    queue_offset_max: i64,
    /// Orderly only: a consume task owns this queue.
    consuming: bool,
}

/// Local state of one assigned queue (Java `ProcessQueue`).
#[derive(Debug)]
pub struct ProcessQueue {
    inner: Mutex<Inner>,
    msg_count: AtomicUsize,
    msg_size: AtomicU64,
    dropped: AtomicBool,
    locked: AtomicBool,
    last_lock_ms: AtomicU64,
    last_pull_ms: AtomicU64,
    last_consume_ms: AtomicU64,
    /// Messages between the last cached one and the queue's max offset.
    msg_acc_cnt: AtomicI64,
    /// Held while an orderly listener runs; the rebalance takes it before it
    /// gives the broker lock back, so a queue is never consumed unlocked.
    consume_lock: tokio::sync::Mutex<()>,
}

impl Default for ProcessQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessQueue {
    /// An empty queue, not dropped, not locked, pulled "now".
    pub fn new() -> Self {
        ProcessQueue {
            inner: Mutex::new(Inner::default()),
            msg_count: AtomicUsize::new(0),
            msg_size: AtomicU64::new(0),
            dropped: AtomicBool::new(false),
            locked: AtomicBool::new(false),
            last_lock_ms: AtomicU64::new(0),
            last_pull_ms: AtomicU64::new(now_ms()),
            last_consume_ms: AtomicU64::new(now_ms()),
            msg_acc_cnt: AtomicI64::new(0),
            consume_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Caches the offsets and sizes of `msgs` (the messages themselves go to
    /// the consumer). Returns how many were new.
    pub fn put_offsets(&self, msgs: &[MessageExt]) -> usize {
        let mut inner = self.inner.lock();
        let mut added = 0;
        let mut bytes = 0;
        for m in msgs {
            let size = m.body.len() as u64;
            if inner
                .pending
                .insert(m.queue_offset, Slot { size, msg: None })
                .is_none()
            {
                added += 1;
                bytes += size;
            }
            inner.queue_offset_max = inner.queue_offset_max.max(m.queue_offset);
        }
        drop(inner);
        self.account(msgs.last(), added, bytes);
        added
    }

    /// Caches `msgs` themselves (orderly consumption). Returns true when no
    /// consume task owns the queue, in which case the caller must start one:
    /// the queue is then marked as owned.
    pub fn put_messages(&self, msgs: Vec<MessageExt>) -> bool {
        let last_offsets = msgs
            .last()
            .map(|m| (m.queue_offset, m.property(MAX_OFFSET).map(str::to_owned)));
        let mut inner = self.inner.lock();
        let mut added = 0;
        let mut bytes = 0;
        for m in msgs {
            let size = m.body.len() as u64;
            let offset = m.queue_offset;
            inner.queue_offset_max = inner.queue_offset_max.max(offset);
            if inner
                .pending
                .insert(offset, Slot { size, msg: Some(m) })
                .is_none()
            {
                added += 1;
                bytes += size;
            }
        }
        let dispatch = !inner.pending.is_empty() && !inner.consuming;
        if dispatch {
            inner.consuming = true;
        }
        drop(inner);
        self.msg_count.fetch_add(added, Ordering::AcqRel);
        self.msg_size.fetch_add(bytes, Ordering::AcqRel);
        if let Some((offset, Some(max))) = last_offsets {
            self.set_acc(offset, &max);
        }
        dispatch
    }

    fn account(&self, last: Option<&MessageExt>, added: usize, bytes: u64) {
        self.msg_count.fetch_add(added, Ordering::AcqRel);
        self.msg_size.fetch_add(bytes, Ordering::AcqRel);
        if let Some(m) = last {
            if let Some(max) = m.property(MAX_OFFSET) {
                self.set_acc(m.queue_offset, max);
            }
        }
    }

    fn set_acc(&self, last_offset: i64, max: &str) {
        if let Ok(max) = max.parse::<i64>() {
            let acc = max - last_offset;
            if acc > 0 {
                self.msg_acc_cnt.store(acc, Ordering::Relaxed);
            }
        }
    }

    /// Forgets the consumed `offsets` and returns the offset to commit: the
    /// smallest still cached, or one past the highest ever cached when the
    /// cache is now empty; -1 when the cache was already empty.
    pub fn remove_messages(&self, offsets: impl IntoIterator<Item = i64>) -> i64 {
        self.last_consume_ms.store(now_ms(), Ordering::Relaxed);
        let mut inner = self.inner.lock();
        if inner.pending.is_empty() {
            return -1;
        }
        let mut removed = 0;
        let mut bytes = 0;
        for off in offsets {
            if let Some(slot) = inner.pending.remove(&off) {
                removed += 1;
                bytes += slot.size;
            }
        }
        let result = match inner.pending.keys().next() {
            Some(first) => *first,
            None => inner.queue_offset_max + 1,
        };
        drop(inner);
        self.msg_count.fetch_sub(removed, Ordering::AcqRel);
        self.msg_size.fetch_sub(bytes, Ordering::AcqRel);
        result
    }

    /// Orderly: moves up to `n` messages, in offset order, from the cache to
    /// the taken set. An empty result releases the queue's ownership (the
    /// next [`ProcessQueue::put_messages`] asks for a new consume task).
    pub fn take_messages(&self, n: usize) -> Vec<MessageExt> {
        self.last_consume_ms.store(now_ms(), Ordering::Relaxed);
        let mut inner = self.inner.lock();
        let mut out = Vec::with_capacity(n.min(inner.pending.len()));
        while out.len() < n {
            let Some((off, mut slot)) = inner.pending.pop_first() else {
                break;
            };
            if let Some(m) = slot.msg.take() {
                out.push(m);
            }
            inner.taken.insert(off, slot);
        }
        if out.is_empty() {
            inner.consuming = false;
        }
        out
    }

    /// Orderly: the taken messages are consumed; returns the offset to
    /// commit (one past the highest taken) or -1 when nothing was taken.
    pub fn commit(&self) -> i64 {
        let mut inner = self.inner.lock();
        let Some(last) = inner.taken.keys().next_back().copied() else {
            return -1;
        };
        let removed = inner.taken.len();
        let bytes: u64 = inner.taken.values().map(|s| s.size).sum();
        inner.taken.clear();
        drop(inner);
        self.msg_count.fetch_sub(removed, Ordering::AcqRel);
        self.msg_size.fetch_sub(bytes, Ordering::AcqRel);
        last + 1
    }

    /// Orderly: puts `msgs` (previously taken) back to be consumed again first.
    pub fn make_messages_to_consume_again(&self, msgs: Vec<MessageExt>) {
        let mut inner = self.inner.lock();
        for m in msgs {
            let off = m.queue_offset;
            let size = match inner.taken.remove(&off) {
                Some(slot) => slot.size,
                None => m.body.len() as u64,
            };
            inner.pending.insert(off, Slot { size, msg: Some(m) });
        }
    }

    /// Drops every cached message (used by a lite-pull seek); returns how
    /// many were dropped.
    pub fn clear(&self) -> usize {
        let mut inner = self.inner.lock();
        let n = inner.pending.len() + inner.taken.len();
        inner.pending.clear();
        inner.taken.clear();
        inner.queue_offset_max = 0;
        inner.consuming = false;
        drop(inner);
        self.msg_count.store(0, Ordering::Release);
        self.msg_size.store(0, Ordering::Release);
        n
    }

    /// Distance between the lowest and highest cached offset (flow control
    /// by `consumeConcurrentlyMaxSpan`).
    pub fn max_span(&self) -> i64 {
        let inner = self.inner.lock();
        match (
            inner.pending.keys().next(),
            inner.pending.keys().next_back(),
        ) {
            (Some(first), Some(last)) => last - first,
            _ => 0,
        }
    }

    /// Number of cached messages.
    pub fn msg_count(&self) -> usize {
        self.msg_count.load(Ordering::Acquire)
    }

    /// Body bytes of the cached messages.
    pub fn msg_size(&self) -> u64 {
        self.msg_size.load(Ordering::Acquire)
    }

    /// Messages the broker holds beyond the last pulled one (from the
    /// `MAX_OFFSET` property of the last pull).
    pub fn msg_acc_cnt(&self) -> i64 {
        self.msg_acc_cnt.load(Ordering::Relaxed)
    }

    /// The queue was taken away (rebalance, shutdown, offset moved): pulls
    /// stop and consume results are no longer committed.
    pub fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Marks the queue dropped (never undone).
    pub fn set_dropped(&self) {
        self.dropped.store(true, Ordering::Release);
    }

    /// The broker lock is held (orderly consumption).
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Acquire)
    }

    /// Records the broker lock state; `true` also refreshes its timestamp.
    pub fn set_locked(&self, locked: bool) {
        if locked {
            self.last_lock_ms.store(now_ms(), Ordering::Release);
        }
        self.locked.store(locked, Ordering::Release);
    }

    /// The broker lock was never taken or not renewed within
    /// [`LOCK_MAX_LIVE_MS`].
    pub fn is_lock_expired(&self) -> bool {
        let last = self.last_lock_ms.load(Ordering::Acquire);
        last == 0 || now_ms().saturating_sub(last) > LOCK_MAX_LIVE_MS
    }

    /// Records a pull attempt.
    pub fn touch_pull(&self) {
        self.last_pull_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// No pull for [`PULL_MAX_IDLE_MS`]: the pull loop is presumed dead.
    pub fn is_pull_expired(&self) -> bool {
        now_ms().saturating_sub(self.last_pull_ms.load(Ordering::Relaxed)) > PULL_MAX_IDLE_MS
    }

    /// The lock an orderly consume task holds while its listener runs.
    pub fn consume_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.consume_lock
    }

    /// The queue's state as admin tools show it (GET_CONSUMER_RUNNING_INFO);
    /// timestamps in ms since the epoch.
    pub fn info(&self, commit_offset: i64) -> ProcessQueueInfo {
        let inner = self.inner.lock();
        let first = |m: &BTreeMap<i64, Slot>| m.keys().next().copied().unwrap_or(0);
        let last = |m: &BTreeMap<i64, Slot>| m.keys().next_back().copied().unwrap_or(0);
        let now = now_ms();
        let epoch_now = crate::consumer::rebalance::epoch_ms();
        let epoch = |t: u64| {
            if t == 0 {
                0
            } else {
                epoch_now - now.saturating_sub(t) as i64
            }
        };
        ProcessQueueInfo {
            cached_msg_count: inner.pending.len() as i32,
            cached_msg_max_offset: last(&inner.pending),
            cached_msg_min_offset: first(&inner.pending),
            cached_msg_size_in_mib: (self.msg_size() / (1024 * 1024)) as i32,
            commit_offset,
            droped: self.is_dropped(),
            last_consume_timestamp: epoch(self.last_consume_ms.load(Ordering::Relaxed)),
            last_lock_timestamp: epoch(self.last_lock_ms.load(Ordering::Relaxed)),
            last_pull_timestamp: epoch(self.last_pull_ms.load(Ordering::Relaxed)),
            locked: self.is_locked(),
            transaction_msg_count: inner.taken.len() as i32,
            transaction_msg_max_offset: last(&inner.taken),
            transaction_msg_min_offset: first(&inner.taken),
            try_unlock_times: 0,
        }
    }

    /// Whether there is anything cached.
    pub fn is_empty(&self) -> bool {
        self.msg_count() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer::test_util::msg;

    #[test]
    fn commit_offset_is_lowest_unconsumed() {
        let pq = ProcessQueue::new();
        let msgs: Vec<_> = (10..15).map(|o| msg(o, 100)).collect();
        assert_eq!(pq.put_offsets(&msgs), 5);
        assert_eq!(pq.put_offsets(&msgs[..2]), 0, "duplicates are not counted");
        assert_eq!((pq.msg_count(), pq.msg_size()), (5, 500));
        assert_eq!(pq.max_span(), 4);
        // consumed out of order: 11 and 13 done, 10 still in flight
        assert_eq!(pq.remove_messages([11, 13]), 10);
        assert_eq!(pq.remove_messages([10]), 12);
        assert_eq!(pq.remove_messages([12, 14]), 15);
        assert_eq!((pq.msg_count(), pq.msg_size()), (0, 0));
        assert_eq!(pq.remove_messages([15]), -1);
    }

    #[test]
    fn orderly_take_commit_and_retry() {
        let pq = ProcessQueue::new();
        assert!(pq.put_messages((0..5).map(|o| msg(o, 10)).collect()));
        assert!(!pq.put_messages(vec![msg(5, 10)]), "already owned");
        let a = pq.take_messages(2);
        assert_eq!(a.iter().map(|m| m.queue_offset).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(pq.commit(), 2);
        assert_eq!(pq.msg_count(), 4);
        let b = pq.take_messages(3);
        assert_eq!(
            b.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        pq.make_messages_to_consume_again(b);
        assert_eq!(pq.msg_count(), 4);
        let c = pq.take_messages(10);
        assert_eq!(
            c.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
        assert_eq!(pq.commit(), 6);
        assert!(pq.take_messages(1).is_empty());
        assert_eq!(pq.commit(), -1);
        assert!(pq.put_messages(vec![msg(6, 1)]), "ownership was released");
        assert_eq!(pq.msg_size(), 1);
    }

    #[test]
    fn running_info_snapshot() {
        let pq = ProcessQueue::new();
        pq.put_messages((3..8).map(|o| msg(o, 10)).collect());
        let taken = pq.take_messages(2);
        assert_eq!(taken.len(), 2);
        pq.set_locked(true);
        let info = pq.info(3);
        assert_eq!(
            (
                info.cached_msg_count,
                info.cached_msg_min_offset,
                info.cached_msg_max_offset
            ),
            (3, 5, 7)
        );
        assert_eq!(
            (info.transaction_msg_count, info.transaction_msg_min_offset),
            (2, 3)
        );
        assert!(info.locked && !info.droped && info.commit_offset == 3);
        assert!(info.last_lock_timestamp > 1_600_000_000_000, "epoch ms");
    }

    #[test]
    fn flags_and_clear() {
        let pq = ProcessQueue::new();
        assert!(!pq.is_dropped() && !pq.is_locked() && pq.is_lock_expired());
        pq.set_locked(true);
        assert!(pq.is_locked() && !pq.is_lock_expired());
        pq.set_dropped();
        assert!(pq.is_dropped());
        pq.put_offsets(&[msg(1, 5), msg(2, 5)]);
        assert_eq!(pq.clear(), 2);
        assert!(pq.is_empty() && pq.msg_size() == 0);
        assert!(!pq.is_pull_expired());
    }
}
