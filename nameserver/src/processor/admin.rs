//! Topic administration on the name server: DELETE_TOPIC_IN_NAMESRV,
//! WIPE_WRITE_PERM_OF_BROKER, ADD_WRITE_PERM_OF_BROKER (NAMESRV.md §9).

use protocol::header::namesrv::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteTopicFromNamesrvRequestHeader, WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use protocol::RemotingCommand;

use super::{NameServer, Reply};

pub(super) fn delete_topic(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: DeleteTopicFromNamesrvRequestHeader = req.header()?;
    tracing::info!(topic = %h.topic, cluster = ?h.cluster_name, "delete topic");
    ns.routes
        .write()
        .delete_topic(&h.topic, h.cluster_name.as_deref());
    Ok(RemotingCommand::success())
}

pub(super) fn wipe_write_perm(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: WipeWritePermOfBrokerRequestHeader = req.header()?;
    let wipe_topic_count = ns.routes.write().wipe_write_perm(&h.broker_name);
    tracing::info!(broker = %h.broker_name, topics = wipe_topic_count, "write permission wiped");
    Ok(RemotingCommand::success()
        .with_header(&WipeWritePermOfBrokerResponseHeader { wipe_topic_count }))
}

pub(super) fn add_write_perm(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let h: AddWritePermOfBrokerRequestHeader = req.header()?;
    let add_topic_count = ns.routes.write().add_write_perm(&h.broker_name);
    tracing::info!(broker = %h.broker_name, topics = add_topic_count, "write permission added");
    Ok(RemotingCommand::success()
        .with_header(&AddWritePermOfBrokerResponseHeader { add_topic_count }))
}
