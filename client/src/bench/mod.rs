//! The engine of `mqbench`, the load tool: shared pieces here ([`payload`],
//! [`stats`]), one module per mode ([`producer`], [`consumer`],
//! [`e2e`]).
//!
//! Every benchmark message body is a [`BenchPayload`]: a header that numbers
//! and checksums the message, then filler up to the requested size, so the
//! consumer side can report missing, duplicated and corrupted messages.
//!
//! ```text
//! 0 magic u32 "MQB1" | 4 crc32 u32 (of bytes 8..) | 8 run id u64
//! 16 sequence u64    | 24 sent at, µs since the epoch, i64
//! 32 filler length u32 | 36 filler
//! ```
//! All big-endian.

pub mod consumer;
pub mod e2e;
pub mod payload;
pub mod producer;
pub mod stats;

pub use payload::{now_us, BenchPayload, PayloadEncoder, PayloadError, HEADER_LEN, PAYLOAD_MAGIC};
