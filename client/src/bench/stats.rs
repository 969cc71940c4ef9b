//! What every mqbench mode measures: live counters with a one-line
//! per-second progress display, a latency histogram, the tool's own CPU
//! time, and the final summary (human text or one JSON line).

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Highest latency the histograms hold: 5 minutes, in µs.
const MAX_LATENCY_US: u64 = 300_000_000;

/// Counters shared between the load tasks and the progress display.
#[derive(Debug, Default)]
pub struct Counters {
    /// Messages done (sent and acknowledged, or received).
    pub msgs: AtomicU64,
    /// Payload bytes of those messages.
    pub bytes: AtomicU64,
    /// Messages that failed.
    pub failed: AtomicU64,
}

impl Counters {
    /// Counts `n` messages of `bytes` payload bytes in all.
    pub fn ok(&self, n: u64, bytes: u64) {
        self.msgs.fetch_add(n, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts `n` failed messages.
    pub fn fail(&self, n: u64) {
        self.failed.fetch_add(n, Ordering::Relaxed);
    }

    fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.msgs.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// A latency histogram in microseconds (1 µs to 5 min, 3 significant
/// digits).
#[derive(Debug, Clone)]
pub struct Latencies {
    hist: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// An empty histogram.
    pub fn new() -> Self {
        let hist = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
            .expect("constant histogram bounds are valid");
        Latencies { hist }
    }

    /// Records one latency (clamped into the histogram's range).
    pub fn record(&mut self, latency: Duration) {
        let us = (latency.as_micros() as u64).clamp(1, MAX_LATENCY_US);
        let _ = self.hist.record(us);
    }

    /// Records one latency given in µs.
    pub fn record_us(&mut self, us: u64) {
        let _ = self.hist.record(us.clamp(1, MAX_LATENCY_US));
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Latencies) {
        let _ = self.hist.add(&other.hist);
    }

    /// Number of samples.
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// The latency at `q` (0..=1), in ms.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }

    /// The largest latency, in ms.
    pub fn max_ms(&self) -> f64 {
        self.hist.max() as f64 / 1000.0
    }

    /// The mean latency, in ms.
    pub fn mean_ms(&self) -> f64 {
        self.hist.mean() / 1000.0
    }
}

/// CPU time this process has used: (user, system) seconds.
pub fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

/// The per-second progress line on stderr: `label  N msgs/s  X MB/s  F
/// failed  total T`, rewritten in place with `\r`.
pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts printing `counters` every second (nothing when `quiet`).
    pub fn start(label: &str, counters: Arc<Counters>, quiet: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        if quiet {
            return Progress { stop, handle: None };
        }
        let label = label.to_owned();
        let flag = stop.clone();
        // A plain thread: the display must keep ticking even when the
        // runtime's workers are saturated by the load.
        let handle = std::thread::Builder::new()
            .name("mqbench-progress".into())
            .spawn(move || {
                let start = Instant::now();
                let mut last = counters.snapshot();
                let mut last_t = start;
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    if last_t.elapsed() < Duration::from_secs(1) {
                        continue;
                    }
                    let now = counters.snapshot();
                    let dt = last_t.elapsed().as_secs_f64();
                    last_t = Instant::now();
                    let rate = (now.0 - last.0) as f64 / dt;
                    let mbps = (now.1 - last.1) as f64 / dt / 1_048_576.0;
                    let mut err = std::io::stderr().lock();
                    let _ = write!(
                        err,
                        "\r[{:>5.0}s] {label}: {rate:>10.0} msgs/s {mbps:>8.2} MB/s  failed {:<8} total {:<12}",
                        start.elapsed().as_secs_f64(),
                        now.2,
                        now.0
                    );
                    let _ = err.flush();
                    last = now;
                }
            })
            .ok();
        Progress { stop, handle }
    }

    /// Stops the display and ends its line.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
            eprintln!();
        }
    }
}

/// Rounds to 3 decimals for the JSON line.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_merge() {
        let mut a = Latencies::new();
        for ms in 1..=100u64 {
            a.record(Duration::from_millis(ms));
        }
        let mut b = Latencies::new();
        b.record_us(500_000);
        a.merge(&b);
        assert_eq!(a.len(), 101);
        assert!(
            (a.quantile_ms(0.5) - 51.0).abs() < 0.2,
            "{}",
            a.quantile_ms(0.5)
        );
        assert!((a.max_ms() - 500.0).abs() < 1.0);
        assert_eq!(Latencies::new().quantile_ms(0.99), 0.0);
        let (u, s) = cpu_times();
        assert!(u >= 0.0 && s >= 0.0);
    }
}
