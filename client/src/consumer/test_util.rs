//! Helpers for the consumer module's unit tests.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;

use crate::message::MessageExt;

/// A message of queue `T/broker-a/0` at `offset` with a body of `size` bytes.
pub(crate) fn msg(offset: i64, size: usize) -> MessageExt {
    let host = SocketAddr::from((Ipv4Addr::LOCALHOST, 10911));
    MessageExt {
        store_size: 0,
        body_crc: 0,
        queue_id: 0,
        flag: 0,
        queue_offset: offset,
        commit_log_offset: offset * 100,
        sys_flag: 0,
        born_timestamp: 0,
        born_host: host,
        store_timestamp: 0,
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: Bytes::from(vec![b'x'; size]),
        topic: "T".to_owned(),
        properties: HashMap::new(),
        msg_id: format!("ID{offset}"),
    }
}

/// A directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory named after `tag`.
    pub(crate) fn new(tag: &str) -> Self {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "rmq-client-{tag}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
