//! Rust RocketMQ client SDK: the Java client's concepts under the same
//! names, in async Rust, speaking RocketMQ's remoting protocol to any
//! RocketMQ broker.
//!
//! - [`producer::DefaultMQProducer`]: sync, async, oneway, ordered
//!   (selector) and batch sends with retries and broker avoidance.
//! - [`consumer`]: push and lite-pull consumers.
//! - [`admin::DefaultMQAdminExt`]: topic, group, offset and broker admin.
//! - [`MQClientInstance`]: what clients of one client id share (routes,
//!   connections, heartbeats, rebalance); [`MQClientAPI`] its typed RPCs.
//! - `bench`: the `mqbench` load tool's engine.
//!
//! Errors are [`ClientError`]s; a broker refusal keeps the broker's
//! response code and remark.

pub mod admin;
pub mod api;
pub mod bench;
pub mod config;
pub mod consumer;
pub mod error;
pub mod instance;
pub mod message;
pub mod producer;

pub use api::MQClientAPI;
pub use config::ClientConfig;
pub use error::ClientError;
pub use instance::{ConsumerHook, MQClientInstance};
pub use message::{Message, MessageExt, MessageQueue};
