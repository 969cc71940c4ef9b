//! [`BenchPayload`]: the numbered, checksummed body of benchmark messages
//! (layout in the [`crate::bench`] docs).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};

/// `"MQB1"`: the first four bytes of every benchmark body.
pub const PAYLOAD_MAGIC: u32 = u32::from_be_bytes(*b"MQB1");

/// Bytes before the filler; the smallest benchmark body.
pub const HEADER_LEN: usize = 36;

/// What a benchmark body says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BenchPayload {
    /// Random id of the producing run (tells runs apart in one topic).
    pub run_id: u64,
    /// Message number within the run, from 0.
    pub seq: u64,
    /// When the producer built it, µs since the Unix epoch.
    pub sent_at_us: i64,
}

/// Why a body is not an intact benchmark body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Shorter than the header.
    #[error("body of {0} bytes is shorter than the benchmark header")]
    TooShort(usize),
    /// Does not start with [`PAYLOAD_MAGIC`].
    #[error("not a benchmark body (magic {0:#010x})")]
    BadMagic(u32),
    /// The filler length disagrees with the body length.
    #[error("filler length {claimed} but {actual} bytes follow the header")]
    BadLength {
        /// Length in the header.
        claimed: usize,
        /// Bytes actually present.
        actual: usize,
    },
    /// The checksum does not match: the body was altered.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    BadCrc {
        /// CRC in the header.
        stored: u32,
        /// CRC of the bytes received.
        computed: u32,
    },
}

/// Builds benchmark bodies of one size cheaply: the filler and its CRC are
/// computed once; per message only the 28 header bytes are hashed, and the
/// header's CRC is carried over the filler with a table lookup.
#[derive(Debug, Clone)]
pub struct PayloadEncoder {
    size: usize,
    filler: Bytes,
    filler_crc: u32,
    shift: Box<ZeroShift>,
}

/// CRC-32 of `a ++ b` from `crc(a)` and `crc(b)` for one fixed `b.len()`:
/// `crc(a ++ b) = shift(crc(a)) ^ crc(b)`, where `shift` (appending
/// `b.len()` zero bytes, a linear map of the 32 CRC bits) is tabulated per
/// CRC byte. Four lookups instead of `crc32fast::Hasher::combine`'s matrix
/// products.
#[derive(Clone)]
struct ZeroShift([[u32; 256]; 4]);

impl std::fmt::Debug for ZeroShift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZeroShift")
    }
}

impl ZeroShift {
    /// The table for appending `len` bytes.
    fn new(len: u64) -> Box<Self> {
        let zeros = crc32fast::Hasher::new_with_initial_len(0, len);
        let shift = |v: u32| {
            let mut h = crc32fast::Hasher::new_with_initial(v);
            h.combine(&zeros);
            h.finalize()
        };
        let mut t = Box::new(ZeroShift([[0; 256]; 4]));
        for (k, row) in t.0.iter_mut().enumerate() {
            for (b, slot) in row.iter_mut().enumerate() {
                *slot = shift((b as u32) << (8 * k));
            }
        }
        t
    }

    fn apply(&self, crc: u32) -> u32 {
        let [b0, b1, b2, b3] = crc.to_le_bytes();
        self.0[0][b0 as usize]
            ^ self.0[1][b1 as usize]
            ^ self.0[2][b2 as usize]
            ^ self.0[3][b3 as usize]
    }
}

impl PayloadEncoder {
    /// An encoder for bodies of `size` bytes (at least [`HEADER_LEN`]).
    pub fn new(size: usize) -> Self {
        let size = size.max(HEADER_LEN);
        let filler: Bytes = (0..size - HEADER_LEN)
            .map(|i| b'a' + (i % 26) as u8)
            .collect::<Vec<u8>>()
            .into();
        PayloadEncoder {
            size,
            filler_crc: crc32fast::hash(&filler),
            shift: ZeroShift::new(filler.len() as u64),
            filler,
        }
    }

    /// Body size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The body for `p`.
    pub fn encode(&self, p: &BenchPayload) -> Bytes {
        let mut head = [0u8; HEADER_LEN - 8];
        head[0..8].copy_from_slice(&p.run_id.to_be_bytes());
        head[8..16].copy_from_slice(&p.seq.to_be_bytes());
        head[16..24].copy_from_slice(&p.sent_at_us.to_be_bytes());
        head[24..28].copy_from_slice(&(self.filler.len() as u32).to_be_bytes());
        let crc = self.shift.apply(crc32fast::hash(&head)) ^ self.filler_crc;
        let mut out = BytesMut::with_capacity(self.size);
        out.put_u32(PAYLOAD_MAGIC);
        out.put_u32(crc);
        out.put_slice(&head);
        out.put_slice(&self.filler);
        out.freeze()
    }
}

impl BenchPayload {
    /// Checks and reads a benchmark body.
    pub fn verify(body: &[u8]) -> Result<BenchPayload, PayloadError> {
        if body.len() < HEADER_LEN {
            return Err(PayloadError::TooShort(body.len()));
        }
        let u32_at =
            |i: usize| u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&body[i..i + 8]);
            u64::from_be_bytes(b)
        };
        let magic = u32_at(0);
        if magic != PAYLOAD_MAGIC {
            return Err(PayloadError::BadMagic(magic));
        }
        let claimed = u32_at(32) as usize;
        let actual = body.len() - HEADER_LEN;
        if claimed != actual {
            return Err(PayloadError::BadLength { claimed, actual });
        }
        let stored = u32_at(4);
        let computed = crc32fast::hash(&body[8..]);
        if stored != computed {
            return Err(PayloadError::BadCrc { stored, computed });
        }
        Ok(BenchPayload {
            run_id: u64_at(8),
            seq: u64_at(16),
            sent_at_us: u64_at(24) as i64,
        })
    }
}

/// Microseconds since the Unix epoch (0 if the clock is before it).
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_detects_damage() {
        let enc = PayloadEncoder::new(1024);
        let p = BenchPayload {
            run_id: 0xABCD,
            seq: 42,
            sent_at_us: now_us(),
        };
        let body = enc.encode(&p);
        assert_eq!(body.len(), 1024);
        assert_eq!(BenchPayload::verify(&body), Ok(p));

        let mut bad = body.to_vec();
        bad[500] ^= 1;
        assert!(matches!(
            BenchPayload::verify(&bad),
            Err(PayloadError::BadCrc { .. })
        ));
        bad[500] ^= 1;
        bad[17] ^= 1; // the sequence number
        assert!(matches!(
            BenchPayload::verify(&bad),
            Err(PayloadError::BadCrc { .. })
        ));
        assert!(matches!(
            BenchPayload::verify(&body[..1000]),
            Err(PayloadError::BadLength { .. })
        ));
        assert_eq!(
            BenchPayload::verify(b"short"),
            Err(PayloadError::TooShort(5))
        );
        assert!(matches!(
            BenchPayload::verify(&[0u8; 64]),
            Err(PayloadError::BadMagic(0))
        ));
        // the carried-over CRC is the CRC of the whole body, for any size
        for size in [36, 37, 100, 1024, 4096, 65_536] {
            let enc = PayloadEncoder::new(size);
            for seq in [0, 1, u64::MAX] {
                let p = BenchPayload { seq, ..p };
                assert_eq!(BenchPayload::verify(&enc.encode(&p)), Ok(p), "size {size}");
            }
        }
        // tiny sizes still carry a full header
        let small = PayloadEncoder::new(1).encode(&p);
        assert_eq!(small.len(), HEADER_LEN);
        assert_eq!(BenchPayload::verify(&small), Ok(p));
    }
}
