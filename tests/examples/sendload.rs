//! A send load on the protocol crate alone, for measuring a broker.
//!
//! ```text
//! cargo run --release -p rmq-tests --example sendload -- \
//!     --addr 127.0.0.1:10911 [--conns 4] [--inflight 64] [--size 1024] \
//!     [--secs 10] [--topic LoadTest] [--queues 8] [--pid <broker pid>]
//! ```
//!
//! `--inflight` requests are kept outstanding in total, spread over
//! `--conns` connections (SEND_MESSAGE_V2, body of `--size` bytes). Prints
//! throughput and latency percentiles; with `--pid` also the broker's CPU
//! time per message (utime + stime from `/proc/<pid>/stat` over the
//! measured run, divided by the messages acknowledged) and its `RssAnon`
//! before and after. A 1 s warm-up precedes the measured run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use protocol::code::{request, response};
use protocol::header::SendMessageRequestHeader;
use protocol::message::properties::{encode_properties, TAGS, UNIQ_KEY, WAIT};
use protocol::net::{ClientConfig, Connection};
use protocol::RemotingCommand;

#[derive(Debug, Clone)]
struct Args {
    addr: String,
    conns: usize,
    inflight: usize,
    size: usize,
    secs: u64,
    topic: String,
    queues: i32,
    pid: Option<u32>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:10911".into(),
        conns: 4,
        inflight: 64,
        size: 1024,
        secs: 10,
        topic: "LoadTest".into(),
        queues: 8,
        pid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--addr" => a.addr = val()?,
            "--conns" => a.conns = num(val()?)? as usize,
            "--inflight" => a.inflight = num(val()?)? as usize,
            "--size" => a.size = num(val()?)? as usize,
            "--secs" => a.secs = num(val()?)?,
            "--topic" => a.topic = val()?,
            "--queues" => a.queues = num(val()?)? as i32,
            "--pid" => a.pid = Some(num(val()?)? as u32),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    a.conns = a.conns.max(1);
    a.inflight = a.inflight.max(a.conns);
    Ok(a)
}

/// utime + stime of `pid` in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the ")" that ends the command name; utime and stime are
    // fields 14 and 15 of the whole line.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// utime + stime in clock ticks per thread name of `pid` (threads of the
/// same name summed), from `/proc/<pid>/task/*/stat`.
fn thread_ticks(pid: u32) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks = f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        *out.entry(name).or_insert(0) += ticks;
    }
    out
}

/// `RssAnon` of `pid` in kB.
fn rss_anon_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn clock_ticks_per_sec() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

struct Shared {
    stop: AtomicBool,
    measuring: AtomicBool,
    sent: AtomicU64,
    errors: AtomicU64,
}

fn request_for(a: &Args, seq: u64, body: &Bytes) -> RemotingCommand {
    let uniq = format!("{:032X}", seq);
    let props = encode_properties([(TAGS, "load"), (UNIQ_KEY, uniq.as_str()), (WAIT, "true")]);
    let header = SendMessageRequestHeader {
        producer_group: "sendload".into(),
        topic: a.topic.clone(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: a.queues,
        queue_id: (seq % a.queues as u64) as i32,
        sys_flag: 0,
        born_timestamp: 0,
        flag: 0,
        properties: Some(props),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        batch: Some(false),
        ..Default::default()
    };
    let mut cmd = RemotingCommand::new_request(request::SEND_MESSAGE_V2);
    header.write_for_code(request::SEND_MESSAGE_V2, &mut cmd.ext_fields);
    cmd.with_body(body.clone())
}

async fn worker(
    a: Arc<Args>,
    conn: Arc<Connection>,
    shared: Arc<Shared>,
    id: u64,
    body: Bytes,
) -> Histogram<u64> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    let mut seq = id << 40;
    while !shared.stop.load(Ordering::Relaxed) {
        seq += 1;
        let started = Instant::now();
        let result = conn
            .invoke(request_for(&a, seq, &body), Duration::from_secs(10))
            .await;
        let micros = started.elapsed().as_micros() as u64;
        let ok = matches!(&result, Ok(r) if r.code == response::SUCCESS);
        if shared.measuring.load(Ordering::Relaxed) {
            if ok {
                shared.sent.fetch_add(1, Ordering::Relaxed);
                let _ = hist.record(micros.max(1));
            } else {
                shared.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Err(e) = &result {
            eprintln!("send failed: {e}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    hist
}

fn main() {
    let a = match parse_args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("sendload: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(a));
}

async fn run(a: Arc<Args>) {
    let body = Bytes::from(vec![b'x'; a.size]);
    let mut conns = Vec::new();
    for _ in 0..a.conns {
        match Connection::connect(&a.addr, &ClientConfig::default(), None).await {
            Ok(c) => conns.push(c),
            Err(e) => {
                eprintln!("sendload: cannot connect to {}: {e}", a.addr);
                std::process::exit(1);
            }
        }
    }
    // Create the topic first (auto-create on the first send).
    let first = conns[0]
        .invoke(request_for(&a, 0, &body), Duration::from_secs(10))
        .await;
    match first {
        Ok(r) if r.code == response::SUCCESS => {}
        other => {
            eprintln!("sendload: first send failed: {other:?}");
            std::process::exit(1);
        }
    }
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        measuring: AtomicBool::new(false),
        sent: AtomicU64::new(0),
        errors: AtomicU64::new(0),
    });
    let mut tasks = Vec::new();
    for i in 0..a.inflight {
        let conn = conns[i % conns.len()].clone();
        tasks.push(tokio::spawn(worker(
            a.clone(),
            conn,
            shared.clone(),
            i as u64 + 1,
            body.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = a.pid.and_then(rss_anon_kb);
    let cpu_before = a.pid.and_then(cpu_ticks);
    let threads_before = a.pid.map(thread_ticks);
    shared.measuring.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(a.secs)).await;
    shared.measuring.store(false, Ordering::SeqCst);
    let elapsed = started.elapsed();
    let cpu_after = a.pid.and_then(cpu_ticks);
    let threads_after = a.pid.map(thread_ticks);
    let rss_after = a.pid.and_then(rss_anon_kb);
    shared.stop.store(true, Ordering::SeqCst);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    for t in tasks {
        if let Ok(h) = t.await {
            let _ = hist.add(h);
        }
    }
    let sent = shared.sent.load(Ordering::SeqCst);
    let errors = shared.errors.load(Ordering::SeqCst);
    let secs = elapsed.as_secs_f64();
    println!(
        "sent {sent} msgs of {} B in {secs:.1} s over {} conns, {} in flight: {:.0} msg/s, {:.1} MiB/s, {errors} errors",
        a.size,
        a.conns,
        a.inflight,
        sent as f64 / secs,
        sent as f64 * a.size as f64 / secs / (1024.0 * 1024.0)
    );
    println!(
        "latency us: p50 {} p90 {} p99 {} p99.9 {} max {}",
        hist.value_at_quantile(0.50),
        hist.value_at_quantile(0.90),
        hist.value_at_quantile(0.99),
        hist.value_at_quantile(0.999),
        hist.max()
    );
    if let (Some(b), Some(e)) = (cpu_before, cpu_after) {
        let tick_us = 1_000_000.0 / clock_ticks_per_sec() as f64;
        let cpu_us = (e - b) as f64 * tick_us;
        println!(
            "broker cpu: {:.2} s over the run = {:.1} us per message ({:.0}% of one core)",
            cpu_us / 1e6,
            cpu_us / sent.max(1) as f64,
            cpu_us / 1e6 / secs * 100.0
        );
    }
    if let (Some(b), Some(e)) = (threads_before, threads_after) {
        // Per thread name: the network threads (the runtime's workers) and
        // each store service, e.g. `rmq-store-alloc`, which faults in
        // CommitLog pages ahead of the writer.
        let tick_us = 1_000_000.0 / clock_ticks_per_sec() as f64;
        let mut parts: Vec<(String, f64)> = e
            .iter()
            .map(|(name, t)| {
                let d = t.saturating_sub(b.get(name).copied().unwrap_or(0));
                (name.clone(), d as f64 * tick_us / sent.max(1) as f64)
            })
            .filter(|(_, us)| *us >= 0.01)
            .collect();
        parts.sort_by(|x, y| y.1.total_cmp(&x.1));
        let text: Vec<String> = parts.iter().map(|(n, us)| format!("{n} {us:.2}")).collect();
        println!("broker cpu by thread, us per message: {}", text.join(", "));
    }
    if let (Some(b), Some(e)) = (rss_before, rss_after) {
        println!("broker RssAnon: {b} kB before, {e} kB after");
    }
}
