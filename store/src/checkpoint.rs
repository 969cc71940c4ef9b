//! The `checkpoint` file (STORAGE.md §8.1): one 4 KiB page holding the store
//! times of the last flushed CommitLog record, ConsumeQueue entry and index
//! entry. Recovery after a crash re-dispatches from the file whose first
//! record is older than `min(physic, logics) - 3 s`.

use crate::StoreError;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

const PAGE: usize = 4096;

/// Checkpoint values, updated in memory by flushers and written by [`Checkpoint::flush`].
#[derive(Debug)]
pub(crate) struct Checkpoint {
    path: PathBuf,
    file: File,
    /// Store time of the last flushed CommitLog record.
    pub(crate) physic_msg_timestamp: AtomicI64,
    /// Store time of the last flushed ConsumeQueue entry.
    pub(crate) logics_msg_timestamp: AtomicI64,
    /// Store time of the last flushed index entry.
    pub(crate) index_msg_timestamp: AtomicI64,
}

impl Checkpoint {
    /// Opens or creates the checkpoint at `path`.
    pub(crate) fn open(path: &Path) -> Result<Checkpoint, StoreError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| StoreError::io(path, e))?;
        let mut buf = [0u8; 24];
        let n = file
            .read_at(&mut buf, 0)
            .map_err(|e| StoreError::io(path, e))?;
        let v = |i: usize| {
            if n >= i + 8 {
                let mut a = [0u8; 8];
                a.copy_from_slice(&buf[i..i + 8]);
                i64::from_be_bytes(a)
            } else {
                0
            }
        };
        Ok(Checkpoint {
            path: path.to_path_buf(),
            file,
            physic_msg_timestamp: AtomicI64::new(v(0)),
            logics_msg_timestamp: AtomicI64::new(v(8)),
            index_msg_timestamp: AtomicI64::new(v(16)),
        })
    }

    /// `min(physic, logics) - 3000`, never negative (`messageIndexSafe`
    /// also takes the index timestamp into account).
    pub(crate) fn min_timestamp(&self, index_safe: bool) -> i64 {
        let p = self.physic_msg_timestamp.load(Ordering::Acquire);
        let l = self.logics_msg_timestamp.load(Ordering::Acquire);
        let mut m = (p.min(l) - 3000).max(0);
        if index_safe {
            m = m.min(self.index_msg_timestamp.load(Ordering::Acquire));
        }
        m
    }

    /// Raises a timestamp (values only move forward).
    pub(crate) fn advance(slot: &AtomicI64, ts: i64) {
        slot.fetch_max(ts, Ordering::AcqRel);
    }

    /// Writes the page and syncs it.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        let mut page = [0u8; PAGE];
        page[0..8].copy_from_slice(
            &self
                .physic_msg_timestamp
                .load(Ordering::Acquire)
                .to_be_bytes(),
        );
        page[8..16].copy_from_slice(
            &self
                .logics_msg_timestamp
                .load(Ordering::Acquire)
                .to_be_bytes(),
        );
        page[16..24].copy_from_slice(
            &self
                .index_msg_timestamp
                .load(Ordering::Acquire)
                .to_be_bytes(),
        );
        self.file
            .write_all_at(&page, 0)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| StoreError::io(&self.path, e))
    }
}
