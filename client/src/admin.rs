//! The admin API (Java's `DefaultMQAdminExt`).

/// Admin client: topics, groups, offsets, brokers.
#[derive(Debug, Default)]
pub struct DefaultMQAdminExt {}
