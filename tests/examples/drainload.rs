//! A consumer drain of a stored backlog on the protocol crate alone, for
//! measuring a broker's pull path.
//!
//! ```text
//! cargo run --release -p rmq-tests --example drainload -- \
//!     --addr 127.0.0.1:10911 [--fill 500000] [--queues 8] [--size 1024] \
//!     [--batch 32] [--conns 1] [--topic Drain-<pid>] [--pid <broker pid>]
//! ```
//!
//! First stores `--fill` messages of `--size` bytes spread over `--queues`
//! queues of a fresh topic (SEND_MESSAGE_V2, 64 in flight), waits until the
//! broker reports them all in its consume queues, then drains every queue
//! from offset 0 with PULL_MESSAGE (`--batch` messages per pull, one pull in
//! flight per queue, over `--conns` connections) and prints the drain rate.
//! Every returned record is walked (its TOTALSIZE and magic checked) and
//! counted. With `--pid` it also prints the broker's CPU time per drained
//! message (utime + stime from `/proc/<pid>/stat`), and its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use protocol::code::{request, response};
use protocol::header::{
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, PullMessageRequestHeader,
    PullMessageResponseHeader, SendMessageRequestHeader, PULL_FLAG_SUBSCRIPTION,
};
use protocol::message::properties::{encode_properties, TAGS, WAIT};
use protocol::message::record::{MAGIC_V1, MAGIC_V2};
use protocol::net::{ClientConfig, Connection};
use protocol::RemotingCommand;

#[derive(Debug, Clone)]
struct Args {
    addr: String,
    fill: u64,
    queues: i32,
    size: usize,
    batch: i32,
    conns: usize,
    topic: String,
    pid: Option<u32>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:10911".into(),
        fill: 500_000,
        queues: 8,
        size: 1024,
        batch: 32,
        conns: 1,
        topic: format!("Drain-{}", std::process::id()),
        pid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--addr" => a.addr = val()?,
            "--fill" => a.fill = num(val()?)?,
            "--queues" => a.queues = num(val()?)?.max(1) as i32,
            "--size" => a.size = num(val()?)? as usize,
            "--batch" => a.batch = num(val()?)?.max(1) as i32,
            "--conns" => a.conns = num(val()?)?.max(1) as usize,
            "--topic" => a.topic = val()?,
            "--pid" => a.pid = Some(num(val()?)? as u32),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

/// utime + stime of `/proc/<which>/stat` in clock ticks.
fn cpu_ticks(which: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{which}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn tick_us() -> f64 {
    let hz = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(100);
    1_000_000.0 / hz as f64
}

fn send_request(a: &Args, queue_id: i32, body: &Bytes) -> RemotingCommand {
    let props = encode_properties([(TAGS, "drain"), (WAIT, "false")]);
    let header = SendMessageRequestHeader {
        producer_group: "drainload".into(),
        topic: a.topic.clone(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: a.queues,
        queue_id,
        properties: Some(props),
        ..Default::default()
    };
    let mut cmd = RemotingCommand::new_request(request::SEND_MESSAGE_V2);
    header.write_for_code(request::SEND_MESSAGE_V2, &mut cmd.ext_fields);
    cmd.with_body(body.clone())
}

/// Stores `a.fill` messages, 64 in flight.
async fn fill(a: &Arc<Args>, conn: &Arc<Connection>) -> Result<(), String> {
    let body = Bytes::from(vec![b'd'; a.size]);
    // The first send creates the topic.
    let r = conn
        .invoke(send_request(a, 0, &body), Duration::from_secs(10))
        .await
        .map_err(|e| e.to_string())?;
    if r.code != response::SUCCESS {
        return Err(format!("first send: code {} {}", r.code, r.remark_str()));
    }
    let next = Arc::new(AtomicU64::new(1));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (a, conn, body, next) = (a.clone(), conn.clone(), body.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= a.fill {
                    return Ok::<(), String>(());
                }
                let q = (i % a.queues as u64) as i32;
                let r = conn
                    .invoke(send_request(&a, q, &body), Duration::from_secs(10))
                    .await
                    .map_err(|e| e.to_string())?;
                if r.code != response::SUCCESS {
                    return Err(format!("send: code {} {}", r.code, r.remark_str()));
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

async fn max_offset(a: &Args, conn: &Connection, queue_id: i32) -> Result<i64, String> {
    let h = GetMaxOffsetRequestHeader {
        topic: a.topic.clone(),
        queue_id,
        ..Default::default()
    };
    let r = conn
        .invoke(
            RemotingCommand::request(request::GET_MAX_OFFSET, &h),
            Duration::from_secs(5),
        )
        .await
        .map_err(|e| e.to_string())?;
    let h: GetMaxOffsetResponseHeader = r.header().map_err(|e| e.to_string())?;
    Ok(h.offset)
}

/// Records in a pull body: walks TOTALSIZE and checks each record's magic.
fn count_records(body: &[u8]) -> Result<u64, String> {
    let (mut pos, mut n) = (0usize, 0u64);
    while pos < body.len() {
        let word = |at: usize| {
            body.get(at..at + 4)
                .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        let size = word(pos).ok_or("torn record")?;
        let magic = word(pos + 4).ok_or("torn record")?;
        if size < 8 || (magic != MAGIC_V1 && magic != MAGIC_V2) {
            return Err(format!("bad record at {pos}: size {size} magic {magic:x}"));
        }
        pos += size as usize;
        n += 1;
    }
    if pos != body.len() {
        return Err("record runs past the body".into());
    }
    Ok(n)
}

/// Pulls one queue from 0 to `end`; returns the messages received.
async fn drain_queue(a: Arc<Args>, conn: Arc<Connection>, q: i32, end: i64) -> Result<u64, String> {
    let (mut offset, mut got) = (0i64, 0u64);
    while offset < end {
        let h = PullMessageRequestHeader {
            consumer_group: "drainload".into(),
            topic: a.topic.clone(),
            queue_id: q,
            queue_offset: offset,
            max_msg_nums: a.batch,
            sys_flag: PULL_FLAG_SUBSCRIPTION,
            subscription: Some("*".into()),
            expression_type: Some("TAG".into()),
            ..Default::default()
        };
        let r = conn
            .invoke(
                RemotingCommand::request(request::PULL_MESSAGE, &h),
                Duration::from_secs(10),
            )
            .await
            .map_err(|e| e.to_string())?;
        if r.code != response::SUCCESS {
            return Err(format!(
                "pull q{q}@{offset}: code {} {}",
                r.code,
                r.remark_str()
            ));
        }
        let rh: PullMessageResponseHeader = r.header().map_err(|e| e.to_string())?;
        let n = count_records(&r.body)?;
        if n as i64 != rh.next_begin_offset - offset {
            return Err(format!(
                "pull q{q}@{offset}: {n} records for next offset {}",
                rh.next_begin_offset
            ));
        }
        got += n;
        offset = rh.next_begin_offset;
    }
    Ok(got)
}

async fn run(a: Arc<Args>) -> Result<(), String> {
    let mut conns = Vec::new();
    for _ in 0..a.conns {
        conns.push(
            Connection::connect(&a.addr, &ClientConfig::default(), None)
                .await
                .map_err(|e| format!("connect {}: {e}", a.addr))?,
        );
    }
    let began = Instant::now();
    fill(&a, &conns[0]).await?;
    println!(
        "stored {} msgs of {} B in {:.1} s",
        a.fill,
        a.size,
        began.elapsed().as_secs_f64()
    );
    let mut ends = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        ends.clear();
        for q in 0..a.queues {
            ends.push(max_offset(&a, &conns[0], q).await?);
        }
        if ends.iter().sum::<i64>() as u64 >= a.fill || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total: i64 = ends.iter().sum();
    let broker_before = a.pid.and_then(|p| cpu_ticks(&p.to_string()));
    let self_before = cpu_ticks("self");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (q, end) in ends.iter().enumerate() {
        let conn = conns[q % conns.len()].clone();
        tasks.push(tokio::spawn(drain_queue(a.clone(), conn, q as i32, *end)));
    }
    let mut got = 0;
    for t in tasks {
        got += t.await.map_err(|e| e.to_string())??;
    }
    let secs = started.elapsed().as_secs_f64();
    let broker_after = a.pid.and_then(|p| cpu_ticks(&p.to_string()));
    let self_after = cpu_ticks("self");
    println!(
        "drained {got} of {total} msgs over {} queues, {} per pull, {} conns in {secs:.2} s: {:.0} msg/s, {:.1} MiB/s",
        a.queues,
        a.batch,
        a.conns,
        got as f64 / secs,
        got as f64 * a.size as f64 / secs / (1024.0 * 1024.0)
    );
    let per_msg = |b: Option<u64>, e: Option<u64>| {
        b.zip(e)
            .map(|(b, e)| (e - b) as f64 * tick_us() / got.max(1) as f64)
    };
    if let Some(us) = per_msg(broker_before, broker_after) {
        println!("broker cpu: {us:.2} us per message");
    }
    if let Some(us) = per_msg(self_before, self_after) {
        println!("drainload cpu: {us:.2} us per message");
    }
    if got as i64 != total {
        return Err(format!("drained {got}, expected {total}"));
    }
    Ok(())
}

fn main() {
    let a = match parse_args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("drainload: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(run(a)) {
        eprintln!("drainload: {e}");
        std::process::exit(1);
    }
}
