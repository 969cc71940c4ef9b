//! Producers: [`DefaultMQProducer`] and what its sends return.

mod send_result;

pub use send_result::{SendCallback, SendResult, SendStatus};
