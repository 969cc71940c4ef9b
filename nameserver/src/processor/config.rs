//! GET_NAMESRV_CONFIG / UPDATE_NAMESRV_CONFIG: the settings as
//! Java-properties text (PROTOCOL.md §10.8).

use protocol::body::properties;
use protocol::code::response;
use protocol::RemotingCommand;

use super::{NameServer, Reply};
use crate::config::Applied;

pub(super) fn get(ns: &NameServer) -> Reply {
    let text = ns.config.read().to_properties_text();
    Ok(RemotingCommand::success().with_body(text.into_bytes()))
}

/// Applies the properties in the body (unknown keys are skipped, as Java's
/// reflection-based update does), then persists the whole config to
/// `configStorePath`. A black-listed key refuses the whole update.
pub(super) fn update(ns: &NameServer, req: &RemotingCommand) -> Reply {
    let text = String::from_utf8_lossy(&req.body);
    let entries = properties::parse(&text);
    let mut config = ns.config.write();
    if let Some((k, _)) = entries.iter().find(|(k, _)| config.is_black_listed(k)) {
        tracing::warn!(key = %k, "refused to update a black-listed config key");
        return Ok(RemotingCommand::error(
            response::NO_PERMISSION,
            "Can not update config in black list.",
        ));
    }
    let mut updated = config.clone();
    for (k, v) in &entries {
        match updated.apply(k, v) {
            Ok(Applied::Set) => tracing::info!(key = %k, value = %v, "config updated"),
            Ok(_) => tracing::warn!(key = %k, "config key not updatable here; skipped"),
            Err(e) => {
                return Ok(RemotingCommand::error(
                    response::SYSTEM_ERROR,
                    e.to_string(),
                ))
            }
        }
    }
    *config = updated;
    // Written under the lock so concurrent updates cannot persist out of order.
    let path = &config.config_store_path;
    if let Err(e) = crate::kv::write_file(path, &config.to_properties_text()) {
        tracing::error!(path = %path.display(), error = %e, "persisting config failed");
    }
    Ok(RemotingCommand::success())
}
