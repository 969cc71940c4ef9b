//! Rust RocketMQ client SDK.
