//! [`TopicConfigManager`]: the broker's topic table (`config/topics.json`),
//! its system topics, auto-creation by the TBW102 rule, topic-name
//! validation and the table's [`DataVersion`] (NAMESRV.md §10, STORAGE.md §11).
//!
//! Every change bumps the DataVersion, is persisted atomically and wakes the
//! registration service ([`TopicConfigManager::changed`]) so name servers
//! learn about new topics at once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use protocol::body::route::{
    is_inherited, DataVersion, TopicConfig, TopicConfigSerializeWrapper, PERM_INHERIT, PERM_READ,
    PERM_RW, PERM_WRITE,
};
use protocol::body::JsonBody;
use tokio::sync::Notify;

use crate::clock::now_ms;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::json_file::JsonFile;

/// Template topic of auto-creation (`AUTO_CREATE_TOPIC_KEY_TOPIC`).
pub const TBW102: &str = "TBW102";
/// Delayed messages wait here, one queue per delay level.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// Transactional half messages.
pub const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Transactional op (commit/rollback marks) messages.
pub const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Half messages past their check limit.
pub const TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// Self-test topic.
pub const SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
/// Offset-moved events (4.9).
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
/// Benchmark topic Java creates at every start.
pub const BENCHMARK_TOPIC: &str = "BenchmarkTest";
/// Prefix of a group's retry topic.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of a group's dead-letter topic.
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";
/// Longest topic name (a V1 record stores its length in a signed byte).
pub const TOPIC_MAX_LENGTH: usize = 127;
/// Longest retry/DLQ topic name (5.x; stored with the V2 record magic).
pub const RETRY_TOPIC_MAX_LENGTH: usize = 255;
/// Delay levels of SCHEDULE_TOPIC_XXXX (one queue each).
const SCHEDULE_QUEUE_NUMS: i32 = 18;

/// Topics producers may not send to (`TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`).
const NOT_ALLOWED_SEND: &[&str] = &[
    SCHEDULE_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
];

/// `%RETRY%<group>`.
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// `%DLQ%<group>`.
pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_GROUP_TOPIC_PREFIX}{group}")
}

/// Whether `name` uses only the characters RocketMQ allows in topic and
/// group names: `^[%|a-zA-Z0-9_-]+$` (emptiness is checked separately).
pub fn is_legal_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-'))
}

/// Checks a topic name as Java's `TopicValidator.validateTopic`: not blank,
/// only `%|a-zA-Z0-9_-`, at most 127 bytes (255 for retry/DLQ topics).
pub fn validate_topic(topic: &str) -> Result<(), BrokerError> {
    if topic.trim().is_empty() {
        return Err(BrokerError::InvalidTopic(
            "The specified topic is blank.".into(),
        ));
    }
    if !is_legal_name(topic) {
        return Err(BrokerError::InvalidTopic(format!(
            "The specified topic[{topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        )));
    }
    let max = if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)
        || topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
    {
        RETRY_TOPIC_MAX_LENGTH
    } else {
        TOPIC_MAX_LENGTH
    };
    if topic.len() > max {
        return Err(BrokerError::InvalidTopic(format!(
            "The specified topic is longer than topic max length {max}."
        )));
    }
    Ok(())
}

/// Fails with NO_PERMISSION for the system topics producers may not send to.
pub fn check_send_allowed(topic: &str) -> Result<(), BrokerError> {
    if NOT_ALLOWED_SEND.contains(&topic) {
        return Err(BrokerError::NoPermission(format!(
            "Sending message to topic[{topic}] is forbidden."
        )));
    }
    Ok(())
}

/// The topic table with its version.
#[derive(Debug, Default)]
struct Table {
    topics: HashMap<String, Arc<TopicConfig>>,
    version: DataVersion,
}

/// The broker's topics. Reads are a read lock and an `Arc` clone; changes
/// take the write lock, bump the DataVersion and persist.
///
/// Invariant: the table always holds the system topics of this broker;
/// `topics.json` on disk holds the table as of the last successful persist.
#[derive(Debug)]
pub struct TopicConfigManager {
    table: RwLock<Table>,
    system: Vec<String>,
    file: JsonFile,
    /// Serializes persists so an older snapshot never overwrites a newer one.
    persist_lock: Mutex<()>,
    changed: Notify,
    auto_create_enable: bool,
}

impl TopicConfigManager {
    /// Loads `dir/topics.json` over the system topics of `cfg` (entries in
    /// the file win, as in Java).
    pub fn load(dir: &Path, cfg: &BrokerConfig) -> Result<Self, BrokerError> {
        let file = JsonFile::new(dir.join("topics.json"));
        let mut table = Table {
            topics: HashMap::new(),
            version: DataVersion::new(now_ms()),
        };
        let system = system_topics(cfg);
        let names = system.iter().map(|t| t.topic_name.clone()).collect();
        for tc in system {
            table.topics.insert(tc.topic_name.clone(), Arc::new(tc));
        }
        let loaded = file.load(TopicConfigSerializeWrapper::from_json)?;
        if let Some(wrapper) = loaded {
            table.version = wrapper.data_version;
            for (name, mut tc) in wrapper.topic_config_table {
                if tc.topic_name.is_empty() {
                    tc.topic_name = name.clone();
                }
                table.topics.insert(name, Arc::new(tc));
            }
        }
        if !cfg.auto_create_topic_enable {
            // TBW102 must not let producers auto-create: keep it, without INHERIT.
            if let Some(tbw) = table.topics.get_mut(TBW102) {
                let mut t = (**tbw).clone();
                t.perm &= !PERM_INHERIT;
                *tbw = Arc::new(t);
            }
        }
        Ok(TopicConfigManager {
            table: RwLock::new(table),
            system: names,
            file,
            persist_lock: Mutex::new(()),
            changed: Notify::new(),
            auto_create_enable: cfg.auto_create_topic_enable,
        })
    }

    /// The config of `topic`, if known.
    pub fn get(&self, topic: &str) -> Option<Arc<TopicConfig>> {
        self.table.read().topics.get(topic).cloned()
    }

    /// Whether `topic` is one of the topics this broker creates at start.
    pub fn is_system_topic(&self, topic: &str) -> bool {
        self.system.iter().any(|t| t == topic)
    }

    /// Names of the topics this broker creates at start.
    pub fn system_topics(&self) -> &[String] {
        &self.system
    }

    /// The current DataVersion.
    pub fn data_version(&self) -> DataVersion {
        self.table.read().version.clone()
    }

    /// The whole table and its version (register body, GET_ALL_TOPIC_CONFIG,
    /// topics.json).
    pub fn snapshot(&self) -> TopicConfigSerializeWrapper {
        let t = self.table.read();
        TopicConfigSerializeWrapper {
            data_version: t.version.clone(),
            topic_config_table: t
                .topics
                .iter()
                .map(|(k, v)| (k.clone(), (**v).clone()))
                .collect(),
        }
    }

    /// Resolves after the next topic change (the registration service waits
    /// on it to register at once).
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// Finds `topic`, or creates it from `default_topic` by the TBW102 rule:
    /// the template must exist and carry INHERIT; the new topic gets
    /// `min(client_queue_nums, template.writeQueueNums)` queues and the
    /// template's perm without INHERIT. `Ok(None)` when it cannot be created.
    pub async fn find_or_create_for_send(
        &self,
        topic: &str,
        default_topic: &str,
        client_queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Result<Option<Arc<TopicConfig>>, BrokerError> {
        if let Some(tc) = self.get(topic) {
            return Ok(Some(tc));
        }
        let created = {
            let mut t = self.table.write();
            if let Some(tc) = t.topics.get(topic) {
                return Ok(Some(tc.clone()));
            }
            let Some(template) = t.topics.get(default_topic).cloned() else {
                tracing::warn!(
                    topic,
                    default_topic,
                    "cannot auto-create topic: default topic does not exist"
                );
                return Ok(None);
            };
            let mut perm = template.perm;
            if default_topic == TBW102 && !self.auto_create_enable {
                perm = PERM_RW;
            }
            if !is_inherited(perm) {
                tracing::warn!(
                    topic,
                    default_topic,
                    perm,
                    "cannot auto-create topic: default topic is not inheritable"
                );
                return Ok(None);
            }
            let queues = client_queue_nums.min(template.write_queue_nums).max(0);
            let mut tc = TopicConfig::new(topic, queues, queues, perm & !PERM_INHERIT);
            tc.topic_sys_flag = topic_sys_flag;
            tc.topic_filter_type = template.topic_filter_type;
            let tc = Arc::new(tc);
            t.topics.insert(topic.to_owned(), tc.clone());
            t.version.next_version(now_ms());
            tc
        };
        tracing::info!(
            topic,
            queues = created.write_queue_nums,
            "auto-created topic from {default_topic}"
        );
        self.after_change().await?;
        Ok(Some(created))
    }

    /// Finds `topic` or creates it with the given queues and perm (retry and
    /// DLQ topics, created on heartbeat, send-back and retry sends).
    pub async fn find_or_create(
        &self,
        topic: &str,
        queue_nums: i32,
        perm: i32,
        topic_sys_flag: i32,
    ) -> Result<Arc<TopicConfig>, BrokerError> {
        if let Some(tc) = self.get(topic) {
            return Ok(tc);
        }
        let created = {
            let mut t = self.table.write();
            if let Some(tc) = t.topics.get(topic) {
                return Ok(tc.clone());
            }
            let mut tc = TopicConfig::new(topic, queue_nums, queue_nums, perm);
            tc.topic_sys_flag = topic_sys_flag;
            let tc = Arc::new(tc);
            t.topics.insert(topic.to_owned(), tc.clone());
            t.version.next_version(now_ms());
            tc
        };
        tracing::info!(topic, queue_nums, perm, "created topic");
        self.after_change().await?;
        Ok(created)
    }

    /// Creates or replaces a topic (UPDATE_AND_CREATE_TOPIC).
    pub async fn update(&self, config: TopicConfig) -> Result<(), BrokerError> {
        {
            let mut t = self.table.write();
            t.topics.insert(config.topic_name.clone(), Arc::new(config));
            t.version.next_version(now_ms());
        }
        self.after_change().await
    }

    /// Removes a topic (DELETE_TOPIC_IN_BROKER); `Ok(false)` when unknown.
    pub async fn delete(&self, topic: &str) -> Result<bool, BrokerError> {
        let removed = {
            let mut t = self.table.write();
            let removed = t.topics.remove(topic).is_some();
            if removed {
                t.version.next_version(now_ms());
            }
            removed
        };
        if removed {
            self.after_change().await?;
        }
        Ok(removed)
    }

    /// Writes topics.json now (blocking: fsync). Used at shutdown.
    pub fn persist(&self) -> Result<(), BrokerError> {
        let _g = self.persist_lock.lock();
        let snapshot = self.snapshot();
        self.file
            .store(0, &snapshot.to_json())
            .map_err(BrokerError::from)
    }

    /// Persists off the runtime threads and wakes the registration service.
    async fn after_change(&self) -> Result<(), BrokerError> {
        let result = self.persist_async().await;
        // One stored permit: a change during a registration round is not lost.
        self.changed.notify_one();
        result
    }

    /// Writes the current table on the blocking pool. The DataVersion
    /// counter is the write's version, so a slower write of an older
    /// snapshot never overwrites a newer one.
    async fn persist_async(&self) -> Result<(), BrokerError> {
        let snapshot = self.snapshot();
        let version = u64::try_from(snapshot.data_version.counter).unwrap_or(0);
        self.file
            .store_async(version, snapshot.to_json())
            .await
            .map_err(BrokerError::from)
    }

    /// Marks the topics named in the name server's ORDER_TOPIC_CONFIG table
    /// as ordered and every other topic as not ordered (Java's
    /// `updateOrderTopicConfig`); persists when something changed.
    pub async fn apply_order_topics(
        &self,
        order_topics: &std::collections::BTreeMap<String, String>,
    ) {
        let changed = {
            let mut t = self.table.write();
            let mut changed = false;
            for tc in t.topics.values_mut() {
                let order = order_topics.contains_key(&tc.topic_name);
                if tc.order != order {
                    let mut n = (**tc).clone();
                    n.order = order;
                    *tc = Arc::new(n);
                    changed = true;
                }
            }
            if changed {
                t.version.next_version(now_ms());
            }
            changed
        };
        if changed {
            if let Err(e) = self.persist_async().await {
                tracing::warn!(error = %e, "cannot persist topics.json");
            }
        }
    }
}

/// The topics Java's `TopicConfigManager` creates at every start.
fn system_topics(cfg: &BrokerConfig) -> Vec<TopicConfig> {
    let mut v = vec![TopicConfig::new(SELF_TEST_TOPIC, 1, 1, PERM_RW)];
    if cfg.auto_create_topic_enable {
        let n = cfg.default_topic_queue_nums;
        v.push(TopicConfig::new(TBW102, n, n, PERM_INHERIT | PERM_RW));
    }
    v.push(TopicConfig::new(BENCHMARK_TOPIC, 1024, 1024, PERM_RW));
    let rw_if = |on: bool| if on { PERM_READ | PERM_WRITE } else { 0 };
    v.push(TopicConfig::new(
        cfg.broker_cluster_name.clone(),
        16,
        16,
        PERM_INHERIT | rw_if(cfg.cluster_topic_enable),
    ));
    v.push(TopicConfig::new(
        cfg.broker_name.clone(),
        1,
        1,
        PERM_INHERIT | rw_if(cfg.broker_topic_enable),
    ));
    v.push(TopicConfig::new(OFFSET_MOVED_EVENT, 1, 1, PERM_RW));
    v.push(TopicConfig::new(
        SCHEDULE_TOPIC,
        SCHEDULE_QUEUE_NUMS,
        SCHEDULE_QUEUE_NUMS,
        PERM_RW,
    ));
    if cfg.trace_topic_enable {
        v.push(TopicConfig::new(
            cfg.msg_trace_topic_name.clone(),
            1,
            1,
            PERM_RW,
        ));
    }
    v.push(TopicConfig::new(
        format!("{}_REPLY_TOPIC", cfg.broker_cluster_name),
        1,
        1,
        PERM_RW,
    ));
    v.push(TopicConfig::new(TRANS_HALF_TOPIC, 1, 1, PERM_RW));
    v.push(TopicConfig::new(TRANS_OP_HALF_TOPIC, 1, 1, PERM_RW));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("rmq-bc-topics-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    #[test]
    fn topic_names() {
        assert!(validate_topic("TopicTest_1-%|x").is_ok());
        assert!(validate_topic("").is_err());
        assert!(validate_topic("  ").is_err());
        assert!(validate_topic("a b").is_err());
        assert!(validate_topic("a.b").is_err());
        assert!(validate_topic(&"a".repeat(127)).is_ok());
        assert!(validate_topic(&"a".repeat(128)).is_err());
        assert!(validate_topic(&format!("%RETRY%{}", "g".repeat(200))).is_ok());
        assert!(check_send_allowed(SCHEDULE_TOPIC).is_err());
        assert!(check_send_allowed("T").is_ok());
    }

    #[tokio::test]
    async fn tbw102_rule_persist_and_reload() {
        let dir = temp_dir("rule");
        let mut cfg = BrokerConfig::default();
        cfg.broker_name = "broker-a".into();
        let m = TopicConfigManager::load(&dir, &cfg).unwrap();
        let tbw = m.get(TBW102).unwrap();
        assert_eq!((tbw.perm, tbw.write_queue_nums), (7, 8));
        assert!(m.get("broker-a").is_some() && m.get("DefaultCluster").is_some());
        let v0 = m.data_version();
        let tc = m
            .find_or_create_for_send("NewTopic", TBW102, 4, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
            (4, 4, 6)
        );
        assert_eq!(m.data_version().counter, v0.counter + 1);
        let big = m
            .find_or_create_for_send("Big", TBW102, 64, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(big.write_queue_nums, 8);
        // A template without INHERIT creates nothing.
        assert!(m
            .find_or_create_for_send("X", "NewTopic", 4, 0)
            .await
            .unwrap()
            .is_none());
        assert!(m
            .find_or_create_for_send("Y", "Missing", 4, 0)
            .await
            .unwrap()
            .is_none());

        let again = TopicConfigManager::load(&dir, &cfg).unwrap();
        assert_eq!(again.get("NewTopic").unwrap().write_queue_nums, 4);
        assert_eq!(again.data_version(), m.data_version());
        assert!(again.delete("NewTopic").await.unwrap());
        assert!(!again.delete("NewTopic").await.unwrap());
        let third = TopicConfigManager::load(&dir, &cfg).unwrap();
        assert!(third.get("NewTopic").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn auto_create_disabled() {
        let dir = temp_dir("noauto");
        let mut cfg = BrokerConfig::default();
        cfg.auto_create_topic_enable = false;
        let m = TopicConfigManager::load(&dir, &cfg).unwrap();
        assert!(m.get(TBW102).is_none());
        assert!(m
            .find_or_create_for_send("T", TBW102, 4, 0)
            .await
            .unwrap()
            .is_none());
        let retry = m
            .find_or_create(&retry_topic("G"), 1, PERM_RW, 0)
            .await
            .unwrap();
        assert_eq!(retry.topic_name, "%RETRY%G");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
