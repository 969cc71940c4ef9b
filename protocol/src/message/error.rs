//! The one error type of the message codecs.

/// A malformed or unsupported message encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// A read needed more bytes than the buffer holds.
    #[error("truncated {what} at offset {offset}: need {need} bytes, have {have}")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Byte offset of the read inside the buffer.
        offset: usize,
        /// Bytes the field needs.
        need: usize,
        /// Bytes left in the buffer.
        have: usize,
    },
    /// The magic code is neither V1, V2 nor the blank marker where allowed.
    #[error("bad magic code {0:#010x}")]
    BadMagic(u32),
    /// A length field is negative or inconsistent with the record size.
    #[error("bad length: {0}")]
    BadLength(String),
    /// The body CRC stored in the record does not match the body.
    #[error("body crc mismatch: stored {stored}, computed {computed}")]
    BadCrc {
        /// CRC found in the record.
        stored: u32,
        /// CRC of the body bytes.
        computed: u32,
    },
    /// A string field is not valid UTF-8.
    #[error("invalid utf-8 in {0}")]
    Utf8(&'static str),
    /// A field value is out of the range the format allows.
    #[error("value out of range: {0}")]
    OutOfRange(String),
    /// A message id string is malformed.
    #[error("bad message id: {0}")]
    BadMsgId(String),
    /// Body compression or decompression failed.
    #[error("compression: {0}")]
    Compression(String),
}
