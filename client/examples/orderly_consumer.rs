//! Consumes a topic in order per queue (pair it with the `ordered_producer`
//! example): each queue is locked on its broker and consumed by one task at
//! a time; a failed batch suspends its queue briefly and is delivered again.
//!
//! `NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client --example orderly_consumer [topic] [group]`

use client::consumer::{ConsumeFromWhere, ConsumeOrderlyStatus, DefaultMQPushConsumer};
use client::ClientError;

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "OrderTopic".to_owned());
    let group = args
        .next()
        .unwrap_or_else(|| "ExampleOrderlyGroup".to_owned());
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned());

    let mut consumer = DefaultMQPushConsumer::new(group);
    consumer.set_namesrv_addr(namesrv);
    consumer.set_consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset);
    consumer.subscribe(&topic, "*")?;
    consumer.register_message_listener_orderly(|msgs, ctx| {
        for m in msgs {
            println!(
                "{} queue {} offset {} keys {:?}: {}",
                ctx.message_queue.broker_name,
                m.queue_id,
                m.queue_offset,
                m.keys(),
                String::from_utf8_lossy(&m.body)
            );
        }
        ConsumeOrderlyStatus::Success
    });
    consumer.start().await?;
    println!("consuming {topic} in order; Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
    consumer.shutdown().await;
    Ok(())
}
