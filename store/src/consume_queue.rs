//! ConsumeQueue: per topic and queue, 20-byte entries `(CommitLog offset:
//! i64, size: i32, tag code: i64)` indexing the CommitLog (STORAGE.md §5).
//! Logical offset `k` lives at byte `k * 20` of the queue's files.
//!
//! One writer (the dispatcher, or recovery) appends; readers look only below
//! the published write position.

use crate::mapped_file::MappedFile;
use crate::mapped_queue::MappedFileQueue;
use crate::StoreError;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Bytes of one entry (`CQ_STORE_UNIT_SIZE`).
pub const CQ_UNIT_SIZE: u64 = 20;

/// Size field of a blank filler entry.
const BLANK_SIZE: i32 = i32::MAX;

/// One ConsumeQueue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CqEntry {
    /// CommitLog offset of the record.
    pub(crate) phy: i64,
    /// Record size.
    pub(crate) size: i32,
    /// Tag hash code (or delivery time for the schedule topic).
    pub(crate) tag_code: i64,
}

impl CqEntry {
    fn parse(b: &[u8]) -> CqEntry {
        let mut p = [0u8; 8];
        p.copy_from_slice(&b[0..8]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&b[12..20]);
        CqEntry {
            phy: i64::from_be_bytes(p),
            size: i32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            tag_code: i64::from_be_bytes(t),
        }
    }

    fn encode(&self) -> [u8; 20] {
        let mut b = [0u8; 20];
        b[0..8].copy_from_slice(&self.phy.to_be_bytes());
        b[8..12].copy_from_slice(&self.size.to_be_bytes());
        b[12..20].copy_from_slice(&self.tag_code.to_be_bytes());
        b
    }

    /// A real entry (not zero fill, not a blank filler).
    pub(crate) fn is_valid(&self) -> bool {
        self.phy >= 0 && self.size > 0 && self.size != BLANK_SIZE
    }
}

/// A run of entries inside one ConsumeQueue file.
#[derive(Debug)]
pub(crate) struct CqSlice {
    file: Arc<MappedFile>,
    pos: usize,
    count: usize,
}

impl CqSlice {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Entry `i` of the run.
    pub(crate) fn get(&self, i: usize) -> Option<CqEntry> {
        if i >= self.count {
            return None;
        }
        let unit = CQ_UNIT_SIZE as usize;
        self.file
            .slice(self.pos + i * unit, unit)
            .map(CqEntry::parse)
    }
}

/// The consume queue of one (topic, queue id).
#[derive(Debug)]
pub(crate) struct ConsumeQueue {
    topic: String,
    queue_id: i32,
    files: MappedFileQueue,
    /// First valid logical offset.
    min_logic: AtomicI64,
    /// End (offset + size) of the last indexed record.
    max_phy_end: AtomicI64,
}

impl ConsumeQueue {
    /// Opens (or prepares to create) the queue stored in `dir`.
    pub(crate) fn load(
        dir: &Path,
        topic: &str,
        queue_id: i32,
        file_size: u64,
    ) -> Result<ConsumeQueue, StoreError> {
        Ok(ConsumeQueue {
            topic: topic.to_string(),
            queue_id,
            files: MappedFileQueue::load(dir, file_size)?,
            min_logic: AtomicI64::new(0),
            max_phy_end: AtomicI64::new(0),
        })
    }

    /// Topic of the queue.
    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    /// Queue id.
    pub(crate) fn queue_id(&self) -> i32 {
        self.queue_id
    }

    /// Offset the next entry gets (number of entries incl. deleted ones).
    pub(crate) fn max_offset(&self) -> i64 {
        (self.files.max_offset() / CQ_UNIT_SIZE) as i64
    }

    /// First logical offset still valid.
    pub(crate) fn min_offset(&self) -> i64 {
        let first = (self.files.min_offset() / CQ_UNIT_SIZE) as i64;
        self.min_logic.load(Ordering::Acquire).max(first)
    }

    /// End of the last indexed CommitLog record (0 if none).
    pub(crate) fn max_phy_end(&self) -> i64 {
        self.max_phy_end.load(Ordering::Acquire)
    }

    /// Recovery: finds the last valid entry (scanning from the third-last
    /// file), truncates after it and sets min/max bookkeeping.
    pub(crate) fn recover(&self) {
        let files = self.files.files();
        let unit = CQ_UNIT_SIZE as usize;
        let mut end = self.files.min_offset();
        let mut last_phy_end = 0i64;
        let start_idx = files.len().saturating_sub(3);
        if let Some(f) = files.get(start_idx) {
            end = f.start();
        }
        'files: for f in files.iter().skip(start_idx) {
            let mut pos = 0;
            while pos + unit <= f.size() {
                let Some(b) = f.raw_slice(pos, unit) else {
                    break 'files;
                };
                let e = CqEntry::parse(b);
                if e.phy < 0 || e.size <= 0 {
                    break 'files;
                }
                if e.is_valid() {
                    last_phy_end = e.phy + e.size as i64;
                }
                pos += unit;
                end = f.start() + pos as u64;
            }
        }
        self.files.truncate_to(end);
        self.max_phy_end.store(last_phy_end, Ordering::Release);
        self.refresh_min_logic();
    }

    /// Sets the min logical offset to the first valid entry of the first file.
    fn refresh_min_logic(&self) {
        if let Some(f) = self.files.first() {
            let unit = CQ_UNIT_SIZE as usize;
            let mut pos = 0;
            while let Some(b) = f.slice(pos, unit) {
                if CqEntry::parse(b).is_valid() {
                    break;
                }
                pos += unit;
            }
            self.min_logic.store(
                ((f.start() + pos as u64) / CQ_UNIT_SIZE) as i64,
                Ordering::Release,
            );
        }
    }

    /// Appends the entry for logical offset `logical`. Duplicates (offset
    /// already present, e.g. re-dispatch after recovery) are skipped; a gap
    /// is filled with blank entries. Returns whether the entry was written.
    pub(crate) fn put(&self, logical: i64, entry: CqEntry) -> Result<bool, StoreError> {
        if logical < 0 {
            return Ok(false);
        }
        let want = logical as u64 * CQ_UNIT_SIZE;
        let mut cur = self.files.max_offset();
        if self.files.len() == 0 && want > 0 {
            // New queue starting past 0: start at the file holding `want`.
            let fs = self.files.file_size();
            self.files.create_file(want / fs * fs)?;
            cur = want / fs * fs;
            self.min_logic.store(logical, Ordering::Release);
        }
        if want < cur {
            return Ok(false);
        }
        if want > cur {
            tracing::warn!(topic = %self.topic, queue = self.queue_id, expected = cur / CQ_UNIT_SIZE, got = logical, "consume queue gap, filling blanks");
            let blank = CqEntry {
                phy: 0,
                size: BLANK_SIZE,
                tag_code: 0,
            };
            while cur < want {
                self.append_raw(&blank)?;
                cur += CQ_UNIT_SIZE;
            }
        }
        self.append_raw(&entry)?;
        let end = entry.phy + entry.size as i64;
        if end > self.max_phy_end.load(Ordering::Relaxed) {
            self.max_phy_end.store(end, Ordering::Release);
        }
        Ok(true)
    }

    fn append_raw(&self, entry: &CqEntry) -> Result<(), StoreError> {
        let f = match self.files.last() {
            Some(f) if !f.is_full() => f,
            Some(f) => self.files.create_file(f.start() + self.files.file_size())?,
            None => self.files.create_file(0)?,
        };
        // The size field (validity) goes last.
        if !f.append_committed(f.wrote_position(), &entry.encode(), 8..12) {
            return Err(StoreError::Corrupt {
                path: f.path().to_path_buf(),
                reason: "consume queue entry does not fit".into(),
            });
        }
        Ok(())
    }

    /// The entry at `logical`, if written and not deleted.
    pub(crate) fn entry(&self, logical: i64) -> Option<CqEntry> {
        let (f, pos) = self.locate(logical)?;
        f.slice(pos, CQ_UNIT_SIZE as usize).map(CqEntry::parse)
    }

    fn locate(&self, logical: i64) -> Option<(Arc<MappedFile>, usize)> {
        let byte = u64::try_from(logical).ok()?.checked_mul(CQ_UNIT_SIZE)?;
        let f = self.files.find(byte)?;
        Some((Arc::clone(&f), (byte - f.start()) as usize))
    }

    /// Entries from `logical` to the end of the written data of the file
    /// holding it (at most `max` entries). None when nothing is readable
    /// there (`OFFSET_FOUND_NULL`).
    pub(crate) fn read_from(&self, logical: i64, max: usize) -> Option<CqSlice> {
        let (file, pos) = self.locate(logical)?;
        let avail = file.wrote_position().saturating_sub(pos) / CQ_UNIT_SIZE as usize;
        let count = avail.min(max);
        (count > 0).then_some(CqSlice { file, pos, count })
    }

    /// Logical offset of the first entry of the file after the one holding
    /// `logical` (where a reader skips to after `OFFSET_FOUND_NULL`).
    pub(crate) fn roll_next_file(&self, logical: i64) -> i64 {
        let per_file = (self.files.file_size() / CQ_UNIT_SIZE) as i64;
        logical - logical.rem_euclid(per_file) + per_file
    }

    /// Drops entries pointing at or past `phy_end` (recovery after the
    /// CommitLog was cut there).
    pub(crate) fn truncate_dirty(&self, phy_end: i64) {
        let files = self.files.files();
        let unit = CQ_UNIT_SIZE as usize;
        let mut cut: Option<u64> = None;
        let mut last_phy_end = 0;
        'outer: for f in files.iter() {
            let wrote = f.wrote_position();
            let mut pos = 0;
            while pos + unit <= wrote {
                let Some(b) = f.slice(pos, unit) else { break };
                let e = CqEntry::parse(b);
                if e.is_valid() {
                    if e.phy + e.size as i64 > phy_end {
                        cut = Some(f.start() + pos as u64);
                        break 'outer;
                    }
                    last_phy_end = e.phy + e.size as i64;
                }
                pos += unit;
            }
        }
        if let Some(c) = cut {
            self.files.truncate_to(c);
            self.max_phy_end.store(last_phy_end, Ordering::Release);
        }
    }

    /// Retention: deletes files whose last entry points below `cl_min` (the
    /// last file is kept) and moves the min offset to the first entry at or
    /// past `cl_min`. Returns the number of files deleted.
    pub(crate) fn delete_expired(&self, cl_min: i64) -> usize {
        let mut deleted = 0;
        while self.files.len() > 1 {
            let Some(f) = self.files.first() else { break };
            let unit = CQ_UNIT_SIZE as usize;
            let last = f.size() / unit * unit;
            let expired = match f.slice(last - unit, unit) {
                Some(b) => {
                    let e = CqEntry::parse(b);
                    e.phy + e.size as i64 <= cl_min || !e.is_valid() && e.phy < cl_min
                }
                None => false,
            };
            if !expired {
                break;
            }
            self.files.delete_first();
            deleted += 1;
        }
        self.correct_min_offset(cl_min);
        deleted
    }

    /// Moves the min offset to the first entry whose record is still in the
    /// CommitLog (offset >= `cl_min`).
    pub(crate) fn correct_min_offset(&self, cl_min: i64) {
        let min = self.min_offset();
        let max = self.max_offset();
        let mut lo = min;
        // Linear from the current min is fine: it only moves forward.
        while lo < max {
            match self.entry(lo) {
                Some(e) if e.is_valid() && e.phy >= cl_min => break,
                Some(_) => lo += 1,
                None => break,
            }
        }
        if lo > min {
            self.min_logic.store(lo, Ordering::Release);
        }
    }

    /// The newest entry, if it is a real one (recovery checks that it points
    /// at a record ending where the CommitLog's checkpoint says).
    pub(crate) fn last_entry(&self) -> Option<CqEntry> {
        let e = self.entry(self.max_offset() - 1)?;
        e.is_valid().then_some(e)
    }

    /// CommitLog offset of the oldest entry not flushed yet (None when every
    /// written entry is flushed). Blank fillers are skipped.
    pub(crate) fn first_unflushed_phy(&self) -> Option<u64> {
        let mut logical = (self.files.flushed_where() / CQ_UNIT_SIZE) as i64;
        let max = self.max_offset();
        while logical < max {
            let e = self.entry(logical)?;
            if e.is_valid() {
                return u64::try_from(e.phy).ok();
            }
            logical += 1;
        }
        None
    }

    /// Syncs every file of the queue as a whole.
    pub(crate) fn sync_all(&self) -> std::io::Result<()> {
        self.files.sync_all()
    }

    /// Flushes dirty pages (`least_pages` 0 = all).
    pub(crate) fn flush(&self, least_pages: usize) -> std::io::Result<u64> {
        self.files.flush(least_pages)
    }

    /// Deletes all files of the queue.
    pub(crate) fn destroy(&self) {
        self.files.destroy();
    }
}
