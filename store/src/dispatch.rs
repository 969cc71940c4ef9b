//! Dispatch (RocketMQ's reput service): tails the CommitLog and builds the
//! consume queue entries and index entries of each record, then notifies
//! the arrival listener. One thread runs it continuously, up to the write
//! position under both flush types; under SYNC_FLUSH the group commit
//! dispatches each group itself, between writing and syncing it, so the
//! thread finds little left to do; recovery runs it before the store opens.

use crate::commit_log::{tx_type, CommitLog, Scan};
use crate::consume_queue::{ConsumeQueue, CqEntry};
use crate::store::{ArrivalListener, Inner};
use protocol::message::properties::{for_each_property, DELAY, KEYS, TAGS, UNIQ_KEY};
use protocol::message::sysflag::{
    TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE, TRANSACTION_ROLLBACK_TYPE,
};
use protocol::message::tag::tag_hash_code;
use protocol::message::RecordInfo;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The topic of 4.x delayed messages, whose tag code is the delivery time.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// Dispatcher position, guarded by the dispatch lock.
#[derive(Debug, Default)]
pub(crate) struct DispatchState {
    /// Next CommitLog offset to dispatch.
    pub(crate) reput_from: u64,
    last_cq: Option<Arc<ConsumeQueue>>,
    reported_error_at: Option<u64>,
}

impl DispatchState {
    /// Forgets the cached consume queue (after queues were deleted).
    pub(crate) fn clear_cache(&mut self) {
        self.last_cq = None;
    }
}

/// How far dispatch goes: the write position. Under SYNC_FLUSH too (as in
/// RocketMQ): a record may be dispatched while it is being flushed; it is
/// never acknowledged before the flush returned.
pub(crate) fn visible_limit(inner: &Inner) -> u64 {
    inner.commit_log.max_offset()
}

/// The dispatch thread.
pub(crate) fn dispatcher(inner: &Inner) {
    inner.dispatcher_wake.register();
    while !inner.shutdown.load(Ordering::Acquire) {
        dispatch_until(inner, visible_limit(inner));
        inner.dispatcher_wake.wait(Duration::from_millis(1));
    }
}

/// Dispatches every record below `limit` not dispatched yet.
pub(crate) fn dispatch_until(inner: &Inner, limit: u64) {
    let mut st = inner.dispatch.lock();
    if st.reput_from >= limit {
        return;
    }
    let listener = inner.listener.read().clone();
    let cl = &inner.commit_log;
    let file_size = cl.files().file_size();
    while st.reput_from < limit {
        let from = st.reput_from;
        let Some(file) = cl.files().find(from) else {
            let min = cl.min_offset();
            if from < min {
                st.reput_from = min; // files were deleted under us
                continue;
            }
            break;
        };
        let pos = (from - file.start()) as usize;
        match CommitLog::scan(&file, pos, false, true) {
            Scan::Record(info) => {
                let end = from + info.total_size as u64;
                if end > limit {
                    break;
                }
                dispatch_record(inner, &mut st, &info, from as i64, listener.as_ref());
                st.reput_from = end;
            }
            Scan::Blank => st.reput_from = file.start() + file_size,
            Scan::End(err) => {
                if let Some(e) = err {
                    if st.reported_error_at != Some(from) {
                        tracing::error!(offset = from, error = %e, "dispatch stopped at an invalid record");
                        st.reported_error_at = Some(from);
                    }
                }
                break;
            }
        }
    }
    inner.dispatched_to.store(st.reput_from, Ordering::Release);
}

/// The properties dispatch needs, read in one pass over the record's
/// properties string (the last occurrence of a key wins, as in
/// `find_property`).
#[derive(Default)]
struct DispatchProps<'a> {
    tags: Option<&'a str>,
    keys: Option<&'a str>,
    uniq_key: Option<&'a str>,
    delay: Option<&'a str>,
}

impl<'a> DispatchProps<'a> {
    fn of(info: &RecordInfo<'a>) -> Self {
        let mut p = DispatchProps::default();
        for_each_property(info.properties, |k, v| match k {
            TAGS => p.tags = Some(v),
            KEYS => p.keys = Some(v),
            UNIQ_KEY => p.uniq_key = Some(v),
            DELAY => p.delay = Some(v),
            _ => {}
        });
        p
    }
}

/// The ConsumeQueue tag code of a record: the delivery time for the
/// schedule topic, else the hash of `TAGS`.
fn tag_code(inner: &Inner, info: &RecordInfo<'_>, props: &DispatchProps<'_>) -> i64 {
    if info.topic == SCHEDULE_TOPIC {
        if let Some(level) = props.delay.and_then(|d| d.parse::<usize>().ok()) {
            let levels = &inner.delay_levels;
            if level > 0 && !levels.is_empty() {
                let delay = levels[level.min(levels.len()) - 1];
                return info.store_timestamp + delay;
            }
        }
        return info.store_timestamp;
    }
    tag_hash_code(props.tags)
}

fn dispatch_record(
    inner: &Inner,
    st: &mut DispatchState,
    info: &RecordInfo<'_>,
    phy: i64,
    listener: Option<&ArrivalListener>,
) {
    let tx = tx_type(info.sys_flag);
    let props = DispatchProps::of(info);
    if tx == TRANSACTION_NOT_TYPE || tx == TRANSACTION_COMMIT_TYPE {
        let cq = match &st.last_cq {
            Some(q) if q.queue_id() == info.queue_id && q.topic() == info.topic => {
                Some(Arc::clone(q))
            }
            _ => match inner.queues.find_or_create(info.topic, info.queue_id) {
                Ok(q) => {
                    st.last_cq = Some(Arc::clone(&q));
                    Some(q)
                }
                Err(e) => {
                    tracing::error!(topic = info.topic, queue = info.queue_id, error = %e, "cannot create consume queue");
                    None
                }
            },
        };
        if let Some(cq) = cq {
            let entry = CqEntry {
                phy,
                size: info.total_size as i32,
                tag_code: tag_code(inner, info, &props),
            };
            match cq.put(info.queue_offset, entry) {
                Ok(true) => {
                    if let Some(l) = listener {
                        l(info.topic, info.queue_id, info.queue_offset + 1);
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "consume queue write failed"),
            }
        }
    }
    if tx != TRANSACTION_ROLLBACK_TYPE {
        if let Some(index) = &inner.index {
            // The clock names a new index file; most records need none.
            if let Err(e) = index.build(
                info.topic,
                props.uniq_key,
                props.keys,
                phy,
                info.store_timestamp,
                || inner.env.now_ms(),
            ) {
                tracing::error!(error = %e, "index write failed");
            }
        }
    }
    inner
        .last_dispatched_ts
        .store(info.store_timestamp, Ordering::Release);
}
