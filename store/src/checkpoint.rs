//! The `checkpoint` file (STORAGE.md §8.1): one 4 KiB page holding the store
//! times of the last flushed CommitLog record, ConsumeQueue entry and index
//! entry (Java's three fields at 0, 8 and 16), Java 5's two offsets at 24
//! and 32 (kept as read, never interpreted), and this store's recovery
//! offsets at 40:
//!
//! | Offset | Size | Field |
//! |---|---|---|
//! | 40 | 8 | magic `RSRECOV1` |
//! | 48 | 8 | CommitLog offset flushed (a record boundary; -1 unknown) |
//! | 56 | 8 | CommitLog offset below which every record's ConsumeQueue and index entries were flushed (-1 unknown) |
//! | 64 | 4 | CRC32 of bytes 40..64 |
//!
//! Recovery starts from these offsets when they are present and check out
//! (see `recovery.rs`); otherwise (a Java or older checkpoint, a torn page)
//! it falls back to the timestamps: after a crash it re-dispatches from the
//! file whose first record is older than `min(physic, logics) - 3 s`.

use crate::StoreError;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

const PAGE: usize = 4096;
/// Where Java 5's masterFlushedOffset and confirmPhyOffset live.
const JAVA5_AT: usize = 24;
/// Where the recovery offsets start (after Java 5's fields).
const SAFE_AT: usize = 40;
/// Marks the recovery offsets (and their layout version).
const SAFE_MAGIC: [u8; 8] = *b"RSRECOV1";
/// Magic, two offsets, CRC32.
const SAFE_LEN: usize = 8 + 8 + 8 + 4;

/// The recovery offsets found in the checkpoint file at open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SafeOffsets {
    /// CommitLog offset up to which the log was flushed.
    pub(crate) commit_log: Option<u64>,
    /// Offset below which every record's queue and index entries were flushed.
    pub(crate) dispatched: Option<u64>,
}

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
    /// Java 5's masterFlushedOffset and confirmPhyOffset, written back as read.
    java5: [u8; 16],
    /// The recovery offsets as read at open.
    saved: SafeOffsets,
    /// CommitLog offset up to which the log is flushed (a record
    /// boundary); -1 unknown.
    pub(crate) commit_log_flushed: AtomicI64,
    /// CommitLog offset below which every record's ConsumeQueue and index
    /// entries are flushed; -1 unknown.
    pub(crate) dispatch_flushed: AtomicI64,
    /// Set by crash recovery: queue entries found at open may exist only in
    /// the page cache, so the queue files must be synced as a whole before
    /// `dispatch_flushed` may move on.
    pub(crate) resync_logics: AtomicBool,
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

/// Parses the recovery offsets from the first bytes of the page (`n` of
/// them were read); None when absent or not intact.
fn parse_safe(buf: &[u8], n: usize) -> SafeOffsets {
    let end = SAFE_AT + SAFE_LEN;
    if n < end || buf.len() < end || buf[SAFE_AT..SAFE_AT + 8] != SAFE_MAGIC {
        return SafeOffsets::default();
    }
    let crc = u32::from_be_bytes([buf[end - 4], buf[end - 3], buf[end - 2], buf[end - 1]]);
    if crc32fast::hash(&buf[SAFE_AT..end - 4]) != crc {
        return SafeOffsets::default();
    }
    let off = |at| u64::try_from(be_i64(buf, at)).ok();
    SafeOffsets {
        commit_log: off(SAFE_AT + 8),
        dispatched: off(SAFE_AT + 16),
    }
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
        let mut buf = [0u8; SAFE_AT + SAFE_LEN];
        let mut n = 0;
        while n < buf.len() {
            match file.read_at(&mut buf[n..], n as u64) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StoreError::io(path, e)),
            }
        }
        let v = |i: usize| if n >= i + 8 { be_i64(&buf, i) } else { 0 };
        let mut java5 = [0u8; 16];
        if n >= JAVA5_AT + 16 {
            java5.copy_from_slice(&buf[JAVA5_AT..JAVA5_AT + 16]);
        }
        let saved = parse_safe(&buf, n);
        let as_i64 = |o: Option<u64>| o.and_then(|o| i64::try_from(o).ok()).unwrap_or(-1);
        Ok(Checkpoint {
            path: path.to_path_buf(),
            file,
            physic_msg_timestamp: AtomicI64::new(v(0)),
            logics_msg_timestamp: AtomicI64::new(v(8)),
            index_msg_timestamp: AtomicI64::new(v(16)),
            java5,
            saved,
            commit_log_flushed: AtomicI64::new(as_i64(saved.commit_log)),
            dispatch_flushed: AtomicI64::new(as_i64(saved.dispatched)),
            resync_logics: AtomicBool::new(false),
        })
    }

    /// The recovery offsets as read at open (absent fields are None).
    pub(crate) fn saved_offsets(&self) -> SafeOffsets {
        self.saved
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

    /// Raises a timestamp or offset (values only move forward).
    pub(crate) fn advance(slot: &AtomicI64, v: i64) {
        slot.fetch_max(v, Ordering::AcqRel);
    }

    /// The page as [`Checkpoint::flush`] writes it.
    fn page(&self) -> [u8; PAGE] {
        let mut page = [0u8; PAGE];
        let ld = |a: &AtomicI64| a.load(Ordering::Acquire).to_be_bytes();
        page[0..8].copy_from_slice(&ld(&self.physic_msg_timestamp));
        page[8..16].copy_from_slice(&ld(&self.logics_msg_timestamp));
        page[16..24].copy_from_slice(&ld(&self.index_msg_timestamp));
        page[JAVA5_AT..JAVA5_AT + 16].copy_from_slice(&self.java5);
        let end = SAFE_AT + SAFE_LEN;
        page[SAFE_AT..SAFE_AT + 8].copy_from_slice(&SAFE_MAGIC);
        page[SAFE_AT + 8..SAFE_AT + 16].copy_from_slice(&ld(&self.commit_log_flushed));
        page[SAFE_AT + 16..SAFE_AT + 24].copy_from_slice(&ld(&self.dispatch_flushed));
        let crc = crc32fast::hash(&page[SAFE_AT..end - 4]);
        page[end - 4..end].copy_from_slice(&crc.to_be_bytes());
        page
    }

    /// Writes the page and syncs it.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        self.file
            .write_all_at(&self.page(), 0)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| StoreError::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn offsets_round_trip_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint");
        let c = Checkpoint::open(&path).unwrap();
        assert_eq!(c.saved_offsets(), SafeOffsets::default());
        c.physic_msg_timestamp.store(7, Ordering::Release);
        c.commit_log_flushed.store(1 << 33, Ordering::Release);
        c.dispatch_flushed.store(12345, Ordering::Release);
        c.flush().unwrap();
        drop(c);
        let c = Checkpoint::open(&path).unwrap();
        let want = SafeOffsets {
            commit_log: Some(1 << 33),
            dispatched: Some(12345),
        };
        assert_eq!(c.saved_offsets(), want);
        assert_eq!(c.physic_msg_timestamp.load(Ordering::Acquire), 7);
        // Unknown (-1) stays unknown.
        c.dispatch_flushed.store(-1, Ordering::Release);
        c.flush().unwrap();
        let c = Checkpoint::open(&path).unwrap();
        assert_eq!(c.saved_offsets().dispatched, None);
        assert_eq!(c.saved_offsets().commit_log, Some(1 << 33));
        // One flipped bit in an offset: the CRC rejects both.
        let mut page = std::fs::read(&path).unwrap();
        page[SAFE_AT + 9] ^= 1;
        std::fs::write(&path, &page).unwrap();
        let c = Checkpoint::open(&path).unwrap();
        assert_eq!(c.saved_offsets(), SafeOffsets::default());
        assert_eq!(c.physic_msg_timestamp.load(Ordering::Acquire), 7);
    }

    #[test]
    fn java_fields_are_kept_and_a_24_byte_file_has_no_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint");
        let mut page = vec![0u8; PAGE];
        page[0..8].copy_from_slice(&5i64.to_be_bytes());
        page[24..32].copy_from_slice(&77i64.to_be_bytes());
        page[32..40].copy_from_slice(&88i64.to_be_bytes());
        std::fs::write(&path, &page).unwrap();
        let c = Checkpoint::open(&path).unwrap();
        assert_eq!(c.saved_offsets(), SafeOffsets::default());
        c.flush().unwrap();
        let page = std::fs::read(&path).unwrap();
        assert_eq!(be_i64(&page, 24), 77);
        assert_eq!(be_i64(&page, 32), 88);
        std::fs::write(&path, &page[..24]).unwrap();
        let c = Checkpoint::open(&path).unwrap();
        assert_eq!(c.saved_offsets(), SafeOffsets::default());
        assert_eq!(c.physic_msg_timestamp.load(Ordering::Acquire), 5);
    }
}
