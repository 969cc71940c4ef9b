//! The concurrent consume service (Java `ConsumeMessageConcurrentlyService`):
//! batches of up to `consume_message_batch_max_size` messages go to the
//! listener on tokio tasks, at most `consume_thread_max` at once. Failed
//! messages of a clustering group go back to the broker for a delayed
//! retry (CONSUMER_SEND_MSG_BACK); if that fails they are consumed again
//! locally after 5 s. The committed offset is the smallest offset still
//! in flight in the queue.

use std::sync::Arc;
use std::time::Duration;

use protocol::header::ConsumerSendMsgBackRequestHeader;

use super::{Listener, PushCore};
use crate::consumer::listener::{acked_count, call_concurrently, ConsumeConcurrentlyContext};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::rebalance::master_addr;
use crate::error::ClientError;
use crate::message::{MessageExt, MessageQueue};

/// Delay before messages whose send-back failed are consumed again.
const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Timeout of CONSUMER_SEND_MSG_BACK.
const SEND_BACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries before the DLQ when the user leaves the default (-1).
const DEFAULT_MAX_RECONSUME_TIMES: i32 = 16;

impl PushCore {
    /// Schedules `msgs` (already cached in `pq`) for the listener, split
    /// into batches, after `delay`.
    pub(crate) fn submit_concurrently(
        self: &Arc<Self>,
        msgs: Vec<MessageExt>,
        pq: Arc<ProcessQueue>,
        mq: MessageQueue,
        delay: Duration,
    ) {
        let batch = self.cfg.consume_message_batch_max_size.max(1);
        if msgs.len() <= batch {
            tokio::spawn(self.clone().consume_batch(msgs, pq, mq, delay));
            return;
        }
        let mut it = msgs.into_iter().peekable();
        while it.peek().is_some() {
            let chunk: Vec<MessageExt> = it.by_ref().take(batch).collect();
            tokio::spawn(
                self.clone()
                    .consume_batch(chunk, pq.clone(), mq.clone(), delay),
            );
        }
    }

    async fn consume_batch(
        self: Arc<Self>,
        mut msgs: Vec<MessageExt>,
        pq: Arc<ProcessQueue>,
        mq: MessageQueue,
        delay: Duration,
    ) {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let Listener::Concurrently(listener) = &self.listener else {
            return;
        };
        // The permit is held until the offset is recorded: shutdown waits
        // for all permits before it commits.
        let Ok(_permit) = self.permits.acquire().await else {
            return;
        };
        if pq.is_dropped() || self.is_stopping() {
            return;
        }
        self.reset_retry_topic(&mut msgs);
        let mut ctx = ConsumeConcurrentlyContext::new(mq.clone());
        let status = call_concurrently(&**listener, &msgs, &mut ctx);
        if pq.is_dropped() {
            return;
        }
        let acked = acked_count(status, ctx.ack_index, msgs.len());
        let mut retry_local = Vec::new();
        if acked < msgs.len() {
            if self.is_clustering() {
                for m in &msgs[acked..] {
                    if let Err(e) = self
                        .send_message_back(m, ctx.delay_level_when_next_consume, &mq)
                        .await
                    {
                        tracing::warn!(queue = %mq, offset = m.queue_offset, error = %e, "send-back failed; retrying locally");
                        retry_local.push(m.clone());
                    }
                }
            } else {
                for m in &msgs[acked..] {
                    tracing::warn!(queue = %mq, offset = m.queue_offset, "broadcast message failed and is dropped");
                }
            }
        }
        let done = msgs.iter().map(|m| m.queue_offset).filter(|o| {
            !retry_local
                .iter()
                .any(|r: &MessageExt| r.queue_offset == *o)
        });
        let offset = pq.remove_messages(done);
        if offset >= 0 && !pq.is_dropped() {
            self.offset_store.update_offset(&mq, offset, true);
        }
        if !retry_local.is_empty() {
            for m in &mut retry_local {
                m.reconsume_times += 1;
            }
            self.submit_concurrently(retry_local, pq, mq, LOCAL_RETRY_DELAY);
        }
    }

    /// CONSUMER_SEND_MSG_BACK of one failed message to the master of the
    /// broker it came from.
    pub(crate) async fn send_message_back(
        &self,
        msg: &MessageExt,
        delay_level: i32,
        mq: &MessageQueue,
    ) -> Result<(), ClientError> {
        let addr = master_addr(&self.instance, mq).await?;
        let max = if self.cfg.max_reconsume_times < 0 {
            if self.is_orderly() {
                i32::MAX
            } else {
                DEFAULT_MAX_RECONSUME_TIMES
            }
        } else {
            self.cfg.max_reconsume_times
        };
        let header = ConsumerSendMsgBackRequestHeader {
            offset: msg.commit_log_offset,
            group: self.group.clone(),
            delay_level,
            origin_msg_id: Some(msg.uniq_key().unwrap_or(&msg.msg_id).to_owned()),
            origin_topic: Some(msg.topic.clone()),
            unit_mode: Some(false),
            max_reconsume_times: Some(max),
            bname: Some(mq.broker_name.clone()),
        };
        self.instance
            .api()
            .consumer_send_msg_back(&addr, &header, SEND_BACK_TIMEOUT)
            .await
    }
}
