//! [`LocalFileOffsetStore`]: broadcasting consumers keep their offsets in a
//! local file, `<dir>/<clientId>/<group>/offsets.json`, in the shape Java's
//! `OffsetSerializeWrapper` has (fastjson, `MessageQueue` objects as keys):
//!
//! ```text
//! {"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:42}}
//! ```
//!
//! Writes are atomic: the new content goes to `offsets.json.tmp` (synced),
//! the old file becomes `offsets.json.bak`, and the temp file is renamed
//! into place; a reader falls back to the `.bak` file when the main one is
//! missing or unreadable.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::Deserialize;

use crate::message::MessageQueue;

/// Directory under which offsets live by default: the
/// `rocketmq.client.localOffsetStoreDir` equivalent env var
/// `ROCKETMQ_LOCAL_OFFSET_STORE_DIR`, else `~/.rocketmq_offsets`.
pub fn default_offset_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ROCKETMQ_LOCAL_OFFSET_STORE_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".rocketmq_offsets")
}

/// Offsets of a broadcasting consumer, cached in memory and persisted to a
/// local JSON file.
///
/// Invariant: the file only ever holds a complete table (old or new), never
/// a partial write.
#[derive(Debug)]
pub struct LocalFileOffsetStore {
    path: PathBuf,
    table: Mutex<HashMap<MessageQueue, i64>>,
}

impl LocalFileOffsetStore {
    /// A store for `group` of client `client_id` under `dir` (see
    /// [`default_offset_dir`]). Nothing is read until [`Self::load`].
    pub fn new(dir: &Path, client_id: &str, group: &str) -> Self {
        LocalFileOffsetStore {
            path: dir.join(client_id).join(group).join("offsets.json"),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// The path of the offsets file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file (or its backup) into memory; a missing file is an
    /// empty table.
    pub fn load(&self) -> io::Result<()> {
        let loaded = self.read_file()?;
        self.table.lock().extend(loaded);
        Ok(())
    }

    /// Sets the in-memory offset of `mq`; with `increase_only` a lower
    /// value than the current one is ignored.
    pub fn update_offset(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        let mut table = self.table.lock();
        match table.get_mut(mq) {
            Some(cur) if increase_only => *cur = (*cur).max(offset),
            Some(cur) => *cur = offset,
            None => {
                table.insert(mq.clone(), offset);
            }
        }
    }

    /// The in-memory offset of `mq`, if any.
    pub fn read_memory(&self, mq: &MessageQueue) -> Option<i64> {
        self.table.lock().get(mq).copied()
    }

    /// The offset of `mq` as persisted in the file (also cached in memory);
    /// `None` when the file has none.
    pub fn read_store(&self, mq: &MessageQueue) -> io::Result<Option<i64>> {
        let stored = self.read_file()?.remove(mq);
        if let Some(off) = stored {
            self.update_offset(mq, off, false);
        }
        Ok(stored)
    }

    /// Writes the in-memory offsets of `mqs` to the file, keeping entries of
    /// other queues that are already there.
    pub fn persist_all(&self, mqs: &[MessageQueue]) -> io::Result<()> {
        if mqs.is_empty() {
            return Ok(());
        }
        let mut merged = self.read_file().unwrap_or_default();
        {
            let table = self.table.lock();
            for mq in mqs {
                if let Some(off) = table.get(mq) {
                    merged.insert(mq.clone(), *off);
                }
            }
        }
        write_atomically(&self.path, encode_offset_table(&merged).as_bytes())
    }

    /// Forgets `mq` in memory (the file keeps it, as Java does).
    pub fn remove_offset(&self, mq: &MessageQueue) {
        self.table.lock().remove(mq);
    }

    /// The in-memory offsets, of one topic or (with `None`) of all.
    pub fn clone_offset_table(&self, topic: Option<&str>) -> HashMap<MessageQueue, i64> {
        self.table
            .lock()
            .iter()
            .filter(|(mq, _)| topic.is_none_or(|t| mq.topic == t))
            .map(|(mq, off)| (mq.clone(), *off))
            .collect()
    }

    fn read_file(&self) -> io::Result<HashMap<MessageQueue, i64>> {
        match read_table(&self.path) {
            Ok(Some(t)) => Ok(t),
            Ok(None) | Err(_) => {
                let bak = backup_path(&self.path);
                match read_table(&bak) {
                    Ok(Some(t)) => Ok(t),
                    Ok(None) => Ok(HashMap::new()),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

fn backup_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".bak");
    PathBuf::from(p)
}

/// Reads one offsets file: `Ok(None)` when it does not exist or is empty.
fn read_table(path: &Path) -> io::Result<Option<HashMap<MessageQueue, i64>>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    decode_offset_table(&text).map(Some).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

#[derive(Deserialize)]
struct Wrapper {
    #[serde(rename = "offsetTable", default)]
    offset_table: BTreeMap<String, i64>,
}

#[derive(Deserialize)]
struct QueueKey {
    topic: String,
    #[serde(rename = "brokerName")]
    broker_name: String,
    #[serde(rename = "queueId")]
    queue_id: i32,
}

/// Parses the `OffsetSerializeWrapper` JSON (fastjson object keys or keys
/// quoted as strings).
pub fn decode_offset_table(text: &str) -> Result<HashMap<MessageQueue, i64>, String> {
    let w: Wrapper = protocol::body::fastjson::from_str(text).map_err(|e| e.to_string())?;
    let mut out = HashMap::with_capacity(w.offset_table.len());
    for (key, off) in w.offset_table {
        let k: QueueKey = serde_json::from_str(&key).map_err(|e| format!("key {key}: {e}"))?;
        out.insert(MessageQueue::new(k.topic, k.broker_name, k.queue_id), off);
    }
    Ok(out)
}

/// Writes the table as fastjson's pretty form of `OffsetSerializeWrapper`,
/// queues in (topic, broker, queue id) order.
pub fn encode_offset_table(table: &HashMap<MessageQueue, i64>) -> String {
    let mut entries: Vec<(&MessageQueue, &i64)> = table.iter().collect();
    entries.sort_by(|a, b| {
        (&a.0.topic, &a.0.broker_name, a.0.queue_id).cmp(&(
            &b.0.topic,
            &b.0.broker_name,
            b.0.queue_id,
        ))
    });
    let mut out = String::from("{\n\t\"offsetTable\":{");
    for (i, (mq, off)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            "{{\"brokerName\":{},\"queueId\":{},\"topic\":{}}}:{}",
            json_str(&mq.broker_name),
            mq.queue_id,
            json_str(&mq.topic),
            off
        ));
    }
    out.push_str("}\n}");
    out
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Replaces `path` with `data` so that a crash leaves either the old or the
/// new content (plus the previous version as `.bak`).
fn write_atomically(path: &Path, data: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    if path.exists() {
        fs::copy(path, backup_path(path))?;
    }
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(q: i32) -> MessageQueue {
        MessageQueue::new("T", "broker-a", q)
    }

    #[test]
    fn java_shape_round_trip() {
        let mut t = HashMap::new();
        t.insert(mq(1), 7);
        t.insert(mq(0), 42);
        let text = encode_offset_table(&t);
        assert_eq!(
            text,
            "{\n\t\"offsetTable\":{{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"T\"}:42,\
             {\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":\"T\"}:7}\n}"
        );
        assert_eq!(decode_offset_table(&text).unwrap(), t);
        // What Java writes (prettyFormat, object keys), read back.
        let java = "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":1,\n\t\t\t\"topic\":\"T\"\n\t\t}:7\n\t}\n}";
        assert_eq!(decode_offset_table(java).unwrap().get(&mq(1)), Some(&7));
    }

    #[test]
    fn persist_load_and_backup() {
        let dir = crate::consumer::test_util::TempDir::new("local-offsets");
        let store = LocalFileOffsetStore::new(dir.path(), "127.0.0.1@1", "G");
        store.load().unwrap();
        assert_eq!(store.read_memory(&mq(0)), None);
        store.update_offset(&mq(0), 10, false);
        store.update_offset(&mq(0), 5, true);
        assert_eq!(store.read_memory(&mq(0)), Some(10));
        store.update_offset(&mq(1), 3, false);
        store.persist_all(&[mq(0)]).unwrap();
        store.update_offset(&mq(0), 11, false);
        store.persist_all(&[mq(0), mq(1)]).unwrap();
        assert!(store.path().ends_with("127.0.0.1@1/G/offsets.json"));

        let again = LocalFileOffsetStore::new(dir.path(), "127.0.0.1@1", "G");
        again.load().unwrap();
        assert_eq!(again.read_memory(&mq(0)), Some(11));
        assert_eq!(again.read_store(&mq(1)).unwrap(), Some(3));

        // A torn main file: the backup (previous version) is used.
        fs::write(again.path(), b"{\"offsetTable\":{{\"broker").unwrap();
        let third = LocalFileOffsetStore::new(dir.path(), "127.0.0.1@1", "G");
        third.load().unwrap();
        assert_eq!(third.read_memory(&mq(0)), Some(10));
    }
}
