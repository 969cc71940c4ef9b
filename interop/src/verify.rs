//! The messages a scenario sends, and the checks of what its consumers received.

use std::collections::HashMap;

use rocketmq_model::common::message::message_single::Message;

use crate::error::InteropError;
use crate::inbox::Delivery;

/// One message a scenario sends; its key is unique within the run.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Tag set on the message.
    pub tag: &'static str,
    /// Unique key (`k<i>`, or `o<order>-<seq>` for the orderly scenario).
    pub key: String,
    /// Text body, naming the run so stale messages are recognised.
    pub body: String,
    /// Ordering key (orderly scenario; 0 otherwise).
    pub order: usize,
    /// Position within its ordering key.
    pub seq: usize,
}

impl Planned {
    /// The client message for topic `topic`.
    pub fn message(&self, topic: &str) -> Message {
        Message::builder()
            .topic(topic)
            .tags(self.tag)
            .key(self.key.as_str())
            .body_slice(self.body.as_bytes())
            .build_unchecked()
    }
}

/// Number of distinct keys consumer `consumer` has received.
pub fn distinct_keys(deliveries: &[Delivery], consumer: usize) -> usize {
    let mut keys: Vec<&str> = deliveries
        .iter()
        .filter(|d| d.consumer == consumer)
        .map(|d| d.key.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.len()
}

/// Checks that consumer `consumer` received each of `expected` exactly once, with the body and
/// tag it was sent with, and nothing else.
pub fn exactly_once(
    deliveries: &[Delivery],
    consumer: usize,
    expected: &[&Planned],
) -> Result<(), InteropError> {
    let want: HashMap<&str, &Planned> = expected.iter().map(|p| (p.key.as_str(), *p)).collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut problems = Vec::new();
    for d in deliveries.iter().filter(|d| d.consumer == consumer) {
        match want.get(d.key.as_str()) {
            None => problems.push(format!(
                "unexpected message key={:?} tag={:?}",
                d.key, d.tag
            )),
            Some(p) => {
                if d.body != p.body {
                    problems.push(format!(
                        "key {} body {:?}, sent {:?}",
                        p.key, d.body, p.body
                    ));
                }
                if d.tag.as_deref() != Some(p.tag) {
                    problems.push(format!("key {} tag {:?}, sent {:?}", p.key, d.tag, p.tag));
                }
            }
        }
        *seen.entry(d.key.as_str()).or_default() += 1;
    }
    let missing = want.keys().filter(|k| !seen.contains_key(*k)).count();
    if missing > 0 {
        problems.push(format!(
            "{missing} of {} messages never delivered",
            want.len()
        ));
    }
    let repeated = seen.values().filter(|&&n| n > 1).count();
    if repeated > 0 {
        problems.push(format!("{repeated} messages delivered more than once"));
    }
    fail_if_any(&format!("consumer {consumer}"), problems)
}

/// Checks that consumer 0 saw each ordering key's messages in send order, all from one queue.
pub fn in_key_order(deliveries: &[Delivery], expected: &[Planned]) -> Result<(), InteropError> {
    let by_key: HashMap<&str, &Planned> = expected.iter().map(|p| (p.key.as_str(), p)).collect();
    let mut next_seq: HashMap<usize, usize> = HashMap::new();
    let mut queue_of: HashMap<usize, i32> = HashMap::new();
    let mut problems = Vec::new();
    for d in deliveries.iter().filter(|d| d.consumer == 0) {
        let Some(p) = by_key.get(d.key.as_str()) else {
            continue;
        };
        let want = next_seq.entry(p.order).or_default();
        if p.seq != *want {
            problems.push(format!(
                "order key {}: got seq {} where seq {} was due",
                p.order, p.seq, want
            ));
        }
        *want = p.seq + 1;
        let queue = *queue_of.entry(p.order).or_insert(d.queue_id);
        if queue != d.queue_id {
            problems.push(format!(
                "order key {} read from queues {queue} and {}",
                p.order, d.queue_id
            ));
        }
    }
    fail_if_any("order", problems)
}

fn fail_if_any(what: &str, problems: Vec<String>) -> Result<(), InteropError> {
    if problems.is_empty() {
        return Ok(());
    }
    let shown: Vec<_> = problems.iter().take(5).cloned().collect();
    let more = problems.len().saturating_sub(shown.len());
    let tail = if more > 0 {
        format!(" (+{more} more)")
    } else {
        String::new()
    };
    Err(InteropError::Verify(format!(
        "{what}: {}{tail}",
        shown.join("; ")
    )))
}
