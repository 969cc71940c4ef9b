//! SYNC_FLUSH: acknowledged means flushed and visible; WAIT=false returns at
//! once; group commit from many concurrent waiters; runtime-agnostic futures.

mod common;

use common::{body, msg, small_config};
use futures::future::join_all;
use protocol::message::decode_message;
use protocol::message::properties::{encode_properties, WAIT};
use std::time::Duration;
use store::{FlushDiskType, GetMessageStatus, MessageStore, PutStatus};

#[test]
fn acknowledged_puts_are_visible() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(small_config(dir.path(), FlushDiskType::Sync)).unwrap();
    for i in 0..50 {
        let f = store.put_message(&msg("Y", 0, i, 300, None));
        let r = f.wait();
        assert_eq!(r.status, PutStatus::Ok);
        // Visible as soon as acknowledged.
        let g = store.get_message("Y", 0, r.queue_offset, 1, i32::MAX, None);
        assert_eq!(
            g.status,
            GetMessageStatus::Found,
            "offset {}",
            r.queue_offset
        );
    }
}

#[test]
fn concurrent_acknowledged_puts_are_visible_and_readable() {
    // Group commits of many waiters, with dispatch running beside the
    // flush: whatever is acknowledged can be read at once, body included.
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(small_config(dir.path(), FlushDiskType::Sync)).unwrap();
    std::thread::scope(|s| {
        for q in 0..8 {
            let store = &store;
            s.spawn(move || {
                for i in 0..40 {
                    let seed = q as u64 * 1000 + i;
                    let sent = msg("V", q, seed, 200, None);
                    let r = store.put_message(&sent).wait();
                    assert_eq!(r.status, PutStatus::Ok);
                    let g = store.get_message("V", q, r.queue_offset, 1, i32::MAX, None);
                    assert_eq!(g.status, GetMessageStatus::Found, "{q}/{}", r.queue_offset);
                    let m = decode_message(&g.messages[0]).unwrap();
                    assert_eq!(m.body, sent.body);
                }
            });
        }
    });
    for q in 0..8 {
        assert_eq!(store.max_offset_in_queue("V", q), 40);
    }
}

#[test]
fn many_concurrent_waiters_share_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(small_config(dir.path(), FlushDiskType::Sync)).unwrap();
    let futs: Vec<_> = (0..256)
        .map(|i| store.put_message(&msg("G", (i % 4) as i32, i, 100, None)))
        .collect();
    let results = futures::executor::block_on(join_all(futs));
    assert!(results.iter().all(|r| r.status == PutStatus::Ok));
    for q in 0..4 {
        assert_eq!(store.max_offset_in_queue("G", q), 64);
    }
}

#[test]
fn wait_false_returns_immediately_and_becomes_visible() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(small_config(dir.path(), FlushDiskType::Sync)).unwrap();
    let mut m = msg("W", 0, 1, 10, None);
    m.properties = encode_properties([(WAIT, "false")]);
    let f = store.put_message(&m);
    assert!(f.is_ready());
    assert_eq!(f.wait().status, PutStatus::Ok);
    assert!(store.wait_for_dispatch(Duration::from_secs(5)));
    assert_eq!(store.max_offset_in_queue("W", 0), 1);
}

#[test]
fn shutdown_is_idempotent_and_clean() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(small_config(dir.path(), FlushDiskType::Sync)).unwrap();
    store.put_message(&msg("Z", 0, 1, 10, None)).wait();
    store.shutdown();
    store.shutdown();
    assert!(!dir.path().join("abort").exists());
    drop(store);
    let store = MessageStore::open(small_config(dir.path(), FlushDiskType::Sync)).unwrap();
    assert_eq!(store.max_offset_in_queue("Z", 0), 1);
}

#[test]
fn closed_loop_producers_then_a_lone_one_all_complete_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(small_config(dir.path(), FlushDiskType::Sync)).unwrap();
    // 16 producers that each wait for their ack before sending again: the
    // group commit learns to expect 16 waiters per flush.
    std::thread::scope(|s| {
        for p in 0..16 {
            let store = &store;
            s.spawn(move || {
                for i in 0..20 {
                    let r = store.put_message(&msg("L", p, i, 100, None)).wait();
                    assert_eq!(r.status, PutStatus::Ok);
                }
            });
        }
    });
    // The load shrinks to one producer: its puts must not wait for the 15
    // that stopped (the gather gives up after a quiet period).
    let started = std::time::Instant::now();
    for i in 0..30 {
        let r = store.put_message(&msg("L", 0, 100 + i, 100, None)).wait();
        assert_eq!(r.status, PutStatus::Ok);
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "30 lone puts took {:?}",
        started.elapsed()
    );
    for q in 1..16 {
        assert_eq!(store.max_offset_in_queue("L", q), 20);
    }
    assert_eq!(store.max_offset_in_queue("L", 0), 50);
}

/// Puts `per_queue` messages into each of `queues` queues of `topic` from one
/// thread per queue, sizes varying so records end at every point of the
/// small files (blank fillers included); returns each queue's sent seeds
/// and body lengths in queue-offset order.
fn put_concurrently(
    store: &MessageStore,
    topic: &str,
    queues: i32,
    per_queue: u64,
    seed_base: u64,
) -> Vec<Vec<(u64, usize)>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..queues)
            .map(|q| {
                s.spawn(move || {
                    let mut sent = Vec::new();
                    for i in 0..per_queue {
                        let seed = seed_base + q as u64 * 100_000 + i;
                        let len = 50 + ((seed * 7919) % 1500) as usize;
                        let r = store.put_message(&msg(topic, q, seed, len, None)).wait();
                        assert_eq!(r.status, PutStatus::Ok, "{q}/{i}");
                        sent.push((r.queue_offset, seed, len));
                    }
                    sent.sort_unstable();
                    sent.into_iter().map(|(_, s, l)| (s, l)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Reads every queue of `topic` from offset 0 and checks it holds exactly
/// `expected` (seed and body length per queue offset), bodies byte for byte.
fn check_queues(store: &MessageStore, topic: &str, expected: &[Vec<(u64, usize)>]) {
    for (q, want) in expected.iter().enumerate() {
        let q = q as i32;
        assert_eq!(
            store.max_offset_in_queue(topic, q),
            want.len() as i64,
            "queue {q}"
        );
        let mut offset = 0i64;
        while (offset as usize) < want.len() {
            let g = store.get_message(topic, q, offset, 32, i32::MAX, None);
            assert_eq!(g.status, GetMessageStatus::Found, "{q}/{offset}");
            assert!(!g.messages.is_empty());
            for raw in &g.messages {
                let m = decode_message(raw).unwrap();
                let (seed, len) = want[offset as usize];
                assert_eq!(m.queue_offset, offset, "queue {q}");
                let body = body(seed, len);
                assert_eq!(&m.body[..], &body[..], "{q}/{offset}: body");
                offset += 1;
            }
        }
    }
}

#[test]
fn positioned_writes_across_file_rolls_survive_restarts() {
    // SYNC_FLUSH writes records with pwrite while the allocator writes and
    // syncs zeros ahead of the writer, across many 16 KiB CommitLog files.
    // Neither the zeros nor a restart in the middle of a file may clobber a
    // record: after each clean restart every message reads back intact at its
    // queue offset, and writing resumes right after the recovered tail.
    let dir = tempfile::tempdir().unwrap();
    let cfg = || small_config(dir.path(), FlushDiskType::Sync);
    let store = MessageStore::open(cfg()).unwrap();
    let mut expected = put_concurrently(&store, "P", 6, 150, 0);
    check_queues(&store, "P", &expected);
    store.shutdown();
    drop(store);
    let files = std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .count();
    assert!(
        files > 20,
        "only {files} CommitLog files: the test must cross rolls"
    );

    for round in 1..=2u64 {
        let store = MessageStore::open(cfg()).unwrap();
        check_queues(&store, "P", &expected);
        let more = put_concurrently(&store, "P", 6, 60, round * 10_000_000);
        for (q, m) in expected.iter_mut().zip(more) {
            q.extend(m);
        }
        check_queues(&store, "P", &expected);
        store.shutdown();
    }
    let store = MessageStore::open(cfg()).unwrap();
    check_queues(&store, "P", &expected);
}
