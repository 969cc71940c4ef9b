//! Broker queue locks for orderly consumption (LOCK_BATCH_MQ /
//! UNLOCK_BATCH_MQ): a queue is taken only once locked, the locks of all
//! consumed queues are renewed every 20 s, and released when a queue is
//! given up or the consumer stops.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use protocol::body::{LockBatchRequestBody, UnlockBatchRequestBody};

use super::PushCore;
use crate::consumer::rebalance::master_addr;
use crate::message::MessageQueue;

/// Timeout of lock and unlock calls (Java: 1 s).
const LOCK_TIMEOUT: Duration = Duration::from_secs(1);
/// Period of the lock renewal (Java `rocketmq.client.rebalance.lockInterval`).
const LOCK_INTERVAL: Duration = Duration::from_secs(20);

impl PushCore {
    /// Locks one queue on its broker; true when this client holds it.
    pub(crate) async fn lock_one(&self, mq: &MessageQueue) -> bool {
        let locked = self.lock_batch(&mq.broker_name, [mq.clone()].into()).await;
        let ok = locked.contains(mq);
        if let Some(pq) = self.process_queue(mq) {
            pq.set_locked(ok);
        }
        ok
    }

    /// Renews the locks of every consumed queue; queues whose lock is lost
    /// stop being consumed until it is regained.
    pub(crate) async fn lock_all(&self) {
        let mut by_broker: BTreeMap<String, BTreeSet<MessageQueue>> = BTreeMap::new();
        for mq in self.assigned_queues() {
            by_broker
                .entry(mq.broker_name.clone())
                .or_default()
                .insert(mq);
        }
        for (broker, mqs) in by_broker {
            let locked = self.lock_batch(&broker, mqs.clone()).await;
            for mq in &mqs {
                if let Some(pq) = self.process_queue(mq) {
                    let ok = locked.contains(mq);
                    if !ok && pq.is_locked() {
                        tracing::warn!(queue = %mq, "orderly lock lost");
                    }
                    pq.set_locked(ok);
                }
            }
        }
    }

    async fn lock_batch(
        &self,
        broker: &str,
        mqs: BTreeSet<MessageQueue>,
    ) -> BTreeSet<MessageQueue> {
        let Some(first) = mqs.iter().next().cloned() else {
            return BTreeSet::new();
        };
        let addr = match master_addr(&self.instance, &first).await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(%broker, error = %e, "cannot lock: no master");
                return BTreeSet::new();
            }
        };
        let body = LockBatchRequestBody {
            client_id: self.instance.client_id().to_owned(),
            consumer_group: self.group.clone(),
            mq_set: mqs,
            only_this_broker: false,
        };
        match self
            .instance
            .api()
            .lock_batch_mq(&addr, &body, LOCK_TIMEOUT)
            .await
        {
            Ok(set) => set,
            Err(e) => {
                tracing::debug!(%broker, error = %e, "LOCK_BATCH_MQ failed");
                BTreeSet::new()
            }
        }
    }

    /// Releases the broker lock of one queue.
    pub(crate) async fn unlock(&self, mq: &MessageQueue, oneway: bool) {
        let Ok(addr) = master_addr(&self.instance, mq).await else {
            return;
        };
        let body = UnlockBatchRequestBody {
            client_id: self.instance.client_id().to_owned(),
            consumer_group: self.group.clone(),
            mq_set: [mq.clone()].into(),
            only_this_broker: false,
        };
        if let Err(e) = self
            .instance
            .api()
            .unlock_batch_mq(&addr, &body, LOCK_TIMEOUT, oneway)
            .await
        {
            tracing::debug!(queue = %mq, error = %e, "UNLOCK_BATCH_MQ failed");
        }
    }

    /// Releases every lock (shutdown), one call per broker.
    pub(crate) async fn unlock_all(&self) {
        let mut by_broker: BTreeMap<String, BTreeSet<MessageQueue>> = BTreeMap::new();
        for mq in self.assigned_queues() {
            by_broker
                .entry(mq.broker_name.clone())
                .or_default()
                .insert(mq);
        }
        for (_, mqs) in by_broker {
            let Some(first) = mqs.iter().next().cloned() else {
                continue;
            };
            let Ok(addr) = master_addr(&self.instance, &first).await else {
                continue;
            };
            for mq in &mqs {
                if let Some(pq) = self.process_queue(mq) {
                    pq.set_locked(false);
                }
            }
            let body = UnlockBatchRequestBody {
                client_id: self.instance.client_id().to_owned(),
                consumer_group: self.group.clone(),
                mq_set: mqs,
                only_this_broker: false,
            };
            let _ = self
                .instance
                .api()
                .unlock_batch_mq(&addr, &body, LOCK_TIMEOUT, false)
                .await;
        }
    }

    /// Starts the 20 s lock renewal task.
    pub(crate) fn spawn_lock_renewal(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(LOCK_INTERVAL).await;
                let Some(core) = weak.upgrade() else { return };
                if core.is_stopping() {
                    return;
                }
                core.lock_all().await;
            }
        });
        self.spawn_background(task);
    }
}
