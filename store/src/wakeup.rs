//! A cheap wake-up for a service thread: waking costs an atomic swap, plus
//! an `unpark` only when no wake-up is pending already.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::Duration;

/// Wakes one registered thread.
#[derive(Debug, Default)]
pub(crate) struct Wakeup {
    pending: AtomicBool,
    thread: OnceLock<Thread>,
}

impl Wakeup {
    /// Registers the calling thread as the one to wake.
    pub(crate) fn register(&self) {
        let _ = self.thread.set(std::thread::current());
    }

    /// Wakes the thread if it is not already due to wake.
    pub(crate) fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            if let Some(t) = self.thread.get() {
                t.unpark();
            }
        }
    }

    /// Waits until woken or `timeout` passes. Everything published before
    /// the wake is visible afterwards.
    pub(crate) fn wait(&self, timeout: Duration) {
        if !self.pending.swap(false, Ordering::AcqRel) {
            std::thread::park_timeout(timeout);
            self.pending.swap(false, Ordering::AcqRel);
        }
    }
}
