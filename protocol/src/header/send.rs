//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and the
//! reply variants (324/325) (PROTOCOL.md §11.1).
//!
//! Java sends the V2 header (one-letter field names) for single messages and
//! batches; SEND_MESSAGE carries the long names. A broker reads either with
//! [`SendMessageRequestHeader::read_for_code`] and works with the long form.

use crate::code::request;
use crate::ext::{CommandHeader, ExtFields, HeaderError};

use super::command_header;

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
        if uses_v2(code) {
            SendMessageRequestHeaderV2::read(ext).map(Into::into)
        } else {
            Self::read(ext)
        }
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

/// True for the codes whose send header uses the one-letter V2 names.
pub fn uses_v2(code: i32) -> bool {
    matches!(
        code,
        request::SEND_MESSAGE_V2 | request::SEND_BATCH_MESSAGE | request::SEND_REPLY_MESSAGE_V2
    )
}

command_header! {
    /// `SendMessageResponseHeader`, set on the four "stored" response codes
    /// (SUCCESS, FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE).
    pub struct SendMessageResponseHeader {
        /// Offset message id of the stored record (comma-joined for batches).
        msg_id: String = "msgId",
        /// Queue actually used.
        queue_id: i32 = "queueId",
        /// Logical offset in that queue (the first message for a batch).
        queue_offset: i64 = "queueOffset",
        /// The message's `UNIQ_KEY`.
        transaction_id: Option<String> = "transactionId",
        /// 5.x inner-batch only.
        batch_uniq_id: Option<String> = "batchUniqId",
        /// 5.x timer messages only.
        recall_handle: Option<String> = "recallHandle",
        /// Broker region (`MSG_REGION` extField, not a Java header field;
        /// Java clients read it into `SendResult.regionId`).
        msg_region: Option<String> = "MSG_REGION",
        /// Broker trace switch (`TRACE_ON` extField, `"true"`/`"false"`).
        trace_on: Option<String> = "TRACE_ON",
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
}
