//! [`ClientConfig`]: the settings every producer, consumer and admin client
//! shares (Java's `ClientConfig`, CLIENT-API.md §1).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use protocol::{LanguageCode, SerializeType};

/// The instance name that means "pick one for me" (Java's default).
pub const DEFAULT_INSTANCE_NAME: &str = "DEFAULT";

/// Environment variable holding the NameServer address list.
pub const NAMESRV_ADDR_ENV: &str = "NAMESRV_ADDR";

/// Environment variable choosing the header serialization (`JSON`/`ROCKETMQ`).
pub const SERIALIZE_TYPE_ENV: &str = "ROCKETMQ_SERIALIZE_TYPE";

/// Settings shared by every client of one [`crate::MQClientInstance`].
///
/// Clients whose [`ClientConfig::client_id`] is equal share one instance
/// (connections, route cache, heartbeats, rebalance).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// NameServer addresses, `host:port;host:port`. `None` reads
    /// `NAMESRV_ADDR` when the client starts.
    pub namesrv_addr: Option<String>,
    /// Address of this client as reported in its client id.
    pub client_ip: String,
    /// Instance name; [`DEFAULT_INSTANCE_NAME`] is replaced by
    /// `<pid>#<nanos>` when the client id is built, as Java 5 does.
    pub instance_name: String,
    /// Optional unit name, appended to the client id.
    pub unit_name: Option<String>,
    /// Optional namespace: topics and groups are sent as `namespace%name`.
    pub namespace: Option<String>,
    /// Period of the route refresh (30 s).
    pub poll_name_server_interval: Duration,
    /// Period of the heartbeats to every broker (30 s).
    pub heartbeat_broker_interval: Duration,
    /// Period of the consumer offset commits (5 s).
    pub persist_consumer_offset_interval: Duration,
    /// Period of the consumers' rebalance (20 s).
    pub rebalance_interval: Duration,
    /// Delay before a pull is retried after an error (1 s).
    pub pull_time_delay_when_exception: Duration,
    /// Timeout of most RPCs: routes, offsets, heartbeats, admin (3 s).
    pub mq_client_api_timeout: Duration,
    /// Language announced in request headers (JAVA by default: some brokers
    /// only speak to clients they know).
    pub language: LanguageCode,
    /// Header serialization of our requests (`ROCKETMQ_SERIALIZE_TYPE`,
    /// JSON by default).
    pub serialize_type: SerializeType,
    /// Send to the broker's VIP port (listen port − 2), as old clients did.
    pub vip_channel_enabled: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            namesrv_addr: None,
            client_ip: local_ip().to_string(),
            instance_name: DEFAULT_INSTANCE_NAME.to_owned(),
            unit_name: None,
            namespace: None,
            poll_name_server_interval: Duration::from_secs(30),
            heartbeat_broker_interval: Duration::from_secs(30),
            persist_consumer_offset_interval: Duration::from_secs(5),
            rebalance_interval: Duration::from_secs(20),
            pull_time_delay_when_exception: Duration::from_secs(1),
            mq_client_api_timeout: Duration::from_secs(3),
            language: LanguageCode::Java,
            serialize_type: serialize_type_from_env(),
            vip_channel_enabled: false,
        }
    }
}

impl ClientConfig {
    /// A default config with the given NameServer list.
    pub fn with_namesrv(addr: impl Into<String>) -> Self {
        ClientConfig {
            namesrv_addr: Some(addr.into()),
            ..Default::default()
        }
    }

    /// The NameServer list to use: the configured one, else `NAMESRV_ADDR`;
    /// empty when neither is set. Entries are trimmed, blanks dropped.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        let raw = match &self.namesrv_addr {
            Some(a) if !a.trim().is_empty() => a.clone(),
            _ => std::env::var(NAMESRV_ADDR_ENV).unwrap_or_default(),
        };
        split_addrs(&raw)
    }

    /// Replaces the default instance name by `<pid>#<nanos>` (Java 5's
    /// `changeInstanceNameToPID`), so two clients in one process get two ids
    /// unless they name their instance.
    pub fn resolve_instance_name(&mut self) {
        if self.instance_name == DEFAULT_INSTANCE_NAME {
            self.instance_name = format!("{}#{}", std::process::id(), nano_time());
        }
    }

    /// `clientIP@instanceName[@unitName]`: the key of the shared instance and
    /// what brokers list in consumer groups.
    pub fn client_id(&self) -> String {
        let mut id = format!("{}@{}", self.client_ip, self.instance_name);
        if let Some(unit) = self.unit_name.as_deref().filter(|u| !u.is_empty()) {
            id.push('@');
            id.push_str(unit);
        }
        id
    }

    /// `name` with the namespace applied (`ns%name`); system names
    /// (`%RETRY%`, `%DLQ%` prefixes keep their prefix) are wrapped as Java does.
    pub fn with_namespace(&self, name: &str) -> String {
        self.namespaced(name).into_owned()
    }

    /// [`ClientConfig::with_namespace`] without a copy when no namespace
    /// applies.
    pub fn namespaced<'a>(&self, name: &'a str) -> Cow<'a, str> {
        let Some(ns) = self.namespace.as_deref().filter(|n| !n.is_empty()) else {
            return Cow::Borrowed(name);
        };
        for prefix in ["%RETRY%", "%DLQ%"] {
            if let Some(rest) = name.strip_prefix(prefix) {
                if rest.starts_with(&format!("{ns}%")) {
                    return Cow::Borrowed(name);
                }
                return Cow::Owned(format!("{prefix}{ns}%{rest}"));
            }
        }
        if name.starts_with(&format!("{ns}%")) {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(format!("{ns}%{name}"))
        }
    }

    /// The address to dial for a broker: its VIP port (port − 2) when
    /// [`ClientConfig::vip_channel_enabled`], else unchanged.
    pub fn broker_dial_addr<'a>(&self, addr: &'a str) -> Cow<'a, str> {
        if !self.vip_channel_enabled {
            return Cow::Borrowed(addr);
        }
        match addr.rsplit_once(':') {
            Some((host, port)) => match port.parse::<u16>() {
                Ok(p) if p > 2 => Cow::Owned(format!("{host}:{}", p - 2)),
                _ => Cow::Borrowed(addr),
            },
            None => Cow::Borrowed(addr),
        }
    }
}

/// Splits a `a;b;c` address list, trimming entries and dropping blanks.
pub fn split_addrs(raw: &str) -> Vec<String> {
    raw.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn serialize_type_from_env() -> SerializeType {
    match std::env::var(SERIALIZE_TYPE_ENV) {
        Ok(v) if v.trim().eq_ignore_ascii_case("ROCKETMQ") => SerializeType::RocketMq,
        _ => SerializeType::Json,
    }
}

/// A monotonic nanosecond counter (Java's `System.nanoTime`), distinct on
/// every call within the process.
fn nano_time() -> u64 {
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    static LAST: AtomicU64 = AtomicU64::new(0);
    let base = *BASE.get_or_init(Instant::now);
    let now = base.elapsed().as_nanos() as u64 + 1;
    let prev = LAST.fetch_max(now, Ordering::Relaxed);
    if prev >= now {
        LAST.fetch_add(1, Ordering::Relaxed) + 1
    } else {
        now
    }
}

/// This host's preferred non-loopback IPv4 address, else 127.0.0.1.
///
/// Asks the OS which local address would route to a public address; a UDP
/// `connect` sends no packet.
pub fn local_ip() -> IpAddr {
    let probe = || -> Option<IpAddr> {
        let sock = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
        sock.connect((Ipv4Addr::new(10, 254, 254, 254), 9)).ok()?;
        let ip = sock.local_addr().ok()?.ip();
        (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
    };
    probe().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_and_instance_name() {
        let mut c = ClientConfig {
            client_ip: "10.0.0.5".into(),
            instance_name: "inst".into(),
            ..Default::default()
        };
        assert_eq!(c.client_id(), "10.0.0.5@inst");
        c.unit_name = Some("u1".into());
        assert_eq!(c.client_id(), "10.0.0.5@inst@u1");

        let mut a = ClientConfig {
            instance_name: DEFAULT_INSTANCE_NAME.into(),
            ..Default::default()
        };
        let mut b = a.clone();
        a.resolve_instance_name();
        b.resolve_instance_name();
        assert!(a
            .instance_name
            .starts_with(&format!("{}#", std::process::id())));
        assert_ne!(
            a.client_id(),
            b.client_id(),
            "two default clients get two ids"
        );
    }

    #[test]
    fn namesrv_list_and_namespace() {
        let c = ClientConfig::with_namesrv(" 127.0.0.1:9876; ;127.0.0.1:9877 ");
        assert_eq!(c.namesrv_addrs(), ["127.0.0.1:9876", "127.0.0.1:9877"]);
        let mut c = ClientConfig::default();
        assert_eq!(c.with_namespace("T"), "T");
        c.namespace = Some("ns".into());
        assert_eq!(c.with_namespace("T"), "ns%T");
        assert_eq!(c.with_namespace("ns%T"), "ns%T");
        assert_eq!(c.with_namespace("%RETRY%G"), "%RETRY%ns%G");
    }

    #[test]
    fn vip_port() {
        let mut c = ClientConfig::default();
        assert_eq!(c.broker_dial_addr("1.2.3.4:10911"), "1.2.3.4:10911");
        c.vip_channel_enabled = true;
        assert_eq!(c.broker_dial_addr("1.2.3.4:10911"), "1.2.3.4:10909");
    }
}
