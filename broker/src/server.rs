//! Start and stop of a whole broker: [`Broker::start`] opens the store and
//! managers, serves the listeners, starts the services and registers with
//! the name servers; [`Broker::shutdown`] undoes it in order (unregister,
//! stop serving, persist, flush and close the store, which removes the
//! abort file). [`run`] is both with a shutdown future in between.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use protocol::net::{self, Processor, ServerConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::BrokerConfig;
use crate::context::BrokerContext;
use crate::error::BrokerError;
use crate::{processor, registration};

/// How often expired client channels (and expired queue locks) are dropped
/// (Java: 10 s).
const CLIENT_SCAN_INTERVAL: Duration = Duration::from_secs(10);

/// A running broker. Dropping it without [`Broker::shutdown`] stops serving
/// (the tasks are cancelled) but skips the clean-shutdown steps.
pub struct Broker {
    ctx: Arc<BrokerContext>,
    stop_services: CancellationToken,
    stop_serving: CancellationToken,
    servers: Vec<JoinHandle<std::io::Result<()>>>,
    services: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("addr", &self.ctx.broker_addr)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// Validates `config`, opens the store (recovering it), loads the
    /// managers, serves `listener` (and the VIP listener, if any), starts
    /// the services and registers with every name server before returning.
    ///
    /// `config.listen_port` must be the port clients reach `listener` on:
    /// it is registered and stored as every message's storeHost.
    pub async fn start(
        mut config: BrokerConfig,
        listener: TcpListener,
        vip: Option<TcpListener>,
    ) -> Result<Broker, BrokerError> {
        config.validate()?;
        tracing::info!(
            broker = %config.broker_name,
            addr = %config.broker_addr(),
            store = %config.store.store_path_root_dir.display(),
            flush = config.store.flush_disk_type.as_str(),
            role = config.store.broker_role.as_str(),
            "starting broker"
        );
        let ctx = tokio::task::spawn_blocking(move || BrokerContext::open(config))
            .await
            .map_err(|e| BrokerError::System(format!("broker start panicked: {e}")))??;
        let hold = ctx.pull_hold.clone();
        ctx.store
            .set_arrival_listener(Arc::new(move |topic, queue_id, _max| {
                hold.notify_arrival(topic, queue_id)
            }));

        let router: Arc<dyn Processor> = Arc::new(processor::router(&ctx));
        let stop_serving = CancellationToken::new();
        let mut servers = Vec::new();
        for l in std::iter::once(listener).chain(vip) {
            let stop = stop_serving.clone();
            servers.push(tokio::spawn(net::run(
                ServerConfig::default(),
                l,
                router.clone(),
                async move { stop.cancelled().await },
            )));
        }

        let stop_services = CancellationToken::new();
        let services = spawn_services(&ctx, &stop_services);
        let accepted = registration::register_all(&ctx).await;
        let wanted = ctx.config.read().namesrv_addrs().len();
        if accepted < wanted {
            tracing::warn!(
                accepted,
                wanted,
                "not every name server accepted the registration; retrying every period"
            );
        }
        Ok(Broker {
            ctx,
            stop_services,
            stop_serving,
            servers,
            services,
        })
    }

    /// The shared state (tests and embedding code inspect it).
    pub fn context(&self) -> &Arc<BrokerContext> {
        &self.ctx
    }

    /// `brokerIP1:listenPort`.
    pub fn addr(&self) -> &str {
        &self.ctx.broker_addr
    }

    /// The line Java brokers print once serving.
    pub fn boot_message(&self) -> String {
        let cfg = self.ctx.config.read();
        format!(
            "The broker[{}, {}] boot success. serializeType=JSON and name server is {}",
            cfg.broker_name,
            self.ctx.broker_addr,
            cfg.namesrv_addr.as_deref().unwrap_or("null")
        )
    }

    /// Clean shutdown: unregister from the name servers, stop serving and
    /// the services, persist the config files, flush and close the store.
    pub async fn shutdown(mut self) -> Result<(), BrokerError> {
        tracing::info!(addr = %self.ctx.broker_addr, "broker shutting down");
        self.ctx.begin_shutdown();
        registration::unregister_all(&self.ctx).await;
        self.stop_serving.cancel();
        self.stop_services.cancel();
        for s in self.servers.drain(..) {
            match s.await {
                Ok(Err(e)) => tracing::warn!(error = %e, "server ended with an error"),
                Err(e) => tracing::warn!(error = %e, "server task failed"),
                Ok(Ok(())) => {}
            }
        }
        for s in self.services.drain(..) {
            let _ = s.await;
        }
        self.ctx.namesrv.close();
        let ctx = self.ctx.clone();
        tokio::task::spawn_blocking(move || {
            ctx.persist_all();
            ctx.store.shutdown();
        })
        .await
        .map_err(|e| BrokerError::System(format!("store shutdown panicked: {e}")))?;
        tracing::info!(addr = %self.ctx.broker_addr, "broker stopped");
        Ok(())
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop_serving.cancel();
        self.stop_services.cancel();
    }
}

/// Starts the periodic services; each ends when `stop` is cancelled.
fn spawn_services(ctx: &Arc<BrokerContext>, stop: &CancellationToken) -> Vec<JoinHandle<()>> {
    let flush = Duration::from_millis(ctx.config.read().flush_consumer_offset_interval.max(100));
    let mut v = Vec::new();
    v.push(tokio::spawn(registration::run(ctx.clone(), stop.clone())));
    {
        let (ctx, stop) = (ctx.clone(), stop.clone());
        v.push(tokio::spawn(async move {
            ctx.offsets.persist_every(flush, stop.cancelled()).await
        }));
    }
    {
        let (ctx, stop) = (ctx.clone(), stop.clone());
        v.push(tokio::spawn(async move {
            ctx.subscriptions
                .persist_every(flush, stop.cancelled())
                .await
        }));
    }
    {
        let (ctx, stop) = (ctx.clone(), stop.clone());
        v.push(tokio::spawn(async move {
            ctx.clients
                .run_expiry_scan(CLIENT_SCAN_INTERVAL, stop.cancelled())
                .await
        }));
    }
    {
        // Lock requests name any group and queue: drop dead entries so the
        // table does not grow with every client that ever locked.
        let (ctx, stop) = (ctx.clone(), stop.clone());
        v.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(CLIENT_SCAN_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {
                        let n = ctx.locks.remove_expired();
                        if n > 0 {
                            tracing::debug!(removed = n, "expired queue locks dropped");
                        }
                    }
                }
            }
        }));
    }
    v
}

/// Runs a broker until `shutdown` completes, then shuts it down cleanly.
/// Logs Java's boot line once serving.
pub async fn run(
    config: BrokerConfig,
    listener: TcpListener,
    vip: Option<TcpListener>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), BrokerError> {
    let broker = Broker::start(config, listener, vip).await?;
    tracing::info!("{}", broker.boot_message());
    shutdown.await;
    broker.shutdown().await
}

/// Binds the main listener on `bindAddress:listenPort` and, when possible,
/// the VIP listener on `listenPort - 2` (a VIP port in use only warns).
/// `listenPort=0` binds an ephemeral port and writes it back into `config`
/// (no VIP listener then).
pub async fn bind(
    config: &mut BrokerConfig,
) -> Result<(TcpListener, Option<TcpListener>), BrokerError> {
    let host = config.bind_address.clone();
    let addr = format!("{host}:{}", config.listen_port);
    let main = TcpListener::bind(&addr)
        .await
        .map_err(|e| BrokerError::io(format!("bind {addr}"), e))?;
    if config.listen_port == 0 {
        let port = main
            .local_addr()
            .map_err(|e| BrokerError::io(format!("bind {addr}"), e))?
            .port();
        config.set_listen_port(port);
        return Ok((main, None));
    }
    let vip = match config.vip_port() {
        Some(p) => match TcpListener::bind((host.as_str(), p)).await {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(port = p, error = %e, "cannot listen on the VIP port");
                None
            }
        },
        None => None,
    };
    Ok((main, vip))
}
