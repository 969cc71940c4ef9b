//! A broadcasting consumer: every instance of the group gets every message
//! (run it twice, with different instance names). Offsets are kept in a
//! local file, `~/.rocketmq_offsets/<clientId>/<group>/offsets.json`; the
//! client id includes the instance name, so a fixed name (here the third
//! argument) lets a restarted instance continue where it stopped.
//!
//! `NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client --example broadcast_consumer [topic] [group] [instance]`

use client::consumer::{
    ConsumeConcurrentlyStatus, ConsumeFromWhere, DefaultMQPushConsumer, MessageModel,
};
use client::ClientError;

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "TopicTest".to_owned());
    let group = args
        .next()
        .unwrap_or_else(|| "ExampleBroadcastGroup".to_owned());
    let instance = args.next().unwrap_or_else(|| "broadcast-1".to_owned());
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned());

    let mut consumer = DefaultMQPushConsumer::new(group);
    consumer.set_namesrv_addr(namesrv);
    consumer.config_mut().client.instance_name = instance;
    consumer.set_message_model(MessageModel::Broadcasting);
    consumer.set_consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset);
    consumer.subscribe(&topic, "TagA || TagB || TagC")?;
    consumer.register_message_listener_concurrently(|msgs, _ctx| {
        for m in msgs {
            println!(
                "queue {} offset {} tags {:?}: {}",
                m.queue_id,
                m.queue_offset,
                m.tags(),
                String::from_utf8_lossy(&m.body)
            );
        }
        ConsumeConcurrentlyStatus::ConsumeSuccess
    });
    consumer.start().await?;
    println!(
        "broadcast consumer {} on {topic}; Ctrl-C to stop",
        consumer.client_id().unwrap_or_default()
    );
    let _ = tokio::signal::ctrl_c().await;
    consumer.shutdown().await;
    Ok(())
}
