//! A queue of equally sized mapped files named by their 20-digit start
//! offset (RocketMQ's `MappedFileQueue`), used by the CommitLog and every
//! ConsumeQueue.

use crate::mapped_file::{offset_to_file_name, MappedFile};
use crate::StoreError;
use parking_lot::RwLock;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Ordered files of one log. The file list is behind a short `RwLock`;
/// writes into the files are serialized by the owner of the queue.
#[derive(Debug)]
pub(crate) struct MappedFileQueue {
    dir: PathBuf,
    file_size: u64,
    files: RwLock<Vec<Arc<MappedFile>>>,
    flushed_where: AtomicU64,
}

impl MappedFileQueue {
    /// Loads every file of `dir` (created if missing). Files must be named
    /// by their offset, aligned to `file_size` and exactly that size.
    pub(crate) fn load(dir: &Path, file_size: u64) -> Result<MappedFileQueue, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
            let entry = entry.map_err(|e| StoreError::io(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            match name.parse::<u64>() {
                Ok(start) if name.len() == 20 => names.push((start, entry.path())),
                _ => tracing::warn!(file = %entry.path().display(), "ignoring unexpected file"),
            }
        }
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        let count = names.len();
        for (i, (start, path)) in names.into_iter().enumerate() {
            if start % file_size != 0 {
                return Err(StoreError::Corrupt {
                    path,
                    reason: format!("start offset not a multiple of the file size {file_size}"),
                });
            }
            let f = MappedFile::open(&path, start, file_size as usize, i + 1 == count).map_err(
                |e| {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        StoreError::Corrupt {
                            path: path.clone(),
                            reason: e.to_string(),
                        }
                    } else {
                        StoreError::io(&path, e)
                    }
                },
            )?;
            // Loaded files count as fully written until recovery says otherwise.
            f.set_positions(file_size as usize);
            files.push(Arc::new(f));
        }
        let q = MappedFileQueue {
            dir: dir.to_path_buf(),
            file_size,
            files: RwLock::new(files),
            flushed_where: AtomicU64::new(0),
        };
        q.flushed_where.store(q.max_offset(), Ordering::Release);
        Ok(q)
    }

    /// Size of each file.
    pub(crate) fn file_size(&self) -> u64 {
        self.file_size
    }

    /// Snapshot of the file list.
    pub(crate) fn files(&self) -> Vec<Arc<MappedFile>> {
        self.files.read().clone()
    }

    /// Number of files.
    pub(crate) fn len(&self) -> usize {
        self.files.read().len()
    }

    /// The newest file.
    pub(crate) fn last(&self) -> Option<Arc<MappedFile>> {
        self.files.read().last().cloned()
    }

    /// The oldest file.
    pub(crate) fn first(&self) -> Option<Arc<MappedFile>> {
        self.files.read().first().cloned()
    }

    /// The file holding global offset `offset`.
    pub(crate) fn find(&self, offset: u64) -> Option<Arc<MappedFile>> {
        let files = self.files.read();
        let first = files.first()?;
        if offset < first.start() {
            return None;
        }
        let idx = ((offset - first.start()) / self.file_size) as usize;
        let f = files.get(idx)?;
        (offset >= f.start() && offset < f.start() + self.file_size).then(|| Arc::clone(f))
    }

    /// Offset of the first byte still stored (0 when empty).
    pub(crate) fn min_offset(&self) -> u64 {
        self.files.read().first().map_or(0, |f| f.start())
    }

    /// Global write position: end of the written data.
    pub(crate) fn max_offset(&self) -> u64 {
        self.files
            .read()
            .last()
            .map_or(0, |f| f.start() + f.wrote_position() as u64)
    }

    /// Global flushed position.
    pub(crate) fn flushed_where(&self) -> u64 {
        self.flushed_where.load(Ordering::Acquire)
    }

    /// Path of the file starting at `start`.
    pub(crate) fn path_for(&self, start: u64) -> PathBuf {
        self.dir.join(offset_to_file_name(start))
    }

    /// Appends a file created elsewhere if it continues the queue.
    pub(crate) fn push_file(&self, f: Arc<MappedFile>) -> bool {
        let mut files = self.files.write();
        let expected = files.last().map(|l| l.start() + self.file_size);
        if expected.is_some_and(|e| e != f.start()) {
            return false;
        }
        if files.is_empty() {
            self.flushed_where.store(f.start(), Ordering::Release);
        }
        files.push(f);
        true
    }

    /// Creates and appends the file starting at `start` (the writer calls
    /// this when the last file is full, or for the first file).
    pub(crate) fn create_file(&self, start: u64) -> Result<Arc<MappedFile>, StoreError> {
        let path = self.dir.join(offset_to_file_name(start));
        std::fs::create_dir_all(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        let f = Arc::new(
            MappedFile::create(&path, start, self.file_size as usize)
                .map_err(|e| StoreError::io(&path, e))?,
        );
        let mut files = self.files.write();
        if files.is_empty() {
            self.flushed_where.store(start, Ordering::Release);
        }
        files.push(Arc::clone(&f));
        Ok(f)
    }

    /// Flushes files from the flushed position up to the write position;
    /// `least_pages` as in [`MappedFile::flush`]. Returns the new flushed
    /// position.
    pub(crate) fn flush(&self, least_pages: usize) -> std::io::Result<u64> {
        loop {
            let at = self.flushed_where();
            let Some(f) = self.find(at) else {
                return Ok(at);
            };
            let pos = f.flush(least_pages)?;
            let new = f.start() + pos as u64;
            if new > at {
                self.flushed_where.store(new, Ordering::Release);
            }
            // Continue into the next file only when this one is complete.
            if pos < f.size() || new == at || self.find(new).is_none() {
                return Ok(self.flushed_where());
            }
        }
    }

    /// Cuts the log at `offset` (recovery): later files are deleted, the file
    /// holding it gets its positions set there and its tail zeroed.
    pub(crate) fn truncate_to(&self, offset: u64) {
        let mut files = self.files.write();
        files.retain(|f| {
            if f.start() > offset {
                tracing::info!(file = %f.path().display(), "removing file past the end of valid data");
                f.destroy();
                return false;
            }
            true
        });
        for f in files.iter() {
            let end = f.start() + f.size() as u64;
            if offset < end {
                let pos = (offset - f.start()) as usize;
                f.zero_from(pos);
                f.set_positions(pos);
            } else {
                f.set_positions(f.size());
            }
        }
        self.flushed_where.store(offset, Ordering::Release);
    }

    /// Crash recovery: bytes from `offset` on were found in the page cache
    /// and may not be on disk yet; lowers the flushed positions so the next
    /// flush syncs them (the flusher, not the opening thread, pays for it).
    pub(crate) fn mark_unflushed_from(&self, offset: u64) {
        let files = self.files.read();
        for f in files.iter() {
            let end = f.start() + f.size() as u64;
            if end > offset {
                f.set_flushed_at_most(offset.saturating_sub(f.start()) as usize);
            }
        }
        self.flushed_where.fetch_min(offset, Ordering::AcqRel);
    }

    /// Syncs every file as a whole (msync; cheap for clean pages).
    pub(crate) fn sync_all(&self) -> std::io::Result<()> {
        for f in self.files() {
            f.flush_all()?;
        }
        Ok(())
    }

    /// Removes the oldest file from the list and unlinks it (readers holding
    /// it keep their mapping).
    pub(crate) fn delete_first(&self) -> Option<Arc<MappedFile>> {
        let mut files = self.files.write();
        if files.is_empty() {
            return None;
        }
        let f = files.remove(0);
        f.destroy();
        Some(f)
    }

    /// Deletes every file and the directory.
    pub(crate) fn destroy(&self) {
        let mut files = self.files.write();
        for f in files.drain(..) {
            f.destroy();
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}
