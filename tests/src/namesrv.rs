//! One NameServer of a test cluster, in process or as a child process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nameserver::NamesrvConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::process::{find_binary, ChildProcess};
use crate::HarnessError;

/// A GET_ROUTEINFO_BY_TOPIC request for `topic` (default JSON form).
pub fn route_request(topic: &str) -> protocol::RemotingCommand {
    protocol::RemotingCommand::request(
        protocol::code::request::GET_ROUTEINFO_BY_TOPIC,
        &protocol::header::namesrv::GetRouteInfoRequestHeader {
            topic: topic.into(),
            accept_standard_json_only: None,
        },
    )
}

/// What `mqnamesrv` prints once it serves.
pub const BOOT_LINE: &str = "The Name Server boot success. serializeType=JSON";

enum Runner {
    InProcess {
        stop: Option<oneshot::Sender<()>>,
        task: Option<JoinHandle<std::io::Result<()>>>,
    },
    Child(ChildProcess),
    Stopped,
}

/// A running NameServer bound to `127.0.0.1:<ephemeral port>`, with its
/// files (`kvConfig.json`, `namesrv.properties`) in its own directory.
///
/// Invariant: stopped when dropped.
pub struct NamesrvHandle {
    name: String,
    addr: String,
    dir: PathBuf,
    runner: Runner,
}

impl NamesrvHandle {
    /// Starts `nameserver::run` on the current runtime. `overrides` are
    /// RocketMQ config keys applied over the defaults.
    pub async fn start_in_process(
        name: &str,
        dir: &Path,
        overrides: &[(String, String)],
    ) -> Result<Self, HarnessError> {
        std::fs::create_dir_all(dir)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut config = NamesrvConfig {
            listen_port: addr.port(),
            bind_address: "127.0.0.1".into(),
            kv_config_path: dir.join("kvConfig.json"),
            config_store_path: dir.join("namesrv.properties"),
            ..NamesrvConfig::default()
        };
        config
            .apply_all(overrides.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(nameserver::run(config, listener, async {
            let _ = stopped.await;
        }));
        Ok(NamesrvHandle {
            name: name.to_owned(),
            addr: addr.to_string(),
            dir: dir.to_owned(),
            runner: Runner::InProcess {
                stop: Some(stop),
                task: Some(task),
            },
        })
    }

    /// Starts the `mqnamesrv` binary with `-n 0` and waits for its boot
    /// line, which carries the port it bound.
    pub async fn start_child(
        name: &str,
        dir: &Path,
        overrides: &[(String, String)],
    ) -> Result<Self, HarnessError> {
        std::fs::create_dir_all(dir)?;
        let bin = find_binary("mqnamesrv")?;
        let mut args: Vec<String> = vec![
            "-n".into(),
            "0".into(),
            "--bind-address".into(),
            "127.0.0.1".into(),
            "--kv-config-path".into(),
            dir.join("kvConfig.json").to_string_lossy().into_owned(),
            "--set".into(),
            format!(
                "configStorePath={}",
                dir.join("namesrv.properties").display()
            ),
        ];
        for (k, v) in overrides {
            args.push("--set".into());
            args.push(format!("{k}={v}"));
        }
        let log = dir.join(format!("{name}.log"));
        let (child, line) = ChildProcess::start(name, &bin, &args, log, BOOT_LINE).await?;
        let addr = line
            .rsplit("address ")
            .next()
            .map(str::trim)
            .filter(|a| a.contains(':'))
            .ok_or_else(|| HarnessError::BootTimeout {
                name: name.to_owned(),
                log: format!("boot line without an address: {line}"),
            })?
            .to_owned();
        Ok(NamesrvHandle {
            name: name.to_owned(),
            addr,
            dir: dir.to_owned(),
            runner: Runner::Child(child),
        })
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The component name (`namesrv-0`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its directory (KV config, persisted config, child log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The child's pid (`None` in process or once stopped).
    pub fn pid(&self) -> Option<u32> {
        match &self.runner {
            Runner::Child(c) => c.pid(),
            _ => None,
        }
    }

    /// The child's log so far (empty in process: those logs go to tracing).
    pub fn log(&self) -> String {
        match &self.runner {
            Runner::Child(c) => c.log(),
            _ => String::new(),
        }
    }

    /// Clean shutdown: the shutdown future in process, SIGTERM for a child.
    /// Returns true when it exited cleanly within `grace`.
    pub async fn stop(&mut self, grace: Duration) -> bool {
        match std::mem::replace(&mut self.runner, Runner::Stopped) {
            Runner::InProcess { stop, task } => {
                if let Some(stop) = stop {
                    let _ = stop.send(());
                }
                match task {
                    Some(task) => matches!(tokio::time::timeout(grace, task).await, Ok(Ok(Ok(())))),
                    None => true,
                }
            }
            Runner::Child(mut child) => child
                .terminate(grace)
                .await
                .is_some_and(|status| status.success()),
            Runner::Stopped => true,
        }
    }

    /// Abrupt stop: SIGKILL for a child, task abort in process.
    pub fn kill(&mut self) {
        match std::mem::replace(&mut self.runner, Runner::Stopped) {
            Runner::InProcess { task, .. } => {
                if let Some(task) = task {
                    task.abort();
                }
            }
            Runner::Child(mut child) => child.kill(),
            Runner::Stopped => {}
        }
    }

    /// True until stopped or killed.
    pub fn is_running(&self) -> bool {
        !matches!(self.runner, Runner::Stopped)
    }
}

impl Drop for NamesrvHandle {
    fn drop(&mut self) {
        if let Runner::InProcess { stop, .. } = &mut self.runner {
            // The task finishes its shutdown on the runtime by itself.
            if let Some(stop) = stop.take() {
                let _ = stop.send(());
            }
        }
        // A child is killed by ChildProcess's own Drop.
    }
}
