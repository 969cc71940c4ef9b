//! The pull loop of one assigned queue (Java `PullMessageService` +
//! `DefaultMQPushConsumerImpl.pullMessage`): long-poll PULL_MESSAGE, flow
//! control, hand messages to the consume service, follow
//! `nextBeginOffset`.

use std::sync::Arc;
use std::time::Duration;

use protocol::body::route::MASTER_ID;
use protocol::header::{pull_sys_flag, PullMessageRequestHeader};
use protocol::message::properties::TAGS;

use super::{Listener, PushCore, Subscription};
use crate::api::{PullResult, PullStatus};
use crate::consumer::offset_store::ReadOffsetType;
use crate::consumer::process_queue::ProcessQueue;
use crate::error::ClientError;
use crate::message::{MessageExt, MessageQueue};

/// Pause of a queue over its flow-control thresholds (Java: 50 ms).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);

impl PushCore {
    /// Pulls `mq` from `offset` until the queue is dropped or the consumer
    /// stops.
    pub(crate) async fn pull_loop(
        self: Arc<Self>,
        mq: MessageQueue,
        pq: Arc<ProcessQueue>,
        mut offset: i64,
    ) {
        let mut broker_id = MASTER_ID;
        let mut failures: u32 = 0;
        loop {
            if pq.is_dropped() || self.is_stopping() {
                return;
            }
            pq.touch_pull();
            if let Some(delay) = self.pull_delay(&pq) {
                tokio::time::sleep(delay).await;
                continue;
            }
            let Some(sub) = self.subscription(&mq.topic) else {
                tokio::time::sleep(self.instance.config().pull_time_delay_when_exception).await;
                continue;
            };
            match self.pull_once(&mq, &sub, offset, broker_id).await {
                Ok(result) => {
                    failures = 0;
                    broker_id = result.suggest_which_broker_id;
                    match self.on_pulled(&mq, &pq, &sub, result).await {
                        Some(next) => offset = next,
                        None => return,
                    }
                    if !self.cfg.pull_interval.is_zero() {
                        tokio::time::sleep(self.cfg.pull_interval).await;
                    }
                }
                Err(e) => {
                    failures += 1;
                    if failures == 1 || failures.is_multiple_of(30) {
                        tracing::warn!(queue = %mq, offset, error = %e, failures, "pull failed");
                    }
                    broker_id = MASTER_ID;
                    tokio::time::sleep(self.instance.config().pull_time_delay_when_exception).await;
                }
            }
        }
    }

    /// Why the next pull of `pq` should wait, if it should.
    fn pull_delay(&self, pq: &ProcessQueue) -> Option<Duration> {
        if self.is_paused() {
            return Some(Duration::from_secs(1));
        }
        if pq.msg_count() > self.cfg.pull_threshold_for_queue
            || pq.msg_size() > self.cfg.pull_threshold_size_for_queue
        {
            return Some(FLOW_CONTROL_DELAY);
        }
        match self.listener {
            Listener::Concurrently(_) => (pq.max_span() > self.cfg.consume_concurrently_max_span)
                .then_some(FLOW_CONTROL_DELAY),
            Listener::Orderly(_) => (self.is_clustering() && !pq.is_locked())
                .then(|| self.instance.config().pull_time_delay_when_exception),
        }
    }

    /// One PULL_MESSAGE to the queue's broker (master unless it suggested
    /// another replica).
    async fn pull_once(
        &self,
        mq: &MessageQueue,
        sub: &Subscription,
        offset: i64,
        broker_id: i64,
    ) -> Result<PullResult, ClientError> {
        let routes = self.instance.routes();
        let found = match routes.find_addr(&mq.broker_name, broker_id, false) {
            Some(f) => Some(f),
            None => {
                self.instance.update_route(&mq.topic).await?;
                routes.find_addr(&mq.broker_name, broker_id, false)
            }
        };
        let Some((addr, is_slave)) = found else {
            return Err(ClientError::BrokerNotFound(mq.broker_name.clone()));
        };
        let mut commit_offset = 0;
        if self.is_clustering() && !is_slave {
            if let Ok(Some(o)) = self
                .offset_store
                .read_offset(mq, ReadOffsetType::ReadFromMemory)
                .await
            {
                commit_offset = o;
            }
        }
        let post_sub = self.cfg.post_subscription_when_pull && !sub.data.class_filter_mode;
        let header = PullMessageRequestHeader {
            consumer_group: self.group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: self.cfg.pull_batch_size,
            sys_flag: pull_sys_flag(commit_offset > 0, true, post_sub, false, false),
            commit_offset,
            suspend_timeout_millis: self.cfg.broker_suspend_max_time.as_millis() as i64,
            subscription: post_sub.then(|| sub.data.sub_string.clone()),
            sub_version: sub.data.sub_version,
            expression_type: Some(sub.data.expression_type.clone()),
            max_msg_bytes: Some(self.cfg.pull_batch_size_in_bytes),
            request_source: None,
            proxy_froward_client_id: None,
            bname: Some(mq.broker_name.clone()),
        };
        self.instance
            .api()
            .pull_message(&addr, &header, self.cfg.consumer_timeout_when_suspend)
            .await
    }

    /// Handles a pull result; returns the next offset, or `None` when the
    /// loop must end (the queue's offset moved and it was given up).
    async fn on_pulled(
        &self,
        mq: &MessageQueue,
        pq: &Arc<ProcessQueue>,
        sub: &Subscription,
        result: PullResult,
    ) -> Option<i64> {
        let next = result.next_begin_offset;
        match result.status {
            PullStatus::Found => {
                let msgs = filter_by_tag(result.msgs, sub);
                if !msgs.is_empty() && !pq.is_dropped() {
                    self.dispatch(mq, pq, msgs);
                }
                Some(next)
            }
            PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {
                if pq.is_empty() && !pq.is_dropped() {
                    self.offset_store.update_offset(mq, next, true);
                }
                Some(next)
            }
            PullStatus::OffsetIllegal => {
                tracing::warn!(queue = %mq, next, "pull offset illegal; restarting the queue there");
                pq.set_dropped();
                self.offset_store.update_offset(mq, next, false);
                if let Err(e) = self.offset_store.persist(mq).await {
                    tracing::warn!(queue = %mq, error = %e, "persisting moved offset failed");
                }
                self.forget_queue(mq);
                self.instance.trigger_rebalance(&self.group);
                None
            }
        }
    }

    /// Hands pulled messages to the consume service.
    fn dispatch(&self, mq: &MessageQueue, pq: &Arc<ProcessQueue>, msgs: Vec<MessageExt>) {
        let Some(me) = self.arc() else { return };
        match &self.listener {
            Listener::Concurrently(_) => {
                pq.put_offsets(&msgs);
                me.submit_concurrently(msgs, pq.clone(), mq.clone(), Duration::ZERO);
            }
            Listener::Orderly(_) => {
                if pq.put_messages(msgs) {
                    me.submit_orderly(pq.clone(), mq.clone(), Duration::ZERO);
                }
            }
        }
    }
}

/// Keeps the messages whose tag the subscription names (the broker filtered
/// by hash code only, so collisions can slip through).
pub(crate) fn filter_by_tag(mut msgs: Vec<MessageExt>, sub: &Subscription) -> Vec<MessageExt> {
    if sub.expr.is_all() || sub.data.class_filter_mode {
        return msgs;
    }
    msgs.retain(|m| sub.expr.matches(m.property(TAGS)));
    msgs
}
