//! [`PullHoldService`]: long polling (STORAGE.md §16.2).
//!
//! A pull that finds nothing and may be suspended does not answer at once:
//! it takes a [`Hold`] on its queue, re-checks the queue (so a message that
//! arrived in between is not missed), then waits until the store's arrival
//! listener reports a new message for that queue
//! ([`PullHoldService::notify_arrival`]), or the client's
//! `suspendTimeoutMillis` passes. The held pull is a suspended future on its
//! connection's reader, not a task or a timer loop; a broker with nobody
//! waiting pays one atomic load per dispatched message.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::futures::Notified;
use tokio::sync::Notify;

/// Queue ids above this are not tracked (no queue has that many; a held
/// pull on such an id simply waits for its timeout).
const MAX_TRACKED_QUEUE_ID: usize = 1 << 16;

#[derive(Debug, Default)]
struct Inner {
    /// topic -> queue id -> the queue's wake-up signal.
    queues: Mutex<HashMap<String, Vec<Option<Arc<Notify>>>>>,
    /// Live holds, so arrivals skip the map when nobody waits.
    waiting: AtomicUsize,
}

/// The registry of held pulls, keyed by `topic@queueId`. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct PullHoldService {
    inner: Arc<Inner>,
}

impl PullHoldService {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers interest in new messages of `topic`/`queue_id`. Create the
    /// hold and enable its [`Hold::notified`] future *before* re-checking
    /// the queue, then await it.
    pub fn hold(&self, topic: &str, queue_id: i32) -> Hold {
        let notify = match usize::try_from(queue_id) {
            Ok(q) if q < MAX_TRACKED_QUEUE_ID => {
                let mut map = self.inner.queues.lock();
                let slots = match map.get_mut(topic) {
                    Some(s) => s,
                    None => map.entry(topic.to_owned()).or_default(),
                };
                if slots.len() <= q {
                    slots.resize(q + 1, None);
                }
                slots[q]
                    .get_or_insert_with(|| Arc::new(Notify::new()))
                    .clone()
            }
            _ => Arc::new(Notify::new()),
        };
        self.inner.waiting.fetch_add(1, Ordering::SeqCst);
        Hold {
            notify,
            inner: self.inner.clone(),
        }
    }

    /// Wakes every pull held on `topic`/`queue_id` (the store's arrival
    /// listener calls this after dispatching a message).
    pub fn notify_arrival(&self, topic: &str, queue_id: i32) {
        if self.inner.waiting.load(Ordering::SeqCst) == 0 {
            return;
        }
        let Ok(q) = usize::try_from(queue_id) else {
            return;
        };
        let notify = {
            let map = self.inner.queues.lock();
            map.get(topic)
                .and_then(|s| s.get(q))
                .and_then(|n| n.clone())
        };
        if let Some(n) = notify {
            n.notify_waiters();
        }
    }

    /// Number of pulls currently held.
    pub fn waiting(&self) -> usize {
        self.inner.waiting.load(Ordering::SeqCst)
    }

    /// Forgets the queues of a deleted topic (held pulls time out normally).
    pub fn remove_topic(&self, topic: &str) {
        self.inner.queues.lock().remove(topic);
    }
}

/// One held pull's registration; dropping it withdraws the interest.
#[derive(Debug)]
pub struct Hold {
    notify: Arc<Notify>,
    inner: Arc<Inner>,
}

impl Hold {
    /// Resolves on the next arrival for the held queue. Call
    /// `Notified::enable` (via `pin!` + `as_mut().enable()`) before the
    /// re-check so an arrival in between is not lost.
    pub fn notified(&self) -> Notified<'_> {
        self.notify.notified()
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.inner.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn arrival_wakes_only_its_queue() {
        let svc = PullHoldService::new();
        let h0 = svc.hold("T", 0);
        let h1 = svc.hold("T", 1);
        assert_eq!(svc.waiting(), 2);
        {
            let n0 = h0.notified();
            let n1 = h1.notified();
            tokio::pin!(n0, n1);
            n0.as_mut().enable();
            n1.as_mut().enable();
            svc.notify_arrival("T", 0);
            tokio::time::timeout(Duration::from_secs(1), n0)
                .await
                .unwrap();
            let other = tokio::time::timeout(Duration::from_millis(20), n1).await;
            assert!(other.is_err());
        }
        drop(h0);
        drop(h1);
        assert_eq!(svc.waiting(), 0);
        // Nobody waiting: a no-op, and no entry is needed for unknown topics.
        svc.notify_arrival("U", 3);
        let odd = svc.hold("T", -1);
        drop(odd);
    }
}
