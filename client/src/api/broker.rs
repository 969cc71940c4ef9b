//! Broker calls of producers and consumers: send, pull, offsets, heartbeats,
//! consumer lists, queue locks, send-back, end-transaction (PROTOCOL.md
//! §11–§13).

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use protocol::body::fastjson::JsonBody;
use protocol::body::{
    GetConsumerListByGroupResponseBody, HeartbeatData, LockBatchRequestBody, LockBatchResponseBody,
    MessageQueue, UnlockBatchRequestBody,
};
use protocol::code::{request, response};
use protocol::header::{
    BoundaryType, ConsumerSendMsgBackRequestHeader, EndTransactionRequestHeader,
    GetConsumerListByGroupRequestHeader, GetEarliestMsgStoretimeRequestHeader,
    GetEarliestMsgStoretimeResponseHeader, GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader,
    GetMinOffsetRequestHeader, GetMinOffsetResponseHeader, PullMessageRequestHeader,
    PullMessageResponseHeader, QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader,
    SearchOffsetRequestHeader, SearchOffsetResponseHeader, UnregisterClientRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use protocol::message::properties::{MAX_OFFSET, MIN_OFFSET};
use protocol::message::sysflag::COMPRESSED_FLAG;
use protocol::message::{decode_messages, decompress_body, MessageExt};
use protocol::RemotingCommand;

use super::{expect_success, MQClientAPI};
use crate::error::ClientError;
use crate::producer::{SendResult, SendStatus};

/// Which send request: one message (SEND_MESSAGE_V2) or a batch
/// (SEND_BATCH_MESSAGE). Both carry the one-letter V2 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendKind {
    /// SEND_MESSAGE_V2 (310).
    Single,
    /// SEND_BATCH_MESSAGE (320).
    Batch,
}

/// The fields of a send request header (Java's `SendMessageRequestHeader`),
/// borrowed so the hot path copies each string once, into the frame.
#[derive(Debug, Clone, Copy)]
pub struct SendHeader<'a> {
    /// Producer group.
    pub producer_group: &'a str,
    /// Topic.
    pub topic: &'a str,
    /// Template topic for auto-create (`TBW102`).
    pub default_topic: &'a str,
    /// Queue count for auto-create.
    pub default_topic_queue_nums: i32,
    /// Target queue.
    pub queue_id: i32,
    /// Message sysFlag (compression, transaction bits).
    pub sys_flag: i32,
    /// Client timestamp, ms.
    pub born_timestamp: i64,
    /// User flag.
    pub flag: i32,
    /// Encoded properties string.
    pub properties: &'a str,
    /// Reconsume times (retry-topic sends), 0 otherwise.
    pub reconsume_times: i32,
    /// Max reconsume times, only for retry-topic sends.
    pub max_reconsume_times: Option<i32>,
    /// Target broker name (5.x `n`/`bname`).
    pub broker_name: &'a str,
}

impl MQClientAPI {
    /// Builds a SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request exactly as the
    /// Java 5 client does (fields `a`..`n`, strings throughout).
    pub fn send_request(&self, kind: SendKind, h: &SendHeader<'_>, body: Bytes) -> RemotingCommand {
        let code = match kind {
            SendKind::Single => request::SEND_MESSAGE_V2,
            SendKind::Batch => request::SEND_BATCH_MESSAGE,
        };
        let mut cmd = self.new_request(code);
        // One buffer sized for every key and value: the strings are copied
        // once, straight into the map (no per-field allocation).
        let text = h.producer_group.len()
            + h.topic.len()
            + h.default_topic.len()
            + h.properties.len()
            + h.broker_name.len()
            + 96;
        let mut ext = protocol::ExtFields::with_capacity_and_text(14, text);
        ext.put_str("a", h.producer_group);
        ext.put_str("b", h.topic);
        ext.put_str("c", h.default_topic);
        ext.put_int("d", h.default_topic_queue_nums.into());
        ext.put_int("e", h.queue_id.into());
        ext.put_int("f", h.sys_flag.into());
        ext.put_int("g", h.born_timestamp);
        ext.put_int("h", h.flag.into());
        ext.put_str("i", h.properties);
        ext.put_int("j", h.reconsume_times.into());
        ext.put_str("k", "false");
        if let Some(max) = h.max_reconsume_times {
            ext.put_int("l", max.into());
        }
        ext.put_str(
            "m",
            if kind == SendKind::Batch {
                "true"
            } else {
                "false"
            },
        );
        if !h.broker_name.is_empty() {
            ext.put_str("n", h.broker_name);
        }
        cmd.ext_fields = ext;
        cmd.body = body;
        cmd
    }

    /// Sends a prepared send request to `addr` and reads the outcome.
    /// `msg_id` is the client id(s) to report; `mq` the target queue.
    pub async fn send_message(
        &self,
        addr: &str,
        cmd: RemotingCommand,
        mq: &MessageQueue,
        msg_id: String,
        timeout: Duration,
    ) -> Result<SendResult, ClientError> {
        let resp = self.invoke(addr, cmd, timeout).await?;
        process_send_response(addr, resp, mq, msg_id)
    }

    /// Sends a prepared send request oneway (no result, no retry).
    pub async fn send_message_oneway(
        &self,
        addr: &str,
        cmd: RemotingCommand,
    ) -> Result<(), ClientError> {
        self.invoke_oneway(addr, cmd).await
    }

    /// PULL_MESSAGE: reads messages from a queue. FOUND messages come
    /// decoded, decompressed, with `MIN_OFFSET`/`MAX_OFFSET` set from the
    /// response; they are not filtered by tag.
    pub async fn pull_message(
        &self,
        addr: &str,
        header: &PullMessageRequestHeader,
        timeout: Duration,
    ) -> Result<PullResult, ClientError> {
        let cmd = self.request(request::PULL_MESSAGE, header);
        let resp = self.invoke(addr, cmd, timeout).await?;
        process_pull_response(addr, resp)
    }

    /// QUERY_CONSUMER_OFFSET: the group's stored offset of a queue, `None`
    /// when the broker has none (QUERY_NOT_FOUND).
    pub async fn query_consumer_offset(
        &self,
        addr: &str,
        group: &str,
        mq: &MessageQueue,
    ) -> Result<Option<i64>, ClientError> {
        let header = QueryConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            set_zero_if_not_found: None,
            bname: Some(mq.broker_name.clone()),
        };
        let cmd = self.request(request::QUERY_CONSUMER_OFFSET, &header);
        let resp = self
            .invoke(addr, cmd, self.config().mq_client_api_timeout)
            .await?;
        if resp.code == response::QUERY_NOT_FOUND {
            return Ok(None);
        }
        let resp = expect_success(addr, resp)?;
        Ok(Some(
            resp.header::<QueryConsumerOffsetResponseHeader>()?.offset,
        ))
    }

    fn update_offset_request(
        &self,
        group: &str,
        mq: &MessageQueue,
        offset: i64,
    ) -> RemotingCommand {
        let header = UpdateConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            commit_offset: offset,
            bname: Some(mq.broker_name.clone()),
        };
        self.request(request::UPDATE_CONSUMER_OFFSET, &header)
    }

    /// UPDATE_CONSUMER_OFFSET, waiting for the broker's answer.
    pub async fn update_consumer_offset(
        &self,
        addr: &str,
        group: &str,
        mq: &MessageQueue,
        offset: i64,
    ) -> Result<(), ClientError> {
        let cmd = self.update_offset_request(group, mq, offset);
        self.invoke_ok(addr, cmd, self.config().mq_client_api_timeout)
            .await
            .map(|_| ())
    }

    /// UPDATE_CONSUMER_OFFSET oneway (the periodic commit).
    pub async fn update_consumer_offset_oneway(
        &self,
        addr: &str,
        group: &str,
        mq: &MessageQueue,
        offset: i64,
    ) -> Result<(), ClientError> {
        let cmd = self.update_offset_request(group, mq, offset);
        self.invoke_oneway(addr, cmd).await
    }

    /// GET_MAX_OFFSET: the offset the next message of the queue will get.
    pub async fn get_max_offset(&self, addr: &str, mq: &MessageQueue) -> Result<i64, ClientError> {
        let header = GetMaxOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            committed: None,
            bname: Some(mq.broker_name.clone()),
        };
        let cmd = self.request(request::GET_MAX_OFFSET, &header);
        let resp = self
            .invoke_ok(addr, cmd, self.config().mq_client_api_timeout)
            .await?;
        Ok(resp.header::<GetMaxOffsetResponseHeader>()?.offset)
    }

    /// GET_MIN_OFFSET: the smallest offset still stored in the queue.
    pub async fn get_min_offset(&self, addr: &str, mq: &MessageQueue) -> Result<i64, ClientError> {
        let header = GetMinOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            bname: Some(mq.broker_name.clone()),
        };
        let cmd = self.request(request::GET_MIN_OFFSET, &header);
        let resp = self
            .invoke_ok(addr, cmd, self.config().mq_client_api_timeout)
            .await?;
        Ok(resp.header::<GetMinOffsetResponseHeader>()?.offset)
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP: the queue offset for a store time (ms).
    pub async fn search_offset(
        &self,
        addr: &str,
        mq: &MessageQueue,
        timestamp: i64,
        boundary: Option<BoundaryType>,
    ) -> Result<i64, ClientError> {
        let header = SearchOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            timestamp,
            boundary_type: boundary,
            bname: Some(mq.broker_name.clone()),
        };
        let cmd = self.request(request::SEARCH_OFFSET_BY_TIMESTAMP, &header);
        let resp = self
            .invoke_ok(addr, cmd, self.config().mq_client_api_timeout)
            .await?;
        Ok(resp.header::<SearchOffsetResponseHeader>()?.offset)
    }

    /// GET_EARLIEST_MSG_STORETIME: store time of the oldest message (ms).
    pub async fn get_earliest_msg_storetime(
        &self,
        addr: &str,
        mq: &MessageQueue,
    ) -> Result<i64, ClientError> {
        let header = GetEarliestMsgStoretimeRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            bname: Some(mq.broker_name.clone()),
        };
        let cmd = self.request(request::GET_EARLIEST_MSG_STORETIME, &header);
        let resp = self
            .invoke_ok(addr, cmd, self.config().mq_client_api_timeout)
            .await?;
        Ok(resp
            .header::<GetEarliestMsgStoretimeResponseHeader>()?
            .timestamp)
    }

    /// HEART_BEAT: registers this client's groups with a broker.
    pub async fn send_heartbeat(
        &self,
        addr: &str,
        heartbeat: &HeartbeatData,
        timeout: Duration,
    ) -> Result<(), ClientError> {
        let cmd = self
            .new_request(request::HEART_BEAT)
            .with_body(heartbeat.to_json());
        self.invoke_ok(addr, cmd, timeout).await.map(|_| ())
    }

    /// UNREGISTER_CLIENT: removes this client from a producer and/or
    /// consumer group on a broker.
    pub async fn unregister_client(
        &self,
        addr: &str,
        client_id: &str,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
        timeout: Duration,
    ) -> Result<(), ClientError> {
        let header = UnregisterClientRequestHeader {
            client_id: client_id.to_owned(),
            producer_group: producer_group.map(str::to_owned),
            consumer_group: consumer_group.map(str::to_owned),
        };
        let cmd = self.request(request::UNREGISTER_CLIENT, &header);
        self.invoke_ok(addr, cmd, timeout).await.map(|_| ())
    }

    /// GET_CONSUMER_LIST_BY_GROUP: the client ids of a group's live members.
    pub async fn get_consumer_id_list(
        &self,
        addr: &str,
        group: &str,
    ) -> Result<Vec<String>, ClientError> {
        let header = GetConsumerListByGroupRequestHeader {
            consumer_group: group.to_owned(),
        };
        let cmd = self.request(request::GET_CONSUMER_LIST_BY_GROUP, &header);
        let resp = self
            .invoke_ok(addr, cmd, self.config().mq_client_api_timeout)
            .await?;
        if resp.body.is_empty() {
            return Ok(Vec::new());
        }
        Ok(GetConsumerListByGroupResponseBody::from_json(&resp.body)?.consumer_id_list)
    }

    /// LOCK_BATCH_MQ: locks queues for orderly consumption; returns the
    /// queues this client now holds.
    pub async fn lock_batch_mq(
        &self,
        addr: &str,
        body: &LockBatchRequestBody,
        timeout: Duration,
    ) -> Result<BTreeSet<MessageQueue>, ClientError> {
        let cmd = self
            .new_request(request::LOCK_BATCH_MQ)
            .with_body(body.to_json());
        let resp = self.invoke_ok(addr, cmd, timeout).await?;
        if resp.body.is_empty() {
            return Ok(BTreeSet::new());
        }
        Ok(LockBatchResponseBody::from_json(&resp.body)?.lock_ok_mq_set)
    }

    /// UNLOCK_BATCH_MQ, waiting for the answer or (`oneway`) not.
    pub async fn unlock_batch_mq(
        &self,
        addr: &str,
        body: &UnlockBatchRequestBody,
        timeout: Duration,
        oneway: bool,
    ) -> Result<(), ClientError> {
        let cmd = self
            .new_request(request::UNLOCK_BATCH_MQ)
            .with_body(body.to_json());
        if oneway {
            self.invoke_oneway(addr, cmd).await
        } else {
            self.invoke_ok(addr, cmd, timeout).await.map(|_| ())
        }
    }

    /// CONSUMER_SEND_MSG_BACK: hands a failed message back to the broker
    /// for a later retry (or the DLQ).
    pub async fn consumer_send_msg_back(
        &self,
        addr: &str,
        header: &ConsumerSendMsgBackRequestHeader,
        timeout: Duration,
    ) -> Result<(), ClientError> {
        let cmd = self.request(request::CONSUMER_SEND_MSG_BACK, header);
        self.invoke_ok(addr, cmd, timeout).await.map(|_| ())
    }

    /// END_TRANSACTION, oneway as Java sends it.
    pub async fn end_transaction_oneway(
        &self,
        addr: &str,
        header: &EndTransactionRequestHeader,
        remark: Option<String>,
    ) -> Result<(), ClientError> {
        let mut cmd = self.request(request::END_TRANSACTION, header);
        cmd.remark = remark;
        self.invoke_oneway(addr, cmd).await
    }
}

/// Turns a send response into a [`SendResult`] (Java's `processSendResponse`).
pub fn process_send_response(
    addr: &str,
    resp: RemotingCommand,
    mq: &MessageQueue,
    msg_id: String,
) -> Result<SendResult, ClientError> {
    let Some(send_status) = SendStatus::from_code(resp.code) else {
        return Err(ClientError::broker(addr, resp.code, resp.remark.as_deref()));
    };
    // Take the strings out of the response instead of copying them (the
    // fields of Java's `SendMessageResponseHeader` plus MSG_REGION/TRACE_ON).
    let mut ext = resp.ext_fields;
    let queue_id: i32 = ext.req("queueId")?;
    let queue_offset: i64 = ext.req("queueOffset")?;
    let offset_msg_id = ext
        .remove("msgId")
        .ok_or(protocol::HeaderError::Missing("msgId"))?;
    let trace_on = ext.get("TRACE_ON") != Some("false");
    let mut message_queue = mq.clone();
    message_queue.queue_id = queue_id;
    Ok(SendResult {
        send_status,
        msg_id,
        message_queue,
        queue_offset,
        transaction_id: ext.remove("transactionId"),
        offset_msg_id,
        region_id: ext
            .remove("MSG_REGION")
            .unwrap_or_else(|| "DefaultRegion".to_owned()),
        trace_on,
    })
}

/// What a pull found (Java's `PullStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PullStatus {
    /// Messages were returned (SUCCESS).
    Found,
    /// Nothing new at this offset (PULL_NOT_FOUND).
    NoNewMsg,
    /// Nothing matched the filter (PULL_RETRY_IMMEDIATELY).
    NoMatchedMsg,
    /// The offset is out of range; continue at `next_begin_offset`
    /// (PULL_OFFSET_MOVED).
    OffsetIllegal,
}

/// The outcome of a pull (Java's `PullResult` plus the broker suggestion).
#[derive(Debug, Clone)]
pub struct PullResult {
    /// What the pull found.
    pub status: PullStatus,
    /// Where to pull next.
    pub next_begin_offset: i64,
    /// The queue's min offset.
    pub min_offset: i64,
    /// The queue's max offset.
    pub max_offset: i64,
    /// Broker id to pull from next (0 = master).
    pub suggest_which_broker_id: i64,
    /// The messages (empty unless `Found`).
    pub msgs: Vec<MessageExt>,
}

/// Turns a pull response into a [`PullResult`] (Java's `processPullResponse`
/// plus the body decoding of `processPullResult`).
pub fn process_pull_response(addr: &str, resp: RemotingCommand) -> Result<PullResult, ClientError> {
    let status = match resp.code {
        response::SUCCESS => PullStatus::Found,
        response::PULL_NOT_FOUND => PullStatus::NoNewMsg,
        response::PULL_RETRY_IMMEDIATELY => PullStatus::NoMatchedMsg,
        response::PULL_OFFSET_MOVED => PullStatus::OffsetIllegal,
        code => return Err(ClientError::broker(addr, code, resp.remark.as_deref())),
    };
    let h: PullMessageResponseHeader = resp.header()?;
    let mut msgs = Vec::new();
    if status == PullStatus::Found && !resp.body.is_empty() {
        msgs = decode_messages(&resp.body)?;
        let (min, max) = (h.min_offset.to_string(), h.max_offset.to_string());
        for m in &mut msgs {
            if m.sys_flag & COMPRESSED_FLAG != 0 {
                m.body = Bytes::from(decompress_body(&m.body, m.sys_flag)?);
            }
            m.properties.insert(MIN_OFFSET.to_owned(), min.clone());
            m.properties.insert(MAX_OFFSET.to_owned(), max.clone());
        }
    }
    Ok(PullResult {
        status,
        next_begin_offset: h.next_begin_offset,
        min_offset: h.min_offset,
        max_offset: h.max_offset,
        suggest_which_broker_id: h.suggest_which_broker_id,
        msgs,
    })
}
