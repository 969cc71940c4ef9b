//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use bytes::Bytes;
use protocol::message::properties::{encode_properties, KEYS, TAGS, UNIQ_KEY};
use std::path::Path;
use store::{FlushDiskType, MessageToStore, StoreConfig};

/// A config with tiny files so tests cross file boundaries.
pub fn small_config(root: &Path, flush: FlushDiskType) -> StoreConfig {
    StoreConfig {
        store_path_root_dir: root.to_path_buf(),
        mapped_file_size_commit_log: 16 * 1024,
        mapped_file_size_consume_queue: 20 * 64,
        max_hash_slot_num: 64,
        max_index_num: 256,
        flush_disk_type: flush,
        flush_interval_commit_log: 10,
        flush_interval_consume_queue: 20,
        clean_resource_interval: 3_600_000,
        delete_commit_log_files_interval: 0,
        ..StoreConfig::default()
    }
}

/// The body of `len` bytes that [`msg`] derives from `seed`.
pub fn body(seed: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (seed as usize * 31 + i) as u8).collect()
}

/// A message with a body of `len` bytes derived from `seed`, tag and keys.
pub fn msg(topic: &str, queue_id: i32, seed: u64, len: usize, tag: Option<&str>) -> MessageToStore {
    let body = body(seed, len);
    let uniq = format!("UNIQ{seed:028}");
    let keys = format!("key-{seed} all");
    let mut props: Vec<(&str, &str)> = vec![(UNIQ_KEY, &uniq), (KEYS, &keys)];
    if let Some(t) = tag {
        props.push((TAGS, t));
    }
    MessageToStore {
        topic: topic.to_string(),
        queue_id,
        flag: 0,
        body: Bytes::from(body),
        properties: encode_properties(props),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "127.0.0.1:50000".parse().unwrap(),
        store_host: "127.0.0.1:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}
