//! [`FakeBroker`]: the NameServer side of a broker, scripted — it sends the
//! REGISTER_BROKER / UNREGISTER_BROKER requests a RocketMQ broker sends,
//! with a chosen topic table, so NameServer tests need no real broker.

use std::sync::Arc;

use protocol::body::route::{DataVersion, RegisterBrokerBody, TopicConfig, PERM_RW};
use protocol::code::request;
use protocol::header::namesrv::{RegisterBrokerRequestHeader, UnregisterBrokerRequestHeader};
use protocol::net::Connection;
use protocol::RemotingCommand;

use crate::{HarnessError, RPC_TIMEOUT};

/// A broker identity plus the topic table it registers.
#[derive(Debug, Clone)]
pub struct FakeBroker {
    /// `brokerClusterName`.
    pub cluster: String,
    /// `brokerName`.
    pub name: String,
    /// The address it announces (nothing needs to listen there).
    pub addr: String,
    /// 0 = master.
    pub id: i64,
    /// Sent as `heartbeatTimeoutMillis` when set (5.x brokers always send it).
    pub heartbeat_timeout_ms: Option<i64>,
    /// Version of the topic table.
    pub data_version: DataVersion,
    /// The topics, registered in this order.
    pub topics: Vec<TopicConfig>,
    /// Send the deflated body form (`compressed=true`).
    pub compressed: bool,
}

impl FakeBroker {
    /// A master with the topics every RocketMQ broker has: `TBW102` (perm 7,
    /// 8 queues) and one named after the broker.
    pub fn new(cluster: &str, name: &str, addr: &str) -> Self {
        FakeBroker {
            cluster: cluster.to_owned(),
            name: name.to_owned(),
            addr: addr.to_owned(),
            id: 0,
            heartbeat_timeout_ms: None,
            data_version: DataVersion::new(1_700_000_000_000),
            topics: vec![
                TopicConfig::new("TBW102", 8, 8, 7),
                TopicConfig::new(name, 1, 1, PERM_RW),
            ],
            compressed: false,
        }
    }

    /// Adds a read-write topic with `queues` read and write queues.
    pub fn with_topic(mut self, topic: &str, queues: i32) -> Self {
        self.topics
            .push(TopicConfig::new(topic, queues, queues, PERM_RW));
        self
    }

    /// Sets the broker id (>= 1 for a slave).
    pub fn with_id(mut self, id: i64) -> Self {
        self.id = id;
        self
    }

    /// Sets the `heartbeatTimeoutMillis` the broker announces.
    pub fn with_heartbeat_timeout_ms(mut self, ms: i64) -> Self {
        self.heartbeat_timeout_ms = Some(ms);
        self
    }

    /// The REGISTER_BROKER request a broker would send.
    pub fn register_request(&self) -> RemotingCommand {
        let mut body = RegisterBrokerBody::default();
        body.topic_config_serialize_wrapper.data_version = self.data_version.clone();
        for t in &self.topics {
            body.topic_config_serialize_wrapper
                .topic_config_table
                .insert(t.topic_name.clone(), t.clone());
        }
        let bytes = body.encode(self.compressed).unwrap_or_default();
        let header = RegisterBrokerRequestHeader {
            broker_name: self.name.clone(),
            broker_addr: self.addr.clone(),
            cluster_name: self.cluster.clone(),
            ha_server_addr: ha_addr(&self.addr),
            broker_id: self.id,
            heartbeat_timeout_millis: self.heartbeat_timeout_ms,
            enable_acting_master: Some(false),
            compressed: Some(self.compressed),
            body_crc32: Some((crc32(&bytes) & 0x7FFF_FFFF) as i32),
        };
        RemotingCommand::request(request::REGISTER_BROKER, &header).with_body(bytes)
    }

    /// The UNREGISTER_BROKER request a broker sends on clean shutdown.
    pub fn unregister_request(&self) -> RemotingCommand {
        RemotingCommand::request(
            request::UNREGISTER_BROKER,
            &UnregisterBrokerRequestHeader {
                broker_name: self.name.clone(),
                broker_addr: self.addr.clone(),
                cluster_name: self.cluster.clone(),
                broker_id: self.id,
            },
        )
    }

    /// Registers over `conn` and returns the response.
    pub async fn register(&self, conn: &Arc<Connection>) -> Result<RemotingCommand, HarnessError> {
        Ok(conn.invoke(self.register_request(), RPC_TIMEOUT).await?)
    }

    /// Unregisters over `conn` and returns the response.
    pub async fn unregister(
        &self,
        conn: &Arc<Connection>,
    ) -> Result<RemotingCommand, HarnessError> {
        Ok(conn.invoke(self.unregister_request(), RPC_TIMEOUT).await?)
    }
}

/// `host:port` -> `host:port+1`, RocketMQ's default HA port.
fn ha_addr(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u32>() {
            Ok(p) => format!("{host}:{}", p + 1),
            Err(_) => addr.to_owned(),
        },
        None => addr.to_owned(),
    }
}

/// CRC-32 (IEEE), as `java.util.zip.CRC32` computes it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
