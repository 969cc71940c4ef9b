//! Append/read round trips, batches, filtering, time search, index queries.

mod common;

use common::{msg, small_config};
use proptest::prelude::*;
use protocol::message::{decode_message, decode_offset_msg_id, tag::tag_hash_code};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::{FlushDiskType, GetMessageStatus, MessageStore, PutStatus};

fn open(dir: &std::path::Path) -> Arc<MessageStore> {
    MessageStore::open(small_config(dir, FlushDiskType::Async)).unwrap()
}

#[test]
fn append_and_read_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut offsets = Vec::new();
    for i in 0..200u64 {
        let r = store
            .put_message(&msg(
                "T",
                (i % 2) as i32,
                i,
                100 + (i as usize * 37) % 900,
                None,
            ))
            .wait();
        assert_eq!(r.status, PutStatus::Ok);
        assert_eq!(r.queue_offset, (i / 2) as i64);
        let (host, off) = decode_offset_msg_id(&r.msg_id).unwrap();
        assert_eq!(off, r.commit_log_offset);
        assert_eq!(host.port(), 10911);
        offsets.push(r.commit_log_offset);
    }
    assert!(
        store.commit_log_max_offset() > 16 * 1024 * 5,
        "crossed several files"
    );
    assert!(store.wait_for_dispatch(Duration::from_secs(5)));
    assert_eq!(store.max_offset_in_queue("T", 0), 100);
    let mut next = 0;
    let mut seen = 0;
    while next < 100 {
        let g = store.get_message("T", 1, next, 32, i32::MAX, None);
        assert_eq!(g.status, GetMessageStatus::Found);
        for (b, q) in g.messages.iter().zip(&g.queue_offsets) {
            let m = decode_message(b).unwrap();
            assert_eq!(m.queue_offset, *q);
            let i = (*q as u64) * 2 + 1;
            assert_eq!(m.body.len(), 100 + (i as usize * 37) % 900);
            assert_eq!(m.commit_log_offset, offsets[i as usize]);
            assert_eq!(m.uniq_key().unwrap(), format!("UNIQ{i:028}"));
            seen += 1;
        }
        next = g.next_begin_offset;
    }
    assert_eq!(seen, 100);
    let g = store.get_message("T", 1, 100, 32, i32::MAX, None);
    assert_eq!(g.status, GetMessageStatus::OffsetOverflowOne);
    let g = store.get_message("T", 1, 500, 32, i32::MAX, None);
    assert_eq!(
        (g.status, g.next_begin_offset),
        (GetMessageStatus::OffsetOverflowBadly, 100)
    );
    let g = store.get_message("nope", 0, 0, 32, i32::MAX, None);
    assert_eq!(g.status, GetMessageStatus::NoMatchedLogicQueue);
    let rec = store.look_message_by_offset(offsets[7]).unwrap();
    assert_eq!(decode_message(&rec).unwrap().queue_offset, 3);
    assert!(store.look_message_by_offset(offsets[7] + 1).is_none());
    assert!(store.look_message_by_offset(-1).is_none());
}

#[test]
fn batch_gets_consecutive_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.put_message(&msg("B", 3, 0, 10, None)).wait();
    let batch: Vec<_> = (1..=50).map(|i| msg("B", 3, i, 500, None)).collect();
    let r = store.put_messages(&batch).wait();
    assert_eq!(r.status, PutStatus::Ok);
    assert_eq!((r.queue_offset, r.msg_num), (1, 50));
    assert_eq!(r.msg_id.split(',').count(), 50);
    store.wait_for_dispatch(Duration::from_secs(5));
    assert_eq!(store.max_offset_in_queue("B", 3), 51);
    let mixed = vec![msg("B", 3, 1, 1, None), msg("B", 4, 2, 1, None)];
    assert_eq!(
        store.put_messages(&mixed).wait().status,
        PutStatus::MessageIllegal
    );
    assert_eq!(
        store.put_messages(&[]).wait().status,
        PutStatus::MessageIllegal
    );
}

#[test]
fn limits_are_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config(dir.path(), FlushDiskType::Async);
    cfg.max_message_size = 1000;
    let store = MessageStore::open(cfg).unwrap();
    assert_eq!(
        store.put_message(&msg("L", 0, 0, 1001, None)).wait().status,
        PutStatus::MessageIllegal
    );
    let mut m = msg("L", 0, 0, 10, None);
    m.properties = "a\u{1}".to_string() + &"x".repeat(40_000) + "\u{2}";
    assert_eq!(
        store.put_message(&m).wait().status,
        PutStatus::PropertiesSizeExceeded
    );
    let mut m = msg("L", 0, 0, 10, None);
    m.queue_id = -1;
    assert_eq!(
        store.put_message(&m).wait().status,
        PutStatus::MessageIllegal
    );
    store.shutdown();
    assert_eq!(
        store.put_message(&msg("L", 0, 0, 10, None)).wait().status,
        PutStatus::ServiceNotAvailable
    );
}

#[test]
fn tag_filtering_and_listener() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let last = Arc::new(AtomicI64::new(0));
    let l2 = Arc::clone(&last);
    store.set_arrival_listener(Arc::new(move |t, q, max| {
        if t == "F" && q == 0 {
            l2.store(max, Ordering::SeqCst);
        }
    }));
    for i in 0..40u64 {
        let tag = if i % 4 == 0 { "A" } else { "B" };
        store.put_message(&msg("F", 0, i, 50, Some(tag))).wait();
    }
    store.wait_for_dispatch(Duration::from_secs(5));
    assert_eq!(last.load(Ordering::SeqCst), 40);
    let code_a = tag_hash_code(Some("A"));
    let f = move |c: i64| c == code_a;
    let g = store.get_message("F", 0, 0, 32, i32::MAX, Some(&f));
    assert_eq!(g.status, GetMessageStatus::Found);
    assert_eq!(g.messages.len(), 10);
    assert_eq!(g.queue_offsets, (0..40).step_by(4).collect::<Vec<i64>>());
    for b in &g.messages {
        assert_eq!(decode_message(b).unwrap().tags(), Some("A"));
    }
    let none = |_: i64| false;
    let g = store.get_message("F", 0, 0, 32, i32::MAX, Some(&none));
    assert_eq!(g.status, GetMessageStatus::NoMatchedMessage);
    assert_eq!(g.next_begin_offset, 40);
}

#[test]
fn offset_by_time_and_index_query() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut times = Vec::new();
    for i in 0..30u64 {
        let r = store.put_message(&msg("S", 0, i, 20, None)).wait();
        times.push(r.store_timestamp);
        if i % 10 == 9 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    store.wait_for_dispatch(Duration::from_secs(5));
    assert_eq!(store.store_time_of("S", 0, 5), Some(times[5]));
    assert_eq!(store.earliest_message_time("S", 0), Some(times[0]));
    let k = store.offset_by_time("S", 0, times[15]);
    assert_eq!(store.store_time_of("S", 0, k), Some(times[15]));
    assert_eq!(store.offset_by_time("S", 0, 0), 0);
    assert_eq!(store.offset_by_time("S", 0, i64::MAX / 2), 29);
    assert_eq!(store.offset_by_time("none", 0, 5), 0);

    let q = store.query_message("S", "key-7", 32, 0, i64::MAX);
    assert_eq!(q.messages.len(), 1);
    assert_eq!(decode_message(&q.messages[0]).unwrap().queue_offset, 7);
    let q = store.query_message("S", &format!("UNIQ{:028}", 12), 32, 0, i64::MAX);
    assert_eq!(decode_message(&q.messages[0]).unwrap().queue_offset, 12);
    let q = store.query_message("S", "all", 64, 0, i64::MAX);
    assert_eq!(q.messages.len(), 30);
    assert!(q.index_last_update_phyoffset > 0);
    let q = store.query_message("S", "all", 5, 0, i64::MAX);
    assert_eq!(q.messages.len(), 5);
    assert!(store
        .query_message("Other", "all", 64, 0, i64::MAX)
        .messages
        .is_empty());
}

#[test]
fn reopen_keeps_offsets() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        for i in 0..100 {
            store.put_message(&msg("R", 1, i, 300, None)).wait();
        }
        store.shutdown();
        assert!(!dir.path().join("abort").exists());
    }
    let store = open(dir.path());
    assert!(dir.path().join("abort").exists());
    assert_eq!(store.max_offset_in_queue("R", 1), 100);
    let r = store.put_message(&msg("R", 1, 100, 300, None)).wait();
    assert_eq!(r.queue_offset, 100);
    assert!(
        MessageStore::open(small_config(dir.path(), FlushDiskType::Async)).is_err(),
        "locked"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn prop_round_trip(sizes in proptest::collection::vec(0usize..3000, 1..60), queues in 1i32..4) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let mut expect: Vec<Vec<(u64, usize)>> = vec![Vec::new(); queues as usize];
        for (i, &len) in sizes.iter().enumerate() {
            let q = i as i32 % queues;
            let r = store.put_message(&msg("P", q, i as u64, len, None)).wait();
            prop_assert_eq!(r.status, PutStatus::Ok);
            prop_assert_eq!(r.queue_offset as usize, expect[q as usize].len());
            expect[q as usize].push((i as u64, len));
        }
        prop_assert!(store.wait_for_dispatch(Duration::from_secs(5)));
        for (q, want) in expect.iter().enumerate() {
            let mut got = Vec::new();
            let mut next = 0;
            while (next as usize) < want.len() {
                let g = store.get_message("P", q as i32, next, 7, i32::MAX, None);
                prop_assert_eq!(g.status, GetMessageStatus::Found);
                for b in &g.messages {
                    let m = decode_message(b).unwrap();
                    got.push((m.uniq_key().unwrap().to_string(), m.body.len()));
                }
                next = g.next_begin_offset;
            }
            let want: Vec<_> = want.iter().map(|(i, l)| (format!("UNIQ{i:028}"), *l)).collect();
            prop_assert_eq!(got, want);
        }
    }
}
