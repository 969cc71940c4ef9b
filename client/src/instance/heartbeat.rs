//! Heartbeats (HEART_BEAT to every broker of the cached routes) and
//! unregistration (UNREGISTER_CLIENT) (PROTOCOL.md §12.1, §12.2).

use protocol::body::{ConsumerData, HeartbeatData, ProducerData};

use super::{MQClientInstance, CLIENT_INNER_PRODUCER_GROUP};

impl MQClientInstance {
    /// What this instance announces: its producer groups (plus
    /// `CLIENT_INNER_PRODUCER`, as Java always does) and its consumers.
    pub fn heartbeat_data(&self) -> HeartbeatData {
        let mut producer_data_set: Vec<ProducerData> = self
            .producers
            .lock()
            .iter()
            .map(|g| ProducerData {
                group_name: g.clone(),
            })
            .collect();
        producer_data_set.push(ProducerData {
            group_name: CLIENT_INNER_PRODUCER_GROUP.to_owned(),
        });
        let consumer_data_set = self
            .consumer_entries()
            .iter()
            .map(|e| ConsumerData {
                consume_from_where: e.hook.consume_from_where(),
                consume_type: e.hook.consume_type(),
                group_name: e.hook.group().to_owned(),
                message_model: e.hook.message_model(),
                subscription_data_set: e.hook.subscriptions(),
                unit_mode: false,
            })
            .collect();
        HeartbeatData {
            client_id: self.client_id.clone(),
            consumer_data_set,
            heartbeat_fingerprint: 0,
            producer_data_set,
            without_sub: false,
        }
    }

    /// Sends one heartbeat to every known broker: masters only when there is
    /// no consumer, every broker otherwise. Failures are logged.
    pub(crate) async fn send_heartbeat_to_all(&self) {
        if self.is_shut_down() {
            return;
        }
        let _one_at_a_time = self.heartbeat_lock.lock().await;
        let data = self.heartbeat_data();
        let masters_only = data.consumer_data_set.is_empty();
        let brokers = self.routes.all_brokers(masters_only);
        let timeout = self.config.mq_client_api_timeout;
        let sends = brokers.iter().map(|(name, id, addr)| {
            let data = &data;
            async move {
                if let Err(e) = self.api.send_heartbeat(addr, data, timeout).await {
                    tracing::debug!(broker = %name, id, addr = %addr, error = %e, "heartbeat failed");
                }
            }
        });
        futures::future::join_all(sends).await;
    }

    /// Tells every known master that this client left a group.
    pub(crate) async fn unregister_client(
        &self,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
    ) {
        let brokers = self.routes.all_brokers(false);
        let timeout = self.config.mq_client_api_timeout;
        let calls = brokers.iter().map(|(name, _, addr)| async move {
            let r = self
                .api
                .unregister_client(
                    addr,
                    &self.client_id,
                    producer_group,
                    consumer_group,
                    timeout,
                )
                .await;
            if let Err(e) = r {
                tracing::debug!(broker = %name, addr = %addr, error = %e, "unregister failed");
            }
        });
        futures::future::join_all(calls).await;
    }
}
