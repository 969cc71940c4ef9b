//! Latency-based broker avoidance (`sendLatencyFaultEnable`): a slow or
//! failed send makes its broker unavailable for a while.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Send latencies (ms) from which a broker is set aside...
const LATENCY_MAX_MS: [u64; 7] = [50, 100, 550, 1800, 3000, 5000, 15000];
/// ...for this long (ms).
const NOT_AVAILABLE_MS: [u64; 7] = [0, 0, 2000, 5000, 6000, 10000, 30000];
/// The latency a failed ("isolated") send counts as.
const ISOLATION_LATENCY_MS: u64 = 10_000;

/// How long a broker with send latency `latency_ms` is avoided.
pub fn not_available_duration(latency_ms: u64) -> Duration {
    for i in (0..LATENCY_MAX_MS.len()).rev() {
        if latency_ms >= LATENCY_MAX_MS[i] {
            return Duration::from_millis(NOT_AVAILABLE_MS[i]);
        }
    }
    Duration::ZERO
}

#[derive(Debug, Clone, Copy)]
struct FaultItem {
    latency_ms: u64,
    available_at: Instant,
}

/// Per broker name, until when it is avoided (Java's
/// `LatencyFaultToleranceImpl`).
#[derive(Debug, Default)]
pub struct LatencyFaultTolerance {
    items: Mutex<HashMap<String, FaultItem>>,
}

impl LatencyFaultTolerance {
    /// Records a send to `broker` that took `latency`; `isolation` marks a
    /// failed send (counted as 10 s latency).
    pub fn update(&self, broker: &str, latency: Duration, isolation: bool) {
        let latency_ms = if isolation {
            ISOLATION_LATENCY_MS
        } else {
            latency.as_millis() as u64
        };
        let item = FaultItem {
            latency_ms,
            available_at: Instant::now() + not_available_duration(latency_ms),
        };
        let mut items = self.items.lock();
        match items.get_mut(broker) {
            Some(slot) => *slot = item,
            None => {
                items.insert(broker.to_owned(), item);
            }
        }
    }

    /// Whether `broker` may be used now.
    pub fn is_available(&self, broker: &str) -> bool {
        match self.items.lock().get(broker) {
            Some(item) => Instant::now() >= item.available_at,
            None => true,
        }
    }

    /// Forgets `broker`.
    pub fn remove(&self, broker: &str) {
        self.items.lock().remove(broker);
    }

    /// Among the avoided brokers, the one expected back first (lowest
    /// latency, then soonest available), for when nothing is available.
    pub fn pick_one_at_least(&self) -> Option<String> {
        let items = self.items.lock();
        items
            .iter()
            .min_by_key(|(_, it)| (it.available_at, it.latency_ms))
            .map(|(name, _)| name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_java_table() {
        assert_eq!(not_available_duration(10), Duration::ZERO);
        assert_eq!(not_available_duration(549), Duration::ZERO);
        assert_eq!(not_available_duration(550), Duration::from_secs(2));
        assert_eq!(not_available_duration(10_000), Duration::from_secs(10));
        assert_eq!(not_available_duration(20_000), Duration::from_secs(30));
    }

    #[test]
    fn failed_broker_is_avoided() {
        let f = LatencyFaultTolerance::default();
        assert!(f.is_available("a"));
        f.update("a", Duration::from_millis(3), false);
        assert!(f.is_available("a"));
        f.update("a", Duration::from_millis(3), true);
        assert!(!f.is_available("a"));
        assert_eq!(f.pick_one_at_least().as_deref(), Some("a"));
        f.remove("a");
        assert!(f.is_available("a"));
    }
}
