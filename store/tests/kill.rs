//! SYNC_FLUSH durability under SIGKILL: a child process (this test binary,
//! re-executed with an env var) appends with SYNC_FLUSH and prints every
//! acknowledged append; the parent kills it at a random moment, reopens the
//! store and checks every acknowledged message is there.

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
const THREADS: u64 = 4;

/// The child's body; a no-op in a normal test run.
#[test]
fn kill_child_entry() {
    let Ok(dir) = std::env::var(ENV) else { return };
    let mut cfg = small_config(dir.as_ref(), FlushDiskType::Sync);
    cfg.mapped_file_size_commit_log = 64 * 1024;
    let store = MessageStore::open(cfg).unwrap();
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
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}

fn run_child_and_kill(dir: &std::path::Path, after: Duration) -> Vec<(i32, i64, u64)> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "kill_child_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV, dir)
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
    let dir = tempfile::tempdir().unwrap();
    let mut expected: HashMap<(i32, i64), u64> = HashMap::new();
    let delays = [300u64, 550, 800];
    for (round, d) in delays.iter().enumerate() {
        let jitter = (std::process::id() as u64 * 7 + round as u64 * 131) % 200;
        let acks = run_child_and_kill(dir.path(), Duration::from_millis(d + jitter));
        for (q, off, seed) in acks {
            expected.insert((q, off), seed);
        }
        let mut cfg = small_config(dir.path(), FlushDiskType::Sync);
        cfg.mapped_file_size_commit_log = 64 * 1024;
        let store = MessageStore::open(cfg).unwrap();
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
            let max = store.max_offset_in_queue("K", q);
            let g = store.get_message("K", q, (max - 1).max(0), 1, i32::MAX, None);
            assert!(max == 0 || g.status == GetMessageStatus::Found);
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
