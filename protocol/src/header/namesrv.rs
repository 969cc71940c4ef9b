//! Headers of the NameServer requests (PROTOCOL.md §10), named after their
//! Java classes. Java primitives with a default (`compressed`, `bodyCrc32`)
//! are `Option`s here: absent reads as the default, and brokers should write
//! them explicitly as Java does.

use super::command_header;

command_header! {
    /// REGISTER_BROKER (103) request, sent by every broker to every name
    /// server.
    pub struct RegisterBrokerRequestHeader {
        /// Broker group name, e.g. `broker-a`.
        broker_name: String = "brokerName",
        /// `ip:port` clients connect to.
        broker_addr: String = "brokerAddr",
        /// Cluster name.
        cluster_name: String = "clusterName",
        /// `ip:port` of the HA listener.
        ha_server_addr: String = "haServerAddr",
        /// 0 = master, >= 1 slave.
        broker_id: i64 = "brokerId",
        /// 5.x: expiry for this broker; absent means 120 s.
        heartbeat_timeout_millis: Option<i64> = "heartbeatTimeoutMillis",
        /// 5.x: absent marks a pre-5.0 broker.
        enable_acting_master: Option<bool> = "enableActingMaster",
        /// The body is the deflated form (Java default false).
        compressed: Option<bool> = "compressed",
        /// CRC32 of the body (`& 0x7FFFFFFF`); 0 or absent = unchecked.
        body_crc32: Option<i32> = "bodyCrc32",
    }
}

impl RegisterBrokerRequestHeader {
    /// Whether the body is deflated.
    pub fn is_compressed(&self) -> bool {
        self.compressed.unwrap_or(false)
    }
}

command_header! {
    /// REGISTER_BROKER response: set for slaves whose master is live.
    pub struct RegisterBrokerResponseHeader {
        /// The master's HA address.
        ha_server_addr: Option<String> = "haServerAddr",
        /// The master's remoting address.
        master_addr: Option<String> = "masterAddr",
    }
}

command_header! {
    /// UNREGISTER_BROKER (104) request, sent on clean broker shutdown.
    pub struct UnregisterBrokerRequestHeader {
        /// Broker group name.
        broker_name: String = "brokerName",
        /// The address it registered.
        broker_addr: String = "brokerAddr",
        /// Cluster name.
        cluster_name: String = "clusterName",
        /// Broker id.
        broker_id: i64 = "brokerId",
    }
}

command_header! {
    /// BROKER_HEARTBEAT (904, 5.x) request: refreshes liveness only.
    pub struct BrokerHeartbeatRequestHeader {
        /// Cluster name.
        cluster_name: String = "clusterName",
        /// The address it registered.
        broker_addr: String = "brokerAddr",
        /// Broker group name.
        broker_name: String = "brokerName",
        /// Broker id.
        broker_id: Option<i64> = "brokerId",
        /// Controller epoch.
        epoch: Option<i32> = "epoch",
        /// Max CommitLog offset.
        max_offset: Option<i64> = "maxOffset",
        /// Confirmed CommitLog offset.
        confirm_offset: Option<i64> = "confirmOffset",
        /// Expiry for this broker (Java's spelling: `Mills`).
        heartbeat_timeout_mills: Option<i64> = "heartbeatTimeoutMills",
        /// Controller election priority.
        election_priority: Option<i32> = "electionPriority",
    }
}

command_header! {
    /// GET_ROUTEINFO_BY_TOPIC (105) request.
    pub struct GetRouteInfoRequestHeader {
        /// The topic.
        topic: String = "topic",
        /// Ask for standard JSON (quoted map keys) regardless of version.
        accept_standard_json_only: Option<bool> = "acceptStandardJsonOnly",
    }
}

command_header! {
    /// PUT_KV_CONFIG (100) request.
    pub struct PutKVConfigRequestHeader {
        /// Namespace, e.g. `ORDER_TOPIC_CONFIG`.
        namespace: String = "namespace",
        /// Key.
        key: String = "key",
        /// Value.
        value: String = "value",
    }
}

command_header! {
    /// GET_KV_CONFIG (101) request.
    pub struct GetKVConfigRequestHeader {
        /// Namespace.
        namespace: String = "namespace",
        /// Key.
        key: String = "key",
    }
}

command_header! {
    /// GET_KV_CONFIG response.
    pub struct GetKVConfigResponseHeader {
        /// The value, when found.
        value: Option<String> = "value",
    }
}

command_header! {
    /// DELETE_KV_CONFIG (102) request.
    pub struct DeleteKVConfigRequestHeader {
        /// Namespace.
        namespace: String = "namespace",
        /// Key.
        key: String = "key",
    }
}

command_header! {
    /// GET_KVLIST_BY_NAMESPACE (219) request.
    pub struct GetKVListByNamespaceRequestHeader {
        /// Namespace.
        namespace: String = "namespace",
    }
}

command_header! {
    /// DELETE_TOPIC_IN_NAMESRV (216) request.
    pub struct DeleteTopicFromNamesrvRequestHeader {
        /// The topic.
        topic: String = "topic",
        /// 5.x: only remove the queues on this cluster's brokers.
        cluster_name: Option<String> = "clusterName",
    }
}

command_header! {
    /// WIPE_WRITE_PERM_OF_BROKER (205) request.
    pub struct WipeWritePermOfBrokerRequestHeader {
        /// Broker group whose write permission is cleared.
        broker_name: String = "brokerName",
    }
}

command_header! {
    /// WIPE_WRITE_PERM_OF_BROKER response.
    pub struct WipeWritePermOfBrokerResponseHeader {
        /// Number of topics whose queue data changed.
        wipe_topic_count: i32 = "wipeTopicCount",
    }
}

command_header! {
    /// ADD_WRITE_PERM_OF_BROKER (327) request.
    pub struct AddWritePermOfBrokerRequestHeader {
        /// Broker group whose queues become read-write.
        broker_name: String = "brokerName",
    }
}

command_header! {
    /// ADD_WRITE_PERM_OF_BROKER response.
    pub struct AddWritePermOfBrokerResponseHeader {
        /// Number of topics whose queue data changed.
        add_topic_count: i32 = "addTopicCount",
    }
}

command_header! {
    /// GET_TOPICS_BY_CLUSTER (224) request.
    pub struct GetTopicsByClusterRequestHeader {
        /// Cluster name.
        cluster: String = "cluster",
    }
}

command_header! {
    /// QUERY_DATA_VERSION (322) request; the body is the broker's
    /// DataVersion.
    pub struct QueryDataVersionRequestHeader {
        /// Broker group name.
        broker_name: String = "brokerName",
        /// The address it registered.
        broker_addr: String = "brokerAddr",
        /// Cluster name.
        cluster_name: String = "clusterName",
        /// Broker id.
        broker_id: i64 = "brokerId",
    }
}

command_header! {
    /// QUERY_DATA_VERSION response; the body is the stored DataVersion.
    pub struct QueryDataVersionResponseHeader {
        /// True when the name server's stored version differs or is missing.
        changed: bool = "changed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::{CommandHeader, ExtFields, HeaderError};

    #[test]
    fn register_header_from_a_java_broker() {
        let mut ext = ExtFields::new();
        for (k, v) in [
            ("brokerName", "broker-a"),
            ("brokerAddr", "10.0.0.1:10911"),
            ("clusterName", "DefaultCluster"),
            ("haServerAddr", "10.0.0.1:10912"),
            ("brokerId", "0"),
            ("compressed", "false"),
            ("bodyCrc32", "12345"),
            ("__ZONE_NAME", "z1"),
        ] {
            ext.put(k, v);
        }
        let h = RegisterBrokerRequestHeader::read(&ext).unwrap();
        assert_eq!(h.broker_id, 0);
        assert_eq!(h.body_crc32, Some(12345));
        assert!(!h.is_compressed());
        assert_eq!(h.heartbeat_timeout_millis, None);
        let mut back = ExtFields::new();
        h.write(&mut back);
        assert_eq!(RegisterBrokerRequestHeader::read(&back).unwrap(), h);

        ext.remove("haServerAddr");
        assert_eq!(
            RegisterBrokerRequestHeader::read(&ext),
            Err(HeaderError::Missing("haServerAddr"))
        );
    }

    #[test]
    fn response_headers_write_java_names() {
        let mut ext = ExtFields::new();
        WipeWritePermOfBrokerResponseHeader {
            wipe_topic_count: 3,
        }
        .write(&mut ext);
        QueryDataVersionResponseHeader { changed: true }.write(&mut ext);
        assert_eq!(ext.get("wipeTopicCount"), Some("3"));
        assert_eq!(ext.get("changed"), Some("true"));
    }
}
