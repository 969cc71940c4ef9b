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

// ---- Recovery from the checkpoint's offsets ----

/// Where the checkpoint keeps the recovery offsets (after Java's fields).
const SAFE_AT: usize = 40;

/// `small_config` with every flush complete (no least-pages threshold), so
/// the checkpoint's offsets follow the data closely.
fn eager_config(dir: &Path) -> store::StoreConfig {
    let mut c = small_config(dir, FlushDiskType::Async);
    c.flush_commit_log_least_pages = 0;
    c.flush_consume_queue_least_pages = 0;
    c
}

/// The checkpoint's (flushed CommitLog offset, dispatched offset), if the
/// recovery fields are present and intact.
fn checkpoint_offsets(page: &[u8]) -> Option<(i64, i64)> {
    let f = page.get(SAFE_AT..SAFE_AT + 28)?;
    let crc = u32::from_be_bytes(f[24..28].try_into().unwrap());
    if &f[..8] != b"RSRECOV1" || crc32fast::hash(&f[..24]) != crc {
        return None;
    }
    let v = |i: usize| i64::from_be_bytes(f[i..i + 8].try_into().unwrap());
    Some((v(8), v(16)))
}

/// `page` with the recovery offsets replaced (and a matching CRC).
fn with_offsets(page: &[u8], commit_log: i64, dispatched: i64) -> Vec<u8> {
    let mut p = page.to_vec();
    p[SAFE_AT..SAFE_AT + 8].copy_from_slice(b"RSRECOV1");
    p[SAFE_AT + 8..SAFE_AT + 16].copy_from_slice(&commit_log.to_be_bytes());
    p[SAFE_AT + 16..SAFE_AT + 24].copy_from_slice(&dispatched.to_be_bytes());
    let crc = crc32fast::hash(&p[SAFE_AT..SAFE_AT + 24]);
    p[SAFE_AT + 24..SAFE_AT + 28].copy_from_slice(&crc.to_be_bytes());
    p
}

/// Waits (bounded) until the checkpoint on disk vouches for everything
/// below `end`; returns the page.
fn checkpoint_covering(dir: &Path, end: i64) -> Vec<u8> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let page = std::fs::read(dir.join("checkpoint")).unwrap();
        if checkpoint_offsets(&page).is_some_and(|(a, b)| a >= end && b >= end) {
            return page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "checkpoint never reached {end}: {:?}",
            checkpoint_offsets(&page)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A running store after two batches: the checkpoint page taken between
/// them (it vouches for batch 1 only), and where every message went.
struct CrashSource {
    dir: tempfile::TempDir,
    store: Arc<MessageStore>,
    checkpoint: Vec<u8>,
    batch1: Vec<(i32, i64, i64)>,
    all: Vec<(i32, i64, i64)>,
}

const QUEUES: i32 = 2;

fn crash_source() -> CrashSource {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(eager_config(dir.path())).unwrap();
    let sizes: Vec<usize> = (0..160).map(|i| 100 + i * 37 % 600).collect();
    let batch1 = fill(&store, &sizes[..120], QUEUES);
    assert!(store.wait_for_dispatch(Duration::from_secs(5)));
    let checkpoint = checkpoint_covering(dir.path(), batch1.last().unwrap().2);
    // Batch 2 keeps the queue rotation going (fill numbers from 0 again).
    let batch2: Vec<_> = sizes[120..]
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let n = 120 + i;
            let q = n as i32 % QUEUES;
            let r = store
                .put_message(&msg("RT", q, n as u64, len, Some("t")))
                .wait();
            assert_eq!(r.status, PutStatus::Ok);
            (q, r.commit_log_offset, r.commit_log_offset + r.wrote_bytes)
        })
        .collect();
    assert!(store.wait_for_dispatch(Duration::from_secs(5)));
    let mut all = batch1.clone();
    all.extend(batch2);
    CrashSource {
        dir,
        store,
        checkpoint,
        batch1,
        all,
    }
}

/// What a kill -9 right after batch 2 leaves, made from the running
/// source: its files, the checkpoint page taken after batch 1, the abort
/// file, the last record torn (TOTALSIZE never written) and queue 1's
/// entries of batch 2 lost (never flushed).
fn crash_image(src: &CrashSource, checkpoint: &[u8]) -> tempfile::TempDir {
    let img = tempfile::tempdir().unwrap();
    for sub in ["commitlog", "consumequeue", "index"] {
        copy_dir(&src.dir.path().join(sub), &img.path().join(sub));
    }
    std::fs::write(img.path().join("checkpoint"), checkpoint).unwrap();
    crash_marker(img.path());
    let last = src.all.last().unwrap();
    write_commit_log(img.path(), last.1 as u64, &[0, 0, 0, 0]);
    let kept_q1 = src.batch1.iter().filter(|p| p.0 == 1).count() as u64;
    zero_consume_queue_from(img.path(), "RT", 1, kept_q1);
    img
}

/// Writes `bytes` at global CommitLog offset `offset` (16 KiB files).
fn write_commit_log(dir: &Path, offset: u64, bytes: &[u8]) {
    let size = 16 * 1024;
    let start = offset / size * size;
    let path = dir.join("commitlog").join(format!("{start:020}"));
    let mut f = OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(offset - start)).unwrap();
    f.write_all(bytes).unwrap();
}

/// Zeroes the entries of a consume queue from logical offset `from` on
/// (64-entry files).
fn zero_consume_queue_from(dir: &Path, topic: &str, queue: i32, from: u64) {
    let qdir = dir.join("consumequeue").join(topic).join(queue.to_string());
    let file_size = 20 * 64;
    for e in std::fs::read_dir(&qdir).unwrap() {
        let path = e.unwrap().path();
        let start: u64 = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
        let cut = (from * 20).max(start);
        if cut < start + file_size {
            let mut f = OpenOptions::new().write(true).open(&path).unwrap();
            f.seek(SeekFrom::Start(cut - start)).unwrap();
            f.write_all(&vec![0u8; (start + file_size - cut) as usize])
                .unwrap();
        }
    }
}

/// Opens the image and checks it holds every message but the torn last
/// one, in consistent queues, and keeps appending.
fn check_recovered(img: &Path, src: &CrashSource) -> Arc<MessageStore> {
    let store = MessageStore::open(eager_config(img)).unwrap();
    let (_, torn_at, _) = *src.all.last().unwrap();
    assert_eq!(
        store.commit_log_max_offset(),
        torn_at,
        "torn record dropped"
    );
    let kept = &src.all[..src.all.len() - 1];
    let maxes = check_consistent(&store, QUEUES);
    for q in 0..QUEUES {
        let want = kept.iter().filter(|p| p.0 == q).count() as i64;
        assert_eq!(maxes[q as usize], want, "queue {q}");
    }
    let r = store.put_message(&msg("RT", 1, 9999, 10, None)).wait();
    assert_eq!(r.status, PutStatus::Ok);
    assert_eq!(r.queue_offset, maxes[1]);
    assert_eq!(r.commit_log_offset, torn_at);
    assert!(store.wait_for_dispatch(Duration::from_secs(5)));
    check_consistent(&store, QUEUES);
    store
}

#[test]
fn crash_recovery_starts_at_the_checkpoint() {
    let src = crash_source();
    let img = crash_image(&src, &src.checkpoint);
    // Damage a record the checkpoint vouches for: recovery must not read
    // it again (the walk from a file start would cut the log there).
    let (_, damaged, _) = src.batch1[100];
    write_commit_log(img.path(), damaged as u64 + 88 + 3, &[0x5A]);
    let store = check_recovered(img.path(), &src);
    assert!(store.look_message_by_offset(damaged).is_some());
    // The new checkpoint vouches only for what this recovery did not redo.
    store.shutdown();
    let page = std::fs::read(img.path().join("checkpoint")).unwrap();
    let (a, b) = checkpoint_offsets(&page).unwrap();
    assert_eq!(a, store.commit_log_max_offset());
    assert_eq!(b, store.commit_log_max_offset());
    src.store.shutdown();
}

#[test]
fn garbage_checkpoint_offsets_fall_back() {
    let src = crash_source();
    let (a, b) = checkpoint_offsets(&src.checkpoint).unwrap();
    let mid = src.batch1[60].1 + 13; // inside a record
    let mid2 = src.all[130].1 + 5; // inside a record of batch 2
    let cases = [
        (1 << 40, 1 << 40),
        (mid, b),
        (a, mid2),
        (0, mid2),
        (mid, mid),
        (a, 1 << 40),
        (-1, -1),
    ];
    for (ca, cb) in cases {
        let img = crash_image(&src, &with_offsets(&src.checkpoint, ca, cb));
        let store = check_recovered(img.path(), &src);
        store.shutdown();
    }
    // A damaged page (CRC mismatch) is ignored too.
    let mut page = src.checkpoint.clone();
    page[SAFE_AT + 12] ^= 0x40;
    let img = crash_image(&src, &page);
    check_recovered(img.path(), &src).shutdown();
    src.store.shutdown();
}

#[test]
fn old_format_checkpoint_recovers() {
    let src = crash_source();
    // Java's three timestamps only.
    let img = crash_image(&src, &src.checkpoint[..24]);
    let store = check_recovered(img.path(), &src);
    store.shutdown();
    // The store writes the recovery offsets from now on.
    let page = std::fs::read(img.path().join("checkpoint")).unwrap();
    assert!(checkpoint_offsets(&page).is_some());
    src.store.shutdown();
}

#[test]
fn clean_restart_trusts_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let sizes: Vec<usize> = (0..90).map(|i| 100 + i * 53 % 500).collect();
    let placed = {
        let store = MessageStore::open(eager_config(dir.path())).unwrap();
        let p = fill(&store, &sizes, 3);
        store.shutdown();
        p
    };
    let (_, start) = last_commit_log_file(dir.path());
    // A record in the newest file (which a walk would read) damaged after
    // the clean shutdown: the checkpoint says it was flushed, so it is not
    // read again and nothing is cut.
    let victim = placed.iter().find(|p| p.1 as u64 >= start).unwrap();
    write_commit_log(dir.path(), victim.1 as u64 + 88 + 1, &[0xA5]);
    let store = MessageStore::open(eager_config(dir.path())).unwrap();
    assert_eq!(store.commit_log_max_offset(), placed.last().unwrap().2);
    assert_eq!(check_consistent(&store, 3).iter().sum::<i64>(), 90);
}

#[test]
fn checkpoint_never_vouches_for_unflushed_queue_entries() {
    // Default least-pages thresholds: a consume-queue file (64 entries,
    // under one page) is flushed only once full, so each queue's entries
    // from 64 on stay in memory and the checkpoint's dispatched offset must
    // stop at the first of them.
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let sizes: Vec<usize> = (0..200).map(|i| 60 + i % 50).collect();
    let placed = fill(&store, &sizes, 3);
    assert!(store.wait_for_dispatch(Duration::from_secs(5)));
    let expected = (0..3)
        .filter_map(|q| placed.iter().filter(|p| p.0 == q).nth(64).map(|p| p.1))
        .min()
        .unwrap();
    let dispatched =
        || checkpoint_offsets(&std::fs::read(dir.path().join("checkpoint")).unwrap()).map(|o| o.1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while dispatched() != Some(expected) {
        assert!(
            std::time::Instant::now() < deadline,
            "dispatched offset {:?}, want {expected}",
            dispatched()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // It stays there over further flush rounds.
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(25));
        assert_eq!(dispatched(), Some(expected));
    }
    // A clean shutdown flushes everything.
    store.shutdown();
    assert_eq!(dispatched(), Some(placed.last().unwrap().2));
}
