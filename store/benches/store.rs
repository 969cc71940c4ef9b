//! Store benchmarks: append throughput of 1 KiB messages under ASYNC_FLUSH
//! (one appender) and SYNC_FLUSH (1, 16, 64 appenders in flight), and reads
//! of 32 messages by logical offset.
//!
//! Run: `cargo bench -p rmq-store --bench store -- --measurement-time 3`.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::stream::{FuturesUnordered, StreamExt};
use protocol::message::properties::{encode_properties, KEYS, TAGS, UNIQ_KEY};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{FlushDiskType, MessageStore, MessageToStore, PutStatus, StoreConfig};

fn config(root: &std::path::Path, flush: FlushDiskType) -> StoreConfig {
    StoreConfig {
        store_path_root_dir: root.to_path_buf(),
        mapped_file_size_commit_log: 256 * 1024 * 1024,
        max_hash_slot_num: 500_000,
        max_index_num: 2_000_000,
        flush_disk_type: flush,
        ..StoreConfig::default()
    }
}

fn message(i: u64, body: &Bytes) -> MessageToStore {
    let uniq = format!("7F00000100002A9F{i:016X}");
    MessageToStore {
        topic: "BenchTopic".into(),
        queue_id: (i % 8) as i32,
        flag: 0,
        body: body.clone(),
        properties: encode_properties([(UNIQ_KEY, uniq.as_str()), (TAGS, "TagA"), (KEYS, "k1")]),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "127.0.0.1:50000".parse().unwrap(),
        store_host: "127.0.0.1:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

fn bench_async(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), FlushDiskType::Async)).unwrap();
    let body = Bytes::from(vec![b'x'; 1024]);
    let mut g = c.benchmark_group("append_async_1k");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("1_appender", |b| {
        b.iter(|| {
            i += 1;
            let r = store.put_message(&message(i, &body)).wait();
            debug_assert_eq!(r.status, PutStatus::Ok);
        })
    });
    g.finish();
    store.shutdown();
}

fn bench_sync(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path(), FlushDiskType::Sync)).unwrap();
    let body = Bytes::from(vec![b'y'; 1024]);
    let mut g = c.benchmark_group("append_sync_1k");
    g.throughput(Throughput::Elements(1));
    let mut seq = 0u64;
    for appenders in [1usize, 16, 64] {
        g.bench_with_input(
            BenchmarkId::from_parameter(appenders),
            &appenders,
            |b, &n| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    futures::executor::block_on(async {
                        let mut inflight = FuturesUnordered::new();
                        for _ in 0..iters {
                            seq += 1;
                            inflight.push(store.put_message(&message(seq, &body)));
                            if inflight.len() >= n {
                                let r = inflight.next().await;
                                assert!(r.is_some_and(|r| r.status == PutStatus::Ok));
                            }
                        }
                        while let Some(r) = inflight.next().await {
                            assert_eq!(r.status, PutStatus::Ok);
                        }
                    });
                    start.elapsed()
                })
            },
        );
    }
    g.finish();
    store.shutdown();
}

fn bench_read(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MessageStore::open(config(dir.path(), FlushDiskType::Async)).unwrap());
    let body = Bytes::from(vec![b'z'; 1024]);
    let n = 8 * 20_000u64;
    for i in 0..n {
        store.put_message(&message(i, &body)).wait();
    }
    assert!(store.wait_for_dispatch(Duration::from_secs(60)));
    let per_queue = store.max_offset_in_queue("BenchTopic", 0);
    let mut g = c.benchmark_group("get_message");
    g.throughput(Throughput::Elements(32));
    let mut k = 0i64;
    g.bench_function("32_msgs", |b| {
        b.iter(|| {
            k = (k + 32 * 7) % (per_queue - 32);
            let r = store.get_message("BenchTopic", 0, k, 32, i32::MAX, None);
            assert_eq!(r.messages.len(), 32);
            r
        })
    });
    g.finish();
    store.shutdown();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = bench_async, bench_sync, bench_read
}
criterion_main!(benches);
