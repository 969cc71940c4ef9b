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

    /// Like [`MappedFile::append_committed`], but through the file
    /// descriptor (`pwrite`) instead of stores into the mapping, so the pages
    /// are dirtied in the page cache only: a later flush then writes just
    /// the blocks written, and finds no writable mapping to clean (see the
    /// CommitLog's write modes). The `commit` bytes still go last when the
    /// data spans a page boundary (a write cut short by a kill stops at a
    /// page boundary; within one page it is all or nothing).
    /// `Ok(false)` if it does not fit or `pos` is not the write position.
    pub(crate) fn write_committed(
        &self,
        pos: usize,
        data: &[u8],
        commit: std::ops::Range<usize>,
    ) -> io::Result<bool> {
        use std::os::unix::fs::FileExt;
        if pos != self.wrote.load(Ordering::Acquire)
            || pos + data.len() > self.size
            || commit.start > commit.end
            || commit.end > data.len()
        {
            return Ok(false);
        }
        let at = |from: usize| (pos + from) as u64;
        let one_page =
            data.is_empty() || pos / OS_PAGE_SIZE == (pos + data.len() - 1) / OS_PAGE_SIZE;
        if one_page {
            self.file.write_all_at(data, at(0))?;
        } else {
            self.file.write_all_at(&data[..commit.start], at(0))?;
            self.file
                .write_all_at(&data[commit.end..], at(commit.end))?;
            self.file
                .write_all_at(&data[commit.clone()], at(commit.start))?;
        }
        self.wrote.store(pos + data.len(), Ordering::Release);
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
