//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and the
//! reply variants (324/325) (PROTOCOL.md §11.1).
//!
//! Java sends the V2 header (one-letter field names) for single messages and
//! batches; SEND_MESSAGE carries the long names. A broker reads either with
//! [`SendMessageRequestHeader::read_for_code`] and works with the long form.

use crate::code::request;
use crate::ext::{CommandHeader, ExtFields, HeaderError};

use super::{command_header, HeaderField, HeaderValue};

command_header! {
    /// `SendMessageRequestHeader`: the send header with Java's long field
    /// names, and the one form the broker works with.
    pub struct SendMessageRequestHeader {
        /// Producer group.
        producer_group: String = "producerGroup",
        /// Target topic.
        topic: String = "topic",
        /// Template topic for auto-create, normally `TBW102`.
        default_topic: String = "defaultTopic",
        /// Queue count for auto-create (default 4).
        default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        /// Target queue; negative lets the broker pick one.
        queue_id: i32 = "queueId",
        /// Message sysFlag as computed by the client (§19.1).
        sys_flag: i32 = "sysFlag",
        /// Client timestamp, ms since the epoch.
        born_timestamp: i64 = "bornTimestamp",
        /// User flag, stored as the message's FLAG.
        flag: i32 = "flag",
        /// Properties string (§18).
        properties: Option<String> = "properties",
        /// Times this message was reconsumed (retry-topic sends).
        reconsume_times: Option<i32> = "reconsumeTimes",
        /// Unit mode.
        unit_mode: Option<bool> = "unitMode",
        /// True for SEND_BATCH_MESSAGE.
        batch: Option<bool> = "batch",
        /// Max reconsume times (retry-topic sends).
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

command_header! {
    /// `SendMessageRequestHeaderV2`: the same fields under one-letter names,
    /// what Java clients send for SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE.
    pub struct SendMessageRequestHeaderV2 {
        /// producerGroup.
        a: String = "a",
        /// topic.
        b: String = "b",
        /// defaultTopic.
        c: String = "c",
        /// defaultTopicQueueNums.
        d: i32 = "d",
        /// queueId.
        e: i32 = "e",
        /// sysFlag.
        f: i32 = "f",
        /// bornTimestamp.
        g: i64 = "g",
        /// flag.
        h: i32 = "h",
        /// properties.
        i: Option<String> = "i",
        /// reconsumeTimes.
        j: Option<i32> = "j",
        /// unitMode.
        k: Option<bool> = "k",
        /// maxReconsumeTimes.
        l: Option<i32> = "l",
        /// batch.
        m: Option<bool> = "m",
        /// brokerName (5.x).
        n: Option<String> = "n",
    }
}

impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v: SendMessageRequestHeaderV2) -> Self {
        SendMessageRequestHeader {
            producer_group: v.a,
            topic: v.b,
            default_topic: v.c,
            default_topic_queue_nums: v.d,
            queue_id: v.e,
            sys_flag: v.f,
            born_timestamp: v.g,
            flag: v.h,
            properties: v.i,
            reconsume_times: v.j,
            unit_mode: v.k,
            max_reconsume_times: v.l,
            batch: v.m,
            bname: v.n,
        }
    }
}

impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    fn from(h: SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            a: h.producer_group,
            b: h.topic,
            c: h.default_topic,
            d: h.default_topic_queue_nums,
            e: h.queue_id,
            f: h.sys_flag,
            g: h.born_timestamp,
            h: h.flag,
            i: h.properties,
            j: h.reconsume_times,
            k: h.unit_mode,
            l: h.max_reconsume_times,
            m: h.batch,
            n: h.bname,
        }
    }
}

impl SendMessageRequestHeader {
    /// Reads the header in the form `code` uses: one-letter names for
    /// SEND_MESSAGE_V2, SEND_BATCH_MESSAGE and SEND_REPLY_MESSAGE_V2, long
    /// names otherwise.
    pub fn read_for_code(code: i32, ext: &ExtFields) -> Result<Self, HeaderError> {
        SendMessageRequestHeaderRef::read_for_code(code, ext).map(|h| h.to_owned())
    }

    /// Writes the header in the form `code` uses (see [`Self::read_for_code`]).
    pub fn write_for_code(&self, code: i32, ext: &mut ExtFields) {
        if uses_v2(code) {
            SendMessageRequestHeaderV2::from(self.clone()).write(ext);
        } else {
            self.write(ext);
        }
    }

    /// True when the request is a batch (`batch` set).
    pub fn is_batch(&self) -> bool {
        self.batch.unwrap_or(false)
    }

    /// Reconsume times, 0 when absent.
    pub fn reconsume_times(&self) -> i32 {
        self.reconsume_times.unwrap_or(0)
    }

    /// Unit mode, false when absent.
    pub fn is_unit_mode(&self) -> bool {
        self.unit_mode.unwrap_or(false)
    }
}

/// The send header's field names with Java's long names, in the order of
/// the V2 letters (`a` = producerGroup ... `n` = bname).
const LONG_NAMES: [&str; 14] = [
    "producerGroup",
    "topic",
    "defaultTopic",
    "defaultTopicQueueNums",
    "queueId",
    "sysFlag",
    "bornTimestamp",
    "flag",
    "properties",
    "reconsumeTimes",
    "unitMode",
    "maxReconsumeTimes",
    "batch",
    "bname",
];

/// The V2 one-letter names, slot for slot with [`LONG_NAMES`].
const V2_NAMES: [&str; 14] = [
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
];

/// The total length of `names`.
const fn names_len(names: &[&str; 14]) -> usize {
    let mut total = 0;
    let mut i = 0;
    while i < names.len() {
        total += names[i].len();
        i += 1;
    }
    total
}

/// Bytes of all [`LONG_NAMES`].
const LONG_NAMES_LEN: usize = names_len(&LONG_NAMES);
/// Bytes of all [`V2_NAMES`].
const V2_NAMES_LEN: usize = names_len(&V2_NAMES);

/// A boolean as Java writes it in extFields.
fn bool_text(v: bool) -> &'static str {
    if v {
        "true"
    } else {
        "false"
    }
}

/// The slot of `key` in [`LONG_NAMES`] / [`V2_NAMES`].
fn slot_of(v2: bool, key: &str) -> Option<usize> {
    if v2 {
        match key.as_bytes() {
            [c @ b'a'..=b'n'] => Some((c - b'a') as usize),
            _ => None,
        }
    } else {
        LONG_NAMES.iter().position(|n| *n == key)
    }
}

/// A required number or boolean field.
fn req_value<T: HeaderValue>(raw: Option<&str>, key: &'static str) -> Result<T, HeaderError> {
    T::parse_value(key, raw.ok_or(HeaderError::Missing(key))?)
}

/// An optional number or boolean field: absent, empty or `null` is `None`.
fn opt_value<T: HeaderValue>(
    raw: Option<&str>,
    key: &'static str,
) -> Result<Option<T>, HeaderError> {
    match raw {
        None => Ok(None),
        Some(v) if T::BLANK_IS_ABSENT && super::is_blank(v) => Ok(None),
        Some(v) => T::parse_value(key, v).map(Some),
    }
}

/// A send request's header borrowed from the request's extFields: the
/// broker's hot path reads it without allocating. Same fields, names and
/// rules as [`SendMessageRequestHeader`] (required strings must be present,
/// `""` is a value; numbers and booleans are read leniently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendMessageRequestHeaderRef<'a> {
    /// Producer group.
    pub producer_group: &'a str,
    /// Target topic.
    pub topic: &'a str,
    /// Template topic for auto-create.
    pub default_topic: &'a str,
    /// Queue count for auto-create.
    pub default_topic_queue_nums: i32,
    /// Target queue; negative lets the broker pick one.
    pub queue_id: i32,
    /// Message sysFlag.
    pub sys_flag: i32,
    /// Client timestamp, ms since the epoch.
    pub born_timestamp: i64,
    /// User flag.
    pub flag: i32,
    /// Properties string.
    pub properties: Option<&'a str>,
    /// Times this message was reconsumed.
    pub reconsume_times: Option<i32>,
    /// Unit mode.
    pub unit_mode: Option<bool>,
    /// True for batches.
    pub batch: Option<bool>,
    /// Max reconsume times.
    pub max_reconsume_times: Option<i32>,
    /// Broker name (5.x).
    pub bname: Option<&'a str>,
}

impl<'a> SendMessageRequestHeaderRef<'a> {
    /// Reads the header in the form `code` uses (one-letter names for
    /// SEND_MESSAGE_V2, SEND_BATCH_MESSAGE and SEND_REPLY_MESSAGE_V2).
    ///
    /// One pass over the fields (a key lookup per field would scan the map
    /// once per field); a repeated key cannot occur, the map keeps the last.
    pub fn read_for_code(code: i32, ext: &'a ExtFields) -> Result<Self, HeaderError> {
        let v2 = uses_v2(code);
        let names = if v2 { &V2_NAMES } else { &LONG_NAMES };
        let mut raw: [Option<&'a str>; 14] = [None; 14];
        for (k, v) in ext.iter() {
            if let Some(i) = slot_of(v2, k) {
                raw[i] = Some(v);
            }
        }
        let req_str = |i: usize| raw[i].ok_or(HeaderError::Missing(names[i]));
        Ok(SendMessageRequestHeaderRef {
            producer_group: req_str(0)?,
            topic: req_str(1)?,
            default_topic: req_str(2)?,
            default_topic_queue_nums: req_value(raw[3], names[3])?,
            queue_id: req_value(raw[4], names[4])?,
            sys_flag: req_value(raw[5], names[5])?,
            born_timestamp: req_value(raw[6], names[6])?,
            flag: req_value(raw[7], names[7])?,
            properties: raw[8],
            reconsume_times: opt_value(raw[9], names[9])?,
            unit_mode: opt_value(raw[10], names[10])?,
            max_reconsume_times: opt_value(raw[11], names[11])?,
            batch: opt_value(raw[12], names[12])?,
            bname: raw[13],
        })
    }

    /// Writes the header in the form `code` uses (one-letter names for
    /// SEND_MESSAGE_V2, SEND_BATCH_MESSAGE and SEND_REPLY_MESSAGE_V2, long
    /// names otherwise), in the V2 letters' order (`a` ... `n`); an absent
    /// optional field is left out, `Some("")` is written.
    pub fn write_for_code(&self, code: i32, ext: &mut ExtFields) {
        let names = if uses_v2(code) {
            &V2_NAMES
        } else {
            &LONG_NAMES
        };
        ext.put_str(names[0], self.producer_group);
        ext.put_str(names[1], self.topic);
        ext.put_str(names[2], self.default_topic);
        ext.put_int(names[3], self.default_topic_queue_nums.into());
        ext.put_int(names[4], self.queue_id.into());
        ext.put_int(names[5], self.sys_flag.into());
        ext.put_int(names[6], self.born_timestamp);
        ext.put_int(names[7], self.flag.into());
        if let Some(v) = self.properties {
            ext.put_str(names[8], v);
        }
        if let Some(v) = self.reconsume_times {
            ext.put_int(names[9], v.into());
        }
        if let Some(v) = self.unit_mode {
            ext.put_str(names[10], bool_text(v));
        }
        if let Some(v) = self.max_reconsume_times {
            ext.put_int(names[11], v.into());
        }
        if let Some(v) = self.batch {
            ext.put_str(names[12], bool_text(v));
        }
        if let Some(v) = self.bname {
            ext.put_str(names[13], v);
        }
    }

    /// The header as a request's extFields ([`Self::write_for_code`]), in
    /// a map sized up front: a producer's hot path copies each string once,
    /// into one buffer.
    pub fn to_ext_fields(&self, code: i32) -> ExtFields {
        let names = if uses_v2(code) {
            V2_NAMES_LEN
        } else {
            LONG_NAMES_LEN
        };
        // Six i32s, one i64 and two booleans written as text.
        const NUMBERS: usize = 6 * 11 + 20 + 2 * 5;
        let text = self.producer_group.len()
            + self.topic.len()
            + self.default_topic.len()
            + self.properties.map_or(0, str::len)
            + self.bname.map_or(0, str::len)
            + names
            + NUMBERS;
        let mut ext = ExtFields::with_capacity_and_text(14, text);
        self.write_for_code(code, &mut ext);
        ext
    }

    /// The owned header.
    pub fn to_owned(&self) -> SendMessageRequestHeader {
        SendMessageRequestHeader {
            producer_group: self.producer_group.to_owned(),
            topic: self.topic.to_owned(),
            default_topic: self.default_topic.to_owned(),
            default_topic_queue_nums: self.default_topic_queue_nums,
            queue_id: self.queue_id,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            flag: self.flag,
            properties: self.properties.map(str::to_owned),
            reconsume_times: self.reconsume_times,
            unit_mode: self.unit_mode,
            batch: self.batch,
            max_reconsume_times: self.max_reconsume_times,
            bname: self.bname.map(str::to_owned),
        }
    }

    /// True when the request is a batch (`batch` set).
    pub fn is_batch(&self) -> bool {
        self.batch.unwrap_or(false)
    }

    /// Reconsume times, 0 when absent.
    pub fn reconsume_times(&self) -> i32 {
        self.reconsume_times.unwrap_or(0)
    }

    /// Unit mode, false when absent.
    pub fn is_unit_mode(&self) -> bool {
        self.unit_mode.unwrap_or(false)
    }
}

/// True for the codes whose send header uses the one-letter V2 names.
pub fn uses_v2(code: i32) -> bool {
    matches!(
        code,
        request::SEND_MESSAGE_V2 | request::SEND_BATCH_MESSAGE | request::SEND_REPLY_MESSAGE_V2
    )
}

/// `SendMessageResponseHeader`, set on the four "stored" response codes
/// (SUCCESS, FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE).
///
/// Written by hand rather than by `command_header!` because every send
/// builds one: its strings are copied straight into the response's
/// extFields without intermediate allocations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendMessageResponseHeader {
    /// Offset message id of the stored record (comma-joined for batches).
    pub msg_id: String,
    /// Queue actually used.
    pub queue_id: i32,
    /// Logical offset in that queue (the first message for a batch).
    pub queue_offset: i64,
    /// The message's `UNIQ_KEY`.
    pub transaction_id: Option<String>,
    /// 5.x inner-batch only.
    pub batch_uniq_id: Option<String>,
    /// 5.x timer messages only.
    pub recall_handle: Option<String>,
    /// Broker region (`MSG_REGION` extField, not a Java header field;
    /// Java clients read it into `SendResult.regionId`).
    pub msg_region: Option<String>,
    /// Broker trace switch (`TRACE_ON` extField, `"true"`/`"false"`).
    pub trace_on: Option<String>,
}

impl CommandHeader for SendMessageResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        ext.put_str("msgId", &self.msg_id);
        ext.put_int("queueId", self.queue_id.into());
        ext.put_int("queueOffset", self.queue_offset);
        for (key, value) in [
            ("transactionId", &self.transaction_id),
            ("batchUniqId", &self.batch_uniq_id),
            ("recallHandle", &self.recall_handle),
            ("MSG_REGION", &self.msg_region),
            ("TRACE_ON", &self.trace_on),
        ] {
            if let Some(v) = value {
                ext.put_str(key, v);
            }
        }
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(SendMessageResponseHeader {
            msg_id: HeaderField::read_field(ext, "msgId")?,
            queue_id: HeaderField::read_field(ext, "queueId")?,
            queue_offset: HeaderField::read_field(ext, "queueOffset")?,
            transaction_id: ext.opt_string("transactionId"),
            batch_uniq_id: ext.opt_string("batchUniqId"),
            recall_handle: ext.opt_string("recallHandle"),
            msg_region: ext.opt_string("MSG_REGION"),
            trace_on: ext.opt_string("TRACE_ON"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(pairs: &[(&str, &str)]) -> ExtFields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn v2_capture_from_a_4x_client() {
        // PROTOCOL.md §11.1.
        let e = ext(&[
            ("a", "yyzGroup2"),
            ("b", "yyztest2"),
            ("c", "TBW102"),
            ("d", "4"),
            ("e", "0"),
            ("f", "0"),
            ("g", "1491978653614"),
            ("h", "0"),
            ("i", "TAGS\u{1}TAG\u{2}WAIT\u{1}true\u{2}KEYS\u{1}ffff\u{2}"),
            ("j", "0"),
            ("k", "false"),
        ]);
        let h = SendMessageRequestHeader::read_for_code(request::SEND_MESSAGE_V2, &e).unwrap();
        assert_eq!(h.producer_group, "yyzGroup2");
        assert_eq!(h.topic, "yyztest2");
        assert_eq!(h.default_topic_queue_nums, 4);
        assert_eq!(h.born_timestamp, 1491978653614);
        assert_eq!(h.unit_mode, Some(false));
        assert!(!h.is_batch());
        let mut back = ExtFields::new();
        h.write_for_code(request::SEND_MESSAGE_V2, &mut back);
        assert_eq!(back, e);
    }

    #[test]
    fn long_and_short_forms_convert_both_ways() {
        let h = SendMessageRequestHeader {
            producer_group: "PG".into(),
            topic: "T".into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id: -1,
            sys_flag: 0x301,
            born_timestamp: 1,
            flag: 0,
            batch: Some(true),
            bname: Some("broker-a".into()),
            ..Default::default()
        };
        let mut e = ExtFields::new();
        h.write_for_code(request::SEND_BATCH_MESSAGE, &mut e);
        assert_eq!(e.get("m"), Some("true"));
        assert_eq!(e.get("n"), Some("broker-a"));
        assert_eq!(SendMessageRequestHeader::read_for_code(320, &e).unwrap(), h);
        let mut e = ExtFields::new();
        h.write_for_code(request::SEND_MESSAGE, &mut e);
        assert_eq!(e.get("sysFlag"), Some("769"));
        assert_eq!(SendMessageRequestHeader::read_for_code(10, &e).unwrap(), h);
        // V2 names are not accepted for SEND_MESSAGE and vice versa
        assert!(SendMessageRequestHeader::read_for_code(310, &e).is_err());
    }

    #[test]
    fn borrowed_view_reads_like_the_owned_header() {
        let e = ext(&[
            ("a", "G"),
            ("b", "T"),
            ("c", "TBW102"),
            ("d", "8"),
            ("e", "-1"),
            ("f", "0"),
            ("g", "5"),
            ("h", "0"),
            ("i", ""),
            ("k", "1"),
        ]);
        let r = SendMessageRequestHeaderRef::read_for_code(request::SEND_MESSAGE_V2, &e).unwrap();
        assert_eq!(
            (r.topic, r.properties, r.unit_mode),
            ("T", Some(""), Some(true))
        );
        assert_eq!(
            r.to_owned(),
            SendMessageRequestHeader::read_for_code(310, &e).unwrap()
        );
        assert_eq!(
            SendMessageRequestHeaderRef::read_for_code(request::SEND_MESSAGE, &e),
            Err(HeaderError::Missing("producerGroup"))
        );
        let mut bad = e.clone();
        bad.put("g", "x");
        assert!(matches!(
            SendMessageRequestHeaderRef::read_for_code(310, &bad),
            Err(HeaderError::Invalid { field: "g", .. })
        ));
    }

    #[test]
    fn borrowed_header_writes_what_it_reads() {
        let full = SendMessageRequestHeaderRef {
            producer_group: "PG",
            topic: "T",
            default_topic: "TBW102",
            default_topic_queue_nums: 4,
            queue_id: -1,
            sys_flag: 3,
            born_timestamp: i64::MAX,
            flag: i32::MIN,
            properties: Some(""),
            reconsume_times: Some(2),
            unit_mode: Some(false),
            max_reconsume_times: Some(16),
            batch: Some(true),
            bname: Some("broker-a"),
        };
        let bare = SendMessageRequestHeaderRef {
            properties: None,
            reconsume_times: None,
            unit_mode: None,
            max_reconsume_times: None,
            batch: None,
            bname: None,
            ..full
        };
        for code in [request::SEND_MESSAGE_V2, request::SEND_MESSAGE] {
            for h in [full, bare] {
                let e = h.to_ext_fields(code);
                assert_eq!(SendMessageRequestHeaderRef::read_for_code(code, &e), Ok(h));
                // The owned header writes the same pairs.
                let mut owned = ExtFields::new();
                h.to_owned().write_for_code(code, &mut owned);
                let sorted = |e: &ExtFields| {
                    let mut v: Vec<_> = e.iter().collect();
                    v.sort();
                    v.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                };
                assert_eq!(sorted(&e), sorted(&owned));
            }
        }
        let v2 = full.to_ext_fields(request::SEND_BATCH_MESSAGE);
        let keys: String = v2.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, "abcdefghijklmn");
        assert_eq!(v2.get("m"), Some("true"));
        assert_eq!(bare.to_ext_fields(request::SEND_MESSAGE_V2).len(), 8);
    }

    #[test]
    fn response_header_round_trip() {
        let h = SendMessageResponseHeader {
            msg_id: "7F00000100002A9F0000000000000000".into(),
            queue_id: 3,
            queue_offset: 42,
            transaction_id: Some(String::new()),
            msg_region: Some("DefaultRegion".into()),
            trace_on: Some("true".into()),
            ..Default::default()
        };
        let mut e = ExtFields::new();
        h.write(&mut e);
        assert_eq!(e.get("queueOffset"), Some("42"));
        assert_eq!(e.get("batchUniqId"), None);
        assert_eq!(SendMessageResponseHeader::read(&e).unwrap(), h);
        assert_eq!(
            SendMessageResponseHeader::read(&ExtFields::new()),
            Err(HeaderError::Missing("msgId"))
        );
    }
}
