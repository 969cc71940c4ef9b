//! JSON header serialization (serialize type 0), as fastjson writes it and
//! as real clients send it.
//!
//! Decoding is lenient the way the Java broker is: fields in any order,
//! unknown fields ignored, `language` as a name or a number, extFields values
//! as strings, numbers or booleans, `remark` null or absent, trailing
//! whitespace after the object. Encoding writes fields in fastjson's
//! alphabetical order, omits null fields and writes every extFields value as a
//! JSON string (the Go client requires strings).

use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::command::{LanguageCode, RemotingCommand, SerializeType};
use crate::ext::ExtFields;

/// The header fields as parsed from JSON.
#[derive(Deserialize)]
struct JsonHeader {
    #[serde(default)]
    code: i32,
    #[serde(default)]
    language: Option<Language>,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    opaque: i32,
    #[serde(default)]
    flag: i32,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default, rename = "extFields")]
    ext_fields: Option<ExtMap>,
}

struct Language(LanguageCode);

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Language;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a language name or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Language, E> {
                Ok(Language(LanguageCode::from_name(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Language, E> {
                Ok(Language(LanguageCode::from_code(v.min(255) as u8)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Language, E> {
                Ok(Language(LanguageCode::from_code(v.clamp(0, 255) as u8)))
            }
        }
        d.deserialize_any(V)
    }
}

struct ExtMap(ExtFields);

/// One extFields value, stringified as fastjson would coerce it.
struct ExtValue(Option<String>);

impl<'de> Deserialize<'de> for ExtValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ExtValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ExtValue, E> {
                Ok(ExtValue(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<ExtValue, E> {
                Ok(ExtValue(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ExtMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExtMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExtMap, A::Error> {
                let mut ext = ExtFields::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<String>()? {
                    if let ExtValue(Some(v)) = map.next_value::<ExtValue>()? {
                        ext.push_decoded(key, v);
                    }
                }
                Ok(ExtMap(ext))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ExtMap, E> {
                Ok(ExtMap(ExtFields::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses a JSON header into a command without a body.
pub(crate) fn decode(src: &[u8]) -> Result<RemotingCommand, serde_json::Error> {
    // serde would also read a struct from a JSON array by position; a header
    // is always an object, so anything else is malformed.
    if src.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(de::Error::custom("a JSON header must be an object"));
    }
    let h: JsonHeader = serde_json::from_slice(src)?;
    Ok(RemotingCommand {
        code: h.code,
        language: h.language.map(|l| l.0).unwrap_or_default(),
        version: h.version,
        opaque: h.opaque,
        flag: h.flag,
        remark: h.remark,
        ext_fields: h.ext_fields.map(|e| e.0).unwrap_or_default(),
        body: bytes::Bytes::new(),
        serialize_type: SerializeType::Json,
    })
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

/// Writes `s` as a JSON string literal with the escapes JSON requires.
fn put_str(dst: &mut BytesMut, s: &str) {
    dst.put_u8(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        dst.put_slice(&bytes[start..i]);
        match esc {
            Some(e) => dst.put_slice(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                dst.put_slice(b"\\u00");
                dst.put_u8(HEX[(b >> 4) as usize]);
                dst.put_u8(HEX[(b & 0xf) as usize]);
            }
        }
        start = i + 1;
    }
    dst.put_slice(&bytes[start..]);
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
}
