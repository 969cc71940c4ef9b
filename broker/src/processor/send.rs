//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and
//! CONSUMER_SEND_MSG_BACK (36) (PROTOCOL.md §11.1, §12.5).
//!
//! A send is: decode the header, check broker/topic/queue, build the
//! message(s) with the body as a zero-copy slice of the request frame,
//! append, and wait for the flush when SYNC_FLUSH asks for it (an `.await`
//! on the store's group commit, never a blocked runtime thread).
//!
//! Deferred to later issues (documented in broker/README.md): messages with
//! a `DELAY` level and transactional half messages are stored where Java
//! stores them (`SCHEDULE_TOPIC_XXXX`, `RMQ_SYS_TRANS_HALF_TOPIC`) with
//! `REAL_TOPIC`/`REAL_QID`, but the services that deliver them (schedule,
//! END_TRANSACTION/check-back) do not exist yet.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use protocol::body::route::{is_writeable, TopicConfig, TopicFilterType, PERM_RW};
use protocol::code::request;
use protocol::header::{SendMessageRequestHeaderRef, SendMessageResponseHeader};
use protocol::message::properties::{self as props, find_property};
use protocol::message::sysflag;
use protocol::message::{decode_batch, tag_hash_code};
use protocol::net::{BoxFuture, Connection, Processor};
use protocol::{ExtFields, RemotingCommand};
use store::MessageToStore;

use super::send_back;
use crate::context::BrokerContext;
use crate::error::{into_response, put_status_code, BrokerError};
use crate::topic_manager::{
    check_send_allowed, dlq_topic, validate_topic, DLQ_GROUP_TOPIC_PREFIX,
    RETRY_GROUP_TOPIC_PREFIX, SCHEDULE_TOPIC, TRANS_HALF_TOPIC,
};

/// The codes this processor serves.
pub const CODES: &[i32] = &[
    request::SEND_MESSAGE,
    request::SEND_MESSAGE_V2,
    request::SEND_BATCH_MESSAGE,
    request::CONSUMER_SEND_MSG_BACK,
];

/// Version ordinal of V3_4_9: from it on, a client's `maxReconsumeTimes` is honoured.
pub(crate) const V3_4_9: i32 = 121;
/// Largest properties string a record holds (signed 16-bit length).
const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;
/// Delay levels of the schedule topic (one queue each).
const MAX_DELAY_LEVEL: i32 = 18;

/// Serves producers' sends and consumers' send-backs.
pub struct SendProcessor {
    ctx: Arc<BrokerContext>,
}

impl SendProcessor {
    /// A processor over the broker's shared state.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        SendProcessor { ctx }
    }
}

impl Processor for SendProcessor {
    fn process<'a>(
        &'a self,
        conn: &'a Arc<Connection>,
        req: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async move {
            let resp = match req.code {
                request::CONSUMER_SEND_MSG_BACK => {
                    into_response(send_back::handle(&self.ctx, &req).await)
                }
                _ => {
                    let mut resp = into_response(send(&self.ctx, conn.peer_addr(), &req).await);
                    let cfg = self.ctx.config.read();
                    resp.ext_fields.put_str(props::MSG_REGION, &cfg.region_id);
                    resp.ext_fields
                        .put_str(props::TRACE_ON, if cfg.trace_on { "true" } else { "false" });
                    resp
                }
            };
            Some(resp)
        })
    }
}

/// Counts a send in flight for its lifetime (the flow-control bound).
struct InFlight<'a>(&'a BrokerContext);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.sends_in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The per-send facts read from the config under one short lock.
struct SendSettings {
    broker_permission: i32,
    is_slave: bool,
    max_message_size: usize,
    queue_capacity: usize,
    reject_transaction: bool,
}

fn settings(ctx: &BrokerContext) -> SendSettings {
    let cfg = ctx.config.read();
    SendSettings {
        broker_permission: cfg.broker_permission,
        is_slave: cfg.is_slave(),
        max_message_size: cfg.store.max_message_size as usize,
        queue_capacity: cfg.send_thread_pool_queue_capacity.max(1),
        reject_transaction: cfg.reject_transaction_message,
    }
}

async fn send(
    ctx: &BrokerContext,
    born_host: SocketAddr,
    req: &RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let header = SendMessageRequestHeaderRef::read_for_code(req.code, &req.ext_fields)?;
    let s = settings(ctx);
    if ctx.sends_in_flight.fetch_add(1, Ordering::Relaxed) >= s.queue_capacity {
        ctx.sends_in_flight.fetch_sub(1, Ordering::Relaxed);
        return Err(BrokerError::SystemBusy(
            "[OVERLOAD]system busy, start flow control for a while".into(),
        ));
    }
    let _in_flight = InFlight(ctx);
    if s.is_slave {
        return Err(BrokerError::SystemBusy(
            "[REJECTREQUEST]system busy, start flow control for a while".into(),
        ));
    }
    if ctx.is_shutting_down() {
        return Err(BrokerError::ServiceNotAvailable(
            "the broker is shutting down".into(),
        ));
    }
    let batch = req.code == request::SEND_BATCH_MESSAGE || header.is_batch();
    let topic_config = check_topic(ctx, &header, &s, batch).await?;
    let queue_id = pick_queue(&header, &topic_config, born_host)?;

    // Room for the properties the broker may append (UNIQ_KEY, CLUSTER, ...).
    let request_props = header.properties.unwrap_or_default();
    let mut properties = String::with_capacity(request_props.len() + 96);
    properties.push_str(request_props);
    let mut queue_id = queue_id;
    let mut topic = None;
    if header.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        if batch {
            return Err(BrokerError::MessageIllegal(format!(
                "batch request does not support retry group {}",
                header.topic
            )));
        }
        if let Some((dlq, q)) = retry_to_dlq(ctx, &header, req.version).await? {
            topic = Some(dlq);
            queue_id = q;
            properties = props_without(&properties, props::DELAY);
        }
    }
    let topic = topic.unwrap_or_else(|| header.topic.to_owned());
    let mut sys_flag = header.sys_flag;
    if topic_config.topic_filter_type == TopicFilterType::MultiTag {
        sys_flag |= sysflag::MULTI_TAGS_FLAG;
    }
    let base = MessageToStore {
        topic,
        queue_id,
        flag: header.flag,
        body: Bytes::new(),
        properties: String::new(),
        sys_flag,
        born_timestamp: header.born_timestamp,
        born_host,
        store_host: ctx.store_host,
        reconsume_times: header.reconsume_times(),
        prepared_transaction_offset: 0,
    };

    let (put, uniq_key) = if batch {
        let msgs = batch_messages(ctx, &base, &req.body, &properties, &s)?;
        (ctx.store.put_messages(&msgs), None)
    } else {
        check_sizes(req.body.len(), properties.len(), &s)?;
        let (msg, uniq) = single_message(ctx, base, req.body.clone(), properties, &s)?;
        (ctx.store.put_message(&msg), uniq)
    };
    let result = put.await;
    let code = put_status_code(result.status)?;
    let resp_header = SendMessageResponseHeader {
        msg_id: result.msg_id,
        queue_id,
        queue_offset: result.queue_offset,
        transaction_id: uniq_key,
        ..Default::default()
    };
    let mut resp = RemotingCommand::response(code, None);
    // msgId, queueId, queueOffset, transactionId, MSG_REGION, TRACE_ON.
    resp.ext_fields = ExtFields::with_capacity_and_text(6, 160);
    Ok(resp.with_header(&resp_header))
}

/// Broker/topic permission, topic name, and topic lookup or auto-creation.
async fn check_topic(
    ctx: &BrokerContext,
    header: &SendMessageRequestHeaderRef<'_>,
    s: &SendSettings,
    batch: bool,
) -> Result<Arc<TopicConfig>, BrokerError> {
    let topic = header.topic;
    if !is_writeable(s.broker_permission) {
        return Err(BrokerError::NoPermission(format!(
            "the broker[{}] sending message is forbidden",
            ctx.store_host.ip()
        )));
    }
    validate_topic(topic).map_err(|e| match e {
        BrokerError::InvalidTopic(r) if batch => BrokerError::MessageIllegal(r),
        e => e,
    })?;
    check_send_allowed(topic)?;
    let sys_flag = topic_sys_flag(header);
    let mut tc = ctx
        .topics
        .find_or_create_for_send(
            topic,
            header.default_topic,
            header.default_topic_queue_nums,
            sys_flag,
        )
        .await?;
    if tc.is_none() && topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        tc = Some(
            ctx.topics
                .find_or_create(topic, 1, PERM_RW, sys_flag)
                .await?,
        );
    }
    let tc = tc.ok_or_else(|| BrokerError::TopicNotExist(topic.to_owned()))?;
    if !is_writeable(tc.perm) {
        return Err(BrokerError::NoPermission(format!(
            "the topic[{topic}] sending message is forbidden"
        )));
    }
    Ok(tc)
}

/// TopicSysFlag for an auto-created topic: unit bits from the request.
fn topic_sys_flag(header: &SendMessageRequestHeaderRef<'_>) -> i32 {
    match (
        header.is_unit_mode(),
        header.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX),
    ) {
        (false, _) => 0,
        (true, true) => 0x2,
        (true, false) => 0x1,
    }
}

/// The requested queue, or a random writable one for a negative id.
fn pick_queue(
    header: &SendMessageRequestHeaderRef<'_>,
    tc: &TopicConfig,
    born_host: SocketAddr,
) -> Result<i32, BrokerError> {
    let limit = tc.write_queue_nums.max(tc.read_queue_nums);
    if header.queue_id >= limit {
        return Err(BrokerError::InvalidParameter(format!(
            "request queueId[{}] is illegal, topic[{}] has {} write and {} read queues, Producer: {}",
            header.queue_id, tc.topic_name, tc.write_queue_nums, tc.read_queue_nums, born_host
        )));
    }
    if header.queue_id >= 0 {
        return Ok(header.queue_id);
    }
    if tc.write_queue_nums <= 0 {
        return Err(BrokerError::InvalidParameter(format!(
            "topic[{}] has no writable queue",
            tc.topic_name
        )));
    }
    Ok((rand::random::<u32>() % tc.write_queue_nums as u32) as i32)
}

/// For a send to `%RETRY%<group>` past the group's retry limit: the DLQ
/// topic and queue it is diverted to (PROTOCOL.md §11.1 step 7).
async fn retry_to_dlq(
    ctx: &BrokerContext,
    header: &SendMessageRequestHeaderRef<'_>,
    version: i32,
) -> Result<Option<(String, i32)>, BrokerError> {
    let group = &header.topic[RETRY_GROUP_TOPIC_PREFIX.len()..];
    let group_cfg = ctx
        .subscriptions
        .find_or_create(group)
        .ok_or_else(|| BrokerError::SubscriptionGroupNotExist(group.to_owned()))?;
    let max = match header.max_reconsume_times {
        Some(m) if version >= V3_4_9 => m,
        _ => group_cfg.retry_max_times,
    };
    if header.reconsume_times() <= max {
        return Ok(None);
    }
    let dlq = dlq_topic(group);
    let tc = ctx.topics.find_or_create(&dlq, 1, PERM_RW, 0).await?;
    if !is_writeable(tc.perm) {
        return Err(BrokerError::NoPermission(format!(
            "the topic[{dlq}] sending message is forbidden"
        )));
    }
    debug_assert!(dlq.starts_with(DLQ_GROUP_TOPIC_PREFIX));
    Ok(Some((dlq, 0)))
}

fn check_sizes(body_len: usize, props_len: usize, s: &SendSettings) -> Result<(), BrokerError> {
    if body_len > s.max_message_size {
        return Err(BrokerError::MessageIllegal(format!(
            "the message body size {body_len} exceeds the limit {} (maxMessageSize)",
            s.max_message_size
        )));
    }
    if props_len > MAX_PROPERTIES_LEN {
        return Err(BrokerError::MessageIllegal(format!(
            "the message properties length {props_len} exceeds the limit {MAX_PROPERTIES_LEN}"
        )));
    }
    Ok(())
}

/// What the send path needs to know about a message's properties, read in
/// one pass over the encoded string.
#[derive(Debug, Default)]
struct PropFacts {
    has_uniq_key: bool,
    has_cluster: bool,
    has_pop_ck: bool,
    transactional: bool,
    delay_level: Option<i32>,
}

fn prop_facts(properties: &str) -> PropFacts {
    let mut f = PropFacts::default();
    props::for_each_property(properties, |k, v| match k {
        props::UNIQ_KEY => f.has_uniq_key = true,
        props::CLUSTER => f.has_cluster = true,
        props::POP_CK => f.has_pop_ck = true,
        props::TRAN_MSG => f.transactional = v == "true",
        props::DELAY => f.delay_level = v.trim().parse::<i32>().ok().filter(|l| *l > 0),
        _ => {}
    });
    f
}

/// Builds one message; returns it and, for a transactional half message,
/// its UNIQ_KEY (the response's transactionId).
fn single_message(
    ctx: &BrokerContext,
    mut msg: MessageToStore,
    body: Bytes,
    mut properties: String,
    s: &SendSettings,
) -> Result<(MessageToStore, Option<String>), BrokerError> {
    let facts = prop_facts(&properties);
    if facts.has_pop_ck {
        properties = props_without(&properties, props::POP_CK);
    }
    let generated_uniq_key = (!facts.has_uniq_key).then(|| {
        let id = ctx.uniq_ids.next_id();
        append_property(&mut properties, props::UNIQ_KEY, &id);
        id
    });
    if !facts.has_cluster {
        append_cluster(ctx, &mut properties);
    }
    let mut uniq = None;
    if facts.transactional {
        if s.reject_transaction {
            return Err(BrokerError::NoPermission(format!(
                "the broker[{}] sending transaction message is forbidden",
                ctx.store_host.ip()
            )));
        }
        uniq = Some(generated_uniq_key.unwrap_or_else(|| {
            find_property(&properties, props::UNIQ_KEY)
                .unwrap_or_default()
                .to_owned()
        }));
        // Half message: hidden in the half topic until END_TRANSACTION (later issue).
        append_property(&mut properties, props::REAL_TOPIC, &msg.topic);
        append_property(&mut properties, props::REAL_QID, &msg.queue_id.to_string());
        msg.sys_flag =
            sysflag::reset_transaction_value(msg.sys_flag, sysflag::TRANSACTION_NOT_TYPE);
        msg.topic = TRANS_HALF_TOPIC.to_owned();
        msg.queue_id = 0;
    } else if let Some(level) = facts.delay_level {
        // Delayed message: waits in its level's queue of the schedule topic.
        append_property(&mut properties, props::REAL_TOPIC, &msg.topic);
        append_property(&mut properties, props::REAL_QID, &msg.queue_id.to_string());
        msg.topic = SCHEDULE_TOPIC.to_owned();
        msg.queue_id = level.min(MAX_DELAY_LEVEL) - 1;
    }
    msg.body = body;
    msg.properties = properties;
    Ok((msg, uniq))
}

/// Splits a batch body into messages for one queue with consecutive offsets.
fn batch_messages(
    ctx: &BrokerContext,
    base: &MessageToStore,
    body: &Bytes,
    batch_properties: &str,
    s: &SendSettings,
) -> Result<Vec<MessageToStore>, BrokerError> {
    if body.len() > s.max_message_size {
        return Err(BrokerError::MessageIllegal(format!(
            "the batch body size {} exceeds the limit {} (maxMessageSize)",
            body.len(),
            s.max_message_size
        )));
    }
    if find_property(batch_properties, props::TRAN_MSG) == Some("true") {
        return Err(BrokerError::MessageIllegal(
            "batch message does not support transaction".into(),
        ));
    }
    let inner = decode_batch(body)?;
    if inner.is_empty() {
        return Err(BrokerError::MessageIllegal(
            "the batch body is empty".into(),
        ));
    }
    let wait = find_property(batch_properties, props::WAIT);
    let mut out = Vec::with_capacity(inner.len());
    for m in inner {
        let mut properties = m.properties;
        let facts = prop_facts(&properties);
        if facts.delay_level.is_some() {
            return Err(BrokerError::MessageIllegal(
                "batch message does not support delay level".into(),
            ));
        }
        if !facts.has_uniq_key {
            append_property(&mut properties, props::UNIQ_KEY, &ctx.uniq_ids.next_id());
        }
        if let (Some(w), None) = (wait, find_property(&properties, props::WAIT)) {
            append_property(&mut properties, props::WAIT, w);
        }
        if !facts.has_cluster {
            append_cluster(ctx, &mut properties);
        }
        check_sizes(m.body.len(), properties.len(), s)?;
        out.push(MessageToStore {
            flag: m.flag,
            body: m.body,
            properties,
            topic: base.topic.clone(),
            ..base.clone()
        });
    }
    Ok(out)
}

/// Appends the `CLUSTER` property (this broker's cluster name).
fn append_cluster(ctx: &BrokerContext, properties: &mut String) {
    let cfg = ctx.config.read();
    append_property(properties, props::CLUSTER, &cfg.broker_cluster_name);
}

/// Appends `key 0x01 value 0x02` to an encoded properties string.
pub(crate) fn append_property(properties: &mut String, key: &str, value: &str) {
    properties.reserve(key.len() + value.len() + 2);
    properties.push_str(key);
    properties.push(props::NAME_VALUE_SEPARATOR);
    properties.push_str(value);
    properties.push(props::PROPERTY_SEPARATOR);
}

/// The properties string without `key`.
pub(crate) fn props_without(properties: &str, key: &str) -> String {
    let mut out = String::with_capacity(properties.len());
    props::for_each_property(properties, |k, v| {
        if k != key {
            append_property(&mut out, k, v);
        }
    });
    out
}

/// The ConsumeQueue tag code a message will get (exposed for tests).
pub fn tags_code_of(properties: &str) -> i64 {
    tag_hash_code(find_property(properties, props::TAGS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::code::response;

    #[test]
    fn property_helpers() {
        let mut p = String::from("TAGS\u{1}A\u{2}DELAY\u{1}3\u{2}");
        assert_eq!(prop_facts(&p).delay_level, Some(3));
        append_property(&mut p, "K", "v");
        assert_eq!(find_property(&p, "K"), Some("v"));
        let q = props_without(&p, props::DELAY);
        assert_eq!(prop_facts(&q).delay_level, None);
        assert_eq!(find_property(&q, "TAGS"), Some("A"));
        assert_eq!(tags_code_of(&q), 65);
        assert_eq!(prop_facts("DELAY\u{1}0\u{2}").delay_level, None);
        let f = prop_facts("UNIQ_KEY\u{1}AB\u{2}CLUSTER\u{1}c\u{2}TRAN_MSG\u{1}true\u{2}");
        assert!(f.has_uniq_key);
        assert!(f.has_cluster && f.transactional && !f.has_pop_ck);
    }

    #[test]
    fn queue_choice() {
        let tc = TopicConfig::new("T", 4, 4, PERM_RW);
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let mut h = SendMessageRequestHeaderRef {
            queue_id: 3,
            ..Default::default()
        };
        assert_eq!(pick_queue(&h, &tc, peer).unwrap(), 3);
        h.queue_id = 4;
        assert_eq!(
            pick_queue(&h, &tc, peer).unwrap_err().code(),
            response::INVALID_PARAMETER
        );
        h.queue_id = -1;
        for _ in 0..50 {
            let q = pick_queue(&h, &tc, peer).unwrap();
            assert!((0..4).contains(&q));
        }
    }
}
