//! Memory-mapped, fixed-size, preallocated files. All `unsafe` of the crate
//! lives in this module (and its `sys` child for libc calls).
//!
//! A [`MappedFile`] has one writer at a time (the owner's lock guarantees
//! it) and any number of readers. The writer copies into the region past the
//! published write position and then publishes the new position with a
//! release store; readers only look below a published position (acquire), so
//! no byte is read while it is written. Readers hold an `Arc<MappedFile>` (or a
//! `Bytes` made by [`MappedFile::bytes`]) which keeps the mapping alive even
//! after the file was deleted from its queue and unlinked.

pub(crate) mod sys;

use bytes::Bytes;
use memmap2::MmapRaw;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// OS page size assumed for "least pages" flush thresholds.
pub(crate) const OS_PAGE_SIZE: usize = 4096;

/// The 20-digit zero-padded file name of a start offset.
pub(crate) fn offset_to_file_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// The writes of [`MappedFile::write_run`], in order, through `write(offset
/// in run, bytes)`: `run` with the 4-byte words at `commits` zeroed, then the
/// span from the first to the last of those words with their values. `run`
/// is unchanged afterwards (also on error).
fn write_in_commit_order(
    run: &mut [u8],
    commits: &[usize],
    mut write: impl FnMut(usize, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let words: Vec<[u8; 4]> = commits
        .iter()
        .map(|&at| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&run[at..at + 4]);
            run[at..at + 4].fill(0);
            w
        })
        .collect();
    let first = write(0, run);
    for (&at, w) in commits.iter().zip(&words) {
        run[at..at + 4].copy_from_slice(w);
    }
    first?;
    match (commits.iter().min(), commits.iter().max()) {
        (Some(&from), Some(&last)) => write(from, &run[from..last + 4]),
        _ => Ok(()),
    }
}

/// One mapped file of a queue of files.
pub(crate) struct MappedFile {
    path: PathBuf,
    file: File,
    map: MmapRaw,
    start: u64,
    size: usize,
    wrote: AtomicUsize,
    flushed: AtomicUsize,
    unlink_on_drop: AtomicBool,
}

impl std::fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFile")
            .field("path", &self.path)
            .field("start", &self.start)
            .field("wrote", &self.wrote_position())
            .finish()
    }
}

impl MappedFile {
    /// Creates a new file of `size` bytes, reserving its blocks on disk (so a
    /// full disk fails here, not later as SIGBUS on a page fault) and maps it.
    pub(crate) fn create(path: &Path, start: u64, size: usize) -> io::Result<MappedFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        if let Err(e) = sys::preallocate(&file, size as u64) {
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Self::map(path.to_path_buf(), file, start, size)
    }

    /// Maps an existing file, which must be exactly `size` bytes long. Write
    /// and flush positions start at 0 (recovery sets them).
    /// With `extend_short`, a shorter file (a torn last file) is first
    /// extended with zeros to `size`.
    pub(crate) fn open(
        path: &Path,
        start: u64,
        size: usize,
        extend_short: bool,
    ) -> io::Result<MappedFile> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let mut len = file.metadata()?.len();
        if extend_short && len < size as u64 {
            sys::preallocate(&file, size as u64)?;
            len = file.metadata()?.len();
        }
        if len != size as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("file size {len}, expected {size}"),
            ));
        }
        Self::map(path.to_path_buf(), file, start, size)
    }

    fn map(path: PathBuf, file: File, start: u64, size: usize) -> io::Result<MappedFile> {
        let map = MmapRaw::map_raw(&file)?;
        if map.len() < size {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "short mapping"));
        }
        Ok(MappedFile {
            path,
            file,
            map,
            start,
            size,
            wrote: AtomicUsize::new(0),
            flushed: AtomicUsize::new(0),
            unlink_on_drop: AtomicBool::new(false),
        })
    }

    /// Path of the file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Global offset of the file's first byte (its name).
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// File size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Published write position.
    pub(crate) fn wrote_position(&self) -> usize {
        self.wrote.load(Ordering::Acquire)
    }

    /// Flushed position.
    pub(crate) fn flushed_position(&self) -> usize {
        self.flushed.load(Ordering::Acquire)
    }

    /// Whether the file is written to its end.
    pub(crate) fn is_full(&self) -> bool {
        self.wrote_position() >= self.size
    }

    /// Sets write and flush positions (recovery and truncation only).
    pub(crate) fn set_positions(&self, pos: usize) {
        let pos = pos.min(self.size);
        self.wrote.store(pos, Ordering::Release);
        self.flushed.store(pos, Ordering::Release);
    }

    /// Lowers the flushed position to `pos` (crash recovery: bytes found in
    /// the page cache at open may not be on disk yet, so the flusher must
    /// sync them again).
    pub(crate) fn set_flushed_at_most(&self, pos: usize) {
        self.flushed.fetch_min(pos, Ordering::AcqRel);
    }

    /// Marks the file written to its end (after the end-of-file blank).
    pub(crate) fn set_written_to_end(&self) {
        self.wrote.store(self.size, Ordering::Release);
    }

    /// Copies `data` to `pos` (which must be the write position) and
    /// publishes `pos + data.len()` as the new write position; false (and
    /// nothing written) if it does not fit. The bytes `commit` (a range of
    /// `data`) are written last, after a release fence: a process killed in
    /// the middle of the copy leaves those bytes zero, which marks the
    /// record or entry invalid for recovery (files are zero-filled ahead of
    /// the writer).
    pub(crate) fn append_committed(
        &self,
        pos: usize,
        data: &[u8],
        commit: std::ops::Range<usize>,
    ) -> bool {
        if pos != self.wrote.load(Ordering::Acquire)
            || pos + data.len() > self.size
            || commit.start > commit.end
            || commit.end > data.len()
        {
            return false;
        }
        let copy = |from: usize, to: usize| {
            // SAFETY: in bounds (checked above) and past the published write
            // position, so no reader looks at it; the caller (the owning
            // queue's lock) is the only writer.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    data.as_ptr().add(from),
                    self.map.as_mut_ptr().add(pos + from),
                    to - from,
                );
            }
        };
        copy(0, commit.start);
        copy(commit.end, data.len());
        std::sync::atomic::fence(Ordering::Release);
        copy(commit.start, commit.end);
        self.wrote.store(pos + data.len(), Ordering::Release);
        true
    }

    /// Writes `run`, whole records starting at `pos` (which must be the
    /// write position), through the file descriptor (`pwrite`) instead of
    /// stores into the mapping, so the pages are dirtied in the page cache
    /// only: a later flush then writes just the blocks written, and finds
    /// no writable mapping to clean (see the CommitLog's write modes). Then
    /// publishes `pos + run.len()` as the new write position.
    ///
    /// `commits` are the offsets in `run` of the records that cross a page
    /// boundary. A write cut short by a kill stops at a page boundary, so
    /// such a record could be left with its TOTALSIZE (first 4 bytes) but
    /// not its tail. Hence two writes: the run with those TOTALSIZE words
    /// zeroed (a record of size 0 ends recovery), then, once it is whole,
    /// the span from the first to the last of those words with their
    /// values; whatever that second write leaves undone, every record
    /// before its stop is whole and every record after it still has size 0.
    /// A record within one page is written all or nothing. `run` is
    /// unchanged afterwards.
    /// `Ok(false)` (nothing written) if it does not fit or `pos` is not the
    /// write position.
    pub(crate) fn write_run(
        &self,
        pos: usize,
        run: &mut [u8],
        commits: &[usize],
    ) -> io::Result<bool> {
        use std::os::unix::fs::FileExt;
        if pos != self.wrote.load(Ordering::Acquire)
            || pos + run.len() > self.size
            || commits.iter().any(|&at| at + 4 > run.len())
        {
            return Ok(false);
        }
        write_in_commit_order(run, commits, |at, bytes| {
            self.file.write_all_at(bytes, (pos + at) as u64)
        })?;
        self.wrote.store(pos + run.len(), Ordering::Release);
        Ok(true)
    }

    /// Writes zeros over `[pos, pos+len)` through the file descriptor, so
    /// the range's blocks become written (no longer unwritten, preallocated
    /// extents) once flushed. Only for ranges no writer uses (see the
    /// CommitLog's zero-ahead).
    pub(crate) fn write_zeros(&self, pos: usize, len: usize) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
        let end = pos.saturating_add(len).min(self.size);
        let mut p = pos;
        while p < end {
            let n = (end - p).min(ZEROS.len());
            self.file.write_all_at(&ZEROS[..n], p as u64)?;
            p += n;
        }
        Ok(())
    }

    /// fdatasync of the whole file.
    pub(crate) fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Overwrites bytes below the write position (header fields of an index
    /// file, ConsumeQueue blank fill). Only the single writer may call it.
    pub(crate) fn overwrite(&self, pos: usize, data: &[u8]) -> bool {
        if pos + data.len() > self.size {
            return false;
        }
        // SAFETY: in bounds (checked); the caller is the only writer, and
        // readers of these regions tolerate torn values (they validate).
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.map.as_mut_ptr().add(pos),
                data.len(),
            );
        }
        true
    }

    /// The bytes `[pos, pos+len)` if they lie below the published write
    /// position.
    pub(crate) fn slice(&self, pos: usize, len: usize) -> Option<&[u8]> {
        let end = pos.checked_add(len)?;
        if end > self.wrote_position() {
            return None;
        }
        // SAFETY: in bounds and below the published write position, which the
        // writer never touches again (except via `overwrite`, used only on
        // files whose readers validate what they read).
        Some(unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(pos), len) })
    }

    /// The bytes `[pos, pos+len)` regardless of the write position; for
    /// recovery and index files, where there is no concurrent appender.
    pub(crate) fn raw_slice(&self, pos: usize, len: usize) -> Option<&[u8]> {
        let end = pos.checked_add(len)?;
        if end > self.size {
            return None;
        }
        // SAFETY: in bounds of the mapping.
        Some(unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(pos), len) })
    }

    /// A zero-copy `Bytes` of `[pos, pos+len)` (below the write position)
    /// that keeps this file mapped while it lives.
    pub(crate) fn bytes(self: &Arc<Self>, pos: usize, len: usize) -> Option<Bytes> {
        self.slice(pos, len)?;
        Some(Bytes::from_owner(MappedSlice {
            file: Arc::clone(self),
            pos,
            len,
        }))
    }

    /// Zeroes `[pos, size)` where not already zero (recovery: removes a torn
    /// tail so stale bytes are never mistaken for records later). Only the
    /// ranges the file system reports as data are read: the preallocated,
    /// never written rest of a 1 GiB file costs nothing.
    pub(crate) fn zero_from(&self, pos: usize) {
        // All ranges first: reading a page reads ahead, and pages read
        // ahead count as data for the next query.
        let mut ranges = Vec::new();
        let mut p = pos.min(self.size);
        while let Some((from, to)) = sys::next_data(&self.file, p as u64, self.size as u64) {
            let to = (to as usize).min(self.size);
            ranges.push((p.max(from as usize), to));
            // Always progress, even if the file system reports an empty range.
            p = to.max(p + OS_PAGE_SIZE);
            if p >= self.size {
                break;
            }
        }
        for (from, to) in ranges {
            self.zero_range(from, to);
        }
    }

    /// Zeroes the non-zero pages of `[pos, to)`.
    fn zero_range(&self, pos: usize, to: usize) {
        let mut p = pos;
        while p < to {
            let end = ((p / OS_PAGE_SIZE + 1) * OS_PAGE_SIZE).min(to);
            let dirty = self
                .raw_slice(p, end - p)
                .is_some_and(|s| s.iter().any(|&b| b != 0));
            if dirty {
                let zeros = [0u8; OS_PAGE_SIZE];
                self.overwrite(p, &zeros[..end - p]);
            }
            p = end;
        }
    }

    /// Flushes `[flushed, wrote)` to disk (msync) if at least `least_pages`
    /// pages are dirty (0 = any). Returns the flushed position.
    pub(crate) fn flush(&self, least_pages: usize) -> io::Result<usize> {
        let wrote = self.wrote_position();
        let flushed = self.flushed_position();
        if wrote <= flushed {
            return Ok(flushed);
        }
        let full = wrote >= self.size;
        if least_pages > 0 && !full && wrote / OS_PAGE_SIZE - flushed / OS_PAGE_SIZE < least_pages {
            return Ok(flushed);
        }
        let from = flushed / OS_PAGE_SIZE * OS_PAGE_SIZE;
        self.map.flush_range(from, wrote - from)?;
        self.flushed.store(wrote, Ordering::Release);
        Ok(wrote)
    }

    /// Faults `[pos, pos+len)` in writable (MADV_POPULATE_WRITE) without
    /// changing its content, so the appender's copy takes no page faults.
    pub(crate) fn prefault(&self, pos: usize, len: usize) -> io::Result<()> {
        let end = pos.saturating_add(len).min(self.size);
        if pos >= end {
            return Ok(());
        }
        self.map
            .advise_range(memmap2::Advice::PopulateWrite, pos, end - pos)
    }

    /// Flushes the whole mapping (index files, whose writes are not
    /// positional).
    pub(crate) fn flush_all(&self) -> io::Result<()> {
        self.map.flush()
    }

    /// Arranges for the file to be unlinked when the last reference drops,
    /// and unlinks it now if possible (the mapping stays valid for readers).
    pub(crate) fn destroy(&self) {
        if std::fs::remove_file(&self.path).is_err() {
            self.unlink_on_drop.store(true, Ordering::Release);
        }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        if self.unlink_on_drop.load(Ordering::Acquire) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Owner of a `Bytes` made from a mapped file.
struct MappedSlice {
    file: Arc<MappedFile>,
    pos: usize,
    len: usize,
}

impl AsRef<[u8]> for MappedSlice {
    fn as_ref(&self) -> &[u8] {
        // `bytes` checked the range before creating the owner; the write
        // position only grows, so it stays valid.
        self.file.raw_slice(self.pos, self.len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records of 50-3000 bytes (TOTALSIZE, then a non-zero fill) and the
    /// offsets of those that cross a page boundary when written at `pos`.
    fn records(pos: usize, count: usize) -> (Vec<u8>, Vec<usize>) {
        let (mut run, mut commits) = (Vec::new(), Vec::new());
        let mut x = 0x2545_f491_u32;
        for i in 0..count {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let len = 50 + (x as usize % 2950);
            let at = run.len();
            if (pos + at) / OS_PAGE_SIZE != (pos + at + len - 1) / OS_PAGE_SIZE {
                commits.push(at);
            }
            run.extend_from_slice(&(len as i32).to_be_bytes());
            run.resize(at + len, (i % 250 + 1) as u8);
        }
        (run, commits)
    }

    /// What recovery accepts of `file` from `pos`: records while TOTALSIZE
    /// is not zero. Returns the end of the last one.
    fn accepted(file: &[u8], pos: usize) -> usize {
        let mut p = pos;
        while p + 4 <= file.len() {
            let size = i32::from_be_bytes([file[p], file[p + 1], file[p + 2], file[p + 3]]);
            if size <= 0 {
                break;
            }
            p += size as usize;
        }
        p
    }

    #[test]
    fn a_run_cut_at_any_page_boundary_leaves_only_whole_records() {
        let pos = 1000;
        let (mut run, commits) = records(pos, 60);
        assert!(commits.len() > 5, "the run must cross pages");
        let original = run.clone();
        let mut writes: Vec<(usize, Vec<u8>)> = Vec::new();
        write_in_commit_order(&mut run, &commits, |at, bytes| {
            writes.push((at, bytes.to_vec()));
            Ok(())
        })
        .unwrap();
        assert_eq!(run, original, "the run is restored");
        assert_eq!(writes.len(), 2);
        let size = pos + run.len() + OS_PAGE_SIZE;
        // A kill stops the i-th write at a page boundary (or not at all).
        for (i, (at, bytes)) in writes.iter().enumerate() {
            let start = pos + at;
            let mut stops: Vec<usize> = (start / OS_PAGE_SIZE + 1..)
                .map(|p| p * OS_PAGE_SIZE)
                .take_while(|&b| b < start + bytes.len())
                .collect();
            stops.push(start + bytes.len());
            for stop in stops {
                let mut file = vec![0u8; size];
                for (a, b) in &writes[..i] {
                    file[pos + a..pos + a + b.len()].copy_from_slice(b);
                }
                file[start..stop].copy_from_slice(&bytes[..stop - start]);
                let end = accepted(&file, pos);
                assert!(end <= pos + original.len(), "write {i} cut at {stop}");
                assert_eq!(
                    &file[pos..end],
                    &original[..end - pos],
                    "write {i} cut at {stop}: an accepted record is torn"
                );
            }
        }
        let mut file = vec![0u8; size];
        for (a, b) in &writes {
            file[pos + a..pos + a + b.len()].copy_from_slice(b);
        }
        assert_eq!(accepted(&file, pos), pos + original.len());
    }

    #[test]
    fn a_run_without_page_crossings_is_one_write() {
        let mut run = vec![7u8; 300];
        let mut writes = Vec::new();
        write_in_commit_order(&mut run, &[], |at, bytes| {
            writes.push((at, bytes.len()));
            Ok(())
        })
        .unwrap();
        assert_eq!(writes, vec![(0, 300)]);
    }
}
