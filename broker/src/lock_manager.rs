//! [`QueueLockManager`]: which client of a consumer group holds each queue,
//! for orderly consumption (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ, PROTOCOL.md
//! §12.6).
//!
//! A lock belongs to one client id. It is granted when the queue is free,
//! already held by the same client (which refreshes it), or held by a client
//! whose lock was not refreshed for `rocketmq.broker.rebalance.lockMaxLiveTime`
//! (60 s); orderly clients re-lock every 20 s. Only the holder can unlock.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::clock::{SharedClock, SystemClock};
use protocol::body::MessageQueue;

/// RocketMQ's default lock lifetime without refresh, ms.
pub const DEFAULT_LOCK_MAX_LIVE_MS: i64 = 60_000;

#[derive(Debug, Clone)]
struct LockEntry {
    client_id: String,
    last_update_ms: i64,
}

/// Queue locks per consumer group.
///
/// Invariant: a queue has at most one live holder per group; a lock is live
/// while `now - last_update < max_live_ms`.
pub struct QueueLockManager {
    clock: SharedClock,
    max_live_ms: AtomicI64,
    groups: Mutex<HashMap<String, HashMap<MessageQueue, LockEntry>>>,
}

impl std::fmt::Debug for QueueLockManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueLockManager")
            .field("max_live_ms", &self.max_live())
            .finish_non_exhaustive()
    }
}

impl Default for QueueLockManager {
    fn default() -> Self {
        Self::new()
    }
}

impl QueueLockManager {
    /// A manager on the system clock with the 60 s lifetime.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock), DEFAULT_LOCK_MAX_LIVE_MS)
    }

    /// A manager on `clock` whose locks live `max_live_ms` without refresh.
    pub fn with_clock(clock: SharedClock, max_live_ms: i64) -> Self {
        QueueLockManager {
            clock,
            max_live_ms: AtomicI64::new(max_live_ms),
            groups: Mutex::new(HashMap::new()),
        }
    }

    /// Sets how long a lock lives without refresh, ms (Java's
    /// `rocketmq.broker.rebalance.lockMaxLiveTime`).
    pub fn set_max_live_ms(&self, ms: i64) {
        self.max_live_ms.store(ms.max(1), Ordering::Relaxed);
    }

    fn max_live(&self) -> i64 {
        self.max_live_ms.load(Ordering::Relaxed)
    }

    /// Locks (or refreshes) every queue of `mqs` that is free, expired or
    /// already held by `client_id`; returns the queues `client_id` now holds
    /// among them.
    pub fn try_lock_batch<'a>(
        &self,
        group: &str,
        mqs: impl IntoIterator<Item = &'a MessageQueue>,
        client_id: &str,
    ) -> BTreeSet<MessageQueue> {
        let now = self.clock.now_ms();
        let max_live = self.max_live();
        let mut groups = self.groups.lock();
        let locks = match groups.get_mut(group) {
            Some(l) => l,
            None => groups.entry(group.to_owned()).or_default(),
        };
        let mut ok = BTreeSet::new();
        for mq in mqs {
            match locks.get_mut(mq) {
                Some(e) if e.client_id == client_id => {
                    e.last_update_ms = now;
                }
                Some(e) if now - e.last_update_ms >= max_live => {
                    tracing::info!(
                        "queue lock {mq:?} of group {group} expired from {} to {client_id}",
                        e.client_id
                    );
                    e.client_id = client_id.to_owned();
                    e.last_update_ms = now;
                }
                Some(e) => {
                    tracing::debug!("queue {mq:?} of group {group} is locked by {}", e.client_id);
                    continue;
                }
                None => {
                    locks.insert(
                        mq.clone(),
                        LockEntry {
                            client_id: client_id.to_owned(),
                            last_update_ms: now,
                        },
                    );
                }
            }
            ok.insert(mq.clone());
        }
        if locks.is_empty() {
            // An empty request must not leave an entry behind.
            groups.remove(group);
        }
        ok
    }

    /// Releases the queues of `mqs` held by `client_id`; others are left alone.
    pub fn unlock_batch<'a>(
        &self,
        group: &str,
        mqs: impl IntoIterator<Item = &'a MessageQueue>,
        client_id: &str,
    ) {
        let mut groups = self.groups.lock();
        let Some(locks) = groups.get_mut(group) else {
            return;
        };
        for mq in mqs {
            if locks.get(mq).is_some_and(|e| e.client_id == client_id) {
                locks.remove(mq);
            }
        }
        if locks.is_empty() {
            groups.remove(group);
        }
    }

    /// The live holder of `mq` in `group`, if any.
    pub fn holder(&self, group: &str, mq: &MessageQueue) -> Option<String> {
        let now = self.clock.now_ms();
        let groups = self.groups.lock();
        let e = groups.get(group)?.get(mq)?;
        (now - e.last_update_ms < self.max_live()).then(|| e.client_id.clone())
    }

    /// Drops expired locks (memory hygiene; expiry itself needs no scan).
    pub fn remove_expired(&self) -> usize {
        let now = self.clock.now_ms();
        let max_live = self.max_live();
        let mut removed = 0;
        let mut groups = self.groups.lock();
        groups.retain(|_, locks| {
            let before = locks.len();
            locks.retain(|_, e| now - e.last_update_ms < max_live);
            removed += before - locks.len();
            !locks.is_empty()
        });
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn mqs(ids: &[i32]) -> Vec<MessageQueue> {
        ids.iter()
            .map(|&i| MessageQueue::new("T", "b", i))
            .collect()
    }

    #[test]
    fn locks_are_exclusive_per_group() {
        let m = QueueLockManager::new();
        let q = mqs(&[0, 1]);
        assert_eq!(m.try_lock_batch("G", &q, "c1").len(), 2);
        assert!(m.try_lock_batch("G", &q, "c2").is_empty());
        // Another group is independent.
        assert_eq!(m.try_lock_batch("H", &q, "c2").len(), 2);
        // Partial: c2 gets only the free queue.
        let got = m.try_lock_batch("G", &mqs(&[1, 2]), "c2");
        assert_eq!(got.into_iter().collect::<Vec<_>>(), mqs(&[2]));
        assert_eq!(m.holder("G", &q[0]).as_deref(), Some("c1"));
    }

    #[test]
    fn locks_expire_without_refresh_and_refresh_extends() {
        let clock = ManualClock::new(1_000_000);
        let m = QueueLockManager::with_clock(clock.clone(), DEFAULT_LOCK_MAX_LIVE_MS);
        let q = mqs(&[0]);
        assert_eq!(m.try_lock_batch("G", &q, "c1").len(), 1);
        clock.advance(40_000);
        assert_eq!(m.try_lock_batch("G", &q, "c1").len(), 1); // refresh
        clock.advance(40_000);
        assert!(
            m.try_lock_batch("G", &q, "c2").is_empty(),
            "refreshed lock still live"
        );
        clock.advance(20_000);
        assert_eq!(m.holder("G", &q[0]), None);
        assert_eq!(
            m.try_lock_batch("G", &q, "c2").len(),
            1,
            "expired lock taken over"
        );
        assert_eq!(m.holder("G", &q[0]).as_deref(), Some("c2"));
        clock.advance(60_000);
        assert_eq!(m.remove_expired(), 1);
    }

    #[test]
    fn only_the_holder_unlocks() {
        let m = QueueLockManager::new();
        let q = mqs(&[0, 1]);
        m.try_lock_batch("G", &q, "c1");
        m.unlock_batch("G", &q, "c2");
        assert_eq!(m.holder("G", &q[0]).as_deref(), Some("c1"));
        m.unlock_batch("G", &q[..1], "c1");
        assert_eq!(m.holder("G", &q[0]), None);
        assert_eq!(m.try_lock_batch("G", &q, "c2").len(), 1);
    }
}
