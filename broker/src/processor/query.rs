//! Message lookups: QUERY_MESSAGE (12) by key through the index, and
//! VIEW_MESSAGE_BY_ID (33) by CommitLog offset (PROTOCOL.md §13.4, §13.5).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use protocol::code::{request, response};
use protocol::header::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageByIdRequestHeader,
};
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::RemotingCommand;

use crate::context::BrokerContext;
use crate::error::{into_response, BrokerError};

/// The request codes this processor serves.
pub const CODES: &[i32] = &[request::QUERY_MESSAGE, request::VIEW_MESSAGE_BY_ID];

/// RocketMQ's `defaultQueryMaxNum`: results of a unique-key query.
pub const DEFAULT_QUERY_MAX_NUM: i32 = 32;

/// Serves message queries.
pub struct QueryProcessor {
    ctx: Arc<BrokerContext>,
}

impl QueryProcessor {
    /// A processor over the broker's shared state.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        QueryProcessor { ctx }
    }

    fn query_message(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: QueryMessageRequestHeader = req.header()?;
        let max_num = if h.is_unique_key_query() {
            DEFAULT_QUERY_MAX_NUM
        } else {
            h.max_num
        };
        let result = self.ctx.store.query_message(
            &h.topic,
            &h.key,
            max_num,
            h.begin_timestamp,
            h.end_timestamp,
        );
        let header = QueryMessageResponseHeader {
            index_last_update_timestamp: result.index_last_update_timestamp,
            index_last_update_phyoffset: result.index_last_update_phyoffset,
        };
        if result.messages.is_empty() {
            return Ok(RemotingCommand::error(
                response::QUERY_NOT_FOUND,
                "can not find message, maybe time range not correct",
            )
            .with_header(&header));
        }
        Ok(RemotingCommand::success()
            .with_header(&header)
            .with_body(concat(&result.messages)))
    }

    fn view_message(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: ViewMessageByIdRequestHeader = req.header()?;
        let record = (h.offset >= 0)
            .then(|| self.ctx.store.look_message_by_offset(h.offset))
            .flatten();
        match record {
            Some(r) => Ok(RemotingCommand::success().with_body(r)),
            None => Err(BrokerError::System(format!(
                "can not find message by the offset, {}",
                h.offset
            ))),
        }
    }
}

/// The records back to back, as one body.
fn concat(records: &[Bytes]) -> Bytes {
    if let [one] = records {
        return one.clone();
    }
    let mut b = BytesMut::with_capacity(records.iter().map(Bytes::len).sum());
    for r in records {
        b.extend_from_slice(r);
    }
    b.freeze()
}

impl Processor for QueryProcessor {
    fn process<'a>(
        &'a self,
        _conn: &'a Arc<Connection>,
        req: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async move {
            let result = match req.code {
                request::QUERY_MESSAGE => self.query_message(&req),
                request::VIEW_MESSAGE_BY_ID => self.view_message(&req),
                code => Err(BrokerError::not_served(code, "query")),
            };
            Some(into_response(result))
        })
    }
}
