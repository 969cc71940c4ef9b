//! Read paths of [`MessageStore`]: get by logical offset (pull), offsets and
//! times of queues, lookup by CommitLog offset, index queries, stats.

use crate::mapped_file::MappedFile;
use crate::stats::Stats;
use crate::{GetMessageResult, GetMessageStatus, MessageStore, QueryMessageResult};
use bytes::Bytes;
use protocol::message::record::{store_timestamp_pos, SYS_FLAG_POS};
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl MessageStore {
    /// Reads up to `max_msg_nums` messages (and at most `max_total_bytes`)
    /// of `topic`/`queue_id` from logical `offset`, skipping entries whose
    /// tag code `filter` rejects (STORAGE.md §16.1). Records are zero-copy
    /// slices of the mapped CommitLog; holding them keeps their file alive.
    pub fn get_message(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        max_total_bytes: i32,
        filter: Option<&dyn Fn(i64) -> bool>,
    ) -> GetMessageResult {
        use GetMessageStatus::*;
        let inner = &self.inner;
        let Some(cq) = inner.queues.find(topic, queue_id) else {
            Stats::add(&inner.stats.get_miss_times, 1);
            return GetMessageResult::empty(NoMatchedLogicQueue, 0, 0, 0);
        };
        let (min, max) = (cq.min_offset(), cq.max_offset());
        let early = |status, next| {
            Stats::add(&inner.stats.get_miss_times, 1);
            GetMessageResult::empty(status, next, min, max)
        };
        if max == 0 {
            return early(NoMessageInQueue, 0);
        } else if offset < min {
            return early(OffsetTooSmall, min);
        } else if offset == max {
            return early(OffsetOverflowOne, offset);
        } else if offset > max {
            return early(OffsetOverflowBadly, max);
        }
        let cfg = &inner.config;
        let max_msgs = max_msg_nums.max(1) as usize;
        let scan = (cfg.max_filter_message_size as usize / 20).max(max_msgs);
        let Some(entries) = cq.read_from(offset, scan) else {
            return early(OffsetFoundNull, cq.roll_next_file(offset));
        };
        let cl_max = inner.commit_log.max_offset() as i64;
        let max_bytes = if max_total_bytes <= 0 {
            usize::MAX
        } else {
            max_total_bytes as usize
        };
        let mut res = GetMessageResult::empty(NoMatchedMessage, offset, min, max);
        let mut hint: Option<Arc<MappedFile>> = None;
        let mut skip_below = i64::MIN;
        let mut max_phy_pulled = 0;
        let mut i = 0;
        while i < entries.len() {
            let Some(e) = entries.get(i) else { break };
            if !e.is_valid() || e.phy < skip_below {
                i += 1;
                continue;
            }
            max_phy_pulled = e.phy;
            let size = e.size as usize;
            let in_disk = cl_max - e.phy > inner.memory_window;
            if batch_full(cfg, &res, size, max_msgs, max_bytes, in_disk) {
                break;
            }
            if let Some(f) = filter {
                if !f(e.tag_code) {
                    i += 1;
                    continue;
                }
            }
            match inner.commit_log.read_at(e.phy, e.size, &mut hint) {
                Some(b) => {
                    res.buffer_total_size += b.len();
                    res.messages.push(b);
                    res.queue_offsets.push(offset + i as i64);
                    res.status = Found;
                    skip_below = i64::MIN;
                }
                None => {
                    if res.messages.is_empty() {
                        res.status = MessageWasRemoving;
                    }
                    let fs = inner.commit_log.files().file_size() as i64;
                    skip_below = e.phy - e.phy.rem_euclid(fs) + fs;
                }
            }
            i += 1;
        }
        res.next_begin_offset = offset + i as i64;
        res.suggest_pulling_from_slave = cl_max - max_phy_pulled > inner.memory_window;
        if res.status == Found {
            Stats::add(&inner.stats.get_found_times, 1);
            Stats::add(
                &inner.stats.get_transferred_msg_count,
                res.messages.len() as u64,
            );
        } else {
            Stats::add(&inner.stats.get_miss_times, 1);
        }
        res
    }

    /// Offset the next message of the queue gets (0 for an unknown queue).
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .queues
            .find(topic, queue_id)
            .map_or(0, |q| q.max_offset())
    }

    /// First logical offset still readable (0 for an unknown queue).
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .queues
            .find(topic, queue_id)
            .map_or(0, |q| q.min_offset())
    }

    /// Store timestamp of the message at logical `offset`.
    pub fn store_time_of(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        let e = self.inner.queues.find(topic, queue_id)?.entry(offset)?;
        if !e.is_valid() {
            return None;
        }
        self.record_store_time(e.phy)
    }

    fn record_store_time(&self, phy: i64) -> Option<i64> {
        let cl = &self.inner.commit_log;
        let sys_flag = cl.read_i32(phy, SYS_FLAG_POS)?;
        cl.read_i64(phy, store_timestamp_pos(sys_flag))
    }

    /// Store timestamp of the oldest message of the queue (GET_EARLIEST_MSG_STORETIME).
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let min = self.min_offset_in_queue(topic, queue_id);
        self.store_time_of(topic, queue_id, min)
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP with 4.9 semantics: binary search over
    /// store timestamps; the exact match if any, else the neighbour closest
    /// to `timestamp` (the older one on a tie); 0 for an empty/unknown queue.
    pub fn offset_by_time(&self, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
        let Some(cq) = self.inner.queues.find(topic, queue_id) else {
            return 0;
        };
        let cl_min = self.commit_log_min_offset();
        let time_at = |k: i64| -> Option<i64> {
            let e = cq.entry(k)?;
            if !e.is_valid() || e.phy < cl_min {
                return None;
            }
            self.record_store_time(e.phy)
        };
        let (mut lo, mut hi) = (cq.min_offset(), cq.max_offset() - 1);
        // Skip leading entries whose data is gone.
        while lo <= hi && time_at(lo).is_none() {
            lo += 1;
        }
        if lo > hi {
            return 0;
        }
        // (offset, store time) of the closest entries below and above `timestamp`.
        type Probe = Option<(i64, i64)>;
        let (mut left, mut right): (Probe, Probe) = (None, None);
        while lo <= hi {
            let mid = lo + (hi - lo) / 2;
            let Some(t) = time_at(mid) else {
                lo = mid + 1;
                continue;
            };
            if t == timestamp {
                return mid;
            } else if t < timestamp {
                left = Some((mid, t));
                lo = mid + 1;
            } else {
                right = Some((mid, t));
                hi = mid - 1;
            }
        }
        match (left, right) {
            (Some((l, _)), None) => l,
            (None, Some((r, _))) => r,
            (Some((l, lt)), Some((r, rt))) => {
                if timestamp - lt > rt - timestamp {
                    r
                } else {
                    l
                }
            }
            (None, None) => 0,
        }
    }

    /// One whole record at CommitLog `offset` (VIEW_MESSAGE_BY_ID, transaction
    /// lookups); None if there is no record starting there.
    pub fn look_message_by_offset(&self, commit_log_offset: i64) -> Option<Bytes> {
        self.inner.commit_log.read_record(commit_log_offset)
    }

    /// QUERY_MESSAGE: records indexed under `topic#key` stored within
    /// `[begin_ts, end_ts]`, at most `max_num` (capped at `maxMsgsNumBatch`).
    /// Candidates are hash matches; callers re-check the key.
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin_ts: i64,
        end_ts: i64,
    ) -> QueryMessageResult {
        let Some(index) = &self.inner.index else {
            return QueryMessageResult::default();
        };
        let max = (max_num.max(0) as u64).min(self.inner.config.max_msgs_num_batch) as usize;
        let (offs, ts, phy) = index.query(topic, key, max, begin_ts, end_ts);
        let messages = offs
            .into_iter()
            .filter_map(|o| self.inner.commit_log.read_record(o))
            .collect();
        QueryMessageResult {
            messages,
            index_last_update_timestamp: ts,
            index_last_update_phyoffset: phy,
        }
    }

    /// End of the written CommitLog.
    pub fn commit_log_max_offset(&self) -> i64 {
        self.inner.commit_log.max_offset() as i64
    }

    /// First CommitLog offset still stored.
    pub fn commit_log_min_offset(&self) -> i64 {
        self.inner.commit_log.min_offset() as i64
    }

    /// Bytes written but not yet dispatched to the consume queues.
    pub fn dispatch_behind_bytes(&self) -> i64 {
        let d = self.inner.dispatched_to.load(Ordering::Acquire);
        (self.inner.commit_log.max_offset().saturating_sub(d)) as i64
    }

    /// Runtime statistics as (Java key, value) pairs for GET_BROKER_RUNTIME_INFO.
    pub fn runtime_info(&self) -> Vec<(String, String)> {
        let inner = &self.inner;
        let s = &inner.stats;
        let put_total = Stats::get(&s.put_message_times_total);
        let size_total = Stats::get(&s.put_message_size_total);
        let ratio = inner.env.disk_used_ratio(&inner.config.commit_log_dir());
        let cq_ratio = inner.env.disk_used_ratio(&inner.config.consume_queue_dir());
        let cl = &inner.commit_log;
        let kv = |k: &str, v: String| (k.to_string(), v);
        vec![
            kv("commitLogMaxOffset", cl.max_offset().to_string()),
            kv("commitLogMinOffset", cl.min_offset().to_string()),
            kv("commitLogDiskRatio", format!("{ratio}")),
            kv("consumeQueueDiskRatio", format!("{cq_ratio}")),
            kv("putMessageTimesTotal", put_total.to_string()),
            kv("putMessageSizeTotal", size_total.to_string()),
            kv(
                "putMessageAverageSize",
                (size_total as f64 / put_total.max(1) as f64).to_string(),
            ),
            kv(
                "putMessageFailedTimes",
                Stats::get(&s.put_message_failed_times).to_string(),
            ),
            kv(
                "flushDiskTimeoutTimes",
                Stats::get(&s.flush_disk_timeouts).to_string(),
            ),
            kv("getFoundTimes", Stats::get(&s.get_found_times).to_string()),
            kv("getMissTimes", Stats::get(&s.get_miss_times).to_string()),
            kv(
                "getTransferedMsgCount",
                Stats::get(&s.get_transferred_msg_count).to_string(),
            ),
            kv(
                "dispatchBehindBytes",
                self.dispatch_behind_bytes().to_string(),
            ),
            kv(
                "remainHowManyDataToFlush",
                cl.max_offset()
                    .saturating_sub(cl.files().flushed_where())
                    .to_string(),
            ),
            kv(
                "pageCacheLockTimeMills",
                cl.lock_held_ms(inner.env.now_ms()).to_string(),
            ),
            kv(
                "earliestMessageTimeStamp",
                self.earliest_commit_log_time().to_string(),
            ),
            kv(
                "startAcceptSendRequestTimeStamp",
                inner.start_time.to_string(),
            ),
        ]
    }

    fn earliest_commit_log_time(&self) -> i64 {
        let min = self.commit_log_min_offset();
        self.record_store_time(min).unwrap_or(-1)
    }
}

/// RocketMQ's `isTheBatchFull`, plus the caller's byte limit.
fn batch_full(
    cfg: &crate::StoreConfig,
    res: &GetMessageResult,
    size: usize,
    max_msgs: usize,
    max_bytes: usize,
    in_disk: bool,
) -> bool {
    let (total, count) = (res.buffer_total_size, res.messages.len());
    if total == 0 || count == 0 {
        return false;
    }
    if count >= max_msgs || total + size > max_bytes {
        return true;
    }
    let (bytes, msgs) = if in_disk {
        (
            cfg.max_transfer_bytes_on_message_in_disk,
            cfg.max_transfer_count_on_message_in_disk,
        )
    } else {
        (
            cfg.max_transfer_bytes_on_message_in_memory,
            cfg.max_transfer_count_on_message_in_memory,
        )
    };
    (total + size) as u64 > bytes || count as u64 >= msgs
}
