//! The rebalance rules both consumers share (Java `RebalanceImpl`): which
//! queues of a topic this member takes, and where a newly taken queue starts.
//!
//! A member's share is computed from the topic's readable queues (routes)
//! and the group's live client ids (GET_CONSUMER_LIST_BY_GROUP), both
//! sorted, by the configured [`AllocateMessageQueueStrategy`]. Every member
//! computes the same partition, so once all have rebalanced no queue has two
//! consumers. Applying a new share always drops lost queues (persisting
//! their offsets) before taking new ones.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use protocol::header::BoundaryType;

use crate::consumer::allocate::AllocateMessageQueueStrategy;
use crate::consumer::offset_store::{OffsetStore, ReadOffsetType};
use crate::error::ClientError;
use crate::instance::{ConsumeFromWhere, MQClientInstance, MessageModel};
use crate::message::MessageQueue;

/// Prefix of a group's retry topic.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";

/// The retry topic of `group` (`%RETRY%<group>`).
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// Whether `topic` is a retry topic.
pub fn is_retry_topic(topic: &str) -> bool {
    topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The queues of `topic` this member consumes now: all readable queues in
/// BROADCASTING, its allocated share in CLUSTERING.
pub(crate) async fn allocate_topic(
    instance: &MQClientInstance,
    group: &str,
    topic: &str,
    model: MessageModel,
    strategy: &dyn AllocateMessageQueueStrategy,
) -> Result<BTreeSet<MessageQueue>, ClientError> {
    let mut mqs = instance.subscribe_queues(topic).await?;
    if model == MessageModel::Broadcasting {
        return Ok(mqs.into_iter().collect());
    }
    let mut cids = instance.consumer_ids(group, topic).await?;
    if cids.is_empty() {
        return Err(ClientError::IllegalState(format!(
            "no live consumer of group {group} known to the brokers of {topic}"
        )));
    }
    mqs.sort();
    mqs.dedup();
    cids.sort();
    cids.dedup();
    Ok(strategy
        .allocate(group, instance.client_id(), &mqs, &cids)
        .into_iter()
        .collect())
}

/// The queues to give up and the queues to take when `current` becomes
/// `target` (dropping comes first when applied).
pub(crate) fn diff<'a>(
    current: impl IntoIterator<Item = &'a MessageQueue>,
    target: &BTreeSet<MessageQueue>,
) -> (Vec<MessageQueue>, Vec<MessageQueue>) {
    let current: BTreeSet<&MessageQueue> = current.into_iter().collect();
    let drop = current
        .iter()
        .filter(|mq| !target.contains(**mq))
        .map(|mq| (*mq).clone())
        .collect();
    let take = target
        .iter()
        .filter(|mq| !current.contains(mq))
        .cloned()
        .collect();
    (drop, take)
}

/// An address of the master of `mq`'s broker, refreshing the route once.
pub(crate) async fn master_addr(
    instance: &MQClientInstance,
    mq: &MessageQueue,
) -> Result<String, ClientError> {
    if let Some(a) = instance.find_broker_addr(&mq.broker_name, true).await {
        return Ok(a);
    }
    let _ = instance.update_route(&mq.topic).await;
    instance
        .find_broker_addr(&mq.broker_name, true)
        .await
        .ok_or_else(|| ClientError::BrokerNotFound(mq.broker_name.clone()))
}

/// GET_MAX_OFFSET of `mq`.
pub(crate) async fn max_offset(
    instance: &MQClientInstance,
    mq: &MessageQueue,
) -> Result<i64, ClientError> {
    let addr = master_addr(instance, mq).await?;
    instance.api().get_max_offset(&addr, mq).await
}

/// GET_MIN_OFFSET of `mq`.
pub(crate) async fn min_offset(
    instance: &MQClientInstance,
    mq: &MessageQueue,
) -> Result<i64, ClientError> {
    let addr = master_addr(instance, mq).await?;
    instance.api().get_min_offset(&addr, mq).await
}

/// SEARCH_OFFSET_BY_TIMESTAMP of `mq` (first offset stored at or after `ts`).
pub(crate) async fn search_offset(
    instance: &MQClientInstance,
    mq: &MessageQueue,
    ts: i64,
) -> Result<i64, ClientError> {
    let addr = master_addr(instance, mq).await?;
    instance
        .api()
        .search_offset(&addr, mq, ts, Some(BoundaryType::Lower))
        .await
}

/// Where consumption of a newly taken `mq` starts (Java
/// `computePullFromWhere`): the stored offset if the group has one, else
/// by `from`: the queue's max offset (retry topics: 0), 0, or the offset
/// at `timestamp_ms`. Java's deprecated variants behave as the last offset.
pub(crate) async fn compute_pull_from_where(
    instance: &MQClientInstance,
    store: &OffsetStore,
    mq: &MessageQueue,
    from: ConsumeFromWhere,
    timestamp_ms: i64,
) -> Result<i64, ClientError> {
    if let Some(off) = store.read_offset(mq, ReadOffsetType::ReadFromStore).await? {
        if off >= 0 {
            return Ok(off);
        }
    }
    let retry = is_retry_topic(&mq.topic);
    match from {
        ConsumeFromWhere::ConsumeFromFirstOffset => Ok(0),
        ConsumeFromWhere::ConsumeFromTimestamp if !retry => {
            search_offset(instance, mq, timestamp_ms).await
        }
        ConsumeFromWhere::ConsumeFromTimestamp => max_offset(instance, mq).await,
        _ if retry => Ok(0),
        _ => max_offset(instance, mq).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_drops_then_takes() {
        let q = |i| MessageQueue::new("T", "b", i);
        let current = [q(0), q(1), q(2)];
        let target: BTreeSet<_> = [q(2), q(3)].into_iter().collect();
        let (drop, take) = diff(current.iter(), &target);
        assert_eq!(drop, [q(0), q(1)]);
        assert_eq!(take, [q(3)]);
    }

    #[test]
    fn retry_topic_names() {
        assert_eq!(retry_topic("G"), "%RETRY%G");
        assert!(is_retry_topic("%RETRY%G") && !is_retry_topic("G"));
    }
}
