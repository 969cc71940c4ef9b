//! Requests brokers send to the client on its connections (PROTOCOL.md §14).

use std::sync::{Arc, Weak};

use protocol::code::{request, response};
use protocol::header::NotifyConsumerIdsChangedRequestHeader;
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
