//! The stored message record (PROTOCOL.md §17.1): decode, validate, encode.
//!
//! ```text
//!  0 TOTALSIZE i32 | 4 MAGICCODE i32 | 8 BODYCRC i32 | 12 QUEUEID i32
//! 16 FLAG i32      | 20 QUEUEOFFSET i64 | 28 PHYSICALOFFSET i64 | 36 SYSFLAG i32
//! 40 BORNTIMESTAMP i64 | 48 BORNHOST 8/20 | STORETIMESTAMP i64 | STOREHOST 8/20
//! RECONSUMETIMES i32 | PREPARED_TX_OFFSET i64 | BODY i32+n | TOPIC i8/i16+n
//! PROPERTIES i16+n
//! ```

use super::msg_id::create_offset_msg_id;
use super::properties::{decode_properties, find_property, KEYS, TAGS, UNIQ_KEY};
use super::reader::Reader;
use super::sysflag::{BORNHOST_V6_FLAG, STOREHOSTADDRESS_V6_FLAG};
use super::MessageError;
use bytes::Bytes;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Magic code of a V1 record (1-byte topic length), `0xDAA320A7`.
pub const MAGIC_V1: i32 = 0xDAA3_20A7_u32 as i32;
/// Magic code of a V2 record (2-byte topic length, 5.x), `0xDAA320AB`.
pub const MAGIC_V2: i32 = 0xDAA3_20AB_u32 as i32;
/// Magic code of the end-of-file blank marker, `0xCBD43194`.
pub const BLANK_MAGIC: i32 = 0xCBD4_3194_u32 as i32;
/// Bytes of the end-of-file blank marker (TOTALSIZE + MAGICCODE).
pub const END_FILE_MIN_BLANK_LENGTH: usize = 8;

/// Position of TOTALSIZE.
pub const TOTAL_SIZE_POS: usize = 0;
/// Position of MAGICCODE.
pub const MAGIC_POS: usize = 4;
/// Position of BODYCRC.
pub const BODY_CRC_POS: usize = 8;
/// Position of QUEUEID.
pub const QUEUE_ID_POS: usize = 12;
/// Position of QUEUEOFFSET, patched by the store under its append lock.
pub const QUEUE_OFFSET_POS: usize = 20;
/// Position of PHYSICALOFFSET, patched by the store under its append lock.
pub const PHYSICAL_OFFSET_POS: usize = 28;
/// Position of SYSFLAG.
pub const SYS_FLAG_POS: usize = 36;
/// Position of BORNTIMESTAMP.
pub const BORN_TIMESTAMP_POS: usize = 40;
/// Position of BORNHOST.
pub const BORN_HOST_POS: usize = 48;
/// Smallest possible record: IPv4 hosts, empty body, topic and properties.
pub const MIN_RECORD_LEN: usize = 91;

/// Position of STORETIMESTAMP, which depends on the born host's family.
pub fn store_timestamp_pos(sys_flag: i32) -> usize {
    BORN_HOST_POS + host_len(sys_flag & BORNHOST_V6_FLAG != 0)
}

fn host_len(v6: bool) -> usize {
    if v6 {
        20
    } else {
        8
    }
}

/// Record length for the given field sizes (the formula of §17.1).
pub fn stored_record_len(
    body_len: usize,
    topic_len: usize,
    props_len: usize,
    born_v6: bool,
    store_v6: bool,
) -> usize {
    let topic_len_size = if topic_len > 127 { 2 } else { 1 };
    4 + 4
        + 4
        + 4
        + 4
        + 8
        + 8
        + 4
        + 8
        + host_len(born_v6)
        + 8
        + host_len(store_v6)
        + 4
        + 8
        + 4
        + body_len
        + topic_len_size
        + topic_len
        + 2
        + props_len
}

/// A decoded stored record (`MessageExt`): the body is a zero-copy slice of
/// the input buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageExt {
    /// TOTALSIZE of the record.
    pub store_size: i32,
    /// BODYCRC as stored (CRC32 of the body, masked to 31 bits).
    pub body_crc: i32,
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Logical offset in the consume queue.
    pub queue_offset: i64,
    /// Offset of the record in the CommitLog.
    pub commit_log_offset: i64,
    /// sysFlag bits (see [`super::sysflag`]).
    pub sys_flag: i32,
    /// Producer timestamp, ms.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Broker timestamp at append, ms.
    pub store_timestamp: i64,
    /// Broker address (the offset msgId is derived from it).
    pub store_host: SocketAddr,
    /// Times the message was re-delivered.
    pub reconsume_times: i32,
    /// Half message's CommitLog offset for commit/rollback records.
    pub prepared_transaction_offset: i64,
    /// Body bytes as stored (still compressed if the sysFlag says so).
    pub body: Bytes,
    /// Topic name.
    pub topic: String,
    /// Decoded properties.
    pub properties: HashMap<String, String>,
    /// Offset message id (store host + CommitLog offset).
    pub msg_id: String,
}

impl MessageExt {
    /// A property by key.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// The `TAGS` property.
    pub fn tags(&self) -> Option<&str> {
        self.property(TAGS)
    }

    /// The `KEYS` property.
    pub fn keys(&self) -> Option<&str> {
        self.property(KEYS)
    }

    /// The client unique id (`UNIQ_KEY`), which users see as the msgId.
    pub fn uniq_key(&self) -> Option<&str> {
        self.property(UNIQ_KEY)
    }
}

/// Fields of a record as parsed by [`check_record`], borrowing the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInfo<'a> {
    /// TOTALSIZE.
    pub total_size: usize,
    /// BODYCRC as stored.
    pub body_crc: i32,
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Logical queue offset.
    pub queue_offset: i64,
    /// CommitLog offset written in the record.
    pub commit_log_offset: i64,
    /// sysFlag.
    pub sys_flag: i32,
    /// Born timestamp, ms.
    pub born_timestamp: i64,
    /// Store timestamp, ms.
    pub store_timestamp: i64,
    /// Reconsume times.
    pub reconsume_times: i32,
    /// Prepared transaction offset.
    pub prepared_transaction_offset: i64,
    /// Byte range of the body inside the record.
    pub body_range: (usize, usize),
    /// Topic.
    pub topic: &'a str,
    /// Raw properties string.
    pub properties: &'a str,
}

impl<'a> RecordInfo<'a> {
    /// One property, looked up without allocating.
    pub fn property(&self, key: &str) -> Option<&'a str> {
        find_property(self.properties, key)
    }
}

/// Outcome of [`check_record`] on well-formed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordCheck<'a> {
    /// A message record.
    Message(RecordInfo<'a>),
    /// The end-of-file blank marker; `size` is its TOTALSIZE (the file tail).
    Blank {
        /// TOTALSIZE of the marker, i.e. the rest of the file.
        size: usize,
    },
}

fn read_host(r: &mut Reader<'_>, v6: bool, what: &'static str) -> Result<SocketAddr, MessageError> {
    let ip = if v6 {
        IpAddr::V6(Ipv6Addr::from(r.array::<16>(what)?))
    } else {
        IpAddr::V4(Ipv4Addr::from(r.array::<4>(what)?))
    };
    let port = r.i32(what)?;
    Ok(SocketAddr::new(ip, port as u16))
}

/// Validates the record at the start of `buf` like RocketMQ's
/// `checkMessageAndReturnSize`: size within the buffer, known magic, lengths
/// that add up to TOTALSIZE and, with `check_crc`, the body CRC.
pub fn check_record(buf: &[u8], check_crc: bool) -> Result<RecordCheck<'_>, MessageError> {
    let mut r = Reader::new(buf);
    let total = r.i32("TOTALSIZE")?;
    let magic = r.i32("MAGICCODE")?;
    if magic == BLANK_MAGIC {
        let size = usize::try_from(total)
            .map_err(|_| MessageError::BadLength(format!("blank size {total}")))?;
        return Ok(RecordCheck::Blank { size });
    }
    if magic != MAGIC_V1 && magic != MAGIC_V2 {
        return Err(MessageError::BadMagic(magic as u32));
    }
    let total_size = usize::try_from(total)
        .ok()
        .filter(|&t| t >= MIN_RECORD_LEN)
        .ok_or_else(|| MessageError::BadLength(format!("TOTALSIZE {total}")))?;
    if total_size > buf.len() {
        return Err(MessageError::Truncated {
            what: "record",
            offset: 0,
            need: total_size,
            have: buf.len(),
        });
    }
    let mut r = Reader::new(&buf[..total_size]);
    r.take(8, "header")?;
    let body_crc = r.i32("BODYCRC")?;
    let queue_id = r.i32("QUEUEID")?;
    let flag = r.i32("FLAG")?;
    let queue_offset = r.i64("QUEUEOFFSET")?;
    let commit_log_offset = r.i64("PHYSICALOFFSET")?;
    let sys_flag = r.i32("SYSFLAG")?;
    let born_timestamp = r.i64("BORNTIMESTAMP")?;
    r.take(host_len(sys_flag & BORNHOST_V6_FLAG != 0), "BORNHOST")?;
    let store_timestamp = r.i64("STORETIMESTAMP")?;
    r.take(
        host_len(sys_flag & STOREHOSTADDRESS_V6_FLAG != 0),
        "STOREHOST",
    )?;
    let reconsume_times = r.i32("RECONSUMETIMES")?;
    let prepared_transaction_offset = r.i64("PREPAREDTRANSACTIONOFFSET")?;
    let body_len = r.len_i32("BODYLENGTH")?;
    let body_start = r.pos();
    let body = r.take(body_len, "BODY")?;
    if check_crc {
        let computed = crc32fast::hash(body) & 0x7FFF_FFFF;
        if computed != body_crc as u32 {
            return Err(MessageError::BadCrc {
                stored: body_crc as u32,
                computed,
            });
        }
    }
    let topic_len = if magic == MAGIC_V1 {
        r.u8("TOPICLENGTH")? as i8 as i32
    } else {
        r.i16("TOPICLENGTH")? as i32
    };
    let topic_len = usize::try_from(topic_len)
        .map_err(|_| MessageError::BadLength(format!("TOPICLENGTH {topic_len}")))?;
    let topic = std::str::from_utf8(r.take(topic_len, "TOPIC")?)
        .map_err(|_| MessageError::Utf8("topic"))?;
    let props_len = r.len_i16("PROPERTIESLENGTH")?;
    let props = r.take(props_len, "PROPERTIES")?;
    let properties = std::str::from_utf8(props).map_err(|_| MessageError::Utf8("properties"))?;
    if r.remaining() != 0 {
        return Err(MessageError::BadLength(format!(
            "TOTALSIZE {total_size} but fields end at {}",
            r.pos()
        )));
    }
    Ok(RecordCheck::Message(RecordInfo {
        total_size,
        body_crc,
        queue_id,
        flag,
        queue_offset,
        commit_log_offset,
        sys_flag,
        born_timestamp,
        store_timestamp,
        reconsume_times,
        prepared_transaction_offset,
        body_range: (body_start, body_start + body_len),
        topic,
        properties,
    }))
}

/// Decodes the record at the start of `buf` (CRC not checked, as a client
/// does); the body is a zero-copy slice of `buf`.
pub fn decode_message(buf: &Bytes) -> Result<MessageExt, MessageError> {
    let info = match check_record(buf, false)? {
        RecordCheck::Message(info) => info,
        RecordCheck::Blank { .. } => return Err(MessageError::BadMagic(BLANK_MAGIC as u32)),
    };
    let born_pos = BORN_HOST_POS;
    let born_v6 = info.sys_flag & BORNHOST_V6_FLAG != 0;
    let store_pos = store_timestamp_pos(info.sys_flag) + 8;
    let store_v6 = info.sys_flag & STOREHOSTADDRESS_V6_FLAG != 0;
    let born_host = read_host(&mut Reader::new(&buf[born_pos..]), born_v6, "BORNHOST")?;
    let store_host = read_host(&mut Reader::new(&buf[store_pos..]), store_v6, "STOREHOST")?;
    Ok(MessageExt {
        store_size: info.total_size as i32,
        body_crc: info.body_crc,
        queue_id: info.queue_id,
        flag: info.flag,
        queue_offset: info.queue_offset,
        commit_log_offset: info.commit_log_offset,
        sys_flag: info.sys_flag,
        born_timestamp: info.born_timestamp,
        born_host,
        store_timestamp: info.store_timestamp,
        store_host,
        reconsume_times: info.reconsume_times,
        prepared_transaction_offset: info.prepared_transaction_offset,
        body: buf.slice(info.body_range.0..info.body_range.1),
        topic: info.topic.to_string(),
        properties: decode_properties(info.properties),
        msg_id: create_offset_msg_id(store_host, info.commit_log_offset),
    })
}

/// Decodes a concatenation of records (a pull/query response body).
pub fn decode_messages(buf: &Bytes) -> Result<Vec<MessageExt>, MessageError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let rest = buf.slice(pos..);
        let msg = decode_message(&rest)?;
        pos += msg.store_size as usize;
        out.push(msg);
    }
    Ok(out)
}

/// The fields of a record to encode. `sys_flag`'s IPv6 host bits are derived
/// from the address families of `born_host` and `store_host`.
#[derive(Debug, Clone, Copy)]
pub struct StoredRecord<'a> {
    /// Topic (V2 magic is used when longer than 127 bytes).
    pub topic: &'a str,
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Body bytes as they are to be stored.
    pub body: &'a [u8],
    /// Encoded properties string (at most 32767 bytes).
    pub properties: &'a str,
    /// sysFlag.
    pub sys_flag: i32,
    /// Born timestamp, ms.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Store timestamp, ms (a store may patch it later).
    pub store_timestamp: i64,
    /// Broker address.
    pub store_host: SocketAddr,
    /// Reconsume times.
    pub reconsume_times: i32,
    /// Prepared transaction offset.
    pub prepared_transaction_offset: i64,
    /// Queue offset (a store patches it at [`QUEUE_OFFSET_POS`]).
    pub queue_offset: i64,
    /// CommitLog offset (a store patches it at [`PHYSICAL_OFFSET_POS`]).
    pub commit_log_offset: i64,
}

fn put_host(out: &mut Vec<u8>, addr: SocketAddr) {
    match addr.ip() {
        IpAddr::V4(ip) => out.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => out.extend_from_slice(&ip.octets()),
    }
    out.extend_from_slice(&(addr.port() as i32).to_be_bytes());
}

/// Appends the full stored record to `out` and returns its length. The body
/// CRC is computed here. Fails when the topic or properties are too long for
/// their length fields or the body exceeds `i32::MAX`.
pub fn encode_stored_record(
    r: &StoredRecord<'_>,
    out: &mut Vec<u8>,
) -> Result<usize, MessageError> {
    let born_v6 = r.born_host.is_ipv6();
    let store_v6 = r.store_host.is_ipv6();
    let mut sys_flag = r.sys_flag & !(BORNHOST_V6_FLAG | STOREHOSTADDRESS_V6_FLAG);
    if born_v6 {
        sys_flag |= BORNHOST_V6_FLAG;
    }
    if store_v6 {
        sys_flag |= STOREHOSTADDRESS_V6_FLAG;
    }
    let topic = r.topic.as_bytes();
    if topic.len() > i16::MAX as usize {
        return Err(MessageError::OutOfRange(format!(
            "topic length {}",
            topic.len()
        )));
    }
    if r.properties.len() > i16::MAX as usize {
        return Err(MessageError::OutOfRange(format!(
            "properties length {}",
            r.properties.len()
        )));
    }
    let len = stored_record_len(
        r.body.len(),
        topic.len(),
        r.properties.len(),
        born_v6,
        store_v6,
    );
    if len > i32::MAX as usize {
        return Err(MessageError::OutOfRange(format!("record length {len}")));
    }
    let v2 = topic.len() > 127;
    out.reserve(len);
    let start = out.len();
    out.extend_from_slice(&(len as i32).to_be_bytes());
    out.extend_from_slice(&(if v2 { MAGIC_V2 } else { MAGIC_V1 }).to_be_bytes());
    out.extend_from_slice(&((crc32fast::hash(r.body) & 0x7FFF_FFFF) as i32).to_be_bytes());
    out.extend_from_slice(&r.queue_id.to_be_bytes());
    out.extend_from_slice(&r.flag.to_be_bytes());
    out.extend_from_slice(&r.queue_offset.to_be_bytes());
    out.extend_from_slice(&r.commit_log_offset.to_be_bytes());
    out.extend_from_slice(&sys_flag.to_be_bytes());
    out.extend_from_slice(&r.born_timestamp.to_be_bytes());
    put_host(out, r.born_host);
    out.extend_from_slice(&r.store_timestamp.to_be_bytes());
    put_host(out, r.store_host);
    out.extend_from_slice(&r.reconsume_times.to_be_bytes());
    out.extend_from_slice(&r.prepared_transaction_offset.to_be_bytes());
    out.extend_from_slice(&(r.body.len() as i32).to_be_bytes());
    out.extend_from_slice(r.body);
    if v2 {
        out.extend_from_slice(&(topic.len() as i16).to_be_bytes());
    } else {
        out.push(topic.len() as u8);
    }
    out.extend_from_slice(topic);
    out.extend_from_slice(&(r.properties.len() as i16).to_be_bytes());
    out.extend_from_slice(r.properties.as_bytes());
    debug_assert_eq!(out.len() - start, len);
    Ok(len)
}

/// Writes queue offset, CommitLog offset and store timestamp into an encoded
/// record in place (what a store does under its append lock).
pub fn patch_stored_record(
    rec: &mut [u8],
    queue_offset: i64,
    commit_log_offset: i64,
    store_timestamp: i64,
) -> Result<(), MessageError> {
    let sys_flag_bytes =
        rec.get(SYS_FLAG_POS..SYS_FLAG_POS + 4)
            .ok_or(MessageError::Truncated {
                what: "SYSFLAG",
                offset: SYS_FLAG_POS,
                need: 4,
                have: rec.len().saturating_sub(SYS_FLAG_POS),
            })?;
    let sys_flag = i32::from_be_bytes([
        sys_flag_bytes[0],
        sys_flag_bytes[1],
        sys_flag_bytes[2],
        sys_flag_bytes[3],
    ]);
    let ts_pos = store_timestamp_pos(sys_flag);
    if rec.len() < ts_pos + 8 {
        return Err(MessageError::Truncated {
            what: "STORETIMESTAMP",
            offset: ts_pos,
            need: 8,
            have: rec.len().saturating_sub(ts_pos),
        });
    }
    rec[QUEUE_OFFSET_POS..QUEUE_OFFSET_POS + 8].copy_from_slice(&queue_offset.to_be_bytes());
    rec[PHYSICAL_OFFSET_POS..PHYSICAL_OFFSET_POS + 8]
        .copy_from_slice(&commit_log_offset.to_be_bytes());
    rec[ts_pos..ts_pos + 8].copy_from_slice(&store_timestamp.to_be_bytes());
    Ok(())
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
