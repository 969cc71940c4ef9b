//! Store configuration: RocketMQ's `MessageStoreConfig` keys and defaults.
//!
//! Field names are the Java keys in snake_case; [`StoreConfig::set`] takes the
//! Java key (as in `broker.conf`), [`StoreConfig::entries`] prints them back.
//! Times are milliseconds unless the name says otherwise.

use crate::StoreError;
use std::path::PathBuf;
use std::str::FromStr;

/// When an append counts as stored (`flushDiskType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushDiskType {
    /// `ASYNC_FLUSH`: acknowledged after the in-memory append.
    Async,
    /// `SYNC_FLUSH`: acknowledged after the group commit flushed it.
    Sync,
}

impl FlushDiskType {
    /// The Java enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            FlushDiskType::Async => "ASYNC_FLUSH",
            FlushDiskType::Sync => "SYNC_FLUSH",
        }
    }
}

/// The broker role as far as the store cares (`brokerRole`): a slave refuses
/// local appends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerRole {
    /// `ASYNC_MASTER`.
    AsyncMaster,
    /// `SYNC_MASTER`.
    SyncMaster,
    /// `SLAVE`.
    Slave,
}

impl BrokerRole {
    /// The Java enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            BrokerRole::AsyncMaster => "ASYNC_MASTER",
            BrokerRole::SyncMaster => "SYNC_MASTER",
            BrokerRole::Slave => "SLAVE",
        }
    }
}

/// Store settings with RocketMQ's names and defaults (STORAGE.md §17).
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// `storePathRootDir`, default `$HOME/store`.
    pub store_path_root_dir: PathBuf,
    /// `storePathCommitLog`, default `<root>/commitlog`.
    pub store_path_commit_log: Option<PathBuf>,
    /// `mappedFileSizeCommitLog` (4.x: `mapedFileSizeCommitLog`), 1 GiB.
    pub mapped_file_size_commit_log: u64,
    /// `mappedFileSizeConsumeQueue` (4.x: `mapedFileSizeConsumeQueue`), 300,000 × 20 bytes.
    pub mapped_file_size_consume_queue: u64,
    /// `flushDiskType`.
    pub flush_disk_type: FlushDiskType,
    /// `brokerRole`.
    pub broker_role: BrokerRole,
    /// `flushIntervalCommitLog`, 500 ms.
    pub flush_interval_commit_log: u64,
    /// `flushCommitLogTimed` (accepted; the flusher always sleeps).
    pub flush_commit_log_timed: bool,
    /// `flushCommitLogLeastPages`, 4.
    pub flush_commit_log_least_pages: u64,
    /// `flushCommitLogThoroughInterval`, 10 s.
    pub flush_commit_log_thorough_interval: u64,
    /// `flushIntervalConsumeQueue`, 1 s.
    pub flush_interval_consume_queue: u64,
    /// `flushConsumeQueueLeastPages`, 2.
    pub flush_consume_queue_least_pages: u64,
    /// `flushConsumeQueueThoroughInterval`, 60 s.
    pub flush_consume_queue_thorough_interval: u64,
    /// `syncFlushTimeout`, 5 s: a SYNC_FLUSH waiter not flushed by then gets FlushDiskTimeout.
    pub sync_flush_timeout: u64,
    /// `maxMessageSize`, 4 MiB body limit.
    pub max_message_size: u64,
    /// `fileReservedTime`, 72 hours.
    pub file_reserved_time: u64,
    /// `deleteWhen`, `"04"`: `;`-separated local hours when expired files go.
    pub delete_when: String,
    /// `diskMaxUsedSpaceRatio`, 75 (%): above it expired files go at once.
    pub disk_max_used_space_ratio: u64,
    /// `diskSpaceCleanForciblyRatio`, 85 (%): above it files go even if not expired.
    pub disk_space_clean_forcibly_ratio: u64,
    /// `diskSpaceWarningLevelRatio`, 90 (%): above it appends are refused.
    pub disk_space_warning_level_ratio: u64,
    /// `cleanFileForciblyEnable`, true.
    pub clean_file_forcibly_enable: bool,
    /// `cleanResourceInterval`, 10 s.
    pub clean_resource_interval: u64,
    /// `deleteCommitLogFilesInterval`, 100 ms between deleted files.
    pub delete_commit_log_files_interval: u64,
    /// `deleteConsumeQueueFilesInterval`, 100 ms.
    pub delete_consume_queue_files_interval: u64,
    /// `destroyMapedFileIntervalForcibly`, 120 s (readers keep files alive by reference here).
    pub destroy_maped_file_interval_forcibly: u64,
    /// `checkCRCOnRecover`, true.
    pub check_crc_on_recover: bool,
    /// `messageIndexEnable`, true.
    pub message_index_enable: bool,
    /// `messageIndexSafe`, false.
    pub message_index_safe: bool,
    /// `maxHashSlotNum`, 5,000,000.
    pub max_hash_slot_num: u64,
    /// `maxIndexNum`, 20,000,000.
    pub max_index_num: u64,
    /// `maxMsgsNumBatch`, 64: cap on query results.
    pub max_msgs_num_batch: u64,
    /// `defaultQueryMaxNum`, 32.
    pub default_query_max_num: u64,
    /// `messageDelayLevel`: delay of each level, used for `SCHEDULE_TOPIC_XXXX` tag codes.
    pub message_delay_level: String,
    /// `accessMessageInMemoryMaxRatio`, 40 (% of RAM).
    pub access_message_in_memory_max_ratio: u64,
    /// `maxTransferBytesOnMessageInMemory`, 256 KiB.
    pub max_transfer_bytes_on_message_in_memory: u64,
    /// `maxTransferCountOnMessageInMemory`, 32.
    pub max_transfer_count_on_message_in_memory: u64,
    /// `maxTransferBytesOnMessageInDisk`, 64 KiB.
    pub max_transfer_bytes_on_message_in_disk: u64,
    /// `maxTransferCountOnMessageInDisk`, 8.
    pub max_transfer_count_on_message_in_disk: u64,
    /// `maxFilterMessageSize`, 16,000 bytes of ConsumeQueue scanned per get.
    pub max_filter_message_size: u64,
    /// `osPageCacheBusyTimeOutMills`, 1 s.
    pub os_page_cache_busy_time_out_mills: u64,
    /// `autoMessageVersionOnTopicLen`, true: V2 records for topics over 127 bytes.
    pub auto_message_version_on_topic_len: bool,
    /// `warmMapedFileEnable`, false (accepted; files are preallocated).
    pub warm_maped_file_enable: bool,
    /// `transientStorePoolEnable`, false (accepted; not implemented).
    pub transient_store_pool_enable: bool,
    /// `transientStorePoolSize`, 5.
    pub transient_store_pool_size: u64,
    /// `commitIntervalCommitLog`, 200 ms (transient pool only).
    pub commit_interval_commit_log: u64,
    /// `commitCommitLogLeastPages`, 4.
    pub commit_commit_log_least_pages: u64,
    /// `commitCommitLogThoroughInterval`, 200 ms.
    pub commit_commit_log_thorough_interval: u64,
    /// `haListenPort`, 10912.
    pub ha_listen_port: u64,
    /// `haSendHeartbeatInterval`, 5 s.
    pub ha_send_heartbeat_interval: u64,
    /// `haHousekeepingInterval`, 20 s.
    pub ha_housekeeping_interval: u64,
    /// `haTransferBatchSize`, 32 KiB.
    pub ha_transfer_batch_size: u64,
    /// `haMasterAddress`.
    pub ha_master_address: Option<String>,
    /// `haMaxGapNotInSync`, 256 MiB.
    pub ha_max_gap_not_in_sync: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        StoreConfig {
            store_path_root_dir: home.join("store"),
            store_path_commit_log: None,
            mapped_file_size_commit_log: 1024 * 1024 * 1024,
            mapped_file_size_consume_queue: 300_000 * 20,
            flush_disk_type: FlushDiskType::Async,
            broker_role: BrokerRole::AsyncMaster,
            flush_interval_commit_log: 500,
            flush_commit_log_timed: true,
            flush_commit_log_least_pages: 4,
            flush_commit_log_thorough_interval: 10_000,
            flush_interval_consume_queue: 1000,
            flush_consume_queue_least_pages: 2,
            flush_consume_queue_thorough_interval: 60_000,
            sync_flush_timeout: 5000,
            max_message_size: 4 * 1024 * 1024,
            file_reserved_time: 72,
            delete_when: "04".into(),
            disk_max_used_space_ratio: 75,
            disk_space_clean_forcibly_ratio: 85,
            disk_space_warning_level_ratio: 90,
            clean_file_forcibly_enable: true,
            clean_resource_interval: 10_000,
            delete_commit_log_files_interval: 100,
            delete_consume_queue_files_interval: 100,
            destroy_maped_file_interval_forcibly: 120_000,
            check_crc_on_recover: true,
            message_index_enable: true,
            message_index_safe: false,
            max_hash_slot_num: 5_000_000,
            max_index_num: 20_000_000,
            max_msgs_num_batch: 64,
            default_query_max_num: 32,
            message_delay_level: "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
                .into(),
            access_message_in_memory_max_ratio: 40,
            max_transfer_bytes_on_message_in_memory: 256 * 1024,
            max_transfer_count_on_message_in_memory: 32,
            max_transfer_bytes_on_message_in_disk: 64 * 1024,
            max_transfer_count_on_message_in_disk: 8,
            max_filter_message_size: 16_000,
            os_page_cache_busy_time_out_mills: 1000,
            auto_message_version_on_topic_len: true,
            warm_maped_file_enable: false,
            transient_store_pool_enable: false,
            transient_store_pool_size: 5,
            commit_interval_commit_log: 200,
            commit_commit_log_least_pages: 4,
            commit_commit_log_thorough_interval: 200,
            ha_listen_port: 10912,
            ha_send_heartbeat_interval: 5000,
            ha_housekeeping_interval: 20_000,
            ha_transfer_batch_size: 32 * 1024,
            ha_master_address: None,
            ha_max_gap_not_in_sync: 256 * 1024 * 1024,
        }
    }
}

fn num<T: FromStr>(key: &str, value: &str) -> Result<T, StoreError> {
    value.trim().parse().map_err(|_| StoreError::Config {
        key: key.to_string(),
        value: value.to_string(),
    })
}

fn boolean(key: &str, value: &str) -> Result<bool, StoreError> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(StoreError::Config {
            key: key.to_string(),
            value: value.to_string(),
        }),
    }
}

impl StoreConfig {
    /// Directory of the CommitLog files.
    pub fn commit_log_dir(&self) -> PathBuf {
        match &self.store_path_commit_log {
            // Java allows several dirs separated by ','; only the first is used here.
            Some(p) => PathBuf::from(p.to_string_lossy().split(',').next().unwrap_or_default()),
            None => self.store_path_root_dir.join("commitlog"),
        }
    }

    /// Directory of the consume queues.
    pub fn consume_queue_dir(&self) -> PathBuf {
        self.store_path_root_dir.join("consumequeue")
    }

    /// Directory of the index files.
    pub fn index_dir(&self) -> PathBuf {
        self.store_path_root_dir.join("index")
    }

    /// Delay of each `messageDelayLevel` level in ms (level 1 at index 0);
    /// unparsable words are skipped.
    pub fn delay_levels_ms(&self) -> Vec<i64> {
        self.message_delay_level
            .split_whitespace()
            .filter_map(|w| {
                let (n, unit) = w.split_at(w.len().saturating_sub(1));
                let n: i64 = n.parse().ok()?;
                let mul = match unit {
                    "s" => 1000,
                    "m" => 60_000,
                    "h" => 3_600_000,
                    "d" => 86_400_000,
                    _ => return None,
                };
                Some(n * mul)
            })
            .collect()
    }

    /// Sets a field by its Java key name. `Ok(false)` for a key the store
    /// does not know (the caller may try other config structs); `Err` for a
    /// known key with an unparsable value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, StoreError> {
        let v = value.trim();
        match key {
            "storePathRootDir" => self.store_path_root_dir = PathBuf::from(v),
            "storePathCommitLog" => self.store_path_commit_log = Some(PathBuf::from(v)),
            "mappedFileSizeCommitLog" | "mapedFileSizeCommitLog" => {
                self.mapped_file_size_commit_log = num(key, v)?
            }
            "mappedFileSizeConsumeQueue" | "mapedFileSizeConsumeQueue" => {
                self.mapped_file_size_consume_queue = num(key, v)?
            }
            "flushDiskType" => {
                self.flush_disk_type = match v {
                    "ASYNC_FLUSH" => FlushDiskType::Async,
                    "SYNC_FLUSH" => FlushDiskType::Sync,
                    _ => {
                        return Err(StoreError::Config {
                            key: key.into(),
                            value: v.into(),
                        })
                    }
                }
            }
            "brokerRole" => {
                self.broker_role = match v {
                    "ASYNC_MASTER" => BrokerRole::AsyncMaster,
                    "SYNC_MASTER" => BrokerRole::SyncMaster,
                    "SLAVE" => BrokerRole::Slave,
                    _ => {
                        return Err(StoreError::Config {
                            key: key.into(),
                            value: v.into(),
                        })
                    }
                }
            }
            "flushIntervalCommitLog" => self.flush_interval_commit_log = num(key, v)?,
            "flushCommitLogTimed" => self.flush_commit_log_timed = boolean(key, v)?,
            "flushCommitLogLeastPages" => self.flush_commit_log_least_pages = num(key, v)?,
            "flushCommitLogThoroughInterval" => {
                self.flush_commit_log_thorough_interval = num(key, v)?
            }
            "flushIntervalConsumeQueue" => self.flush_interval_consume_queue = num(key, v)?,
            "flushConsumeQueueLeastPages" => self.flush_consume_queue_least_pages = num(key, v)?,
            "flushConsumeQueueThoroughInterval" => {
                self.flush_consume_queue_thorough_interval = num(key, v)?
            }
            "syncFlushTimeout" => self.sync_flush_timeout = num(key, v)?,
            "maxMessageSize" => self.max_message_size = num(key, v)?,
            "fileReservedTime" => self.file_reserved_time = num(key, v)?,
            "deleteWhen" => self.delete_when = v.to_string(),
            "diskMaxUsedSpaceRatio" => self.disk_max_used_space_ratio = num(key, v)?,
            "diskSpaceCleanForciblyRatio" => self.disk_space_clean_forcibly_ratio = num(key, v)?,
            "diskSpaceWarningLevelRatio" => self.disk_space_warning_level_ratio = num(key, v)?,
            "cleanFileForciblyEnable" => self.clean_file_forcibly_enable = boolean(key, v)?,
            "cleanResourceInterval" => self.clean_resource_interval = num(key, v)?,
            "deleteCommitLogFilesInterval" => self.delete_commit_log_files_interval = num(key, v)?,
            "deleteConsumeQueueFilesInterval" => {
                self.delete_consume_queue_files_interval = num(key, v)?
            }
            "destroyMapedFileIntervalForcibly" => {
                self.destroy_maped_file_interval_forcibly = num(key, v)?
            }
            "checkCRCOnRecover" => self.check_crc_on_recover = boolean(key, v)?,
            "messageIndexEnable" => self.message_index_enable = boolean(key, v)?,
            "messageIndexSafe" => self.message_index_safe = boolean(key, v)?,
            "maxHashSlotNum" => self.max_hash_slot_num = num(key, v)?,
            "maxIndexNum" => self.max_index_num = num(key, v)?,
            "maxMsgsNumBatch" => self.max_msgs_num_batch = num(key, v)?,
            "defaultQueryMaxNum" => self.default_query_max_num = num(key, v)?,
            "messageDelayLevel" => self.message_delay_level = v.to_string(),
            "accessMessageInMemoryMaxRatio" => {
                self.access_message_in_memory_max_ratio = num(key, v)?
            }
            "maxTransferBytesOnMessageInMemory" => {
                self.max_transfer_bytes_on_message_in_memory = num(key, v)?
            }
            "maxTransferCountOnMessageInMemory" => {
                self.max_transfer_count_on_message_in_memory = num(key, v)?
            }
            "maxTransferBytesOnMessageInDisk" => {
                self.max_transfer_bytes_on_message_in_disk = num(key, v)?
            }
            "maxTransferCountOnMessageInDisk" => {
                self.max_transfer_count_on_message_in_disk = num(key, v)?
            }
            "maxFilterMessageSize" => self.max_filter_message_size = num(key, v)?,
            "osPageCacheBusyTimeOutMills" => self.os_page_cache_busy_time_out_mills = num(key, v)?,
            "autoMessageVersionOnTopicLen" => {
                self.auto_message_version_on_topic_len = boolean(key, v)?
            }
            "warmMapedFileEnable" => self.warm_maped_file_enable = boolean(key, v)?,
            "transientStorePoolEnable" => self.transient_store_pool_enable = boolean(key, v)?,
            "transientStorePoolSize" => self.transient_store_pool_size = num(key, v)?,
            "commitIntervalCommitLog" => self.commit_interval_commit_log = num(key, v)?,
            "commitCommitLogLeastPages" => self.commit_commit_log_least_pages = num(key, v)?,
            "commitCommitLogThoroughInterval" => {
                self.commit_commit_log_thorough_interval = num(key, v)?
            }
            "haListenPort" => self.ha_listen_port = num(key, v)?,
            "haSendHeartbeatInterval" => self.ha_send_heartbeat_interval = num(key, v)?,
            "haHousekeepingInterval" => self.ha_housekeeping_interval = num(key, v)?,
            "haTransferBatchSize" => self.ha_transfer_batch_size = num(key, v)?,
            "haMasterAddress" => {
                self.ha_master_address = if v.is_empty() {
                    None
                } else {
                    Some(v.to_string())
                }
            }
            "haMaxGapNotInSync" => self.ha_max_gap_not_in_sync = num(key, v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// All settings as (Java key, value) pairs, for logging the effective config.
    pub fn entries(&self) -> Vec<(String, String)> {
        let s = |k: &str, v: String| (k.to_string(), v);
        let path = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        vec![
            s(
                "storePathRootDir",
                self.store_path_root_dir.display().to_string(),
            ),
            s("storePathCommitLog", path(&self.store_path_commit_log)),
            s(
                "mappedFileSizeCommitLog",
                self.mapped_file_size_commit_log.to_string(),
            ),
            s(
                "mappedFileSizeConsumeQueue",
                self.mapped_file_size_consume_queue.to_string(),
            ),
            s("flushDiskType", self.flush_disk_type.as_str().into()),
            s("brokerRole", self.broker_role.as_str().into()),
            s(
                "flushIntervalCommitLog",
                self.flush_interval_commit_log.to_string(),
            ),
            s(
                "flushCommitLogTimed",
                self.flush_commit_log_timed.to_string(),
            ),
            s(
                "flushCommitLogLeastPages",
                self.flush_commit_log_least_pages.to_string(),
            ),
            s(
                "flushCommitLogThoroughInterval",
                self.flush_commit_log_thorough_interval.to_string(),
            ),
            s(
                "flushIntervalConsumeQueue",
                self.flush_interval_consume_queue.to_string(),
            ),
            s(
                "flushConsumeQueueLeastPages",
                self.flush_consume_queue_least_pages.to_string(),
            ),
            s(
                "flushConsumeQueueThoroughInterval",
                self.flush_consume_queue_thorough_interval.to_string(),
            ),
            s("syncFlushTimeout", self.sync_flush_timeout.to_string()),
            s("maxMessageSize", self.max_message_size.to_string()),
            s("fileReservedTime", self.file_reserved_time.to_string()),
            s("deleteWhen", self.delete_when.clone()),
            s(
                "diskMaxUsedSpaceRatio",
                self.disk_max_used_space_ratio.to_string(),
            ),
            s(
                "diskSpaceCleanForciblyRatio",
                self.disk_space_clean_forcibly_ratio.to_string(),
            ),
            s(
                "diskSpaceWarningLevelRatio",
                self.disk_space_warning_level_ratio.to_string(),
            ),
            s(
                "cleanFileForciblyEnable",
                self.clean_file_forcibly_enable.to_string(),
            ),
            s(
                "cleanResourceInterval",
                self.clean_resource_interval.to_string(),
            ),
            s(
                "deleteCommitLogFilesInterval",
                self.delete_commit_log_files_interval.to_string(),
            ),
            s(
                "deleteConsumeQueueFilesInterval",
                self.delete_consume_queue_files_interval.to_string(),
            ),
            s(
                "destroyMapedFileIntervalForcibly",
                self.destroy_maped_file_interval_forcibly.to_string(),
            ),
            s("checkCRCOnRecover", self.check_crc_on_recover.to_string()),
            s("messageIndexEnable", self.message_index_enable.to_string()),
            s("messageIndexSafe", self.message_index_safe.to_string()),
            s("maxHashSlotNum", self.max_hash_slot_num.to_string()),
            s("maxIndexNum", self.max_index_num.to_string()),
            s("maxMsgsNumBatch", self.max_msgs_num_batch.to_string()),
            s("defaultQueryMaxNum", self.default_query_max_num.to_string()),
            s("messageDelayLevel", self.message_delay_level.clone()),
            s(
                "accessMessageInMemoryMaxRatio",
                self.access_message_in_memory_max_ratio.to_string(),
            ),
            s(
                "maxTransferBytesOnMessageInMemory",
                self.max_transfer_bytes_on_message_in_memory.to_string(),
            ),
            s(
                "maxTransferCountOnMessageInMemory",
                self.max_transfer_count_on_message_in_memory.to_string(),
            ),
            s(
                "maxTransferBytesOnMessageInDisk",
                self.max_transfer_bytes_on_message_in_disk.to_string(),
            ),
            s(
                "maxTransferCountOnMessageInDisk",
                self.max_transfer_count_on_message_in_disk.to_string(),
            ),
            s(
                "maxFilterMessageSize",
                self.max_filter_message_size.to_string(),
            ),
            s(
                "osPageCacheBusyTimeOutMills",
                self.os_page_cache_busy_time_out_mills.to_string(),
            ),
            s(
                "autoMessageVersionOnTopicLen",
                self.auto_message_version_on_topic_len.to_string(),
            ),
            s(
                "warmMapedFileEnable",
                self.warm_maped_file_enable.to_string(),
            ),
            s(
                "transientStorePoolEnable",
                self.transient_store_pool_enable.to_string(),
            ),
            s(
                "transientStorePoolSize",
                self.transient_store_pool_size.to_string(),
            ),
            s(
                "commitIntervalCommitLog",
                self.commit_interval_commit_log.to_string(),
            ),
            s(
                "commitCommitLogLeastPages",
                self.commit_commit_log_least_pages.to_string(),
            ),
            s(
                "commitCommitLogThoroughInterval",
                self.commit_commit_log_thorough_interval.to_string(),
            ),
            s("haListenPort", self.ha_listen_port.to_string()),
            s(
                "haSendHeartbeatInterval",
                self.ha_send_heartbeat_interval.to_string(),
            ),
            s(
                "haHousekeepingInterval",
                self.ha_housekeeping_interval.to_string(),
            ),
            s(
                "haTransferBatchSize",
                self.ha_transfer_batch_size.to_string(),
            ),
            s(
                "haMasterAddress",
                self.ha_master_address.clone().unwrap_or_default(),
            ),
            s("haMaxGapNotInSync", self.ha_max_gap_not_in_sync.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_by_java_key_and_round_trip_entries() {
        let mut c = StoreConfig::default();
        assert!(c.set("flushDiskType", "SYNC_FLUSH").unwrap());
        assert!(c.set("mapedFileSizeCommitLog", "1048576").unwrap());
        assert!(c.set("deleteWhen", "04;05").unwrap());
        assert!(!c.set("listenPort", "10911").unwrap());
        assert!(c.set("maxMessageSize", "abc").is_err());
        assert_eq!(c.flush_disk_type, FlushDiskType::Sync);
        assert_eq!(c.mapped_file_size_commit_log, 1 << 20);
        let mut d = StoreConfig::default();
        for (k, v) in c.entries() {
            if k == "storePathCommitLog" && v.is_empty() {
                continue;
            }
            assert!(d.set(&k, &v).unwrap(), "{k}");
        }
        assert_eq!(c, d);
    }

    #[test]
    fn defaults_match_rocketmq() {
        let c = StoreConfig::default();
        assert_eq!(c.mapped_file_size_consume_queue, 6_000_000);
        assert_eq!(c.sync_flush_timeout, 5000);
        assert_eq!(c.delay_levels_ms().len(), 18);
        assert_eq!(c.delay_levels_ms()[17], 7_200_000);
    }
}
