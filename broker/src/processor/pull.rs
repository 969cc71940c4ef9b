//! PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361) with long polling and tag
//! filtering (PROTOCOL.md §12.4, STORAGE.md §16).
//!
//! A pull is checked (broker, group, topic, queue, subscription), read from
//! the store and answered. When nothing is there yet and the client allows
//! suspension, the request waits on its queue ([`crate::long_poll`]) until a
//! message arrives or `suspendTimeoutMillis` passes, then re-reads and
//! answers (PULL_NOT_FOUND on timeout). Entries that do not match the tag
//! filter are skipped while holding: the hold continues from past them, and
//! the answer's `nextBeginOffset` says so.
//!
//! The response body is the stored records back to back: the store hands
//! out zero-copy slices of the mapped CommitLog and the response carries
//! them as body segments, which the net layer writes to the socket in place
//! (no copy in user space).

use std::sync::Arc;
use std::time::Duration;

use protocol::body::route::is_readable;
use protocol::body::{MessageModel, SubscriptionGroupConfig};
use protocol::code::{request, response};
use protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::RemotingCommand;
use store::{GetMessageResult, GetMessageStatus};

use crate::client_manager::SubscriptionMiss;
use crate::context::BrokerContext;
use crate::error::{into_response, BrokerError};
use crate::filter::SubscriptionFilter;

/// The codes this processor serves.
pub const CODES: &[i32] = &[request::PULL_MESSAGE, request::LITE_PULL_MESSAGE];

/// Longest single wait between re-checks of a held pull: a safety net should
/// an arrival notification ever be missed (Java re-checks every 5 s).
const RECHECK_INTERVAL: Duration = Duration::from_secs(5);
/// Broker id of a master.
const MASTER_ID: i64 = 0;

/// Serves consumers' pulls.
pub struct PullProcessor {
    ctx: Arc<BrokerContext>,
}

impl PullProcessor {
    /// A processor over the broker's shared state.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        PullProcessor { ctx }
    }
}

impl Processor for PullProcessor {
    fn process<'a>(
        &'a self,
        _conn: &'a Arc<Connection>,
        req: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async move { Some(into_response(pull(&self.ctx, &req).await)) })
    }
}

/// What a checked pull needs to read and answer.
struct Checked {
    header: PullMessageRequestHeader,
    group: Arc<SubscriptionGroupConfig>,
    filter: Arc<SubscriptionFilter>,
    is_slave: bool,
    slave_read_enable: bool,
    hold_millis: Option<u64>,
}

async fn pull(ctx: &BrokerContext, req: &RemotingCommand) -> Result<RemotingCommand, BrokerError> {
    let c = check(ctx, req)?;
    let h = &c.header;
    let max_bytes = h.max_msg_bytes.filter(|b| *b > 0).unwrap_or(i32::MAX);
    let mut offset = h.queue_offset;
    let mut result = get(ctx, &c, offset, max_bytes);
    if h.has_commit_offset() && !c.is_slave {
        ctx.offsets
            .commit_offset(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }
    if let Some(hold_ms) = c.hold_millis {
        if nothing_new(&result, offset) {
            let deadline = tokio::time::Instant::now() + Duration::from_millis(hold_ms);
            result = hold(ctx, &c, &mut offset, result, deadline, max_bytes).await;
        }
    }
    ctx.offsets.record_pull_offset(
        &h.consumer_group,
        &h.topic,
        h.queue_id,
        result.next_begin_offset,
    );
    Ok(respond(&c, offset, result))
}

/// Validates the request as Java does, in Java's order.
fn check(ctx: &BrokerContext, req: &RemotingCommand) -> Result<Checked, BrokerError> {
    let header: PullMessageRequestHeader = req.header()?;
    let cfg = ctx.config.read();
    let ip = ctx.store_host.ip();
    if !is_readable(cfg.broker_permission) {
        return Err(BrokerError::NoPermission(format!(
            "the broker[{ip}] pulling message is forbidden"
        )));
    }
    if req.code == request::LITE_PULL_MESSAGE && !cfg.lite_pull_message_enable {
        return Err(BrokerError::NoPermission(format!(
            "the broker[{ip}] for lite pull consumer is forbidden"
        )));
    }
    let group = ctx
        .subscriptions
        .find_or_create(&header.consumer_group)
        .ok_or_else(|| BrokerError::SubscriptionGroupNotExist(header.consumer_group.clone()))?;
    if !group.consume_enable {
        return Err(BrokerError::NoPermission(format!(
            "subscription group no permission, {}",
            header.consumer_group
        )));
    }
    let topic = ctx
        .topics
        .get(&header.topic)
        .ok_or_else(|| BrokerError::TopicNotExist(header.topic.clone()))?;
    if !is_readable(topic.perm) {
        return Err(BrokerError::NoPermission(format!(
            "the topic[{}] pulling message is forbidden",
            header.topic
        )));
    }
    if header.queue_id < 0 || header.queue_id >= topic.read_queue_nums {
        return Err(BrokerError::InvalidParameter(format!(
            "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
            header.queue_id, header.topic, topic.read_queue_nums, header.consumer_group
        )));
    }
    let filter = if header.has_subscription() {
        let expr = header.subscription.as_deref().unwrap_or("*");
        SubscriptionFilter::parse_typed(expr, header.expression_type.as_deref())
            .map(Arc::new)
            .map_err(|e| {
                BrokerError::SubscriptionParseFailed(format!(
                    "parse the consumer's subscription[{expr}] failed: {e}"
                ))
            })?
    } else {
        registered_filter(ctx, &header, &group)?
    };
    let hold_millis = (header.has_suspend()).then(|| {
        if cfg.long_polling_enable {
            header.suspend_timeout_millis.max(0) as u64
        } else {
            cfg.short_polling_time_mills
        }
    });
    Ok(Checked {
        header,
        group,
        filter,
        is_slave: cfg.is_slave(),
        slave_read_enable: cfg.slave_read_enable,
        hold_millis,
    })
}

/// The filter of the subscription the group registered by heartbeat.
fn registered_filter(
    ctx: &BrokerContext,
    h: &PullMessageRequestHeader,
    group: &SubscriptionGroupConfig,
) -> Result<Arc<SubscriptionFilter>, BrokerError> {
    let sub = ctx
        .clients
        .subscription(&h.consumer_group, &h.topic)
        .map_err(|miss| {
            BrokerError::SubscriptionNotExist(match miss {
                SubscriptionMiss::GroupNotOnline => format!(
                    "the consumer's group info not exist, group: {}",
                    h.consumer_group
                ),
                SubscriptionMiss::TopicNotSubscribed => format!(
                    "the consumer's subscription not exist, group: {}, topic: {}",
                    h.consumer_group, h.topic
                ),
            })
        })?;
    if !group.consume_broadcast_enable
        && ctx.clients.message_model(&h.consumer_group) == Some(MessageModel::Broadcasting)
    {
        return Err(BrokerError::NoPermission(format!(
            "the consumer group[{}] can not consume by broadcast way",
            h.consumer_group
        )));
    }
    if sub.data.sub_version < h.sub_version {
        return Err(BrokerError::SubscriptionNotLatest(format!(
            "the consumer's subscription not latest, group: {} topic: {}",
            h.consumer_group, h.topic
        )));
    }
    match &sub.filter {
        Some(f) => Ok(Arc::new(f.clone())),
        None => Err(BrokerError::System(format!(
            "the broker does not support consumers filtering messages by {}",
            sub.data.expression_type
        ))),
    }
}

fn get(ctx: &BrokerContext, c: &Checked, offset: i64, max_bytes: i32) -> GetMessageResult {
    let h = &c.header;
    let filter = &c.filter;
    let matches = |tags_code: i64| filter.matches_code(tags_code);
    let filter_fn: Option<&dyn Fn(i64) -> bool> = if filter.is_all() {
        None
    } else {
        Some(&matches)
    };
    ctx.store.get_message(
        &h.topic,
        h.queue_id,
        offset,
        h.max_msg_nums.max(1),
        max_bytes,
        filter_fn,
    )
}

/// Whether a read from `offset` means "wait for more": PULL_NOT_FOUND
/// (at the end, or an empty/unknown queue read from 0), or every entry up
/// to the end of the queue skipped by the filter.
fn nothing_new(r: &GetMessageResult, offset: i64) -> bool {
    match r.status {
        GetMessageStatus::OffsetOverflowOne | GetMessageStatus::OffsetFoundNull => true,
        GetMessageStatus::NoMatchedLogicQueue | GetMessageStatus::NoMessageInQueue => offset == 0,
        GetMessageStatus::NoMatchedMessage => r.next_begin_offset >= r.max_offset,
        _ => false,
    }
}

/// Holds the pull until a matching message arrives or `deadline`; returns
/// the last read. `offset` moves past entries the filter skipped.
async fn hold(
    ctx: &BrokerContext,
    c: &Checked,
    offset: &mut i64,
    mut result: GetMessageResult,
    deadline: tokio::time::Instant,
    max_bytes: i32,
) -> GetMessageResult {
    let h = &c.header;
    let hold = ctx.pull_hold.hold(&h.topic, h.queue_id);
    loop {
        if result.status == GetMessageStatus::NoMatchedMessage {
            *offset = result.next_begin_offset;
        }
        let now = tokio::time::Instant::now();
        if now >= deadline || ctx.is_shutting_down() {
            return result;
        }
        let notified = hold.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        // Re-check after registering, so an arrival in between is not lost.
        result = get(ctx, c, *offset, max_bytes);
        if !nothing_new(&result, *offset) {
            return result;
        }
        if result.status == GetMessageStatus::NoMatchedMessage {
            *offset = result.next_begin_offset;
        }
        let wake = deadline.min(now + RECHECK_INTERVAL);
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(wake) => {}
        }
        result = get(ctx, c, *offset, max_bytes);
        if !nothing_new(&result, *offset) {
            return result;
        }
    }
}

/// Maps a store result to the pull response (PROTOCOL.md §12.4).
fn respond(c: &Checked, requested: i64, result: GetMessageResult) -> RemotingCommand {
    use GetMessageStatus as S;
    let mut code = match result.status {
        S::Found => response::SUCCESS,
        S::NoMatchedMessage | S::MessageWasRemoving => response::PULL_RETRY_IMMEDIATELY,
        S::NoMatchedLogicQueue | S::NoMessageInQueue if requested != 0 => {
            response::PULL_OFFSET_MOVED
        }
        S::NoMatchedLogicQueue | S::NoMessageInQueue => response::PULL_NOT_FOUND,
        S::OffsetOverflowOne | S::OffsetFoundNull => response::PULL_NOT_FOUND,
        S::OffsetOverflowBadly | S::OffsetTooSmall => response::PULL_OFFSET_MOVED,
    };
    // Filtered to the end of the queue while holding: nothing new to give.
    if result.status == S::NoMatchedMessage && nothing_new(&result, requested) {
        code = response::PULL_NOT_FOUND;
    }
    let mut suggest = if c.slave_read_enable && result.suggest_pulling_from_slave {
        c.group.which_broker_when_consume_slowly
    } else if c.slave_read_enable {
        c.group.broker_id
    } else {
        MASTER_ID
    };
    if c.is_slave && !c.slave_read_enable {
        suggest = MASTER_ID;
        if code != response::SUCCESS {
            code = response::PULL_RETRY_IMMEDIATELY;
        }
    }
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: suggest,
        next_begin_offset: result.next_begin_offset,
        min_offset: result.min_offset,
        max_offset: result.max_offset,
        ..Default::default()
    };
    let mut resp = RemotingCommand::response(code, Some(result.status.as_str().to_owned()))
        .with_header(&header);
    if code == response::SUCCESS {
        resp = resp.with_body_parts(result.messages);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: GetMessageStatus, next: i64, max: i64) -> GetMessageResult {
        GetMessageResult {
            status,
            next_begin_offset: next,
            min_offset: 0,
            max_offset: max,
            messages: Vec::new(),
            queue_offsets: Vec::new(),
            buffer_total_size: 0,
            suggest_pulling_from_slave: false,
        }
    }

    fn checked() -> Checked {
        Checked {
            header: PullMessageRequestHeader::default(),
            group: Arc::new(SubscriptionGroupConfig::new("G")),
            filter: Arc::new(SubscriptionFilter::all()),
            is_slave: false,
            slave_read_enable: false,
            hold_millis: None,
        }
    }

    #[test]
    fn status_to_code() {
        use GetMessageStatus as S;
        let c = checked();
        let code = |s, req, next, max| respond(&c, req, result(s, next, max)).code;
        assert_eq!(
            code(S::OffsetOverflowOne, 5, 5, 5),
            response::PULL_NOT_FOUND
        );
        assert_eq!(
            code(S::OffsetOverflowBadly, 9, 5, 5),
            response::PULL_OFFSET_MOVED
        );
        assert_eq!(
            code(S::OffsetTooSmall, 0, 3, 5),
            response::PULL_OFFSET_MOVED
        );
        assert_eq!(code(S::NoMessageInQueue, 0, 0, 0), response::PULL_NOT_FOUND);
        assert_eq!(
            code(S::NoMessageInQueue, 4, 0, 0),
            response::PULL_OFFSET_MOVED
        );
        assert_eq!(
            code(S::NoMatchedLogicQueue, 0, 0, 0),
            response::PULL_NOT_FOUND
        );
        assert_eq!(
            code(S::NoMatchedMessage, 0, 3, 9),
            response::PULL_RETRY_IMMEDIATELY
        );
        assert_eq!(code(S::NoMatchedMessage, 0, 9, 9), response::PULL_NOT_FOUND);
        assert_eq!(
            code(S::MessageWasRemoving, 0, 3, 9),
            response::PULL_RETRY_IMMEDIATELY
        );
        let r = respond(&c, 5, result(S::OffsetOverflowOne, 5, 5));
        assert_eq!(r.remark_str(), "OFFSET_OVERFLOW_ONE");
        let h: PullMessageResponseHeader = r.header().unwrap();
        assert_eq!(
            (h.next_begin_offset, h.max_offset, h.suggest_which_broker_id),
            (5, 5, 0)
        );
    }

    #[test]
    fn what_is_held() {
        use GetMessageStatus as S;
        assert!(nothing_new(&result(S::OffsetOverflowOne, 5, 5), 5));
        assert!(nothing_new(&result(S::NoMatchedLogicQueue, 0, 0), 0));
        // An offset into a queue that does not exist moves at once.
        assert!(!nothing_new(&result(S::NoMatchedLogicQueue, 0, 0), 7));
        assert!(nothing_new(&result(S::NoMatchedMessage, 9, 9), 3));
        assert!(!nothing_new(&result(S::NoMatchedMessage, 4, 9), 3));
        assert!(!nothing_new(&result(S::OffsetTooSmall, 4, 9), 3));
        assert!(!nothing_new(&result(S::Found, 4, 9), 3));
    }

    #[test]
    fn found_records_become_body_segments() {
        use bytes::Bytes;
        let mut r = result(GetMessageStatus::Found, 2, 2);
        r.messages = vec![Bytes::from_static(b"rec-0"), Bytes::from_static(b"rec-1")];
        let resp = respond(&checked(), 0, r);
        assert_eq!(resp.code, response::SUCCESS);
        assert_eq!(resp.body_len(), 10);
        assert_eq!(&resp.contiguous_body()[..], b"rec-0rec-1");
    }
}
