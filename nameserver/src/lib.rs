//! RocketMQ-compatible NameServer.

pub mod clock;
pub mod config;
pub mod kv;
pub mod route_table;
