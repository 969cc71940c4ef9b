//! [`ProducerConfig`]: a producer's settings (CLIENT-API.md §3).

use std::time::Duration;

use crate::config::ClientConfig;
use crate::instance::DEFAULT_TOPIC;

/// Settings of a [`super::DefaultMQProducer`], with Java's defaults.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// The producer group (required; also used for transaction checks).
    pub producer_group: String,
    /// Settings shared with the client instance (NameServers, timeouts...).
    pub client: ClientConfig,
    /// Template topic for auto-creating topics (`TBW102`).
    pub create_topic_key: String,
    /// Queues per broker of an auto-created topic (4).
    pub default_topic_queue_nums: i32,
    /// Total time budget of one send, retries included (3 s).
    pub send_msg_timeout: Duration,
    /// Bodies of at least this many bytes are zlib-compressed (4 KiB).
    pub compress_msg_body_over_howmuch: usize,
    /// zlib level (5).
    pub compress_level: u32,
    /// Extra attempts of a sync send, each on another broker when possible (2).
    pub retry_times_when_send_failed: u32,
    /// Extra attempts of an async send (2).
    pub retry_times_when_send_async_failed: u32,
    /// Also retry when the broker stored the message but did not confirm
    /// flush/replication (false).
    pub retry_another_broker_when_not_store_ok: bool,
    /// Largest body (or whole batch) accepted (4 MiB).
    pub max_message_size: usize,
    /// Latency-based broker avoidance (false).
    pub send_latency_fault_enable: bool,
}

impl ProducerConfig {
    /// Java's defaults for `group`.
    pub fn new(group: impl Into<String>) -> Self {
        ProducerConfig {
            producer_group: group.into(),
            client: ClientConfig::default(),
            create_topic_key: DEFAULT_TOPIC.to_owned(),
            default_topic_queue_nums: 4,
            send_msg_timeout: Duration::from_secs(3),
            compress_msg_body_over_howmuch: 4096,
            compress_level: 5,
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            retry_another_broker_when_not_store_ok: false,
            max_message_size: 4 * 1024 * 1024,
            send_latency_fault_enable: false,
        }
    }
}
