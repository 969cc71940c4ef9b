//! Injected time and disk usage, so retention and timestamps are testable.

use crate::mapped_file::sys;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the store asks of its environment. The default implementation
/// ([`SystemEnvironment`]) reads the system clock and `statvfs`.
pub trait Environment: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch (store timestamps, retention ages).
    fn now_ms(&self) -> i64;

    /// Local hour (0-23) of `now_ms`, matched against `deleteWhen`.
    fn local_hour(&self, now_ms: i64) -> u32 {
        sys::local_time(now_ms).3
    }

    /// Used fraction (0.0..=1.0) of the file system holding `path`.
    fn disk_used_ratio(&self, path: &Path) -> f64 {
        sys::disk_used_ratio(path).unwrap_or(0.0)
    }
}

/// The real clock and disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemEnvironment;

impl Environment for SystemEnvironment {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}
