//! The route table: which brokers are alive and which topics they host
//! (NAMESRV.md §2–§9). Plain state with an injected [`Clock`]: no I/O, no
//! locks (the server keeps it behind one `RwLock`, as Java does), so every
//! rule — registration, data-version handling, expiry — is unit-tested here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use protocol::body::route::{
    BrokerData, ClusterInfo, DataVersion, QueueData, RegisterBrokerResult,
    TopicConfigSerializeWrapper, TopicList, TopicRouteData, MASTER_ID, PERM_READ, PERM_WRITE,
};

use crate::clock::Clock;

/// A broker not heard from for this long is dropped, unless it registered
/// its own `heartbeatTimeoutMillis` (RocketMQ's `BROKER_CHANNEL_EXPIRED_TIME`).
pub const DEFAULT_BROKER_TIMEOUT_MS: i64 = 120_000;

/// `topicSysFlag` bit: the topic is a unit topic.
const FLAG_UNIT: i32 = 0x1;
/// `topicSysFlag` bit: the topic has unit subscriptions.
const FLAG_UNIT_SUB: i32 = 0x2;

/// One broker process as the table knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BrokerIdentity {
    /// Cluster name.
    pub cluster: String,
    /// Broker group name.
    pub broker_name: String,
    /// Remoting address `ip:port`.
    pub broker_addr: String,
    /// 0 = master.
    pub broker_id: i64,
}

/// A REGISTER_BROKER request's identity and liveness parameters.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Who registers.
    pub broker: BrokerIdentity,
    /// The broker's HA address (given to its slaves).
    pub ha_server_addr: String,
    /// 5.x zone (`__ZONE_NAME` ext field).
    pub zone_name: Option<String>,
    /// 5.x per-broker expiry; `None` takes the table default.
    pub timeout_ms: Option<i64>,
    /// 5.x acting-master flag; `None` marks a pre-5.0 broker.
    pub enable_acting_master: Option<bool>,
    /// The connection it registered over, dropped with it.
    pub conn_id: Option<u64>,
}

/// Which topics a unit-topic list selects (by the first queue's sysFlag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitFilter {
    /// Unit topics (GET_UNIT_TOPIC_LIST).
    Unit,
    /// Topics with unit subscriptions (GET_HAS_UNIT_SUB_TOPIC_LIST).
    HasUnitSub,
    /// Non-unit topics with unit subscriptions (GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST).
    HasUnitSubNotUnit,
}

/// Liveness of one registered broker process.
#[derive(Debug, Clone)]
struct LiveBroker {
    broker_name: String,
    broker_id: i64,
    last_update_ms: i64,
    timeout_ms: i64,
    data_version: DataVersion,
    ha_server_addr: String,
    conn_id: Option<u64>,
}

/// Key of the live and filter-server tables: (cluster, broker address).
type AddrKey = (String, String);

fn key(cluster: &str, addr: &str) -> AddrKey {
    (cluster.to_owned(), addr.to_owned())
}

/// The NameServer's in-memory registry.
///
/// Invariants: every broker name in `cluster_addr` has a `broker_addr` entry
/// with at least one address, and every cluster set is non-empty; every
/// topic in `topic_queue` has at least one queue entry.
pub struct RouteTable {
    clock: Arc<dyn Clock>,
    default_timeout_ms: i64,
    /// topic -> broker name -> queues there.
    topic_queue: HashMap<String, BTreeMap<String, QueueData>>,
    /// broker name -> group (cluster, addresses by id).
    broker_addr: BTreeMap<String, BrokerData>,
    /// cluster -> broker names.
    cluster_addr: BTreeMap<String, BTreeSet<String>>,
    /// (cluster, addr) -> liveness.
    live: HashMap<AddrKey, LiveBroker>,
    /// (cluster, addr) -> filter servers (legacy, normally empty).
    filter_server: HashMap<AddrKey, Vec<String>>,
}

impl RouteTable {
    /// An empty table reading time from `clock`, with the 120 s default expiry.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        RouteTable {
            clock,
            default_timeout_ms: DEFAULT_BROKER_TIMEOUT_MS,
            topic_queue: HashMap::new(),
            broker_addr: BTreeMap::new(),
            cluster_addr: BTreeMap::new(),
            live: HashMap::new(),
            filter_server: HashMap::new(),
        }
    }

    /// Sets the expiry of brokers that do not announce their own.
    pub fn with_default_timeout_ms(mut self, ms: i64) -> Self {
        self.default_timeout_ms = ms;
        self
    }

    /// Registers (or refreshes) a broker and, for a master, its topics.
    ///
    /// Returns `None` when the registration is refused: a single-topic
    /// registration from a broker id not registered yet (5.x incremental
    /// registration needs a full one first). Returns an empty result when a
    /// 5.x broker with a lower `stateVersion` tries to take over an id held
    /// by another address. `delete_stale_topics` is
    /// `deleteTopicWithBrokerRegistration`.
    pub fn register(
        &mut self,
        reg: &Registration,
        topics: &TopicConfigSerializeWrapper,
        filter_servers: &[String],
        delete_stale_topics: bool,
    ) -> Option<RegisterBrokerResult> {
        let b = &reg.broker;
        let addr_key = key(&b.cluster, &b.broker_addr);
        self.cluster_addr
            .entry(b.cluster.clone())
            .or_default()
            .insert(b.broker_name.clone());

        let mut first = !self.broker_addr.contains_key(&b.broker_name);
        let group = self
            .broker_addr
            .entry(b.broker_name.clone())
            .or_insert_with(|| BrokerData::new(b.cluster.clone(), b.broker_name.clone()));
        group.enable_acting_master = reg.enable_acting_master.unwrap_or(false);
        group.zone_name = reg.zone_name.clone();
        // One address holds one id: a slave promoted to master first loses
        // its old id entry.
        group
            .broker_addrs
            .retain(|id, a| !(*a == b.broker_addr && *id != b.broker_id));

        if let Some(old_addr) = group.broker_addrs.get(&b.broker_id) {
            if *old_addr != b.broker_addr {
                let old_state = self
                    .live
                    .get(&key(&b.cluster, old_addr))
                    .map(|l| l.data_version.state_version);
                if old_state.is_some_and(|s| s > topics.data_version.state_version) {
                    tracing::warn!(
                        broker = ?b, old_addr = %old_addr,
                        "registration conflicts with a newer broker holding the same id; ignored"
                    );
                    self.live.remove(&addr_key);
                    return Some(RegisterBrokerResult::default());
                }
            }
        }
        if !group.broker_addrs.contains_key(&b.broker_id) && topics.topic_config_table.len() == 1 {
            tracing::warn!(broker = ?b, "single-topic registration before a full one; refused");
            return None;
        }
        let old = group
            .broker_addrs
            .insert(b.broker_id, b.broker_addr.clone());
        first |= old.as_deref().unwrap_or_default().is_empty();

        let is_master = b.broker_id == MASTER_ID;
        let is_prime_slave = reg.enable_acting_master.is_some()
            && !is_master
            && group.broker_addrs.keys().next() == Some(&b.broker_id);

        if is_master || is_prime_slave {
            let version_changed =
                self.live.get(&addr_key).map(|l| &l.data_version) != Some(&topics.data_version);
            if delete_stale_topics {
                self.remove_stale_topics(&b.broker_name, topics);
            }
            for (name, tc) in &topics.topic_config_table {
                let topic = if tc.topic_name.is_empty() {
                    name
                } else {
                    &tc.topic_name
                };
                let queues = self.topic_queue.entry(topic.clone()).or_default();
                if first || version_changed || !queues.contains_key(&b.broker_name) {
                    let mut qd = QueueData::from_topic_config(&b.broker_name, tc);
                    if is_prime_slave {
                        qd.perm &= !PERM_WRITE;
                    }
                    queues.insert(b.broker_name.clone(), qd);
                }
            }
        }

        let timeout_ms = reg
            .timeout_ms
            .filter(|t| *t > 0)
            .unwrap_or(self.default_timeout_ms);
        let previous = self.live.insert(
            addr_key.clone(),
            LiveBroker {
                broker_name: b.broker_name.clone(),
                broker_id: b.broker_id,
                last_update_ms: self.clock.now_ms(),
                timeout_ms,
                data_version: topics.data_version.clone(),
                ha_server_addr: reg.ha_server_addr.clone(),
                conn_id: reg.conn_id,
            },
        );
        if previous.is_none() {
            tracing::info!(broker = ?b, ha = %reg.ha_server_addr, "new broker registered");
        }
        if filter_servers.is_empty() {
            self.filter_server.remove(&addr_key);
        } else {
            self.filter_server.insert(addr_key, filter_servers.to_vec());
        }

        let mut result = RegisterBrokerResult::default();
        if !is_master {
            let master = self
                .broker_addr
                .get(&b.broker_name)
                .and_then(|g| g.master_addr());
            if let Some(master) = master {
                if let Some(l) = self.live.get(&key(&b.cluster, master)) {
                    result.ha_server_addr = Some(l.ha_server_addr.clone());
                    result.master_addr = Some(master.to_owned());
                }
            }
        }
        Some(result)
    }

    /// Drops this broker name's queues of topics missing from `topics`.
    fn remove_stale_topics(&mut self, broker_name: &str, topics: &TopicConfigSerializeWrapper) {
        let present: BTreeSet<&str> = topics
            .topic_config_table
            .iter()
            .map(|(k, tc)| {
                if tc.topic_name.is_empty() {
                    k.as_str()
                } else {
                    tc.topic_name.as_str()
                }
            })
            .collect();
        self.topic_queue.retain(|topic, queues| {
            if !present.contains(topic.as_str()) && queues.remove(broker_name).is_some() {
                tracing::info!(topic, broker_name, "topic removed with broker registration");
            }
            !queues.is_empty()
        });
    }

    /// Removes brokers (UNREGISTER_BROKER, connection loss, expiry). A group
    /// left without addresses disappears from its cluster and from every
    /// topic.
    pub fn unregister(&mut self, brokers: &[BrokerIdentity]) {
        let mut removed_names = BTreeSet::new();
        for b in brokers {
            let k = key(&b.cluster, &b.broker_addr);
            self.live.remove(&k);
            self.filter_server.remove(&k);
            let Some(group) = self.broker_addr.get_mut(&b.broker_name) else {
                continue;
            };
            group.broker_addrs.retain(|_, a| *a != b.broker_addr);
            if !group.broker_addrs.is_empty() {
                continue;
            }
            self.broker_addr.remove(&b.broker_name);
            if let Some(names) = self.cluster_addr.get_mut(&b.cluster) {
                names.remove(&b.broker_name);
                if names.is_empty() {
                    self.cluster_addr.remove(&b.cluster);
                }
            }
            tracing::info!(broker = ?b, "broker group removed");
            removed_names.insert(b.broker_name.clone());
        }
        if !removed_names.is_empty() {
            self.topic_queue.retain(|_, queues| {
                queues.retain(|name, _| !removed_names.contains(name));
                !queues.is_empty()
            });
        }
    }

    /// Removes every broker registered over connection `conn_id` and returns
    /// them.
    pub fn unregister_connection(&mut self, conn_id: u64) -> Vec<BrokerIdentity> {
        let gone = self.identities_where(|l| l.conn_id == Some(conn_id));
        self.unregister(&gone);
        gone
    }

    /// Removes brokers silent for longer than their timeout
    /// (`now > last update + timeout`) and returns them with the connection
    /// they registered over.
    pub fn scan_expired(&mut self) -> Vec<(BrokerIdentity, Option<u64>)> {
        let now = self.clock.now_ms();
        let expired: Vec<_> = self
            .live
            .iter()
            .filter(|(_, l)| now > l.last_update_ms.saturating_add(l.timeout_ms))
            .map(|((cluster, addr), l)| {
                let id = BrokerIdentity {
                    cluster: cluster.clone(),
                    broker_name: l.broker_name.clone(),
                    broker_addr: addr.clone(),
                    broker_id: l.broker_id,
                };
                tracing::warn!(broker = ?id, silent_ms = now - l.last_update_ms, "broker expired");
                (id, l.conn_id)
            })
            .collect();
        let ids: Vec<_> = expired.iter().map(|(id, _)| id.clone()).collect();
        self.unregister(&ids);
        expired
    }

    fn identities_where(&self, pred: impl Fn(&LiveBroker) -> bool) -> Vec<BrokerIdentity> {
        self.live
            .iter()
            .filter(|(_, l)| pred(l))
            .map(|((cluster, addr), l)| BrokerIdentity {
                cluster: cluster.clone(),
                broker_name: l.broker_name.clone(),
                broker_addr: addr.clone(),
                broker_id: l.broker_id,
            })
            .collect()
    }

    /// Refreshes a broker's liveness (BROKER_HEARTBEAT); false if unknown.
    pub fn touch(&mut self, cluster: &str, addr: &str) -> bool {
        let now = self.clock.now_ms();
        match self.live.get_mut(&key(cluster, addr)) {
            Some(l) => {
                l.last_update_ms = now;
                true
            }
            None => false,
        }
    }

    /// QUERY_DATA_VERSION: whether `version` differs from the stored one
    /// (or none is stored), and the stored one. An unchanged version counts
    /// as a heartbeat.
    pub fn query_data_version(
        &mut self,
        cluster: &str,
        addr: &str,
        version: &DataVersion,
    ) -> (bool, Option<DataVersion>) {
        let stored = self
            .live
            .get(&key(cluster, addr))
            .map(|l| l.data_version.clone());
        let changed = stored.as_ref() != Some(version);
        if !changed {
            self.touch(cluster, addr);
        }
        (changed, stored)
    }

    /// The route of `topic`, or `None` (TOPIC_NOT_EXIST) when no registered
    /// broker hosts it.
    pub fn route(&self, topic: &str) -> Option<TopicRouteData> {
        let queues = self.topic_queue.get(topic)?;
        let mut route = TopicRouteData::default();
        for (name, qd) in queues {
            route.queue_datas.push(qd.clone());
            let Some(group) = self.broker_addr.get(name) else {
                continue;
            };
            for addr in group.broker_addrs.values() {
                if let Some(fs) = self.filter_server.get(&key(&group.cluster, addr)) {
                    route.filter_server_table.insert(addr.clone(), fs.clone());
                }
            }
            route.broker_datas.push(group.clone());
        }
        if route.broker_datas.is_empty() {
            return None;
        }
        Some(route)
    }

    /// GET_BROKER_CLUSTER_INFO: every group and every cluster.
    pub fn cluster_info(&self) -> ClusterInfo {
        ClusterInfo {
            broker_addr_table: self.broker_addr.clone(),
            cluster_addr_table: self.cluster_addr.clone(),
        }
    }

    /// Every topic with queues somewhere.
    pub fn all_topics(&self) -> TopicList {
        TopicList {
            broker_addr: None,
            topic_list: self.topic_queue.keys().cloned().collect(),
        }
    }

    /// Topics with queues on a broker of `cluster` (empty for an unknown one).
    pub fn topics_by_cluster(&self, cluster: &str) -> TopicList {
        let names = self.cluster_addr.get(cluster);
        let topic_list = self
            .topic_queue
            .iter()
            .filter(|(_, q)| names.is_some_and(|n| q.keys().any(|b| n.contains(b))))
            .map(|(t, _)| t.clone())
            .collect();
        TopicList {
            broker_addr: None,
            topic_list,
        }
    }

    /// GET_SYSTEM_TOPIC_LIST_FROM_NS: cluster and broker names (brokers
    /// create topics named after both), plus one broker address to ask.
    pub fn system_topics(&self) -> TopicList {
        let mut list = TopicList::default();
        for (cluster, names) in &self.cluster_addr {
            list.topic_list.insert(cluster.clone());
            list.topic_list.extend(names.iter().cloned());
        }
        list.broker_addr = self
            .broker_addr
            .values()
            .find_map(|g| g.broker_addrs.values().next().cloned());
        list
    }

    /// The unit-topic lists, judged by the sysFlag of each topic's first
    /// queue data.
    pub fn unit_topics(&self, filter: UnitFilter) -> TopicList {
        let topic_list = self
            .topic_queue
            .iter()
            .filter(|(_, q)| {
                let flag = q.values().next().map_or(0, |qd| qd.topic_sys_flag);
                let unit = flag & FLAG_UNIT != 0;
                let sub = flag & FLAG_UNIT_SUB != 0;
                match filter {
                    UnitFilter::Unit => unit,
                    UnitFilter::HasUnitSub => sub,
                    UnitFilter::HasUnitSubNotUnit => sub && !unit,
                }
            })
            .map(|(t, _)| t.clone())
            .collect();
        TopicList {
            broker_addr: None,
            topic_list,
        }
    }

    /// DELETE_TOPIC_IN_NAMESRV: removes the topic, or only its queues on
    /// `cluster`'s brokers.
    pub fn delete_topic(&mut self, topic: &str, cluster: Option<&str>) {
        let Some(cluster) = cluster.filter(|c| !c.is_empty()) else {
            self.topic_queue.remove(topic);
            return;
        };
        let Some(names) = self.cluster_addr.get(cluster) else {
            return;
        };
        if let Some(queues) = self.topic_queue.get_mut(topic) {
            queues.retain(|b, _| !names.contains(b));
            if queues.is_empty() {
                self.topic_queue.remove(topic);
            }
        }
    }

    /// WIPE_WRITE_PERM_OF_BROKER: clears the write bit of every queue data
    /// of `broker_name`; returns how many topics it touched.
    pub fn wipe_write_perm(&mut self, broker_name: &str) -> i32 {
        self.update_perm(broker_name, |p| p & !PERM_WRITE)
    }

    /// ADD_WRITE_PERM_OF_BROKER: sets every queue data of `broker_name` to
    /// read-write; returns how many topics it touched.
    pub fn add_write_perm(&mut self, broker_name: &str) -> i32 {
        self.update_perm(broker_name, |_| PERM_READ | PERM_WRITE)
    }

    fn update_perm(&mut self, broker_name: &str, f: impl Fn(i32) -> i32) -> i32 {
        let mut n = 0;
        for queues in self.topic_queue.values_mut() {
            if let Some(qd) = queues.get_mut(broker_name) {
                qd.perm = f(qd.perm);
                n += 1;
            }
        }
        n
    }

    /// True while some live broker registered over connection `conn_id`.
    pub fn connection_in_use(&self, conn_id: u64) -> bool {
        self.live.values().any(|l| l.conn_id == Some(conn_id))
    }

    /// Number of live broker processes.
    pub fn live_broker_count(&self) -> usize {
        self.live.len()
    }

    /// True while `(cluster, addr)` is registered.
    pub fn is_live(&self, cluster: &str, addr: &str) -> bool {
        self.live.contains_key(&key(cluster, addr))
    }
}

#[cfg(test)]
#[path = "route_table_tests.rs"]
mod tests;
