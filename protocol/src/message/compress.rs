//! Body compression (PROTOCOL.md §19.4): zlib streams (RFC 1950), as Java's
//! `Deflater`; the broker never decompresses.

use super::sysflag::{COMPRESSED_FLAG, COMPRESSION_TYPE_MASK, COMPRESSION_ZLIB_TYPE};
use super::MessageError;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use std::io::{Read, Write};

/// Default threshold over which producers compress (`compressMsgBodyOverHowmuch`).
pub const COMPRESS_OVER: usize = 4096;
/// Default zlib level of the Java producer.
pub const DEFAULT_LEVEL: u32 = 5;

/// Compresses `body` with zlib at `level`; returns the bytes and the sysFlag
/// bits to OR in (`COMPRESSED_FLAG | COMPRESSION_ZLIB_TYPE`, as 4.9.4+ Java).
pub fn compress_body(body: &[u8], level: u32) -> Result<(Vec<u8>, i32), MessageError> {
    let mut enc = ZlibEncoder::new(
        Vec::with_capacity(body.len() / 2 + 16),
        Compression::new(level),
    );
    enc.write_all(body)
        .map_err(|e| MessageError::Compression(e.to_string()))?;
    let out = enc
        .finish()
        .map_err(|e| MessageError::Compression(e.to_string()))?;
    Ok((out, COMPRESSED_FLAG | COMPRESSION_ZLIB_TYPE))
}

/// Returns the body a consumer sees: decompressed when `sys_flag` has the
/// compressed bit (zlib only; LZ4/ZSTD are reported as unsupported), else a
/// copy of `body`.
pub fn decompress_body(body: &[u8], sys_flag: i32) -> Result<Vec<u8>, MessageError> {
    if sys_flag & COMPRESSED_FLAG == 0 {
        return Ok(body.to_vec());
    }
    let ty = sys_flag & COMPRESSION_TYPE_MASK;
    if ty != 0 && ty != COMPRESSION_ZLIB_TYPE {
        return Err(MessageError::Compression(format!(
            "unsupported compression type {ty:#x}"
        )));
    }
    let mut out = Vec::with_capacity(body.len() * 2);
    ZlibDecoder::new(body)
        .read_to_end(&mut out)
        .map_err(|e| MessageError::Compression(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let body: Vec<u8> = (0..10_000u32).map(|i| (i % 7) as u8).collect();
        let (c, flag) = compress_body(&body, DEFAULT_LEVEL).unwrap();
        assert_eq!(flag, 0x301);
        assert_eq!(&c[..1], &[0x78]); // zlib header
        assert_eq!(decompress_body(&c, flag).unwrap(), body);
        assert_eq!(decompress_body(&c, COMPRESSED_FLAG).unwrap(), body);
        assert_eq!(decompress_body(b"abc", 0).unwrap(), b"abc");
        assert!(decompress_body(b"abc", COMPRESSED_FLAG).is_err());
        assert!(decompress_body(&c, COMPRESSED_FLAG | 0x100).is_err());
    }
}
