//! [`NamesrvConfig`]: RocketMQ's NameServer settings, under RocketMQ's key
//! names, read from a Java-properties file and written back as properties
//! (`mqnamesrv -p`, GET_NAMESRV_CONFIG).

use std::path::PathBuf;

use protocol::body::properties;

/// A config value that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `key=value` where the value is not of the key's type.
    #[error("config key '{key}': invalid value '{value}'")]
    Invalid {
        /// The key.
        key: String,
        /// The rejected text.
        value: String,
    },
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// NameServer settings. Field names map to RocketMQ's keys (camelCase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamesrvConfig {
    /// `rocketmqHome`: RocketMQ's home directory (informational).
    pub rocketmq_home: String,
    /// `kvConfigPath`: where the KV config is persisted.
    pub kv_config_path: PathBuf,
    /// `configStorePath`: where UPDATE_NAMESRV_CONFIG persists the config.
    pub config_store_path: PathBuf,
    /// `listenPort`: TCP port (9876).
    pub listen_port: u16,
    /// `bindAddress`: interface to listen on (`0.0.0.0`).
    pub bind_address: String,
    /// `orderMessageEnable`: put `orderTopicConf` into routes.
    pub order_message_enable: bool,
    /// `returnOrderTopicConfigToBroker`: answer registrations with the
    /// ORDER_TOPIC_CONFIG namespace.
    pub return_order_topic_config_to_broker: bool,
    /// `scanNotActiveBrokerInterval`: milliseconds between expiry scans.
    pub scan_not_active_broker_interval: u64,
    /// `brokerChannelExpiredTime` (ours; fixed in Java): milliseconds of
    /// silence after which a broker without its own
    /// `heartbeatTimeoutMillis` is dropped.
    pub broker_channel_expired_time: u64,
    /// `enableAllTopicList`: serve GET_ALL_TOPIC_LIST_FROM_NAMESERVER.
    pub enable_all_topic_list: bool,
    /// `enableTopicList`: serve GET_TOPICS_BY_CLUSTER.
    pub enable_topic_list: bool,
    /// `deleteTopicWithBrokerRegistration`: a master's registration removes
    /// its topics missing from the registered table.
    pub delete_topic_with_broker_registration: bool,
    /// `configBlackList`: `;`-separated keys UPDATE_NAMESRV_CONFIG refuses.
    pub config_black_list: String,
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        let home = std::env::var("HOME").unwrap_or_else(|_| String::from("."));
        let home = PathBuf::from(home).join("namesrv");
        NamesrvConfig {
            rocketmq_home: std::env::var("ROCKETMQ_HOME").unwrap_or_default(),
            kv_config_path: home.join("kvConfig.json"),
            config_store_path: home.join("namesrv.properties"),
            listen_port: 9876,
            bind_address: String::from("0.0.0.0"),
            order_message_enable: false,
            return_order_topic_config_to_broker: true,
            scan_not_active_broker_interval: 10_000,
            broker_channel_expired_time: 120_000,
            enable_all_topic_list: true,
            enable_topic_list: true,
            delete_topic_with_broker_registration: false,
            config_black_list: String::from("configBlackList;configStorePath;kvConfigPath"),
        }
    }
}

/// RocketMQ NameServer keys we accept without acting on them (thread pools,
/// Netty tuning, controller mode): no warning for a stock `namesrv.conf`.
const IGNORED_KEYS: &[&str] = &[
    "productEnvName",
    "clusterTest",
    "serverWorkerThreads",
    "serverCallbackExecutorThreads",
    "serverSelectorThreads",
    "serverOnewaySemaphoreValue",
    "serverAsyncSemaphoreValue",
    "serverChannelMaxIdleTimeSeconds",
    "serverSocketSndBufSize",
    "serverSocketRcvBufSize",
    "serverSocketBacklog",
    "writeBufferHighWaterMark",
    "writeBufferLowWaterMark",
    "serverPooledByteBufAllocatorEnable",
    "useEpollNativeSelector",
    "clientRequestThreadPoolNums",
    "defaultThreadPoolNums",
    "clientRequestThreadPoolQueueCapacity",
    "defaultThreadPoolQueueCapacity",
    "unRegisterBrokerQueueCapacity",
    "supportActingMaster",
    "notifyMinBrokerIdChanged",
    "needWaitForService",
    "waitSecondsForService",
    "enableControllerInNamesrv",
];

fn parse_value<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Invalid {
        key: key.to_owned(),
        value: value.to_owned(),
    })
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ConfigError::Invalid {
            key: key.to_owned(),
            value: value.to_owned(),
        }),
    }
}

/// What applying a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The key set a field.
    Set,
    /// A RocketMQ key this server does not use.
    Ignored,
    /// Not a NameServer key at all.
    Unknown,
}

impl NamesrvConfig {
    /// Sets one key from its text form.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<Applied, ConfigError> {
        match key {
            "rocketmqHome" => self.rocketmq_home = value.trim().to_owned(),
            "kvConfigPath" => self.kv_config_path = PathBuf::from(value.trim()),
            "configStorePath" => self.config_store_path = PathBuf::from(value.trim()),
            "listenPort" => self.listen_port = parse_value(key, value)?,
            "bindAddress" => self.bind_address = value.trim().to_owned(),
            "orderMessageEnable" => self.order_message_enable = parse_bool(key, value)?,
            "returnOrderTopicConfigToBroker" => {
                self.return_order_topic_config_to_broker = parse_bool(key, value)?
            }
            "scanNotActiveBrokerInterval" => {
                self.scan_not_active_broker_interval = parse_value(key, value)?
            }
            "brokerChannelExpiredTime" => {
                self.broker_channel_expired_time = parse_value(key, value)?
            }
            "enableAllTopicList" => self.enable_all_topic_list = parse_bool(key, value)?,
            "enableTopicList" => self.enable_topic_list = parse_bool(key, value)?,
            "deleteTopicWithBrokerRegistration" => {
                self.delete_topic_with_broker_registration = parse_bool(key, value)?
            }
            "configBlackList" => self.config_black_list = value.trim().to_owned(),
            k if IGNORED_KEYS.contains(&k) => return Ok(Applied::Ignored),
            _ => return Ok(Applied::Unknown),
        }
        Ok(Applied::Set)
    }

    /// Applies every `(key, value)`, warning by name about unknown keys.
    pub fn apply_all<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), ConfigError> {
        for (k, v) in entries {
            match self.apply(k, v)? {
                Applied::Set => {}
                Applied::Ignored => tracing::info!(key = k, "config key has no effect here"),
                Applied::Unknown => tracing::warn!(key = k, "unknown config key ignored"),
            }
        }
        Ok(())
    }

    /// Applies a Java-properties file.
    pub fn load_file(&mut self, path: &std::path::Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let entries = properties::parse(&text);
        self.apply_all(entries.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The effective settings as `(key, value)` pairs, sorted by key.
    pub fn to_properties(&self) -> Vec<(String, String)> {
        let path = |p: &PathBuf| p.to_string_lossy().into_owned();
        let mut v = vec![
            ("bindAddress", self.bind_address.clone()),
            (
                "brokerChannelExpiredTime",
                self.broker_channel_expired_time.to_string(),
            ),
            ("configBlackList", self.config_black_list.clone()),
            ("configStorePath", path(&self.config_store_path)),
            (
                "deleteTopicWithBrokerRegistration",
                self.delete_topic_with_broker_registration.to_string(),
            ),
            ("enableAllTopicList", self.enable_all_topic_list.to_string()),
            ("enableTopicList", self.enable_topic_list.to_string()),
            ("kvConfigPath", path(&self.kv_config_path)),
            ("listenPort", self.listen_port.to_string()),
            ("orderMessageEnable", self.order_message_enable.to_string()),
            (
                "returnOrderTopicConfigToBroker",
                self.return_order_topic_config_to_broker.to_string(),
            ),
            ("rocketmqHome", self.rocketmq_home.clone()),
            (
                "scanNotActiveBrokerInterval",
                self.scan_not_active_broker_interval.to_string(),
            ),
        ];
        v.sort();
        v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// The settings as properties text.
    pub fn to_properties_text(&self) -> String {
        properties::format(self.to_properties())
    }

    /// Keys UPDATE_NAMESRV_CONFIG must refuse: `configBlackList` plus
    /// `rocketmqHome`, as in RocketMQ.
    pub fn is_black_listed(&self, key: &str) -> bool {
        key == "rocketmqHome"
            || self
                .config_black_list
                .split(';')
                .any(|k| !k.trim().is_empty() && k.trim() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rocketmq_keys_parse_and_print_back() {
        let mut c = NamesrvConfig::default();
        let text = "listenPort=19876\nscanNotActiveBrokerInterval = 5000\norderMessageEnable=true\nkvConfigPath=/tmp/kv.json\nserverWorkerThreads=8\nnoSuchKey=1\n";
        let entries = properties::parse(text);
        c.apply_all(entries.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap();
        assert_eq!(c.listen_port, 19876);
        assert_eq!(c.scan_not_active_broker_interval, 5000);
        assert!(c.order_message_enable);
        assert_eq!(c.kv_config_path, PathBuf::from("/tmp/kv.json"));
        assert_eq!(
            c.apply("serverWorkerThreads", "8").unwrap(),
            Applied::Ignored
        );
        assert_eq!(c.apply("noSuchKey", "1").unwrap(), Applied::Unknown);

        let mut again = NamesrvConfig::default();
        let printed = properties::parse(&c.to_properties_text());
        again
            .apply_all(printed.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut c = NamesrvConfig::default();
        let e = c.apply("listenPort", "98760").unwrap_err();
        assert!(e.to_string().contains("listenPort"), "{e}");
        assert!(c.apply("orderMessageEnable", "yes").is_err());
    }

    #[test]
    fn black_list() {
        let c = NamesrvConfig::default();
        assert!(c.is_black_listed("kvConfigPath"));
        assert!(c.is_black_listed("configStorePath"));
        assert!(c.is_black_listed("rocketmqHome"));
        assert!(!c.is_black_listed("orderMessageEnable"));
        assert!(!c.is_black_listed(""));
    }
}
