//! NameServers as child processes of the `mqnamesrv` binary: they boot,
//! serve, die on kill -9 without affecting each other, and exit cleanly on
//! SIGTERM. (Needs the binary built: `cargo test -p rmq-nameserver -p
//! rmq-tests` builds it.)

use std::time::Duration;

use harness::namesrv::route_request;
use harness::{connect, Cluster, FakeBroker, Mode, RPC_TIMEOUT};
use protocol::code::response;

#[tokio::test]
async fn child_nameservers_serve_survive_a_peer_kill_and_stop_on_sigterm() {
    let mut cluster = Cluster::builder()
        .namesrvs(2)
        .mode(Mode::ChildProcess)
        .start()
        .await
        .unwrap();
    assert!(cluster.namesrvs().iter().all(|n| n.pid().is_some()));
    let broker =
        FakeBroker::new("DefaultCluster", "broker-a", "127.0.0.1:10911").with_topic("T", 4);
    let mut conns = Vec::new();
    for addr in cluster.namesrv_addrs() {
        let conn = connect(&addr).await.unwrap();
        assert_eq!(
            broker.register(&conn).await.unwrap().code,
            response::SUCCESS
        );
        let resp = conn.invoke(route_request("T"), RPC_TIMEOUT).await.unwrap();
        assert_eq!(resp.code, response::SUCCESS);
        conns.push(conn);
    }

    cluster.namesrv_mut(0).kill();
    assert!(conns[0]
        .invoke(route_request("T"), RPC_TIMEOUT)
        .await
        .is_err());
    let resp = conns[1]
        .invoke(route_request("T"), RPC_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(resp.code, response::SUCCESS);

    let log = cluster.namesrvs()[1].log();
    assert!(
        log.contains("The Name Server boot success. serializeType=JSON"),
        "{log}"
    );
    assert!(
        cluster.namesrv_mut(1).stop(Duration::from_secs(10)).await,
        "SIGTERM should end the process with status 0"
    );
}
