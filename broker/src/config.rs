//! [`BrokerConfig`]: RocketMQ's broker settings, read from a Java-properties
//! file (`broker.conf`) with RocketMQ's key names and defaults.
//!
//! Keys of the Java `BrokerConfig` and `NettyServerConfig` live here; keys of
//! `MessageStoreConfig` (`storePathRootDir`, `flushDiskType`, `brokerRole`,
//! `maxMessageSize`, ...) are handed to [`store::StoreConfig::set`] and kept in
//! [`BrokerConfig::store`]. Keys RocketMQ knows but this broker does not act
//! on are accepted and logged once; unknown keys warn by name. Precedence:
//! command line (`-n`) over the file over the `NAMESRV_ADDR` environment
//! variable over the defaults.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use protocol::body::properties;
use store::{BrokerRole, StoreConfig};

use crate::error::BrokerError;

/// A type a config value parses into and prints from.
trait ConfigValue: Sized {
    fn parse_value(raw: &str) -> Option<Self>;
    fn show(&self) -> String;
}

impl ConfigValue for String {
    fn parse_value(raw: &str) -> Option<Self> {
        Some(raw.trim().to_owned())
    }
    fn show(&self) -> String {
        self.clone()
    }
}

impl ConfigValue for bool {
    fn parse_value(raw: &str) -> Option<Self> {
        match raw.trim() {
            t if t.eq_ignore_ascii_case("true") => Some(true),
            t if t.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

macro_rules! numeric_config_value {
    ($($t:ty),*) => {$(
        impl ConfigValue for $t {
            fn parse_value(raw: &str) -> Option<Self> {
                raw.trim().parse().ok()
            }
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
numeric_config_value!(i32, i64, u16, u32, u64, usize);

impl ConfigValue for Option<u64> {
    fn parse_value(raw: &str) -> Option<Self> {
        let t = raw.trim();
        if t.is_empty() {
            return Some(None);
        }
        t.parse().ok().map(Some)
    }
    fn show(&self) -> String {
        self.map(|v| v.to_string()).unwrap_or_default()
    }
}

impl ConfigValue for Option<String> {
    fn parse_value(raw: &str) -> Option<Self> {
        let t = raw.trim();
        Some((!t.is_empty()).then(|| t.to_owned()))
    }
    fn show(&self) -> String {
        self.clone().unwrap_or_default()
    }
}

/// Declares the broker's own settings: field, Java key, default. Generates
/// the struct fields' defaults, `set_broker_key` and `broker_entries`, so a key
/// is named exactly once.
macro_rules! broker_keys {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty = $key:literal, $default:expr; )*) => {
        /// The broker's settings (Java `BrokerConfig` + `NettyServerConfig`
        /// keys) plus the store's ([`StoreConfig`]).
        ///
        /// Invariant after [`BrokerConfig::validate`]: the broker address is
        /// `broker_ip1:listen_port`, every name server address is `host:port`,
        /// and a master has `broker_id` 0.
        #[derive(Debug, Clone, PartialEq)]
        pub struct BrokerConfig {
            $( $(#[$doc])* pub $field: $ty, )*
            /// Store settings, by their Java keys (`storePathRootDir`, ...).
            pub store: StoreConfig,
            /// `haListenPort` was given explicitly (else it follows listenPort + 1).
            ha_port_explicit: bool,
        }

        impl Default for BrokerConfig {
            fn default() -> Self {
                let mut cfg = BrokerConfig {
                    $( $field: $default, )*
                    store: StoreConfig::default(),
                    ha_port_explicit: false,
                };
                cfg.store.ha_listen_port = u64::from(cfg.listen_port) + 1;
                cfg
            }
        }

        impl BrokerConfig {
            /// Sets one of the broker's own keys. `Ok(false)` for a key that
            /// is not one of them.
            fn set_broker_key(&mut self, key: &str, value: &str) -> Result<bool, BrokerError> {
                match key {
                    $( $key => {
                        self.$field = <$ty as ConfigValue>::parse_value(value).ok_or_else(|| {
                            BrokerError::Config { key: key.to_owned(), value: value.to_owned() }
                        })?;
                    } )*
                    _ => return Ok(false),
                }
                Ok(true)
            }

            /// The broker's own keys and values.
            fn broker_entries(&self) -> Vec<(String, String)> {
                vec![ $( ($key.to_owned(), ConfigValue::show(&self.$field)), )* ]
            }
        }
    };
}

broker_keys! {
    /// `brokerClusterName`: the cluster this broker registers under.
    broker_cluster_name: String = "brokerClusterName", "DefaultCluster".into();
    /// `brokerName`: the name shared by a master and its slaves (default: the host name).
    broker_name: String = "brokerName", default_broker_name();
    /// `brokerId`: 0 for a master, > 0 for a slave.
    broker_id: i64 = "brokerId", 0;
    /// `listenPort`: the remoting port (10911); the VIP port is listenPort - 2.
    listen_port: u16 = "listenPort", 10911;
    /// `bindAddress`: the address the listeners bind (5.x `NettyServerConfig` key).
    bind_address: String = "bindAddress", "0.0.0.0".into();
    /// `vipListenEnable` (this broker's own key): also listen on listenPort - 2.
    vip_listen_enable: bool = "vipListenEnable", true;
    /// `namesrvAddr`: name servers, `;`-separated (default: `NAMESRV_ADDR`).
    namesrv_addr: Option<String> = "namesrvAddr", std::env::var("NAMESRV_ADDR").ok().filter(|s| !s.trim().is_empty());
    /// `brokerIP1`: the address clients dial and stored as storeHost.
    broker_ip1: String = "brokerIP1", local_ip().to_string();
    /// `brokerIP2`: the HA address (default: brokerIP1).
    broker_ip2: Option<String> = "brokerIP2", None;
    /// `brokerPermission`: PermName bits of the whole broker (6 = read + write).
    broker_permission: i32 = "brokerPermission", 6;
    /// `defaultTopicQueueNums`: queues of TBW102 (8).
    default_topic_queue_nums: i32 = "defaultTopicQueueNums", 8;
    /// `autoCreateTopicEnable`: create topics on first send by the TBW102 rule.
    auto_create_topic_enable: bool = "autoCreateTopicEnable", true;
    /// `clusterTopicEnable`: the cluster-name topic is readable and writable.
    cluster_topic_enable: bool = "clusterTopicEnable", true;
    /// `brokerTopicEnable`: the broker-name topic is readable and writable.
    broker_topic_enable: bool = "brokerTopicEnable", true;
    /// `autoCreateSubscriptionGroup`: create unknown consumer groups on use.
    auto_create_subscription_group: bool = "autoCreateSubscriptionGroup", true;
    /// `traceTopicEnable`: create the trace topic at start.
    trace_topic_enable: bool = "traceTopicEnable", false;
    /// `msgTraceTopicName`: the trace topic.
    msg_trace_topic_name: String = "msgTraceTopicName", "RMQ_SYS_TRACE_TOPIC".into();
    /// `regionId`: sent back to producers as `MSG_REGION`.
    region_id: String = "regionId", "DefaultRegion".into();
    /// `traceOn`: sent back to producers as `TRACE_ON`.
    trace_on: bool = "traceOn", true;
    /// `longPollingEnable`: hold pulls that found nothing.
    long_polling_enable: bool = "longPollingEnable", true;
    /// `shortPollingTimeMills`: hold time when long polling is off (1 s).
    short_polling_time_mills: u64 = "shortPollingTimeMills", 1000;
    /// `registerNameServerPeriod`: re-registration period (30 s, clamped 10-60 s).
    register_name_server_period: u64 = "registerNameServerPeriod", 30_000;
    /// `registerBrokerTimeoutMills`: timeout of one REGISTER_BROKER call.
    register_broker_timeout_mills: u64 = "registerBrokerTimeoutMills", 24_000;
    /// `brokerNotActiveTimeoutMillis`: when set, sent as the name server's expiry for this
    /// broker (`heartbeatTimeoutMillis`); unset, name servers use their 120 s default.
    broker_not_active_timeout_millis: Option<u64> = "brokerNotActiveTimeoutMillis", None;
    /// `forceRegister`: register every period even if nothing changed.
    force_register: bool = "forceRegister", true;
    /// `flushConsumerOffsetInterval`: consumerOffset.json flush period (5 s).
    flush_consumer_offset_interval: u64 = "flushConsumerOffsetInterval", 5000;
    /// `channelExpiredTimeout`: a client without heartbeat for this long is dropped (120 s).
    channel_expired_timeout: u64 = "channelExpiredTimeout", 120_000;
    /// `notifyConsumerIdsChangedEnable`: tell a group's consumers when membership changes.
    notify_consumer_ids_changed_enable: bool = "notifyConsumerIdsChangedEnable", true;
    /// `slaveReadEnable`: let consumers read from slaves when behind.
    slave_read_enable: bool = "slaveReadEnable", false;
    /// `rejectTransactionMessage`: refuse transactional half messages.
    reject_transaction_message: bool = "rejectTransactionMessage", false;
    /// `litePullMessageEnable`: serve LITE_PULL_MESSAGE.
    lite_pull_message_enable: bool = "litePullMessageEnable", true;
    /// `rejectPullConsumerEnable`: ignore pull consumers in heartbeats.
    reject_pull_consumer_enable: bool = "rejectPullConsumerEnable", false;
    /// `sendMessageThreadPoolNums`: sends processed at once across connections.
    send_message_thread_pool_nums: usize = "sendMessageThreadPoolNums", 4;
    /// `pullMessageThreadPoolNums`: accepted; pulls run on the runtime.
    pull_message_thread_pool_nums: usize = "pullMessageThreadPoolNums", 16 + 2 * cpus();
    /// `sendThreadPoolQueueCapacity`: sends queued for the store before SYSTEM_BUSY.
    send_thread_pool_queue_capacity: usize = "sendThreadPoolQueueCapacity", 10_000;
    /// `pullThreadPoolQueueCapacity`: pulls queued before SYSTEM_BUSY.
    pull_thread_pool_queue_capacity: usize = "pullThreadPoolQueueCapacity", 100_000;
    /// `waitTimeMillsInSendQueue`: a send queued longer than this gets SYSTEM_BUSY (200 ms).
    wait_time_mills_in_send_queue: u64 = "waitTimeMillsInSendQueue", 200;
    /// `brokerFastFailureEnable`: apply `waitTimeMillsInSendQueue`.
    broker_fast_failure_enable: bool = "brokerFastFailureEnable", true;
    /// `transactionTimeOut`: age of a half message before its first check.
    transaction_time_out: u64 = "transactionTimeOut", 6000;
    /// `transactionCheckMax`: checks before a half message is dropped.
    transaction_check_max: u32 = "transactionCheckMax", 15;
    /// `transactionCheckInterval`: period of transaction checks.
    transaction_check_interval: u64 = "transactionCheckInterval", 30_000;
    /// `serverChannelMaxIdleTimeSeconds`: idle connections are closed after this (120 s).
    server_channel_max_idle_time_seconds: u64 = "serverChannelMaxIdleTimeSeconds", 120;
    /// `rocketmqHome`: accepted for compatibility.
    rocketmq_home: Option<String> = "rocketmqHome", std::env::var("ROCKETMQ_HOME").ok();
}

/// Keys of Java's broker, netty and store configs this broker accepts
/// without acting on them (thread counts of pools it does not have, ...).
const ACCEPTED_WITHOUT_EFFECT: &[&str] = &[
    "queryMessageThreadPoolNums",
    "adminBrokerThreadPoolNums",
    "clientManageThreadPoolNums",
    "consumerManageThreadPoolNums",
    "heartbeatThreadPoolNums",
    "endTransactionThreadPoolNums",
    "processReplyMessageThreadPoolNums",
    "ackMessageThreadPoolNums",
    "flushConsumerOffsetHistoryInterval",
    "fetchNamesrvAddrByAddressServer",
    "queryThreadPoolQueueCapacity",
    "clientManagerThreadPoolQueueCapacity",
    "consumerManagerThreadPoolQueueCapacity",
    "heartbeatThreadPoolQueueCapacity",
    "endTransactionPoolQueueCapacity",
    "filterServerNums",
    "highSpeedMode",
    "commercialEnable",
    "commercialTimerCount",
    "commercialTransCount",
    "commercialBigCount",
    "commercialBaseCount",
    "transferMsgByHeap",
    "maxDelayTime",
    "disableConsumeIfConsumerReadSlowly",
    "consumerFallbehindThreshold",
    "waitTimeMillsInPullQueue",
    "waitTimeMillsInHeartbeatQueue",
    "waitTimeMillsInTransactionQueue",
    "startAcceptSendRequestTimeStamp",
    "enablePropertyFilter",
    "enableCalcFilterBitMap",
    "filterSupportRetry",
    "expectConsumerNumUseFilter",
    "maxErrorRateOfBloomFilter",
    "filterDataCleanTimeSpan",
    "compressedRegister",
    "aclEnable",
    "storeReplyMessageEnable",
    "autoDeleteUnusedStats",
    "isolateLogEnable",
    "enableDetailStat",
    "offsetCheckInSlave",
    "useTLS",
    "serverWorkerThreads",
    "serverCallbackExecutorThreads",
    "serverSelectorThreads",
    "serverOnewaySemaphoreValue",
    "serverAsyncSemaphoreValue",
    "serverSocketSndBufSize",
    "serverSocketRcvBufSize",
    "serverPooledByteBufAllocatorEnable",
    "useEpollNativeSelector",
    "clientWorkerThreads",
    "clientCallbackExecutorThreads",
    "clientOnewaySemaphoreValue",
    "clientAsyncSemaphoreValue",
    "connectTimeoutMillis",
    "channelNotActiveInterval",
    "clientChannelMaxIdleTimeSeconds",
    "clientSocketSndBufSize",
    "clientSocketRcvBufSize",
    "clientPooledByteBufAllocatorEnable",
    "clientCloseSocketIfTimeout",
    "messageStorePlugIn",
    "brokerConfigPath",
    "enableControllerMode",
    "enableSlaveActingMaster",
    "duplicationEnable",
];

impl BrokerConfig {
    /// Reads `path` (Java properties) over the defaults.
    pub fn load(path: &Path) -> Result<Self, BrokerError> {
        let text = std::fs::read_to_string(path).map_err(|source| BrokerError::ConfigFile {
            path: path.to_owned(),
            source,
        })?;
        let mut cfg = BrokerConfig::default();
        cfg.apply_properties(&text)?;
        Ok(cfg)
    }

    /// Applies every `key=value` of a properties text. Unknown keys warn by
    /// name and are skipped; a known key with a bad value is an error.
    /// Returns the keys that were applied.
    pub fn apply_properties(&mut self, text: &str) -> Result<Vec<String>, BrokerError> {
        let mut applied = Vec::new();
        for (key, value) in properties::parse(text) {
            if self.set(&key, &value)? {
                applied.push(key);
            } else {
                tracing::warn!(key = %key, "unknown config key ignored");
            }
        }
        Ok(applied)
    }

    /// Sets one key by its Java name. `Ok(false)` for an unknown key.
    /// A leading `~/` in a store path stands for `$HOME/`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, BrokerError> {
        let expanded;
        let value = match (key, value.trim().strip_prefix("~/")) {
            ("storePathRootDir" | "storePathCommitLog", Some(rest)) => {
                let home = std::env::var("HOME").unwrap_or_default();
                expanded = format!("{home}/{rest}");
                expanded.as_str()
            }
            _ => value,
        };
        if self.set_broker_key(key, value)? {
            if key == "listenPort" && !self.ha_port_explicit {
                self.store.ha_listen_port = u64::from(self.listen_port) + 1;
            }
            return Ok(true);
        }
        match self.store.set(key, value) {
            Ok(true) => {
                if key == "haListenPort" {
                    self.ha_port_explicit = true;
                }
                return Ok(true);
            }
            Ok(false) => {}
            Err(_) => {
                return Err(BrokerError::Config {
                    key: key.to_owned(),
                    value: value.to_owned(),
                })
            }
        }
        if ACCEPTED_WITHOUT_EFFECT.contains(&key) {
            tracing::info!(key, "config key accepted; it has no effect in this broker");
            return Ok(true);
        }
        Ok(false)
    }

    /// Checks the invariants and normalises the role/id pair as Java does:
    /// a master's id is 0, a slave's must be positive.
    pub fn validate(&mut self) -> Result<(), BrokerError> {
        let bad = |key: &str, value: String| BrokerError::Config {
            key: key.to_owned(),
            value,
        };
        if self.broker_name.trim().is_empty() {
            return Err(bad("brokerName", self.broker_name.clone()));
        }
        if self.broker_ip1.parse::<IpAddr>().is_err() {
            return Err(bad("brokerIP1", self.broker_ip1.clone()));
        }
        for addr in self.namesrv_addrs() {
            if !is_host_port(&addr) {
                return Err(bad("namesrvAddr", addr));
            }
        }
        match self.store.broker_role {
            BrokerRole::AsyncMaster | BrokerRole::SyncMaster => self.broker_id = 0,
            BrokerRole::Slave if self.broker_id <= 0 => {
                return Err(bad("brokerId", self.broker_id.to_string()))
            }
            BrokerRole::Slave => {}
        }
        self.register_name_server_period = self.register_name_server_period.clamp(10_000, 60_000);
        Ok(())
    }

    /// The name server addresses (`namesrvAddr` split on `;`, blanks dropped).
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv_addr
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// `brokerIP1:listenPort`: what clients dial, registered with name servers.
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.broker_ip1, self.listen_port)
    }

    /// The broker address as a socket address (storeHost of every record).
    pub fn store_host(&self) -> SocketAddr {
        let ip = self
            .broker_ip1
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        SocketAddr::new(ip, self.listen_port)
    }

    /// `brokerIP2:haListenPort`, registered as the HA address.
    pub fn ha_server_addr(&self) -> String {
        let ip = self.broker_ip2.as_deref().unwrap_or(&self.broker_ip1);
        format!("{}:{}", ip, self.store.ha_listen_port)
    }

    /// The directory of topics.json, subscriptionGroup.json, consumerOffset.json.
    pub fn config_dir(&self) -> PathBuf {
        self.store.store_path_root_dir.join("config")
    }

    /// The VIP ("fast") port older Java clients use: listenPort - 2 (none
    /// when disabled by `vipListenEnable=false`).
    pub fn vip_port(&self) -> Option<u16> {
        if !self.vip_listen_enable {
            return None;
        }
        self.listen_port.checked_sub(2).filter(|p| *p > 0)
    }

    /// Sets the listen port after binding an ephemeral port (`listenPort=0`);
    /// the HA port follows unless it was set explicitly.
    pub fn set_listen_port(&mut self, port: u16) {
        self.listen_port = port;
        if !self.ha_port_explicit {
            self.store.ha_listen_port = u64::from(port) + 1;
        }
    }

    /// True when this broker is a slave (it refuses sends).
    pub fn is_slave(&self) -> bool {
        self.store.broker_role == BrokerRole::Slave
    }

    /// Every effective key and value: the broker's, then the store's.
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut all = self.broker_entries();
        all.extend(self.store.entries());
        all
    }

    /// The effective config as properties text (`-p`, GET_BROKER_CONFIG).
    pub fn to_properties(&self) -> String {
        properties::format(self.entries())
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Java's default broker name: the local host name.
fn default_broker_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "DEFAULT_BROKER".into())
}

/// A local non-loopback IPv4 address (the one the default route uses), or
/// 127.0.0.1. Connecting a UDP socket sends nothing; it only picks a route.
pub fn local_ip() -> IpAddr {
    let probe = || -> std::io::Result<IpAddr> {
        let s = UdpSocket::bind("0.0.0.0:0")?;
        s.connect("192.0.2.1:9")?;
        Ok(s.local_addr()?.ip())
    };
    match probe() {
        Ok(ip) if !ip.is_loopback() && !ip.is_unspecified() => ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

fn is_host_port(addr: &str) -> bool {
    match addr.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && u16::from_str(port).is_ok_and(|p| p > 0),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAVA_BROKER_CONF: &str = "\
brokerClusterName = DefaultCluster
brokerName = broker-a
brokerId = 0
deleteWhen = 04
fileReservedTime = 48
brokerRole = ASYNC_MASTER
flushDiskType = ASYNC_FLUSH
namesrvAddr=127.0.0.1:9876;127.0.0.1:9877
listenPort=20911
storePathRootDir=/tmp/rmq-store
sendMessageThreadPoolNums=8
serverWorkerThreads=8
";

    #[test]
    fn java_broker_conf_parses() {
        let mut cfg = BrokerConfig::default();
        cfg.apply_properties(JAVA_BROKER_CONF).unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.broker_name, "broker-a");
        assert_eq!(cfg.listen_port, 20911);
        assert_eq!(cfg.store.ha_listen_port, 20912);
        assert_eq!(cfg.store.file_reserved_time, 48);
        assert_eq!(
            cfg.store.store_path_root_dir,
            PathBuf::from("/tmp/rmq-store")
        );
        assert_eq!(
            cfg.namesrv_addrs(),
            vec!["127.0.0.1:9876", "127.0.0.1:9877"]
        );
        assert_eq!(cfg.send_message_thread_pool_nums, 8);
        assert_eq!(cfg.vip_port(), Some(20909));
        assert_eq!(cfg.config_dir(), PathBuf::from("/tmp/rmq-store/config"));
    }

    #[test]
    fn defaults_are_rocketmq_defaults() {
        let cfg = BrokerConfig::default();
        assert_eq!(cfg.broker_cluster_name, "DefaultCluster");
        assert_eq!(cfg.listen_port, 10911);
        assert_eq!(cfg.broker_id, 0);
        assert_eq!(cfg.broker_permission, 6);
        assert_eq!(cfg.default_topic_queue_nums, 8);
        assert!(cfg.auto_create_topic_enable && cfg.auto_create_subscription_group);
        assert_eq!(cfg.store.ha_listen_port, 10912);
        assert!(cfg.broker_ip1.parse::<IpAddr>().is_ok());
    }

    #[test]
    fn unknown_keys_are_skipped_and_bad_values_fail() {
        let mut cfg = BrokerConfig::default();
        let applied = cfg.apply_properties("noSuchKey=1\nbrokerId=1\n").unwrap();
        assert_eq!(applied, vec!["brokerId"]);
        assert!(matches!(
            cfg.apply_properties("listenPort=abc"),
            Err(BrokerError::Config { .. })
        ));
        assert!(matches!(
            cfg.apply_properties("flushDiskType=SOMETIMES"),
            Err(BrokerError::Config { .. })
        ));
    }

    #[test]
    fn role_and_id_rules() {
        let mut cfg = BrokerConfig::default();
        cfg.apply_properties("brokerId=3").unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.broker_id, 0, "a master's id is forced to 0");
        cfg.apply_properties("brokerRole=SLAVE\nbrokerId=0")
            .unwrap();
        assert!(cfg.validate().is_err());
        cfg.apply_properties("brokerId=1").unwrap();
        cfg.validate().unwrap();
        assert!(cfg.is_slave());
        cfg.apply_properties("namesrvAddr=nohost").unwrap();
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn explicit_ha_port_and_printing() {
        let mut cfg = BrokerConfig::default();
        cfg.apply_properties("haListenPort=30000\nlistenPort=1000")
            .unwrap();
        assert_eq!(cfg.store.ha_listen_port, 30000);
        let text = cfg.to_properties();
        assert!(text.contains("listenPort=1000\n"));
        assert!(text.contains("haListenPort=30000\n"));
        let mut back = BrokerConfig::default();
        back.apply_properties(&text).unwrap();
        assert_eq!(back.listen_port, 1000);
        assert_eq!(back.store.ha_listen_port, 30000);
    }

    #[test]
    fn shipped_conf_files_have_only_known_keys() {
        let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conf");
        let mut files = vec![conf.join("broker.conf")];
        for d in ["2m-noslave", "2m-2s-async", "2m-2s-sync"] {
            let mut v: Vec<_> = std::fs::read_dir(conf.join(d))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            v.sort();
            files.extend(v);
        }
        assert!(files.len() >= 11);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let mut cfg = BrokerConfig::default();
            let applied = cfg.apply_properties(&text).unwrap();
            assert_eq!(
                applied.len(),
                properties::parse(&text).len(),
                "{}",
                f.display()
            );
            cfg.validate().unwrap();
        }
    }

    #[test]
    fn home_in_store_paths() {
        let mut cfg = BrokerConfig::default();
        cfg.apply_properties("storePathRootDir=~/store/broker-b")
            .unwrap();
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(
            cfg.store.store_path_root_dir,
            PathBuf::from(format!("{home}/store/broker-b"))
        );
    }
}
