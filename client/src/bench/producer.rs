//! `mqbench producer`: sends numbered, checksummed messages as fast as the
//! in-flight window allows and reports throughput and latency.
//!
//! Modes: `async` (default) keeps `-w` sends in flight from one task;
//! `sync` runs `-w` tasks that each wait for every send; `oneway` runs `-w`
//! tasks that do not wait, except that every 64th send of a task is a
//! synchronous one, so the tool cannot queue more than the broker takes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use protocol::body::route::{TopicConfig, PERM_RW};
use serde::Serialize;

use super::payload::{now_us, BenchPayload, PayloadEncoder};
use super::stats::{cpu_times, round3, Counters, Latencies, Progress};
use crate::admin::DefaultMQAdminExt;
use crate::config::ClientConfig;
use crate::error::ClientError;
use crate::message::Message;
use crate::producer::{DefaultMQProducer, ProducerConfig};

/// How each send waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SendMode {
    /// Wait for each result; `-w` tasks.
    Sync,
    /// Keep `-w` sends in flight from one task.
    Async,
    /// Do not wait for results.
    Oneway,
}

/// Flags of `mqbench producer`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProducerArgs {
    /// NameServer address(es), `host:port[;host:port]` (default:
    /// `NAMESRV_ADDR`, else 127.0.0.1:9876).
    #[arg(short = 'n', long = "namesrv")]
    pub namesrv: Option<String>,
    /// Topic to send to.
    #[arg(short = 't', long, default_value = "BenchmarkTest")]
    pub topic: String,
    /// Message body size in bytes (at least 36, the benchmark header).
    #[arg(short = 's', long = "size", default_value_t = 1024)]
    pub size: usize,
    /// Sends in flight at once.
    #[arg(short = 'w', long = "inflight", default_value_t = 64)]
    pub inflight: usize,
    /// Stop after this many seconds (default 10 when --count is not given).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Stop after this many messages.
    #[arg(long)]
    pub count: Option<u64>,
    /// How sends wait for their result.
    #[arg(long, value_enum, default_value_t = SendMode::Async)]
    pub mode: SendMode,
    /// Messages per send (SEND_BATCH_MESSAGE when above 1).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Queues per broker when creating the topic.
    #[arg(long, default_value_t = 8)]
    pub queues: i32,
    /// Create (or update) the topic on every master first.
    #[arg(long)]
    pub create_topic: bool,
    /// Only create the topic on this cluster (default: every cluster).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Producer group.
    #[arg(short = 'g', long, default_value = "mqbench_producer")]
    pub group: String,
    /// Tag of every message.
    #[arg(long)]
    pub tags: Option<String>,
    /// Per-send timeout in ms, retries included.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
    /// Print the summary as one JSON line.
    #[arg(long)]
    pub json: bool,
    /// No live progress line.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// The outcome of a producer run (also the `--json` line).
#[derive(Debug, Clone, Serialize)]
pub struct ProducerSummary {
    /// Always "producer".
    pub bench: &'static str,
    /// Send mode.
    pub mode: SendMode,
    /// Topic.
    pub topic: String,
    /// Body size.
    pub size: usize,
    /// In-flight window.
    pub inflight: usize,
    /// Messages per send.
    pub batch: usize,
    /// Run id written into every body (hex).
    pub run_id: String,
    /// Messages acknowledged (oneway: written).
    pub sent: u64,
    /// Messages whose send failed.
    pub failed: u64,
    /// Load phase length, s.
    pub elapsed_s: f64,
    /// Throughput.
    pub msgs_per_s: f64,
    /// Payload throughput, MiB/s.
    pub mb_per_s: f64,
    /// Send latency percentiles and max, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
    /// Largest latency, ms.
    pub max_ms: f64,
    /// Mean latency, ms.
    pub mean_ms: f64,
    /// mqbench's own user CPU during the load, s.
    pub cpu_user_s: f64,
    /// mqbench's own system CPU during the load, s.
    pub cpu_sys_s: f64,
    /// mqbench's CPU per message, µs.
    pub cpu_us_per_msg: f64,
    /// The first error seen, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl ProducerSummary {
    /// The human-readable summary.
    pub fn print_human(&self) {
        println!(
            "producer {} | topic {} | {} B x batch {} | {} in flight | run {}",
            match self.mode {
                SendMode::Sync => "sync",
                SendMode::Async => "async",
                SendMode::Oneway => "oneway",
            },
            self.topic,
            self.size,
            self.batch,
            self.inflight,
            self.run_id
        );
        println!(
            "sent {} failed {} in {:.2} s: {:.0} msgs/s, {:.2} MB/s",
            self.sent, self.failed, self.elapsed_s, self.msgs_per_s, self.mb_per_s
        );
        println!(
            "latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  mean {:.3}",
            self.p50_ms, self.p90_ms, self.p99_ms, self.p999_ms, self.max_ms, self.mean_ms
        );
        println!(
            "mqbench cpu: user {:.2} s, sys {:.2} s, {:.2} us/msg",
            self.cpu_user_s, self.cpu_sys_s, self.cpu_us_per_msg
        );
        if let Some(e) = &self.first_error {
            println!("first error: {e}");
        }
    }
}

/// The NameServer list from a flag, `NAMESRV_ADDR`, or the default.
pub fn namesrv_or_default(flag: &Option<String>) -> String {
    flag.clone()
        .or_else(|| std::env::var("NAMESRV_ADDR").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "127.0.0.1:9876".to_owned())
}

/// How long [`create_topic`] waits for the new route to reach the NameServers.
const ROUTE_WAIT: Duration = Duration::from_secs(10);

/// Creates (or updates) `topic` with `queues` read/write queues on every
/// master of `cluster`, or of every cluster, and waits until a NameServer
/// serves its route.
pub async fn create_topic(
    namesrv: &str,
    topic: &str,
    queues: i32,
    cluster: Option<&str>,
) -> Result<Vec<String>, ClientError> {
    let admin = DefaultMQAdminExt::with_config(ClientConfig::with_namesrv(namesrv));
    admin.start().await?;
    let result = async {
        let info = admin.examine_broker_cluster_info().await?;
        let clusters: Vec<String> = match cluster {
            Some(c) => vec![c.to_owned()],
            None => info.cluster_addr_table.keys().cloned().collect(),
        };
        let tc = TopicConfig::new(topic, queues, queues, PERM_RW);
        let mut done = Vec::new();
        for c in clusters {
            done.extend(admin.create_topic_in_cluster(&c, &tc).await?);
        }
        // The brokers register the new topic with the NameServers in the
        // background: wait (bounded) until its route is there, so the load
        // does not start with "no route info".
        let deadline = std::time::Instant::now() + ROUTE_WAIT;
        loop {
            match admin.examine_topic_route_info(topic).await {
                Ok(route) if !route.queue_datas.is_empty() => break,
                Err(e) if std::time::Instant::now() >= deadline => return Err(e),
                _ if std::time::Instant::now() >= deadline => {
                    return Err(ClientError::IllegalState(format!(
                        "topic {topic} created but no NameServer has its route after {ROUTE_WAIT:?}"
                    )))
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        Ok(done)
    }
    .await;
    admin.shutdown().await;
    result
}

/// When to stop: a message count, and a flag that Ctrl-C or the deadline
/// timer sets (no clock read per message).
struct Plan {
    count: Option<u64>,
    stop: Arc<AtomicBool>,
}

impl Plan {
    fn done(&self, next_seq: u64) -> bool {
        self.stop.load(Ordering::Relaxed) || self.count.is_some_and(|c| next_seq >= c)
    }
}

struct Shared {
    args: ProducerArgs,
    producer: DefaultMQProducer,
    encoder: PayloadEncoder,
    run_id: u64,
    counters: Arc<Counters>,
    plan: Plan,
    next_seq: AtomicU64,
    first_error: parking_lot::Mutex<Option<String>>,
    /// A monotonic instant and the wall clock (us since the epoch) read
    /// with it: async lanes stamp payloads from the instant they already
    /// read instead of reading the wall clock once more per message.
    epoch: (Instant, i64),
}

impl Shared {
    /// Wall-clock microseconds at `at`, derived from the run's epoch (drift
    /// against the system clock over a run is microseconds).
    fn wall_us_at(&self, at: Instant) -> i64 {
        let (i0, us0) = self.epoch;
        us0.saturating_add(at.saturating_duration_since(i0).as_micros() as i64)
    }

    fn messages(&self, first_seq: u64) -> Vec<Message> {
        (0..self.args.batch as u64)
            .map(|i| self.message(first_seq + i))
            .collect()
    }

    fn message(&self, seq: u64) -> Message {
        self.message_sent_at(seq, now_us())
    }

    /// Message `seq` with its payload stamped `sent_at_us`.
    fn message_sent_at(&self, seq: u64, sent_at_us: i64) -> Message {
        let body = self.encoder.encode(&BenchPayload {
            run_id: self.run_id,
            seq,
            sent_at_us,
        });
        let mut m = Message::new(self.args.topic.clone(), body);
        if let Some(t) = &self.args.tags {
            m.set_tags(t.clone());
        }
        m
    }

    fn outcome(&self, n: u64, r: Result<(), ClientError>) {
        match r {
            Ok(()) => self.counters.ok(n, n * self.encoder.size() as u64),
            Err(e) => {
                self.counters.fail(n);
                let mut first = self.first_error.lock();
                if first.is_none() {
                    *first = Some(e.to_string());
                }
            }
        }
    }
}

/// Runs `mqbench producer`.
pub async fn run(args: ProducerArgs) -> Result<ProducerSummary, ClientError> {
    if args.inflight == 0 || args.batch == 0 {
        return Err(ClientError::IllegalArgument(
            "--inflight and --batch must be at least 1".into(),
        ));
    }
    if args.mode == SendMode::Oneway && args.batch > 1 {
        return Err(ClientError::IllegalArgument(
            "oneway batches are not supported".into(),
        ));
    }
    let namesrv = namesrv_or_default(&args.namesrv);
    if args.create_topic {
        let brokers =
            create_topic(&namesrv, &args.topic, args.queues, args.cluster.as_deref()).await?;
        if !args.quiet {
            eprintln!("created topic {} on {}", args.topic, brokers.join(", "));
        }
    }
    let mut cfg = ProducerConfig::new(args.group.clone());
    cfg.client.namesrv_addr = Some(namesrv);
    cfg.send_msg_timeout = Duration::from_millis(args.timeout_ms);
    let producer = DefaultMQProducer::with_config(cfg);
    producer.start().await?;
    // Learn the route (and connect) before the clock starts.
    producer.fetch_publish_message_queues(&args.topic).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let duration = match (args.duration, args.count) {
        (Some(d), _) => Some(Duration::from_secs_f64(d.max(0.0))),
        (None, None) => Some(Duration::from_secs(10)),
        (None, Some(_)) => None,
    };
    let counters = Arc::new(Counters::default());
    let shared = Arc::new(Shared {
        epoch: (Instant::now(), now_us()),
        encoder: PayloadEncoder::new(args.size),
        run_id: rand::random(),
        counters: counters.clone(),
        plan: Plan {
            count: args.count,
            stop: stop.clone(),
        },
        next_seq: AtomicU64::new(0),
        first_error: parking_lot::Mutex::new(None),
        producer,
        args: args.clone(),
    });
    let stopper = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let deadline = async {
                match duration {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = deadline => {}
            }
            stop.store(true, Ordering::Relaxed);
        })
    };

    let progress = Progress::start("producer", counters.clone(), args.quiet);
    let (cpu_u0, cpu_s0) = cpu_times();
    let t0 = Instant::now();
    let lat = match args.mode {
        SendMode::Async => drive_async(shared.clone()).await,
        SendMode::Sync | SendMode::Oneway => drive_workers(shared.clone()).await,
    };
    let elapsed = t0.elapsed().as_secs_f64().max(1e-9);
    let (cpu_u1, cpu_s1) = cpu_times();
    progress.finish();
    stopper.abort();
    shared.producer.shutdown().await;

    let sent = counters.msgs.load(Ordering::Relaxed);
    let failed = counters.failed.load(Ordering::Relaxed);
    let bytes = counters.bytes.load(Ordering::Relaxed);
    let (cpu_user_s, cpu_sys_s) = (cpu_u1 - cpu_u0, cpu_s1 - cpu_s0);
    let first_error = shared.first_error.lock().clone();
    Ok(ProducerSummary {
        bench: "producer",
        mode: args.mode,
        topic: args.topic,
        size: shared.encoder.size(),
        inflight: args.inflight,
        batch: args.batch,
        run_id: format!("{:016x}", shared.run_id),
        sent,
        failed,
        elapsed_s: round3(elapsed),
        msgs_per_s: round3(sent as f64 / elapsed),
        mb_per_s: round3(bytes as f64 / elapsed / 1_048_576.0),
        p50_ms: round3(lat.quantile_ms(0.5)),
        p90_ms: round3(lat.quantile_ms(0.9)),
        p99_ms: round3(lat.quantile_ms(0.99)),
        p999_ms: round3(lat.quantile_ms(0.999)),
        max_ms: round3(lat.max_ms()),
        mean_ms: round3(lat.mean_ms()),
        cpu_user_s: round3(cpu_user_s),
        cpu_sys_s: round3(cpu_sys_s),
        cpu_us_per_msg: if sent + failed > 0 {
            round3((cpu_user_s + cpu_sys_s) * 1e6 / (sent + failed) as f64)
        } else {
            0.0
        },
        first_error,
    })
}

/// One task keeps `inflight` sends going: `inflight` lanes, each sending
/// and awaiting one message (or batch) after another, all polled by this
/// task. A lane is allocated once; a per-send future slot would be
/// allocated and moved (over a kilobyte) for every message.
async fn drive_async(s: Arc<Shared>) -> Latencies {
    let lat = parking_lot::Mutex::new(Latencies::new());
    let batch = s.args.batch as u64;
    let lane = || async {
        // A completion and the send that follows it share one clock read.
        let mut now = Instant::now();
        loop {
            let seq = s.next_seq.fetch_add(batch, Ordering::Relaxed);
            if s.plan.done(seq) {
                break;
            }
            let started = now;
            let r = if batch == 1 {
                let msg = s.message_sent_at(seq, s.wall_us_at(started));
                s.producer.send_async_future(msg).await
            } else {
                // Boxed: only batches pay for the batch path's future.
                Box::pin(s.producer.send_batch_async_future(s.messages(seq))).await
            };
            now = Instant::now();
            lat.lock().record(now - started);
            s.outcome(batch, r.map(|_| ()));
        }
    };
    futures::future::join_all((0..s.args.inflight).map(|_| lane())).await;
    lat.into_inner()
}

/// `inflight` tasks each send and wait (sync) or send without waiting
/// (oneway, with a sync barrier every 64 sends).
async fn drive_workers(s: Arc<Shared>) -> Latencies {
    let mut tasks = Vec::with_capacity(s.args.inflight);
    for _ in 0..s.args.inflight {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::new();
            let batch = s.args.batch as u64;
            let mut i = 0u64;
            loop {
                let seq = s.next_seq.fetch_add(batch, Ordering::Relaxed);
                if s.plan.done(seq) {
                    break;
                }
                let started = Instant::now();
                let r = match s.args.mode {
                    SendMode::Oneway if i % 64 != 63 => {
                        s.producer.send_oneway(s.message(seq)).await
                    }
                    _ if batch > 1 => s.producer.send_batch(&s.messages(seq)).await.map(|_| ()),
                    _ => s.producer.send(s.message(seq)).await.map(|_| ()),
                };
                lat.record(started.elapsed());
                s.outcome(batch, r);
                i += 1;
            }
            lat
        }));
    }
    let mut all = Latencies::new();
    for t in tasks {
        if let Ok(l) = t.await {
            all.merge(&l);
        }
    }
    all
}
