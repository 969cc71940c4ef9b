//! `mqbench e2e`: a producer and a consumer at once, measuring the
//! end-to-end latency of each message (the send time written in its body
//! to its delivery to the listener) besides both sides' throughput.
//!
//! The consumer joins a fresh group and catches up with whatever the topic
//! already holds before the producer starts; it counts only the messages
//! of this run. The run ends when every message sent has arrived or
//! nothing arrived for `--idle` seconds after the producer stopped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::consumer::{parse_run_id, start_consumer, ConsumerArgs, ConsumerSummary, Tracker};
use super::producer::{self, namesrv_or_default, ProducerArgs, ProducerSummary, SendMode};
use super::stats::{cpu_times, round3};
use crate::consumer::ConsumeFromWhere;
use crate::error::ClientError;

/// Flags of `mqbench e2e`.
#[derive(Debug, Clone, clap::Args)]
pub struct E2eArgs {
    /// NameServer address(es) (default: `NAMESRV_ADDR`, else 127.0.0.1:9876).
    #[arg(short = 'n', long = "namesrv")]
    pub namesrv: Option<String>,
    /// Topic.
    #[arg(short = 't', long, default_value = "BenchmarkE2E")]
    pub topic: String,
    /// Consumer group (default: a fresh one per run).
    #[arg(short = 'g', long)]
    pub group: Option<String>,
    /// Message body size in bytes.
    #[arg(short = 's', long = "size", default_value_t = 1024)]
    pub size: usize,
    /// Sends in flight at once.
    #[arg(short = 'w', long = "inflight", default_value_t = 64)]
    pub inflight: usize,
    /// Send for this many seconds (default 10 without --count).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Send this many messages.
    #[arg(long)]
    pub count: Option<u64>,
    /// Send mode.
    #[arg(long, value_enum, default_value_t = SendMode::Async)]
    pub mode: SendMode,
    /// Queues per broker when creating the topic.
    #[arg(long, default_value_t = 8)]
    pub queues: i32,
    /// Create (or update) the topic on every master first.
    #[arg(long)]
    pub create_topic: bool,
    /// Give up waiting for deliveries after this many quiet seconds.
    #[arg(long, default_value_t = 10.0)]
    pub idle: f64,
    /// Most listener calls at once.
    #[arg(long, default_value_t = 20)]
    pub threads: usize,
    /// Print the summary as one JSON line.
    #[arg(long)]
    pub json: bool,
    /// No live progress line.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// The outcome of an e2e run (also the `--json` line).
#[derive(Debug, Clone, Serialize)]
pub struct E2eSummary {
    /// Always "e2e".
    pub bench: &'static str,
    /// Messages acknowledged by the broker.
    pub sent: u64,
    /// Sends that failed.
    pub failed: u64,
    /// Deliveries of this run's messages.
    pub received: u64,
    /// Sent but never delivered.
    pub missing: u64,
    /// Delivered more than once.
    pub duplicates: u64,
    /// Corrupted on the way.
    pub corrupt: u64,
    /// Producer throughput, msgs/s.
    pub msgs_per_s: f64,
    /// Consumer throughput, msgs/s.
    pub consume_msgs_per_s: f64,
    /// Producer payload throughput, MiB/s.
    pub mb_per_s: f64,
    /// End-to-end latency, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
    /// Largest, ms.
    pub max_ms: f64,
    /// Send (acknowledgement) latency p99, ms.
    pub send_p99_ms: f64,
    /// No corruption and nothing missing.
    pub ok: bool,
    /// The producer's own summary.
    pub producer: ProducerSummary,
    /// The consumer's own summary.
    pub consumer: ConsumerSummary,
}

impl E2eSummary {
    /// The human-readable summary.
    pub fn print_human(&self) {
        println!(
            "e2e | sent {} failed {} | received {} missing {} duplicates {} corrupt {}",
            self.sent, self.failed, self.received, self.missing, self.duplicates, self.corrupt
        );
        println!(
            "produce {:.0} msgs/s ({:.2} MB/s), consume {:.0} msgs/s",
            self.msgs_per_s, self.mb_per_s, self.consume_msgs_per_s
        );
        println!(
            "end-to-end ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  (send p99 {:.3})",
            self.p50_ms, self.p90_ms, self.p99_ms, self.p999_ms, self.max_ms, self.send_p99_ms
        );
        println!("{}", if self.ok { "OK" } else { "FAILED" });
    }
}

/// Runs `mqbench e2e`.
pub async fn run(args: E2eArgs) -> Result<E2eSummary, ClientError> {
    let namesrv = namesrv_or_default(&args.namesrv);
    if args.create_topic {
        producer::create_topic(&namesrv, &args.topic, args.queues, None).await?;
    }
    let run_tag = format!("{:08x}", rand::random::<u32>());
    let group = args
        .group
        .clone()
        .unwrap_or_else(|| format!("mqbench_e2e_{run_tag}"));
    let cargs = ConsumerArgs {
        namesrv: Some(namesrv.clone()),
        topic: args.topic.clone(),
        group: group.clone(),
        threads: args.threads,
        quiet: true,
        ..ConsumerArgs::default()
    };
    // Count every run first; the producer's run id is known only at the end.
    let tracker = Arc::new(Tracker::new(None));
    let consumer = start_consumer(
        &namesrv,
        &cargs,
        ConsumeFromWhere::ConsumeFromLastOffset,
        tracker.clone(),
    )
    .await?;
    // Wait (bounded) until the consumer holds queues of the topic, so the
    // first messages are not sent before anyone pulls, and until it has
    // caught up: a broker may start a new group at offset 0 when the
    // topic's first message is still in memory (Java's behaviour), and an
    // old backlog must not count as latency.
    let ready = Instant::now();
    while ready.elapsed() < Duration::from_secs(10)
        && !consumer
            .assigned_queues()
            .iter()
            .any(|q| q.topic == args.topic)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let quiet = Duration::from_millis(300);
    let catch_up = Instant::now();
    while catch_up.elapsed() < Duration::from_secs(120) {
        let last = tracker.last_delivery().unwrap_or(ready).max(ready);
        if last.elapsed() >= quiet {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let pargs = ProducerArgs {
        namesrv: Some(namesrv.clone()),
        topic: args.topic.clone(),
        size: args.size,
        inflight: args.inflight,
        duration: args.duration,
        count: args.count,
        mode: args.mode,
        batch: 1,
        queues: args.queues,
        create_topic: false,
        cluster: None,
        group: format!("mqbench_e2e_producer_{run_tag}"),
        tags: None,
        timeout_ms: 3000,
        json: false,
        quiet: args.quiet,
    };
    let (u0, s0) = cpu_times();
    let psum = producer::run(pargs).await?;
    let run_id = parse_run_id(&psum.run_id)?;
    // Wait for the tail of this run.
    let idle = Duration::from_secs_f64(args.idle.max(0.1));
    let waiting = Instant::now();
    loop {
        if tracker.distinct(Some(run_id)) >= psum.sent {
            break;
        }
        let last = tracker.last_delivery().unwrap_or(waiting).max(waiting);
        if last.elapsed() >= idle {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (u1, s1) = cpu_times();
    consumer.shutdown().await;
    let csum = tracker.summary(
        Some(run_id),
        &args.topic,
        &group,
        Some(psum.sent),
        (u1 - u0) + (s1 - s0),
    );
    let ok = csum.ok && psum.failed == 0;
    Ok(E2eSummary {
        bench: "e2e",
        sent: psum.sent,
        failed: psum.failed,
        received: csum.received,
        missing: csum.missing,
        duplicates: csum.duplicates,
        corrupt: csum.corrupt,
        msgs_per_s: psum.msgs_per_s,
        consume_msgs_per_s: csum.msgs_per_s,
        mb_per_s: psum.mb_per_s,
        p50_ms: csum.p50_ms,
        p90_ms: csum.p90_ms,
        p99_ms: csum.p99_ms,
        p999_ms: csum.p999_ms,
        max_ms: csum.max_ms,
        send_p99_ms: round3(psum.p99_ms),
        ok,
        producer: psum,
        consumer: csum,
    })
}
