//! [`TestClient`]: the smallest producer/consumer that speaks to a broker
//! with `protocol::net::Connection` and the typed headers, for the broker
//! suites (the real SDK lives in `client/`). Every call returns the raw
//! response code so tests can assert error paths too.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use protocol::body::route::TopicRouteData;
use protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, JsonBody, MessageModel,
    SubscriptionData,
};
use protocol::code::{request, response};
use protocol::header::namesrv::GetRouteInfoRequestHeader;
use protocol::header::{
    pull_sys_flag, PullMessageRequestHeader, PullMessageResponseHeader,
    QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader, SendMessageRequestHeader,
    SendMessageResponseHeader, UpdateConsumerOffsetRequestHeader,
};
use protocol::message::properties::{encode_properties, KEYS, TAGS, UNIQ_KEY, WAIT};
use protocol::message::{decode_messages, BatchMessage, MessageExt};
use protocol::net::Connection;
use protocol::RemotingCommand;

use crate::{HarnessError, RPC_TIMEOUT};

/// What a send answered.
#[derive(Debug, Clone)]
pub struct SendOutcome {
    /// Response code.
    pub code: i32,
    /// Remark (error text).
    pub remark: String,
    /// The response header, on the stored codes.
    pub header: Option<SendMessageResponseHeader>,
}

/// What a pull answered.
#[derive(Debug, Clone)]
pub struct PullOutcome {
    /// Response code.
    pub code: i32,
    /// Remark (the store status name, or error text).
    pub remark: String,
    /// The response header (absent on errors).
    pub header: Option<PullMessageResponseHeader>,
    /// Decoded records (on SUCCESS).
    pub messages: Vec<MessageExt>,
}

impl PullOutcome {
    /// `nextBeginOffset`, or -1 without a header.
    pub fn next_begin_offset(&self) -> i64 {
        self.header.as_ref().map_or(-1, |h| h.next_begin_offset)
    }
}

/// One pull's parameters; [`PullRequest::new`] fills in a push consumer's
/// defaults (32 messages, no suspension, subscription `*` posted).
#[derive(Debug, Clone)]
pub struct PullRequest {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: i32,
    /// Offset to read from.
    pub offset: i64,
    /// Most messages.
    pub max_msgs: i32,
    /// Long-poll time in ms (0 = no SUSPEND flag).
    pub suspend_ms: i64,
    /// Posted subscription (sets the SUBSCRIPTION flag); `None` = use the
    /// heartbeat's.
    pub subscription: Option<String>,
    /// Commit offset to piggyback (sets the COMMIT_OFFSET flag).
    pub commit_offset: Option<i64>,
}

impl PullRequest {
    /// A pull of `group` on `topic`/`queue_id` from `offset`.
    pub fn new(group: &str, topic: &str, queue_id: i32, offset: i64) -> Self {
        PullRequest {
            group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id,
            offset,
            max_msgs: 32,
            suspend_ms: 0,
            subscription: Some("*".into()),
            commit_offset: None,
        }
    }
}

/// A connection to one broker (or name server) with request helpers.
#[derive(Debug, Clone)]
pub struct TestClient {
    conn: Arc<Connection>,
    producer_group: String,
}

impl TestClient {
    /// Connects to `addr`.
    pub async fn connect(addr: &str) -> Result<Self, HarnessError> {
        Ok(TestClient {
            conn: crate::connect(addr).await?,
            producer_group: "test_producer_group".into(),
        })
    }

    /// The underlying connection.
    pub fn conn(&self) -> &Arc<Connection> {
        &self.conn
    }

    /// Sends any request and waits for the response.
    pub async fn invoke(&self, cmd: RemotingCommand) -> Result<RemotingCommand, HarnessError> {
        Ok(self.conn.invoke(cmd, RPC_TIMEOUT).await?)
    }

    /// Sends any request with a custom timeout.
    pub async fn invoke_timeout(
        &self,
        cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, HarnessError> {
        Ok(self.conn.invoke(cmd, timeout).await?)
    }

    /// The send header a Java producer would build (V2 short names are
    /// chosen by the request code).
    pub fn send_header(
        &self,
        topic: &str,
        queue_id: i32,
        properties: String,
    ) -> SendMessageRequestHeader {
        SendMessageRequestHeader {
            producer_group: self.producer_group.clone(),
            topic: topic.to_owned(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id,
            sys_flag: 0,
            born_timestamp: now_ms(),
            flag: 0,
            properties: Some(properties),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            batch: Some(false),
            ..Default::default()
        }
    }

    /// Builds a SEND_MESSAGE_V2 request.
    pub fn send_request(
        &self,
        topic: &str,
        queue_id: i32,
        body: impl Into<Bytes>,
        tag: Option<&str>,
        key: Option<&str>,
    ) -> RemotingCommand {
        let props = message_properties(tag, key);
        let header = self.send_header(topic, queue_id, props);
        let mut cmd = RemotingCommand::new_request(request::SEND_MESSAGE_V2);
        header.write_for_code(request::SEND_MESSAGE_V2, &mut cmd.ext_fields);
        cmd.with_body(body)
    }

    /// SEND_MESSAGE_V2 of one message.
    pub async fn send(
        &self,
        topic: &str,
        queue_id: i32,
        body: impl Into<Bytes>,
        tag: Option<&str>,
    ) -> Result<SendOutcome, HarnessError> {
        let cmd = self.send_request(topic, queue_id, body, tag, None);
        self.send_command(cmd).await
    }

    /// Sends a prepared send request and decodes the answer.
    pub async fn send_command(&self, cmd: RemotingCommand) -> Result<SendOutcome, HarnessError> {
        let resp = self.invoke(cmd).await?;
        Ok(send_outcome(&resp))
    }

    /// SEND_BATCH_MESSAGE of `bodies` (one tag for all).
    pub async fn send_batch(
        &self,
        topic: &str,
        queue_id: i32,
        bodies: &[Bytes],
        tag: Option<&str>,
    ) -> Result<SendOutcome, HarnessError> {
        let msgs: Vec<BatchMessage> = bodies
            .iter()
            .map(|b| BatchMessage {
                flag: 0,
                body: b.clone(),
                properties: message_properties(tag, None),
            })
            .collect();
        let body = protocol::message::encode_batch(&msgs)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let mut header = self.send_header(topic, queue_id, encode_properties([(WAIT, "true")]));
        header.batch = Some(true);
        let mut cmd = RemotingCommand::new_request(request::SEND_BATCH_MESSAGE);
        header.write_for_code(request::SEND_BATCH_MESSAGE, &mut cmd.ext_fields);
        self.send_command(cmd.with_body(body)).await
    }

    /// Builds a pull request.
    pub fn pull_request(p: &PullRequest) -> RemotingCommand {
        let header = PullMessageRequestHeader {
            consumer_group: p.group.clone(),
            topic: p.topic.clone(),
            queue_id: p.queue_id,
            queue_offset: p.offset,
            max_msg_nums: p.max_msgs,
            sys_flag: pull_sys_flag(
                p.commit_offset.is_some(),
                p.suspend_ms > 0,
                p.subscription.is_some(),
                false,
                false,
            ),
            commit_offset: p.commit_offset.unwrap_or(0),
            suspend_timeout_millis: p.suspend_ms,
            subscription: p.subscription.clone(),
            sub_version: 0,
            expression_type: Some("TAG".into()),
            ..Default::default()
        };
        RemotingCommand::request(request::PULL_MESSAGE, &header)
    }

    /// PULL_MESSAGE; waits up to `suspend_ms` + 5 s.
    pub async fn pull(&self, p: &PullRequest) -> Result<PullOutcome, HarnessError> {
        let timeout = Duration::from_millis(p.suspend_ms.max(0) as u64) + Duration::from_secs(5);
        let resp = self.invoke_timeout(Self::pull_request(p), timeout).await?;
        Ok(pull_outcome(&resp))
    }

    /// Pulls `topic`/`queue_id` from `offset` (posting subscription `*`,
    /// long-polling 1 s per pull) until `count` messages arrived or 20 s
    /// passed; returns them in order.
    pub async fn pull_all(
        &self,
        group: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
        count: usize,
    ) -> Result<Vec<MessageExt>, HarnessError> {
        let mut p = PullRequest::new(group, topic, queue_id, offset);
        p.max_msgs = 32;
        self.pull_until(p, count, Duration::from_secs(20)).await
    }

    /// Pulls with `p`'s settings (long-polling 1 s per pull when `p` does
    /// not suspend) from `p.offset` until `count` messages arrived or
    /// `within` passed.
    pub async fn pull_until(
        &self,
        mut p: PullRequest,
        count: usize,
        within: Duration,
    ) -> Result<Vec<MessageExt>, HarnessError> {
        if p.suspend_ms == 0 {
            p.suspend_ms = 1000;
        }
        let deadline = tokio::time::Instant::now() + within;
        let mut out = Vec::with_capacity(count);
        while out.len() < count && tokio::time::Instant::now() < deadline {
            let r = self.pull(&p).await?;
            match r.code {
                response::SUCCESS => {
                    p.offset = r.next_begin_offset();
                    out.extend(r.messages);
                }
                response::PULL_NOT_FOUND | response::PULL_RETRY_IMMEDIATELY => {
                    if r.next_begin_offset() >= 0 {
                        p.offset = r.next_begin_offset();
                    }
                }
                _ => break,
            }
        }
        Ok(out)
    }

    /// HEART_BEAT registering a push consumer of `group` on `topic` with
    /// `expression`.
    pub async fn heartbeat_consumer(
        &self,
        client_id: &str,
        group: &str,
        topic: &str,
        expression: &str,
    ) -> Result<i32, HarnessError> {
        let tags: Vec<String> = expression
            .split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != "*")
            .map(str::to_owned)
            .collect();
        let codes = tags
            .iter()
            .map(|t| protocol::message::tag::java_string_hash(t))
            .collect();
        let data = HeartbeatData {
            client_id: client_id.to_owned(),
            consumer_data_set: vec![ConsumerData {
                consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
                consume_type: ConsumeType::ConsumePassively,
                group_name: group.to_owned(),
                message_model: MessageModel::Clustering,
                subscription_data_set: vec![SubscriptionData {
                    topic: topic.to_owned(),
                    sub_string: expression.to_owned(),
                    tags_set: tags,
                    code_set: codes,
                    sub_version: now_ms(),
                    ..Default::default()
                }],
                unit_mode: false,
            }],
            ..Default::default()
        };
        let cmd = RemotingCommand::new_request(request::HEART_BEAT).with_body(data.to_json());
        Ok(self.invoke(cmd).await?.code)
    }

    /// UPDATE_CONSUMER_OFFSET (synchronous).
    pub async fn update_offset(
        &self,
        group: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
    ) -> Result<i32, HarnessError> {
        let h = UpdateConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id,
            commit_offset: offset,
            bname: None,
        };
        let resp = self
            .invoke(RemotingCommand::request(
                request::UPDATE_CONSUMER_OFFSET,
                &h,
            ))
            .await?;
        Ok(resp.code)
    }

    /// QUERY_CONSUMER_OFFSET: `Some(offset)` on SUCCESS, `None` on QUERY_NOT_FOUND.
    pub async fn query_offset(
        &self,
        group: &str,
        topic: &str,
        queue_id: i32,
    ) -> Result<Option<i64>, HarnessError> {
        let h = QueryConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id,
            set_zero_if_not_found: Some(false),
            bname: None,
        };
        let resp = self
            .invoke(RemotingCommand::request(request::QUERY_CONSUMER_OFFSET, &h))
            .await?;
        if resp.code != response::SUCCESS {
            return Ok(None);
        }
        Ok(resp
            .header::<QueryConsumerOffsetResponseHeader>()
            .ok()
            .map(|h| h.offset))
    }

    /// GET_ROUTEINFO_BY_TOPIC against a name server: `None` when the name
    /// server answers TOPIC_NOT_EXIST.
    pub async fn route(&self, topic: &str) -> Result<Option<TopicRouteData>, HarnessError> {
        let h = GetRouteInfoRequestHeader {
            topic: topic.to_owned(),
            accept_standard_json_only: None,
        };
        let resp = self
            .invoke(RemotingCommand::request(
                request::GET_ROUTEINFO_BY_TOPIC,
                &h,
            ))
            .await?;
        if resp.code != response::SUCCESS {
            return Ok(None);
        }
        Ok(TopicRouteData::from_json(&resp.body).ok())
    }
}

/// Properties of a test message: TAGS, KEYS, UNIQ_KEY, WAIT.
pub fn message_properties(tag: Option<&str>, key: Option<&str>) -> String {
    let uniq = format!("{:032X}", rand_u128());
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(t) = tag {
        pairs.push((TAGS, t));
    }
    if let Some(k) = key {
        pairs.push((KEYS, k));
    }
    pairs.push((UNIQ_KEY, &uniq));
    pairs.push((WAIT, "true"));
    encode_properties(pairs)
}

/// Decodes a send response.
pub fn send_outcome(resp: &RemotingCommand) -> SendOutcome {
    let stored = matches!(
        resp.code,
        response::SUCCESS
            | response::FLUSH_DISK_TIMEOUT
            | response::FLUSH_SLAVE_TIMEOUT
            | response::SLAVE_NOT_AVAILABLE
    );
    SendOutcome {
        code: resp.code,
        remark: resp.remark_str().to_owned(),
        header: if stored { resp.header().ok() } else { None },
    }
}

/// Decodes a pull response.
pub fn pull_outcome(resp: &RemotingCommand) -> PullOutcome {
    let messages = if resp.code == response::SUCCESS {
        decode_messages(&resp.body).unwrap_or_default()
    } else {
        Vec::new()
    };
    PullOutcome {
        code: resp.code,
        remark: resp.remark_str().to_owned(),
        header: resp.header().ok(),
        messages,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn rand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    (u128::from(now_ms() as u64) << 64) | u128::from(N.fetch_add(1, Ordering::Relaxed))
}
