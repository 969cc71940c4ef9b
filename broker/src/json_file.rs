//! Crash-safe JSON config files (`topics.json`, `subscriptionGroup.json`,
//! `consumerOffset.json`; STORAGE.md §11).
//!
//! A write goes to `<name>.tmp`, is fsync'ed, the current file is kept as
//! `<name>.bak` (a hard link, so the main file never disappears), the temp
//! file is renamed over the main file and the directory is fsync'ed. A crash
//! at any instant therefore leaves the main file either wholly old or wholly
//! new. Loading reads the main file and falls back to `<name>.bak` when the
//! main file is missing, empty or unparseable, as RocketMQ's `ConfigManager`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use protocol::body::BodyError;

/// Why a config file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// Reading the file failed (other than "not found").
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// Writing, syncing or renaming failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// Neither the file nor its backup could be parsed.
    #[error("{path} is not valid ({reason}) and has no usable backup")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why the main file did not parse.
        reason: String,
    },
    /// The in-memory table could not be encoded.
    #[error("cannot encode {path}: {source}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: BodyError,
    },
}

/// One config file on disk. Cheap to clone (shared); writes through one
/// handle are serialized and never go backwards: a write carrying an older
/// version than the last one written is skipped.
#[derive(Debug, Clone)]
pub struct JsonFile {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    /// Version of the content last written.
    written: Mutex<u64>,
}

impl JsonFile {
    /// A handle for `path` (nothing is touched on disk).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonFile {
            inner: Arc::new(Inner {
                path: path.into(),
                written: Mutex::new(0),
            }),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Loads the file with `parse`: `Ok(None)` when neither the file nor its
    /// backup exists (or both are empty), the backup when the main file is
    /// missing, empty or does not parse, an error when nothing parses.
    pub fn load<T>(
        &self,
        parse: impl Fn(&[u8]) -> Result<T, BodyError>,
    ) -> Result<Option<T>, ConfigFileError> {
        let path = self.path();
        let main_err = match read_nonempty(path)? {
            Some(bytes) => match parse(&bytes) {
                Ok(v) => return Ok(Some(v)),
                Err(e) => Some(e.to_string()),
            },
            None => None,
        };
        let bak = sibling(path, "bak");
        match read_nonempty(&bak)? {
            Some(bytes) => match parse(&bytes) {
                Ok(v) => {
                    if let Some(reason) = &main_err {
                        tracing::warn!(
                            "{} is not valid ({reason}); loaded {}",
                            path.display(),
                            bak.display()
                        );
                    }
                    Ok(Some(v))
                }
                Err(e) => Err(ConfigFileError::Corrupt {
                    path: path.to_owned(),
                    reason: main_err.unwrap_or_else(|| e.to_string()),
                }),
            },
            None => match main_err {
                Some(reason) => Err(ConfigFileError::Corrupt {
                    path: path.to_owned(),
                    reason,
                }),
                None => Ok(None),
            },
        }
    }

    /// Writes `bytes` atomically if `version` is newer than the last version
    /// written through this handle (0 always writes). Blocking: call from a
    /// blocking context or use [`JsonFile::store_async`].
    pub fn store(&self, version: u64, bytes: &[u8]) -> Result<(), ConfigFileError> {
        let mut written = self.inner.written.lock();
        if version != 0 && version <= *written {
            return Ok(());
        }
        write_atomic(self.path(), bytes).map_err(|source| ConfigFileError::Write {
            path: self.path().to_owned(),
            source,
        })?;
        *written = (*written).max(version);
        Ok(())
    }

    /// [`JsonFile::store`] on tokio's blocking pool, so fsync never runs on a
    /// runtime worker thread.
    pub async fn store_async(&self, version: u64, bytes: Vec<u8>) -> Result<(), ConfigFileError> {
        let file = self.clone();
        let path = self.path().to_owned();
        match tokio::task::spawn_blocking(move || file.store(version, &bytes)).await {
            Ok(r) => r,
            Err(e) => Err(ConfigFileError::Write {
                path,
                source: io::Error::other(e.to_string()),
            }),
        }
    }
}

/// A [`JsonFile`] plus change tracking: the owner bumps the change count on
/// every mutation (under its table lock) and reads [`TrackedFile::version`]
/// under the same lock when it encodes, so writes can be skipped when nothing
/// changed and never go backwards.
#[derive(Debug)]
pub struct TrackedFile {
    file: JsonFile,
    changes: AtomicU64,
    persisted: AtomicU64,
}

impl TrackedFile {
    /// A tracked handle for `path`, clean.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TrackedFile {
            file: JsonFile::new(path),
            changes: AtomicU64::new(0),
            persisted: AtomicU64::new(0),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// See [`JsonFile::load`].
    pub fn load<T>(
        &self,
        parse: impl Fn(&[u8]) -> Result<T, BodyError>,
    ) -> Result<Option<T>, ConfigFileError> {
        self.file.load(parse)
    }

    /// Records one change of the content.
    pub fn mark_changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// The change count; read it under the lock that guards the content.
    pub fn version(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// True when the content changed since it was last written.
    pub fn is_dirty(&self) -> bool {
        self.version() != self.persisted.load(Ordering::Acquire)
    }

    /// Writes content of change count `version` (blocking).
    pub fn write(&self, version: u64, bytes: &[u8]) -> Result<(), ConfigFileError> {
        self.file.store(version + 1, bytes)?;
        self.persisted.fetch_max(version, Ordering::AcqRel);
        Ok(())
    }

    /// [`TrackedFile::write`] on the blocking pool.
    pub async fn write_async(&self, version: u64, bytes: Vec<u8>) -> Result<(), ConfigFileError> {
        self.file.store_async(version + 1, bytes).await?;
        self.persisted.fetch_max(version, Ordering::AcqRel);
        Ok(())
    }

    /// Encodes with `encode` (content and the change count it reflects) and
    /// writes now (blocking; shutdown and tests).
    pub fn persist_with(
        &self,
        encode: impl FnOnce() -> Result<(Vec<u8>, u64), ConfigFileError>,
    ) -> Result<(), ConfigFileError> {
        let (bytes, version) = encode()?;
        self.write(version, &bytes)
    }

    /// Like [`TrackedFile::persist_with`], but only when the content changed
    /// since it was last written, and with the fsync on the blocking pool.
    pub async fn persist_if_dirty_with(
        &self,
        encode: impl FnOnce() -> Result<(Vec<u8>, u64), ConfigFileError>,
    ) -> Result<(), ConfigFileError> {
        if !self.is_dirty() {
            return Ok(());
        }
        let (bytes, version) = encode()?;
        self.write_async(version, bytes).await
    }

    /// An encode error for this file.
    pub fn encode_error(&self, source: BodyError) -> ConfigFileError {
        ConfigFileError::Encode {
            path: self.path().to_owned(),
            source,
        }
    }
}

/// Runs `persist` every `interval` until `shutdown` completes, then once more;
/// failures are logged with `what`. The loop behind each manager's
/// `persist_every`.
pub async fn persist_loop<F, Fut>(
    what: &str,
    interval: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
    mut persist: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), ConfigFileError>>,
{
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {
                if let Err(e) = persist().await {
                    tracing::error!("persisting {what} failed: {e}");
                }
            }
        }
    }
    if let Err(e) = persist().await {
        tracing::error!("persisting {what} at shutdown failed: {e}");
    }
}

/// `path` with `.ext` appended to its file name (`a.json` -> `a.json.bak`).
fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// The file's bytes, `None` when it is missing or empty.
fn read_nonempty(path: &Path) -> Result<Option<Vec<u8>>, ConfigFileError> {
    match fs::read(path) {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(None),
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigFileError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the
/// new content: temp file + fsync, keep the old file as `.bak`, rename, fsync
/// the directory. Creates the parent directory when missing.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let tmp = sibling(path, "tmp");
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    if path.exists() {
        let bak = sibling(path, "bak");
        match fs::remove_file(&bak) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // A hard link keeps the main file in place; copy where links fail.
        if fs::hard_link(path, &bak).is_err() {
            fs::copy(path, &bak)?;
        }
    }
    fs::rename(&tmp, path)?;
    File::open(&dir)?.sync_all()
}

/// A temporary directory removed on drop (unit tests of this crate).
#[cfg(test)]
pub(crate) struct TestDir(pub PathBuf);

#[cfg(test)]
impl TestDir {
    pub(crate) fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "rmq-broker-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("create test dir");
        TestDir(p)
    }
}

#[cfg(test)]
impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_num(b: &[u8]) -> Result<u32, BodyError> {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| BodyError::Json("not a number".into()))
    }

    #[test]
    fn missing_file_loads_as_none_and_write_round_trips() {
        let d = TestDir::new("jf1");
        let f = JsonFile::new(d.0.join("config").join("x.json"));
        assert!(f.load(parse_num).unwrap().is_none());
        f.store(1, b"7").unwrap();
        assert_eq!(f.load(parse_num).unwrap(), Some(7));
        f.store(2, b"8").unwrap();
        assert_eq!(f.load(parse_num).unwrap(), Some(8));
        assert_eq!(fs::read(sibling(f.path(), "bak")).unwrap(), b"7");
        assert!(!sibling(f.path(), "tmp").exists());
    }

    #[test]
    fn older_versions_never_overwrite_newer() {
        let d = TestDir::new("jf2");
        let f = JsonFile::new(d.0.join("x.json"));
        f.store(5, b"5").unwrap();
        f.store(3, b"3").unwrap();
        assert_eq!(f.load(parse_num).unwrap(), Some(5));
    }

    #[test]
    fn crash_mid_write_leaves_the_old_file() {
        let d = TestDir::new("jf3");
        let path = d.0.join("x.json");
        let f = JsonFile::new(&path);
        f.store(1, b"41").unwrap();
        // A crash after writing part of the temp file, before the rename.
        fs::write(sibling(&path, "tmp"), b"4").unwrap();
        assert_eq!(JsonFile::new(&path).load(parse_num).unwrap(), Some(41));
        // The next write replaces the stale temp file.
        f.store(2, b"42").unwrap();
        assert_eq!(f.load(parse_num).unwrap(), Some(42));
    }

    #[test]
    fn torn_or_empty_main_file_falls_back_to_backup() {
        let d = TestDir::new("jf4");
        let path = d.0.join("x.json");
        let f = JsonFile::new(&path);
        f.store(1, b"1").unwrap();
        f.store(2, b"2").unwrap();
        fs::write(&path, b"{garbage").unwrap();
        assert_eq!(f.load(parse_num).unwrap(), Some(1));
        fs::write(&path, b"").unwrap();
        assert_eq!(f.load(parse_num).unwrap(), Some(1));
        fs::write(sibling(&path, "bak"), b"zz").unwrap();
        fs::write(&path, b"zz").unwrap();
        assert!(matches!(
            f.load(parse_num),
            Err(ConfigFileError::Corrupt { .. })
        ));
    }
}
