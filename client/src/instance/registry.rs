//! The process-wide table of client instances, keyed by client id (Java's
//! `MQClientManager`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use super::MQClientInstance;
use crate::config::ClientConfig;

type Table = Mutex<HashMap<String, Arc<MQClientInstance>>>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// The live instance for `config`'s client id, or a new started one.
pub(super) fn get_or_create(config: ClientConfig) -> Arc<MQClientInstance> {
    let id = config.client_id();
    let mut t = table().lock();
    if let Some(inst) = t.get(&id) {
        if !inst.is_shut_down() {
            return inst.clone();
        }
    }
    let inst = MQClientInstance::new(config);
    inst.start_tasks();
    t.insert(id, inst.clone());
    inst
}

/// Drops `inst` from the table if it is the one registered under `id`.
pub(super) fn remove(id: &str, inst: &MQClientInstance) {
    let mut t = table().lock();
    if t.get(id)
        .is_some_and(|cur| std::ptr::eq(Arc::as_ptr(cur), inst))
    {
        t.remove(id);
    }
}
