//! [`ConsumerHook`]: the seam between the client instance and the consumers
//! (push and lite-pull) registered on it.

use protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerRunningInfo, MessageModel, SubscriptionData,
};
use protocol::net::BoxFuture;

/// What the client instance needs from a consumer (push or lite-pull).
///
/// The instance calls [`ConsumerHook::rebalance`] every 20 s and at once when
/// a broker sends NOTIFY_CONSUMER_IDS_CHANGED for the group, and
/// [`ConsumerHook::persist_offsets`] every 5 s. It never runs two
/// `rebalance` calls of one consumer at the same time, nor two
/// `persist_offsets` calls.
pub trait ConsumerHook: Send + Sync + 'static {
    /// The consumer group (unique per client instance).
    fn group(&self) -> &str;

    /// CLUSTERING or BROADCASTING.
    fn message_model(&self) -> MessageModel;

    /// CONSUME_PASSIVELY (push) or CONSUME_ACTIVELY (pull / lite pull).
    fn consume_type(&self) -> ConsumeType;

    /// Where a group without a stored offset starts.
    fn consume_from_where(&self) -> ConsumeFromWhere;

    /// The subscriptions sent in heartbeats (including `%RETRY%<group>` for
    /// clustering push consumers).
    fn subscriptions(&self) -> Vec<SubscriptionData>;

    /// Recomputes this consumer's queue assignment.
    fn rebalance(&self) -> BoxFuture<'_, ()>;

    /// Commits the consumed offsets (to the broker, or a local file).
    fn persist_offsets(&self) -> BoxFuture<'_, ()>;

    /// What GET_CONSUMER_RUNNING_INFO reports (admin `consumerStatus`):
    /// process queues, status, properties. The instance adds the
    /// subscriptions and its own properties. Default: nothing more.
    fn running_info(&self) -> ConsumerRunningInfo {
        ConsumerRunningInfo::default()
    }
}
