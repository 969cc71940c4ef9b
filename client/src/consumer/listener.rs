//! Message listeners a push consumer calls, their results and contexts
//! (Java `MessageListenerConcurrently` / `MessageListenerOrderly`).
//!
//! Listeners are plain synchronous functions, called on the consumer's
//! tokio tasks; keep them short or move blocking work elsewhere
//! (`tokio::task::block_in_place`). A listener that panics counts as
//! `ReconsumeLater` / `SuspendCurrentQueueAMoment`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::message::{MessageExt, MessageQueue};

/// Result of a concurrent listener call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsumeConcurrentlyStatus {
    /// The messages up to `ack_index` are consumed (Java `CONSUME_SUCCESS`).
    ConsumeSuccess,
    /// Deliver all of them again later (Java `RECONSUME_LATER`).
    ReconsumeLater,
}

/// What a concurrent listener knows and may adjust about its call.
#[derive(Debug, Clone)]
pub struct ConsumeConcurrentlyContext {
    /// The queue the messages came from.
    pub message_queue: MessageQueue,
    /// Delay level for failed messages: 0 = the broker decides
    /// (3 + reconsume times), -1 = straight to the dead-letter queue,
    /// n > 0 = that level.
    pub delay_level_when_next_consume: i32,
    /// With `ConsumeSuccess`, messages after this index count as failed;
    /// defaults to "all succeeded".
    pub ack_index: i32,
}

impl ConsumeConcurrentlyContext {
    /// A fresh context for a call on `mq`.
    pub fn new(mq: MessageQueue) -> Self {
        ConsumeConcurrentlyContext {
            message_queue: mq,
            delay_level_when_next_consume: 0,
            ack_index: i32::MAX,
        }
    }
}

/// Consumes messages of any queue, in any order, on several tasks at once.
pub trait MessageListenerConcurrently: Send + Sync + 'static {
    /// Consumes `msgs` (at most `consumeMessageBatchMaxSize` of one queue).
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeConcurrentlyContext,
    ) -> ConsumeConcurrentlyStatus;
}

impl<F> MessageListenerConcurrently for F
where
    F: Fn(&[MessageExt], &mut ConsumeConcurrentlyContext) -> ConsumeConcurrentlyStatus
        + Send
        + Sync
        + 'static,
{
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeConcurrentlyContext,
    ) -> ConsumeConcurrentlyStatus {
        self(msgs, ctx)
    }
}

/// Result of an orderly listener call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsumeOrderlyStatus {
    /// The messages are consumed (Java `SUCCESS`).
    Success,
    /// Stop this queue for `suspend_current_queue_time_millis`, then deliver
    /// the same messages again, still in order.
    SuspendCurrentQueueAMoment,
}

/// What an orderly listener knows and may adjust about its call.
#[derive(Debug, Clone)]
pub struct ConsumeOrderlyContext {
    /// The queue the messages came from.
    pub message_queue: MessageQueue,
    /// Commit the offset after `Success` (the only mode supported: true).
    pub auto_commit: bool,
    /// Suspension after `SuspendCurrentQueueAMoment`; -1 = the consumer's
    /// `suspend_current_queue_time_millis`.
    pub suspend_current_queue_time_millis: i64,
}

impl ConsumeOrderlyContext {
    /// A fresh context for a call on `mq`.
    pub fn new(mq: MessageQueue) -> Self {
        ConsumeOrderlyContext {
            message_queue: mq,
            auto_commit: true,
            suspend_current_queue_time_millis: -1,
        }
    }
}

/// Consumes each queue's messages one batch at a time, in queue order.
pub trait MessageListenerOrderly: Send + Sync + 'static {
    /// Consumes `msgs` (consecutive messages of one queue).
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeOrderlyContext,
    ) -> ConsumeOrderlyStatus;
}

impl<F> MessageListenerOrderly for F
where
    F: Fn(&[MessageExt], &mut ConsumeOrderlyContext) -> ConsumeOrderlyStatus
        + Send
        + Sync
        + 'static,
{
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeOrderlyContext,
    ) -> ConsumeOrderlyStatus {
        self(msgs, ctx)
    }
}

/// A push consumer's listener, of either kind (Java's overloaded
/// `registerMessageListener`).
#[derive(Clone)]
pub enum MessageListener {
    /// Any queue, any order, several calls at once.
    Concurrently(Arc<dyn MessageListenerConcurrently>),
    /// One call per queue at a time, in queue order.
    Orderly(Arc<dyn MessageListenerOrderly>),
}

impl std::fmt::Debug for MessageListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MessageListener::Concurrently(_) => "MessageListener::Concurrently",
            MessageListener::Orderly(_) => "MessageListener::Orderly",
        })
    }
}

/// Calls a concurrent listener, turning a panic into `ReconsumeLater`.
pub(crate) fn call_concurrently(
    listener: &dyn MessageListenerConcurrently,
    msgs: &[MessageExt],
    ctx: &mut ConsumeConcurrentlyContext,
) -> ConsumeConcurrentlyStatus {
    catch_unwind(AssertUnwindSafe(|| listener.consume_message(msgs, ctx))).unwrap_or_else(|_| {
        tracing::warn!(queue = ?ctx.message_queue, "listener panicked; messages will be consumed again");
        ConsumeConcurrentlyStatus::ReconsumeLater
    })
}

/// Calls an orderly listener, turning a panic into a suspension.
pub(crate) fn call_orderly(
    listener: &dyn MessageListenerOrderly,
    msgs: &[MessageExt],
    ctx: &mut ConsumeOrderlyContext,
) -> ConsumeOrderlyStatus {
    catch_unwind(AssertUnwindSafe(|| listener.consume_message(msgs, ctx))).unwrap_or_else(|_| {
        tracing::warn!(queue = ?ctx.message_queue, "orderly listener panicked; queue suspended");
        ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
    })
}

/// How many leading messages of a batch of `len` succeeded.
pub(crate) fn acked_count(status: ConsumeConcurrentlyStatus, ack_index: i32, len: usize) -> usize {
    match status {
        ConsumeConcurrentlyStatus::ReconsumeLater => 0,
        ConsumeConcurrentlyStatus::ConsumeSuccess if ack_index < 0 => 0,
        ConsumeConcurrentlyStatus::ConsumeSuccess => {
            (ack_index as usize).saturating_add(1).min(len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_index_semantics() {
        use ConsumeConcurrentlyStatus::*;
        assert_eq!(acked_count(ConsumeSuccess, i32::MAX, 4), 4);
        assert_eq!(acked_count(ConsumeSuccess, 1, 4), 2);
        assert_eq!(acked_count(ConsumeSuccess, -1, 4), 0);
        assert_eq!(acked_count(ReconsumeLater, i32::MAX, 4), 0);
    }

    #[test]
    fn panics_become_retries() {
        let mq = MessageQueue::new("T", "b", 0);
        let boom = |_: &[MessageExt],
                    _: &mut ConsumeConcurrentlyContext|
         -> ConsumeConcurrentlyStatus { panic!("listener bug") };
        let mut ctx = ConsumeConcurrentlyContext::new(mq.clone());
        assert_eq!(
            call_concurrently(&boom, &[], &mut ctx),
            ConsumeConcurrentlyStatus::ReconsumeLater
        );
        let ok = |_: &[MessageExt], _: &mut ConsumeOrderlyContext| ConsumeOrderlyStatus::Success;
        let mut octx = ConsumeOrderlyContext::new(mq);
        assert_eq!(
            call_orderly(&ok, &[], &mut octx),
            ConsumeOrderlyStatus::Success
        );
    }
}
