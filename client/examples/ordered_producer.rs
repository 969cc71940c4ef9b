//! Ordered sending: every step of one order goes to the same queue, chosen
//! by hashing the order id (`SelectMessageQueueByHash`), so a consumer sees
//! an order's steps in sequence.
//!
//! `NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client --example ordered_producer [topic]`

use client::producer::{DefaultMQProducer, SelectMessageQueueByHash};
use client::{ClientError, Message};

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "OrderedTopicTest".to_owned());
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned());

    let mut producer = DefaultMQProducer::new("ExampleOrderedProducerGroup");
    producer.set_namesrv_addr(namesrv);
    producer.start().await?;

    for order in 0..10 {
        let order_id = format!("order-{order}");
        for step in ["created", "paid", "shipped", "done"] {
            let msg = Message::new(&topic, format!("{order_id} {step}"))
                .with_tags(step)
                .with_keys([order_id.as_str()]);
            let r = producer
                .send_with_selector(msg, &SelectMessageQueueByHash, order_id.as_str())
                .await?;
            println!(
                "{order_id} {step:<8} -> {}:{} offset {}",
                r.message_queue.broker_name, r.message_queue.queue_id, r.queue_offset
            );
        }
    }
    producer.shutdown().await;
    Ok(())
}
