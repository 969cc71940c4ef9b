//! The route cache: per topic its route, the queues producers write
//! ([`TopicPublishInfo`]) and the queues consumers read; per broker name its
//! addresses.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::RwLock;
use protocol::body::route::{is_readable, is_writeable, TopicRouteData, MASTER_ID};

use crate::message::MessageQueue;

/// The queues a producer may send a topic's messages to.
///
/// Invariant: `queues` lists only writable queues of brokers that have a
/// master, sorted by broker name then queue id (the Java order), unless the
/// topic is ordered, where the order of `orderTopicConf` is kept.
#[derive(Debug, Clone, Default)]
pub struct TopicPublishInfo {
    /// The topic is ordered (the route carries `orderTopicConf`).
    pub order_topic: bool,
    /// The queues, see the invariant.
    pub queues: Vec<MessageQueue>,
    /// The route the queues came from.
    pub route: Arc<TopicRouteData>,
}

impl TopicPublishInfo {
    /// Builds the publish queues from a route (Java's
    /// `topicRouteData2TopicPublishInfo`).
    pub fn from_route(topic: &str, route: Arc<TopicRouteData>) -> Self {
        let mut queues = Vec::new();
        let mut order_topic = false;
        if let Some(conf) = route.order_topic_conf.as_deref().filter(|c| !c.is_empty()) {
            order_topic = true;
            for item in conf.split(';') {
                let Some((broker, nums)) = item.split_once(':') else {
                    continue;
                };
                let n: i32 = nums.trim().parse().unwrap_or(0);
                for q in 0..n {
                    queues.push(MessageQueue::new(topic, broker.trim(), q));
                }
            }
        } else {
            let mut qds: Vec<_> = route.queue_datas.iter().collect();
            qds.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
            for qd in qds {
                if !is_writeable(qd.perm) {
                    continue;
                }
                let has_master = route
                    .broker_datas
                    .iter()
                    .any(|bd| bd.broker_name == qd.broker_name && bd.master_addr().is_some());
                if !has_master {
                    continue;
                }
                for q in 0..qd.write_queue_nums {
                    queues.push(MessageQueue::new(topic, qd.broker_name.clone(), q));
                }
            }
        }
        TopicPublishInfo {
            order_topic,
            queues,
            route,
        }
    }

    /// True when there is at least one queue to send to.
    pub fn ok(&self) -> bool {
        !self.queues.is_empty()
    }
}

/// The readable queues of a route, sorted (Java's
/// `topicRouteData2TopicSubscribeInfo`).
pub fn subscribe_queues_of(topic: &str, route: &TopicRouteData) -> Vec<MessageQueue> {
    let mut out = Vec::new();
    for qd in &route.queue_datas {
        if is_readable(qd.perm) {
            for q in 0..qd.read_queue_nums {
                out.push(MessageQueue::new(topic, qd.broker_name.clone(), q));
            }
        }
    }
    out.sort();
    out
}

/// A route as cached, with what is derived from it.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    /// The route.
    pub route: Arc<TopicRouteData>,
    /// Publish queues.
    pub publish: Arc<TopicPublishInfo>,
    /// Readable queues.
    pub subscribe: Arc<Vec<MessageQueue>>,
    /// Built from the `TBW102` template because the topic had no route yet.
    pub from_default: bool,
}

impl RouteEntry {
    /// Derives the queue lists of `route`.
    pub fn new(topic: &str, route: TopicRouteData, from_default: bool) -> Self {
        let route = Arc::new(route);
        RouteEntry {
            publish: Arc::new(TopicPublishInfo::from_route(topic, route.clone())),
            subscribe: Arc::new(subscribe_queues_of(topic, &route)),
            route,
            from_default,
        }
    }
}

/// Topic routes and broker addresses, shared by everything on an instance.
///
/// Invariant: every broker name of a cached route has its addresses in the
/// broker table.
#[derive(Debug, Default)]
pub struct RouteTable {
    topics: RwLock<HashMap<String, RouteEntry>>,
    brokers: RwLock<HashMap<String, BTreeMap<i64, Arc<str>>>>,
}

impl RouteTable {
    /// The cached entry of `topic`.
    pub fn get(&self, topic: &str) -> Option<RouteEntry> {
        self.topics.read().get(topic).cloned()
    }

    /// The cached publish info of `topic` (the send hot path: one read lock).
    pub fn publish(&self, topic: &str) -> Option<Arc<TopicPublishInfo>> {
        self.topics.read().get(topic).map(|e| e.publish.clone())
    }

    /// Caches `route` for `topic`; returns true when it differs from the
    /// cached one (or none was cached).
    pub fn put(&self, topic: &str, route: TopicRouteData, from_default: bool) -> bool {
        {
            let topics = self.topics.read();
            if let Some(old) = topics.get(topic) {
                if *old.route == route && old.from_default == from_default {
                    return false;
                }
            }
        }
        {
            let mut brokers = self.brokers.write();
            for bd in &route.broker_datas {
                brokers.insert(bd.broker_name.clone(), shared_addrs(&bd.broker_addrs));
            }
        }
        let entry = RouteEntry::new(topic, route, from_default);
        self.topics.write().insert(topic.to_owned(), entry);
        true
    }

    /// Forgets `topic`.
    pub fn remove(&self, topic: &str) {
        self.topics.write().remove(topic);
    }

    /// Every cached topic.
    pub fn topics(&self) -> Vec<String> {
        self.topics.read().keys().cloned().collect()
    }

    /// Rebuilds the broker table from the cached routes, dropping brokers no
    /// route mentions any more (Java's `cleanOfflineBroker`).
    pub fn rebuild_brokers(&self) {
        let mut fresh: HashMap<String, BTreeMap<i64, Arc<str>>> = HashMap::new();
        for e in self.topics.read().values() {
            for bd in &e.route.broker_datas {
                fresh
                    .entry(bd.broker_name.clone())
                    .or_default()
                    .extend(shared_addrs(&bd.broker_addrs));
            }
        }
        *self.brokers.write() = fresh;
    }

    /// The master address of `broker_name` (where producers send); shared,
    /// so the send path does not copy it.
    pub fn master_addr(&self, broker_name: &str) -> Option<Arc<str>> {
        self.brokers
            .read()
            .get(broker_name)
            .and_then(|m| m.get(&MASTER_ID).cloned())
    }

    /// An address of `broker_name`: broker id `id` if known; else, unless
    /// `only_this`, the master or any other (Java's
    /// `findBrokerAddressInSubscribe`). Returns (address, is_slave).
    pub fn find_addr(&self, broker_name: &str, id: i64, only_this: bool) -> Option<(String, bool)> {
        let brokers = self.brokers.read();
        let addrs = brokers.get(broker_name)?;
        if let Some(a) = addrs.get(&id) {
            return Some((a.to_string(), id != MASTER_ID));
        }
        if only_this {
            return None;
        }
        if let Some(a) = addrs.get(&MASTER_ID) {
            return Some((a.to_string(), false));
        }
        addrs
            .iter()
            .next()
            .map(|(id, a)| (a.to_string(), *id != MASTER_ID))
    }

    /// Every (broker name, broker id, address) known; masters only when
    /// `masters_only`.
    pub fn all_brokers(&self, masters_only: bool) -> Vec<(String, i64, String)> {
        let brokers = self.brokers.read();
        let mut out = Vec::new();
        for (name, addrs) in brokers.iter() {
            for (id, addr) in addrs {
                if !masters_only || *id == MASTER_ID {
                    out.push((name.clone(), *id, addr.to_string()));
                }
            }
        }
        out.sort();
        out
    }

    /// Drops everything.
    pub fn clear(&self) {
        self.topics.write().clear();
        self.brokers.write().clear();
    }
}

fn shared_addrs(addrs: &BTreeMap<i64, String>) -> BTreeMap<i64, Arc<str>> {
    addrs
        .iter()
        .map(|(k, v)| (*k, Arc::from(v.as_str())))
        .collect()
}

/// A copy of the `TBW102` route made for `topic`: each broker offers
/// `min(queue_nums, readQueueNums)` read and write queues (Java's
/// `updateTopicRouteInfoFromNameServer(topic, isDefault=true, ...)`).
pub fn route_from_default(default_route: &TopicRouteData, queue_nums: i32) -> TopicRouteData {
    let mut route = default_route.clone();
    for qd in &mut route.queue_datas {
        let n = queue_nums.min(qd.read_queue_nums);
        qd.read_queue_nums = n;
        qd.write_queue_nums = n;
    }
    route
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::body::route::{BrokerData, QueueData};

    fn route() -> TopicRouteData {
        let mut a = BrokerData::new("C", "broker-b");
        a.broker_addrs.insert(0, "127.0.0.1:2".into());
        let mut b = BrokerData::new("C", "broker-a");
        b.broker_addrs.insert(0, "127.0.0.1:1".into());
        b.broker_addrs.insert(1, "127.0.0.1:11".into());
        let mut c = BrokerData::new("C", "broker-c");
        c.broker_addrs.insert(1, "127.0.0.1:31".into());
        let qd = |name: &str, perm, n| QueueData {
            broker_name: name.into(),
            perm,
            read_queue_nums: n,
            write_queue_nums: n,
            topic_sys_flag: 0,
        };
        TopicRouteData {
            broker_datas: vec![a, b, c],
            queue_datas: vec![
                qd("broker-b", 6, 2),
                qd("broker-a", 6, 2),
                qd("broker-c", 6, 1),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn publish_queues_sorted_masters_only() {
        let info = TopicPublishInfo::from_route("T", Arc::new(route()));
        let got: Vec<_> = info
            .queues
            .iter()
            .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
            .collect();
        assert_eq!(
            got,
            ["broker-a:0", "broker-a:1", "broker-b:0", "broker-b:1"]
        );
        assert!(!info.order_topic);
        // subscribe queues include the master-less broker
        assert_eq!(subscribe_queues_of("T", &route()).len(), 5);
    }

    #[test]
    fn order_topic_conf_wins() {
        let mut r = route();
        r.order_topic_conf = Some("broker-b:2;broker-a:1".into());
        let info = TopicPublishInfo::from_route("T", Arc::new(r));
        assert!(info.order_topic);
        assert_eq!(info.queues.len(), 3);
        assert_eq!(info.queues[0].broker_name, "broker-b");
    }

    #[test]
    fn table_addresses_and_default_route() {
        let t = RouteTable::default();
        assert!(t.put("T", route(), false));
        assert!(!t.put("T", route(), false), "same route is no change");
        assert_eq!(t.master_addr("broker-a").as_deref(), Some("127.0.0.1:1"));
        assert_eq!(
            t.find_addr("broker-a", 1, true),
            Some(("127.0.0.1:11".into(), true))
        );
        assert_eq!(
            t.find_addr("broker-c", 0, false),
            Some(("127.0.0.1:31".into(), true))
        );
        assert_eq!(t.find_addr("broker-c", 0, true), None);
        assert_eq!(t.all_brokers(true).len(), 2);
        let d = route_from_default(&route(), 1);
        assert!(d.queue_datas.iter().all(|q| q.write_queue_nums == 1));
        t.remove("T");
        t.rebuild_brokers();
        assert!(t.master_addr("broker-a").is_none());
    }
}
