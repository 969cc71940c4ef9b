//! The instance's periodic jobs: route refresh (30 s), heartbeats (30 s),
//! rebalance (20 s, and on demand), offset commits (5 s).
//!
//! Each job is a task holding only a weak reference, so a dropped instance
//! ends its jobs; [`MQClientInstance::shutdown`] cancels them at once.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::{is_no_route, MQClientInstance};

impl MQClientInstance {
    /// Starts the periodic jobs (called once, by the registry).
    pub(super) fn start_tasks(self: &Arc<Self>) {
        let c = &self.config;
        self.every(
            Duration::from_millis(10),
            c.poll_name_server_interval,
            |i| async move { i.refresh_routes().await },
        );
        self.every(
            Duration::from_secs(1),
            c.heartbeat_broker_interval,
            |i| async move { i.send_heartbeat_to_all().await },
        );
        self.every(
            c.persist_consumer_offset_interval,
            c.persist_consumer_offset_interval,
            |i| async move { i.persist_all_offsets().await },
        );
        self.spawn_rebalance_job();
    }

    fn every<F, Fut>(self: &Arc<Self>, first: Duration, period: Duration, job: F)
    where
        F: Fn(Arc<MQClientInstance>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let weak: Weak<MQClientInstance> = Arc::downgrade(self);
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            let mut wait = first;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
                let Some(inst) = weak.upgrade() else { break };
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = job(inst) => {}
                }
                wait = period;
            }
        });
    }

    fn spawn_rebalance_job(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let cancel = self.cancel.clone();
        let period = self.config.rebalance_interval;
        tokio::spawn(async move {
            loop {
                {
                    let Some(inst) = weak.upgrade() else { break };
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(period) => {}
                        _ = inst.rebalance_all.notified() => {}
                    }
                }
                let Some(inst) = weak.upgrade() else { break };
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = inst.rebalance_all_consumers() => {}
                }
            }
        });
    }

    /// Refreshes the route of every cached topic and every subscribed topic.
    pub(crate) async fn refresh_routes(&self) {
        let mut topics = self.routes.topics();
        for e in self.consumer_entries() {
            topics.extend(e.hook.subscriptions().into_iter().map(|s| s.topic));
        }
        topics.sort();
        topics.dedup();
        for topic in topics {
            match self.update_route(&topic).await {
                Ok(true) => tracing::debug!(topic = %topic, "route changed"),
                Ok(false) => {}
                // A topic still unknown keeps its (template) route.
                Err(e) if is_no_route(&e) => {}
                Err(e) => tracing::debug!(topic = %topic, error = %e, "route refresh failed"),
            }
        }
        self.routes.rebuild_brokers();
    }

    async fn rebalance_all_consumers(&self) {
        for e in self.consumer_entries() {
            let _one_at_a_time = e.rebalance_lock.lock().await;
            e.hook.rebalance().await;
        }
    }

    async fn persist_all_offsets(&self) {
        for e in self.consumer_entries() {
            let _one_at_a_time = e.persist_lock.lock().await;
            e.hook.persist_offsets().await;
        }
    }
}
