//! Orderly consumers' queue locks: LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ
//! (42) (PROTOCOL.md §12.6). Locks are local to this broker; `onlyThisBroker`
//! is accepted and needs nothing more (there is no strict replica mode).

use std::sync::Arc;

use protocol::body::{
    JsonBody, LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody,
};
use protocol::code::request;
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::RemotingCommand;

use crate::context::BrokerContext;
use crate::error::{into_response, BrokerError};

/// The request codes this processor serves.
pub const CODES: &[i32] = &[request::LOCK_BATCH_MQ, request::UNLOCK_BATCH_MQ];

/// Serves queue lock requests.
pub struct LockProcessor {
    ctx: Arc<BrokerContext>,
}

impl LockProcessor {
    /// A processor over the broker's shared state.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        LockProcessor { ctx }
    }

    fn lock(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let body = LockBatchRequestBody::from_json(&req.body)?;
        check_ids(&body.consumer_group, &body.client_id)?;
        let locked =
            self.ctx
                .locks
                .try_lock_batch(&body.consumer_group, &body.mq_set, &body.client_id);
        let resp = LockBatchResponseBody {
            lock_ok_mq_set: locked,
        };
        Ok(RemotingCommand::success().with_body(resp.to_json()))
    }

    fn unlock(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let body = UnlockBatchRequestBody::from_json(&req.body)?;
        check_ids(&body.consumer_group, &body.client_id)?;
        self.ctx
            .locks
            .unlock_batch(&body.consumer_group, &body.mq_set, &body.client_id);
        Ok(RemotingCommand::success())
    }
}

fn check_ids(group: &str, client_id: &str) -> Result<(), BrokerError> {
    if group.is_empty() || client_id.is_empty() {
        return Err(BrokerError::System(
            "the lock request needs consumerGroup and clientId".into(),
        ));
    }
    Ok(())
}

impl Processor for LockProcessor {
    fn process<'a>(
        &'a self,
        _conn: &'a Arc<Connection>,
        req: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async move {
            let result = match req.code {
                request::LOCK_BATCH_MQ => self.lock(&req),
                request::UNLOCK_BATCH_MQ => self.unlock(&req),
                code => Err(BrokerError::not_served(code, "lock")),
            };
            Some(into_response(result))
        })
    }
}
