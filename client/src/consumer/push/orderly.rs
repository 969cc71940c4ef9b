//! The orderly consume service (Java `ConsumeMessageOrderlyService`): one
//! task per queue at a time takes messages in offset order, calls the
//! listener under the queue's consume lock, commits, and goes on; in
//! clustering mode only while this member holds the queue's broker lock.
//! `SuspendCurrentQueueAMoment` puts the messages back and pauses the queue.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Listener, PushCore};
use crate::consumer::listener::{call_orderly, ConsumeOrderlyContext, ConsumeOrderlyStatus};
use crate::consumer::process_queue::ProcessQueue;
use crate::message::{MessageExt, MessageQueue};

/// A task gives its queue back to the scheduler after this long, so one
/// busy queue cannot hold a permit forever (Java: 60 s).
const MAX_TIME_CONSUME_CONTINUOUSLY: Duration = Duration::from_secs(60);

impl PushCore {
    /// Starts (after `delay`) the consume task of `pq`, which the caller
    /// owns (see `ProcessQueue::put_messages`).
    pub(crate) fn submit_orderly(
        self: &Arc<Self>,
        pq: Arc<ProcessQueue>,
        mq: MessageQueue,
        delay: Duration,
    ) {
        let me = self.clone();
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            me.consume_orderly(pq, mq).await;
        });
    }

    async fn consume_orderly(self: Arc<Self>, pq: Arc<ProcessQueue>, mq: MessageQueue) {
        let Listener::Orderly(listener) = &self.listener else {
            return;
        };
        if pq.is_dropped() || self.is_stopping() {
            return;
        }
        let needs_lock = self.is_clustering();
        if needs_lock && (!pq.is_locked() || pq.is_lock_expired()) {
            self.try_lock_later_and_reconsume(pq, mq, Duration::from_millis(100));
            return;
        }
        let Ok(_permit) = self.permits.acquire().await else {
            return;
        };
        let batch = self.cfg.consume_message_batch_max_size.max(1);
        let started = Instant::now();
        loop {
            if pq.is_dropped() || self.is_stopping() {
                return;
            }
            if needs_lock && !pq.is_locked() {
                self.try_lock_later_and_reconsume(pq, mq, Duration::from_millis(10));
                return;
            }
            if needs_lock && pq.is_lock_expired() {
                self.try_lock_later_and_reconsume(pq, mq, Duration::from_millis(100));
                return;
            }
            if started.elapsed() > MAX_TIME_CONSUME_CONTINUOUSLY {
                self.submit_orderly(pq, mq, Duration::from_millis(10));
                return;
            }
            let guard = pq.consume_lock().lock().await;
            if pq.is_dropped() {
                return;
            }
            let mut msgs = pq.take_messages(batch);
            if msgs.is_empty() {
                // Ownership released; the next put starts a new task.
                return;
            }
            self.reset_retry_topic(&mut msgs);
            let mut ctx = ConsumeOrderlyContext::new(mq.clone());
            let status = call_orderly(&**listener, &msgs, &mut ctx);
            let go_on = self
                .process_orderly_result(msgs, status, &ctx, &pq, &mq)
                .await;
            drop(guard);
            if !go_on {
                return;
            }
        }
    }

    /// Commits or suspends after a listener call; returns whether the task
    /// continues with the next batch.
    async fn process_orderly_result(
        self: &Arc<Self>,
        msgs: Vec<MessageExt>,
        status: ConsumeOrderlyStatus,
        ctx: &ConsumeOrderlyContext,
        pq: &Arc<ProcessQueue>,
        mq: &MessageQueue,
    ) -> bool {
        let commit = match status {
            ConsumeOrderlyStatus::Success => pq.commit(),
            ConsumeOrderlyStatus::SuspendCurrentQueueAMoment => {
                if self.check_reconsume_times(&msgs, mq).await {
                    pq.make_messages_to_consume_again(msgs);
                    let pause = if ctx.suspend_current_queue_time_millis >= 0 {
                        Duration::from_millis(ctx.suspend_current_queue_time_millis as u64)
                    } else {
                        self.cfg.suspend_current_queue_time
                    };
                    self.submit_orderly(pq.clone(), mq.clone(), pause);
                    return false;
                }
                pq.commit()
            }
        };
        if commit >= 0 && !pq.is_dropped() {
            self.offset_store.update_offset(mq, commit, false);
        }
        true
    }

    /// Whether the suspended messages should be consumed again. Messages
    /// past `max_reconsume_times` go to the dead-letter queue instead (when
    /// that send fails they are retried once more).
    async fn check_reconsume_times(&self, msgs: &[MessageExt], mq: &MessageQueue) -> bool {
        let max = self.cfg.max_reconsume_times;
        if max < 0 {
            return true;
        }
        let mut suspend = false;
        for m in msgs {
            if m.reconsume_times >= max {
                if let Err(e) = self.send_message_back(m, -1, mq).await {
                    tracing::warn!(queue = %mq, offset = m.queue_offset, error = %e, "send to DLQ failed");
                    suspend = true;
                }
            } else {
                suspend = true;
            }
        }
        suspend
    }

    /// Re-locks `mq` after `delay`, then resumes its consumption (soon when
    /// locked, after a while when not).
    fn try_lock_later_and_reconsume(
        self: &Arc<Self>,
        pq: Arc<ProcessQueue>,
        mq: MessageQueue,
        delay: Duration,
    ) {
        let me = self.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if pq.is_dropped() || me.is_stopping() {
                return;
            }
            let locked = me.lock_one(&mq).await;
            if locked {
                pq.set_locked(true);
            }
            let again = if locked {
                Duration::from_millis(10)
            } else {
                Duration::from_secs(3)
            };
            me.submit_orderly(pq, mq, again);
        });
        self.spawn_background(task);
    }
}
