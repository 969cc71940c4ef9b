//! Queue allocation strategies (CLIENT-API.md §8): which of a topic's queues
//! one member of a consumer group takes.
//!
//! Every member runs the same strategy over the same sorted inputs (all
//! queues in `MessageQueue` order, all client ids in string order), so the
//! members' shares are disjoint and together cover every queue.

use crate::message::MessageQueue;

/// Decides the share of one consumer (`current_cid`) of a group.
///
/// Invariant: for fixed `mq_all` and `cid_all`, the results for the different
/// ids of `cid_all` are pairwise disjoint and their union is `mq_all`; an id
/// not in `cid_all` gets nothing.
pub trait AllocateMessageQueueStrategy: Send + Sync + 'static {
    /// The queues of `mq_all` that `current_cid` consumes. Both lists must be
    /// sorted (the rebalance does so) and `mq_all` free of duplicates.
    fn allocate(
        &self,
        consumer_group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue>;

    /// The strategy's name as Java reports it (`AVG`, `AVG_BY_CIRCLE`).
    fn name(&self) -> &'static str;
}

/// Contiguous blocks: the first `n % c` consumers take `n / c + 1` queues,
/// the others `n / c` (Java `AllocateMessageQueueAveragely`, the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocateMessageQueueAveragely;

impl AllocateMessageQueueStrategy for AllocateMessageQueueAveragely {
    fn allocate(
        &self,
        _consumer_group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = cid_all.iter().position(|c| c == current_cid) else {
            return Vec::new();
        };
        let (start, len) = averagely_range(index, mq_all.len(), cid_all.len());
        mq_all[start..start + len].to_vec()
    }

    fn name(&self) -> &'static str {
        "AVG"
    }
}

/// The `(start, len)` block of consumer `index` among `consumers` when
/// `queues` queues are split averagely; `len` is 0 for surplus consumers.
fn averagely_range(index: usize, queues: usize, consumers: usize) -> (usize, usize) {
    if consumers == 0 || queues == 0 {
        return (0, 0);
    }
    let rem = queues % consumers;
    let size = if queues <= consumers {
        1
    } else if index < rem {
        queues / consumers + 1
    } else {
        queues / consumers
    };
    let start = if index < rem {
        index * size
    } else {
        index * size + rem
    };
    if start >= queues {
        return (0, 0);
    }
    (start, size.min(queues - start))
}

/// Round robin: queue `k` goes to consumer `k % c` (Java
/// `AllocateMessageQueueAveragelyByCircle`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocateMessageQueueAveragelyByCircle;

impl AllocateMessageQueueStrategy for AllocateMessageQueueAveragelyByCircle {
    fn allocate(
        &self,
        _consumer_group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = cid_all.iter().position(|c| c == current_cid) else {
            return Vec::new();
        };
        mq_all
            .iter()
            .skip(index)
            .step_by(cid_all.len())
            .cloned()
            .collect()
    }

    fn name(&self) -> &'static str {
        "AVG_BY_CIRCLE"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(n: i32) -> Vec<MessageQueue> {
        (0..n)
            .map(|i| MessageQueue::new("topic", "brokerName", i))
            .collect()
    }

    fn cids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("CID_PREFIX{i}")).collect()
    }

    fn ids(mqs: &[MessageQueue]) -> Vec<i32> {
        mqs.iter().map(|q| q.queue_id).collect()
    }

    #[test]
    fn averagely_matches_java_example() {
        // AllocateMessageQueueAveragelyTest: 10 queues over 4 consumers.
        let (mqs, cids) = (queues(10), cids(4));
        let shares: Vec<Vec<i32>> = cids
            .iter()
            .map(|c| ids(&AllocateMessageQueueAveragely.allocate("", c, &mqs, &cids)))
            .collect();
        assert_eq!(
            shares,
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7], vec![8, 9]]
        );
    }

    #[test]
    fn by_circle_matches_java_example() {
        // AllocateMessageQueueAveragelyByCircleTest.
        let (mqs, cids) = (queues(10), cids(4));
        let s = AllocateMessageQueueAveragelyByCircle;
        assert!(s.allocate("", "CID_PREFIX", &mqs, &cids).is_empty());
        let shares: Vec<Vec<i32>> = cids
            .iter()
            .map(|c| ids(&s.allocate("", c, &mqs, &cids)))
            .collect();
        assert_eq!(
            shares,
            vec![vec![0, 4, 8], vec![1, 5, 9], vec![2, 6], vec![3, 7]]
        );
    }

    #[test]
    fn more_consumers_than_queues() {
        let (mqs, cids) = (queues(2), cids(3));
        let avg: Vec<Vec<i32>> = cids
            .iter()
            .map(|c| ids(&AllocateMessageQueueAveragely.allocate("", c, &mqs, &cids)))
            .collect();
        assert_eq!(avg, vec![vec![0], vec![1], vec![]]);
        let circle: Vec<Vec<i32>> = cids
            .iter()
            .map(|c| ids(&AllocateMessageQueueAveragelyByCircle.allocate("", c, &mqs, &cids)))
            .collect();
        assert_eq!(circle, vec![vec![0], vec![1], vec![]]);
    }

    #[test]
    fn shares_partition_the_queues() {
        let strategies: [&dyn AllocateMessageQueueStrategy; 2] = [
            &AllocateMessageQueueAveragely,
            &AllocateMessageQueueAveragelyByCircle,
        ];
        for s in strategies {
            for n in 0..20 {
                for c in 1..8 {
                    let (mqs, cids) = (queues(n), cids(c));
                    let mut all: Vec<i32> = cids
                        .iter()
                        .flat_map(|cid| ids(&s.allocate("g", cid, &mqs, &cids)))
                        .collect();
                    all.sort_unstable();
                    assert_eq!(all, (0..n).collect::<Vec<_>>(), "{} n={n} c={c}", s.name());
                }
            }
        }
    }

    #[test]
    fn unknown_consumer_or_no_consumers_gets_nothing() {
        let mqs = queues(4);
        assert!(AllocateMessageQueueAveragely
            .allocate("", "x", &mqs, &[])
            .is_empty());
        assert!(AllocateMessageQueueAveragely
            .allocate("", "x", &mqs, &cids(2))
            .is_empty());
    }
}
