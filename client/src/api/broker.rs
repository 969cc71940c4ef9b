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
    SearchOffsetRequestHeader, SearchOffsetResponseHeader, SendMessageRequestHeaderRef,
    UnregisterClientRequestHeader, UpdateConsumerOffsetRequestHeader,
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

impl MQClientAPI {
    /// Builds a SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request exactly as the
    /// Java 5 client does (fields `a`..`n`, strings throughout). `kind`
    /// decides the code and the header's `batch` flag (`m`); the caller
    /// sets the other fields, `None` ones are left out.
    pub fn send_request(
        &self,
        kind: SendKind,
        h: &SendMessageRequestHeaderRef<'_>,
        body: Bytes,
    ) -> RemotingCommand {
        let code = match kind {
            SendKind::Single => request::SEND_MESSAGE_V2,
            SendKind::Batch => request::SEND_BATCH_MESSAGE,
        };
        let h = SendMessageRequestHeaderRef {
            batch: Some(kind == SendKind::Batch),
            ..*h
        };
        let mut cmd = self.new_request(code);
        // The strings are copied once, straight into the map's one buffer.
        cmd.ext_fields = h.to_ext_fields(code);
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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use protocol::{LanguageCode, RemotingCodec, SerializeType};

    /// The request as it goes on the wire in `st`, with a fixed opaque,
    /// language and version (the header fields are the SDK's own).
    fn frame(mut cmd: RemotingCommand, st: SerializeType) -> Vec<u8> {
        cmd.opaque = 1;
        cmd.language = LanguageCode::Java;
        cmd.version = 479;
        cmd.serialize_type = st;
        let mut b = BytesMut::new();
        RemotingCodec::encode_frame(&cmd, &mut b).unwrap();
        b.to_vec()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE as the SDK put them on the wire
    /// before the header type moved to `protocol` (bytes captured from
    /// the earlier encoder): the same fields, order and text.
    #[test]
    fn send_requests_are_pinned_byte_for_byte() {
        let api = MQClientAPI::new(crate::config::ClientConfig::default(), None);
        let single = SendMessageRequestHeaderRef {
            producer_group: "PG",
            topic: "TopicA",
            default_topic: "TBW102",
            default_topic_queue_nums: 4,
            queue_id: 3,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_123,
            flag: 0,
            properties: Some("UNIQ_KEY\u{1}AC11\u{2}WAIT\u{1}true\u{2}"),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            max_reconsume_times: None,
            batch: None,
            bname: Some("broker-a"),
        };
        let retry = SendMessageRequestHeaderRef {
            topic: "%RETRY%CG",
            sys_flag: 1,
            flag: -7,
            properties: Some(""),
            reconsume_times: Some(2),
            max_reconsume_times: Some(16),
            bname: None,
            queue_id: -1,
            ..single
        };
        let body = Bytes::from_static(b"hello");
        let single = api.send_request(SendKind::Single, &single, body.clone());
        let batch = api.send_request(SendKind::Batch, &retry, body);
        assert_eq!(single.code, request::SEND_MESSAGE_V2);
        assert_eq!(batch.code, request::SEND_BATCH_MESSAGE);

        let json = frame(single, SerializeType::Json);
        let header = concat!(
            r#"{"code":310,"extFields":{"a":"PG","b":"TopicA","c":"TBW102","d":"4","e":"3","#,
            r#""f":"0","g":"1700000000123","h":"0","#,
            r#""i":"UNIQ_KEY\u0001AC11\u0002WAIT\u0001true\u0002","j":"0","k":"false","#,
            r#""m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":1,"#,
            r#""serializeTypeCurrentRPC":"JSON","version":479}"#
        );
        assert_eq!(&json[..8], &[0, 0, 1, 0x31, 0, 0, 1, 0x28]);
        assert_eq!(std::str::from_utf8(&json[8..json.len() - 5]), Ok(header));
        assert_eq!(&json[json.len() - 5..], b"hello");

        let binary = concat!(
            "000000a9010000a001400001df0000000100000000000000000000008b0001610000",
            "0002504700016200000009255245545259254347000163000000065442573130320001",
            "640000000134000165000000022d3100016600000001310001670000000d3137303030",
            "3030303030313233000168000000022d370001690000000000016a000000013200016b",
            "0000000566616c736500016c00000002313600016d000000047472756568656c6c6f",
        );
        assert_eq!(hex(&frame(batch, SerializeType::RocketMq)), binary);
    }
}
