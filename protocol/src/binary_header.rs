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

/// Why a binary header could not be parsed (offsets are within the header).
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
pub(crate) fn encode(cmd: &RemotingCommand, dst: &mut BytesMut) {
    dst.reserve(FIXED_LEN + 8);
    dst.put_i16(cmd.code as i16);
    dst.put_u8(cmd.language.code());
    dst.put_i16(cmd.version as i16);
    dst.put_i32(cmd.opaque);
    dst.put_i32(cmd.flag);
    match &cmd.remark {
        Some(r) if !r.is_empty() => {
            dst.put_i32(r.len() as i32);
            dst.put_slice(r.as_bytes());
        }
        _ => dst.put_i32(0),
    }
    let len_at = dst.len();
    dst.put_i32(0);
    for (k, v) in cmd.ext_fields.iter() {
        dst.put_i16(k.len() as i16);
        dst.put_slice(k.as_bytes());
        dst.put_i32(v.len() as i32);
        dst.put_slice(v.as_bytes());
    }
    let ext_len = (dst.len() - len_at - 4) as i32;
    dst[len_at..len_at + 4].copy_from_slice(&ext_len.to_be_bytes());
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
        encode(&c, &mut b);
        assert_eq!(decode(&b).unwrap(), c);
    }

    #[test]
    fn rejects_lengths_past_the_end() {
        let mut b = BytesMut::new();
        encode(&RemotingCommand::new_request(1), &mut b);
        let n = b.len();
        b[n - 4..].copy_from_slice(&100i32.to_be_bytes());
        assert!(decode(&b).is_err());
        b[n - 4..].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decode(&b).is_err());
        assert!(decode(&b[..5]).is_err());
    }
}
