//! Sends a few messages synchronously and prints each result.
//!
//! `NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client --example producer [topic] [count]`

use client::producer::DefaultMQProducer;
use client::{ClientError, Message};

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let count: usize = args.next().and_then(|c| c.parse().ok()).unwrap_or(10);
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned());

    let mut producer = DefaultMQProducer::new("ExampleProducerGroup");
    producer.set_namesrv_addr(namesrv);
    producer.start().await?;

    for i in 0..count {
        let msg = Message::new(&topic, format!("Hello RocketMQ {i}"))
            .with_tags("TagA")
            .with_keys([format!("key-{i}")])
            .with_property("index", i.to_string());
        match producer.send(msg).await {
            Ok(result) => println!("{result}"),
            Err(e) => eprintln!("send {i} failed: {e}"),
        }
    }
    producer.shutdown().await;
    Ok(())
}
