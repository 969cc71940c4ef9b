//! `mqbench consumer`: consumes a topic with the push consumer, verifies
//! every benchmark body ([`BenchPayload`]) and reports what arrived:
//! received, missing, duplicated and corrupted messages, throughput and the
//! end-to-end latency from each body's send time.
//!
//! A new group starts at the first offset, so a stored backlog is drained.
//! The run ends when `--expect` distinct messages have arrived, when
//! `--duration` is over, or (with `--expect`) when nothing arrived for
//! `--idle` seconds. Missing = `--expect` minus the distinct messages
//! received; without `--expect`, the gaps below the highest sequence seen
//! of each producing run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Serialize;

use super::payload::{now_us, BenchPayload, PayloadError};
use super::producer::namesrv_or_default;
use super::stats::{cpu_times, round3, Counters, Latencies, Progress};
use crate::consumer::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeFromWhere, DefaultMQPushConsumer,
    PushConsumerConfig,
};
use crate::error::ClientError;
use crate::message::MessageExt;

/// Flags of `mqbench consumer`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsumerArgs {
    /// NameServer address(es), `host:port[;host:port]` (default:
    /// `NAMESRV_ADDR`, else 127.0.0.1:9876).
    #[arg(short = 'n', long = "namesrv")]
    pub namesrv: Option<String>,
    /// Topic to consume.
    #[arg(short = 't', long, default_value = "BenchmarkTest")]
    pub topic: String,
    /// Consumer group (a new group starts at the first offset).
    #[arg(short = 'g', long, default_value = "mqbench_consumer")]
    pub group: String,
    /// Tag expression to subscribe with.
    #[arg(long, default_value = "*")]
    pub tags: String,
    /// Stop after this many seconds (default 10 without --expect).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Distinct messages expected; the run ends when they arrived and fails
    /// if any is missing.
    #[arg(long)]
    pub expect: Option<u64>,
    /// With --expect: give up after this many seconds without a message.
    #[arg(long, default_value_t = 30.0)]
    pub idle: f64,
    /// Only count messages of this producer run id (hex, as the producer
    /// prints it); others are ignored.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Most listener calls at once (consumeThreadMax).
    #[arg(long, default_value_t = 20)]
    pub threads: usize,
    /// Messages per listener call (consumeMessageBatchMaxSize).
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Messages per pull (pullBatchSize).
    #[arg(long, default_value_t = 32)]
    pub pull_batch: i32,
    /// Print the summary as one JSON line.
    #[arg(long)]
    pub json: bool,
    /// No live progress line.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

impl Default for ConsumerArgs {
    fn default() -> Self {
        ConsumerArgs {
            namesrv: None,
            topic: "BenchmarkTest".into(),
            group: "mqbench_consumer".into(),
            tags: "*".into(),
            duration: None,
            expect: None,
            idle: 30.0,
            run_id: None,
            threads: 20,
            batch: 32,
            pull_batch: 32,
            json: false,
            quiet: false,
        }
    }
}

/// The outcome of a consumer run (also the `--json` line).
#[derive(Debug, Clone, Serialize)]
pub struct ConsumerSummary {
    /// Always "consumer".
    pub bench: &'static str,
    /// Topic.
    pub topic: String,
    /// Group.
    pub group: String,
    /// Deliveries of benchmark messages (duplicates included).
    pub received: u64,
    /// Distinct messages.
    pub distinct: u64,
    /// Messages that never arrived (see the module docs).
    pub missing: u64,
    /// Deliveries of a message already received.
    pub duplicates: u64,
    /// Benchmark bodies whose checksum or length is wrong.
    pub corrupt: u64,
    /// Messages that are not benchmark bodies (or of another run).
    pub foreign: u64,
    /// Producer runs seen.
    pub runs: usize,
    /// From the first to the last delivery, s.
    pub elapsed_s: f64,
    /// Deliveries per second over `elapsed_s`.
    pub msgs_per_s: f64,
    /// Payload MiB per second over `elapsed_s`.
    pub mb_per_s: f64,
    /// End-to-end latency (send time in the body to delivery), ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
    /// Largest, ms.
    pub max_ms: f64,
    /// mqbench's CPU (user + sys) per delivery, µs.
    pub cpu_us_per_msg: f64,
    /// Whether the run passed: no corruption, and nothing missing when
    /// `--expect` was given.
    pub ok: bool,
}

impl ConsumerSummary {
    /// The human-readable summary.
    pub fn print_human(&self) {
        println!(
            "consumer | topic {} | group {} | runs {}",
            self.topic, self.group, self.runs
        );
        println!(
            "received {} (distinct {}) missing {} duplicates {} corrupt {} foreign {}",
            self.received, self.distinct, self.missing, self.duplicates, self.corrupt, self.foreign
        );
        println!(
            "{:.2} s: {:.0} msgs/s, {:.2} MB/s, mqbench cpu {:.2} us/msg",
            self.elapsed_s, self.msgs_per_s, self.mb_per_s, self.cpu_us_per_msg
        );
        println!(
            "end-to-end ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
            self.p50_ms, self.p90_ms, self.p99_ms, self.p999_ms, self.max_ms
        );
        println!("{}", if self.ok { "OK" } else { "FAILED" });
    }
}

/// What arrived of one producer run.
#[derive(Debug, Default)]
struct RunSeen {
    bits: Vec<u64>,
    distinct: u64,
    max_seq: Option<u64>,
    received: u64,
    duplicates: u64,
    bytes: u64,
    latency: Latencies,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl RunSeen {
    /// Marks `seq`; false when it was already seen.
    fn mark(&mut self, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        let fresh = self.bits[word] & (1 << bit) == 0;
        self.bits[word] |= 1 << bit;
        if fresh {
            self.distinct += 1;
            self.max_seq = Some(self.max_seq.map_or(seq, |m| m.max(seq)));
        }
        fresh
    }

    fn gaps(&self) -> u64 {
        self.max_seq.map_or(0, |m| m + 1 - self.distinct)
    }
}

/// What a benchmark consumer has seen, per producer run; shared by the
/// listener calls.
#[derive(Debug)]
pub struct Tracker {
    only_run: Option<u64>,
    counters: Arc<Counters>,
    inner: Mutex<TrackerInner>,
}

#[derive(Debug, Default)]
struct TrackerInner {
    runs: HashMap<u64, RunSeen>,
    corrupt: u64,
    foreign: u64,
    last: Option<Instant>,
}

impl Tracker {
    /// A tracker counting only run `only_run` (all runs with `None`).
    pub fn new(only_run: Option<u64>) -> Self {
        Tracker {
            only_run,
            counters: Arc::new(Counters::default()),
            inner: Mutex::new(TrackerInner::default()),
        }
    }

    /// The live counters (msgs = deliveries, failed = corrupt).
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// Verifies and records a batch of deliveries.
    pub fn record(&self, msgs: &[MessageExt]) {
        let now = now_us();
        let checked: Vec<(usize, Result<BenchPayload, PayloadError>)> = msgs
            .iter()
            .map(|m| (m.body.len(), BenchPayload::verify(&m.body)))
            .collect();
        let mut t = self.inner.lock();
        let at = Instant::now();
        t.last = Some(at);
        let (mut ok, mut ok_bytes, mut bad) = (0u64, 0u64, 0u64);
        for (len, c) in checked {
            match c {
                Ok(p) if self.only_run.is_none_or(|r| r == p.run_id) => {
                    ok += 1;
                    ok_bytes += len as u64;
                    let run = t.runs.entry(p.run_id).or_default();
                    run.first.get_or_insert(at);
                    run.last = Some(at);
                    run.received += 1;
                    run.bytes += len as u64;
                    if !run.mark(p.seq) {
                        run.duplicates += 1;
                    }
                    run.latency.record_us((now - p.sent_at_us).max(1) as u64);
                }
                Ok(_) | Err(PayloadError::BadMagic(_)) | Err(PayloadError::TooShort(_)) => {
                    t.foreign += 1;
                }
                Err(_) => {
                    bad += 1;
                    t.corrupt += 1;
                }
            }
        }
        drop(t);
        self.counters.ok(ok, ok_bytes);
        if bad > 0 {
            self.counters.fail(bad);
        }
    }

    /// Distinct messages seen so far (of `run`, or of all runs).
    pub fn distinct(&self, run: Option<u64>) -> u64 {
        let t = self.inner.lock();
        t.runs
            .iter()
            .filter(|(id, _)| run.is_none_or(|r| r == **id))
            .map(|(_, r)| r.distinct)
            .sum()
    }

    /// When the last delivery arrived.
    pub fn last_delivery(&self) -> Option<Instant> {
        self.inner.lock().last
    }

    /// The summary of what was seen of `run` (or of every run). `expect`
    /// is the number of distinct messages that should have arrived.
    pub fn summary(
        &self,
        run: Option<u64>,
        topic: &str,
        group: &str,
        expect: Option<u64>,
        cpu_s: f64,
    ) -> ConsumerSummary {
        let t = self.inner.lock();
        let runs: Vec<&RunSeen> = t
            .runs
            .iter()
            .filter(|(id, _)| run.is_none_or(|r| r == **id))
            .map(|(_, r)| r)
            .collect();
        let distinct: u64 = runs.iter().map(|r| r.distinct).sum();
        let received: u64 = runs.iter().map(|r| r.received).sum();
        let bytes: u64 = runs.iter().map(|r| r.bytes).sum();
        let missing = match expect {
            Some(e) => e.saturating_sub(distinct),
            None => runs.iter().map(|r| r.gaps()).sum(),
        };
        let mut latency = Latencies::new();
        for r in &runs {
            latency.merge(&r.latency);
        }
        let first = runs.iter().filter_map(|r| r.first).min();
        let last = runs.iter().filter_map(|r| r.last).max();
        let elapsed = match (first, last) {
            (Some(a), Some(b)) => (b - a).as_secs_f64(),
            _ => 0.0,
        }
        .max(1e-6);
        let ok = t.corrupt == 0 && (expect.is_none() || missing == 0);
        ConsumerSummary {
            bench: "consumer",
            topic: topic.to_owned(),
            group: group.to_owned(),
            received,
            distinct,
            missing,
            duplicates: runs.iter().map(|r| r.duplicates).sum(),
            corrupt: t.corrupt,
            foreign: t.foreign,
            runs: runs.len(),
            elapsed_s: round3(elapsed),
            msgs_per_s: round3(received as f64 / elapsed),
            mb_per_s: round3(bytes as f64 / elapsed / 1_048_576.0),
            p50_ms: round3(latency.quantile_ms(0.5)),
            p90_ms: round3(latency.quantile_ms(0.9)),
            p99_ms: round3(latency.quantile_ms(0.99)),
            p999_ms: round3(latency.quantile_ms(0.999)),
            max_ms: round3(latency.max_ms()),
            cpu_us_per_msg: if received > 0 {
                round3(cpu_s * 1e6 / received as f64)
            } else {
                0.0
            },
            ok,
        }
    }
}

/// Parses a run id as the producer prints it (16 hex digits).
pub fn parse_run_id(s: &str) -> Result<u64, ClientError> {
    u64::from_str_radix(s.trim().trim_start_matches("0x"), 16)
        .map_err(|_| ClientError::IllegalArgument(format!("run id '{s}' is not hex")))
}

/// Starts a push consumer that feeds `tracker`.
pub async fn start_consumer(
    namesrv: &str,
    args: &ConsumerArgs,
    from: ConsumeFromWhere,
    tracker: Arc<Tracker>,
) -> Result<DefaultMQPushConsumer, ClientError> {
    let mut cfg = PushConsumerConfig::new(args.group.clone());
    cfg.client.namesrv_addr = Some(namesrv.to_owned());
    cfg.consume_from_where = from;
    cfg.consume_thread_max = args.threads.max(1);
    cfg.consume_thread_min = cfg.consume_thread_max;
    cfg.consume_message_batch_max_size = args.batch.max(1);
    cfg.pull_batch_size = args.pull_batch.max(1);
    let consumer = DefaultMQPushConsumer::with_config(cfg);
    consumer.subscribe(&args.topic, &args.tags)?;
    consumer.register_message_listener_concurrently(
        move |msgs: &[MessageExt], _ctx: &mut ConsumeConcurrentlyContext| {
            tracker.record(msgs);
            ConsumeConcurrentlyStatus::ConsumeSuccess
        },
    );
    consumer.start().await?;
    Ok(consumer)
}

/// Runs `mqbench consumer`.
pub async fn run(args: ConsumerArgs) -> Result<ConsumerSummary, ClientError> {
    let namesrv = namesrv_or_default(&args.namesrv);
    let only_run = args.run_id.as_deref().map(parse_run_id).transpose()?;
    let tracker = Arc::new(Tracker::new(only_run));
    let progress = Progress::start("consumer", tracker.counters(), args.quiet);
    let (u0, s0) = cpu_times();
    let consumer = start_consumer(
        &namesrv,
        &args,
        ConsumeFromWhere::ConsumeFromFirstOffset,
        tracker.clone(),
    )
    .await?;
    let stop = Arc::new(AtomicBool::new(false));
    let ctrl_c = {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::Relaxed);
            }
        })
    };
    let started = Instant::now();
    let duration = match (args.duration, args.expect) {
        (Some(d), _) => Some(Duration::from_secs_f64(d.max(0.0))),
        (None, None) => Some(Duration::from_secs(10)),
        (None, Some(_)) => None,
    };
    let idle = Duration::from_secs_f64(args.idle.max(0.1));
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        if let Some(e) = args.expect {
            if tracker.distinct(None) >= e {
                break;
            }
            let last = tracker.last_delivery().unwrap_or(started);
            if last.elapsed() >= idle {
                break;
            }
        }
    }
    let (u1, s1) = cpu_times();
    consumer.shutdown().await;
    ctrl_c.abort();
    progress.finish();
    Ok(tracker.summary(
        None,
        &args.topic,
        &args.group,
        args.expect,
        (u1 - u0) + (s1 - s0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::payload::PayloadEncoder;
    use crate::consumer::test_util::msg;

    fn bench_msg(run: u64, seq: u64) -> MessageExt {
        let mut m = msg(seq as i64, 0);
        m.body = PayloadEncoder::new(100).encode(&BenchPayload {
            run_id: run,
            seq,
            sent_at_us: now_us() - 1000,
        });
        m
    }

    #[test]
    fn counts_missing_duplicates_and_corrupt() {
        let t = Tracker::new(None);
        let mut batch: Vec<MessageExt> = [0, 1, 2, 4, 2].iter().map(|s| bench_msg(7, *s)).collect();
        let mut bad = bench_msg(7, 5);
        let mut body = bad.body.to_vec();
        body[60] ^= 0xff;
        bad.body = body.into();
        batch.push(bad);
        let mut foreign = msg(9, 10);
        foreign.body = bytes::Bytes::from_static(b"hello world, not a benchmark body at all");
        batch.push(foreign);
        t.record(&batch);
        let s = t.summary(None, "T", "G", None, 0.0);
        assert_eq!((s.received, s.distinct, s.duplicates), (5, 4, 1));
        assert_eq!(
            (s.missing, s.corrupt, s.foreign),
            (1, 1, 1),
            "seq 3 missing"
        );
        assert!(!s.ok, "corruption fails the run");
        assert!(s.p50_ms >= 1.0);

        let t = Tracker::new(Some(7));
        t.record(&[bench_msg(7, 0), bench_msg(8, 0)]);
        let s = t.summary(None, "T", "G", Some(2), 0.0);
        assert_eq!((s.distinct, s.missing, s.foreign, s.ok), (1, 1, 1, false));
        assert_eq!(parse_run_id("000000000000000a").unwrap(), 10);
        assert!(parse_run_id("xyz").is_err());
    }
}
