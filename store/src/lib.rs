//! RocketMQ-compatible storage engine (filled by the storage issue).
