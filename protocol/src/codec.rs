//! The frame codec: length-prefixed frames with a JSON or binary header.
//!
//! Decoding is "check, then parse": an incomplete frame is the normal state
//! "read more", not an error. The maximum frame size is checked on the length
//! word alone, before the buffer grows, so a hostile length cannot make us
//! allocate. Every malformed frame is a [`CodecError`]; the connection that
//! sent it is closed by the caller.
//!
//! Encoding refuses a command whose header cannot be written faithfully (a
//! binary header's `code` outside i16, a header past the 24-bit header
//! length, ...) with a [`CodecError`] and leaves the buffer as it was.

use bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

pub use crate::binary_header::BinaryHeaderError;
use crate::command::{RemotingCommand, SerializeType};
use crate::{binary_header, json_header};

/// Java's default `frameMaxLength`: 16 MiB, counting the length word itself.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// The longest header the frame's 24-bit header length can say.
const MAX_HEADER_LEN: usize = 0x00FF_FFFF;

/// Why a frame could not be decoded (any of these closes the connection) or
/// encoded (the frame is not sent).
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The length word announces more than the configured maximum.
    #[error("frame of {len} bytes exceeds the maximum frame size {max}")]
    FrameTooLarge {
        /// Announced frame length (including the length word).
        len: i64,
        /// Configured maximum.
        max: usize,
    },
    /// The total length is too small or negative.
    #[error("invalid frame length {0}")]
    BadLength(i32),
    /// The header length does not fit in the frame.
    #[error("header length {header} does not fit in a frame of {total} bytes")]
    BadHeaderLength {
        /// Header length from the frame.
        header: usize,
        /// Total length from the frame.
        total: usize,
    },
    /// The serialize-type byte is neither JSON (0) nor ROCKETMQ (1).
    #[error("unknown serialize type {0}")]
    UnknownSerializeType(u8),
    /// The JSON header does not parse.
    #[error("unparsable JSON header: {0}")]
    Json(#[from] serde_json::Error),
    /// The binary header does not parse.
    #[error("unparsable binary header: {0}")]
    Binary(#[from] BinaryHeaderError),
    /// The command's binary header cannot be encoded.
    #[error("cannot encode binary header: {0}")]
    BinaryEncode(#[source] BinaryHeaderError),
    /// The encoded header is longer than the frame's 24-bit header length
    /// can say.
    #[error("header of {0} bytes exceeds the maximum header length 16777215")]
    HeaderTooLarge(usize),
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Frame codec for [`RemotingCommand`]s. Responses are encoded in the
/// serialize type stored in the command.
#[derive(Debug, Clone, Copy)]
pub struct RemotingCodec {
    max_frame_len: usize,
}

impl Default for RemotingCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_LEN)
    }
}

impl RemotingCodec {
    /// A codec that rejects frames larger than `max_frame_len` bytes
    /// (the length word included, as Java counts it).
    pub fn new(max_frame_len: usize) -> Self {
        RemotingCodec { max_frame_len }
    }

    /// Parses one complete frame (without its 4-byte length word).
    pub fn decode_frame(frame: bytes::Bytes) -> Result<RemotingCommand, CodecError> {
        let total = frame.len();
        if total < 4 {
            return Err(CodecError::BadLength(total as i32));
        }
        let word = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let kind = (word >> 24) as u8;
        let header_len = (word & 0x00FF_FFFF) as usize;
        if header_len > total - 4 {
            return Err(CodecError::BadHeaderLength {
                header: header_len,
                total,
            });
        }
        let header = &frame[4..4 + header_len];
        let mut cmd = match SerializeType::from_code(kind) {
            Some(SerializeType::Json) => json_header::decode(header)?,
            Some(SerializeType::RocketMq) => binary_header::decode(header)?,
            None => return Err(CodecError::UnknownSerializeType(kind)),
        };
        cmd.body = frame.slice(4 + header_len..);
        Ok(cmd)
    }

    /// Checks the fields of `cmd` that the encoder could not write
    /// faithfully (a binary header's `code` and `version` are 16-bit, its
    /// keys' lengths too), without encoding it: a sender's early answer.
    pub fn check_encodable(cmd: &RemotingCommand) -> Result<(), CodecError> {
        match cmd.serialize_type {
            SerializeType::Json => Ok(()),
            SerializeType::RocketMq => binary_header::check(cmd).map_err(CodecError::BinaryEncode),
        }
    }

    /// Appends one encoded frame to `dst`, body included (every segment
    /// copied). On error `dst` is left as it was.
    pub fn encode_frame(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.reserve(8 + 128 + cmd.body_len());
        Self::encode_head(cmd, dst)?;
        for part in cmd.body_parts() {
            dst.put_slice(part);
        }
        Ok(())
    }

    /// Appends a frame's length words and header to `dst`, not its body:
    /// the caller sends the body's segments ([`RemotingCommand::body_parts`])
    /// right after, e.g. with a vectored write, without copying them.
    /// On error `dst` is left as it was.
    pub fn encode_head(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), CodecError> {
        let start = dst.len();
        dst.reserve(8 + 128);
        dst.put_u32(0);
        dst.put_u32(0);
        match cmd.serialize_type {
            SerializeType::Json => json_header::encode(cmd, dst),
            SerializeType::RocketMq => {
                if let Err(e) = binary_header::encode(cmd, dst) {
                    dst.truncate(start);
                    return Err(CodecError::BinaryEncode(e));
                }
            }
        }
        let header_len = dst.len() - start - 8;
        if header_len > MAX_HEADER_LEN {
            dst.truncate(start);
            return Err(CodecError::HeaderTooLarge(header_len));
        }
        let total = 4 + header_len + cmd.body_len();
        let Ok(total) = i32::try_from(total) else {
            dst.truncate(start);
            return Err(CodecError::FrameTooLarge {
                len: total as i64 + 4,
                max: i32::MAX as usize + 4,
            });
        };
        let word = ((cmd.serialize_type.code() as u32) << 24) | header_len as u32;
        dst[start..start + 4].copy_from_slice(&total.to_be_bytes());
        dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
        Ok(())
    }
}

impl Decoder for RemotingCodec {
    type Item = RemotingCommand;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>, CodecError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let total = i32::from_be_bytes([src[0], src[1], src[2], src[3]]);
        if total < 4 {
            return Err(CodecError::BadLength(total));
        }
        let frame_len = total as usize + 4;
        if frame_len > self.max_frame_len {
            return Err(CodecError::FrameTooLarge {
                len: frame_len as i64,
                max: self.max_frame_len,
            });
        }
        if src.len() < frame_len {
            src.reserve(frame_len - src.len());
            return Ok(None);
        }
        src.advance(4);
        let frame = src.split_to(total as usize).freeze();
        Self::decode_frame(frame).map(Some)
    }
}

impl Encoder<RemotingCommand> for RemotingCodec {
    type Error = CodecError;

    fn encode(&mut self, cmd: RemotingCommand, dst: &mut BytesMut) -> Result<(), CodecError> {
        Self::encode_frame(&cmd, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn frame_of(cmd: &RemotingCommand) -> BytesMut {
        let mut b = BytesMut::new();
        RemotingCodec::encode_frame(cmd, &mut b).unwrap();
        b
    }

    #[test]
    fn round_trip_both_serializations_with_partial_reads() {
        for st in [SerializeType::Json, SerializeType::RocketMq] {
            let mut c = RemotingCommand::new_request(310);
            c.serialize_type = st;
            c.opaque = 5;
            c.ext_fields.put("a", "b");
            c.body = Bytes::from_static(b"hello body");
            let full = frame_of(&c);
            let mut codec = RemotingCodec::default();
            let mut buf = BytesMut::new();
            for (i, byte) in full.iter().enumerate() {
                buf.put_u8(*byte);
                let got = codec.decode(&mut buf).unwrap();
                if i + 1 < full.len() {
                    assert!(got.is_none());
                } else {
                    assert_eq!(got.unwrap(), c);
                }
            }
        }
    }

    #[test]
    fn segmented_body_encodes_like_one_buffer() {
        let parts = [&b"rec-1"[..], b"", b"record-2", b"r3"].map(Bytes::from_static);
        let seg = RemotingCommand::success().with_body_parts(parts);
        assert_eq!(seg.body_len(), 15);
        assert_eq!(&seg.contiguous_body()[..], b"rec-1record-2r3");
        let one = RemotingCommand::success().with_body(seg.contiguous_body());
        assert_eq!(seg, one);
        assert_eq!(frame_of(&seg), frame_of(&one));
        let mut head = BytesMut::new();
        RemotingCodec::encode_head(&seg, &mut head).unwrap();
        for p in seg.body_parts() {
            head.extend_from_slice(p);
        }
        assert_eq!(head, frame_of(&one));
        let mut codec = RemotingCodec::default();
        assert_eq!(codec.decode(&mut head).unwrap().unwrap(), one);
    }

    #[test]
    fn rejects_bad_frames() {
        let mut codec = RemotingCodec::new(1024);
        let mut b = BytesMut::from(&(2000i32.to_be_bytes())[..]);
        assert!(matches!(
            codec.decode(&mut b),
            Err(CodecError::FrameTooLarge { .. })
        ));
        let mut b = BytesMut::from(&((-5i32).to_be_bytes())[..]);
        assert!(matches!(
            codec.decode(&mut b),
            Err(CodecError::BadLength(_))
        ));
        let mut b = BytesMut::new();
        b.put_i32(8);
        b.put_u32(100);
        b.put_u32(0);
        assert!(matches!(
            codec.decode(&mut b),
            Err(CodecError::BadHeaderLength { .. })
        ));
        let mut b = BytesMut::new();
        b.put_i32(6);
        b.put_u32((7 << 24) | 2);
        b.put_slice(b"{}");
        assert!(matches!(
            codec.decode(&mut b),
            Err(CodecError::UnknownSerializeType(7))
        ));
        let mut b = BytesMut::new();
        b.put_i32(6);
        b.put_u32(2);
        b.put_slice(b"{x");
        assert!(matches!(codec.decode(&mut b), Err(CodecError::Json(_))));
    }

    #[test]
    fn unencodable_frames_are_refused_not_truncated() {
        let mut c = RemotingCommand::new_request(i16::MAX as i32 + 1);
        c.serialize_type = SerializeType::RocketMq;
        c.body = Bytes::from_static(b"body");
        assert!(matches!(
            RemotingCodec::check_encodable(&c),
            Err(CodecError::BinaryEncode(
                BinaryHeaderError::OutOfRange { .. }
            ))
        ));
        let mut b = BytesMut::from(&b"earlier frames"[..]);
        assert!(matches!(
            RemotingCodec::default().encode(c.clone(), &mut b),
            Err(CodecError::BinaryEncode(_))
        ));
        assert_eq!(&b[..], b"earlier frames");
        // The JSON header carries the same code as a number: it encodes.
        c.serialize_type = SerializeType::Json;
        RemotingCodec::check_encodable(&c).unwrap();
        let mut codec = RemotingCodec::default();
        let mut b = frame_of(&c);
        assert_eq!(codec.decode(&mut b).unwrap().unwrap(), c);
    }
}
