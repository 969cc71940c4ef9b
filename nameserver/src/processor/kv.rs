//! KV config requests: PUT/GET/DELETE_KV_CONFIG, GET_KVLIST_BY_NAMESPACE
//! (NAMESRV.md §8).

use protocol::body::fastjson::JsonBody;
use protocol::code::response;
use protocol::header::namesrv::{
    DeleteKVConfigRequestHeader, GetKVConfigRequestHeader, GetKVConfigResponseHeader,
    GetKVListByNamespaceRequestHeader, PutKVConfigRequestHeader,
};
use protocol::RemotingCommand;

use super::{NameServer, Reply};

pub(super) fn put(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: PutKVConfigRequestHeader = req.header()?;
    ns.kv.put(&h.namespace, &h.key, &h.value);
    Ok(RemotingCommand::success())
}

pub(super) fn get(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: GetKVConfigRequestHeader = req.header()?;
    Ok(match ns.kv.get(&h.namespace, &h.key) {
        Some(value) => RemotingCommand::success()
            .with_header(&GetKVConfigResponseHeader { value: Some(value) }),
        None => RemotingCommand::error(
            response::QUERY_NOT_FOUND,
            format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
        ),
    })
}

pub(super) fn delete(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: DeleteKVConfigRequestHeader = req.header()?;
    ns.kv.delete(&h.namespace, &h.key);
    Ok(RemotingCommand::success())
}

pub(super) fn list(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: GetKVListByNamespaceRequestHeader = req.header()?;
    Ok(match ns.kv.list(&h.namespace) {
        Some(table) => RemotingCommand::success().with_body(table.to_json()),
        None => RemotingCommand::error(
            response::QUERY_NOT_FOUND,
            format!("No config item, Namespace: {}", h.namespace),
        ),
    })
}
