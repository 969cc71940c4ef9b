//! Child processes of the built binaries: locate a binary, start it with its
//! output in a log file, wait for its boot line, stop it (SIGTERM) or kill
//! it (SIGKILL).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::HarnessError;

/// How long a child may take to print its boot line.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(20);

/// Finds binary `name` (e.g. `mqnamesrv`): `$<NAME>_BIN` if set, else next
/// to the running test executable (`target/<profile>/deps/..`).
pub fn find_binary(name: &str) -> Result<PathBuf, HarnessError> {
    let env = format!("{}_BIN", name.to_uppercase());
    if let Some(p) = std::env::var_os(&env) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    let mut looked_in = Vec::new();
    let mut dir = exe.parent();
    // target/<profile>/deps/<test> -> target/<profile>
    for _ in 0..2 {
        let Some(d) = dir else { break };
        let candidate = d.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        if candidate.is_file() {
            return Ok(candidate);
        }
        looked_in.push(candidate);
        dir = d.parent();
    }
    Err(HarnessError::BinaryNotFound {
        name: name.to_owned(),
        env,
        looked_in,
    })
}

/// A running child process whose output goes to a log file.
///
/// Invariant: the process is killed and reaped when this is dropped.
#[derive(Debug)]
pub struct ChildProcess {
    name: String,
    child: Option<Child>,
    log_path: PathBuf,
}

impl ChildProcess {
    /// Starts `bin args...`, logging to `log_path`, and waits until a line
    /// of its stdout contains `boot_marker`; returns the process and that
    /// line.
    pub async fn start(
        name: &str,
        bin: &Path,
        args: &[String],
        log_path: PathBuf,
        boot_marker: &'static str,
    ) -> Result<(ChildProcess, String), HarnessError> {
        let log = Arc::new(Mutex::new(File::create(&log_path)?));
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (boot_tx, boot_rx) = tokio::sync::oneshot::channel::<String>();
        if let Some(out) = child.stdout.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut boot_tx = Some(boot_tx);
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    append(&log, &line);
                    if line.contains(boot_marker) {
                        if let Some(tx) = boot_tx.take() {
                            let _ = tx.send(line);
                        }
                    }
                }
            });
        }
        if let Some(mut err) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut f) = log.lock() {
                        let _ = f.write_all(&buf[..n]);
                    }
                }
            });
        }
        let mut process = ChildProcess {
            name: name.to_owned(),
            child: Some(child),
            log_path,
        };
        match tokio::time::timeout(BOOT_TIMEOUT, boot_rx).await {
            Ok(Ok(line)) => Ok((process, line)),
            _ => {
                process.kill();
                Err(HarnessError::BootTimeout {
                    name: name.to_owned(),
                    log: process.log(),
                })
            }
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Everything the process wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Path of the log file.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// SIGKILL (`kill -9`) and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then wait up to `grace` for a clean exit (SIGKILL after).
    /// Returns the exit status when the process exited by itself.
    pub async fn terminate(&mut self, grace: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(name = %self.name, "did not exit after SIGTERM; killing");
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn append(log: &Mutex<File>, line: &str) {
    if let Ok(mut f) = log.lock() {
        let _ = writeln!(f, "{line}");
    }
}
