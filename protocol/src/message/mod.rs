//! RocketMQ message encodings, sans I/O (PROTOCOL.md §17-19, STORAGE.md §3).
//!
//! - [`record`]: the stored message record ("MessageExt encoding") used in the
//!   CommitLog and in pull/query/view response bodies: [`MessageExt`],
//!   [`decode_message`], [`decode_messages`], [`check_record`] and the encoder
//!   [`encode_stored_record`] whose queue offset, physical offset and store
//!   timestamp sit at fixed positions so a store can patch them under its lock.
//! - [`properties`]: property key constants and the `key 0x01 value 0x02`
//!   string format.
//! - [`sysflag`]: message sysFlag bits.
//! - [`batch`]: the SEND_BATCH_MESSAGE body.
//! - [`msg_id`]: offset message ids and `UNIQ_KEY` client ids.
//! - [`tag`]: tag hash codes (Java `String.hashCode`).
//! - [`compress`]: zlib body compression.
//!
//! All integers are big-endian. Decoders work on [`bytes::Bytes`] without
//! copying bodies, check every length against the buffer and return
//! [`MessageError`] on bad input; they never panic.

pub mod batch;
pub mod compress;
mod error;
pub mod msg_id;
pub mod properties;
mod reader;
pub mod record;
pub mod sysflag;
pub mod tag;

pub use batch::{decode_batch, encode_batch, BatchMessage};
pub use compress::{compress_body, decompress_body};
pub use error::MessageError;
pub use msg_id::{create_offset_msg_id, decode_offset_msg_id, UniqIdGenerator};
pub use properties::{decode_properties, encode_properties, find_property};
pub use record::{
    check_record, decode_message, decode_messages, encode_stored_record, MessageExt, RecordCheck,
    RecordInfo, StoredRecord,
};
pub use tag::tag_hash_code;
