//! The read-only admin views served by [`super::admin::AdminProcessor`]:
//! GET_BROKER_RUNTIME_INFO (28), GET_TOPIC_STATS_INFO (202),
//! GET_CONSUME_STATS (208), GET_CONSUMER_CONNECTION_LIST (203),
//! GET_PRODUCER_CONNECTION_LIST (204), QUERY_TOPIC_CONSUME_BY_WHO (300)
//! (PROTOCOL.md §13.6, §13.8-§13.10).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use parking_lot::Mutex;
use protocol::body::route::KVTable;
use protocol::body::{
    ConsumeStats, GroupList, JsonBody, MessageQueue, OffsetWrapper, TopicOffset, TopicStatsTable,
};
use protocol::code::response;
use protocol::command::CURRENT_VERSION;
use protocol::header::{
    GetConsumeStatsRequestHeader, GetConsumerConnectionListRequestHeader,
    GetProducerConnectionListRequestHeader, GetTopicStatsInfoRequestHeader,
    QueryTopicConsumeByWhoRequestHeader,
};
use protocol::RemotingCommand;

use crate::clock::now_ms;
use crate::context::BrokerContext;
use crate::error::BrokerError;

/// The version this broker announces (`MQVersion.Version` name of
/// [`CURRENT_VERSION`]).
pub const BROKER_VERSION_DESC: &str = "V5_3_3";

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Put/get counters at one instant.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    at_ms: i64,
    put: u64,
    get_transferred: u64,
    get_found: u64,
    get_miss: u64,
}

/// The counters GET_BROKER_RUNTIME_INFO derives rates and daily totals
/// from. Sampled lazily (at most once a second) when runtime info is asked
/// for: a rate over a window uses the newest sample at least that old, or the
/// broker's start when there is none, so early answers are averages since
/// boot. Days are UTC days.
#[derive(Debug)]
pub struct RuntimeStats {
    boot_ms: i64,
    inner: Mutex<StatsInner>,
}

#[derive(Debug)]
struct StatsInner {
    samples: VecDeque<Sample>,
    day: i64,
    today_morning: Sample,
    yesterday_morning: Sample,
}

impl RuntimeStats {
    /// Counters starting at `boot_ms`.
    pub fn new(boot_ms: i64) -> Self {
        let boot = Sample {
            at_ms: boot_ms,
            ..Default::default()
        };
        RuntimeStats {
            boot_ms,
            inner: Mutex::new(StatsInner {
                samples: VecDeque::from([boot]),
                day: boot_ms.div_euclid(DAY_MS),
                today_morning: Sample::default(),
                yesterday_morning: Sample::default(),
            }),
        }
    }

    /// Records `now` and returns (TPS over 10 s/60 s/600 s for each counter,
    /// today-morning sample, yesterday-morning sample).
    fn observe(&self, now: Sample) -> ([[f64; 3]; 4], Sample, Sample) {
        let mut s = self.inner.lock();
        let day = now.at_ms.div_euclid(DAY_MS);
        if day != s.day {
            s.yesterday_morning = if day == s.day + 1 {
                s.today_morning
            } else {
                now
            };
            s.today_morning = now;
            s.day = day;
        }
        if s.samples.back().is_none_or(|b| now.at_ms - b.at_ms >= 1000) {
            s.samples.push_back(now);
        }
        while s.samples.len() > 2
            && s.samples
                .get(1)
                .is_some_and(|x| now.at_ms - x.at_ms > 600_000)
        {
            s.samples.pop_front();
        }
        let mut tps = [[0.0; 3]; 4];
        for (w, window) in [10_000i64, 60_000, 600_000].into_iter().enumerate() {
            let base = s
                .samples
                .iter()
                .rev()
                .find(|x| now.at_ms - x.at_ms >= window)
                .or_else(|| s.samples.front())
                .copied()
                .unwrap_or_default();
            let secs = (now.at_ms - base.at_ms).max(1) as f64 / 1000.0;
            let rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / secs;
            tps[0][w] = rate(now.put, base.put);
            tps[1][w] = rate(now.get_transferred, base.get_transferred);
            tps[2][w] = rate(now.get_found, base.get_found);
            tps[3][w] = rate(now.get_miss, base.get_miss);
        }
        (tps, s.today_morning, s.yesterday_morning)
    }
}

fn tps_text(t: [f64; 3]) -> String {
    format!("{:.2} {:.2} {:.2}", t[0], t[1], t[2])
}

/// Java's `runtime` text: `[ d days, h hours, m minutes, s seconds ]`.
fn uptime_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!(
        "[ {} days, {} hours, {} minutes, {} seconds ]",
        s / 86_400,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

/// GET_BROKER_RUNTIME_INFO: the store's figures plus the broker's, under the
/// keys Java's admin tools print.
pub fn runtime_info(ctx: &BrokerContext, stats: &RuntimeStats) -> RemotingCommand {
    let mut table: BTreeMap<String, String> = ctx.store.runtime_info().into_iter().collect();
    let num = |k: &str| {
        table
            .get(k)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let now = now_ms();
    let sample = Sample {
        at_ms: now,
        put: num("putMessageTimesTotal"),
        get_transferred: num("getTransferedMsgCount"),
        get_found: num("getFoundTimes"),
        get_miss: num("getMissTimes"),
    };
    let (tps, today, yesterday) = stats.observe(sample);
    let total_get = [0, 1, 2].map(|i| tps[2][i] + tps[3][i]);
    let cfg = ctx.config.read();
    let mut put = |k: &str, v: String| {
        table.insert(k.to_owned(), v);
    };
    put("brokerVersionDesc", BROKER_VERSION_DESC.to_owned());
    put("brokerVersion", CURRENT_VERSION.to_string());
    put("msgPutTotalYesterdayMorning", yesterday.put.to_string());
    put("msgPutTotalTodayMorning", today.put.to_string());
    put("msgPutTotalTodayNow", sample.put.to_string());
    put(
        "msgGetTotalYesterdayMorning",
        yesterday.get_transferred.to_string(),
    );
    put("msgGetTotalTodayMorning", today.get_transferred.to_string());
    put("msgGetTotalTodayNow", sample.get_transferred.to_string());
    put("putTps", tps_text(tps[0]));
    put("getTransferedTps", tps_text(tps[1]));
    put("getTransferredTps", tps_text(tps[1]));
    put("getFoundTps", tps_text(tps[2]));
    put("getMissTps", tps_text(tps[3]));
    put("getTotalTps", tps_text(total_get));
    put("sendThreadPoolQueueSize", "0".into());
    put(
        "sendThreadPoolQueueCapacity",
        cfg.send_thread_pool_queue_capacity.to_string(),
    );
    put("pullThreadPoolQueueSize", "0".into());
    put(
        "pullThreadPoolQueueCapacity",
        cfg.pull_thread_pool_queue_capacity.to_string(),
    );
    put("queryThreadPoolQueueSize", "0".into());
    put("queryThreadPoolQueueCapacity", "20000".into());
    put("sendThreadPoolQueueHeadWaitTimeMills", "0".into());
    put("pullThreadPoolQueueHeadWaitTimeMills", "0".into());
    put("queryThreadPoolQueueHeadWaitTimeMills", "0".into());
    put("bootTimestamp", stats.boot_ms.to_string());
    put("runtime", uptime_text(now - stats.boot_ms));
    put("brokerActive", "true".into());
    put("remainTransientStoreBufferNumbs", i32::MAX.to_string());
    put("remainHowManyDataToCommit", "0".into());
    table
        .entry("getMessageEntireTimeMax".into())
        .or_insert_with(|| "0".into());
    table
        .entry("putMessageEntireTimeMax".into())
        .or_insert_with(|| "0".into());
    drop(cfg);
    RemotingCommand::success().with_body(KVTable { table }.to_json())
}

/// GET_TOPIC_STATS_INFO: min/max offset and last store time of each write
/// queue; TOPIC_NOT_EXIST for an unknown topic.
pub fn topic_stats(
    ctx: &BrokerContext,
    req: &RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: GetTopicStatsInfoRequestHeader = req.header()?;
    let Some(tc) = ctx.topics.get(&h.topic) else {
        return Err(BrokerError::TopicNotExist(h.topic));
    };
    let broker_name = ctx.broker_name();
    let store = &ctx.store;
    let mut stats = TopicStatsTable::default();
    for q in 0..tc.write_queue_nums.max(0) {
        let min = store.min_offset_in_queue(&h.topic, q).max(0);
        let max = store.max_offset_in_queue(&h.topic, q).max(min);
        let last = if max > 0 {
            store.store_time_of(&h.topic, q, max - 1).unwrap_or(0)
        } else {
            0
        };
        stats.offset_table.insert(
            MessageQueue::new(h.topic.clone(), broker_name.clone(), q),
            TopicOffset {
                last_update_timestamp: last,
                max_offset: max,
                min_offset: min,
            },
        );
    }
    Ok(RemotingCommand::success().with_body(stats.to_json()))
}

/// GET_CONSUME_STATS: per read queue of each topic the group consumes (the
/// requested topic(s), else every topic it has offsets for or subscribes
/// to): broker max offset, committed offset, pulled offset, and the store
/// time of the last consumed message.
pub fn consume_stats(
    ctx: &BrokerContext,
    req: &RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: GetConsumeStatsRequestHeader = req.header()?;
    let group = &h.consumer_group;
    let mut topics: BTreeSet<String> = BTreeSet::new();
    if let Some(t) = h.topic.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        topics.insert(t.to_owned());
    }
    if let Some(list) = h.topic_list.as_deref() {
        topics.extend(
            list.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        );
    }
    if topics.is_empty() {
        topics = ctx.offsets.topics_of_group(group);
        topics.extend(ctx.clients.subscribed_topics(group));
    }
    let broker_name = ctx.broker_name();
    let store = &ctx.store;
    let mut stats = ConsumeStats::default();
    for topic in &topics {
        let Some(tc) = ctx.topics.get(topic) else {
            tracing::debug!(topic = %topic, group = %group, "consume stats: topic does not exist");
            continue;
        };
        for q in 0..tc.read_queue_nums.max(0) {
            let broker_offset = store.max_offset_in_queue(topic, q).max(0);
            let consumer_offset = ctx
                .offsets
                .query_offset(group, topic, q)
                .unwrap_or(0)
                .max(0);
            let pull_offset = ctx
                .offsets
                .pull_offset(group, topic, q)
                .unwrap_or(0)
                .max(consumer_offset);
            let last_timestamp = if consumer_offset > 0 {
                store
                    .store_time_of(topic, q, consumer_offset - 1)
                    .unwrap_or(0)
            } else {
                0
            };
            stats.offset_table.insert(
                MessageQueue::new(topic.clone(), broker_name.clone(), q),
                OffsetWrapper {
                    broker_offset,
                    consumer_offset,
                    last_timestamp,
                    pull_offset,
                },
            );
        }
    }
    Ok(RemotingCommand::success().with_body(stats.to_json()))
}

/// GET_CONSUMER_CONNECTION_LIST: CONSUMER_NOT_ONLINE when the group has no
/// live connection.
pub fn consumer_connections(
    ctx: &BrokerContext,
    req: &RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: GetConsumerConnectionListRequestHeader = req.header()?;
    match ctx.clients.consumer_connection(&h.consumer_group) {
        Some(cc) => Ok(RemotingCommand::success().with_body(cc.to_json())),
        None => Ok(RemotingCommand::error(
            response::CONSUMER_NOT_ONLINE,
            format!("the consumer group[{}] not online", h.consumer_group),
        )),
    }
}

/// GET_PRODUCER_CONNECTION_LIST: SYSTEM_ERROR when no producer of the group
/// is connected.
pub fn producer_connections(
    ctx: &BrokerContext,
    req: &RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: GetProducerConnectionListRequestHeader = req.header()?;
    match ctx.clients.producer_connection(&h.producer_group) {
        Some(pc) => Ok(RemotingCommand::success().with_body(pc.to_json())),
        None => Err(BrokerError::System(format!(
            "the producer group[{}] not exist",
            h.producer_group
        ))),
    }
}

/// QUERY_TOPIC_CONSUME_BY_WHO: online groups subscribing to the topic plus
/// groups with offsets for it.
pub fn consumed_by(
    ctx: &BrokerContext,
    req: &RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: QueryTopicConsumeByWhoRequestHeader = req.header()?;
    let mut groups = ctx.clients.groups_subscribing(&h.topic);
    groups.extend(ctx.offsets.groups_of_topic(&h.topic));
    Ok(RemotingCommand::success().with_body(GroupList { group_list: groups }.to_json()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: i64, put: u64) -> Sample {
        Sample {
            at_ms,
            put,
            ..Default::default()
        }
    }

    #[test]
    fn rates_use_the_window_or_fall_back_to_boot() {
        let boot = 10 * DAY_MS;
        let s = RuntimeStats::new(boot);
        let (tps, _, _) = s.observe(sample(boot + 5_000, 500));
        assert!((tps[0][0] - 100.0).abs() < 1e-9, "{tps:?}");
        s.observe(sample(boot + 20_000, 2_000));
        let (tps, _, _) = s.observe(sample(boot + 30_000, 4_000));
        // 10 s window: base is the sample at +20 s.
        assert!((tps[0][0] - 200.0).abs() < 1e-9, "{tps:?}");
        // 60 s window: no sample that old, base is boot.
        assert!((tps[0][1] - 4_000.0 / 30.0).abs() < 1e-9, "{tps:?}");
    }

    #[test]
    fn daily_totals_roll_over() {
        let boot = 10 * DAY_MS + 1000;
        let s = RuntimeStats::new(boot);
        let (_, today, yesterday) = s.observe(sample(boot + 10, 5));
        assert_eq!((today.put, yesterday.put), (0, 0));
        let (_, today, _) = s.observe(sample(11 * DAY_MS + 5, 50));
        assert_eq!(today.put, 50);
        let (_, today, yesterday) = s.observe(sample(12 * DAY_MS + 5, 80));
        assert_eq!((today.put, yesterday.put), (80, 50));
    }

    #[test]
    fn uptime_format() {
        assert_eq!(
            uptime_text(90_061_000),
            "[ 1 days, 1 hours, 1 minutes, 1 seconds ]"
        );
    }
}
