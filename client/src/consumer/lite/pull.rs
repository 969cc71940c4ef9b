//! The prefetch loop of one lite-pull queue (Java `PullTaskImpl`): pulls
//! with the lite-pull and subscription bits, respects pause and flow
//! control, and offers what it finds to the poll cache.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use protocol::body::route::MASTER_ID;
use protocol::header::{pull_sys_flag, PullMessageRequestHeader};

use super::{LiteCore, QueueState};
use crate::api::{PullResult, PullStatus};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::push::{filter_by_tag, Subscription};
use crate::consumer::rebalance;
use crate::error::ClientError;
use crate::message::MessageQueue;

/// Pause over a flow-control threshold (Java: 50 ms).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// Pause of a paused queue (Java: 1 s).
const PAUSE_DELAY: Duration = Duration::from_secs(1);

impl LiteCore {
    /// Prefetches `mq` from `start` (or, when `None`, from the committed
    /// offset / `consume_from_where`) until aborted or dropped.
    pub(crate) async fn prefetch_loop(
        self: Arc<Self>,
        mq: MessageQueue,
        pq: Arc<ProcessQueue>,
        state: Arc<Mutex<QueueState>>,
        generation: u64,
        start: Option<i64>,
    ) {
        let delay_on_error = self.instance().config().pull_time_delay_when_exception;
        let mut offset = match start {
            Some(o) => o,
            None => loop {
                if pq.is_dropped() || self.is_stopping() {
                    return;
                }
                match rebalance::compute_pull_from_where(
                    self.instance(),
                    &self.offset_store,
                    &mq,
                    self.cfg.consume_from_where,
                    self.consume_timestamp_ms,
                )
                .await
                {
                    Ok(o) => break o,
                    Err(e) => {
                        tracing::warn!(queue = %mq, error = %e, "cannot compute start offset");
                        tokio::time::sleep(delay_on_error).await;
                    }
                }
            },
        };
        let mut broker_id = MASTER_ID;
        loop {
            if pq.is_dropped() || self.is_stopping() {
                return;
            }
            pq.touch_pull();
            if state.lock().paused {
                tokio::time::sleep(PAUSE_DELAY).await;
                continue;
            }
            if self.cached_msgs() > self.cfg.pull_threshold_for_all
                || pq.msg_count() > self.cfg.pull_threshold_for_queue
                || pq.msg_size() > self.cfg.pull_threshold_size_for_queue
                || pq.max_span() > self.cfg.consume_max_span
            {
                tokio::time::sleep(FLOW_CONTROL_DELAY).await;
                continue;
            }
            let sub = self.subscription(&mq.topic);
            match self.pull_lite(&mq, &sub, offset, broker_id).await {
                Ok(r) => {
                    broker_id = r.suggest_which_broker_id;
                    let next = r.next_begin_offset;
                    match r.status {
                        PullStatus::Found => {
                            let msgs = filter_by_tag(r.msgs, &sub);
                            if !msgs.is_empty() {
                                self.offer(&mq, &state, generation, &pq, msgs);
                            }
                        }
                        PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {}
                        PullStatus::OffsetIllegal => {
                            tracing::warn!(queue = %mq, offset, next, "pull offset illegal; continuing at the broker's offset");
                        }
                    }
                    offset = next;
                }
                Err(e) => {
                    tracing::debug!(queue = %mq, offset, error = %e, "lite pull failed");
                    broker_id = MASTER_ID;
                    tokio::time::sleep(delay_on_error).await;
                }
            }
        }
    }

    async fn pull_lite(
        &self,
        mq: &MessageQueue,
        sub: &Subscription,
        offset: i64,
        broker_id: i64,
    ) -> Result<PullResult, ClientError> {
        let instance = self.instance();
        let found = match instance
            .routes()
            .find_addr(&mq.broker_name, broker_id, false)
        {
            Some(f) => Some(f),
            None => {
                instance.update_route(&mq.topic).await?;
                instance
                    .routes()
                    .find_addr(&mq.broker_name, broker_id, false)
            }
        };
        let Some((addr, _)) = found else {
            return Err(ClientError::BrokerNotFound(mq.broker_name.clone()));
        };
        let header = PullMessageRequestHeader {
            consumer_group: self.group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: self.cfg.pull_batch_size,
            sys_flag: pull_sys_flag(false, true, true, false, true),
            commit_offset: 0,
            suspend_timeout_millis: self.cfg.broker_suspend_max_time.as_millis() as i64,
            subscription: Some(sub.data.sub_string.clone()),
            sub_version: sub.data.sub_version,
            expression_type: Some(sub.data.expression_type.clone()),
            max_msg_bytes: None,
            request_source: None,
            proxy_froward_client_id: None,
            bname: Some(mq.broker_name.clone()),
        };
        instance
            .api()
            .pull_message(&addr, &header, self.cfg.consumer_timeout_when_suspend)
            .await
    }
}
