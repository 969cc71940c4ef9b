//! Client-side checks of topics and messages before sending (Java's
//! `Validators`).

use crate::error::ClientError;
use crate::message::Message;

/// Longest topic name.
pub const TOPIC_MAX_LEN: usize = 127;

/// System topics no producer may send to.
const NOT_ALLOWED_SEND_TOPICS: &[&str] = &[
    "SCHEDULE_TOPIC_XXXX",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
];

/// A topic name is non-blank, at most 127 chars of `%|a-zA-Z0-9_-`.
pub fn check_topic(topic: &str) -> Result<(), ClientError> {
    if topic.trim().is_empty() {
        return Err(ClientError::IllegalArgument(
            "the specified topic is blank".into(),
        ));
    }
    if !topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
    {
        return Err(ClientError::IllegalArgument(format!(
            "the specified topic[{topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        )));
    }
    if topic.len() > TOPIC_MAX_LEN {
        return Err(ClientError::IllegalArgument(format!(
            "the specified topic is longer than {TOPIC_MAX_LEN} characters"
        )));
    }
    Ok(())
}

/// A message may be sent: valid topic, not a system topic, a body of
/// 1..=`max_size` bytes.
pub fn check_message(msg: &Message, max_size: usize) -> Result<(), ClientError> {
    check_topic(&msg.topic)?;
    if NOT_ALLOWED_SEND_TOPICS.contains(&msg.topic.as_str()) {
        return Err(ClientError::IllegalArgument(format!(
            "sending message to topic[{}] is forbidden",
            msg.topic
        )));
    }
    if msg.body.is_empty() {
        return Err(ClientError::IllegalArgument(
            "the message body length is zero".into(),
        ));
    }
    if msg.body.len() > max_size {
        return Err(ClientError::IllegalArgument(format!(
            "the message body size {} is over the max size {max_size}",
            msg.body.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_messages() {
        assert!(check_topic("Topic_A-1|%x").is_ok());
        assert!(check_topic(" ").is_err());
        assert!(check_topic("a b").is_err());
        assert!(check_topic(&"a".repeat(128)).is_err());
        assert!(check_message(&Message::new("T", "x"), 10).is_ok());
        assert!(check_message(&Message::new("T", ""), 10).is_err());
        assert!(check_message(&Message::new("T", "x".repeat(11)), 10).is_err());
        assert!(check_message(&Message::new("SCHEDULE_TOPIC_XXXX", "x"), 10).is_err());
    }
}
