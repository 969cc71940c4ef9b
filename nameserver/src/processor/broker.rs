//! Broker-facing requests: REGISTER_BROKER, UNREGISTER_BROKER,
//! BROKER_HEARTBEAT, QUERY_DATA_VERSION (PROTOCOL.md §10.2–§10.5).

use std::sync::Arc;

use protocol::body::fastjson::JsonBody;
use protocol::body::route::{register_body_crc32, DataVersion, RegisterBrokerBody};
use protocol::code::response;
use protocol::header::namesrv::{
    BrokerHeartbeatRequestHeader, QueryDataVersionRequestHeader, QueryDataVersionResponseHeader,
    RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnregisterBrokerRequestHeader,
};
use protocol::net::Connection;
use protocol::RemotingCommand;

use super::{NameServer, Reply};
use crate::kv::NAMESPACE_ORDER_TOPIC_CONFIG;
use crate::route_table::{BrokerIdentity, Registration};

/// Ext field in which 5.x brokers announce their zone.
const ZONE_NAME_FIELD: &str = "__ZONE_NAME";

pub(super) fn register(ns: &NameServer, conn: &Arc<Connection>, req: &RemotingCommand) -> Reply {
    let h: RegisterBrokerRequestHeader = req.header()?;
    if let Some(expected) = h.body_crc32.filter(|c| *c != 0) {
        let actual = register_body_crc32(&req.body);
        if actual != expected {
            tracing::warn!(broker = %h.broker_addr, expected, actual, "register body crc32 mismatch");
            return Ok(RemotingCommand::error(
                response::SYSTEM_ERROR,
                "crc32 not match",
            ));
        }
    }
    let body = RegisterBrokerBody::decode(&req.body, h.is_compressed(), req.version)?;
    let reg = Registration {
        broker: BrokerIdentity {
            cluster: h.cluster_name,
            broker_name: h.broker_name,
            broker_addr: h.broker_addr,
            broker_id: h.broker_id,
        },
        ha_server_addr: h.ha_server_addr,
        zone_name: req.ext_fields.opt_string(ZONE_NAME_FIELD),
        timeout_ms: h.heartbeat_timeout_millis,
        enable_acting_master: h.enable_acting_master,
        conn_id: Some(conn.id()),
    };
    let (delete_stale, return_order_conf) = {
        let c = ns.config.read();
        (
            c.delete_topic_with_broker_registration,
            c.return_order_topic_config_to_broker,
        )
    };
    let result = ns.routes.write().register(
        &reg,
        &body.topic_config_serialize_wrapper,
        &body.filter_server_list,
        delete_stale,
    );
    let Some(result) = result else {
        return Ok(RemotingCommand::error(
            response::SYSTEM_ERROR,
            "register broker failed",
        ));
    };
    ns.broker_conns
        .lock()
        .insert(conn.id(), Arc::downgrade(conn));
    let mut resp = RemotingCommand::success().with_header(&RegisterBrokerResponseHeader {
        ha_server_addr: result.ha_server_addr,
        master_addr: result.master_addr,
    });
    if return_order_conf {
        if let Some(table) = ns.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG) {
            resp = resp.with_body(table.to_json());
        }
    }
    Ok(resp)
}

pub(super) fn unregister(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: UnregisterBrokerRequestHeader = req.header()?;
    let b = BrokerIdentity {
        cluster: h.cluster_name,
        broker_name: h.broker_name,
        broker_addr: h.broker_addr,
        broker_id: h.broker_id,
    };
    tracing::info!(broker = ?b, "broker unregistered");
    ns.routes.write().unregister(&[b]);
    Ok(RemotingCommand::success())
}

pub(super) fn heartbeat(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: BrokerHeartbeatRequestHeader = req.header()?;
    ns.routes.write().touch(&h.cluster_name, &h.broker_addr);
    Ok(RemotingCommand::success())
}

pub(super) fn query_data_version(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: QueryDataVersionRequestHeader = req.header()?;
    let version = DataVersion::from_json(&req.body)?;
    let (changed, stored) =
        ns.routes
            .write()
            .query_data_version(&h.cluster_name, &h.broker_addr, &version);
    let mut resp =
        RemotingCommand::success().with_header(&QueryDataVersionResponseHeader { changed });
    if let Some(stored) = stored {
        resp = resp.with_body(stored.to_json());
    }
    Ok(resp)
}
