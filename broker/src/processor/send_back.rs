//! CONSUMER_SEND_MSG_BACK (36): a consumer could not process a message; the
//! broker stores a copy for redelivery (STORAGE.md §14).
//!
//! The copy goes to `%RETRY%<group>` with `reconsumeTimes + 1`, `RETRY_TOPIC`
//! (the original topic), `ORIGIN_MESSAGE_ID` and `RECONSUME_TIME`; once the
//! message was reconsumed `maxReconsumeTimes` (16) times, or the client asks
//! for delay level -1, it goes to `%DLQ%<group>` instead.
//!
//! Deferred: Java delays a retry by level `3 + reconsumeTimes` through
//! `SCHEDULE_TOPIC_XXXX`. Delay levels belong to the schedule issue, so a
//! retry is stored straight into the retry topic and is redelivered at once.

use protocol::body::route::{is_writeable, PERM_RW};
use protocol::header::ConsumerSendMsgBackRequestHeader;
use protocol::message::properties as props;
use protocol::message::{decode_message, MessageExt};
use protocol::RemotingCommand;
use store::{MessageToStore, PutStatus};

use super::send::{append_property, V3_4_9};
use crate::context::BrokerContext;
use crate::error::BrokerError;
use crate::topic_manager::{dlq_topic, retry_topic};

/// Handles one send-back request.
pub(crate) async fn handle(
    ctx: &BrokerContext,
    req: &RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: ConsumerSendMsgBackRequestHeader = req.header()?;
    let group_cfg = ctx
        .subscriptions
        .find_or_create(&h.group)
        .ok_or_else(|| BrokerError::SubscriptionGroupNotExist(h.group.clone()))?;
    let broker_perm = ctx.config.read().broker_permission;
    if !is_writeable(broker_perm) {
        return Err(BrokerError::NoPermission(format!(
            "the broker[{}] sending message is forbidden",
            ctx.store_host.ip()
        )));
    }
    if group_cfg.retry_queue_nums <= 0 {
        return Ok(RemotingCommand::success());
    }
    let record = ctx.store.look_message_by_offset(h.offset).ok_or_else(|| {
        BrokerError::System(format!("look message by offset failed, {}", h.offset))
    })?;
    let old = decode_message(&record)?;

    let max_reconsume = match h.max_reconsume_times {
        Some(m) if req.version >= V3_4_9 => m,
        _ => group_cfg.retry_max_times,
    };
    let to_dlq = old.reconsume_times >= max_reconsume || h.delay_level < 0;
    let (topic, queue_id) = if to_dlq {
        (dlq_topic(&h.group), 0)
    } else {
        let q = rand::random::<u32>() % group_cfg.retry_queue_nums as u32;
        (retry_topic(&h.group), q as i32)
    };
    let queue_nums = if to_dlq {
        1
    } else {
        group_cfg.retry_queue_nums
    };
    let tc = ctx
        .topics
        .find_or_create(&topic, queue_nums, PERM_RW, 0)
        .await?;
    if !is_writeable(tc.perm) {
        return Err(BrokerError::NoPermission(format!(
            "the topic[{topic}] sending message is forbidden"
        )));
    }
    let msg = retry_copy(ctx, &old, topic, queue_id, h.origin_msg_id.as_deref());
    let result = ctx.store.put_message(&msg).await;
    match result.status {
        PutStatus::Ok => Ok(RemotingCommand::success()),
        other => Err(BrokerError::System(other.as_str().to_owned())),
    }
}

/// The redelivery copy of `old` for `topic`/`queue_id`.
fn retry_copy(
    ctx: &BrokerContext,
    old: &MessageExt,
    topic: String,
    queue_id: i32,
    header_origin_id: Option<&str>,
) -> MessageToStore {
    // Stored data: a corrupt RECONSUMETIMES must not overflow.
    let reconsume_times = old.reconsume_times.saturating_add(1);
    let origin_id = old
        .property(props::ORIGIN_MESSAGE_ID)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .or_else(|| Some(old.msg_id.clone()).filter(|s| !s.is_empty()))
        .or_else(|| header_origin_id.map(str::to_owned))
        .unwrap_or_default();
    let mut properties = String::with_capacity(128);
    // Sorted so the stored text is deterministic (Java's order is a HashMap's).
    let mut pairs: Vec<(&String, &String)> = old.properties.iter().collect();
    pairs.sort();
    for (k, v) in pairs {
        let skip = matches!(
            k.as_str(),
            props::DELAY
                | props::WAIT
                | props::ORIGIN_MESSAGE_ID
                | props::RECONSUME_TIME
                | props::RETRY_TOPIC
        );
        if !skip {
            append_property(&mut properties, k, v);
        }
    }
    let retry_of = old
        .property(props::RETRY_TOPIC)
        .unwrap_or(old.topic.as_str())
        .to_owned();
    append_property(&mut properties, props::RETRY_TOPIC, &retry_of);
    append_property(&mut properties, props::ORIGIN_MESSAGE_ID, &origin_id);
    append_property(
        &mut properties,
        props::RECONSUME_TIME,
        &reconsume_times.to_string(),
    );
    append_property(&mut properties, props::WAIT, "false");
    MessageToStore {
        topic,
        queue_id,
        flag: old.flag,
        body: old.body.clone(),
        properties,
        sys_flag: old.sys_flag,
        born_timestamp: old.born_timestamp,
        born_host: old.born_host,
        store_host: ctx.store_host,
        reconsume_times,
        prepared_transaction_offset: 0,
    }
}
