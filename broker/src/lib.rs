//! RocketMQ-compatible broker.
