//! [`BrokerError`]: everything that can go wrong in the broker, and the one
//! place where a failure becomes a RocketMQ response code and remark
//! ([`BrokerError::response`]).
//!
//! Remarks follow the Java broker's texts where clients or users match on
//! them ("topic[X] not exist, apply first please!", ...).

use std::path::PathBuf;

use protocol::body::BodyError;
use protocol::code::response;
use protocol::message::MessageError;
use protocol::net::NetError;
use protocol::{HeaderError, RemotingCommand};

/// Java's FAQ link appended to some remarks, kept so users find the same help.
const FAQ_APPLY_TOPIC: &str =
    "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

/// A broker failure. Variants that come from a request carry the remark the
/// client will see.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// A config key has a value that does not parse or is not allowed.
    #[error("invalid value '{value}' for config key '{key}'")]
    Config {
        /// Java key name.
        key: String,
        /// The offending value.
        value: String,
    },
    /// The config file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A JSON config file (topics, groups, offsets) cannot be read or written.
    #[error("{0}")]
    JsonFile(#[from] crate::json_file::ConfigFileError),
    /// A file or socket operation failed.
    #[error("i/o error on {what}: {source}")]
    Io {
        /// What was being done (a path or an address).
        what: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The store failed (not an expected put/get outcome, a real fault).
    #[error("store error: {0}")]
    Store(#[from] store::StoreError),
    /// A request header is missing a required field or has a bad value.
    #[error("{0}")]
    Header(#[from] HeaderError),
    /// A JSON body does not parse.
    #[error("{0}")]
    Body(#[from] BodyError),
    /// A message body (batch encoding, stored record) does not parse.
    #[error("illegal message: {0}")]
    Message(#[from] MessageError),
    /// A call to a name server failed.
    #[error("{0}")]
    Net(#[from] NetError),
    /// The topic is unknown and cannot be auto-created.
    #[error("topic[{0}] not exist, apply first please!")]
    TopicNotExist(String),
    /// The topic name is blank, too long or has illegal characters.
    #[error("{0}")]
    InvalidTopic(String),
    /// Broker, topic or group does not allow the operation.
    #[error("{0}")]
    NoPermission(String),
    /// The message is too large or otherwise unacceptable.
    #[error("{0}")]
    MessageIllegal(String),
    /// The store cannot take writes (slave, shut down, disk full).
    #[error("{0}")]
    ServiceNotAvailable(String),
    /// Flow control: too much queued.
    #[error("{0}")]
    SystemBusy(String),
    /// The consumer group is unknown and auto-create is off.
    #[error("subscription group [{0}] does not exist")]
    SubscriptionGroupNotExist(String),
    /// No subscription for the pulled topic is known.
    #[error("{0}")]
    SubscriptionNotExist(String),
    /// The subscription the broker knows is older than the request's.
    #[error("{0}")]
    SubscriptionNotLatest(String),
    /// The subscription expression cannot be used.
    #[error("{0}")]
    SubscriptionParseFailed(String),
    /// A request parameter is out of range (queue id, ...).
    #[error("{0}")]
    InvalidParameter(String),
    /// Anything else that the client should see as SYSTEM_ERROR.
    #[error("{0}")]
    System(String),
}

impl BrokerError {
    /// The RocketMQ response code for this failure.
    pub fn code(&self) -> i32 {
        match self {
            BrokerError::TopicNotExist(_) => response::TOPIC_NOT_EXIST,
            BrokerError::InvalidTopic(_) | BrokerError::InvalidParameter(_) => {
                response::INVALID_PARAMETER
            }
            BrokerError::NoPermission(_) => response::NO_PERMISSION,
            BrokerError::MessageIllegal(_) | BrokerError::Message(_) => response::MESSAGE_ILLEGAL,
            BrokerError::ServiceNotAvailable(_) => response::SERVICE_NOT_AVAILABLE,
            BrokerError::SystemBusy(_) => response::SYSTEM_BUSY,
            BrokerError::SubscriptionGroupNotExist(_) => response::SUBSCRIPTION_GROUP_NOT_EXIST,
            BrokerError::SubscriptionNotExist(_) => response::SUBSCRIPTION_NOT_EXIST,
            BrokerError::SubscriptionNotLatest(_) => response::SUBSCRIPTION_NOT_LATEST,
            BrokerError::SubscriptionParseFailed(_) => response::SUBSCRIPTION_PARSE_FAILED,
            BrokerError::Config { .. }
            | BrokerError::ConfigFile { .. }
            | BrokerError::JsonFile(_)
            | BrokerError::Io { .. }
            | BrokerError::Store(_)
            | BrokerError::Header(_)
            | BrokerError::Body(_)
            | BrokerError::Net(_)
            | BrokerError::System(_) => response::SYSTEM_ERROR,
        }
    }

    /// The error response a client gets: [`BrokerError::code`] and a remark
    /// saying why.
    pub fn response(&self) -> RemotingCommand {
        let remark = match self {
            BrokerError::TopicNotExist(_) => format!("{self}{FAQ_APPLY_TOPIC}"),
            BrokerError::SubscriptionGroupNotExist(_) => format!("{self}, {FAQ_APPLY_TOPIC}"),
            _ => self.to_string(),
        };
        RemotingCommand::error(self.code(), remark)
    }

    /// A request code routed to a processor that does not serve it (a
    /// router/processor `CODES` mismatch, never a client's fault alone).
    pub fn not_served(code: i32, processor: &str) -> Self {
        BrokerError::System(format!(
            "request code {code} is not served by the {processor} processor"
        ))
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        BrokerError::Io {
            what: what.into(),
            source,
        }
    }
}

/// The response code of a put outcome that stored the message (SUCCESS,
/// FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE: the send
/// response carries the message id and offsets), or the error for one that
/// did not (PROTOCOL.md §11.1 "Put result -> response code").
pub fn put_status_code(status: store::PutStatus) -> Result<i32, BrokerError> {
    use store::PutStatus as S;
    match status {
        S::Ok => Ok(response::SUCCESS),
        S::FlushDiskTimeout => Ok(response::FLUSH_DISK_TIMEOUT),
        S::FlushSlaveTimeout => Ok(response::FLUSH_SLAVE_TIMEOUT),
        S::SlaveNotAvailable => Ok(response::SLAVE_NOT_AVAILABLE),
        S::ServiceNotAvailable => Err(BrokerError::ServiceNotAvailable(
            "service not available now. It may be caused by one of the following reasons: \
             the broker's disk is full, messages are put to the slave, message store has been shut down, etc."
                .into(),
        )),
        S::CreateMappedFileFailed => Err(BrokerError::System(
            "create mapped file failed, server is busy or broken.".into(),
        )),
        S::MessageIllegal | S::PropertiesSizeExceeded => Err(BrokerError::MessageIllegal(
            "the message is illegal, maybe msg body or properties length not matched. \
             msg body length limit is maxMessageSize, msg properties length limit 32k."
                .into(),
        )),
        S::OsPageCacheBusy => Err(BrokerError::SystemBusy(
            "[PC_SYNCHRONIZED]broker busy, start flow control for a while".into(),
        )),
        S::UnknownError => Err(BrokerError::System("UNKNOWN_ERROR".into())),
    }
}

/// The response for a processing result: the success response as is, an
/// error as [`BrokerError::response`].
pub fn into_response(result: Result<RemotingCommand, BrokerError>) -> RemotingCommand {
    result.unwrap_or_else(|e| {
        tracing::debug!(error = %e, code = e.code(), "request failed");
        e.response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_remarks() {
        let r = BrokerError::TopicNotExist("T".into()).response();
        assert_eq!(r.code, response::TOPIC_NOT_EXIST);
        assert!(r
            .remark_str()
            .starts_with("topic[T] not exist, apply first please!"));
        assert!(r.is_response());
        let r = BrokerError::Header(HeaderError::Missing("topic")).response();
        assert_eq!(r.code, response::SYSTEM_ERROR);
        assert!(r.remark_str().contains("topic"));
        assert_eq!(
            BrokerError::MessageIllegal("too big".into()).code(),
            response::MESSAGE_ILLEGAL
        );
        assert_eq!(
            into_response(Err(BrokerError::SystemBusy("busy".into()))).code,
            response::SYSTEM_BUSY
        );
    }
}
