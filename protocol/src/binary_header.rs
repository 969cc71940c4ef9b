//! ROCKETMQ binary header serialization (serialize type 1), PROTOCOL.md §4.
//!
//! ```text
//! code i16 | language u8 | version i16 | opaque i32 | flag i32 |
//! remarkLen i32 | remark | extLen i32 | { keyLen i16 | key | valLen i32 | val }*
//! ```

use bytes::{Buf, BufMut, BytesMut};

use crate::command::{LanguageCode, RemotingCommand, SerializeType};
use crate::ext::ExtFields;

/// The fixed part of a binary header.
const FIXED_LEN: usize = 2 + 1 + 2 + 4 + 4 + 4;

/// Why a binary header could not be parsed (offsets are within the header)
/// or encoded (a value does not fit the width its field has on the wire).
#[derive(Debug, thiserror::Error)]
pub enum BinaryHeaderError {
    /// A field runs past the end of the header.
    #[error("binary header truncated: need {need} bytes at offset {at}, have {have}")]
    Truncated {
        /// Offset of the field.
        at: usize,
        /// Bytes the field needs.
        need: usize,
        /// Bytes left.
        have: usize,
    },
    /// A length field is negative.
    #[error("binary header has a negative length {0}")]
    NegativeLength(i64),
    /// A string is not UTF-8.
    #[error("binary header string is not UTF-8")]
    Utf8,
    /// A number does not fit its 16-bit field (`code` or `version`):
    /// encoding it would silently truncate it.
    #[error("binary header field {field} = {value} does not fit in an i16")]
    OutOfRange {
        /// Name of the field.
        field: &'static str,
        /// The value that does not fit.
        value: i32,
    },
    /// A string is longer than its length field can say (an extension
    /// key: `i16::MAX` bytes; the remark, a value or the extension block:
    /// `i32::MAX` bytes).
    #[error("binary header {field} of {len} bytes exceeds the maximum {max}")]
    TooLong {
        /// What is too long.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The longest its length field allows.
        max: usize,
    },
}

/// `v` as the i16 of the 16-bit field `field`.
fn to_i16(field: &'static str, v: i32) -> Result<i16, BinaryHeaderError> {
    i16::try_from(v).map_err(|_| BinaryHeaderError::OutOfRange { field, value: v })
}

/// The length `len` of `field` as its i16 length word.
fn len_i16(field: &'static str, len: usize) -> Result<i16, BinaryHeaderError> {
    i16::try_from(len).map_err(|_| BinaryHeaderError::TooLong {
        field,
        len,
        max: i16::MAX as usize,
    })
}

/// The length `len` of `field` as its i32 length word.
fn len_i32(field: &'static str, len: usize) -> Result<i32, BinaryHeaderError> {
    i32::try_from(len).map_err(|_| BinaryHeaderError::TooLong {
        field,
        len,
        max: i32::MAX as usize,
    })
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BinaryHeaderError> {
        let have = self.buf.len() - self.pos;
        if n > have {
            return Err(BinaryHeaderError::Truncated {
                at: self.pos,
                need: n,
                have,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn i16(&mut self) -> Result<i16, BinaryHeaderError> {
        Ok(self.take(2)?.get_i16())
    }

    fn i32(&mut self) -> Result<i32, BinaryHeaderError> {
        Ok(self.take(4)?.get_i32())
    }

    fn len(&mut self, v: i64) -> Result<usize, BinaryHeaderError> {
        if v < 0 {
            return Err(BinaryHeaderError::NegativeLength(v));
        }
        Ok(v as usize)
    }

    fn str(&mut self, len: usize) -> Result<&'a str, BinaryHeaderError> {
        let b = self.take(len)?;
        std::str::from_utf8(b).map_err(|_| BinaryHeaderError::Utf8)
    }
}

/// Parses a binary header into a command without a body.
pub(crate) fn decode(src: &[u8]) -> Result<RemotingCommand, BinaryHeaderError> {
    let mut r = Reader { buf: src, pos: 0 };
    let code = r.i16()? as i32;
    let language = LanguageCode::from_code(r.take(1)?[0]);
    let version = r.i16()? as i32;
    let opaque = r.i32()?;
    let flag = r.i32()?;
    let remark_len = r.i32()? as i64;
    let remark_len = r.len(remark_len)?;
    let remark = if remark_len > 0 {
        Some(r.str(remark_len)?.to_owned())
    } else {
        None
    };
    let ext_len = r.i32()? as i64;
    let ext_len = r.len(ext_len)?;
    let ext_block = r.take(ext_len)?;
    // Keys and values go into the map's one text buffer; they take less
    // room than the block that framed them.
    let mut ext_fields = if ext_len > 0 {
        ExtFields::with_capacity_and_text(16, ext_len)
    } else {
        ExtFields::new()
    };
    let mut e = Reader {
        buf: ext_block,
        pos: 0,
    };
    while e.pos < ext_block.len() {
        let klen = e.i16()? as i64;
        let klen = e.len(klen)?;
        let key = e.str(klen)?;
        let vlen = e.i32()? as i64;
        let vlen = e.len(vlen)?;
        let val = e.str(vlen)?;
        if !key.is_empty() {
            ext_fields.push_decoded(key, val);
        }
    }
    Ok(RemotingCommand {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
        serialize_type: SerializeType::RocketMq,
        ..Default::default()
    })
}

/// Appends `cmd`'s header in the binary layout to `dst`.
///
/// A `code` or `version` outside i16, or a key, value or remark longer than
/// its length word can say, is an error and leaves `dst` as it was: the
/// frame is refused rather than sent truncated.
pub(crate) fn encode(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), BinaryHeaderError> {
    let code = to_i16("code", cmd.code)?;
    let version = to_i16("version", cmd.version)?;
    let start = dst.len();
    let r = encode_fields(cmd, code, version, dst);
    if r.is_err() {
        dst.truncate(start);
    }
    r
}

/// Checks that [`encode`] would accept `cmd`, without encoding it.
pub(crate) fn check(cmd: &RemotingCommand) -> Result<(), BinaryHeaderError> {
    to_i16("code", cmd.code)?;
    to_i16("version", cmd.version)?;
    if let Some(r) = &cmd.remark {
        len_i32("remark", r.len())?;
    }
    for (k, v) in cmd.ext_fields.iter() {
        len_i16("extension key", k.len())?;
        len_i32("extension value", v.len())?;
    }
    Ok(())
}

/// [`encode`] once `code` and `version` are known to fit; may leave a
/// partial header in `dst` when it fails.
fn encode_fields(
    cmd: &RemotingCommand,
    code: i16,
    version: i16,
    dst: &mut BytesMut,
) -> Result<(), BinaryHeaderError> {
    dst.reserve(FIXED_LEN + 8);
    dst.put_i16(code);
    dst.put_u8(cmd.language.code());
    dst.put_i16(version);
    dst.put_i32(cmd.opaque);
    dst.put_i32(cmd.flag);
    match &cmd.remark {
        Some(r) if !r.is_empty() => {
            dst.put_i32(len_i32("remark", r.len())?);
            dst.put_slice(r.as_bytes());
        }
        _ => dst.put_i32(0),
    }
    let len_at = dst.len();
    dst.put_i32(0);
    for (k, v) in cmd.ext_fields.iter() {
        dst.put_i16(len_i16("extension key", k.len())?);
        dst.put_slice(k.as_bytes());
        dst.put_i32(len_i32("extension value", v.len())?);
        dst.put_slice(v.as_bytes());
    }
    let ext_len = len_i32("extension block", dst.len() - len_at - 4)?;
    dst[len_at..len_at + 4].copy_from_slice(&ext_len.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut c = RemotingCommand::new_request(11);
        c.language = LanguageCode::Rust;
        c.opaque = 99;
        c.flag = 2;
        c.remark = Some("héllo".into());
        c.ext_fields.put("topic", "T");
        c.ext_fields.put("queueId", 3);
        c.serialize_type = SerializeType::RocketMq;
        let mut b = BytesMut::new();
        encode(&c, &mut b).unwrap();
        assert_eq!(decode(&b).unwrap(), c);
    }

    #[test]
    fn rejects_lengths_past_the_end() {
        let mut b = BytesMut::new();
        encode(&RemotingCommand::new_request(1), &mut b).unwrap();
        let n = b.len();
        b[n - 4..].copy_from_slice(&100i32.to_be_bytes());
        assert!(decode(&b).is_err());
        b[n - 4..].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decode(&b).is_err());
        assert!(decode(&b[..5]).is_err());
    }

    fn binary(code: i32) -> RemotingCommand {
        let mut c = RemotingCommand::new_request(code);
        c.serialize_type = SerializeType::RocketMq;
        c
    }

    #[test]
    fn valid_header_bytes_are_pinned() {
        let mut c = binary(310);
        c.language = LanguageCode::Java;
        c.version = 317;
        c.opaque = 7;
        c.flag = 1;
        c.remark = Some("r".into());
        c.ext_fields.put("a", "bc");
        let mut b = BytesMut::new();
        encode(&c, &mut b).unwrap();
        let expected: &[u8] = &[
            0x01, 0x36, // code 310
            0x00, // language JAVA
            0x01, 0x3d, // version 317
            0, 0, 0, 7, // opaque
            0, 0, 0, 1, // flag
            0, 0, 0, 1, b'r', // remark
            0, 0, 0, 9, // ext block
            0, 1, b'a', 0, 0, 0, 2, b'b', b'c',
        ];
        assert_eq!(&b[..], expected);
    }

    #[test]
    fn boundaries_round_trip() {
        for (code, version) in [(i16::MAX, i16::MIN), (i16::MIN, i16::MAX), (-1, 0)] {
            let mut c = binary(code.into());
            c.version = version.into();
            let long_key = "k".repeat(i16::MAX as usize);
            c.ext_fields.put(&long_key, "v");
            c.ext_fields.put("empty", "");
            let mut b = BytesMut::new();
            encode(&c, &mut b).unwrap();
            assert_eq!(decode(&b).unwrap(), c);
            check(&c).unwrap();
        }
    }

    #[test]
    fn out_of_range_fields_are_refused_and_leave_the_buffer_alone() {
        let mut too_long_key = binary(1);
        too_long_key.ext_fields.put("topic", "T");
        too_long_key
            .ext_fields
            .put("k".repeat(i16::MAX as usize + 1), "v");
        let mut big_version = binary(1);
        big_version.version = i16::MAX as i32 + 1;
        let cases = [
            (binary(i16::MAX as i32 + 1), "code"),
            (binary(i16::MIN as i32 - 1), "code"),
            (binary(70_000), "code"),
            (big_version, "version"),
            (too_long_key, "extension key"),
        ];
        for (c, what) in cases {
            let mut b = BytesMut::from(&b"prefix"[..]);
            let err = encode(&c, &mut b).unwrap_err();
            assert_eq!(&b[..], b"prefix", "{what}");
            let err_field = match err {
                BinaryHeaderError::OutOfRange { field, .. } => field,
                BinaryHeaderError::TooLong { field, len, max } => {
                    assert_eq!((len, max), (i16::MAX as usize + 1, i16::MAX as usize));
                    field
                }
                other => panic!("{what}: unexpected {other:?}"),
            };
            assert_eq!(err_field, what);
            assert!(check(&c).is_err(), "{what}");
        }
    }
}
