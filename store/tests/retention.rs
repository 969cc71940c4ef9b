//! Retention with small files and a fake clock/disk probe; disk-full refusal.

mod common;

use common::{msg, small_config};
use protocol::message::decode_message;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::{Environment, FlushDiskType, GetMessageStatus, MessageStore, PutStatus};

#[derive(Debug)]
struct FakeEnv {
    now: AtomicI64,
    hour: AtomicU32,
    ratio_permille: AtomicU64,
}

impl Environment for FakeEnv {
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
    fn local_hour(&self, _now_ms: i64) -> u32 {
        self.hour.load(Ordering::SeqCst)
    }
    fn disk_used_ratio(&self, _path: &Path) -> f64 {
        self.ratio_permille.load(Ordering::SeqCst) as f64 / 1000.0
    }
}

const HOUR: i64 = 3_600_000;

fn setup() -> (tempfile::TempDir, Arc<FakeEnv>, Arc<MessageStore>) {
    let dir = tempfile::tempdir().unwrap();
    let env = Arc::new(FakeEnv {
        now: AtomicI64::new(store::SystemEnvironment.now_ms()),
        hour: AtomicU32::new(3),
        ratio_permille: AtomicU64::new(100),
    });
    let mut cfg = small_config(dir.path(), FlushDiskType::Async);
    cfg.file_reserved_time = 1;
    cfg.delete_when = "04".into();
    let store = MessageStore::open_with_env(cfg, env.clone()).unwrap();
    for i in 0..200 {
        assert_eq!(
            store
                .put_message(&msg("D", (i % 2) as i32, i, 700, None))
                .wait()
                .status,
            PutStatus::Ok
        );
    }
    assert!(store.wait_for_dispatch(Duration::from_secs(5)));
    (dir, env, store)
}

/// CommitLog files holding data (the allocator may have pre-created one more).
fn commit_log_files(dir: &Path, store: &MessageStore) -> usize {
    let max = store.commit_log_max_offset() as u64;
    std::fs::read_dir(dir.join("commitlog"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_str().unwrap().parse::<u64>().unwrap() < max
        })
        .count()
}

#[test]
fn expired_files_go_at_delete_when_hour_and_queues_follow() {
    let (dir, env, store) = setup();
    let files_before = commit_log_files(dir.path(), &store);
    assert!(files_before > 8);
    let held = store.get_message("D", 0, 0, 4, i32::MAX, None);
    assert_eq!(held.status, GetMessageStatus::Found);

    // Not old enough, and not the hour.
    assert_eq!(store.clean_expired_files(false), 0);
    env.now.fetch_add(2 * HOUR, Ordering::SeqCst);
    assert_eq!(
        store.clean_expired_files(false),
        0,
        "hour 3 is not in deleteWhen"
    );
    env.hour.store(4, Ordering::SeqCst);
    let deleted = store.clean_expired_files(false);
    assert!(deleted > 0 && deleted <= 10);
    assert_eq!(commit_log_files(dir.path(), &store), files_before - deleted);
    assert!(store.commit_log_min_offset() > 0);
    // Queue min offsets follow; reading below them says so.
    let min = store.min_offset_in_queue("D", 0);
    assert!(min > 0);
    let g = store.get_message("D", 0, 0, 4, i32::MAX, None);
    assert_eq!(
        (g.status, g.next_begin_offset),
        (GetMessageStatus::OffsetTooSmall, min)
    );
    let g = store.get_message("D", 0, min, 4, i32::MAX, None);
    assert_eq!(g.status, GetMessageStatus::Found);
    // Records handed out before the deletion stay readable.
    for b in &held.messages {
        assert_eq!(decode_message(b).unwrap().topic, "D");
    }
    // The newest file is never deleted.
    while store.clean_expired_files(true) > 0 {}
    assert_eq!(commit_log_files(dir.path(), &store), 1);
    assert!(
        store.earliest_message_time("D", 0).is_some()
            || store.max_offset_in_queue("D", 0) == store.min_offset_in_queue("D", 0)
    );
}

#[test]
fn disk_pressure_deletes_early_and_full_disk_refuses_appends() {
    let (dir, env, store) = setup();
    let before = commit_log_files(dir.path(), &store);
    // Above diskMaxUsedSpaceRatio: expired files go at once, whatever the hour.
    env.ratio_permille.store(800, Ordering::SeqCst);
    assert_eq!(store.clean_expired_files(false), 0, "nothing expired yet");
    env.now.fetch_add(2 * HOUR, Ordering::SeqCst);
    assert!(store.clean_expired_files(false) > 0);
    // Above diskSpaceCleanForciblyRatio: even unexpired files go.
    env.now.fetch_sub(2 * HOUR, Ordering::SeqCst);
    env.ratio_permille.store(860, Ordering::SeqCst);
    while store.clean_expired_files(false) > 0 {}
    assert_eq!(commit_log_files(dir.path(), &store), 1);
    assert!(before > 1);
    // Above diskSpaceWarningLevelRatio: appends refused, reads still served.
    env.ratio_permille.store(950, Ordering::SeqCst);
    store.clean_expired_files(false);
    assert!(!store.is_writable());
    assert_eq!(
        store.put_message(&msg("D", 0, 1, 10, None)).wait().status,
        PutStatus::ServiceNotAvailable
    );
    let max = store.max_offset_in_queue("D", 0);
    let g = store.get_message("D", 0, max - 1, 1, i32::MAX, None);
    assert_eq!(g.status, GetMessageStatus::Found);
    env.ratio_permille.store(500, Ordering::SeqCst);
    store.clean_expired_files(false);
    assert_eq!(
        store.put_message(&msg("D", 0, 1, 10, None)).wait().status,
        PutStatus::Ok
    );
}
