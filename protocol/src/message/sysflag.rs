//! Message sysFlag bits (PROTOCOL.md §19.1, `MessageSysFlag`).

/// Body is compressed.
pub const COMPRESSED_FLAG: i32 = 0x1;
/// Set by the broker when the topic filter type is MULTI_TAG.
pub const MULTI_TAGS_FLAG: i32 = 0x2;
/// Mask of the two transaction-type bits.
pub const TRANSACTION_TYPE_MASK: i32 = 0xC;
/// Not a transactional record.
pub const TRANSACTION_NOT_TYPE: i32 = 0x0;
/// Transactional half (prepared) record.
pub const TRANSACTION_PREPARED_TYPE: i32 = 0x4;
/// Transaction commit record.
pub const TRANSACTION_COMMIT_TYPE: i32 = 0x8;
/// Transaction rollback record.
pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;
/// Born host stored as a 16-byte IPv6 address.
pub const BORNHOST_V6_FLAG: i32 = 0x10;
/// Store host stored as a 16-byte IPv6 address.
pub const STOREHOSTADDRESS_V6_FLAG: i32 = 0x20;
/// 5.x inner batch: the consumer must unwrap the body.
pub const NEED_UNWRAP_FLAG: i32 = 0x40;
/// 5.x inner batch record.
pub const INNER_BATCH_FLAG: i32 = 0x80;
/// Mask of the compression-type bits.
pub const COMPRESSION_TYPE_MASK: i32 = 0x700;
/// Compression type LZ4.
pub const COMPRESSION_LZ4_TYPE: i32 = 0x100;
/// Compression type ZSTD.
pub const COMPRESSION_ZSTD_TYPE: i32 = 0x200;
/// Compression type ZLIB (0 also means zlib).
pub const COMPRESSION_ZLIB_TYPE: i32 = 0x300;

/// The transaction type bits of `sys_flag`.
pub fn transaction_value(sys_flag: i32) -> i32 {
    sys_flag & TRANSACTION_TYPE_MASK
}

/// `sys_flag` with its transaction type replaced by `ty`.
pub fn reset_transaction_value(sys_flag: i32, ty: i32) -> i32 {
    (sys_flag & !TRANSACTION_TYPE_MASK) | (ty & TRANSACTION_TYPE_MASK)
}

/// Whether `flag` bits are all set in `sys_flag`.
pub fn has(sys_flag: i32, flag: i32) -> bool {
    sys_flag & flag == flag
}
