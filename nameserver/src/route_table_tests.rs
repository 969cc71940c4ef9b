use super::*;
use crate::clock::ManualClock;
use protocol::body::route::{TopicConfig, PERM_RW};

const T0: i64 = 1_700_000_000_000;

fn table() -> (RouteTable, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(T0));
    (RouteTable::new(clock.clone()), clock)
}

fn reg(name: &str, addr: &str, id: i64) -> Registration {
    Registration {
        broker: BrokerIdentity {
            cluster: "DefaultCluster".into(),
            broker_name: name.into(),
            broker_addr: addr.into(),
            broker_id: id,
        },
        ha_server_addr: format!("{addr}-ha"),
        zone_name: None,
        timeout_ms: None,
        enable_acting_master: None,
        conn_id: None,
    }
}

fn topics(counter: i64, list: &[(&str, i32)]) -> TopicConfigSerializeWrapper {
    let mut w = TopicConfigSerializeWrapper::default();
    w.data_version.counter = counter;
    for (t, q) in list {
        w.topic_config_table
            .insert(t.to_string(), TopicConfig::new(*t, *q, *q, PERM_RW));
    }
    w
}

fn register(
    t: &mut RouteTable,
    r: &Registration,
    w: &TopicConfigSerializeWrapper,
) -> RegisterBrokerResult {
    t.register(r, w, &[], false).expect("registration accepted")
}

#[test]
fn registered_master_appears_in_routes_and_cluster_info() {
    let (mut t, _) = table();
    register(
        &mut t,
        &reg("broker-a", "10.0.0.1:10911", 0),
        &topics(1, &[("TopicA", 4), ("TBW102", 8)]),
    );
    let route = t.route("TopicA").unwrap();
    assert_eq!(route.queue_datas.len(), 1);
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);
    assert_eq!(route.broker_datas[0].master_addr(), Some("10.0.0.1:10911"));
    assert!(t.route("Nope").is_none());

    let ci = t.cluster_info();
    assert_eq!(
        ci.master_addrs("DefaultCluster"),
        vec!["10.0.0.1:10911".to_owned()]
    );
    let all = t.all_topics().topic_list;
    assert!(all.contains("TopicA") && all.contains("TBW102"));
    assert_eq!(t.topics_by_cluster("DefaultCluster").topic_list.len(), 2);
    assert!(t.topics_by_cluster("Other").topic_list.is_empty());
}

#[test]
fn broker_expires_exactly_after_its_timeout() {
    let (mut t, clock) = table();
    let mut r = reg("broker-a", "a:1", 0);
    r.timeout_ms = Some(30_000);
    register(&mut t, &r, &topics(1, &[("T", 4), ("U", 4)]));
    register(
        &mut t,
        &reg("broker-b", "b:1", 0),
        &topics(1, &[("T", 4), ("V", 4)]),
    );

    clock.set(T0 + 30_000);
    assert!(t.scan_expired().is_empty(), "alive at exactly the timeout");
    clock.set(T0 + 30_001);
    let gone = t.scan_expired();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].0.broker_addr, "a:1");
    assert!(
        t.route("U").is_none(),
        "topic only on the expired broker is gone"
    );
    assert_eq!(t.route("T").unwrap().broker_datas.len(), 1);

    // broker-b uses the 120 s default
    clock.set(T0 + DEFAULT_BROKER_TIMEOUT_MS);
    assert!(t.scan_expired().is_empty());
    clock.advance(1);
    assert_eq!(t.scan_expired().len(), 1);
    assert!(t.cluster_info().cluster_addr_table.is_empty());
    assert!(t.all_topics().topic_list.is_empty());
}

#[test]
fn heartbeats_and_unchanged_version_queries_keep_a_broker_alive() {
    let (mut t, clock) = table();
    let w = topics(7, &[("T", 4), ("U", 4)]);
    register(&mut t, &reg("a", "a:1", 0), &w);
    clock.advance(100_000);
    assert!(t.touch("DefaultCluster", "a:1"));
    assert!(!t.touch("DefaultCluster", "nope:1"));
    clock.advance(100_000);
    let (changed, stored) = t.query_data_version("DefaultCluster", "a:1", &w.data_version);
    assert!(!changed);
    assert_eq!(stored, Some(w.data_version.clone()));
    clock.advance(100_000);
    assert!(t.scan_expired().is_empty());
    let (changed, _) = t.query_data_version("DefaultCluster", "a:1", &DataVersion::default());
    assert!(changed, "a changed version is not a heartbeat");
    clock.advance(20_001);
    assert_eq!(t.scan_expired().len(), 1);
    let (changed, stored) = t.query_data_version("DefaultCluster", "a:1", &w.data_version);
    assert!(changed && stored.is_none());
}

#[test]
fn routes_are_rewritten_only_when_the_data_version_changes() {
    let (mut t, _) = table();
    let r = reg("a", "a:1", 0);
    register(&mut t, &r, &topics(1, &[("T", 4), ("U", 4)]));
    assert_eq!(t.wipe_write_perm("a"), 2);
    assert_eq!(t.route("T").unwrap().queue_datas[0].perm, PERM_READ);

    // same version: the wiped perm survives the periodic re-registration
    register(&mut t, &r, &topics(1, &[("T", 4), ("U", 4)]));
    assert_eq!(t.route("T").unwrap().queue_datas[0].perm, PERM_READ);
    // a topic missing from the table is still added
    register(&mut t, &r, &topics(1, &[("T", 4), ("U", 4), ("W", 2)]));
    assert_eq!(t.route("W").unwrap().queue_datas[0].perm, PERM_RW);
    assert_eq!(t.route("T").unwrap().queue_datas[0].perm, PERM_READ);
    // new version: rewritten from the broker's config
    register(&mut t, &r, &topics(2, &[("T", 8), ("U", 4)]));
    let qd = &t.route("T").unwrap().queue_datas[0];
    assert_eq!((qd.perm, qd.write_queue_nums), (PERM_RW, 8));

    assert_eq!(t.wipe_write_perm("a"), 3);
    assert_eq!(t.add_write_perm("a"), 3);
    assert_eq!(t.route("U").unwrap().queue_datas[0].perm, PERM_RW);
    assert_eq!(t.add_write_perm("nope"), 0);
}

#[test]
fn slaves_learn_their_master_and_do_not_write_routes() {
    let (mut t, _) = table();
    register(
        &mut t,
        &reg("a", "m:1", 0),
        &topics(1, &[("T", 4), ("U", 4)]),
    );
    let res = register(
        &mut t,
        &reg("a", "s:1", 1),
        &topics(1, &[("T", 2), ("X", 2)]),
    );
    assert_eq!(res.master_addr.as_deref(), Some("m:1"));
    assert_eq!(res.ha_server_addr.as_deref(), Some("m:1-ha"));
    assert!(t.route("X").is_none(), "a slave's topics are ignored");
    let route = t.route("T").unwrap();
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);
    assert_eq!(route.broker_datas[0].broker_addrs.len(), 2);

    // master gone: the group stays with its slave, routes stay readable
    t.unregister(&[reg("a", "m:1", 0).broker]);
    let route = t.route("T").unwrap();
    assert_eq!(route.broker_datas[0].master_addr(), None);
    assert_eq!(
        route.broker_datas[0]
            .broker_addrs
            .get(&1)
            .map(String::as_str),
        Some("s:1")
    );
    let res = register(
        &mut t,
        &reg("a", "s:1", 1),
        &topics(1, &[("T", 2), ("X", 2)]),
    );
    assert_eq!(res.master_addr, None);
}

#[test]
fn a_5x_slave_without_master_registers_read_only_routes() {
    let (mut t, _) = table();
    let mut r = reg("a", "s:1", 1);
    r.enable_acting_master = Some(false);
    register(&mut t, &r, &topics(1, &[("T", 2), ("U", 2)]));
    assert_eq!(t.route("T").unwrap().queue_datas[0].perm, PERM_READ);
}

#[test]
fn promoted_slave_keeps_one_entry_per_address() {
    let (mut t, _) = table();
    register(
        &mut t,
        &reg("a", "s:1", 1),
        &topics(1, &[("T", 2), ("U", 2)]),
    );
    register(
        &mut t,
        &reg("a", "s:1", 0),
        &topics(2, &[("T", 2), ("U", 2)]),
    );
    let ci = t.cluster_info();
    let addrs = &ci.broker_addr_table["a"].broker_addrs;
    assert_eq!(addrs.len(), 1);
    assert_eq!(addrs.get(&0).map(String::as_str), Some("s:1"));
}

#[test]
fn single_topic_registration_needs_a_prior_full_one() {
    let (mut t, _) = table();
    assert!(t
        .register(&reg("a", "a:1", 0), &topics(1, &[("T", 4)]), &[], false)
        .is_none());
    register(
        &mut t,
        &reg("a", "a:1", 0),
        &topics(1, &[("T", 4), ("U", 4)]),
    );
    register(&mut t, &reg("a", "a:1", 0), &topics(2, &[("V", 4)]));
    assert!(t.route("V").is_some());
}

#[test]
fn lower_state_version_cannot_steal_an_id() {
    let (mut t, _) = table();
    let mut w = topics(1, &[("T", 4), ("U", 4)]);
    w.data_version.state_version = 5;
    register(&mut t, &reg("a", "old:1", 0), &w);
    w.data_version.state_version = 3;
    let res = register(&mut t, &reg("a", "new:1", 0), &w);
    assert_eq!(res, RegisterBrokerResult::default());
    assert!(!t.is_live("DefaultCluster", "new:1"));
    assert_eq!(
        t.route("T").unwrap().broker_datas[0].master_addr(),
        Some("old:1")
    );
}

#[test]
fn closing_a_connection_drops_only_its_brokers() {
    let (mut t, _) = table();
    let mut a = reg("a", "a:1", 0);
    a.conn_id = Some(7);
    let mut b = reg("b", "b:1", 0);
    b.conn_id = Some(8);
    register(&mut t, &a, &topics(1, &[("T", 4), ("A", 4)]));
    register(&mut t, &b, &topics(1, &[("T", 4), ("B", 4)]));
    let gone = t.unregister_connection(7);
    assert_eq!(gone, vec![a.broker.clone()]);
    assert!(t.route("A").is_none());
    assert!(t.route("B").is_some());
    assert_eq!(t.route("T").unwrap().queue_datas.len(), 1);
    assert!(t.unregister_connection(99).is_empty());
    assert_eq!(t.live_broker_count(), 1);
}

#[test]
fn delete_topic_everywhere_or_per_cluster() {
    let (mut t, _) = table();
    register(
        &mut t,
        &reg("a", "a:1", 0),
        &topics(1, &[("T", 4), ("U", 4)]),
    );
    let mut other = reg("b", "b:1", 0);
    other.broker.cluster = "Other".into();
    register(&mut t, &other, &topics(1, &[("T", 4), ("U", 4)]));
    t.delete_topic("T", Some("Other"));
    assert_eq!(t.route("T").unwrap().queue_datas[0].broker_name, "a");
    t.delete_topic("T", Some("Nope"));
    assert!(t.route("T").is_some());
    t.delete_topic("U", None);
    assert!(t.route("U").is_none());
    t.delete_topic("T", Some("DefaultCluster"));
    assert!(t.route("T").is_none());
}

#[test]
fn stale_topics_go_with_registration_when_enabled() {
    let (mut t, _) = table();
    let r = reg("a", "a:1", 0);
    register(&mut t, &r, &topics(1, &[("T", 4), ("U", 4)]));
    t.register(&r, &topics(2, &[("T", 4), ("V", 4)]), &[], false)
        .unwrap();
    assert!(t.route("U").is_some(), "kept by default");
    t.register(&r, &topics(3, &[("T", 4), ("V", 4)]), &[], true)
        .unwrap();
    assert!(t.route("U").is_none());
}

#[test]
fn system_and_unit_topic_lists() {
    let (mut t, _) = table();
    let mut w = topics(1, &[("N", 4), ("Unit", 4), ("Sub", 4), ("Both", 4)]);
    w.topic_config_table.get_mut("Unit").unwrap().topic_sys_flag = FLAG_UNIT;
    w.topic_config_table.get_mut("Sub").unwrap().topic_sys_flag = FLAG_UNIT_SUB;
    w.topic_config_table.get_mut("Both").unwrap().topic_sys_flag = FLAG_UNIT | FLAG_UNIT_SUB;
    register(&mut t, &reg("a", "a:1", 0), &w);
    let sys = t.system_topics();
    assert_eq!(
        sys.topic_list.iter().collect::<Vec<_>>(),
        ["DefaultCluster", "a"]
    );
    assert_eq!(sys.broker_addr.as_deref(), Some("a:1"));
    let names = |f| t.unit_topics(f).topic_list.into_iter().collect::<Vec<_>>();
    assert_eq!(names(UnitFilter::Unit), ["Both", "Unit"]);
    assert_eq!(names(UnitFilter::HasUnitSub), ["Both", "Sub"]);
    assert_eq!(names(UnitFilter::HasUnitSubNotUnit), ["Sub"]);
}

#[test]
fn filter_servers_show_in_routes() {
    let (mut t, _) = table();
    t.register(
        &reg("a", "a:1", 0),
        &topics(1, &[("T", 4), ("U", 4)]),
        &["f:1".into()],
        false,
    )
    .unwrap();
    assert_eq!(
        t.route("T").unwrap().filter_server_table["a:1"],
        vec!["f:1".to_owned()]
    );
}
