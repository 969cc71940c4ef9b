//! JSON header serialization (serialize type 0), as fastjson writes it and
//! as real clients send it.
//!
//! Decoding is lenient the way the Java broker is: fields in any order,
//! unknown fields ignored, `language` as a name or a number, extFields values
//! as strings, numbers or booleans, `remark` null or absent, trailing
//! whitespace after the object. Encoding writes fields in fastjson's
//! alphabetical order, omits null fields and writes every extFields value as a
//! JSON string (the Go client requires strings).

use bytes::{BufMut, BytesMut};

use crate::command::{LanguageCode, RemotingCommand, SerializeType};
use crate::ext::ExtFields;
use crate::json_scan::{Literal, Scanner};

/// Field slots an extFields map starts with (a send header has about a dozen).
const EXT_FIELDS_HINT: usize = 16;

/// Parses a JSON header into a command without a body.
///
/// One pass over the text with a hand-written scanner: the extFields keys
/// and values are unescaped straight into the map's single text buffer, so
/// a header costs two allocations (plus the remark) however many fields it
/// carries.
pub(crate) fn decode(src: &[u8]) -> Result<RemotingCommand, serde_json::Error> {
    let text = std::str::from_utf8(src).map_err(|e| {
        <serde_json::Error as serde::de::Error>::custom(format!(
            "the JSON header is not UTF-8: {e}"
        ))
    })?;
    if let Some(cmd) = Compact::new(text).decode() {
        return Ok(cmd);
    }
    decode_general(text)
}

/// The lenient decoder: any whitespace, field types and order.
fn decode_general(text: &str) -> Result<RemotingCommand, serde_json::Error> {
    let mut s = Scanner::new(text);
    // A header is always an object (serde would also read a struct from an
    // array by position; Java never sends one).
    if s.peek() != Some(b'{') {
        return Err(s.err("a JSON header must be an object"));
    }
    s.expect(b'{')?;
    let mut cmd = RemotingCommand {
        serialize_type: SerializeType::Json,
        ..Default::default()
    };
    if !s.eat(b'}') {
        loop {
            let key = s.string()?;
            s.expect(b':')?;
            match &*key {
                "code" => cmd.code = int_value(&mut s)?,
                "version" => cmd.version = int_value(&mut s)?,
                "opaque" => cmd.opaque = int_value(&mut s)?,
                "flag" => cmd.flag = int_value(&mut s)?,
                "language" => cmd.language = language_value(&mut s)?,
                "remark" => cmd.remark = remark_value(&mut s)?,
                "extFields" => cmd.ext_fields = ext_value(&mut s, text)?,
                _ => {
                    s.skip_value()?;
                }
            }
            if s.eat(b',') {
                continue;
            }
            s.expect(b'}')?;
            break;
        }
    }
    if !s.at_end() {
        return Err(s.err("trailing characters after the JSON header"));
    }
    Ok(cmd)
}

/// The decoder of the header shape every known client writes (fastjson,
/// the Go and Rust clients, our own encoder): no whitespace, keys without
/// escapes, integer `code`/`flag`/`opaque`/`version`, a string `language`,
/// string extFields values. One pass without the general scanner's
/// per-token checks.
///
/// It gives up (`None`) at the first byte outside that shape, and the
/// general decoder then reads the header from the start; so whatever it
/// accepts, the general decoder reads the same way.
struct Compact<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Compact<'a> {
    fn new(text: &'a str) -> Self {
        Compact { text, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// Consumes `b` if it is the next byte.
    fn eat(&mut self, b: u8) -> bool {
        if self.bytes().get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// A string without escapes, as a range of the text.
    fn plain_string(&mut self) -> Option<std::ops::Range<usize>> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        let end = crate::json_scan::quote_or_backslash(self.bytes(), start);
        if self.bytes().get(end) != Some(&b'"') {
            return None;
        }
        self.pos = end + 1;
        Some(start..end)
    }

    /// `-?[0-9]+` that fits an i32 and is not followed by a fraction or
    /// an exponent.
    fn int(&mut self) -> Option<i32> {
        let b = self.bytes();
        let neg = self.eat(b'-');
        let start = self.pos;
        let mut v: i64 = 0;
        while let Some(&d) = b.get(self.pos).filter(|d| d.is_ascii_digit()) {
            v = v * 10 + (d - b'0') as i64;
            if v > i32::MAX as i64 + 1 {
                return None;
            }
            self.pos += 1;
        }
        if self.pos == start || matches!(b.get(self.pos), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        i32::try_from(if neg { -v } else { v }).ok()
    }

    fn decode(mut self) -> Option<RemotingCommand> {
        let mut cmd = RemotingCommand {
            serialize_type: SerializeType::Json,
            ..Default::default()
        };
        if !self.eat(b'{') {
            return None;
        }
        if !self.eat(b'}') {
            loop {
                let key = self.plain_string()?;
                if !self.eat(b':') {
                    return None;
                }
                match &self.bytes()[key] {
                    b"code" => cmd.code = self.int()?,
                    b"version" => cmd.version = self.int()?,
                    b"opaque" => cmd.opaque = self.int()?,
                    b"flag" => cmd.flag = self.int()?,
                    b"language" => {
                        let name = self.plain_string()?;
                        cmd.language = LanguageCode::from_name(&self.text[name]);
                    }
                    b"extFields" => cmd.ext_fields = self.ext()?,
                    b"remark" => return None,
                    // serializeTypeCurrentRPC and the like.
                    _ => {
                        self.plain_string()?;
                    }
                }
                if self.eat(b',') {
                    continue;
                }
                if !self.eat(b'}') {
                    return None;
                }
                break;
            }
        }
        (self.pos == self.text.len()).then_some(cmd)
    }

    /// An extFields object of string values (escapes allowed in values).
    fn ext(&mut self) -> Option<ExtFields> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(ExtFields::new());
        }
        let mut ext = ExtFields::over_text(self.text, EXT_FIELDS_HINT);
        loop {
            let key = self.plain_string()?;
            if !self.eat(b':') {
                return None;
            }
            if self.bytes().get(self.pos) != Some(&b'"') {
                return None;
            }
            let mut s = Scanner::at(self.text, self.pos);
            let value = s.string_span(ext.text_mut()).ok()?;
            self.pos = s.pos();
            ext.add_decoded(key, value);
            if self.eat(b',') {
                continue;
            }
            if !self.eat(b'}') {
                return None;
            }
            return Some(ext);
        }
    }
}

/// An i32 field: a JSON integer (or, leniently, a string holding one, or
/// null for 0).
fn int_value(s: &mut Scanner<'_>) -> Result<i32, serde_json::Error> {
    match s.peek() {
        Some(b'"') => {
            let v = s.string()?;
            v.trim().parse().map_err(|_| s.err("expected an integer"))
        }
        Some(b'n') => match s.literal()? {
            Literal::Null => Ok(0),
            _ => Err(s.err("expected an integer")),
        },
        _ => s
            .number()?
            .parse()
            .map_err(|_| s.err("expected a 32-bit integer")),
    }
}

/// `language`: Java's enum name, or its ordinal (the Go client), or null.
fn language_value(s: &mut Scanner<'_>) -> Result<LanguageCode, serde_json::Error> {
    match s.peek() {
        Some(b'"') => Ok(LanguageCode::from_name(&s.string()?)),
        Some(b'n') => match s.literal()? {
            Literal::Null => Ok(LanguageCode::default()),
            _ => Err(s.err("expected a language name or number")),
        },
        _ => {
            let n: i64 = s
                .number()?
                .parse()
                .map_err(|_| s.err("expected a language name or number"))?;
            Ok(LanguageCode::from_code(n.clamp(0, 255) as u8))
        }
    }
}

/// `remark`: a string or null.
fn remark_value(s: &mut Scanner<'_>) -> Result<Option<String>, serde_json::Error> {
    match s.peek() {
        Some(b'"') => Ok(Some(s.string()?.into_owned())),
        _ => match s.literal()? {
            Literal::Null => Ok(None),
            _ => Err(s.err("expected a string remark")),
        },
    }
}

/// `extFields`: an object whose values are strings, numbers or booleans
/// (stored as their text, as fastjson coerces them); null values are
/// dropped, nested values kept as their JSON text. Null is an empty map.
///
/// The map's text begins with a copy of the whole header (`text`, which the
/// scanner reads): keys and values without escapes are ranges of it, only
/// unescaped strings are appended.
fn ext_value(s: &mut Scanner<'_>, text: &str) -> Result<ExtFields, serde_json::Error> {
    if s.peek() == Some(b'n') {
        return match s.literal()? {
            Literal::Null => Ok(ExtFields::new()),
            _ => Err(s.err("expected an extFields object")),
        };
    }
    s.expect(b'{')?;
    if s.eat(b'}') {
        return Ok(ExtFields::new());
    }
    let mut ext = ExtFields::over_text(text, EXT_FIELDS_HINT);
    loop {
        let key = s.string_span(ext.text_mut())?;
        s.expect(b':')?;
        let value = match s.peek() {
            Some(b'"') => Some(s.string_span(ext.text_mut())?),
            Some(b't' | b'f' | b'n') => {
                let from = s.pos();
                match s.literal()? {
                    Literal::True | Literal::False => Some(from..s.pos()),
                    Literal::Null => None,
                }
            }
            _ => {
                let raw = s.skip_value()?;
                let end = s.pos();
                Some(end - raw.len()..end)
            }
        };
        if let Some(value) = value {
            ext.add_decoded(key, value);
        }
        if s.eat(b',') {
            continue;
        }
        s.expect(b'}')?;
        return Ok(ext);
    }
}

/// Appends `cmd`'s header as JSON to `dst`.
pub(crate) fn encode(cmd: &RemotingCommand, dst: &mut BytesMut) {
    dst.put_slice(b"{\"code\":");
    put_int(dst, cmd.code as i64);
    if !cmd.ext_fields.is_empty() {
        dst.put_slice(b",\"extFields\":{");
        for (i, (k, v)) in cmd.ext_fields.iter().enumerate() {
            if i > 0 {
                dst.put_u8(b',');
            }
            put_str(dst, k);
            dst.put_u8(b':');
            put_str(dst, v);
        }
        dst.put_u8(b'}');
    }
    dst.put_slice(b",\"flag\":");
    put_int(dst, cmd.flag as i64);
    dst.put_slice(b",\"language\":\"");
    dst.put_slice(cmd.language.name().as_bytes());
    dst.put_slice(b"\",\"opaque\":");
    put_int(dst, cmd.opaque as i64);
    if let Some(remark) = &cmd.remark {
        dst.put_slice(b",\"remark\":");
        put_str(dst, remark);
    }
    dst.put_slice(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    put_int(dst, cmd.version as i64);
    dst.put_u8(b'}');
}

fn put_int(dst: &mut BytesMut, v: i64) {
    let buf = itoa_buf(v);
    dst.put_slice(buf.digits());
}

/// Formats an integer without allocating.
struct IntText {
    buf: [u8; 20],
    start: usize,
}

impl IntText {
    fn digits(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(v: i64) -> IntText {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    IntText { buf, start: i }
}

/// Index of the first byte at or after `from` that a JSON string must
/// escape (a control character, `"` or `\\`), `b.len()` if none; eight
/// bytes at a time, as most header text needs no escape.
fn first_to_escape(b: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // Some byte < 0x20 (exact as an "any" test; bytes >= 0x80 never hit).
        let ctl = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let eq = |c: u8| {
            let y = x ^ (ONES * c as u64);
            y.wrapping_sub(ONES) & !y & HIGHS
        };
        if ctl | eq(b'"') | eq(b'\\') != 0 {
            break;
        }
        i += 8;
    }
    while i < b.len() && b[i] >= 0x20 && b[i] != b'"' && b[i] != b'\\' {
        i += 1;
    }
    i
}

/// Writes `s` as a JSON string literal with the escapes JSON requires:
/// runs that need none are copied whole.
fn put_str(dst: &mut BytesMut, s: &str) {
    dst.put_u8(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        let i = first_to_escape(bytes, start);
        dst.put_slice(&bytes[start..i]);
        let Some(&b) = bytes.get(i) else {
            break;
        };
        match b {
            b'"' => dst.put_slice(b"\\\""),
            b'\\' => dst.put_slice(b"\\\\"),
            b'\n' => dst.put_slice(b"\\n"),
            b'\r' => dst.put_slice(b"\\r"),
            b'\t' => dst.put_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                dst.put_slice(b"\\u00");
                dst.put_u8(HEX[(b >> 4) as usize]);
                dst.put_u8(HEX[(b & 0xf) as usize]);
            }
        }
        start = i + 1;
    }
    dst.put_u8(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_real_java_header() {
        let h = br#"{"code":105,"extFields":{"topic":"TBW102"},"flag":0,"language":"JAVA","opaque":1,"serializeTypeCurrentRPC":"JSON","version":401}"#;
        let c = decode(h).unwrap();
        assert_eq!(c.code, 105);
        assert_eq!(c.ext_fields.get("topic"), Some("TBW102"));
        assert_eq!(c.version, 401);
        assert_eq!(c.language, LanguageCode::Java);
    }

    #[test]
    fn lenient_values_and_trailing_newline() {
        let h = b"{\"code\":10,\"language\":9,\"extFields\":{\"a\":1,\"b\":true,\"c\":null,\"d\":1.5},\"remark\":null,\"x\":[1]}\n";
        let c = decode(h).unwrap();
        assert_eq!(c.language, LanguageCode::Go);
        assert_eq!(c.ext_fields.get("a"), Some("1"));
        assert_eq!(c.ext_fields.get("b"), Some("true"));
        assert_eq!(c.ext_fields.get("c"), None);
        assert_eq!(c.ext_fields.get("d"), Some("1.5"));
        assert_eq!(c.remark, None);
        let c = decode(br#"{"code":1,"language":"KLINGON"}"#).unwrap();
        assert_eq!(c.language, LanguageCode::Other);
        assert!(decode(b"[1,2,3]").is_err());
        assert!(decode(b" 7").is_err());
    }

    #[test]
    fn encode_round_trips_with_escapes() {
        let mut c = RemotingCommand::new_request(310);
        c.opaque = -7;
        c.remark = Some("line\n\"quoted\"".into());
        c.ext_fields.put("p", "KEYS\u{1}k1\u{2}TAGS\u{1}t\u{2}");
        let mut out = BytesMut::new();
        encode(&c, &mut out);
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.contains("\\u0001"));
        assert!(text.starts_with("{\"code\":310,\"extFields\""));
        let back = decode(&out).unwrap();
        assert_eq!(back.code, 310);
        assert_eq!(back.opaque, -7);
        assert_eq!(back.remark, c.remark);
        assert_eq!(back.ext_fields, c.ext_fields);
    }

    #[test]
    fn nested_duplicate_and_malformed() {
        // Duplicate keys: the last wins, as in Java's HashMap.
        let h = br#"{"code":1,"extFields":{"k":"a","n":{"x":[1,"]"]},"k":"b"},"unknown":{"deep":[[{}]]}}"#;
        let c = decode(h).unwrap();
        assert_eq!(c.ext_fields.get("k"), Some("b"));
        assert_eq!(c.ext_fields.get("n"), Some(r#"{"x":[1,"]"]}"#));
        assert_eq!(c.ext_fields.len(), 2);
        let c = decode(br#"{"code":"12","opaque":null,"extFields":null,"remark":"r"}"#).unwrap();
        assert_eq!((c.code, c.opaque, c.remark.as_deref()), (12, 0, Some("r")));
        assert!(c.ext_fields.is_empty());
        for bad in [
            &br#"{"code":1.5}"#[..],
            br#"{"code":99999999999}"#,
            br#"{"code":1,}"#,
            br#"{"code":1} x"#,
            br#"{"code" 1}"#,
            br#"{"extFields":{"a":}}"#,
            br#"{"extFields":{"a":"b"}"#,
            br#"{"remark":7}"#,
            b"{\"a\xff\":1}",
            b"",
        ] {
            assert!(decode(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn compact_shape_takes_the_fast_path_and_others_fall_back() {
        let h = br#"{"code":310,"extFields":{"a":"g","i":"K\u0001v\u0002"},"flag":0,"language":"JAVA","opaque":-3,"serializeTypeCurrentRPC":"JSON","version":479}"#;
        let text = std::str::from_utf8(h).unwrap();
        let fast = Compact::new(text).decode().expect("compact shape");
        assert_eq!(fast, decode_general(text).unwrap());
        assert_eq!(fast.ext_fields.get("i"), Some("K\u{1}v\u{2}"));
        assert_eq!(fast.opaque, -3);
        for other in [
            r#"{ "code":1}"#,
            r#"{"code":1} "#,
            r#"{"code":"1"}"#,
            r#"{"code":1.0}"#,
            r#"{"code":2147483648}"#,
            r#"{"remark":"r","code":1}"#,
            r#"{"extFields":{"a":1}}"#,
            r#"{"extFields":null}"#,
            r#"{"language":9}"#,
            r#"{"k\u0041":1}"#,
        ] {
            assert!(Compact::new(other).decode().is_none(), "{other}");
        }
    }

    /// The bytes that steer a JSON parser, for the mutation test.
    const STEERING: &[u8] = b" \t\"\\,:{}[]0123456789-.eEntfulrsa";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever the fast path accepts, the general decoder reads the
        /// same way: checked on one-byte edits of real headers.
        #[test]
        fn compact_agrees_with_general(
            pairs in proptest::collection::vec(("[a-n]|[a-zA-Z_]{2,12}", "\\PC{0,20}|[\\x00-\\x1f\"\\\\]{0,3}"), 0..14),
            opaque in proptest::prelude::any::<i32>(),
            edits in proptest::collection::vec((proptest::prelude::any::<usize>(), 0..STEERING.len(), 0..3u8), 0..3),
        ) {
            let mut c = RemotingCommand::new_request(310);
            c.opaque = opaque;
            for (k, v) in &pairs {
                c.ext_fields.put_str(k, v);
            }
            let mut out = BytesMut::new();
            encode(&c, &mut out);
            let text = std::str::from_utf8(&out).unwrap();
            let fast = Compact::new(text).decode();
            proptest::prop_assert_eq!(fast.as_ref(), Some(&c));
            let mut bytes = out.to_vec();
            for (at, b, op) in edits {
                let at = at % (bytes.len() + 1);
                match op {
                    0 => bytes.insert(at, STEERING[b]),
                    1 if at < bytes.len() => bytes[at] = STEERING[b],
                    _ if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {}
                }
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if let Some(fast) = Compact::new(text).decode() {
                    proptest::prop_assert_eq!(Some(fast), decode_general(text).ok());
                }
            }
        }

        /// Whatever we encode decodes to the same command, and serde_json
        /// reads our text the same way our decoder does.
        #[test]
        fn round_trip_any_text(
            pairs in proptest::collection::vec(("\\PC{0,12}", "\\PC{0,40}|[\\x00-\\x1f\"\\\\]{0,4}"), 0..12),
            remark in proptest::option::of("\\PC{0,30}"),
            opaque in proptest::prelude::any::<i32>(),
        ) {
            let mut c = RemotingCommand::new_request(310);
            c.opaque = opaque;
            c.remark = remark;
            for (k, v) in &pairs {
                c.ext_fields.put_str(k, v);
            }
            let mut out = BytesMut::new();
            encode(&c, &mut out);
            let back = decode(&out).unwrap();
            proptest::prop_assert_eq!(&back, &c);
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let ext = v.get("extFields").and_then(|e| e.as_object());
            for (k, val) in c.ext_fields.iter() {
                let theirs = ext.and_then(|e| e.get(k)).and_then(|x| x.as_str());
                proptest::prop_assert_eq!(theirs, Some(val));
            }
        }
    }
}
