//! Polls a topic with the lite-pull consumer: first through the group's
//! rebalance (subscribe), printing what arrives until the topic is quiet
//! for 3 s; offsets are committed automatically every 5 s and on shutdown.
//! With `assign` as the third argument it instead takes every queue of the
//! topic itself and re-reads the first queue from its beginning (seek).
//!
//! `NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client --example lite_pull_consumer [topic] [group] [assign]`

use std::time::Duration;

use client::consumer::{ConsumeFromWhere, DefaultLitePullConsumer};
use client::ClientError;

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let group = args
        .next()
        .unwrap_or_else(|| "ExampleLitePullGroup".to_owned());
    let assign = args.next().as_deref() == Some("assign");
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned());

    let mut consumer = DefaultLitePullConsumer::new(group);
    consumer.set_namesrv_addr(namesrv);
    consumer.config_mut().consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    if !assign {
        consumer.subscribe(&topic, "*")?;
    }
    consumer.start().await?;
    if assign {
        let queues = consumer.fetch_message_queues(&topic).await?;
        consumer.assign(queues.clone())?;
        if let Some(first) = queues.first() {
            // Give the prefetch a moment to start, then rewind one queue.
            tokio::time::sleep(Duration::from_millis(200)).await;
            consumer.seek_to_begin(first).await?;
            println!("re-reading {first} from its beginning");
        }
    }
    let mut total = 0usize;
    loop {
        let msgs = consumer.poll(Duration::from_secs(3)).await;
        if msgs.is_empty() {
            break;
        }
        for m in &msgs {
            println!(
                "queue {} offset {}: {}",
                m.queue_id,
                m.queue_offset,
                String::from_utf8_lossy(&m.body)
            );
        }
        total += msgs.len();
    }
    consumer.commit_sync().await?;
    let assigned: Vec<String> = consumer
        .assignment()
        .iter()
        .map(|q| q.to_string())
        .collect();
    println!("polled {total} messages from {}", assigned.join(", "));
    consumer.shutdown().await;
    Ok(())
}
