//! Restart time after `kill -9` on a large CommitLog, for measuring recovery.
//!
//! ```text
//! cargo build --release --bins -p rmq-nameserver -p rmq-broker
//! TMPDIR=<dir with space> cargo run --release -p rmq-tests --example restart_time -- \
//!     [--count 1100000] [--size 1024] [--runs 3] [--inflight 64] [--file-size 1073741824]
//! ```
//!
//! Per run, on a fresh cluster of child processes (`mqnamesrv`, `mqbroker`
//! from the release directory, or `MQNAMESRV_BIN`/`MQBROKER_BIN`; ASYNC_FLUSH,
//! `mappedFileSizeCommitLog` = `--file-size`, Java's default index and
//! consume-queue sizes): `--count` messages of `--size` bytes are sent
//! (`--inflight` at once over 4 queues), the broker is killed with SIGKILL
//! and started again. Printed: the time from the restart's exec to the boot
//! line, to the first acknowledged send of a client that starts dialing at
//! the exec, the broker's "CommitLog recovered" line, and a check that every
//! acknowledged message is there exactly once with its body intact. The
//! cluster's files live under `TMPDIR`: each run needs about twice the
//! file size of disk.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use harness::client::{PullRequest, TestClient};
use harness::{Cluster, Mode};
use protocol::code::response;

const TOPIC: &str = "RestartTime";
/// Queues of the auto-created topic (what `TestClient` asks for).
const QUEUES: i32 = 4;

#[derive(Debug, Clone)]
struct Args {
    count: u64,
    size: usize,
    runs: usize,
    inflight: usize,
    file_size: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        count: 1_100_000,
        size: 1024,
        runs: 3,
        inflight: 64,
        file_size: 1 << 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n = v.parse::<u64>().map_err(|e| format!("{flag}: {e}"))?;
        match flag.as_str() {
            "--count" => a.count = n,
            "--size" => a.size = n.max(16) as usize,
            "--runs" => a.runs = n.max(1) as usize,
            "--inflight" => a.inflight = n.max(1) as usize,
            "--file-size" => a.file_size = n,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

/// The body of message `seq`: the number, then bytes derived from it.
fn body(seq: u64, size: usize) -> Bytes {
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend((8..size).map(|i| (seq as usize).wrapping_mul(31).wrapping_add(i) as u8));
    Bytes::from(b)
}

/// Sends `count` messages, `inflight` at once; returns how many were acknowledged.
async fn fill(addr: &str, args: &Args) -> Result<u64, String> {
    let conns = 4;
    let mut clients = Vec::new();
    for _ in 0..conns {
        clients.push(Arc::new(
            TestClient::connect(addr).await.map_err(|e| e.to_string())?,
        ));
    }
    let next = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..args.inflight {
        let c = Arc::clone(&clients[w % conns]);
        let (next, acked, failed) = (Arc::clone(&next), Arc::clone(&acked), Arc::clone(&failed));
        let args = args.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                if seq >= args.count {
                    break;
                }
                let q = (seq % QUEUES as u64) as i32;
                match c.send(TOPIC, q, body(seq, args.size), None).await {
                    Ok(o) if o.code == response::SUCCESS => {
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(o) => {
                        if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("send {seq}: code {} {}", o.code, o.remark);
                        }
                    }
                    Err(e) => {
                        if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("send {seq}: {e}");
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())?;
    }
    Ok(acked.load(Ordering::Relaxed))
}

/// Dials `addr` until a send is acknowledged; returns when that happened.
async fn first_send(addr: String, size: usize) -> Option<Instant> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(c) = TestClient::connect(&addr).await {
            if let Ok(o) = c.send(TOPIC, 0, body(u64::MAX, size), None).await {
                if o.code == response::SUCCESS {
                    return Some(Instant::now());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    None
}

/// Pulls every queue from 0; returns (distinct acknowledged seen, duplicates, corrupt).
async fn check(addr: &str, args: &Args) -> Result<(u64, u64, u64), String> {
    let c = TestClient::connect(addr).await.map_err(|e| e.to_string())?;
    let mut seen = HashSet::new();
    let (mut dup, mut corrupt) = (0, 0);
    for q in 0..QUEUES {
        let want = (args.count / QUEUES as u64 + u64::from((q as u64) < args.count % QUEUES as u64))
            as usize;
        let mut p = PullRequest::new("RestartTimeCheck", TOPIC, q, 0);
        p.max_msgs = 32;
        let msgs = c
            .pull_until(p, want + usize::from(q == 0), Duration::from_secs(300))
            .await
            .map_err(|e| e.to_string())?;
        for m in msgs {
            let Some(seq) = m
                .body
                .get(..8)
                .map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
            else {
                corrupt += 1;
                continue;
            };
            if seq == u64::MAX {
                continue; // the probe
            }
            if m.body != body(seq, args.size) {
                corrupt += 1;
            } else if !seen.insert(seq) {
                dup += 1;
            }
        }
    }
    Ok((seen.len() as u64, dup, corrupt))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    let (mut boots, mut sends) = (Vec::new(), Vec::new());
    for run in 1..=args.runs {
        let mut cluster = Cluster::builder()
            .mode(Mode::ChildProcess)
            .brokers(1)
            .broker_config("flushDiskType", "ASYNC_FLUSH")
            .broker_config("mappedFileSizeCommitLog", args.file_size)
            .broker_config("mappedFileSizeConsumeQueue", 300_000 * 20)
            .broker_config("maxHashSlotNum", 5_000_000)
            .broker_config("maxIndexNum", 20_000_000)
            .start()
            .await
            .map_err(|e| e.to_string())?;
        let addr = cluster.broker_addr(0).to_owned();
        let began = Instant::now();
        let acked = fill(&addr, &args).await?;
        let fill_s = began.elapsed().as_secs_f64();
        let store = cluster.broker(0).store_dir().join("commitlog");
        let cl_bytes: u64 = std::fs::read_dir(&store)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        cluster.broker_mut(0).kill();
        let exec = Instant::now();
        let probe = tokio::spawn(first_send(addr.clone(), args.size));
        cluster
            .broker_mut(0)
            .restart()
            .await
            .map_err(|e| e.to_string())?;
        let boot = exec.elapsed().as_secs_f64();
        let send = probe
            .await
            .map_err(|e| e.to_string())?
            .map(|t| (t - exec).as_secs_f64());
        let log = cluster.broker(0).log();
        let recovered = log
            .lines()
            .rfind(|l| l.contains("CommitLog recovered"))
            .unwrap_or("(no recovery line)");
        let (distinct, dup, corrupt) = check(&addr, &args).await?;
        println!(
            "run {run}: {acked} of {} acknowledged in {fill_s:.1} s, CommitLog files {:.2} GB; \
             boot line {:.3} s, first send {}; missing {} duplicates {dup} corrupt {corrupt}",
            args.count,
            cl_bytes as f64 / 1e9,
            boot,
            send.map_or("none".into(), |s| format!("{s:.3} s")),
            acked.saturating_sub(distinct),
        );
        println!("  {}", recovered.trim());
        boots.push(boot);
        sends.extend(send);
        cluster.shutdown().await;
    }
    println!(
        "median of {}: boot line {:.3} s, first send {:.3} s",
        args.runs,
        median(&mut boots),
        if sends.is_empty() {
            f64::NAN
        } else {
            median(&mut sends)
        }
    );
    Ok(())
}
