//! One broker of a test cluster, in process (`broker::Broker`) or as a child
//! process of the `mqbroker` binary, on `127.0.0.1:<ephemeral port>` with
//! its store in its own directory.
//!
//! Defaults for tests (override with [`crate::ClusterBuilder::broker_config`]):
//! small preallocated files (32 MiB CommitLog files instead of 1 GiB, 6,000
//! entries per ConsumeQueue file, a 4.2 MB index instead of 420 MB),
//! `brokerIP1=127.0.0.1`, no VIP listener. A restart keeps the port, the
//! directory and the config.

use std::path::{Path, PathBuf};
use std::time::Duration;

use broker::{Broker, BrokerConfig};
use tokio::net::TcpListener;

use crate::process::{find_binary, ChildProcess};
use crate::HarnessError;

/// What `mqbroker` prints once it serves (followed by the name servers).
pub const BOOT_MARKER: &str = "boot success. serializeType=JSON and name server is";

/// CommitLog file size the harness uses (the 1 GiB default would be
/// preallocated for every test broker, plus a standby file).
pub const TEST_COMMIT_LOG_FILE_SIZE: u64 = 32 * 1024 * 1024;
/// ConsumeQueue file size the harness uses: 6,000 entries (the default
/// 300,000 entries is 6 MB per queue).
pub const TEST_CONSUME_QUEUE_FILE_SIZE: u64 = 6_000 * 20;
/// Index hash slots the harness uses (the defaults make a 420 MB index file
/// per broker; with [`TEST_INDEX_ENTRIES`] it is 4.2 MB).
pub const TEST_INDEX_HASH_SLOTS: u64 = 50_000;
/// Index entries the harness uses (see [`TEST_INDEX_HASH_SLOTS`]).
pub const TEST_INDEX_ENTRIES: u64 = 200_000;

enum Runner {
    InProcess(Box<Broker>),
    Child(ChildProcess),
    Stopped,
}

/// How a broker was started, so it can be restarted the same way.
#[derive(Debug, Clone)]
struct Spec {
    child: bool,
    settings: Vec<(String, String)>,
}

/// A running broker. Invariant: stopped (or killed) when dropped.
pub struct BrokerHandle {
    name: String,
    addr: String,
    port: u16,
    dir: PathBuf,
    spec: Spec,
    runner: Runner,
}

impl BrokerHandle {
    /// Starts a broker named `name` (its brokerName) in this process,
    /// registering with `namesrv_addr`; `overrides` are broker.conf keys
    /// applied last.
    pub async fn start_in_process(
        name: &str,
        dir: &Path,
        namesrv_addr: &str,
        overrides: &[(String, String)],
    ) -> Result<Self, HarnessError> {
        let mut h = BrokerHandle::new(name, dir, namesrv_addr, overrides, false);
        h.launch(0).await?;
        Ok(h)
    }

    /// Starts the `mqbroker` binary (see [`find_binary`]) with a generated
    /// `broker.conf` and waits for its boot line.
    pub async fn start_child(
        name: &str,
        dir: &Path,
        namesrv_addr: &str,
        overrides: &[(String, String)],
    ) -> Result<Self, HarnessError> {
        let mut h = BrokerHandle::new(name, dir, namesrv_addr, overrides, true);
        h.launch(0).await?;
        Ok(h)
    }

    fn new(
        name: &str,
        dir: &Path,
        namesrv_addr: &str,
        overrides: &[(String, String)],
        child: bool,
    ) -> Self {
        let mut settings: Vec<(String, String)> = vec![
            ("brokerClusterName".into(), "DefaultCluster".into()),
            ("brokerName".into(), name.into()),
            ("brokerIP1".into(), "127.0.0.1".into()),
            ("bindAddress".into(), "127.0.0.1".into()),
            ("vipListenEnable".into(), "false".into()),
            ("namesrvAddr".into(), namesrv_addr.into()),
            (
                "storePathRootDir".into(),
                dir.join("store").display().to_string(),
            ),
            (
                "mappedFileSizeCommitLog".into(),
                TEST_COMMIT_LOG_FILE_SIZE.to_string(),
            ),
            (
                "mappedFileSizeConsumeQueue".into(),
                TEST_CONSUME_QUEUE_FILE_SIZE.to_string(),
            ),
            ("maxHashSlotNum".into(), TEST_INDEX_HASH_SLOTS.to_string()),
            ("maxIndexNum".into(), TEST_INDEX_ENTRIES.to_string()),
        ];
        settings.extend(overrides.iter().cloned());
        BrokerHandle {
            name: name.to_owned(),
            addr: String::new(),
            port: 0,
            dir: dir.to_owned(),
            spec: Spec { child, settings },
            runner: Runner::Stopped,
        }
    }

    /// Starts on `port` (0 = pick one).
    async fn launch(&mut self, port: u16) -> Result<(), HarnessError> {
        std::fs::create_dir_all(&self.dir)?;
        if self.spec.child {
            self.launch_child(port).await
        } else {
            self.launch_in_process(port).await
        }
    }

    async fn launch_in_process(&mut self, port: u16) -> Result<(), HarnessError> {
        let mut config = BrokerConfig::default();
        for (k, v) in &self.spec.settings {
            config.set(k, v).map_err(invalid)?;
        }
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        config.set_listen_port(port);
        let broker = Broker::start(config, listener, None)
            .await
            .map_err(invalid)?;
        tracing::info!(name = %self.name, "{}", broker.boot_message());
        self.port = port;
        self.addr = broker.addr().to_owned();
        self.runner = Runner::InProcess(Box::new(broker));
        Ok(())
    }

    async fn launch_child(&mut self, port: u16) -> Result<(), HarnessError> {
        let bin = find_binary("mqbroker")?;
        let conf = self.dir.join("broker.conf");
        let mut text = String::new();
        for (k, v) in self
            .spec
            .settings
            .iter()
            .chain(&[("listenPort".into(), port.to_string())])
        {
            text.push_str(&format!("{k}={}\n", v.replace('\\', "\\\\")));
        }
        std::fs::write(&conf, text)?;
        let args = vec!["-c".to_owned(), conf.display().to_string()];
        let log = self.dir.join(format!("{}.log", self.name));
        let (child, line) = ChildProcess::start(&self.name, &bin, &args, log, BOOT_MARKER).await?;
        let addr = boot_line_addr(&line).ok_or_else(|| HarnessError::BootTimeout {
            name: self.name.clone(),
            log: format!("boot line without an address: {line}"),
        })?;
        self.port = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        self.addr = addr;
        self.runner = Runner::Child(child);
        Ok(())
    }

    /// `127.0.0.1:<port>`: what clients dial (and the registered address).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The brokerName.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its directory (`store/`, `broker.conf`, child log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The store root (`storePathRootDir`).
    pub fn store_dir(&self) -> PathBuf {
        self.dir.join("store")
    }

    /// The child's pid (`None` in process or once stopped).
    pub fn pid(&self) -> Option<u32> {
        match &self.runner {
            Runner::Child(c) => c.pid(),
            _ => None,
        }
    }

    /// The in-process broker (`None` for a child or once stopped).
    pub fn broker(&self) -> Option<&Broker> {
        match &self.runner {
            Runner::InProcess(b) => Some(b),
            _ => None,
        }
    }

    /// The child's log so far (empty in process: those logs go to tracing).
    pub fn log(&self) -> String {
        match &self.runner {
            Runner::Child(c) => c.log(),
            _ => std::fs::read_to_string(self.dir.join(format!("{}.log", self.name)))
                .unwrap_or_default(),
        }
    }

    /// True until stopped or killed.
    pub fn is_running(&self) -> bool {
        !matches!(self.runner, Runner::Stopped)
    }

    /// Clean shutdown (unregister, flush): `Broker::shutdown` in process,
    /// SIGTERM for a child. True when it finished cleanly within `grace`.
    pub async fn stop(&mut self, grace: Duration) -> bool {
        match std::mem::replace(&mut self.runner, Runner::Stopped) {
            Runner::InProcess(b) => {
                matches!(tokio::time::timeout(grace, b.shutdown()).await, Ok(Ok(())))
            }
            Runner::Child(mut c) => c.terminate(grace).await.is_some_and(|s| s.success()),
            Runner::Stopped => true,
        }
    }

    /// Abrupt stop: SIGKILL for a child; in process, the broker is dropped
    /// without its clean-shutdown steps (no unregister; the store still
    /// closes when its last user goes, so use a child to test crashes).
    pub fn kill(&mut self) {
        match std::mem::replace(&mut self.runner, Runner::Stopped) {
            Runner::Child(mut c) => c.kill(),
            Runner::InProcess(b) => drop(b),
            Runner::Stopped => {}
        }
    }

    /// Starts it again (after [`BrokerHandle::stop`] or
    /// [`BrokerHandle::kill`]) on the same port with the same store.
    pub async fn restart(&mut self) -> Result<(), HarnessError> {
        if self.is_running() {
            self.stop(Duration::from_secs(10)).await;
        }
        let port = self.port;
        // The old process may still hold the port for a moment.
        let mut last = None;
        for _ in 0..50 {
            match self.launch(port).await {
                Ok(()) => return Ok(()),
                Err(HarnessError::Io(e)) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        }
        Err(HarnessError::Io(last.unwrap_or_else(|| {
            std::io::Error::other("port stayed in use")
        })))
    }
}

impl Drop for BrokerHandle {
    fn drop(&mut self) {
        if let Runner::InProcess(b) = std::mem::replace(&mut self.runner, Runner::Stopped) {
            // Finish the clean shutdown on the runtime when there is one.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = b.shutdown().await;
                });
            }
        }
        // A child is killed by ChildProcess's own Drop.
    }
}

/// `ip:port` from `The broker[name, ip:port] boot success...`.
fn boot_line_addr(line: &str) -> Option<String> {
    let inner = line.split('[').nth(1)?.split(']').next()?;
    let addr = inner.rsplit(", ").next()?.trim();
    addr.contains(':').then(|| addr.to_owned())
}

fn invalid(e: broker::BrokerError) -> HarnessError {
    HarnessError::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        e.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn boot_line_parse() {
        assert_eq!(
            super::boot_line_addr(
                "The broker[broker-a, 127.0.0.1:40001] boot success. serializeType=JSON and name server is 127.0.0.1:9876"
            )
            .as_deref(),
            Some("127.0.0.1:40001")
        );
    }
}
