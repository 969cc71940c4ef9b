//! Route and cluster bodies exchanged with the NameServer (PROTOCOL.md §10,
//! §15.1–§15.6): what brokers register and what clients and admin tools read.
//!
//! Every type derives serde with the Java field names; fields are declared in
//! alphabetical order because fastjson writes them that way. Maps keyed by
//! broker id are `BTreeMap<i64, _>`: written through
//! [`fastjson::to_vec`](super::fastjson::to_vec) they come out bare
//! (`{0:"addr"}`) or quoted (`{"0":"addr"}`) by [`JsonStyle`]; reading accepts
//! both. Missing fields take Java's defaults; unknown fields are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use super::fastjson::{self, JsonBody, JsonStyle};
use super::BodyError;

/// Queue priority bit of a topic's `perm` (unused by clients).
pub const PERM_PRIORITY: i32 = 8;
/// Consumers may read the topic's queues.
pub const PERM_READ: i32 = 4;
/// Producers may write the topic's queues.
pub const PERM_WRITE: i32 = 2;
/// Auto-created topics may inherit from this one (set on `TBW102`).
pub const PERM_INHERIT: i32 = 1;
/// Read and write: the default `perm` of a topic.
pub const PERM_RW: i32 = PERM_READ | PERM_WRITE;

/// Broker id of a master; slaves have ids >= 1.
pub const MASTER_ID: i64 = 0;

/// Lowest request version (`MQVersion` ordinal of V3_0_11) whose
/// REGISTER_BROKER body is a [`RegisterBrokerBody`] rather than a bare
/// [`TopicConfigSerializeWrapper`].
pub const REGISTER_BODY_MIN_VERSION: i32 = 37;

/// True when `perm` lets consumers read.
pub fn is_readable(perm: i32) -> bool {
    perm & PERM_READ == PERM_READ
}

/// True when `perm` lets producers write.
pub fn is_writeable(perm: i32) -> bool {
    perm & PERM_WRITE == PERM_WRITE
}

/// True when `perm` carries the inherit bit.
pub fn is_inherited(perm: i32) -> bool {
    perm & PERM_INHERIT == PERM_INHERIT
}

/// `perm` as RocketMQ's admin tools print it: `RWX` with `-` for missing bits
/// (`X` = inherit), e.g. `RW-` for 6.
pub fn perm_to_string(perm: i32) -> String {
    let mut s = String::with_capacity(3);
    s.push(if is_readable(perm) { 'R' } else { '-' });
    s.push(if is_writeable(perm) { 'W' } else { '-' });
    s.push(if is_inherited(perm) { 'X' } else { '-' });
    s
}

/// Version stamp of a broker's topic table. A broker bumps it on every topic
/// change; the name server rewrites a broker's routes only when it differs.
///
/// Invariant: two versions are "the same data" iff all fields are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    /// Incremented on each change.
    pub counter: i64,
    /// 5.x leadership epoch; 0 from 4.x brokers.
    pub state_version: i64,
    /// Milliseconds since the epoch of the last change.
    pub timestamp: i64,
}

impl DataVersion {
    /// A fresh version stamped `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        DataVersion {
            counter: 0,
            state_version: 0,
            timestamp: now_ms,
        }
    }

    /// Records one change at `now_ms`.
    pub fn next_version(&mut self, now_ms: i64) {
        self.counter += 1;
        self.timestamp = now_ms;
    }
}

impl JsonBody for DataVersion {}

/// How a topic's messages may be filtered by tags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TopicFilterType {
    /// One tag per message (the default).
    #[default]
    SingleTag,
    /// Several tags per message.
    MultiTag,
}

impl TopicFilterType {
    /// Java's enum name.
    pub fn name(self) -> &'static str {
        match self {
            TopicFilterType::SingleTag => "SINGLE_TAG",
            TopicFilterType::MultiTag => "MULTI_TAG",
        }
    }

    /// The type for a Java enum name.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "SINGLE_TAG" => Some(TopicFilterType::SingleTag),
            "MULTI_TAG" => Some(TopicFilterType::MultiTag),
            _ => None,
        }
    }
}

/// A topic as a broker stores and registers it (PROTOCOL.md §15.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    /// 5.x attributes, e.g. `message.type=NORMAL`.
    pub attributes: BTreeMap<String, String>,
    /// Ordered topic (set from the name server's ORDER_TOPIC_CONFIG).
    pub order: bool,
    /// `PERM_*` bits.
    pub perm: i32,
    /// Number of queues consumers read.
    pub read_queue_nums: i32,
    /// Tag filter type.
    pub topic_filter_type: TopicFilterType,
    /// The topic name.
    pub topic_name: String,
    /// Unit flags (bit 0 unit topic, bit 1 has unit subscription).
    pub topic_sys_flag: i32,
    /// Number of queues producers write.
    pub write_queue_nums: i32,
}

impl Default for TopicConfig {
    /// Java's class defaults: 16 read and write queues, perm RW.
    fn default() -> Self {
        TopicConfig {
            attributes: BTreeMap::new(),
            order: false,
            perm: PERM_RW,
            read_queue_nums: 16,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_name: String::new(),
            topic_sys_flag: 0,
            write_queue_nums: 16,
        }
    }
}

impl TopicConfig {
    /// A topic with the given queue counts and permission, other fields default.
    pub fn new(name: impl Into<String>, read_queues: i32, write_queues: i32, perm: i32) -> Self {
        TopicConfig {
            topic_name: name.into(),
            read_queue_nums: read_queues,
            write_queue_nums: write_queues,
            perm,
            ..TopicConfig::default()
        }
    }

    /// The space-separated text form used inside a compressed register body
    /// (§15.6): `name read write perm filterType attributesJson`.
    pub fn encode_text(&self) -> String {
        let attrs = fastjson::to_string(&self.attributes, JsonStyle::Fastjson)
            .unwrap_or_else(|_| String::from("{}"));
        format!(
            "{} {} {} {} {} {}",
            self.topic_name,
            self.read_queue_nums,
            self.write_queue_nums,
            self.perm,
            self.topic_filter_type.name(),
            attrs
        )
    }

    /// Parses [`TopicConfig::encode_text`]'s form. Like Java, attributes
    /// that fail to parse are ignored; fewer than five fields is an error.
    pub fn decode_text(text: &str) -> Result<Self, BodyError> {
        let mut parts = text.splitn(6, ' ');
        let mut next = || parts.next().ok_or_else(|| invalid_text(text));
        let name = next()?;
        let read = next()?.parse().map_err(|_| invalid_text(text))?;
        let write = next()?.parse().map_err(|_| invalid_text(text))?;
        let perm = next()?.parse().map_err(|_| invalid_text(text))?;
        let filter = TopicFilterType::from_name(next()?).ok_or_else(|| invalid_text(text))?;
        let mut tc = TopicConfig::new(name, read, write, perm);
        tc.topic_filter_type = filter;
        if let Ok(rest) = next() {
            tc.attributes = fastjson::from_str(rest).unwrap_or_default();
        }
        Ok(tc)
    }
}

fn invalid_text(text: &str) -> BodyError {
    BodyError::Invalid(format!("bad topic config text: {text:?}"))
}

impl JsonBody for TopicConfig {}

/// A broker's topic table with its version: the core of a registration and
/// of GET_ALL_TOPIC_CONFIG.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigSerializeWrapper {
    /// Version of the table.
    pub data_version: DataVersion,
    /// Topic name to config.
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

impl JsonBody for TopicConfigSerializeWrapper {}

/// The body of REGISTER_BROKER (§10.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegisterBrokerBody {
    /// Legacy filter servers; normally empty.
    pub filter_server_list: Vec<String>,
    /// The broker's topics and their version.
    pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper,
}

/// Upper bound on an inflated register body (a topic costs ~100 bytes, so
/// this allows several hundred thousand topics while stopping zip bombs).
const MAX_INFLATED_BODY: u64 = 64 * 1024 * 1024;

impl JsonBody for RegisterBrokerBody {}

/// The `bodyCrc32` header value of a REGISTER_BROKER body: CRC32 masked to
/// 31 bits, as Java's `UtilAll.crc32`. The broker computes it over the bytes
/// it sends; the name server over the bytes it received (before inflating).
pub fn register_body_crc32(body: &[u8]) -> i32 {
    // The mask keeps the value within i32's positive range: the cast is exact.
    (crc32fast::hash(body) & 0x7FFF_FFFF) as i32
}

impl RegisterBrokerBody {
    /// Encodes as JSON, or in the deflated binary form when `compress`.
    pub fn encode(&self, compress: bool) -> Result<Vec<u8>, BodyError> {
        if !compress {
            return Ok(self.to_json());
        }
        let mut raw = Vec::with_capacity(256);
        let wrapper = &self.topic_config_serialize_wrapper;
        put_chunk(&mut raw, &wrapper.data_version.to_json())?;
        put_len(&mut raw, wrapper.topic_config_table.len())?;
        for tc in wrapper.topic_config_table.values() {
            put_chunk(&mut raw, tc.encode_text().as_bytes())?;
        }
        put_chunk(
            &mut raw,
            &fastjson::to_vec(&self.filter_server_list, JsonStyle::Fastjson)?,
        )?;
        put_len(&mut raw, 0)?; // 5.x static-topic mappings: none
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&raw)
            .map_err(|e| BodyError::Invalid(e.to_string()))?;
        enc.finish().map_err(|e| BodyError::Invalid(e.to_string()))
    }

    /// Decodes a REGISTER_BROKER body. `compressed` is the header flag;
    /// `request_version` the frame's version. A zlib stream is recognised
    /// even when the flag is false (5.x brokers never set it). An empty body
    /// is an empty table with a zero version, as in Java.
    pub fn decode(body: &[u8], compressed: bool, request_version: i32) -> Result<Self, BodyError> {
        if body.is_empty() {
            return Ok(RegisterBrokerBody::default());
        }
        if compressed || body.first() == Some(&0x78) {
            return Self::decode_compressed(body);
        }
        if request_version < REGISTER_BODY_MIN_VERSION {
            return Ok(RegisterBrokerBody {
                filter_server_list: Vec::new(),
                topic_config_serialize_wrapper: TopicConfigSerializeWrapper::from_json(body)?,
            });
        }
        Self::from_json(body)
    }

    fn decode_compressed(body: &[u8]) -> Result<Self, BodyError> {
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(body)
            .take(MAX_INFLATED_BODY + 1)
            .read_to_end(&mut raw)
            .map_err(|e| BodyError::Invalid(format!("inflate register body: {e}")))?;
        if raw.len() as u64 > MAX_INFLATED_BODY {
            return Err(BodyError::Invalid(
                "inflated register body too large".into(),
            ));
        }
        let mut r = Reader { buf: &raw };
        let data_version = DataVersion::from_json(r.chunk()?)?;
        let count = r.int()?;
        let mut table = BTreeMap::new();
        for _ in 0..count {
            let text =
                std::str::from_utf8(r.chunk()?).map_err(|e| BodyError::Invalid(e.to_string()))?;
            let tc = TopicConfig::decode_text(text)?;
            table.insert(tc.topic_name.clone(), tc);
        }
        // Java tolerates an unparsable filter list; so do we. Anything after
        // it (5.x static-topic mappings) is ignored.
        let filter_server_list = match r.chunk() {
            Ok(json) => fastjson::from_slice(json).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        Ok(RegisterBrokerBody {
            filter_server_list,
            topic_config_serialize_wrapper: TopicConfigSerializeWrapper {
                data_version,
                topic_config_table: table,
            },
        })
    }
}

fn put_len(out: &mut Vec<u8>, n: usize) -> Result<(), BodyError> {
    let n = i32::try_from(n).map_err(|_| BodyError::Invalid("length over i32".into()))?;
    out.extend_from_slice(&n.to_be_bytes());
    Ok(())
}

fn put_chunk(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), BodyError> {
    put_len(out, bytes.len())?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Bounds-checked reader over an inflated register body.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn int(&mut self) -> Result<usize, BodyError> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<4>()
            .ok_or_else(|| BodyError::Invalid("register body truncated".into()))?;
        self.buf = rest;
        usize::try_from(i32::from_be_bytes(*head))
            .map_err(|_| BodyError::Invalid("negative length in register body".into()))
    }

    fn chunk(&mut self) -> Result<&'a [u8], BodyError> {
        let n = self.int()?;
        if n > self.buf.len() {
            return Err(BodyError::Invalid(format!(
                "register body chunk of {n} bytes, {} left",
                self.buf.len()
            )));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
}

/// What a name server answers a registration with (response header fields
/// plus the order-topic KV table of the body).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterBrokerResult {
    /// For a slave: its master's HA address, when the master is live.
    pub ha_server_addr: Option<String>,
    /// For a slave: its master's remoting address, when the master is live.
    pub master_addr: Option<String>,
    /// The `ORDER_TOPIC_CONFIG` namespace (topic -> `broker:queues;...`).
    pub kv_table: KVTable,
}

/// Per broker name, the queues a topic has there (§15.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueData {
    /// The broker group hosting the queues.
    pub broker_name: String,
    /// `PERM_*` bits.
    pub perm: i32,
    /// Queues consumers read: ids `0..read_queue_nums`.
    pub read_queue_nums: i32,
    /// Unit flags; pre-4.9 Java spelled it `topicSynFlag`.
    #[serde(alias = "topicSynFlag")]
    pub topic_sys_flag: i32,
    /// Queues producers write: ids `0..write_queue_nums`.
    pub write_queue_nums: i32,
}

impl QueueData {
    /// The queue data a broker's topic config yields.
    pub fn from_topic_config(broker_name: &str, tc: &TopicConfig) -> Self {
        QueueData {
            broker_name: broker_name.to_owned(),
            perm: tc.perm,
            read_queue_nums: tc.read_queue_nums,
            topic_sys_flag: tc.topic_sys_flag,
            write_queue_nums: tc.write_queue_nums,
        }
    }
}

/// One broker group (a master and its slaves) as routes and cluster info
/// show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerData {
    /// Broker id ([`MASTER_ID`] = master) to `ip:port`.
    pub broker_addrs: BTreeMap<i64, String>,
    /// The group's name.
    pub broker_name: String,
    /// The cluster the group belongs to.
    pub cluster: String,
    /// 5.x: slaves may act as master when the master is gone.
    pub enable_acting_master: bool,
    /// 5.x zone, when brokers announce one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
}

impl BrokerData {
    /// An empty group of `cluster`.
    pub fn new(cluster: impl Into<String>, broker_name: impl Into<String>) -> Self {
        BrokerData {
            cluster: cluster.into(),
            broker_name: broker_name.into(),
            ..BrokerData::default()
        }
    }

    /// The master's address, if the master is registered.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_ID).map(String::as_str)
    }
}

/// The body of a GET_ROUTEINFO_BY_TOPIC response (§15.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicRouteData {
    /// One entry per broker group hosting the topic.
    pub broker_datas: Vec<BrokerData>,
    /// Broker address to filter servers; always empty today.
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    /// `broker:queues;...` when the topic is ordered (and the name server
    /// has `orderMessageEnable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_topic_conf: Option<String>,
    /// One entry per broker group hosting the topic.
    pub queue_datas: Vec<QueueData>,
    /// 5.x static-topic mappings, kept opaque.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_queue_mapping_by_broker: Option<serde_json::Value>,
}

impl JsonBody for TopicRouteData {}

/// The body of GET_BROKER_CLUSTER_INFO (§15.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterInfo {
    /// Broker name to its group.
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    /// Cluster name to the broker names in it.
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

impl JsonBody for ClusterInfo {}

impl ClusterInfo {
    /// Addresses of the masters of `cluster`, sorted by broker name.
    pub fn master_addrs(&self, cluster: &str) -> Vec<String> {
        self.groups(cluster)
            .filter_map(|b| b.master_addr().map(str::to_owned))
            .collect()
    }

    /// Every address (masters and slaves) in `cluster`.
    pub fn all_addrs(&self, cluster: &str) -> Vec<String> {
        self.groups(cluster)
            .flat_map(|b| b.broker_addrs.values().cloned())
            .collect()
    }

    fn groups<'a>(&'a self, cluster: &str) -> impl Iterator<Item = &'a BrokerData> + 'a {
        let names = self
            .cluster_addr_table
            .get(cluster)
            .cloned()
            .unwrap_or_default();
        names
            .into_iter()
            .filter_map(move |n| self.broker_addr_table.get(&n))
    }
}

/// A list of topic names (§15.4). System-topic lists also name a broker
/// address to query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicList {
    /// Set for GET_SYSTEM_TOPIC_LIST_FROM_NS: one master's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
    /// The topics, sorted.
    pub topic_list: BTreeSet<String>,
}

impl JsonBody for TopicList {}

/// A string-to-string table: KV namespaces and order-topic config (§15.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KVTable {
    /// Key to value.
    pub table: BTreeMap<String, String>,
}

impl JsonBody for KVTable {}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> TopicRouteData {
        let mut bd = BrokerData::new("DefaultCluster", "broker-a");
        bd.broker_addrs.insert(0, "10.0.0.1:10911".into());
        bd.broker_addrs.insert(1, "10.0.0.2:10911".into());
        TopicRouteData {
            broker_datas: vec![bd],
            queue_datas: vec![QueueData {
                broker_name: "broker-a".into(),
                perm: 6,
                read_queue_nums: 4,
                topic_sys_flag: 0,
                write_queue_nums: 4,
            }],
            ..TopicRouteData::default()
        }
    }

    #[test]
    fn route_encodes_exactly_like_java_in_both_styles() {
        let standard = r#"{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
        let legacy = r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
        let r = route();
        assert_eq!(r.to_json_in(JsonStyle::Standard), standard.as_bytes());
        assert_eq!(r.to_json(), legacy.as_bytes());
        assert_eq!(TopicRouteData::from_json(standard.as_bytes()).unwrap(), r);
        assert_eq!(TopicRouteData::from_json(legacy.as_bytes()).unwrap(), r);
    }

    #[test]
    fn old_field_names_and_missing_fields_read_with_java_defaults() {
        let old = r#"{"brokerDatas":[{"brokerAddrs":{0:"a:1"},"brokerName":"b","cluster":"c"}],"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":2,"topicSynFlag":3,"writeQueueNums":2}],"extra":1}"#;
        let r = TopicRouteData::from_json(old.as_bytes()).unwrap();
        assert_eq!(r.queue_datas[0].topic_sys_flag, 3);
        assert_eq!(r.broker_datas[0].master_addr(), Some("a:1"));
        let tc: TopicConfig = TopicConfig::from_json(br#"{"topicName":"T"}"#).unwrap();
        assert_eq!(
            (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
            (16, 16, 6)
        );
    }

    #[test]
    fn cluster_info_round_trips_and_lists_addresses() {
        let mut ci = ClusterInfo::default();
        let mut a = BrokerData::new("C", "a");
        a.broker_addrs.insert(0, "h:1".into());
        a.broker_addrs.insert(1, "h:2".into());
        let mut b = BrokerData::new("C", "b");
        b.broker_addrs.insert(1, "h:3".into());
        ci.broker_addr_table.insert("a".into(), a);
        ci.broker_addr_table.insert("b".into(), b);
        ci.cluster_addr_table
            .insert("C".into(), ["a".to_owned(), "b".to_owned()].into());
        let json = ci.to_json();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(
            text.contains(r#""brokerAddrs":{0:"h:1",1:"h:2"}"#),
            "{text}"
        );
        assert!(
            text.contains(r#""clusterAddrTable":{"C":["a","b"]}"#),
            "{text}"
        );
        assert_eq!(ClusterInfo::from_json(&json).unwrap(), ci);
        assert_eq!(ci.master_addrs("C"), vec!["h:1".to_owned()]);
        assert_eq!(ci.all_addrs("C").len(), 3);
        assert!(ci.master_addrs("nope").is_empty());
    }

    fn register_body() -> RegisterBrokerBody {
        let mut body = RegisterBrokerBody::default();
        let w = &mut body.topic_config_serialize_wrapper;
        w.data_version = DataVersion {
            counter: 3,
            state_version: 0,
            timestamp: 1_700_000_000_000,
        };
        let mut t = TopicConfig::new("TopicTest", 4, 4, 6);
        t.attributes.insert("message.type".into(), "NORMAL".into());
        w.topic_config_table.insert("TopicTest".into(), t);
        w.topic_config_table
            .insert("TBW102".into(), TopicConfig::new("TBW102", 8, 8, 7));
        body
    }

    #[test]
    fn register_body_json_form() {
        let body = register_body();
        let json = String::from_utf8(body.encode(false).unwrap()).unwrap();
        assert!(json.starts_with(r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},"topicConfigTable":{"TBW102":{"attributes":{},"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8}"#), "{json}");
        assert_eq!(
            RegisterBrokerBody::decode(json.as_bytes(), false, 479).unwrap(),
            body
        );
        // very old brokers send the bare wrapper
        let wrapper = body.topic_config_serialize_wrapper.to_json();
        let old = RegisterBrokerBody::decode(&wrapper, false, 10).unwrap();
        assert_eq!(
            old.topic_config_serialize_wrapper,
            body.topic_config_serialize_wrapper
        );
        assert_eq!(
            RegisterBrokerBody::decode(b"", false, 479).unwrap(),
            RegisterBrokerBody::default()
        );
    }

    #[test]
    fn register_body_compressed_form_round_trips() {
        let body = register_body();
        let z = body.encode(true).unwrap();
        assert_eq!(z[0], 0x78, "zlib stream, as java.util.zip.Deflater writes");
        assert_eq!(RegisterBrokerBody::decode(&z, true, 479).unwrap(), body);
        // 5.x brokers leave the header flag false even when compressing
        assert_eq!(RegisterBrokerBody::decode(&z, false, 479).unwrap(), body);
    }

    #[test]
    fn register_body_garbage_is_an_error() {
        assert!(RegisterBrokerBody::decode(b"{not json", false, 479).is_err());
        assert!(RegisterBrokerBody::decode(b"\x78\x9c\x00", true, 479).is_err());
        // a valid zlib stream holding a length that overruns the data
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&[0x7f, 0xff, 0xff, 0xff, 1, 2]).unwrap();
        let z = enc.finish().unwrap();
        assert!(RegisterBrokerBody::decode(&z, true, 479).is_err());
    }

    #[test]
    fn topic_config_text_form() {
        let t = TopicConfig::new("T", 4, 2, 6);
        assert_eq!(t.encode_text(), "T 4 2 6 SINGLE_TAG {}");
        assert_eq!(
            TopicConfig::decode_text("T 4 2 6 SINGLE_TAG {}").unwrap(),
            t
        );
        assert_eq!(TopicConfig::decode_text("T 4 2 6 SINGLE_TAG").unwrap(), t);
        let a = TopicConfig::decode_text(r#"T 4 2 6 MULTI_TAG {"k":"a b"}"#).unwrap();
        assert_eq!(a.attributes["k"], "a b");
        assert!(TopicConfig::decode_text("T 4 x 6 SINGLE_TAG").is_err());
        assert!(TopicConfig::decode_text("T 4").is_err());
    }

    #[test]
    fn perm_helpers() {
        assert_eq!(perm_to_string(6), "RW-");
        assert_eq!(perm_to_string(7), "RWX");
        assert_eq!(perm_to_string(4), "R--");
        assert!(is_writeable(PERM_RW) && is_readable(PERM_RW) && !is_inherited(PERM_RW));
    }

    #[test]
    fn small_bodies() {
        let mut tl = TopicList::default();
        tl.topic_list.insert("B".into());
        tl.topic_list.insert("A".into());
        assert_eq!(tl.to_json(), br#"{"topicList":["A","B"]}"#);
        let mut kv = KVTable::default();
        kv.table
            .insert("TopicA".into(), "broker-a:4;broker-b:4".into());
        assert_eq!(
            kv.to_json(),
            br#"{"table":{"TopicA":"broker-a:4;broker-b:4"}}"#
        );
        let dv = DataVersion::from_json(br#"{"counter":1,"timestamp":2}"#).unwrap();
        assert_eq!(
            dv,
            DataVersion {
                counter: 1,
                state_version: 0,
                timestamp: 2
            }
        );
    }
}
