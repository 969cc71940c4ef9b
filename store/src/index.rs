//! IndexFile (STORAGE.md §7): hash slots plus linked 20-byte entries keyed by
//! `topic#key`, for QUERY_MESSAGE by `KEYS` words and `UNIQ_KEY`.
//!
//! File layout: a 40-byte header (begin/end timestamp, begin/end physical
//! offset, used slots, index count starting at 1), `hashSlotNum` i32 slots
//! holding the newest entry number of their bucket, then `indexNum` entries
//! `(keyHash i32, phyOffset i64, timeDiff seconds i32, prevIndex i32)`.

use crate::mapped_file::{sys, MappedFile};
use crate::StoreError;
use parking_lot::RwLock;
use protocol::message::tag::java_string_hash;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const HEADER_SIZE: usize = 40;
const SLOT_SIZE: usize = 4;
const ENTRY_SIZE: usize = 20;

/// The hash of an index key: `abs(String.hashCode)`, with MIN_VALUE -> 0.
pub(crate) fn key_hash(key: &str) -> i32 {
    let h = java_string_hash(key);
    if h == i32::MIN {
        0
    } else {
        h.abs()
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Header {
    begin_ts: i64,
    end_ts: i64,
    begin_phy: i64,
    end_phy: i64,
    slot_count: i32,
    index_count: i32,
}

/// One index file.
#[derive(Debug)]
pub(crate) struct IndexFile {
    file: Arc<MappedFile>,
    slot_num: usize,
    index_num: usize,
    h: Header,
}

fn rd_i32(f: &MappedFile, pos: usize) -> i32 {
    f.raw_slice(pos, 4)
        .map_or(0, |b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn rd_i64(f: &MappedFile, pos: usize) -> i64 {
    f.raw_slice(pos, 8).map_or(0, |b| {
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        i64::from_be_bytes(a)
    })
}

impl IndexFile {
    fn file_size(slot_num: usize, index_num: usize) -> usize {
        HEADER_SIZE + slot_num * SLOT_SIZE + index_num * ENTRY_SIZE
    }

    fn create(
        path: &Path,
        slot_num: usize,
        index_num: usize,
        prev_end_phy: i64,
        prev_end_ts: i64,
    ) -> Result<IndexFile, StoreError> {
        let size = Self::file_size(slot_num, index_num);
        let file = MappedFile::create(path, 0, size).map_err(|e| StoreError::io(path, e))?;
        file.set_written_to_end();
        let mut f = IndexFile {
            file: Arc::new(file),
            slot_num,
            index_num,
            h: Header {
                index_count: 1,
                ..Header::default()
            },
        };
        if prev_end_phy > 0 {
            f.h.begin_phy = prev_end_phy;
            f.h.end_phy = prev_end_phy;
        }
        if prev_end_ts > 0 {
            f.h.begin_ts = prev_end_ts;
            f.h.end_ts = prev_end_ts;
        }
        f.write_header();
        Ok(f)
    }

    fn open(path: &Path, slot_num: usize, index_num: usize) -> Result<IndexFile, StoreError> {
        let size = Self::file_size(slot_num, index_num);
        let file = MappedFile::open(path, 0, size, false).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        file.set_written_to_end();
        let h = Header {
            begin_ts: rd_i64(&file, 0),
            end_ts: rd_i64(&file, 8),
            begin_phy: rd_i64(&file, 16),
            end_phy: rd_i64(&file, 24),
            slot_count: rd_i32(&file, 32),
            index_count: rd_i32(&file, 36).max(1),
        };
        Ok(IndexFile {
            file: Arc::new(file),
            slot_num,
            index_num,
            h,
        })
    }

    fn write_header(&self) {
        let mut b = [0u8; HEADER_SIZE];
        b[0..8].copy_from_slice(&self.h.begin_ts.to_be_bytes());
        b[8..16].copy_from_slice(&self.h.end_ts.to_be_bytes());
        b[16..24].copy_from_slice(&self.h.begin_phy.to_be_bytes());
        b[24..32].copy_from_slice(&self.h.end_phy.to_be_bytes());
        b[32..36].copy_from_slice(&self.h.slot_count.to_be_bytes());
        b[36..40].copy_from_slice(&self.h.index_count.to_be_bytes());
        self.file.overwrite(0, &b);
    }

    fn is_full(&self) -> bool {
        self.h.index_count as usize >= self.index_num
    }

    /// Adds `key` -> `phy`. False when the file is full.
    fn put(&mut self, key: &str, phy: i64, store_ts: i64) -> bool {
        if self.is_full() {
            return false;
        }
        let hash = key_hash(key);
        let slot_pos = HEADER_SIZE + (hash as usize % self.slot_num) * SLOT_SIZE;
        let mut slot_value = rd_i32(&self.file, slot_pos);
        if slot_value <= 0 || slot_value > self.h.index_count {
            slot_value = 0;
        }
        let time_diff = if self.h.begin_ts <= 0 {
            0
        } else {
            ((store_ts - self.h.begin_ts) / 1000).clamp(0, i32::MAX as i64) as i32
        };
        let count = self.h.index_count;
        let pos = HEADER_SIZE + self.slot_num * SLOT_SIZE + count as usize * ENTRY_SIZE;
        let mut e = [0u8; ENTRY_SIZE];
        e[0..4].copy_from_slice(&hash.to_be_bytes());
        e[4..12].copy_from_slice(&phy.to_be_bytes());
        e[12..16].copy_from_slice(&time_diff.to_be_bytes());
        e[16..20].copy_from_slice(&slot_value.to_be_bytes());
        self.file.overwrite(pos, &e);
        self.file.overwrite(slot_pos, &count.to_be_bytes());
        if count <= 1 {
            self.h.begin_phy = phy;
            self.h.begin_ts = store_ts;
        }
        if slot_value == 0 {
            self.h.slot_count += 1;
        }
        self.h.index_count += 1;
        self.h.end_phy = phy;
        self.h.end_ts = store_ts;
        self.write_header();
        true
    }

    fn time_matched(&self, begin: i64, end: i64) -> bool {
        (begin < self.h.begin_ts && end > self.h.end_ts)
            || (begin >= self.h.begin_ts && begin <= self.h.end_ts)
            || (end >= self.h.begin_ts && end <= self.h.end_ts)
    }

    fn select(&self, key: &str, max: usize, begin: i64, end: i64, out: &mut Vec<i64>) {
        let hash = key_hash(key);
        let slot_pos = HEADER_SIZE + (hash as usize % self.slot_num) * SLOT_SIZE;
        let slot_value = rd_i32(&self.file, slot_pos);
        if slot_value <= 0 || slot_value > self.h.index_count || self.h.index_count <= 1 {
            return;
        }
        let mut next = slot_value;
        let base = HEADER_SIZE + self.slot_num * SLOT_SIZE;
        while out.len() < max {
            let pos = base + next as usize * ENTRY_SIZE;
            let hash_read = rd_i32(&self.file, pos);
            let phy = rd_i64(&self.file, pos + 4);
            let diff = rd_i32(&self.file, pos + 12);
            let prev = rd_i32(&self.file, pos + 16);
            if diff < 0 {
                break;
            }
            let time = self.h.begin_ts + diff as i64 * 1000;
            if hash_read == hash && time >= begin && time <= end {
                out.push(phy);
            }
            if prev <= 0 || prev > self.h.index_count || prev == next || time < begin {
                break;
            }
            next = prev;
        }
    }
}

/// Index name for creation time `ms`: local `yyyyMMddHHmmssSSS`.
fn index_file_name(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = sys::local_time(ms);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{milli:03}")
}

/// All index files, oldest first. The dispatcher writes (write lock per
/// message); queries read.
#[derive(Debug)]
pub(crate) struct IndexService {
    dir: PathBuf,
    slot_num: usize,
    index_num: usize,
    files: RwLock<Vec<IndexFile>>,
}

impl IndexService {
    /// Loads the index files of `dir`.
    pub(crate) fn load(
        dir: &Path,
        slot_num: usize,
        index_num: usize,
    ) -> Result<IndexService, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| StoreError::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
            })
            .collect();
        names.sort();
        let mut files = Vec::new();
        for p in names {
            match IndexFile::open(&p, slot_num.max(1), index_num.max(2)) {
                Ok(f) => files.push(f),
                Err(e) => {
                    tracing::warn!(error = %e, "removing unreadable index file");
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        Ok(IndexService {
            dir: dir.to_path_buf(),
            slot_num: slot_num.max(1),
            index_num: index_num.max(2),
            files: RwLock::new(files),
        })
    }

    /// Recovery: drops files holding entries at or past `phy_end` and
    /// returns the lowest begin offset among them (to re-dispatch from).
    pub(crate) fn truncate_dirty(&self, phy_end: i64) -> Option<i64> {
        let mut files = self.files.write();
        let mut rebuild_from = None;
        while let Some(f) = files.last() {
            if f.h.end_phy < phy_end || f.h.index_count <= 1 {
                break;
            }
            rebuild_from = Some(f.h.begin_phy);
            f.file.destroy();
            files.pop();
        }
        rebuild_from
    }

    /// Indexes `topic#key` for each key of a dispatched record; `keys` are
    /// the `KEYS` property (space separated) and the `UNIQ_KEY`.
    pub(crate) fn build(
        &self,
        topic: &str,
        uniq: Option<&str>,
        keys: Option<&str>,
        phy: i64,
        store_ts: i64,
        now_ms: impl Fn() -> i64,
    ) -> Result<(), StoreError> {
        let mut files = self.files.write();
        if files.last().is_some_and(|f| phy < f.h.end_phy) {
            return Ok(()); // already indexed (re-dispatch)
        }
        let mut key = String::with_capacity(topic.len() + 40);
        let words = uniq
            .into_iter()
            .chain(keys.into_iter().flat_map(|k| k.split(' ')));
        for w in words.filter(|w| !w.is_empty()) {
            key.clear();
            key.push_str(topic);
            key.push('#');
            key.push_str(w);
            let need_new = !matches!(files.last(), Some(f) if !f.is_full());
            if need_new {
                let (ep, et) = files.last().map_or((0, 0), |f| (f.h.end_phy, f.h.end_ts));
                if let Some(full) = files.last() {
                    let _ = full.file.flush_all();
                }
                let mut ms = now_ms();
                let path = loop {
                    let p = self.dir.join(index_file_name(ms));
                    if !p.exists() {
                        break p;
                    }
                    ms += 1;
                };
                files.push(IndexFile::create(
                    &path,
                    self.slot_num,
                    self.index_num,
                    ep,
                    et,
                )?);
            }
            if let Some(f) = files.last_mut() {
                f.put(&key, phy, store_ts);
            }
        }
        Ok(())
    }

    /// Up to `max` CommitLog offsets for `topic#key` stored within
    /// `[begin, end]`, newest files first; plus the newest file's end
    /// timestamp and end offset.
    pub(crate) fn query(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> (Vec<i64>, i64, i64) {
        let files = self.files.read();
        let full_key = format!("{topic}#{key}");
        let mut out = Vec::new();
        let (mut last_ts, mut last_phy) = (0, 0);
        for (i, f) in files.iter().enumerate().rev() {
            if i + 1 == files.len() {
                last_ts = f.h.end_ts;
                last_phy = f.h.end_phy;
            }
            if f.time_matched(begin, end) {
                f.select(&full_key, max, begin, end, &mut out);
            }
            if f.h.begin_ts < begin || out.len() >= max {
                break;
            }
        }
        (out, last_ts, last_phy)
    }

    /// Flushes every file; returns the end timestamp of the newest full file
    /// flushed (for the checkpoint's index timestamp), if any.
    pub(crate) fn flush(&self) -> std::io::Result<i64> {
        let files = self.files.read();
        let mut ts = 0;
        for f in files.iter() {
            f.file.flush_all()?;
            ts = f.h.end_ts;
        }
        Ok(ts)
    }

    /// Retention: deletes files whose end offset is below `cl_min` (never the newest).
    pub(crate) fn delete_expired(&self, cl_min: i64) {
        let mut files = self.files.write();
        while files.len() > 1 && files[0].h.end_phy < cl_min {
            files[0].file.destroy();
            files.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_and_query_with_collisions_and_rollover() {
        let dir = tempfile::tempdir().unwrap();
        // 3 slots force collisions; 5 entries per file force new files.
        let svc = IndexService::load(dir.path(), 3, 5).unwrap();
        for i in 0..20i64 {
            let k = format!("k{}", i % 4);
            svc.build(
                "T",
                Some(&format!("u{i}")),
                Some(&format!("{k} all")),
                i * 100,
                1_000_000 + i * 1000,
                || 1_000_000 + i,
            )
            .unwrap();
        }
        let (offs, ts, phy) = svc.query("T", "all", 64, 0, i64::MAX);
        assert_eq!(offs.len(), 20, "{offs:?}");
        assert_eq!(ts, 1_000_000 + 19 * 1000);
        assert_eq!(phy, 1900);
        let (offs, _, _) = svc.query("T", "u7", 64, 0, i64::MAX);
        assert_eq!(offs, vec![700]);
        let (offs, _, _) = svc.query("T", "k1", 2, 0, i64::MAX);
        assert_eq!(offs.len(), 2);
        let (offs, _, _) = svc.query("Other", "u7", 64, 0, i64::MAX);
        assert!(offs.is_empty());
        // Reload from disk.
        drop(svc);
        let svc = IndexService::load(dir.path(), 3, 5).unwrap();
        let (offs, _, _) = svc.query("T", "u19", 64, 0, i64::MAX);
        assert_eq!(offs, vec![1900]);
        assert_eq!(key_hash("polygenelubricants"), 0);
    }
}
