//! Counters for GET_BROKER_RUNTIME_INFO.

use std::sync::atomic::{AtomicU64, Ordering};

/// Relaxed counters updated on the put and get paths.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) put_message_times_total: AtomicU64,
    pub(crate) put_message_size_total: AtomicU64,
    pub(crate) put_message_failed_times: AtomicU64,
    pub(crate) get_found_times: AtomicU64,
    pub(crate) get_miss_times: AtomicU64,
    pub(crate) get_transferred_msg_count: AtomicU64,
    pub(crate) flush_disk_timeouts: AtomicU64,
}

impl Stats {
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}
