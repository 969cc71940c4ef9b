//! Producers: [`DefaultMQProducer`] and what its sends return.
//!
//! ```no_run
//! # async fn demo() -> Result<(), client::ClientError> {
//! use client::producer::DefaultMQProducer;
//! use client::Message;
//!
//! let mut producer = DefaultMQProducer::new("ProducerGroup");
//! producer.set_namesrv_addr("127.0.0.1:9876");
//! producer.start().await?;
//! let result = producer.send(Message::new("TopicTest", "hello").with_tags("TagA")).await?;
//! println!("{result}");
//! producer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Module map: [`config`] settings; `core` encoding, queue selection and the
//! retry loop; [`fault`] latency-based broker avoidance; [`selector`] queue
//! selectors for ordered sends; `send_result` results and callbacks;
//! `validate` message checks; `msg_id` the `UNIQ_KEY` generator.

pub mod config;
mod core;
pub mod fault;
mod msg_id;
pub mod selector;
mod send_result;
mod validate;

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use config::ProducerConfig;
pub use msg_id::next_uniq_id;
pub use selector::{
    JavaHashCode, MessageQueueSelector, SelectMessageQueueByHash, SelectMessageQueueByRandom,
};
pub use send_result::{SendCallback, SendResult, SendStatus};
pub use validate::{check_message, check_topic};

use self::core::{Mode, ProducerCore};
use crate::error::ClientError;
use crate::instance::MQClientInstance;
use crate::message::{Message, MessageQueue};

/// A producer (Java's `DefaultMQProducer`): configure, [`start`], send,
/// [`shutdown`].
///
/// Sends may run concurrently from many tasks; clone-free sharing is by
/// reference (`&DefaultMQProducer` or an `Arc`).
///
/// [`start`]: DefaultMQProducer::start
/// [`shutdown`]: DefaultMQProducer::shutdown
pub struct DefaultMQProducer {
    config: ProducerConfig,
    core: OnceLock<Arc<ProducerCore>>,
}

impl std::fmt::Debug for DefaultMQProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultMQProducer")
            .field("group", &self.config.producer_group)
            .field("started", &self.core.get().is_some())
            .finish()
    }
}

impl DefaultMQProducer {
    /// A producer of `group` with Java's defaults.
    pub fn new(group: impl Into<String>) -> Self {
        Self::with_config(ProducerConfig::new(group))
    }

    /// A producer with the given settings.
    pub fn with_config(config: ProducerConfig) -> Self {
        DefaultMQProducer {
            config,
            core: OnceLock::new(),
        }
    }

    /// The settings (change them before [`DefaultMQProducer::start`]).
    pub fn config(&self) -> &ProducerConfig {
        &self.config
    }

    /// The settings, to change before [`DefaultMQProducer::start`].
    pub fn config_mut(&mut self) -> &mut ProducerConfig {
        &mut self.config
    }

    /// Sets the NameServer list (`host:port;host:port`).
    pub fn set_namesrv_addr(&mut self, addr: impl Into<String>) {
        self.config.client.namesrv_addr = Some(addr.into());
    }

    /// The producer group.
    pub fn producer_group(&self) -> &str {
        &self.config.producer_group
    }

    /// Joins (or creates) the client instance and registers the group.
    pub async fn start(&self) -> Result<(), ClientError> {
        if self.core.get().is_some() {
            return Err(ClientError::IllegalState(
                "the producer has already been started".into(),
            ));
        }
        if self.config.producer_group.trim().is_empty() {
            return Err(ClientError::IllegalArgument(
                "the producer group is blank".into(),
            ));
        }
        let instance = MQClientInstance::get_or_create(&self.config.client).await?;
        let core = Arc::new(ProducerCore::new(self.config.clone(), instance.clone()));
        instance.register_producer(&core.group)?;
        if self.core.set(core.clone()).is_err() {
            instance.unregister_producer(&core.group).await;
            return Err(ClientError::IllegalState(
                "the producer has already been started".into(),
            ));
        }
        Ok(())
    }

    /// Unregisters from every broker and leaves the client instance (which
    /// shuts down if nothing else uses it). Later sends fail.
    pub async fn shutdown(&self) {
        if let Some(core) = self.core.get() {
            if core.close() {
                core.instance.unregister_producer(&core.group).await;
            }
        }
    }

    fn core(&self) -> Result<&Arc<ProducerCore>, ClientError> {
        self.core
            .get()
            .ok_or_else(|| ClientError::IllegalState("the producer has not been started".into()))
    }

    /// The client instance (after start).
    pub fn instance(&self) -> Option<&Arc<MQClientInstance>> {
        self.core.get().map(|c| &c.instance)
    }

    /// Sends and waits for the broker's answer, retrying on other brokers up
    /// to `retry_times_when_send_failed` times within `send_msg_timeout`.
    pub async fn send(&self, msg: Message) -> Result<SendResult, ClientError> {
        let timeout = self.config.send_msg_timeout;
        self.send_with_timeout(msg, timeout).await
    }

    /// [`DefaultMQProducer::send`] with its own total time budget.
    pub async fn send_with_timeout(
        &self,
        msg: Message,
        timeout: Duration,
    ) -> Result<SendResult, ClientError> {
        let core = self.core()?;
        let p = core.prepare(msg)?;
        expect_result(core.send_default(&p, Mode::Sync, timeout).await)
    }

    /// The asynchronous send as a `'static` future (it does not borrow the
    /// producer): push many into a `FuturesUnordered` or spawn them. Retries
    /// up to `retry_times_when_send_async_failed` times.
    pub fn send_async_future(
        &self,
        msg: Message,
    ) -> impl Future<Output = Result<SendResult, ClientError>> + Send + 'static {
        let core = self.core().cloned();
        let timeout = self.config.send_msg_timeout;
        async move {
            let core = core?;
            let p = core.prepare(msg)?;
            expect_result(core.send_default(&p, Mode::Async, timeout).await)
        }
    }

    /// The asynchronous send with a callback (Java's `send(msg, callback)`):
    /// returns at once; `callback` gets the result or the error.
    pub fn send_async(&self, msg: Message, callback: impl SendCallback) {
        let fut = self.send_async_future(msg);
        tokio::spawn(async move {
            Box::new(callback).on_complete(fut.await);
        });
    }

    /// Sends without waiting for any answer (no retry, no result).
    pub async fn send_oneway(&self, msg: Message) -> Result<(), ClientError> {
        let core = self.core()?;
        let p = core.prepare(msg)?;
        core.send_default(&p, Mode::Oneway, self.config.send_msg_timeout)
            .await
            .map(|_| ())
    }

    /// Sends to the given queue and waits (one attempt, no retry).
    pub async fn send_to_queue(
        &self,
        msg: Message,
        mq: &MessageQueue,
    ) -> Result<SendResult, ClientError> {
        let core = self.core()?;
        let p = core.prepare(msg)?;
        expect_result(
            core.send_to(&p, mq, Mode::Sync, self.config.send_msg_timeout)
                .await,
        )
    }

    /// Sends to the given queue without waiting for an answer.
    pub async fn send_oneway_to_queue(
        &self,
        msg: Message,
        mq: &MessageQueue,
    ) -> Result<(), ClientError> {
        let core = self.core()?;
        let p = core.prepare(msg)?;
        core.send_to(&p, mq, Mode::Oneway, self.config.send_msg_timeout)
            .await
            .map(|_| ())
    }

    /// Sends to the queue `selector` picks for `arg` (ordered messages: the
    /// same `arg` goes to the same queue) and waits; no retry on another
    /// queue, as ordering requires.
    pub async fn send_with_selector<S, A>(
        &self,
        msg: Message,
        selector: &S,
        arg: &A,
    ) -> Result<SendResult, ClientError>
    where
        S: MessageQueueSelector<A> + ?Sized,
        A: ?Sized,
    {
        let core = self.core()?;
        let topic = self.config.client.with_namespace(&msg.topic);
        let mq = self.select_with(core, &topic, &msg, selector, arg).await?;
        let p = core.prepare(msg)?;
        expect_result(
            core.send_to(&p, &mq, Mode::Sync, self.config.send_msg_timeout)
                .await,
        )
    }

    /// [`DefaultMQProducer::send_with_selector`] without waiting for an answer.
    pub async fn send_oneway_with_selector<S, A>(
        &self,
        msg: Message,
        selector: &S,
        arg: &A,
    ) -> Result<(), ClientError>
    where
        S: MessageQueueSelector<A> + ?Sized,
        A: ?Sized,
    {
        let core = self.core()?;
        let topic = self.config.client.with_namespace(&msg.topic);
        let mq = self.select_with(core, &topic, &msg, selector, arg).await?;
        let p = core.prepare(msg)?;
        core.send_to(&p, &mq, Mode::Oneway, self.config.send_msg_timeout)
            .await
            .map(|_| ())
    }

    async fn select_with<S, A>(
        &self,
        core: &ProducerCore,
        topic: &str,
        msg: &Message,
        selector: &S,
        arg: &A,
    ) -> Result<MessageQueue, ClientError>
    where
        S: MessageQueueSelector<A> + ?Sized,
        A: ?Sized,
    {
        let info = core.publish_info(topic).await?;
        selector
            .select(&info.queues, msg, arg)
            .cloned()
            .ok_or_else(|| ClientError::IllegalArgument("the selector chose no queue".into()))
    }

    /// Sends messages of one topic as one batch (SEND_BATCH_MESSAGE), with
    /// the retries of [`DefaultMQProducer::send`]. The result's `msg_id`
    /// lists every message's id, comma-joined.
    pub async fn send_batch(&self, msgs: &[Message]) -> Result<SendResult, ClientError> {
        let core = self.core()?;
        let p = core.prepare_batch(msgs)?;
        expect_result(
            core.send_default(&p, Mode::Sync, self.config.send_msg_timeout)
                .await,
        )
    }

    /// A batch as a `'static` future (see
    /// [`DefaultMQProducer::send_async_future`]).
    pub fn send_batch_async_future(
        &self,
        msgs: Vec<Message>,
    ) -> impl Future<Output = Result<SendResult, ClientError>> + Send + 'static {
        let core = self.core().cloned();
        let timeout = self.config.send_msg_timeout;
        async move {
            let core = core?;
            let p = core.prepare_batch(&msgs)?;
            expect_result(core.send_default(&p, Mode::Async, timeout).await)
        }
    }

    /// A batch to the given queue, one attempt.
    pub async fn send_batch_to_queue(
        &self,
        msgs: &[Message],
        mq: &MessageQueue,
    ) -> Result<SendResult, ClientError> {
        let core = self.core()?;
        let p = core.prepare_batch(msgs)?;
        expect_result(
            core.send_to(&p, mq, Mode::Sync, self.config.send_msg_timeout)
                .await,
        )
    }

    /// The queues this producer may send `topic`'s messages to (Java's
    /// `fetchPublishMessageQueues`).
    pub async fn fetch_publish_message_queues(
        &self,
        topic: &str,
    ) -> Result<Vec<MessageQueue>, ClientError> {
        let core = self.core()?;
        let topic = self.config.client.with_namespace(topic);
        Ok(core.publish_info(&topic).await?.queues.clone())
    }
}

fn expect_result(r: Result<Option<SendResult>, ClientError>) -> Result<SendResult, ClientError> {
    r?.ok_or_else(|| ClientError::IllegalState("a waiting send returned no result".into()))
}
