//! The KV config store (NAMESRV.md §8): namespaces of string pairs,
//! persisted after every change to `kvConfigPath` as RocketMQ's
//! `{"configTable":{"<namespace>":{"<key>":"<value>"}}}`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use protocol::body::fastjson::{self, JsonBody};
use protocol::body::route::KVTable;
use serde::{Deserialize, Serialize};

/// The namespace whose entries mark ordered topics (`topic` ->
/// `brokerName:queueNum;...`).
pub const NAMESPACE_ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

/// The persisted form (`KVConfigSerializeWrapper` in Java).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct KvFile {
    config_table: BTreeMap<String, BTreeMap<String, String>>,
}

/// Namespaced string pairs, optionally persisted.
///
/// Invariant: no namespace is stored empty; the file, when there is one,
/// reflects the table after every completed change.
pub struct KvStore {
    path: Option<PathBuf>,
    table: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl KvStore {
    /// An empty store that is never written to disk.
    pub fn in_memory() -> Self {
        KvStore {
            path: None,
            table: Mutex::new(BTreeMap::new()),
        }
    }

    /// Loads `path` (a missing file is an empty store). A file that does not
    /// parse is an error, so a restart never overwrites what it cannot read.
    pub fn load(path: &Path) -> io::Result<Self> {
        let table = match std::fs::read(path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => BTreeMap::new(),
            Ok(bytes) => {
                let file: KvFile = fastjson::from_slice(&bytes).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                })?;
                file.config_table
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        Ok(KvStore {
            path: Some(path.to_owned()),
            table: Mutex::new(table),
        })
    }

    /// Sets `namespace/key` to `value` and persists.
    pub fn put(&self, namespace: &str, key: &str, value: &str) {
        let mut table = self.table.lock();
        table
            .entry(namespace.to_owned())
            .or_default()
            .insert(key.to_owned(), value.to_owned());
        tracing::info!(namespace, key, value, "KV config put");
        self.persist(&table);
    }

    /// The value of `namespace/key`.
    pub fn get(&self, namespace: &str, key: &str) -> Option<String> {
        self.table.lock().get(namespace)?.get(key).cloned()
    }

    /// Removes `namespace/key` and persists.
    pub fn delete(&self, namespace: &str, key: &str) {
        let mut table = self.table.lock();
        let Some(ns) = table.get_mut(namespace) else {
            return;
        };
        if ns.remove(key).is_some() {
            tracing::info!(namespace, key, "KV config deleted");
        }
        if ns.is_empty() {
            table.remove(namespace);
        }
        self.persist(&table);
    }

    /// Every pair of `namespace`, or `None` when it does not exist.
    pub fn list(&self, namespace: &str) -> Option<KVTable> {
        let table = self.table.lock();
        table.get(namespace).map(|ns| KVTable { table: ns.clone() })
    }

    /// Writes the table durably ([`write_atomically`]). Failures are logged, as in
    /// RocketMQ: the in-memory change stands.
    fn persist(&self, table: &BTreeMap<String, BTreeMap<String, String>>) {
        let Some(path) = &self.path else {
            return;
        };
        let file = KvFile {
            config_table: table.clone(),
        };
        if let Err(e) = write_atomically(path, &file.to_json()) {
            tracing::error!(path = %path.display(), error = %e, "persisting KV config failed");
        }
    }
}

impl JsonBody for KvFile {}

/// Replaces `path` with `bytes` durably, so that a crash leaves either the
/// old or the new content: `<path>.tmp` written and fsync'ed, renamed over
/// `path`, then the directory fsync'ed so the rename itself survives.
/// Creates the parent directory when missing.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// Writes `text` to `path` atomically (used for the persisted config too).
pub(crate) fn write_file(path: &Path, text: &str) -> io::Result<()> {
    write_atomically(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persisted_like_rocketmq_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("kvConfig.json");
        let kv = KvStore::load(&path).unwrap();
        kv.put(
            NAMESPACE_ORDER_TOPIC_CONFIG,
            "TopicA",
            "broker-a:4;broker-b:4",
        );
        kv.put("NS", "k", "v");
        kv.delete("NS", "k");
        kv.delete("NS", "k");
        kv.delete("Nope", "k");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            r#"{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4;broker-b:4"}}}"#
        );
        let again = KvStore::load(&path).unwrap();
        assert_eq!(
            again.get(NAMESPACE_ORDER_TOPIC_CONFIG, "TopicA").as_deref(),
            Some("broker-a:4;broker-b:4")
        );
        assert!(again.list("NS").is_none());
        assert_eq!(
            again
                .list(NAMESPACE_ORDER_TOPIC_CONFIG)
                .unwrap()
                .table
                .len(),
            1
        );
    }

    #[test]
    fn rewrites_replace_the_file_and_leave_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kvConfig.json");
        // A temp file left by a crash mid-write is neither read nor in the way.
        std::fs::write(dir.path().join("kvConfig.json.tmp"), "{torn").unwrap();
        let kv = KvStore::load(&path).unwrap();
        for i in 0..3 {
            kv.put("NS", "k", &format!("v{i}"));
        }
        kv.put("NS", "other", "x");
        let again = KvStore::load(&path).unwrap();
        assert_eq!(again.get("NS", "k").as_deref(), Some("v2"));
        assert_eq!(again.get("NS", "other").as_deref(), Some("x"));
        assert!(!dir.path().join("kvConfig.json.tmp").exists());
        // The persisted config goes through the same write.
        write_file(&path, "a=b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a=b\n");
    }

    #[test]
    fn unreadable_file_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kvConfig.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(KvStore::load(&path).is_err());
        std::fs::write(&path, "\n").unwrap();
        assert!(KvStore::load(&path).unwrap().list("x").is_none());
    }
}
