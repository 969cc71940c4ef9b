//! RocketMQ-compatible broker.

pub mod clock;
pub mod filter;
pub mod json_file;
pub mod offset_manager;
pub mod client_manager;
pub mod lock_manager;
pub mod subscription_manager;
