//! Sends messages asynchronously: first with callbacks, then as futures
//! kept in flight together.
//!
//! `NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client --example async_producer [topic] [count]`

use std::sync::Arc;

use client::producer::{DefaultMQProducer, SendResult};
use client::{ClientError, Message};
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let count: usize = args.next().and_then(|c| c.parse().ok()).unwrap_or(100);
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned());

    let mut producer = DefaultMQProducer::new("ExampleAsyncProducerGroup");
    producer.set_namesrv_addr(namesrv);
    producer.start().await?;
    let producer = Arc::new(producer);

    // 1. Callback style (Java's `send(msg, SendCallback)`).
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<SendResult, ClientError>>();
    for i in 0..count {
        let tx = tx.clone();
        let msg = Message::new(&topic, format!("callback {i}")).with_tags("TagA");
        producer.send_async(msg, move |r: Result<SendResult, ClientError>| {
            let _ = tx.send(r);
        });
    }
    drop(tx);
    let (mut ok, mut failed) = (0, 0);
    while let Some(r) = rx.recv().await {
        match r {
            Ok(_) => ok += 1,
            Err(e) => {
                failed += 1;
                eprintln!("callback send failed: {e}");
            }
        }
    }
    println!("callbacks: {ok} ok, {failed} failed");

    // 2. Future style: many sends in flight from one task.
    let mut inflight: FuturesUnordered<_> = (0..count)
        .map(|i| producer.send_async_future(Message::new(&topic, format!("future {i}"))))
        .collect();
    let (mut ok, mut failed) = (0, 0);
    while let Some(r) = inflight.next().await {
        if r.is_ok() {
            ok += 1
        } else {
            failed += 1
        }
    }
    println!("futures: {ok} ok, {failed} failed");

    producer.shutdown().await;
    Ok(())
}
