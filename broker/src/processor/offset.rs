//! Consumer offsets and queue offsets: QUERY_CONSUMER_OFFSET (14),
//! UPDATE_CONSUMER_OFFSET (15), SEARCH_OFFSET_BY_TIMESTAMP (29),
//! GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32),
//! GET_ALL_CONSUMER_OFFSET (43) (PROTOCOL.md §13.1-§13.3, §13.12).

use std::sync::Arc;

use protocol::code::{request, response};
use protocol::header::{
    BoundaryType, GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::RemotingCommand;
use store::{GetMessageStatus, MessageStore};

use crate::context::BrokerContext;
use crate::error::{into_response, BrokerError};

/// The request codes this processor serves.
pub const CODES: &[i32] = &[
    request::QUERY_CONSUMER_OFFSET,
    request::UPDATE_CONSUMER_OFFSET,
    request::SEARCH_OFFSET_BY_TIMESTAMP,
    request::GET_MAX_OFFSET,
    request::GET_MIN_OFFSET,
    request::GET_EARLIEST_MSG_STORETIME,
    request::GET_ALL_CONSUMER_OFFSET,
];

/// Serves offset requests.
pub struct OffsetProcessor {
    ctx: Arc<BrokerContext>,
}

impl OffsetProcessor {
    /// A processor over the broker's shared state.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        OffsetProcessor { ctx }
    }

    /// The stored offset; when there is none, 0 if the queue still starts at
    /// 0 and its first message is in memory (RocketMQ 5.x), else
    /// QUERY_NOT_FOUND, which clients read as "apply consumeFromWhere".
    fn query_consumer_offset(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: QueryConsumerOffsetRequestHeader = req.header()?;
        if let Some(offset) = self
            .ctx
            .offsets
            .query_offset(&h.consumer_group, &h.topic, h.queue_id)
            .filter(|o| *o >= 0)
        {
            return Ok(offset_response(offset));
        }
        if h.set_zero_if_not_found == Some(false) {
            return Ok(RemotingCommand::error(
                response::QUERY_NOT_FOUND,
                "Not found, do not set to zero, maybe this group boot first",
            ));
        }
        let store = &self.ctx.store;
        if store.min_offset_in_queue(&h.topic, h.queue_id) <= 0
            && first_message_in_memory(store, &h.topic, h.queue_id)
        {
            return Ok(offset_response(0));
        }
        Ok(RemotingCommand::error(
            response::QUERY_NOT_FOUND,
            "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
        ))
    }

    fn update_consumer_offset(
        &self,
        req: &RemotingCommand,
    ) -> Result<RemotingCommand, BrokerError> {
        let h: UpdateConsumerOffsetRequestHeader = req.header()?;
        if self
            .ctx
            .subscriptions
            .find_or_create(&h.consumer_group)
            .is_none()
        {
            return Err(BrokerError::SubscriptionGroupNotExist(h.consumer_group));
        }
        let Some(tc) = self.ctx.topics.get(&h.topic) else {
            return Err(BrokerError::TopicNotExist(h.topic));
        };
        let queues = tc.read_queue_nums.max(tc.write_queue_nums);
        if h.queue_id < 0 || h.queue_id >= queues {
            return Err(BrokerError::InvalidParameter(format!(
                "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}]",
                h.queue_id, h.topic, tc.read_queue_nums
            )));
        }
        self.ctx
            .offsets
            .commit_offset(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
        Ok(RemotingCommand::success())
    }

    fn search_offset(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: SearchOffsetRequestHeader = req.header()?;
        let store = &self.ctx.store;
        let offset = match h.boundary_type {
            None => store.offset_by_time(&h.topic, h.queue_id, h.timestamp),
            Some(b) => search_by_boundary(store, &h.topic, h.queue_id, h.timestamp, b),
        };
        Ok(RemotingCommand::success().with_header(&SearchOffsetResponseHeader { offset }))
    }

    fn max_offset(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: GetMaxOffsetRequestHeader = req.header()?;
        let offset = self.ctx.store.max_offset_in_queue(&h.topic, h.queue_id);
        Ok(RemotingCommand::success().with_header(&GetMaxOffsetResponseHeader { offset }))
    }

    fn min_offset(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: GetMinOffsetRequestHeader = req.header()?;
        let offset = self.ctx.store.min_offset_in_queue(&h.topic, h.queue_id);
        Ok(RemotingCommand::success().with_header(&GetMinOffsetResponseHeader { offset }))
    }

    fn earliest_time(&self, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
        let h: GetEarliestMsgStoretimeRequestHeader = req.header()?;
        let timestamp = self
            .ctx
            .store
            .earliest_message_time(&h.topic, h.queue_id)
            .unwrap_or(-1);
        Ok(RemotingCommand::success()
            .with_header(&GetEarliestMsgStoretimeResponseHeader { timestamp }))
    }

    fn all_consumer_offsets(&self) -> Result<RemotingCommand, BrokerError> {
        let (body, _) = self.ctx.offsets.encode()?;
        Ok(RemotingCommand::success().with_body(body))
    }
}

fn offset_response(offset: i64) -> RemotingCommand {
    RemotingCommand::success().with_header(&QueryConsumerOffsetResponseHeader { offset })
}

/// Whether message 0 of the queue exists and is still in the in-memory
/// window (Java's `checkInMemByConsumeOffset(topic, queue, 0, 1)`).
fn first_message_in_memory(store: &MessageStore, topic: &str, queue_id: i32) -> bool {
    let r = store.get_message(topic, queue_id, 0, 1, i32::MAX, None);
    r.status == GetMessageStatus::Found && !r.suggest_pulling_from_slave
}

/// 5.x SEARCH_OFFSET_BY_TIMESTAMP: LOWER = the first offset stored at or
/// after `ts` (the max offset when every message is older), UPPER = the last
/// offset stored at or before `ts` (the min offset when every message is
/// newer). Entries whose data is gone count as older than anything.
fn search_by_boundary(
    store: &MessageStore,
    topic: &str,
    queue_id: i32,
    ts: i64,
    boundary: BoundaryType,
) -> i64 {
    let (min, max) = (
        store.min_offset_in_queue(topic, queue_id),
        store.max_offset_in_queue(topic, queue_id),
    );
    let time = |k: i64| store.store_time_of(topic, queue_id, k).unwrap_or(i64::MIN);
    // First k in [min, max) with pred(k) false, pred monotone (true then false).
    let partition = |pred: &dyn Fn(i64) -> bool| {
        let (mut lo, mut hi) = (min, max);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    match boundary {
        BoundaryType::Lower => partition(&|k| time(k) < ts),
        BoundaryType::Upper => {
            let first_after = partition(&|k| time(k) <= ts);
            if first_after > min {
                first_after - 1
            } else {
                min
            }
        }
    }
}

impl Processor for OffsetProcessor {
    fn process<'a>(
        &'a self,
        _conn: &'a Arc<Connection>,
        req: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async move {
            let result = match req.code {
                request::QUERY_CONSUMER_OFFSET => self.query_consumer_offset(&req),
                request::UPDATE_CONSUMER_OFFSET => self.update_consumer_offset(&req),
                request::SEARCH_OFFSET_BY_TIMESTAMP => self.search_offset(&req),
                request::GET_MAX_OFFSET => self.max_offset(&req),
                request::GET_MIN_OFFSET => self.min_offset(&req),
                request::GET_EARLIEST_MSG_STORETIME => self.earliest_time(&req),
                request::GET_ALL_CONSUMER_OFFSET => self.all_consumer_offsets(),
                code => Err(BrokerError::not_served(code, "offset")),
            };
            Some(into_response(result))
        })
    }
}
