//! What the consumers received, in delivery order, and the listeners that record it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rocketmq_client_rust::{
    ClientResult, ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, MessageListenerConcurrently, MessageListenerOrderly,
};
use rocketmq_model::common::message::message_ext::MessageExt;
use tokio::time::Instant;

/// One delivered message, as the listener saw it.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Which consumer (index given at listener creation) got it.
    pub consumer: usize,
    /// The message's tag, if any.
    pub tag: Option<String>,
    /// The message's first key ("" when none).
    pub key: String,
    /// The body, lossily decoded as UTF-8 (the scenarios send text).
    pub body: String,
    /// Queue the message was pulled from.
    pub queue_id: i32,
}

/// Deliveries of every consumer of one scenario, in the order the listeners ran.
#[derive(Default)]
pub struct Inbox {
    deliveries: Mutex<Vec<Delivery>>,
}

impl Inbox {
    /// A new, empty inbox shared by the listeners and the scenario.
    pub fn new() -> Arc<Self> {
        Arc::new(Inbox::default())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Delivery>> {
        // A listener never panics while holding the lock; recover the data if one did.
        self.deliveries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, consumer: usize, msgs: &[&MessageExt]) {
        let mut deliveries = self.lock();
        for msg in msgs {
            let inner = msg.message_inner();
            deliveries.push(Delivery {
                consumer,
                tag: inner.tags().map(str::to_owned),
                key: inner
                    .keys()
                    .and_then(|k| k.into_iter().next())
                    .unwrap_or_default(),
                body: String::from_utf8_lossy(inner.body_slice()).into_owned(),
                queue_id: msg.queue_id(),
            });
        }
    }

    /// A copy of everything delivered so far.
    pub fn snapshot(&self) -> Vec<Delivery> {
        self.lock().clone()
    }

    /// Polls until `done` holds for the deliveries so far or `deadline` passes; true if it held.
    pub async fn wait_until(&self, deadline: Instant, done: impl Fn(&[Delivery]) -> bool) -> bool {
        loop {
            if done(&self.lock()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A concurrent listener recording into this inbox as consumer `consumer`.
    pub fn concurrent_listener(self: &Arc<Self>, consumer: usize) -> Recorder {
        Recorder {
            inbox: Arc::clone(self),
            consumer,
        }
    }

    /// An orderly listener recording into this inbox as consumer `consumer`.
    pub fn orderly_listener(self: &Arc<Self>, consumer: usize) -> Recorder {
        Recorder {
            inbox: Arc::clone(self),
            consumer,
        }
    }
}

/// A listener that records every message and acknowledges it.
pub struct Recorder {
    inbox: Arc<Inbox>,
    consumer: usize,
}

impl MessageListenerConcurrently for Recorder {
    fn consume_message(
        &self,
        msgs: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> ClientResult<ConsumeConcurrentlyStatus> {
        self.inbox.record(self.consumer, msgs);
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    }
}

impl MessageListenerOrderly for Recorder {
    fn consume_message(
        &self,
        msgs: &[&MessageExt],
        context: &mut ConsumeOrderlyContext,
    ) -> ClientResult<ConsumeOrderlyStatus> {
        context.set_auto_commit(true);
        self.inbox.record(self.consumer, msgs);
        Ok(ConsumeOrderlyStatus::Success)
    }
}
