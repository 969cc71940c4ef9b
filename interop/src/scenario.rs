//! The six scenarios: send with one producer API, consume with push consumers, verify.
//!
//! Every scenario sends to a fresh topic (auto-created by the broker from `TBW102`) and
//! consumes with a fresh group from the first offset, so runs never see each other's messages.

use std::time::Duration;

use rocketmq_client_rust::{DefaultMQProducer, SendResult, SendStatus};
use rocketmq_model::common::message::message_queue::MessageQueue;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;
use tokio::time::Instant;

use crate::args::{Args, Scenario};
use crate::client::{stop_consumers, stop_producer, Clients, ConsumerSpec};
use crate::error::{InteropError, StepContext};
use crate::inbox::Inbox;
use crate::verify::{distinct_keys, exactly_once, in_key_order, Planned};

/// Per-send timeout handed to the client.
const SEND_TIMEOUT_MS: u64 = 5_000;
/// How long consumers keep running after the expected messages arrived, to catch extras.
const SETTLE: Duration = Duration::from_millis(1_500);
/// Ordering keys of the orderly scenario.
const ORDER_KEYS: usize = 4;
/// Tags of the tags scenario; the consumer subscribes to the first two.
const TAGS: [&str; 3] = ["TagA", "TagB", "TagC"];

/// Counts printed on the result line, filled in as the scenario goes.
#[derive(Debug, Default)]
pub struct Report {
    /// Messages the producer handed to the broker.
    pub sent: usize,
    /// Deliveries the consumers must see (per consumer).
    pub expected: usize,
    /// Deliveries seen, over all consumers.
    pub received: usize,
    /// Extra facts worth printing (send results, queues).
    pub note: String,
}

/// Runs `args.scenario`, filling `report`; Ok only when the outcome verified.
pub async fn run(clients: &Clients, args: &Args, report: &mut Report) -> Result<(), InteropError> {
    let names = Names::new(args, &clients.run_id);
    // Leave a quarter of the budget for shutdown and the result line.
    let deadline = Instant::now() + args.timeout * 3 / 4;
    let (tag_of, expression, model, consumers): (
        fn(usize) -> &'static str,
        String,
        MessageModel,
        usize,
    ) = match args.scenario {
        Scenario::Tags => (
            |i| TAGS[i % TAGS.len()],
            format!("{}||{}", TAGS[0], TAGS[1]),
            MessageModel::Clustering,
            1,
        ),
        Scenario::TagsSpaced => (
            |i| TAGS[i % TAGS.len()],
            format!("{} || {}", TAGS[0], TAGS[1]),
            MessageModel::Clustering,
            1,
        ),
        Scenario::Broadcast => (|_| TAGS[0], "*".to_owned(), MessageModel::Broadcasting, 2),
        Scenario::Sync | Scenario::Oneway | Scenario::Batch | Scenario::Orderly => {
            (|_| TAGS[0], "*".to_owned(), MessageModel::Clustering, 1)
        }
    };
    let orderly = args.scenario == Scenario::Orderly;
    let plan = plan(args, &names, tag_of);
    let mut producer = send(clients, args.scenario, &names, &plan, report).await?;
    // A consumer that starts before the name server knows the topic waits for its next route
    // poll and rebalance (10-20 s); one-way sends return before the broker has even created it.
    if let Err(e) = wait_for_route(&mut producer, &names.topic, deadline, report).await {
        stop_producer(producer).await;
        return Err(e);
    }
    // The tags consumer subscribes to TagA and TagB only.
    let wanted: Vec<&Planned> = plan.iter().filter(|p| p.tag != TAGS[2]).collect();
    let consumed = consume(
        clients,
        &names,
        &expression,
        model,
        consumers,
        orderly,
        &wanted,
        deadline,
        report,
    )
    .await;
    stop_producer(producer).await;
    let inbox = consumed?;
    if orderly {
        in_key_order(&inbox.snapshot(), &plan)?;
    }
    Ok(())
}

/// Topic and group names of one run.
struct Names {
    topic: String,
    producer_group: String,
    consumer_group: String,
    scenario: &'static str,
}

impl Names {
    fn new(args: &Args, run_id: &str) -> Self {
        let base = format!(
            "interop_{}_{}_{run_id}",
            args.scenario.name(),
            args.serialize
        );
        Names {
            topic: base.clone(),
            producer_group: format!("{base}_pg"),
            consumer_group: format!("{base}_cg"),
            scenario: args.scenario.name(),
        }
    }
}

/// `args.messages` messages with unique keys; `tag_of(i)` picks message i's tag. Message i has
/// ordering key `i % ORDER_KEYS` and is that key's `i / ORDER_KEYS`-th message.
fn plan(args: &Args, names: &Names, tag_of: impl Fn(usize) -> &'static str) -> Vec<Planned> {
    (0..args.messages)
        .map(|i| {
            let (order, seq) = (i % ORDER_KEYS, i / ORDER_KEYS);
            let key = match args.scenario {
                Scenario::Orderly => format!("o{order}-{seq}"),
                _ => format!("k{i}"),
            };
            Planned {
                tag: tag_of(i),
                body: format!(
                    "interop {} message {key} of {}",
                    names.scenario, names.topic
                ),
                key,
                order,
                seq,
            }
        })
        .collect()
}

/// Sends `plan` with the producer API the scenario is about. The producer is returned, still
/// running, so that the caller stops it only after consuming: one-way sends that are still in
/// the connection's write path when a producer shuts down are lost.
async fn send(
    clients: &Clients,
    scenario: Scenario,
    names: &Names,
    plan: &[Planned],
    report: &mut Report,
) -> Result<DefaultMQProducer, InteropError> {
    let producer = clients.producer(&names.producer_group).await?;
    match send_with(&producer, scenario, &names.topic, plan, report).await {
        Ok(()) => Ok(producer),
        Err(e) => {
            stop_producer(producer).await;
            Err(e)
        }
    }
}

async fn send_with(
    producer: &DefaultMQProducer,
    scenario: Scenario,
    topic: &str,
    plan: &[Planned],
    report: &mut Report,
) -> Result<(), InteropError> {
    match scenario {
        Scenario::Batch => {
            let msgs = plan.iter().map(|p| p.message(topic)).collect();
            let result = producer
                .send_batch_with_timeout(msgs, SEND_TIMEOUT_MS)
                .await
                .step(format!("send batch of {}", plan.len()))?;
            check_send_ok(&result, "batch")?;
            let ids = result
                .msg_id
                .as_ref()
                .map_or(0, |ids| ids.as_str().split(',').count());
            if ids != plan.len() {
                return Err(InteropError::Verify(format!(
                    "batch send result names {ids} message ids for {} messages",
                    plan.len()
                )));
            }
            report.sent = plan.len();
            report.note = format!(
                "batch queue={} offset={}",
                queue_of(&result),
                result.queue_offset
            );
        }
        Scenario::Oneway => {
            for p in plan {
                producer
                    .send_oneway(p.message(topic))
                    .await
                    .step(format!("send oneway {}", p.key))?;
                report.sent += 1;
            }
        }
        Scenario::Orderly => {
            let mut queue_by_order: Vec<Option<i32>> = vec![None; ORDER_KEYS];
            for p in plan {
                let result = producer
                    .send_with_selector_timeout(
                        p.message(topic),
                        select_by_order,
                        p.order,
                        SEND_TIMEOUT_MS,
                    )
                    .await
                    .step(format!("send {} with selector", p.key))?;
                let result = result.ok_or_else(|| no_result(&p.key))?;
                check_send_ok(&result, &p.key)?;
                let queue = result.message_queue.as_ref().map(|q| q.queue_id());
                match queue_by_order[p.order] {
                    None => queue_by_order[p.order] = queue,
                    Some(q) if Some(q) != queue => {
                        return Err(InteropError::Verify(format!(
                            "order key {} sent to queue {q} and then {queue:?}",
                            p.order
                        )))
                    }
                    Some(_) => {}
                }
                report.sent += 1;
            }
            report.note = format!("queues by order key {queue_by_order:?}");
        }
        Scenario::Sync | Scenario::Tags | Scenario::TagsSpaced | Scenario::Broadcast => {
            let mut queues = std::collections::BTreeSet::new();
            for p in plan {
                let result = producer
                    .send_with_timeout(p.message(topic), SEND_TIMEOUT_MS)
                    .await
                    .step(format!("send {}", p.key))?;
                let result = result.ok_or_else(|| no_result(&p.key))?;
                check_send_ok(&result, &p.key)?;
                queues.extend(result.message_queue.as_ref().map(|q| q.queue_id()));
                report.sent += 1;
            }
            report.note = format!("queues used {queues:?}");
        }
    }
    Ok(())
}

/// Polls the name server (through the producer) until `topic` has a route, bounded by
/// `deadline`; notes how long that took.
async fn wait_for_route(
    producer: &mut DefaultMQProducer,
    topic: &str,
    deadline: Instant,
    report: &mut Report,
) -> Result<(), InteropError> {
    let started = Instant::now();
    loop {
        let result = producer.fetch_publish_message_queues(topic).await;
        match result {
            Ok(queues) if !queues.is_empty() => break,
            Ok(_) | Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(_) => {
                return Err(InteropError::Verify(format!(
                    "topic {topic} has a route with no queues"
                )))
            }
            Err(e) => return Err(e).step(format!("route of {topic} after sending")),
        }
    }
    let waited = started.elapsed().as_millis();
    let sep = if report.note.is_empty() { "" } else { ", " };
    report.note = format!("{}{sep}route visible after {waited} ms", report.note);
    Ok(())
}

/// The queue selector of the orderly scenario: ordering key modulo queue count.
fn select_by_order(
    mqs: &[MessageQueue],
    _msg: &rocketmq_model::common::message::message_single::Message,
    order: &usize,
) -> Option<MessageQueue> {
    if mqs.is_empty() {
        return None;
    }
    mqs.get(order % mqs.len()).cloned()
}

fn queue_of(result: &SendResult) -> String {
    result
        .message_queue
        .as_ref()
        .map_or_else(|| "?".to_owned(), |q| q.queue_id().to_string())
}

fn no_result(key: &str) -> InteropError {
    InteropError::Verify(format!("synchronous send of {key} returned no send result"))
}

fn check_send_ok(result: &SendResult, what: &str) -> Result<(), InteropError> {
    if result.send_status != SendStatus::SendOk {
        return Err(InteropError::Verify(format!(
            "send {what}: status {:?}",
            result.send_status
        )));
    }
    if result.msg_id.as_ref().is_none_or(|id| id.is_empty()) {
        return Err(InteropError::Verify(format!(
            "send {what}: no message id in the send result"
        )));
    }
    Ok(())
}

/// Starts `consumers` push consumers of one group, waits until each saw every `wanted`
/// message (bounded by `deadline`), lets them run [`SETTLE`] longer, stops them and checks that
/// each got every wanted message exactly once.
#[allow(clippy::too_many_arguments)]
async fn consume(
    clients: &Clients,
    names: &Names,
    expression: &str,
    model: MessageModel,
    consumers: usize,
    orderly: bool,
    wanted: &[&Planned],
    deadline: Instant,
    report: &mut Report,
) -> Result<std::sync::Arc<Inbox>, InteropError> {
    report.expected = wanted.len();
    let inbox = Inbox::new();
    let mut started = Vec::with_capacity(consumers);
    for index in 0..consumers {
        let spec = ConsumerSpec {
            group: &names.consumer_group,
            topic: &names.topic,
            expression,
            model,
            listener: if orderly {
                inbox.orderly_listener(index)
            } else {
                inbox.concurrent_listener(index)
            },
            orderly,
            instance: format!("consumer{index}"),
        };
        match clients.push_consumer(spec).await {
            Ok(c) => started.push(c),
            Err(e) => {
                stop_consumers(started).await;
                return Err(e);
            }
        }
    }
    let want = wanted.len();
    let all_arrived = inbox
        .wait_until(deadline, |d| {
            (0..consumers).all(|c| distinct_keys(d, c) >= want)
        })
        .await;
    if all_arrived {
        tokio::time::sleep(SETTLE).await;
    }
    stop_consumers(started).await;
    let got = inbox.snapshot();
    report.received = got.len();
    for c in 0..consumers {
        exactly_once(&got, c, wanted)?;
    }
    Ok(inbox)
}
