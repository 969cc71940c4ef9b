//! Durability under SIGKILL: a child process (this test binary, re-executed
//! with an env var) appends and prints every acknowledged append; the parent
//! kills it at a random moment, reopens the store (crash recovery from the
//! checkpoint the child's flushers wrote) and checks every acknowledged
//! message is there. Under SYNC_FLUSH acknowledged means flushed; under
//! ASYNC_FLUSH it means appended, which a process kill (not a machine
//! crash) does not lose either: the page cache keeps it.

mod common;

use common::{msg, small_config};
use protocol::message::decode_message;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{FlushDiskType, GetMessageStatus, MessageStore, PutStatus};

const ENV: &str = "RMQ_STORE_KILL_CHILD_DIR";
const ENV_FLUSH: &str = "RMQ_STORE_KILL_CHILD_FLUSH";
const THREADS: u64 = 4;

/// The store config of parent and child.
fn config(dir: &std::path::Path, flush: FlushDiskType) -> store::StoreConfig {
    let mut cfg = small_config(dir, flush);
    cfg.mapped_file_size_commit_log = match flush {
        FlushDiskType::Sync => 64 * 1024,
        FlushDiskType::Async => 1024 * 1024,
    };
    cfg
}

/// The child's body; a no-op in a normal test run.
#[test]
fn kill_child_entry() {
    let Ok(dir) = std::env::var(ENV) else { return };
    let flush = match std::env::var(ENV_FLUSH).as_deref() {
        Ok("ASYNC_FLUSH") => FlushDiskType::Async,
        _ => FlushDiskType::Sync,
    };
    let store = MessageStore::open(config(dir.as_ref(), flush)).unwrap();
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            let out = Arc::clone(&out);
            std::thread::spawn(move || {
                for i in 0u64.. {
                    let seed = t * 1_000_000_000 + i;
                    let r = store
                        .put_message(&msg(
                            "K",
                            t as i32,
                            seed,
                            200 + (i % 7) as usize * 100,
                            None,
                        ))
                        .wait();
                    if r.status == PutStatus::Ok {
                        let mut o = out.lock().unwrap();
                        let _ = writeln!(o, "ACK {t} {} {seed}", r.queue_offset);
                        let _ = o.flush();
                    }
                    // ASYNC appends return at once: pace them (a few MB/s).
                    if flush == FlushDiskType::Async && i % 4 == 3 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}

fn run_child_and_kill(
    dir: &std::path::Path,
    flush: FlushDiskType,
    after: Duration,
) -> Vec<(i32, i64, u64)> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "kill_child_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV, dir)
        .env(ENV_FLUSH, flush.as_str())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let acks = Arc::new(Mutex::new(Vec::new()));
    let a2 = Arc::clone(&acks);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let p: Vec<&str> = line.split_whitespace().collect();
            if p.len() == 4 && p[0] == "ACK" {
                a2.lock().unwrap().push((
                    p[1].parse().unwrap(),
                    p[2].parse().unwrap(),
                    p[3].parse().unwrap(),
                ));
            }
        }
    });
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    let v = acks.lock().unwrap().clone();
    v
}

#[test]
fn sync_flush_acknowledged_appends_survive_sigkill() {
    acknowledged_appends_survive_sigkill(FlushDiskType::Sync);
}

#[test]
fn async_flush_acknowledged_appends_survive_sigkill() {
    acknowledged_appends_survive_sigkill(FlushDiskType::Async);
}

fn acknowledged_appends_survive_sigkill(flush: FlushDiskType) {
    let dir = tempfile::tempdir().unwrap();
    let mut expected: HashMap<(i32, i64), u64> = HashMap::new();
    let delays = [300u64, 550, 800];
    for (round, d) in delays.iter().enumerate() {
        let jitter = (std::process::id() as u64 * 7 + round as u64 * 131) % 200;
        let acks = run_child_and_kill(dir.path(), flush, Duration::from_millis(d + jitter));
        for (q, off, seed) in acks {
            expected.insert((q, off), seed);
        }
        let store = MessageStore::open(config(dir.path(), flush)).unwrap();
        for (&(q, off), &seed) in &expected {
            let g = store.get_message("K", q, off, 1, i32::MAX, None);
            assert_eq!(
                g.status,
                GetMessageStatus::Found,
                "round {round}: ack {q}/{off} lost"
            );
            let m = decode_message(&g.messages[0]).unwrap();
            assert_eq!(m.uniq_key().unwrap(), format!("UNIQ{seed:028}"));
        }
        for q in 0..THREADS as i32 {
            // Every entry up to the end is readable (no holes, nothing torn).
            let max = store.max_offset_in_queue("K", q);
            let mut next = 0;
            while next < max {
                let g = store.get_message("K", q, next, 32, i32::MAX, None);
                assert_eq!(
                    g.status,
                    GetMessageStatus::Found,
                    "round {round}: {q}/{next} of {max}"
                );
                next = g.next_begin_offset;
            }
        }
        store.shutdown();
    }
    eprintln!("acknowledged appends checked: {}", expected.len());
    assert!(
        expected.len() > 10,
        "child acknowledged too little: {}",
        expected.len()
    );
}
