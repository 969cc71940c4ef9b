//! Building the third-party client's producers and push consumers for one scenario.
//!
//! All clients of a process share one `ClientRuntime`, created with an explicit remoting
//! command factory so that every request carries the chosen header encoding (the crate's
//! other switch, `ROCKETMQ_SERIALIZE_TYPE`, is also set by `main` for code paths that read
//! the process default).

use std::sync::Arc;
use std::time::Duration;

use rocketmq_client_rust::{
    ClientConfig, ClientRuntime, ClientRuntimeConfig, DefaultMQProducer, DefaultMQPushConsumer,
    MQPushConsumer, TelemetryHandle,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;
use rocketmq_protocol::protocol::remoting_command_defaults::{
    RemotingCommandDefaults, RemotingCommandFactory,
};
use rocketmq_protocol::protocol::SerializeType;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};

use crate::args::Serialize;
use crate::error::{InteropError, StepContext};
use crate::inbox::Recorder;

/// How often clients re-read topic routes. The client default (30 s) would make a consumer
/// that started before its topic was registered wait half a minute; 10 s is the minimum it accepts.
const ROUTE_POLL_MS: u32 = 10_000;
/// Parallelism the client runtime is sized for (worker threads; blocking capacity is 4x).
const RUNTIME_PARALLELISM: usize = 8;
/// Bound on each client's shutdown, so that a broker that stops answering cannot hang a run.
pub const SHUTDOWN_BOUND: Duration = Duration::from_secs(10);

/// The runtime owner plus the client runtime every producer and consumer is built on.
pub struct Clients {
    owner: RuntimeOwner,
    runtime: Arc<ClientRuntime>,
    namesrv: String,
    /// Distinguishes this process's topics, groups and client instances from earlier runs.
    pub run_id: String,
}

/// How a push consumer consumes.
pub struct ConsumerSpec<'a> {
    /// Consumer group.
    pub group: &'a str,
    /// Topic to subscribe to.
    pub topic: &'a str,
    /// Subscription expression (`*` or `TagA || TagB`).
    pub expression: &'a str,
    /// Clustering or broadcasting.
    pub model: MessageModel,
    /// The listener; the flag says whether it is registered as orderly.
    pub listener: Recorder,
    /// Register the listener as orderly (queue locks, one thread per queue).
    pub orderly: bool,
    /// Client instance name; distinct names give distinct client ids in one process.
    pub instance: String,
}

impl Clients {
    /// Builds the tokio runtime and the client runtime for `serialize`.
    pub fn new(namesrv: &str, serialize: Serialize, run_id: String) -> Result<Self, InteropError> {
        // Sized as for 8 CPUs whatever the machine has: the client runs each consume batch on a
        // bounded blocking lane, and the 2-CPU profile (8 slots) rejects batches of a consumer
        // with its default 20 consume threads ("runtime.capacity.exhausted"), delaying them.
        let owner = RuntimeOwner::plan(RuntimeConfig::for_parallelism(
            "interop",
            RUNTIME_PARALLELISM,
        ))
        .map_err(|e| InteropError::Runtime(e.to_string()))?
        .build()
        .map_err(|e| InteropError::Runtime(e.to_string()))?;
        let serialize_type = match serialize {
            Serialize::Json => SerializeType::JSON,
            Serialize::Rocketmq => SerializeType::ROCKETMQ,
        };
        let factory = RemotingCommandFactory::new(RemotingCommandDefaults::new(
            rocketmq_model::version::CURRENT_VERSION as i32,
            serialize_type,
        ));
        let runtime = ClientRuntime::try_new_with_remoting_command_factory(
            owner.root_context().component("client"),
            ClientRuntimeConfig {
                shutdown_timeout: SHUTDOWN_BOUND,
                ..ClientRuntimeConfig::default()
            },
            TelemetryHandle::noop(),
            factory,
        )
        .map_err(|e| InteropError::Runtime(e.to_string()))?;
        Ok(Clients {
            owner,
            runtime,
            namesrv: namesrv.to_owned(),
            run_id,
        })
    }

    /// Runs `fut` to completion on the owned runtime.
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        self.owner.block_on(fut)
    }

    /// Shuts the client runtime down, bounded by [`SHUTDOWN_BOUND`].
    pub async fn shutdown(&self) {
        let _ = tokio::time::timeout(SHUTDOWN_BOUND, self.runtime.shutdown()).await;
    }

    /// Cancels whatever client task is left and lets the tokio runtime wind down in the
    /// background (never blocks).
    pub fn close(self) {
        let _ = self.owner.shutdown_background();
    }

    fn config(&self, instance: &str) -> ClientConfig {
        ClientConfig::builder()
            .namesrv_addr(self.namesrv.as_str())
            .instance_name(format!("{instance}_{}", self.run_id))
            .poll_name_server_interval(ROUTE_POLL_MS)
            .build_unvalidated()
    }

    /// Starts a producer of group `group`.
    pub async fn producer(&self, group: &str) -> Result<DefaultMQProducer, InteropError> {
        let mut producer = DefaultMQProducer::builder(Arc::clone(&self.runtime))
            .client_config(self.config("producer"))
            .name_server_addr(self.namesrv.as_str())
            .producer_group(group)
            .send_msg_timeout(5_000)
            .build();
        producer.start().await.step("start producer")?;
        Ok(producer)
    }

    /// Starts a push consumer reading from the first offset of its topic.
    pub async fn push_consumer(
        &self,
        spec: ConsumerSpec<'_>,
    ) -> Result<DefaultMQPushConsumer, InteropError> {
        let mut consumer = DefaultMQPushConsumer::builder(Arc::clone(&self.runtime))
            .client_config(self.config(&spec.instance))
            .name_server_addr(self.namesrv.as_str())
            .consumer_group(spec.group)
            .message_model(spec.model)
            .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
            .build();
        consumer
            .subscribe(spec.topic, spec.expression)
            .await
            .step(format!("subscribe {} {:?}", spec.topic, spec.expression))?;
        if spec.orderly {
            consumer.register_message_listener_orderly(spec.listener);
        } else {
            consumer.register_message_listener_concurrently(spec.listener);
        }
        consumer
            .start()
            .await
            .step(format!("start consumer {}", spec.instance))?;
        Ok(consumer)
    }
}

/// Shuts a producer down, bounded by [`SHUTDOWN_BOUND`].
pub async fn stop_producer(mut producer: DefaultMQProducer) {
    let _ = tokio::time::timeout(SHUTDOWN_BOUND, producer.shutdown()).await;
}

/// Shuts push consumers down (persisting offsets, unregistering), each bounded by [`SHUTDOWN_BOUND`].
pub async fn stop_consumers(consumers: Vec<DefaultMQPushConsumer>) {
    for mut consumer in consumers {
        let _ = tokio::time::timeout(SHUTDOWN_BOUND, consumer.shutdown()).await;
    }
}
