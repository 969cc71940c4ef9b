//! Consumers: [`DefaultMQPushConsumer`] (listener callbacks, concurrent or
//! orderly) and [`DefaultLitePullConsumer`] (poll), with what they share:
//! queue allocation, offset stores, process queues and the rebalance.
//!
//! Module map:
//! - [`push_consumer`] / [`lite_pull_consumer`]: the public consumers.
//! - [`listener`]: listener traits, statuses and contexts.
//! - [`allocate`]: queue allocation strategies.
//! - [`offset_store`]: broker-side and local-file offsets.
//! - [`process_queue`]: per-queue cache, flow-control counts, commit offset.
//! - [`subscription`]: tag expressions.
//! - [`rebalance`]: allocation per topic and start offsets.
//! - `push`, `lite`: the running state of each consumer kind; `hook`: their
//!   registration with the client instance.

pub mod allocate;
mod hook;
pub mod listener;
mod lite;
pub mod lite_pull_consumer;
pub mod offset_store;
pub mod process_queue;
mod push;
pub mod push_consumer;
pub mod rebalance;
pub mod subscription;

#[cfg(test)]
pub(crate) mod test_util;

pub use allocate::{
    AllocateMessageQueueAveragely, AllocateMessageQueueAveragelyByCircle,
    AllocateMessageQueueStrategy,
};
pub use listener::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, MessageListener, MessageListenerConcurrently, MessageListenerOrderly,
};
pub use lite_pull_consumer::{DefaultLitePullConsumer, LitePullConsumerConfig};
pub use offset_store::{
    LocalFileOffsetStore, OffsetStore, ReadOffsetType, RemoteBrokerOffsetStore,
};
pub use process_queue::ProcessQueue;
pub use push_consumer::{DefaultMQPushConsumer, PushConsumerConfig};
pub use subscription::TagExpression;

pub use crate::instance::{ConsumeFromWhere, ConsumeType, MessageModel};
