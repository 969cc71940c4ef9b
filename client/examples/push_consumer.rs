//! Consumes a topic with a concurrent push consumer and prints each
//! message; Ctrl-C stops it (offsets are committed on the way out).
//!
//! `NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client --example push_consumer [topic] [group]`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use client::consumer::{ConsumeConcurrentlyStatus, ConsumeFromWhere, DefaultMQPushConsumer};
use client::ClientError;

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let group = args
        .next()
        .unwrap_or_else(|| "ExampleConsumerGroup".to_owned());
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned());

    let mut consumer = DefaultMQPushConsumer::new(group);
    consumer.set_namesrv_addr(namesrv);
    consumer.set_consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset);
    consumer.subscribe(&topic, "*")?;
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    consumer.register_message_listener_concurrently(move |msgs, ctx| {
        for m in msgs {
            let n = seen.fetch_add(1, Ordering::Relaxed) + 1;
            println!(
                "#{n} {} queue {} offset {} id {} tags {:?}: {}",
                ctx.message_queue.broker_name,
                m.queue_id,
                m.queue_offset,
                m.uniq_key().unwrap_or(&m.msg_id),
                m.tags(),
                String::from_utf8_lossy(&m.body)
            );
        }
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    consumer.start().await?;
    println!("consuming {topic}; Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
    consumer.shutdown().await;
    println!("consumed {} messages", count.load(Ordering::Relaxed));
    Ok(())
}
