//! [`SubscriptionGroupManager`]: consumer group configs, kept in
//! `subscriptionGroup.json` as RocketMQ does (STORAGE.md §11, PROTOCOL.md
//! §15.8): `{"dataVersion":{...},"subscriptionGroupTable":{"G1":{...}}}`.
//! Groups are auto-created with defaults on first use when
//! `autoCreateSubscriptionGroup` is on (the default); RocketMQ's system groups
//! exist at every start.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use protocol::body::fastjson::{self, JsonStyle};
use protocol::body::route::DataVersion;
pub use protocol::body::{SubscriptionGroupConfig, SubscriptionGroupWrapper};

use crate::clock::now_ms;
use crate::json_file::{persist_loop, ConfigFileError, TrackedFile};

/// File name under `storePathRootDir/config/`.
pub const FILE_NAME: &str = "subscriptionGroup.json";

/// Groups RocketMQ creates at every start.
pub const SYSTEM_GROUPS: &[&str] = &[
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
    "CID_RMQ_SYS_TRANS",
];

/// Consumer group configs.
///
/// Invariant: every mutation of `table` bumps `data_version` and is counted
/// by `file` while the write lock is held.
#[derive(Debug)]
pub struct SubscriptionGroupManager {
    file: TrackedFile,
    table: RwLock<Table>,
    auto_create: AtomicBool,
}

#[derive(Debug, Default)]
struct Table {
    groups: HashMap<String, Arc<SubscriptionGroupConfig>>,
    data_version: DataVersion,
    forbidden: Option<BTreeMap<String, BTreeMap<String, i32>>>,
}

impl SubscriptionGroupManager {
    /// Loads `dir/subscriptionGroup.json` (or its backup) and adds the system
    /// groups. Auto-creation starts on; see [`Self::set_auto_create`].
    pub fn load(dir: &Path) -> Result<Self, ConfigFileError> {
        let file = TrackedFile::new(dir.join(FILE_NAME));
        let parsed: Option<SubscriptionGroupWrapper> = file.load(fastjson::from_slice)?;
        let mut table = Table {
            data_version: DataVersion::new(now_ms()),
            ..Default::default()
        };
        if let Some(w) = parsed {
            table.data_version = w.data_version;
            table.forbidden = w.forbidden_table;
            for (name, mut cfg) in w.subscription_group_table {
                if cfg.group_name.is_empty() {
                    cfg.group_name = name.clone();
                }
                table.groups.insert(name, Arc::new(cfg));
            }
        }
        for g in SYSTEM_GROUPS {
            table
                .groups
                .entry((*g).to_owned())
                .or_insert_with(|| Arc::new(SubscriptionGroupConfig::new(*g)));
        }
        Ok(SubscriptionGroupManager {
            file,
            table: RwLock::new(table),
            auto_create: AtomicBool::new(true),
        })
    }

    /// The file this manager persists to.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Turns auto-creation of unknown groups on or off
    /// (`autoCreateSubscriptionGroup`).
    pub fn set_auto_create(&self, on: bool) {
        self.auto_create.store(on, Ordering::Relaxed);
    }

    /// The group's config, if it exists.
    pub fn find(&self, group: &str) -> Option<Arc<SubscriptionGroupConfig>> {
        self.table.read().groups.get(group).cloned()
    }

    /// The group's config, created with defaults when it is unknown and
    /// auto-creation is on; `None` otherwise. A created group is persisted by
    /// the next periodic persist.
    pub fn find_or_create(&self, group: &str) -> Option<Arc<SubscriptionGroupConfig>> {
        if let Some(c) = self.find(group) {
            return Some(c);
        }
        if !self.auto_create.load(Ordering::Relaxed) || group.is_empty() {
            return None;
        }
        let mut t = self.table.write();
        if let Some(c) = t.groups.get(group) {
            return Some(c.clone());
        }
        let cfg = Arc::new(SubscriptionGroupConfig::new(group));
        t.groups.insert(group.to_owned(), cfg.clone());
        t.data_version.next_version(now_ms());
        self.file.mark_changed();
        tracing::info!("auto-created subscription group {group}");
        Some(cfg)
    }

    /// Creates or replaces a group's config (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
    pub fn update(&self, cfg: SubscriptionGroupConfig) {
        let mut t = self.table.write();
        t.groups.insert(cfg.group_name.clone(), Arc::new(cfg));
        t.data_version.next_version(now_ms());
        self.file.mark_changed();
    }

    /// Removes a group; returns its config if it existed.
    pub fn delete(&self, group: &str) -> Option<Arc<SubscriptionGroupConfig>> {
        let mut t = self.table.write();
        let removed = t.groups.remove(group);
        if removed.is_some() {
            t.data_version.next_version(now_ms());
            self.file.mark_changed();
        }
        removed
    }

    /// Every group's config, sorted by name.
    pub fn all(&self) -> Vec<Arc<SubscriptionGroupConfig>> {
        let mut v: Vec<_> = self.table.read().groups.values().cloned().collect();
        v.sort_by(|a, b| a.group_name.cmp(&b.group_name));
        v
    }

    /// The table's data version.
    pub fn data_version(&self) -> DataVersion {
        self.table.read().data_version.clone()
    }

    /// The table as the file's JSON (also the GET_ALL_SUBSCRIPTIONGROUP_CONFIG
    /// body) and the change count it reflects.
    pub fn encode(&self) -> Result<(Vec<u8>, u64), ConfigFileError> {
        let t = self.table.read();
        let version = self.file.version();
        let wrapper = SubscriptionGroupWrapper {
            data_version: t.data_version.clone(),
            forbidden_table: t.forbidden.clone(),
            subscription_group_table: t
                .groups
                .iter()
                .map(|(k, v)| (k.clone(), (**v).clone()))
                .collect(),
        };
        drop(t);
        let bytes = fastjson::to_vec(&wrapper, JsonStyle::Fastjson)
            .map_err(|e| self.file.encode_error(e))?;
        Ok((bytes, version))
    }

    /// True when the table changed since it was last persisted.
    pub fn is_dirty(&self) -> bool {
        self.file.is_dirty()
    }

    /// Writes the table now (blocking; shutdown and tests).
    pub fn persist(&self) -> Result<(), ConfigFileError> {
        self.file.persist_with(|| self.encode())
    }

    /// Writes the table if it changed, fsync on the blocking pool (admin
    /// processors await this after a change).
    pub async fn persist_if_dirty(&self) -> Result<(), ConfigFileError> {
        self.file.persist_if_dirty_with(|| self.encode()).await
    }

    /// Persists every `interval` while the table changes (auto-created
    /// groups), until `shutdown`; then once more.
    pub async fn persist_every(&self, interval: Duration, shutdown: impl Future<Output = ()>) {
        persist_loop(FILE_NAME, interval, shutdown, || self.persist_if_dirty()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_file::TestDir;

    #[test]
    fn system_groups_exist_and_auto_create_follows_the_switch() {
        let d = TestDir::new("sg1");
        let m = SubscriptionGroupManager::load(&d.0).unwrap();
        assert!(m.find("TOOLS_CONSUMER").is_some());
        assert!(m.find("G1").is_none());
        let g = m.find_or_create("G1").unwrap();
        assert!(g.consume_enable && g.notify_consumer_ids_changed_enable);
        assert_eq!((g.retry_queue_nums, g.retry_max_times), (1, 16));
        assert!(m.is_dirty());
        m.set_auto_create(false);
        assert!(m.find_or_create("G2").is_none());
        assert!(m.find_or_create("G1").is_some());
    }

    #[test]
    fn update_delete_and_round_trip() {
        let d = TestDir::new("sg2");
        let m = SubscriptionGroupManager::load(&d.0).unwrap();
        let v0 = m.data_version().counter;
        let mut cfg = SubscriptionGroupConfig::new("G");
        cfg.consume_enable = false;
        cfg.retry_max_times = 3;
        cfg.attributes.insert("k".into(), "v".into());
        m.update(cfg.clone());
        m.find_or_create("AUTO").unwrap();
        assert!(m.data_version().counter > v0);
        m.persist().unwrap();
        assert!(!m.is_dirty());

        let m2 = SubscriptionGroupManager::load(&d.0).unwrap();
        assert_eq!(*m2.find("G").unwrap(), cfg);
        assert!(m2.find("AUTO").is_some());
        assert_eq!(m2.data_version(), m.data_version());
        assert!(m2.delete("G").is_some());
        assert!(m2.delete("G").is_none());
        m2.persist().unwrap();
        assert!(SubscriptionGroupManager::load(&d.0)
            .unwrap()
            .find("G")
            .is_none());
    }

    #[test]
    fn reads_a_java_file_with_missing_fields() {
        let d = TestDir::new("sg3");
        std::fs::write(
            d.0.join(FILE_NAME),
            "{\n\t\"dataVersion\":{\"counter\":2,\"timestamp\":5},\n\t\"subscriptionGroupTable\":{\n\t\t\"G1\":{\"groupName\":\"G1\",\"consumeEnable\":false,\"unknownField\":1}\n\t},\"forbiddenTable\":{}\n}",
        )
        .unwrap();
        let m = SubscriptionGroupManager::load(&d.0).unwrap();
        let g = m.find("G1").unwrap();
        assert!(!g.consume_enable);
        assert!(g.consume_broadcast_enable);
        assert_eq!(g.which_broker_when_consume_slowly, 1);
        assert_eq!(m.data_version().counter, 2);
        let (bytes, _) = m.encode().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\"forbiddenTable\":{}"), "{text}");
    }
}
