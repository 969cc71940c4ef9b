//! Recovery: torn CommitLog tails, crash restarts, rebuilding derived files.

mod common;

use common::{msg, small_config};
use proptest::prelude::*;
use protocol::message::decode_message;
use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use store::{FlushDiskType, GetMessageStatus, MessageStore, PutStatus};

fn open(dir: &Path) -> Arc<MessageStore> {
    MessageStore::open(small_config(dir, FlushDiskType::Async)).unwrap()
}

/// Appends `sizes.len()` messages over `queues` queues; returns (queue,
/// commit log offset, end offset) of each.
fn fill(store: &MessageStore, sizes: &[usize], queues: i32) -> Vec<(i32, i64, i64)> {
    sizes
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let q = i as i32 % queues;
            let r = store
                .put_message(&msg("RT", q, i as u64, len, Some("t")))
                .wait();
            assert_eq!(r.status, PutStatus::Ok);
            (q, r.commit_log_offset, r.commit_log_offset + r.wrote_bytes)
        })
        .collect()
}

fn last_commit_log_file(dir: &Path) -> (std::path::PathBuf, u64) {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("commitlog"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let p = files.pop().unwrap();
    let start = p.file_name().unwrap().to_str().unwrap().parse().unwrap();
    (p, start)
}

/// Every queue entry must point at a readable record of that queue, with
/// contiguous offsets from 0.
fn check_consistent(store: &MessageStore, queues: i32) -> Vec<i64> {
    let mut maxes = Vec::new();
    for q in 0..queues {
        let max = store.max_offset_in_queue("RT", q);
        let mut next = 0;
        while next < max {
            let g = store.get_message("RT", q, next, 32, i32::MAX, None);
            assert_eq!(
                g.status,
                GetMessageStatus::Found,
                "queue {q} offset {next} of {max}"
            );
            for (b, off) in g.messages.iter().zip(&g.queue_offsets) {
                let m = decode_message(b).unwrap();
                assert_eq!((m.queue_id, m.queue_offset), (q, *off));
            }
            next = g.next_begin_offset;
        }
        maxes.push(max);
    }
    maxes
}

fn crash_marker(dir: &Path) {
    std::fs::File::create(dir.join("abort")).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Cut (zero or truncate) the last CommitLog file at a random byte: every
    /// record wholly before the cut survives, nothing after it does, and no
    /// queue entry points past the log.
    #[test]
    fn torn_tail_recovers(sizes in proptest::collection::vec(1usize..1500, 20..80), cut_frac in 0.0f64..1.0, truncate_file in any::<bool>(), crashed in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let queues = 3;
        let placed = {
            let store = open(dir.path());
            let p = fill(&store, &sizes, queues);
            store.shutdown();
            p
        };
        let (path, start) = last_commit_log_file(dir.path());
        let end = placed.last().unwrap().2 as u64;
        let cut = start + ((end - start) as f64 * cut_frac) as u64;
        let pos = cut - start;
        if truncate_file {
            OpenOptions::new().write(true).open(&path).unwrap().set_len(pos).unwrap();
        } else {
            let mut f = OpenOptions::new().write(true).open(&path).unwrap();
            f.seek(SeekFrom::Start(pos)).unwrap();
            f.write_all(&vec![0xAB; (end - cut) as usize]).unwrap();
        }
        if crashed {
            crash_marker(dir.path());
        }
        let store = open(dir.path());
        let whole: Vec<_> = placed.iter().filter(|p| p.2 as u64 <= cut).collect();
        let base = whole.last().map_or(start as i64, |p| p.2).max(start as i64);
        // The record cut in two: the format only checksums the body, so a
        // record whose body is intact but whose topic/properties tail was
        // lost may be accepted (as RocketMQ does). Body = after 88 header bytes.
        let straddler = placed.iter().enumerate().find(|(_, p)| (p.1 as u64) < cut && p.2 as u64 > cut);
        let tolerated = straddler.filter(|(i, p)| cut >= p.1 as u64 + 88 + sizes[*i] as u64 + 3);
        let max = store.commit_log_max_offset();
        prop_assert!(max == base || tolerated.is_some_and(|(_, p)| max == p.2), "max {} base {}", max, base);
        let maxes = check_consistent(&store, queues);
        for q in 0..queues {
            let want = whole.iter().filter(|p| p.0 == q).count() as i64;
            let extra = i64::from(max != base && tolerated.is_some_and(|(_, p)| p.0 == q));
            prop_assert_eq!(maxes[q as usize], want + extra);
        }
        // Appending continues with the next queue offsets.
        let r = store.put_message(&msg("RT", 0, 9999, 10, None)).wait();
        prop_assert_eq!(r.queue_offset, maxes[0]);
        prop_assert!(store.wait_for_dispatch(Duration::from_secs(5)));
        check_consistent(&store, queues);
    }
}

#[test]
fn consume_queues_and_index_rebuilt_from_commit_log() {
    let dir = tempfile::tempdir().unwrap();
    let sizes: Vec<usize> = (0..150).map(|i| 50 + i * 13 % 700).collect();
    {
        let store = open(dir.path());
        fill(&store, &sizes, 4);
        store.shutdown();
    }
    std::fs::remove_dir_all(dir.path().join("consumequeue")).unwrap();
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let store = open(dir.path());
    let maxes = check_consistent(&store, 4);
    assert_eq!(maxes.iter().sum::<i64>(), 150);
    assert_eq!(
        store
            .query_message("RT", "key-77", 32, 0, i64::MAX)
            .messages
            .len(),
        1
    );
}

#[test]
fn crash_with_unflushed_queues_is_rebuilt() {
    // Copy a running store's directory (page cache state, abort file
    // present): opening the copy is a crash recovery.
    let dir = tempfile::tempdir().unwrap();
    let copy = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let placed = fill(
        &store,
        &(0..120).map(|i| 100 + i * 7).collect::<Vec<_>>(),
        2,
    );
    assert!(store.wait_for_dispatch(Duration::from_secs(5)));
    for sub in ["commitlog", "consumequeue", "index"] {
        copy_dir(&dir.path().join(sub), &copy.path().join(sub));
    }
    std::fs::copy(
        dir.path().join("checkpoint"),
        copy.path().join("checkpoint"),
    )
    .unwrap();
    std::fs::File::create(copy.path().join("abort")).unwrap();
    // Lose the tail of one consume queue, as if its pages never hit the disk.
    let q1 = copy.path().join("consumequeue/RT/1");
    let mut files: Vec<_> = std::fs::read_dir(&q1)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let last = files.last().unwrap();
    let len = std::fs::metadata(last).unwrap().len();
    let mut f = OpenOptions::new().write(true).open(last).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(&vec![0u8; len as usize]).unwrap();
    drop(f);
    let recovered = open(copy.path());
    let maxes = check_consistent(&recovered, 2);
    assert_eq!(maxes, vec![60, 60]);
    assert_eq!(recovered.commit_log_max_offset(), placed.last().unwrap().2);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn copy_cut_short_by_a_crash_is_dropped() {
    // The writer stores TOTALSIZE last, so a record whose copy was cut short
    // by a kill has TOTALSIZE 0 and is dropped, however much of it was copied.
    let dir = tempfile::tempdir().unwrap();
    let placed = {
        let store = open(dir.path());
        let p = fill(&store, &[100, 200, 300, 400], 1);
        store.shutdown();
        p
    };
    let (path, start) = last_commit_log_file(dir.path());
    let last = placed.last().unwrap();
    let mut f = OpenOptions::new().write(true).open(&path).unwrap();
    f.seek(SeekFrom::Start(last.1 as u64 - start)).unwrap();
    f.write_all(&[0, 0, 0, 0]).unwrap();
    drop(f);
    crash_marker(dir.path());
    let store = open(dir.path());
    assert_eq!(store.commit_log_max_offset(), last.1);
    assert_eq!(check_consistent(&store, 1), vec![3]);
    assert!(store.look_message_by_offset(last.1).is_none());
}
