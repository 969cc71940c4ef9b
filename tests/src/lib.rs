//! The cluster harness: starts NameServers (and, once the broker exists,
//! brokers) on ephemeral 127.0.0.1 ports with temp dirs, in this process or
//! as child processes of the built binaries, and stops everything on drop.
//!
//! ```no_run
//! # async fn demo() -> Result<(), harness::HarnessError> {
//! use harness::{Cluster, Mode};
//! let cluster = Cluster::builder()
//!     .namesrvs(2)
//!     .namesrv_config("scanNotActiveBrokerInterval", "100")
//!     .mode(Mode::InProcess)
//!     .start()
//!     .await?;
//! let conn = harness::connect(cluster.namesrv_addr(0)).await?;
//! # let _ = conn; Ok(()) }
//! ```
//!
//! - In-process components run `nameserver::run` on the test's tokio runtime;
//!   their logs go through `tracing` to the test writer, which cargo shows
//!   only for failing tests (use the default current-thread `#[tokio::test]`
//!   so the output is captured).
//! - Child processes ([`Mode::ChildProcess`]) run the binaries found next to
//!   the test executable (`target/<profile>/mqnamesrv`; override with the
//!   `MQNAMESRV_BIN` env var). They must be built first: `cargo test -p
//!   rmq-nameserver -p rmq-tests` or `cargo build --bins` does it. Their
//!   stdout and stderr go to `<temp dir>/<name>.log`.
//! - On drop, a cluster stops every component (child processes are killed).
//!   If the test is failing (the thread is panicking) it prints every child
//!   log and keeps the temp dir, printing its path.
//!
//! Modules: [`cluster`] (the builder and the running cluster), [`broker`]
//! (one broker), [`client`] (a minimal producer/consumer on the protocol
//! crate for broker suites), [`namesrv`]
//! (one NameServer), [`process`] (child processes), [`fake_broker`] (a
//! scripted broker that registers over the wire).

pub mod broker;
pub mod client;
pub mod cluster;
pub mod fake_broker;
pub mod namesrv;
pub mod process;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use protocol::net::{ClientConfig, Connection, NetError};

pub use broker::BrokerHandle;
pub use cluster::{Cluster, ClusterBuilder, Mode};
pub use fake_broker::FakeBroker;
pub use namesrv::NamesrvHandle;

/// Timeout the harness and tests use for one request.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the harness could not start or reach something.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// Binding, spawning, reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A binary for a child process is not where the harness looks.
    #[error(
        "binary '{name}' not found (looked in {looked_in:?}); build it first with \
         `cargo build --bins` (or `cargo test -p rmq-nameserver -p rmq-tests`), \
         or set {env} to its path"
    )]
    BinaryNotFound {
        /// The binary name.
        name: String,
        /// The env var that overrides the lookup.
        env: String,
        /// Where it looked.
        looked_in: Vec<std::path::PathBuf>,
    },
    /// A child process did not print its boot line in time.
    #[error("{name} did not report boot success in time; log:\n{log}")]
    BootTimeout {
        /// The component.
        name: String,
        /// Its log so far.
        log: String,
    },
    /// A network call failed.
    #[error("network error: {0}")]
    Net(#[from] NetError),
}

/// The wire corpus of real clients' frames: `$SHARED/wire-corpus` when
/// `SHARED` is set (CI sets it), else `../shared/wire-corpus` beside the
/// repository.
pub fn wire_corpus_dir() -> std::path::PathBuf {
    match std::env::var_os("SHARED") {
        Some(shared) => std::path::PathBuf::from(shared).join("wire-corpus"),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/wire-corpus"),
    }
}

/// Installs a `tracing` subscriber writing to the test output (once per
/// process; `RUST_LOG` filters, `info` by default).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// Opens a client connection to `addr`.
pub async fn connect(addr: &str) -> Result<Arc<Connection>, HarnessError> {
    Ok(Connection::connect(addr, &ClientConfig::default(), None).await?)
}

/// Polls `check` every 20 ms until it returns true or `within` elapses;
/// returns the last answer.
pub async fn wait_until<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
