//! RocketMQ-compatible broker: serves producers and consumers of any
//! RocketMQ client over the remoting protocol, stores messages in
//! [`store`], and registers with the name servers.
//!
//! Start one with [`run`] (or [`Broker::start`] / [`Broker::shutdown`] to
//! keep a handle); `mqbroker` is a thin binary over it.
//!
//! Module map:
//! - [`config`]: `broker.conf` keys and defaults ([`BrokerConfig`]).
//! - [`context`]: [`BrokerContext`], the shared state.
//! - [`server`]: start/stop of listeners, services and the store.
//! - [`registration`]: REGISTER_BROKER / UNREGISTER_BROKER to name servers.
//! - [`topic_manager`]: topics.json, system topics, TBW102 auto-create.
//! - [`subscription_manager`], [`offset_manager`], [`client_manager`],
//!   [`lock_manager`]: groups, offsets, client connections, queue locks.
//! - [`long_poll`]: held pulls woken by message arrival.
//! - [`processor`]: one processor per group of request codes, and the router.
//! - [`error`]: [`BrokerError`] and its mapping to response codes.

pub mod client_manager;
pub mod clock;
pub mod config;
pub mod context;
pub mod error;
pub mod filter;
pub mod json_file;
pub mod lock_manager;
pub mod long_poll;
pub mod offset_manager;
pub mod processor;
pub mod registration;
pub mod server;
pub mod subscription_manager;
pub mod topic_manager;

pub use config::BrokerConfig;
pub use context::BrokerContext;
pub use error::BrokerError;
pub use server::{bind, run, Broker};
