//! Apache RocketMQ's remoting protocol, byte for byte, and the small async
//! network layer every side of the system shares.
//!
//! # Wire format
//!
//! ```text
//! +-------------+----------------+----------+--------------+------------+
//! | total (i32) | serialize (u8) | hdr (u24)| header bytes | body bytes |
//! +-------------+----------------+----------+--------------+------------+
//! ```
//!
//! `total` counts everything after itself. The header is JSON (serialize type
//! 0) or RocketMQ's binary layout (type 1); a response is written in the type
//! its request used. All integers are big-endian.
//!
//! Module map:
//! - [`command`]: [`RemotingCommand`], the one in-memory frame type.
//! - [`ext`]: [`ExtFields`] and the [`CommandHeader`] trait for typed headers.
//! - [`codec`]: the `tokio_util::codec` frame codec (JSON and binary headers).
//! - [`code`]: request and response code constants.
//! - [`header`]: typed request/response headers.
//! - [`body`]: JSON bodies (routes, cluster info, heartbeats, ...).
//! - [`message`]: stored message format, properties, message ids.
//! - [`net`]: multiplexed connections, client and server.

pub mod body;
pub mod code;
pub mod codec;
pub mod command;
pub mod ext;
pub mod header;
pub mod message;
pub mod net;

mod binary_header;
mod json_header;
mod json_scan;

pub use codec::{CodecError, RemotingCodec};
pub use command::{LanguageCode, RemotingCommand, SerializeType};
pub use ext::{CommandHeader, ExtFields, HeaderError};
