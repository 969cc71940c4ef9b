//! Lookups by clients and admin tools: routes, cluster info and topic lists
//! (PROTOCOL.md §10.1, §10.6–§10.8).

use protocol::body::fastjson::{JsonBody, JsonStyle};
use protocol::code::response;
use protocol::header::namesrv::{GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader};
use protocol::RemotingCommand;

use super::{NameServer, Reply};
use crate::kv::NAMESPACE_ORDER_TOPIC_CONFIG;
use crate::route_table::UnitFilter;

/// `MQVersion` ordinal of 4.9.4: clients from this version on get routes in
/// standard JSON (quoted broker-id keys).
const STANDARD_JSON_MIN_VERSION: i32 = 401;

pub(super) fn route_by_topic(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: GetRouteInfoRequestHeader = req.header()?;
    let Some(mut route) = ns.routes.read().route(&h.topic) else {
        return Ok(RemotingCommand::error(
            response::TOPIC_NOT_EXIST,
            format!(
                "No topic route info in name server for the topic: {}\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.",
                h.topic
            ),
        ));
    };
    if ns.config.read().order_message_enable {
        route.order_topic_conf = ns.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, &h.topic);
    }
    let style =
        if req.version >= STANDARD_JSON_MIN_VERSION || h.accept_standard_json_only == Some(true) {
            JsonStyle::Standard
        } else {
            JsonStyle::Fastjson
        };
    Ok(RemotingCommand::success().with_body(route.to_json_in(style)))
}

pub(super) fn cluster_info(ns: &NameServer) -> Reply {
    // Always fastjson's bare keys, whatever the client's version (§10.6).
    let info = ns.routes.read().cluster_info();
    Ok(RemotingCommand::success().with_body(info.to_json()))
}

pub(super) fn all_topics(ns: &NameServer) -> Reply {
    if !ns.config.read().enable_all_topic_list {
        return Ok(RemotingCommand::error(response::SYSTEM_ERROR, "disable"));
    }
    let list = ns.routes.read().all_topics();
    Ok(RemotingCommand::success().with_body(list.to_json()))
}

pub(super) fn topics_by_cluster(ns: &NameServer, req: &RemotingCommand) -> Reply {
    if !ns.config.read().enable_topic_list {
        return Ok(RemotingCommand::error(response::SYSTEM_ERROR, "disable"));
    }
    let h: GetTopicsByClusterRequestHeader = req.header()?;
    let list = ns.routes.read().topics_by_cluster(&h.cluster);
    Ok(RemotingCommand::success().with_body(list.to_json()))
}

pub(super) fn system_topics(ns: &NameServer) -> Reply {
    let list = ns.routes.read().system_topics();
    Ok(RemotingCommand::success().with_body(list.to_json()))
}

pub(super) fn unit_topics(ns: &NameServer, filter: UnitFilter) -> Reply {
    let list = ns.routes.read().unit_topics(filter);
    Ok(RemotingCommand::success().with_body(list.to_json()))
}
