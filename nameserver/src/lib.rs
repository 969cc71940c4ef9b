//! A RocketMQ-compatible NameServer: the registry brokers register with and
//! clients ask for routes (NAMESRV.md).
//!
//! - [`route_table`]: the registry as plain state with an injected
//!   [`clock::Clock`], holding every rule (registration, data versions,
//!   expiry, lookups).
//! - [`processor`]: [`NameServer`], which answers each request code.
//! - [`kv`]: the persisted KV config (order-topic configuration).
//! - [`config`]: [`NamesrvConfig`] under RocketMQ's key names.
//!
//! [`run`] serves a listener until a shutdown future completes; the
//! `mqnamesrv` binary only parses flags and the config file around it.

pub mod clock;
pub mod config;
pub mod kv;
pub mod processor;
pub mod route_table;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use protocol::net::{self, Processor, ServerConfig};
use tokio::net::TcpListener;

pub use config::NamesrvConfig;
pub use processor::NameServer;

use crate::clock::TokioClock;

/// Serves `listener` as a NameServer configured by `config` until
/// `shutdown` completes. Time comes from tokio's clock, so tests may
/// `tokio::time::pause()` and advance past broker expiry.
pub async fn run(
    config: NamesrvConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let server = Arc::new(NameServer::new(config, Arc::new(TokioClock::new()))?);
    serve(server, listener, shutdown).await
}

/// Serves `listener` with an already built [`NameServer`] (whose KV config
/// is loaded), running the expiry scan every `scanNotActiveBrokerInterval`.
pub async fn serve(
    server: Arc<NameServer>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let interval = Duration::from_millis(server.config().scan_not_active_broker_interval.max(1));
    let scanner = tokio::spawn(scan_loop(server.clone(), interval));
    let processor: Arc<dyn Processor> = server;
    let result = net::run(ServerConfig::default(), listener, processor, shutdown).await;
    scanner.abort();
    let _ = scanner.await;
    tracing::info!("name server stopped");
    result
}

async fn scan_loop(server: Arc<NameServer>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        server.scan_not_active_brokers();
    }
}
