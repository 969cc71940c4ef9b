//! Message property keys (`MessageConst`) and the properties string format:
//! `key 0x01 value 0x02`, repeated (PROTOCOL.md §18).

use std::collections::HashMap;

/// Separates a key from its value (`NAME_VALUE_SEPARATOR`, 0x01).
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Terminates each key/value pair (`PROPERTY_SEPARATOR`, 0x02).
pub const PROPERTY_SEPARATOR: char = '\u{2}';
/// Separates the words of the `KEYS` property.
pub const KEY_SEPARATOR: &str = " ";
/// Largest properties string a record can hold (signed 16-bit length).
pub const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

/// Business keys, space separated; each word is indexed.
pub const KEYS: &str = "KEYS";
/// The message tag, used for filtering and the ConsumeQueue tag hash.
pub const TAGS: &str = "TAGS";
/// `"true"`/`"false"`: wait for flush/replication under SYNC modes.
pub const WAIT: &str = "WAIT";
/// Delay level (1..18) of a 4.x delayed message.
pub const DELAY: &str = "DELAY";
/// Original topic of a message put in a `%RETRY%` topic.
pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
/// Original topic of delayed and half messages.
pub const REAL_TOPIC: &str = "REAL_TOPIC";
/// Original queue id of delayed and half messages.
pub const REAL_QID: &str = "REAL_QID";
/// `"true"` marks a transactional half message.
pub const TRAN_MSG: &str = "TRAN_MSG";
/// Producer group of a transactional message.
pub const PGROUP: &str = "PGROUP";
/// Queue min offset copied from a pull response (client side).
pub const MIN_OFFSET: &str = "MIN_OFFSET";
/// Queue max offset copied from a pull response (client side).
pub const MAX_OFFSET: &str = "MAX_OFFSET";
/// Buyer id (legacy).
pub const BUYER_ID: &str = "BUYER_ID";
/// msgId of the first delivery, kept through retries.
pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
/// Transfer flag (legacy).
pub const TRANSFER_FLAG: &str = "TRANSFER_FLAG";
/// Correction flag (legacy).
pub const CORRECTION_FLAG: &str = "CORRECTION_FLAG";
/// MQ2 flag (legacy).
pub const MQ2_FLAG: &str = "MQ2_FLAG";
/// Reconsume count when the client re-sends to a retry topic itself.
pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
/// Region of the broker (response ext field).
pub const MSG_REGION: &str = "MSG_REGION";
/// Trace switch (response ext field).
pub const TRACE_ON: &str = "TRACE_ON";
/// The client-generated unique message id (`UNIQ_CLIENT_MESSAGE_ID_KEYIDX`).
pub const UNIQ_KEY: &str = "UNIQ_KEY";
/// Extra unique info.
pub const EXTEND_UNIQ_INFO: &str = "EXTEND_UNIQ_INFO";
/// Maximum number of retries of a consumer.
pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
/// Consumer-side start of consumption (local bookkeeping).
pub const CONSUME_START_TIME: &str = "CONSUME_START_TIME";
/// Queue offset of the original half message when re-put for checking.
pub const TRAN_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
/// Number of transaction checks done on a half message.
pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
/// First-check delay for a half message, in seconds.
pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
/// Namespace instance id.
pub const INSTANCE_ID: &str = "INSTANCE_ID";
/// Request/reply correlation id.
pub const CORRELATION_ID: &str = "CORRELATION_ID";
/// Request/reply: client to reply to.
pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
/// Request/reply: time to live.
pub const TTL: &str = "TTL";
/// Request/reply: arrive time.
pub const ARRIVE_TIME: &str = "ARRIVE_TIME";
/// Request/reply: push reply time.
pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
/// Broker cluster name.
pub const CLUSTER: &str = "CLUSTER";
/// Request/reply: message type.
pub const MSG_TYPE: &str = "MSG_TYPE";
/// 5.x transaction id on half messages.
pub const TRANSACTION_ID: &str = "__transactionId__";
/// 5.x duplicate info.
pub const DUP_INFO: &str = "DUP_INFO";
/// 5.x inner batch: number of messages.
pub const INNER_NUM: &str = "INNER_NUM";
/// 5.x inner batch: base queue offset.
pub const INNER_BASE: &str = "INNER_BASE";
/// 5.x LMQ multi dispatch.
pub const INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
/// 5.x LMQ multi queue offsets.
pub const INNER_MULTI_QUEUE_OFFSET: &str = "INNER_MULTI_QUEUE_OFFSET";
/// Sharding key of an ordered message.
pub const SHARDING_KEY: &str = "__SHARDINGKEY";
/// 5.x property CRC appended by the broker.
pub const CRC32: &str = "__CRC32#";
/// 5.x pop checkpoint (stripped from incoming sends).
pub const POP_CK: &str = "POP_CK";
/// 5.x first pop time.
pub const FIRST_POP_TIME: &str = "1ST_POP_TIME";
/// 5.x born host.
pub const BORN_HOST: &str = "__BORNHOST";
/// 5.x born timestamp.
pub const BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";
/// 5.x DLQ origin topic.
pub const DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
/// 5.x DLQ origin message id.
pub const DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";
/// Trace context.
pub const TRACE_CONTEXT: &str = "TRACE_CONTEXT";
/// 5.x timer: absolute delivery time in ms.
pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
/// 5.x timer: delay in seconds.
pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
/// 5.x timer: delay in ms.
pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
/// Prefix of client-only properties that are never stored.
pub const TRANSIENT_PREFIX: &str = "__RMQ.TRANSIENT.";

/// Encodes pairs as `k 0x01 v 0x02` for each pair (every pair, the last
/// included, ends with 0x02), appending to `out`.
pub fn encode_properties_into<'a, I>(pairs: I, out: &mut String)
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    for (k, v) in pairs {
        out.push_str(k);
        out.push(NAME_VALUE_SEPARATOR);
        out.push_str(v);
        out.push(PROPERTY_SEPARATOR);
    }
}

/// Encodes pairs into a new properties string (see [`encode_properties_into`]).
pub fn encode_properties<'a, I>(pairs: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut s = String::new();
    encode_properties_into(pairs, &mut s);
    s
}

/// Calls `f(key, value)` for each pair Java's decoder keeps: split on 0x02
/// (a missing trailing separator is fine), keep entries of at least 3 chars
/// whose first 0x01 leaves a non-empty key and a non-empty value.
pub fn for_each_property<'a>(props: &'a str, mut f: impl FnMut(&'a str, &'a str)) {
    // Both separators are ASCII bytes, so byte searches find them (and
    // cut at char boundaries) without `char` pattern matching.
    let bytes = props.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == PROPERTY_SEPARATOR as u8)
            .map_or(bytes.len(), |i| start + i);
        let entry = &bytes[start..end];
        if entry.len() >= 3 {
            if let Some(i) = entry.iter().position(|&b| b == NAME_VALUE_SEPARATOR as u8) {
                if i > 0 && i + 1 < entry.len() {
                    f(&props[start..start + i], &props[start + i + 1..end]);
                }
            }
        }
        start = end + 1;
    }
}

/// Decodes a properties string into a map, as Java's
/// `MessageDecoder.string2messageProperties` (later duplicates win).
pub fn decode_properties(props: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for_each_property(props, |k, v| {
        map.insert(k.to_string(), v.to_string());
    });
    map
}

/// Finds one property in an encoded string without allocating (the last
/// occurrence wins, as in the decoded map).
pub fn find_property<'a>(props: &'a str, key: &str) -> Option<&'a str> {
    let mut found = None;
    for_each_property(props, |k, v| {
        if k == key {
            found = Some(v);
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_matches_reference_layout() {
        let s = encode_properties([(TAGS, "TagA"), (KEYS, "order-1 order-2"), (WAIT, "true")]);
        assert_eq!(
            s,
            "TAGS\u{1}TagA\u{2}KEYS\u{1}order-1 order-2\u{2}WAIT\u{1}true\u{2}"
        );
    }

    #[test]
    fn decode_is_lenient_like_java() {
        let m = decode_properties("A\u{1}1\u{2}B\u{1}\u{2}\u{1}x\u{2}C\u{1}3");
        assert_eq!(m.len(), 2);
        assert_eq!(m["A"], "1");
        assert_eq!(m["C"], "3");
        assert!(decode_properties("").is_empty());
        assert!(decode_properties("\u{2}\u{2}ab").is_empty());
        // A value may contain the name/value separator after the first one.
        assert_eq!(decode_properties("K\u{1}a\u{1}b\u{2}")["K"], "a\u{1}b");
    }

    proptest::proptest! {
        /// The byte search splits exactly as `str::split`/`find` on the
        /// separator chars would (any Unicode around them).
        #[test]
        fn byte_split_matches_char_split(props in "[a\u{1}\u{2}é€😀 ]{0,40}") {
            let mut ours = Vec::new();
            for_each_property(&props, |k, v| ours.push((k.to_owned(), v.to_owned())));
            let mut reference = Vec::new();
            for entry in props.split(PROPERTY_SEPARATOR) {
                if entry.len() < 3 {
                    continue;
                }
                if let Some(i) = entry.find(NAME_VALUE_SEPARATOR) {
                    if i > 0 && i + 1 < entry.len() {
                        reference.push((entry[..i].to_owned(), entry[i + 1..].to_owned()));
                    }
                }
            }
            proptest::prop_assert_eq!(ours, reference);
        }
    }

    #[test]
    fn find_property_takes_last() {
        let s = "TAGS\u{1}a\u{2}KEYS\u{1}k\u{2}TAGS\u{1}b\u{2}";
        assert_eq!(find_property(s, TAGS), Some("b"));
        assert_eq!(find_property(s, KEYS), Some("k"));
        assert_eq!(find_property(s, UNIQ_KEY), None);
    }

    #[test]
    fn round_trip() {
        let s = encode_properties([("a", "1"), ("bb", "x y"), ("c", "ü")]);
        let m = decode_properties(&s);
        assert_eq!(m.len(), 3);
        assert_eq!(m["c"], "ü");
    }
}
