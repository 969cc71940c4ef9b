//! Sends messages in batches (one SEND_BATCH_MESSAGE request per batch).
//!
//! `NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client --example batch_producer [topic] [batches] [batch size]`

use client::producer::DefaultMQProducer;
use client::{ClientError, Message};

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "BatchTopicTest".to_owned());
    let batches: usize = args.next().and_then(|c| c.parse().ok()).unwrap_or(10);
    let size: usize = args.next().and_then(|c| c.parse().ok()).unwrap_or(32);
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned());

    let mut producer = DefaultMQProducer::new("ExampleBatchProducerGroup");
    producer.set_namesrv_addr(namesrv);
    producer.start().await?;

    for b in 0..batches {
        // One topic and one WAIT value per batch; no delay levels.
        let msgs: Vec<Message> = (0..size)
            .map(|i| {
                Message::new(&topic, format!("batch {b} message {i}"))
                    .with_tags("TagB")
                    .with_keys([format!("b{b}-m{i}")])
            })
            .collect();
        let r = producer.send_batch(&msgs).await?;
        println!(
            "batch {b}: {} messages -> {}:{} from offset {}",
            msgs.len(),
            r.message_queue.broker_name,
            r.message_queue.queue_id,
            r.queue_offset
        );
    }
    producer.shutdown().await;
    Ok(())
}
