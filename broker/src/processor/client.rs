//! Client registration: HEART_BEAT (34), UNREGISTER_CLIENT (35),
//! GET_CONSUMER_LIST_BY_GROUP (38) (PROTOCOL.md §12.1-§12.3). Also forgets a
//! connection's registrations when it closes.

use std::sync::Arc;

use protocol::body::route::PERM_RW;
use protocol::body::{ConsumeType, GetConsumerListByGroupResponseBody, HeartbeatData, JsonBody};
use protocol::code::request;
use protocol::header::{GetConsumerListByGroupRequestHeader, UnregisterClientRequestHeader};
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::RemotingCommand;

use crate::client_manager::ClientInfo;
use crate::context::BrokerContext;
use crate::error::{into_response, BrokerError};
use crate::topic_manager::retry_topic;

/// The request codes this processor serves.
pub const CODES: &[i32] = &[
    request::HEART_BEAT,
    request::UNREGISTER_CLIENT,
    request::GET_CONSUMER_LIST_BY_GROUP,
];

/// TopicSysFlag bit of a topic with unit subscriptions.
const FLAG_UNIT_SUB: i32 = 0x2;

/// Serves client registration requests and connection-close cleanup.
pub struct ClientProcessor {
    ctx: Arc<BrokerContext>,
}

impl ClientProcessor {
    /// A processor over the broker's shared state.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        ClientProcessor { ctx }
    }

    async fn heartbeat(
        &self,
        conn: &Arc<Connection>,
        req: &RemotingCommand,
    ) -> Result<RemotingCommand, BrokerError> {
        let hb = HeartbeatData::from_json(&req.body)?;
        let client = ClientInfo {
            client_id: hb.client_id.clone(),
            language: req.language,
            version: req.version,
        };
        let reject_pull = self.ctx.config.read().reject_pull_consumer_enable;
        // Heartbeat v2 bodies may omit subscriptions: keep the known ones.
        let keep_subs = hb.heartbeat_fingerprint != 0 && hb.without_sub;
        for data in &hb.consumer_data_set {
            if data.group_name.is_empty() {
                continue;
            }
            if reject_pull && data.consume_type == ConsumeType::ConsumeActively {
                tracing::info!(group = %data.group_name, "pull consumer rejected by rejectPullConsumerEnable");
                continue;
            }
            let mut notify = true;
            if let Some(cfg) = self.ctx.subscriptions.find_or_create(&data.group_name) {
                notify = cfg.notify_consumer_ids_changed_enable;
                let sys_flag = if data.unit_mode { FLAG_UNIT_SUB } else { 0 };
                let topic = retry_topic(&data.group_name);
                if let Err(e) = self
                    .ctx
                    .topics
                    .find_or_create(&topic, cfg.retry_queue_nums.max(1), PERM_RW, sys_flag)
                    .await
                {
                    tracing::warn!(topic = %topic, error = %e, "cannot create retry topic");
                }
            }
            let subs = (!keep_subs).then_some(data.subscription_data_set.as_slice());
            self.ctx
                .clients
                .register_consumer(conn, &client, data, subs, notify);
        }
        for p in &hb.producer_data_set {
            if !p.group_name.is_empty() {
                self.ctx
                    .clients
                    .register_producer(conn, &client, &p.group_name);
            }
        }
        Ok(RemotingCommand::success())
    }

    fn unregister(
        &self,
        conn: &Arc<Connection>,
        req: &RemotingCommand,
    ) -> Result<RemotingCommand, BrokerError> {
        let h: UnregisterClientRequestHeader = req.header()?;
        if let Some(group) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
            self.ctx.clients.unregister_producer(group, conn);
        }
        if let Some(group) = h.consumer_group.as_deref().filter(|g| !g.is_empty()) {
            let notify = self
                .ctx
                .subscriptions
                .find(group)
                .map(|c| c.notify_consumer_ids_changed_enable)
                .unwrap_or(true);
            self.ctx.clients.unregister_consumer(group, conn, notify);
        }
        Ok(RemotingCommand::success())
    }

    fn consumer_list(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: GetConsumerListByGroupRequestHeader = req.header()?;
        let ids = self.ctx.clients.consumer_ids(&h.consumer_group);
        if ids.is_empty() {
            return Err(BrokerError::System(format!(
                "no consumer for this group, {}",
                h.consumer_group
            )));
        }
        let body = GetConsumerListByGroupResponseBody {
            consumer_id_list: ids,
        };
        Ok(RemotingCommand::success().with_body(body.to_json()))
    }
}

impl Processor for ClientProcessor {
    fn process<'a>(
        &'a self,
        conn: &'a Arc<Connection>,
        req: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async move {
            let result = match req.code {
                request::HEART_BEAT => self.heartbeat(conn, &req).await,
                request::UNREGISTER_CLIENT => self.unregister(conn, &req),
                request::GET_CONSUMER_LIST_BY_GROUP => self.consumer_list(&req),
                code => Err(BrokerError::not_served(code, "client")),
            };
            Some(into_response(result))
        })
    }

    fn on_closed(&self, conn: &Arc<Connection>) {
        self.ctx.clients.on_connection_closed(conn);
    }
}
