//! Retention (STORAGE.md §10): CommitLog files older than `fileReservedTime`
//! hours are deleted at a `deleteWhen` hour, at once when disk use passes
//! `diskMaxUsedSpaceRatio`, or unconditionally past
//! `diskSpaceCleanForciblyRatio`; the newest file is never deleted. Consume
//! queues and index files follow the CommitLog's new min offset. Above
//! `diskSpaceWarningLevelRatio` appends are refused until usage drops.
//!
//! Deleting a file only removes it from its queue and unlinks it: readers
//! holding it (including `Bytes` handed to the broker) keep the mapping.

use crate::store::Inner;
use std::sync::atomic::Ordering;
use std::time::{Duration, UNIX_EPOCH};

/// At most this many CommitLog files per round (`DELETE_FILES_BATCH_MAX`).
const DELETE_FILES_BATCH_MAX: usize = 10;

/// The clean thread.
pub(crate) fn cleaner(inner: &Inner) {
    inner.cleaner_wake.register();
    let interval = Duration::from_millis(inner.config.clean_resource_interval.max(10));
    while !inner.shutdown.load(Ordering::Acquire) {
        inner.cleaner_wake.wait(interval);
        if inner.shutdown.load(Ordering::Acquire) {
            break;
        }
        run_once(inner, false);
    }
}

fn hour_listed(delete_when: &str, hour: u32) -> bool {
    delete_when
        .split(';')
        .filter_map(|h| h.trim().parse::<u32>().ok())
        .any(|h| h == hour)
}

/// One retention round; returns the number of CommitLog files deleted.
pub(crate) fn run_once(inner: &Inner, manual: bool) -> usize {
    let cfg = &inner.config;
    let now = inner.env.now_ms();
    let ratio = inner.env.disk_used_ratio(&cfg.commit_log_dir());
    let full = ratio > cfg.disk_space_warning_level_ratio as f64 / 100.0;
    if inner.disk_full.swap(full, Ordering::AcqRel) != full {
        if full {
            tracing::error!(ratio, "disk full: refusing appends");
        } else {
            tracing::info!(ratio, "disk usage back to normal: accepting appends");
        }
    }
    let time_up = hour_listed(&cfg.delete_when, inner.env.local_hour(now));
    let space_up = ratio > cfg.disk_max_used_space_ratio as f64 / 100.0;
    let forcibly = cfg.clean_file_forcibly_enable
        && ratio > cfg.disk_space_clean_forcibly_ratio as f64 / 100.0;
    let mut deleted = 0;
    if time_up || space_up || manual {
        let reserved_ms = cfg.file_reserved_time as i64 * 3_600_000;
        let files = inner.commit_log.files();
        while deleted < DELETE_FILES_BATCH_MAX && files.len() > 1 {
            let Some(f) = files.first() else { break };
            let mtime = std::fs::metadata(f.path())
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis() as i64);
            if !(now >= mtime + reserved_ms || forcibly) {
                break;
            }
            tracing::info!(file = %f.path().display(), forcibly, "deleting expired CommitLog file");
            files.delete_first();
            deleted += 1;
            let pause = cfg.delete_commit_log_files_interval;
            if pause > 0 && !inner.shutdown.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(pause.min(1000)));
            }
        }
    }
    let cl_min = inner.commit_log.min_offset() as i64;
    for q in inner.queues.all() {
        q.delete_expired(cl_min);
    }
    if let Some(index) = &inner.index {
        index.delete_expired(cl_min);
    }
    deleted
}

#[cfg(test)]
mod tests {
    #[test]
    fn delete_when_hours() {
        assert!(super::hour_listed("04", 4));
        assert!(super::hour_listed("03;04; 05", 5));
        assert!(!super::hour_listed("04", 5));
        assert!(!super::hour_listed("", 0));
    }
}
