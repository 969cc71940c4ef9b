//! RocketMQ-compatible NameServer.
