//! Requests brokers send to the client on its connections (PROTOCOL.md §14).

use std::sync::{Arc, Weak};

use protocol::body::fastjson::JsonBody;
use protocol::code::{request, response};
use protocol::header::{
    GetConsumerRunningInfoRequestHeader, NotifyConsumerIdsChangedRequestHeader,
};
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::RemotingCommand;

use super::MQClientInstance;

/// Handles broker-initiated requests for one instance: a consumer-ids
/// change triggers that group's rebalance; unsupported codes get
/// REQUEST_CODE_NOT_SUPPORTED.
pub(super) struct ClientProcessor {
    instance: Weak<MQClientInstance>,
}

impl ClientProcessor {
    pub(super) fn new(instance: Weak<MQClientInstance>) -> Self {
        ClientProcessor { instance }
    }

    fn handle(&self, conn: &Connection, req: RemotingCommand) -> Option<RemotingCommand> {
        let inst = self.instance.upgrade()?;
        match req.code {
            request::NOTIFY_CONSUMER_IDS_CHANGED => {
                match req.header::<NotifyConsumerIdsChangedRequestHeader>() {
                    Ok(h) => {
                        tracing::debug!(
                            group = %h.consumer_group,
                            broker = %conn.peer_addr(),
                            "consumer ids changed; rebalancing"
                        );
                        inst.trigger_rebalance(&h.consumer_group);
                    }
                    Err(e) => tracing::warn!(error = %e, "bad NOTIFY_CONSUMER_IDS_CHANGED"),
                }
                None
            }
            request::GET_CONSUMER_RUNNING_INFO => Some(running_info(&inst, &req)),
            request::CHECK_TRANSACTION_STATE | request::RESET_CONSUMER_CLIENT_OFFSET => {
                tracing::debug!(code = req.code, broker = %conn.peer_addr(), "broker request ignored");
                None
            }
            code => Some(RemotingCommand::error(
                response::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {code} not supported"),
            )),
        }
    }
}

impl Processor for ClientProcessor {
    fn process<'a>(
        &'a self,
        conn: &'a Arc<Connection>,
        request: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        let resp = self.handle(conn, request);
        Box::pin(async move { resp })
    }
}

/// GET_CONSUMER_RUNNING_INFO: the consumer's own report plus its
/// subscriptions and the client's properties (Java's `PROP_*` keys).
fn running_info(inst: &MQClientInstance, req: &RemotingCommand) -> RemotingCommand {
    let h = match req.header::<GetConsumerRunningInfoRequestHeader>() {
        Ok(h) => h,
        Err(e) => return RemotingCommand::error(response::SYSTEM_ERROR, e.to_string()),
    };
    let Some(hook) = inst.consumer(&h.consumer_group) else {
        return RemotingCommand::error(
            response::SYSTEM_ERROR,
            format!(
                "The Consumer Group <{}> not exist in this consumer",
                h.consumer_group
            ),
        );
    };
    let mut info = hook.running_info();
    if info.subscription_set.is_empty() {
        info.subscription_set = hook.subscriptions();
    }
    let mut put = |k: &str, v: String| {
        info.properties
            .entry(k.to_owned())
            .or_insert(serde_json::Value::String(v));
    };
    put("PROP_NAMESERVER_ADDR", inst.api().namesrv_addrs().join(";"));
    put("PROP_CONSUME_TYPE", hook.consume_type().name().to_owned());
    put(
        "PROP_CLIENT_VERSION",
        format!("V{}", env!("CARGO_PKG_VERSION").replace('.', "_")),
    );
    put("PROP_CLIENT_ID", inst.client_id().to_owned());
    RemotingCommand::success().with_body(info.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;
    use crate::instance::{
        ConsumeFromWhere, ConsumeType, ConsumerHook, MessageModel, SubscriptionData,
    };
    use protocol::body::ConsumerRunningInfo;

    struct Hook;

    impl ConsumerHook for Hook {
        fn group(&self) -> &str {
            "G"
        }
        fn message_model(&self) -> MessageModel {
            MessageModel::Clustering
        }
        fn consume_type(&self) -> ConsumeType {
            ConsumeType::ConsumePassively
        }
        fn consume_from_where(&self) -> ConsumeFromWhere {
            ConsumeFromWhere::ConsumeFromLastOffset
        }
        fn subscriptions(&self) -> Vec<SubscriptionData> {
            vec![SubscriptionData::new("T", "*", 1)]
        }
        fn rebalance(&self) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
        fn persist_offsets(&self) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
    }

    #[tokio::test]
    async fn running_info_reports_subscriptions_and_properties() {
        let inst = MQClientInstance::get_or_create(&ClientConfig::with_namesrv("127.0.0.1:1"))
            .await
            .unwrap();
        inst.register_consumer(Arc::new(Hook)).unwrap();
        let mut req = RemotingCommand::new_request(request::GET_CONSUMER_RUNNING_INFO);
        req.ext_fields.put("consumerGroup", "G");
        req.ext_fields.put("clientId", inst.client_id());
        let resp = running_info(&inst, &req);
        assert_eq!(resp.code, response::SUCCESS);
        let info = ConsumerRunningInfo::from_json(&resp.body).unwrap();
        assert_eq!(info.subscription_set[0].topic, "T");
        assert_eq!(
            info.properties["PROP_CONSUME_TYPE"],
            serde_json::json!("CONSUME_PASSIVELY")
        );
        req.ext_fields.put("consumerGroup", "other");
        assert_eq!(running_info(&inst, &req).code, response::SYSTEM_ERROR);
        inst.shutdown();
    }
}
