//! The `mqnamesrv` command line: config file, flags, `-p`, errors, and the
//! boot line plus clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mqnamesrv");
const CONF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../conf/namesrv.conf");

#[test]
fn print_config_applies_file_then_flags() {
    let out = Command::new(BIN)
        .args([
            "-c",
            CONF,
            "-n",
            "19876",
            "--set",
            "orderMessageEnable=true",
            "-p",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("listenPort=19876\n"), "{text}");
    assert!(
        text.contains("scanNotActiveBrokerInterval=10000\n"),
        "{text}"
    );
    assert!(text.contains("orderMessageEnable=true\n"), "{text}");
}

#[test]
fn bad_values_and_unknown_keys_are_reported_by_name() {
    let out = Command::new(BIN)
        .args(["--set", "listenPort=abc", "-p"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("listenPort"));

    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("ns.conf");
    std::fs::write(&conf, "listenPort=9877\nlistenPortt=1\n").unwrap();
    let out = Command::new(BIN)
        .args(["-c", conf.to_str().unwrap(), "-p"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown config key") && err.contains("listenPortt"),
        "{err}"
    );
}

#[test]
fn boots_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["-n", "0", "--bind-address", "127.0.0.1", "--kv-config-path"])
        .arg(dir.path().join("kv.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout).lines().next().unwrap().unwrap();
    assert!(
        line.starts_with("The Name Server boot success. serializeType=JSON, address 127.0.0.1:"),
        "{line}"
    );
    let addr = line.rsplit("address ").next().unwrap();
    std::net::TcpStream::connect(addr).expect("serving");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("mqnamesrv did not exit on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
