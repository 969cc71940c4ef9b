//! [`Cluster`]: a set of components started together with one temp dir.
//!
//! Extending it (the broker part): add a `brokers: usize` and broker config
//! overrides to [`ClusterBuilder`], a `Vec<BrokerHandle>` to [`Cluster`], and
//! start the brokers in [`ClusterBuilder::start`] after the NameServers, with
//! `namesrvAddr` = [`Cluster::namesrv_addr_list`] and their store under
//! [`Cluster::dir`]. [`Mode`] applies to every component; [`Drop`] below
//! already prints child logs and keeps the dir of a failing test.

use std::path::Path;
use std::time::Duration;

use tempfile::TempDir;

use crate::broker::BrokerHandle;
use crate::namesrv::NamesrvHandle;
use crate::HarnessError;

/// How components run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Library `run(...)` on the test's runtime (fast; logs via tracing).
    #[default]
    InProcess,
    /// Child processes of the built binaries (for kill -9 tests).
    ChildProcess,
}

/// Builds a [`Cluster`]: `Cluster::builder().namesrvs(2).start().await`.
#[derive(Debug, Clone, Default)]
pub struct ClusterBuilder {
    namesrvs: usize,
    mode: Mode,
    namesrv_config: Vec<(String, String)>,
    brokers: usize,
    broker_config: Vec<(String, String)>,
}

impl ClusterBuilder {
    /// Number of NameServers (default 1).
    pub fn namesrvs(mut self, n: usize) -> Self {
        self.namesrvs = n;
        self
    }

    /// In process (default) or child processes.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets a RocketMQ NameServer config key on every NameServer (e.g.
    /// `scanNotActiveBrokerInterval`, `orderMessageEnable`).
    pub fn namesrv_config(mut self, key: &str, value: impl ToString) -> Self {
        self.namesrv_config
            .push((key.to_owned(), value.to_string()));
        self
    }

    /// Number of brokers (default 0), named `broker-a`, `broker-b`, ...,
    /// each a master of cluster `DefaultCluster`.
    pub fn brokers(mut self, n: usize) -> Self {
        self.brokers = n;
        self
    }

    /// Sets a RocketMQ broker.conf key on every broker (e.g.
    /// `flushDiskType`, `autoCreateTopicEnable`).
    pub fn broker_config(mut self, key: &str, value: impl ToString) -> Self {
        self.broker_config.push((key.to_owned(), value.to_string()));
        self
    }

    /// Starts everything; on error, whatever started is stopped again.
    pub async fn start(self) -> Result<Cluster, HarnessError> {
        crate::init_logging();
        let dir = tempfile::Builder::new().prefix("rmq-cluster-").tempdir()?;
        let mut cluster = Cluster {
            dir: Some(dir),
            namesrvs: Vec::new(),
            brokers: Vec::new(),
        };
        for i in 0..self.namesrvs.max(1) {
            let name = format!("namesrv-{i}");
            let ns_dir = cluster.dir().join(&name);
            let handle = match self.mode {
                Mode::InProcess => {
                    NamesrvHandle::start_in_process(&name, &ns_dir, &self.namesrv_config).await?
                }
                Mode::ChildProcess => {
                    NamesrvHandle::start_child(&name, &ns_dir, &self.namesrv_config).await?
                }
            };
            tracing::info!(name, addr = handle.addr(), mode = ?self.mode, "started");
            cluster.namesrvs.push(handle);
        }
        let namesrv_addr = cluster.namesrv_addr_list();
        for i in 0..self.brokers {
            let name = broker_name(i);
            let dir = cluster.dir().join(&name);
            let handle = match self.mode {
                Mode::InProcess => {
                    BrokerHandle::start_in_process(&name, &dir, &namesrv_addr, &self.broker_config)
                        .await?
                }
                Mode::ChildProcess => {
                    BrokerHandle::start_child(&name, &dir, &namesrv_addr, &self.broker_config)
                        .await?
                }
            };
            tracing::info!(name, addr = handle.addr(), mode = ?self.mode, "started");
            cluster.brokers.push(handle);
        }
        Ok(cluster)
    }
}

/// A running test cluster. Everything stops when it is dropped.
pub struct Cluster {
    dir: Option<TempDir>,
    namesrvs: Vec<NamesrvHandle>,
    brokers: Vec<BrokerHandle>,
}

/// `broker-a`, `broker-b`, ... (`broker-<i>` past `z`).
fn broker_name(i: usize) -> String {
    match u8::try_from(i).ok().filter(|i| *i < 26) {
        Some(i) => format!("broker-{}", char::from(b'a' + i)),
        None => format!("broker-{i}"),
    }
}

impl Cluster {
    /// A builder with one in-process NameServer.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder {
            namesrvs: 1,
            ..ClusterBuilder::default()
        }
    }

    /// The cluster's temp dir (one sub-dir per component).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new("."), TempDir::path)
    }

    /// The NameServers.
    pub fn namesrvs(&self) -> &[NamesrvHandle] {
        &self.namesrvs
    }

    /// NameServer `i`, mutably (to stop or kill it).
    pub fn namesrv_mut(&mut self, i: usize) -> &mut NamesrvHandle {
        &mut self.namesrvs[i]
    }

    /// Address of NameServer `i`.
    pub fn namesrv_addr(&self, i: usize) -> &str {
        self.namesrvs[i].addr()
    }

    /// Every NameServer address.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrvs.iter().map(|n| n.addr().to_owned()).collect()
    }

    /// The addresses as RocketMQ's `namesrvAddr` (`a:1;b:2`).
    pub fn namesrv_addr_list(&self) -> String {
        self.namesrv_addrs().join(";")
    }

    /// The brokers.
    pub fn brokers(&self) -> &[BrokerHandle] {
        &self.brokers
    }

    /// Broker `i`.
    pub fn broker(&self, i: usize) -> &BrokerHandle {
        &self.brokers[i]
    }

    /// Broker `i`, mutably (to stop, kill or restart it).
    pub fn broker_mut(&mut self, i: usize) -> &mut BrokerHandle {
        &mut self.brokers[i]
    }

    /// Address of broker `i` (`127.0.0.1:<port>`).
    pub fn broker_addr(&self, i: usize) -> &str {
        self.brokers[i].addr()
    }

    /// Stops every component cleanly; true if all exited cleanly in time.
    pub async fn shutdown(mut self) -> bool {
        let mut clean = true;
        for b in &mut self.brokers {
            clean &= b.stop(Duration::from_secs(10)).await;
        }
        for ns in &mut self.namesrvs {
            clean &= ns.stop(Duration::from_secs(5)).await;
        }
        clean
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for b in &self.brokers {
                let log = b.log();
                if !log.is_empty() {
                    eprintln!("===== {} ({}) log =====\n{log}", b.name(), b.addr());
                }
            }
            for ns in &self.namesrvs {
                let log = ns.log();
                if !log.is_empty() {
                    eprintln!("===== {} ({}) log =====\n{log}", ns.name(), ns.addr());
                }
            }
            if let Some(dir) = self.dir.take() {
                eprintln!(
                    "test failed; cluster files kept in {}",
                    dir.keep().display()
                );
            }
        }
        // Components stop in their own Drop; the temp dir goes after them.
        self.brokers.clear();
        self.namesrvs.clear();
    }
}
