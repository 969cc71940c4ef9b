//! [`ConsumerOffsetManager`]: each consumer group's committed offsets, kept in
//! `consumerOffset.json` as RocketMQ does (STORAGE.md §11):
//! `{"offsetTable":{"<topic>@<group>":{0:250,1:249}}}` with fastjson's bare
//! integer queue-id keys (quoted keys are read too). The stored value is the
//! next offset to consume. The table is persisted every
//! `flushConsumerOffsetInterval` (5 s) when it changed, and at shutdown.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use parking_lot::RwLock;
use protocol::body::fastjson::{self, JsonStyle};
use protocol::body::route::DataVersion;
use serde::{Deserialize, Serialize};

use crate::json_file::{persist_loop, ConfigFileError, TrackedFile};

/// File name under `storePathRootDir/config/`.
pub const FILE_NAME: &str = "consumerOffset.json";

/// Separator of the `topic@group` keys.
pub const TOPIC_GROUP_SEPARATOR: char = '@';

/// RocketMQ's default `flushConsumerOffsetInterval`.
pub const DEFAULT_PERSIST_INTERVAL: Duration = Duration::from_secs(5);

/// queue id -> offset.
pub type QueueOffsets = BTreeMap<i32, i64>;

/// topic -> group -> queue id -> offset.
type Table = HashMap<String, HashMap<String, QueueOffsets>>;

/// The file's JSON shape.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct OffsetFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    data_version: Option<DataVersion>,
    offset_table: BTreeMap<String, QueueOffsets>,
}

/// Committed consumer offsets per (topic, group, queue), plus the offsets
/// consumers last pulled up to (not persisted; consume stats use them).
///
/// Invariant: every mutation of `offsets` is counted by `file` while the
/// write lock is held, so an encoded snapshot and its version agree.
#[derive(Debug)]
pub struct ConsumerOffsetManager {
    file: TrackedFile,
    offsets: RwLock<Table>,
    pulled: RwLock<Table>,
}

impl ConsumerOffsetManager {
    /// Loads `dir/consumerOffset.json` (or its backup); empty when absent.
    pub fn load(dir: &Path) -> Result<Self, ConfigFileError> {
        let file = TrackedFile::new(dir.join(FILE_NAME));
        let parsed: Option<OffsetFile> = file.load(fastjson::from_slice)?;
        let mut table = Table::new();
        for (key, queues) in parsed.map(|p| p.offset_table).unwrap_or_default() {
            match split_key(&key) {
                Some((topic, group)) => {
                    table
                        .entry(topic.to_owned())
                        .or_default()
                        .insert(group.to_owned(), queues);
                }
                None => tracing::warn!("{FILE_NAME}: ignoring malformed key {key:?}"),
            }
        }
        Ok(ConsumerOffsetManager {
            file,
            offsets: RwLock::new(table),
            pulled: RwLock::new(Table::new()),
        })
    }

    /// The file this manager persists to.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Stores `offset` as the next offset `group` consumes from `topic`'s
    /// queue `queue_id`.
    pub fn commit_offset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        let mut t = self.offsets.write();
        set(&mut t, topic, group, queue_id, offset);
        self.file.mark_changed();
    }

    /// The committed offset, `None` when the group never committed one.
    pub fn query_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        get(&self.offsets.read(), topic, group, queue_id)
    }

    /// Every committed offset of `group` on `topic`.
    pub fn offsets_of(&self, group: &str, topic: &str) -> QueueOffsets {
        self.offsets
            .read()
            .get(topic)
            .and_then(|g| g.get(group))
            .cloned()
            .unwrap_or_default()
    }

    /// Records how far `group` has pulled `topic`'s queue (consume stats).
    pub fn record_pull_offset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        set(&mut self.pulled.write(), topic, group, queue_id, offset);
    }

    /// The offset `group` last pulled up to, if any.
    pub fn pull_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        get(&self.pulled.read(), topic, group, queue_id)
    }

    /// Topics `group` has committed offsets for.
    pub fn topics_of_group(&self, group: &str) -> BTreeSet<String> {
        self.offsets
            .read()
            .iter()
            .filter(|(_, groups)| groups.contains_key(group))
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Groups having committed offsets for `topic`.
    pub fn groups_of_topic(&self, topic: &str) -> BTreeSet<String> {
        self.offsets
            .read()
            .get(topic)
            .map(|g| g.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets every offset of `topic` (DELETE_TOPIC_IN_BROKER).
    pub fn remove_topic(&self, topic: &str) {
        {
            let mut t = self.offsets.write();
            if t.remove(topic).is_some() {
                self.file.mark_changed();
            }
        }
        self.pulled.write().remove(topic);
    }

    /// Forgets every offset of `group` (DELETE_SUBSCRIPTIONGROUP with cleanOffset).
    pub fn remove_group(&self, group: &str) {
        {
            let mut removed = false;
            let mut t = self.offsets.write();
            t.retain(|_, groups| {
                removed |= groups.remove(group).is_some();
                !groups.is_empty()
            });
            if removed {
                self.file.mark_changed();
            }
        }
        self.pulled.write().retain(|_, groups| {
            groups.remove(group);
            !groups.is_empty()
        });
    }

    /// The table as `consumerOffset.json` content (also the body of
    /// GET_ALL_CONSUMER_OFFSET) and the change count it reflects.
    pub fn encode(&self) -> Result<(Vec<u8>, u64), ConfigFileError> {
        let t = self.offsets.read();
        let version = self.file.version();
        let mut file = OffsetFile::default();
        for (topic, groups) in t.iter() {
            for (group, queues) in groups {
                file.offset_table.insert(
                    format!("{topic}{TOPIC_GROUP_SEPARATOR}{group}"),
                    queues.clone(),
                );
            }
        }
        drop(t);
        let bytes =
            fastjson::to_vec(&file, JsonStyle::Fastjson).map_err(|e| self.file.encode_error(e))?;
        Ok((bytes, version))
    }

    /// True when the table changed since it was last persisted.
    pub fn is_dirty(&self) -> bool {
        self.file.is_dirty()
    }

    /// Writes the table to disk now (blocking; used at shutdown and in tests).
    pub fn persist(&self) -> Result<(), ConfigFileError> {
        self.file.persist_with(|| self.encode())
    }

    /// Writes the table if it changed, with the fsync on the blocking pool.
    pub async fn persist_if_dirty(&self) -> Result<(), ConfigFileError> {
        self.file.persist_if_dirty_with(|| self.encode()).await
    }

    /// Persists every `interval` (RocketMQ: 5 s) while the table changes,
    /// until `shutdown` completes; then once more. Spawn it with the broker's
    /// shutdown signal.
    pub async fn persist_every(&self, interval: Duration, shutdown: impl Future<Output = ()>) {
        persist_loop(FILE_NAME, interval, shutdown, || self.persist_if_dirty()).await
    }
}

/// Splits `topic@group`; `None` unless there is exactly one separator.
fn split_key(key: &str) -> Option<(&str, &str)> {
    let (topic, group) = key.split_once(TOPIC_GROUP_SEPARATOR)?;
    if topic.is_empty() || group.is_empty() || group.contains(TOPIC_GROUP_SEPARATOR) {
        return None;
    }
    Some((topic, group))
}

fn set(t: &mut Table, topic: &str, group: &str, queue_id: i32, offset: i64) {
    // Look up by &str first so the common case allocates nothing.
    if let Some(groups) = t.get_mut(topic) {
        if let Some(queues) = groups.get_mut(group) {
            queues.insert(queue_id, offset);
            return;
        }
        groups.insert(group.to_owned(), BTreeMap::from([(queue_id, offset)]));
        return;
    }
    t.entry(topic.to_owned())
        .or_default()
        .insert(group.to_owned(), BTreeMap::from([(queue_id, offset)]));
}

fn get(t: &Table, topic: &str, group: &str, queue_id: i32) -> Option<i64> {
    t.get(topic)?.get(group)?.get(&queue_id).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_file::TestDir;

    #[test]
    fn commit_query_and_round_trip_through_the_file() {
        let d = TestDir::new("om1");
        let m = ConsumerOffsetManager::load(&d.0).unwrap();
        assert_eq!(m.query_offset("G1", "T", 0), None);
        m.commit_offset("G1", "T", 0, 250);
        m.commit_offset("G1", "T", 1, 249);
        m.commit_offset("G1", "%RETRY%G1", 0, 0);
        m.commit_offset("G2", "T", 0, 3);
        assert_eq!(m.query_offset("G1", "T", 1), Some(249));
        assert!(m.is_dirty());
        m.persist().unwrap();
        assert!(!m.is_dirty());
        let text = std::fs::read_to_string(d.0.join(FILE_NAME)).unwrap();
        assert!(text.contains(r#""T@G1":{0:250,1:249}"#), "{text}");
        assert!(text.contains(r#""%RETRY%G1@G1":{0:0}"#), "{text}");

        let m2 = ConsumerOffsetManager::load(&d.0).unwrap();
        assert_eq!(m2.query_offset("G1", "T", 0), Some(250));
        assert_eq!(m2.query_offset("G2", "T", 0), Some(3));
        assert_eq!(
            m2.offsets_of("G1", "T"),
            BTreeMap::from([(0, 250), (1, 249)])
        );
        assert_eq!(
            m2.topics_of_group("G1"),
            BTreeSet::from(["T".into(), "%RETRY%G1".into()])
        );
        assert_eq!(
            m2.groups_of_topic("T"),
            BTreeSet::from(["G1".into(), "G2".into()])
        );
    }

    #[test]
    fn reads_java_files_with_bare_or_quoted_keys() {
        let d = TestDir::new("om2");
        std::fs::write(
            d.0.join(FILE_NAME),
            "{\n\t\"offsetTable\":{\n\t\t\"TopicTest@G1\":{0:250,1:250,2:249,3:250},\n\t\t\"X@G2\":{\"0\":7},\n\t\t\"bad-key\":{0:1}\n\t},\n\t\"dataVersion\":{\"counter\":3,\"timestamp\":1}\n}",
        )
        .unwrap();
        let m = ConsumerOffsetManager::load(&d.0).unwrap();
        assert_eq!(m.query_offset("G1", "TopicTest", 2), Some(249));
        assert_eq!(m.query_offset("G2", "X", 0), Some(7));
        assert_eq!(m.groups_of_topic("bad-key").len(), 0);
    }

    #[test]
    fn remove_topic_and_group() {
        let d = TestDir::new("om3");
        let m = ConsumerOffsetManager::load(&d.0).unwrap();
        m.commit_offset("G1", "A", 0, 1);
        m.commit_offset("G1", "B", 0, 2);
        m.commit_offset("G2", "B", 0, 3);
        m.remove_topic("A");
        assert_eq!(m.query_offset("G1", "A", 0), None);
        m.remove_group("G1");
        assert_eq!(m.query_offset("G1", "B", 0), None);
        assert_eq!(m.query_offset("G2", "B", 0), Some(3));
        m.persist().unwrap();
        let m2 = ConsumerOffsetManager::load(&d.0).unwrap();
        assert_eq!(m2.topics_of_group("G2"), BTreeSet::from(["B".into()]));
        assert!(m2.topics_of_group("G1").is_empty());
    }

    #[test]
    fn pull_offsets_are_kept_apart_and_not_persisted() {
        let d = TestDir::new("om4");
        let m = ConsumerOffsetManager::load(&d.0).unwrap();
        m.record_pull_offset("G", "T", 1, 10);
        assert_eq!(m.pull_offset("G", "T", 1), Some(10));
        assert_eq!(m.query_offset("G", "T", 1), None);
        assert!(!m.is_dirty());
    }

    #[tokio::test]
    async fn periodic_persist_writes_changes_and_again_at_shutdown() {
        let d = TestDir::new("om5");
        let m = std::sync::Arc::new(ConsumerOffsetManager::load(&d.0).unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = {
            let m = m.clone();
            tokio::spawn(async move {
                m.persist_every(Duration::from_millis(20), async {
                    let _ = rx.await;
                })
                .await
            })
        };
        m.commit_offset("G", "T", 0, 5);
        let mut ok = false;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if ConsumerOffsetManager::load(&d.0)
                .unwrap()
                .query_offset("G", "T", 0)
                == Some(5)
            {
                ok = true;
                break;
            }
        }
        assert!(ok, "offset was not persisted periodically");
        m.commit_offset("G", "T", 0, 6);
        tx.send(()).unwrap();
        task.await.unwrap();
        assert_eq!(
            ConsumerOffsetManager::load(&d.0)
                .unwrap()
                .query_offset("G", "T", 0),
            Some(6)
        );
    }
}
