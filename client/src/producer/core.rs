//! The started producer: message encoding, queue selection, the send with
//! retries across brokers (Java's `DefaultMQProducerImpl.sendDefaultImpl`
//! and `sendKernelImpl`).

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use protocol::code::response;
use protocol::header::SendMessageRequestHeaderRef;
use protocol::message::properties::{
    encode_properties_into, MAX_RECONSUME_TIMES, RECONSUME_TIME, TRAN_MSG, UNIQ_KEY, WAIT,
};
use protocol::message::sysflag::TRANSACTION_PREPARED_TYPE;
use protocol::message::{compress_body, encode_batch, BatchMessage};

use super::fault::LatencyFaultTolerance;
use super::msg_id::{next_uniq_id, uniq_id_at};
use super::validate::check_message;
use super::{ProducerConfig, SendResult, SendStatus};
use crate::api::SendKind;
use crate::error::ClientError;
use crate::instance::{MQClientInstance, TopicPublishInfo};
use crate::message::{Message, MessageQueue};

/// Response codes after which a sync send tries another broker (Java 5's
/// `retryResponseCodes`, plus GO_AWAY).
const RETRY_CODES: &[i32] = &[
    response::TOPIC_NOT_EXIST,
    response::SERVICE_NOT_AVAILABLE,
    response::SYSTEM_ERROR,
    response::SYSTEM_BUSY,
    response::NO_PERMISSION,
    response::NO_BUYER_ID,
    response::NOT_IN_CURRENT_UNIT,
    1500,
];

/// How a send waits for its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Wait for the result; retries per `retry_times_when_send_failed`.
    Sync,
    /// Wait for the result; retries per `retry_times_when_send_async_failed`.
    Async,
    /// Fire and forget: one attempt, no result.
    Oneway,
}

/// A message encoded once, before any attempt: what every attempt sends.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) topic: String,
    pub(crate) kind: SendKind,
    pub(crate) body: Bytes,
    pub(crate) sys_flag: i32,
    pub(crate) flag: i32,
    pub(crate) properties: String,
    /// The `UNIQ_KEY`(s) to report in the result.
    pub(crate) msg_id: String,
    pub(crate) reconsume_times: i32,
    pub(crate) max_reconsume_times: Option<i32>,
    /// Wall clock (ms) when it was prepared: the first attempt's
    /// `bornTimestamp` (the same clock read as its `UNIQ_KEY`).
    pub(crate) born_ms: i64,
}

/// A started producer. Shared by the producer handle and its in-flight
/// `'static` send futures.
pub(crate) struct ProducerCore {
    pub(crate) config: ProducerConfig,
    pub(crate) group: String,
    pub(crate) instance: Arc<MQClientInstance>,
    fault: LatencyFaultTolerance,
    next_queue: AtomicUsize,
    closed: AtomicBool,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn is_retry_topic(topic: &str) -> bool {
    topic.starts_with("%RETRY%")
}

impl ProducerCore {
    pub(crate) fn new(config: ProducerConfig, instance: Arc<MQClientInstance>) -> Self {
        ProducerCore {
            group: config.client.with_namespace(&config.producer_group),
            config,
            instance,
            fault: LatencyFaultTolerance::default(),
            next_queue: AtomicUsize::new(rand::random::<u16>() as usize),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn close(&self) -> bool {
        !self.closed.swap(true, Ordering::AcqRel)
    }

    fn check_open(&self) -> Result<(), ClientError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(ClientError::IllegalState(
                "the producer is shut down".into(),
            ));
        }
        Ok(())
    }

    /// Encodes one message: validation, `UNIQ_KEY`, compression, retry-topic
    /// fields, properties string.
    pub(crate) fn prepare(&self, msg: Message) -> Result<Prepared, ClientError> {
        self.check_open()?;
        check_message(&msg, self.config.max_message_size)?;
        let namespaced = match self.config.client.namespaced(&msg.topic) {
            Cow::Owned(t) => Some(t),
            Cow::Borrowed(_) => None,
        };
        let retry = is_retry_topic(namespaced.as_deref().unwrap_or(&msg.topic));
        let mut reconsume_times = 0;
        let mut max_reconsume_times = None;
        let mut sys_flag = 0;
        let born_ms = now_ms();
        let uniq = match msg.uniq_key() {
            Some(u) => u.to_owned(),
            None => uniq_id_at(born_ms),
        };
        let mut props = String::with_capacity(64 + uniq.len());
        for (k, v) in msg.properties() {
            if retry && k == RECONSUME_TIME {
                reconsume_times = v.parse().unwrap_or(0);
                continue;
            }
            if retry && k == MAX_RECONSUME_TIMES {
                max_reconsume_times = v.parse().ok();
                continue;
            }
            if k == UNIQ_KEY {
                continue;
            }
            if k == TRAN_MSG && v == "true" {
                sys_flag |= TRANSACTION_PREPARED_TYPE;
            }
            encode_properties_into([(k, v)], &mut props);
        }
        if msg.property(WAIT).is_none() {
            encode_properties_into([(WAIT, "true")], &mut props);
        }
        encode_properties_into([(UNIQ_KEY, uniq.as_str())], &mut props);
        let flag = msg.flag;
        let mut body = msg.body;
        let topic = namespaced.unwrap_or(msg.topic);
        if body.len() >= self.config.compress_msg_body_over_howmuch {
            let (compressed, bits) = compress_body(&body, self.config.compress_level)?;
            body = Bytes::from(compressed);
            sys_flag |= bits;
        }
        Ok(Prepared {
            topic,
            kind: SendKind::Single,
            body,
            sys_flag,
            flag,
            properties: props,
            msg_id: uniq,
            reconsume_times,
            max_reconsume_times,
            born_ms,
        })
    }

    /// Encodes a batch: all of one topic, no delay, not a retry topic, one
    /// WAIT value; each message gets its own `UNIQ_KEY`.
    pub(crate) fn prepare_batch(&self, msgs: &[Message]) -> Result<Prepared, ClientError> {
        self.check_open()?;
        let first = msgs
            .first()
            .ok_or_else(|| ClientError::IllegalArgument("the batch is empty".into()))?;
        let wait = first.wait_store_msg_ok();
        let mut entries = Vec::with_capacity(msgs.len());
        let mut ids = String::with_capacity(msgs.len() * 33);
        for m in msgs {
            if m.topic != first.topic {
                return Err(ClientError::IllegalArgument(
                    "the topic of the messages in one batch should be the same".into(),
                ));
            }
            if m.delay_time_level() > 0 {
                return Err(ClientError::IllegalArgument(
                    "TimeDelayLevel is not supported for batching".into(),
                ));
            }
            if is_retry_topic(&m.topic) {
                return Err(ClientError::IllegalArgument(
                    "retry group topic is not supported for batching".into(),
                ));
            }
            if m.wait_store_msg_ok() != wait {
                return Err(ClientError::IllegalArgument(
                    "the waitStoreMsgOK of the messages in one batch should be the same".into(),
                ));
            }
            check_message(m, self.config.max_message_size)?;
            let uniq = match m.uniq_key() {
                Some(u) => u.to_owned(),
                None => next_uniq_id(),
            };
            let mut props = String::with_capacity(64);
            for (k, v) in m.properties() {
                if k != UNIQ_KEY {
                    encode_properties_into([(k, v)], &mut props);
                }
            }
            if m.property(WAIT).is_none() {
                encode_properties_into([(WAIT, "true")], &mut props);
            }
            encode_properties_into([(UNIQ_KEY, uniq.as_str())], &mut props);
            if !ids.is_empty() {
                ids.push(',');
            }
            ids.push_str(&uniq);
            entries.push(BatchMessage {
                flag: m.flag,
                body: m.body.clone(),
                properties: props,
            });
        }
        let body = encode_batch(&entries)?;
        if body.len() > self.config.max_message_size {
            return Err(ClientError::IllegalArgument(format!(
                "the batch size {} is over the max size {}",
                body.len(),
                self.config.max_message_size
            )));
        }
        // The wrapper carries WAIT and (as Java 5 does) a UNIQ_KEY of its own.
        let mut props = String::with_capacity(64);
        let wait_str = if wait { "true" } else { "false" };
        let wrapper_id = next_uniq_id();
        encode_properties_into(
            [(WAIT, wait_str), (UNIQ_KEY, wrapper_id.as_str())],
            &mut props,
        );
        Ok(Prepared {
            topic: self.config.client.with_namespace(&first.topic),
            kind: SendKind::Batch,
            body: Bytes::from(body),
            sys_flag: 0,
            flag: 0,
            properties: props,
            msg_id: ids,
            reconsume_times: 0,
            max_reconsume_times: None,
            born_ms: now_ms(),
        })
    }

    /// The publish queues of `topic` (auto-route through the template topic
    /// when it has none yet).
    pub(crate) async fn publish_info(
        &self,
        topic: &str,
    ) -> Result<Arc<TopicPublishInfo>, ClientError> {
        self.instance
            .publish_info(
                topic,
                &self.config.create_topic_key,
                self.config.default_topic_queue_nums,
            )
            .await
    }

    /// One attempt: to `mq`'s master, within `timeout`, stamped
    /// `born_ms`.
    pub(crate) async fn send_kernel(
        &self,
        p: &Prepared,
        mq: &MessageQueue,
        mode: Mode,
        timeout: Duration,
        born_ms: i64,
    ) -> Result<Option<SendResult>, ClientError> {
        let addr = match self.instance.routes().master_addr(&mq.broker_name) {
            Some(a) => a,
            None => {
                // Routes may be stale: refresh once, then give up. (Boxed:
                // the cold path would otherwise size every send's future.)
                let _ = Box::pin(self.instance.update_route(&mq.topic)).await;
                self.instance
                    .routes()
                    .master_addr(&mq.broker_name)
                    .ok_or_else(|| ClientError::BrokerNotFound(mq.broker_name.clone()))?
            }
        };
        let addr = self.config.client.broker_dial_addr(&addr);
        // What the Java 5 client sends: properties, reconsume times and
        // unit mode always; the broker name when known (`batch` follows
        // the kind, set by `send_request`).
        let header = SendMessageRequestHeaderRef {
            producer_group: &self.group,
            topic: &p.topic,
            default_topic: &self.config.create_topic_key,
            default_topic_queue_nums: self.config.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag: p.sys_flag,
            born_timestamp: born_ms,
            flag: p.flag,
            properties: Some(&p.properties),
            reconsume_times: Some(p.reconsume_times),
            unit_mode: Some(false),
            max_reconsume_times: p.max_reconsume_times,
            batch: None,
            bname: (!mq.broker_name.is_empty()).then_some(mq.broker_name.as_str()),
        };
        let api = self.instance.api();
        let cmd = api.send_request(p.kind, &header, p.body.clone());
        match mode {
            Mode::Oneway => api.send_message_oneway(&addr, cmd).await.map(|()| None),
            Mode::Sync | Mode::Async => api
                .send_message(&addr, cmd, mq, p.msg_id.clone(), timeout)
                .await
                .map(Some),
        }
    }

    /// Picks a queue: round robin, avoiding `last_broker` and (with
    /// `send_latency_fault_enable`) brokers recently slow or failing.
    pub(crate) fn select_queue<'a>(
        &self,
        info: &'a TopicPublishInfo,
        last_broker: Option<&str>,
    ) -> Option<&'a MessageQueue> {
        let n = info.queues.len();
        if n == 0 {
            return None;
        }
        let not_last = |mq: &MessageQueue| last_broker != Some(mq.broker_name.as_str());
        if self.config.send_latency_fault_enable {
            let available =
                |mq: &MessageQueue| not_last(mq) && self.fault.is_available(&mq.broker_name);
            if let Some(mq) = self.pick(info, available) {
                return Some(mq);
            }
            if let Some(mq) = self.pick(info, |mq| self.fault.is_available(&mq.broker_name)) {
                return Some(mq);
            }
        } else if let Some(mq) = self.pick(info, not_last) {
            return Some(mq);
        }
        let i = self.next_queue.fetch_add(1, Ordering::Relaxed);
        info.queues.get(i % n)
    }

    fn pick<'a>(
        &self,
        info: &'a TopicPublishInfo,
        ok: impl Fn(&MessageQueue) -> bool,
    ) -> Option<&'a MessageQueue> {
        let n = info.queues.len();
        let start = self.next_queue.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &info.queues[(start + i) % n])
            .find(|mq| ok(mq))
    }

    /// Sends with retries on other brokers (Java's `sendDefaultImpl`).
    /// Returns `None` for oneway sends.
    pub(crate) async fn send_default(
        &self,
        p: &Prepared,
        mode: Mode,
        timeout: Duration,
    ) -> Result<Option<SendResult>, ClientError> {
        let begin = Instant::now();
        // The route is almost always cached; the NameServer path is boxed
        // so that its state does not size every send's future.
        let (info, waited) = match self.instance.cached_publish_info(&p.topic) {
            Some(info) => (info, false),
            None => (Box::pin(self.publish_info(&p.topic)).await?, true),
        };
        let attempts = match mode {
            Mode::Sync => 1 + self.config.retry_times_when_send_failed,
            Mode::Async => 1 + self.config.retry_times_when_send_async_failed,
            Mode::Oneway => 1,
        };
        let mut last_broker: Option<&str> = None;
        let mut last_err: Option<ClientError> = None;
        let mut not_ok: Option<SendResult> = None;
        let mut made = 0;
        for _ in 0..attempts {
            let Some(mq) = self.select_queue(&info, last_broker) else {
                break;
            };
            // A first attempt right after a cached route lookup has used
            // no time worth a clock read.
            let elapsed = if made == 0 && !waited {
                Duration::ZERO
            } else {
                begin.elapsed()
            };
            if elapsed >= timeout {
                return Err(ClientError::Timeout(format!(
                    "send to topic {} did not finish within {} ms",
                    p.topic,
                    timeout.as_millis()
                )));
            }
            // Retries are stamped when they go out (as Java does).
            let born = if made == 0 { p.born_ms } else { now_ms() };
            made += 1;
            let r = self.send_kernel(p, mq, mode, timeout - elapsed, born).await;
            // Clock reads cost on the hot path: only the fault table needs this one.
            let latency = if self.config.send_latency_fault_enable {
                begin.elapsed() - elapsed
            } else {
                Duration::ZERO
            };
            last_broker = Some(mq.broker_name.as_str());
            match r {
                Ok(res) => {
                    if self.config.send_latency_fault_enable {
                        self.fault.update(&mq.broker_name, latency, false);
                    }
                    match res {
                        Some(sr)
                            if sr.send_status != SendStatus::SendOk
                                && self.config.retry_another_broker_when_not_store_ok =>
                        {
                            not_ok = Some(sr);
                            continue;
                        }
                        other => return Ok(other),
                    }
                }
                Err(e) => {
                    if self.config.send_latency_fault_enable {
                        self.fault.update(&mq.broker_name, latency, true);
                    }
                    tracing::debug!(broker = %mq.broker_name, queue = mq.queue_id, error = %e, "send attempt failed");
                    let retry = match &e {
                        ClientError::Broker { code, .. } => RETRY_CODES.contains(code),
                        ClientError::Net(_) | ClientError::BrokerNotFound(_) => true,
                        _ => false,
                    };
                    if !retry {
                        return Err(e);
                    }
                    last_err = Some(e);
                }
            }
        }
        if let Some(sr) = not_ok {
            return Ok(Some(sr));
        }
        Err(ClientError::SendFailed {
            attempts: made,
            elapsed_ms: begin.elapsed().as_millis() as u64,
            last: Box::new(last_err.unwrap_or_else(|| ClientError::NoRoute(p.topic.clone()))),
        })
    }

    /// Sends to one given queue, one attempt.
    pub(crate) async fn send_to(
        &self,
        p: &Prepared,
        mq: &MessageQueue,
        mode: Mode,
        timeout: Duration,
    ) -> Result<Option<SendResult>, ClientError> {
        if mq.topic != p.topic && self.config.client.with_namespace(&mq.topic) != p.topic {
            return Err(ClientError::IllegalArgument(format!(
                "message topic {} does not match the queue's topic {}",
                p.topic, mq.topic
            )));
        }
        // Make sure the broker's address is known.
        if self
            .instance
            .routes()
            .master_addr(&mq.broker_name)
            .is_none()
        {
            self.publish_info(&p.topic).await?;
        }
        self.send_kernel(p, mq, mode, timeout, p.born_ms).await
    }
}
