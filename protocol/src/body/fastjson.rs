//! JSON as fastjson (the Java side) writes and reads it (PROTOCOL.md §16).
//!
//! Two quirks matter on the wire:
//! - fastjson writes maps with non-string keys with **bare** keys:
//!   `{"brokerAddrs":{0:"10.0.0.1:10911"}}`, and object keys as raw objects
//!   (`{{"brokerName":"a","queueId":0,"topic":"T"}:5}`). Neither is standard
//!   JSON, and Java clients older than 4.9.4 (and the Go client) expect the
//!   bare form for routes.
//! - clients that ask for standard JSON get quoted keys and every non-ASCII
//!   character escaped as `\uXXXX` (fastjson's `BrowserCompatible`).
//!
//! Writing: [`to_vec`] serializes any `serde::Serialize` value in either
//! [`JsonStyle`]; in [`JsonStyle::Fastjson`] a map key that serializes as an
//! integer is written bare, string keys stay quoted. Maps should be
//! `BTreeMap`s so that keys come out sorted, as fastjson's `MapSortField` does.
//!
//! Reading: [`from_slice`] parses standard JSON directly and otherwise runs
//! [`normalize`] first, which rewrites bare keys (`0:` → `"0":`), object or
//! array keys (`{...}:` → `"{...}":`, the key text as a string) and
//! single-quoted strings into standard JSON; serde then reads integer-keyed
//! maps from the quoted keys.

use std::borrow::Cow;
use std::io;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use super::BodyError;

/// How to write a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonStyle {
    /// fastjson's default: integer map keys bare, UTF-8 as is.
    #[default]
    Fastjson,
    /// Standard JSON: every key quoted, non-ASCII escaped as `\uXXXX`
    /// (what 4.9.4+ name servers send to clients announcing version >= 401).
    Standard,
}

/// Serializes `value` compactly in the given style.
pub fn to_vec<T: Serialize + ?Sized>(value: &T, style: JsonStyle) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::with_capacity(128);
    let formatter = JavaFormatter {
        style,
        key_depth: 0,
        key_quote_pending: false,
        key_bare: false,
    };
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut ser)
        .map_err(|e| BodyError::Json(e.to_string()))?;
    Ok(out)
}

/// A body type encoded as JSON: `to_json` writes fastjson's form,
/// `to_json_in` either style, `from_json` reads both.
///
/// Implemented by the body types whose maps have string or integer keys
/// only; serializing those cannot fail, so the writers return bytes.
pub trait JsonBody: Serialize + DeserializeOwned {
    /// Encodes in fastjson's default form (bare integer map keys).
    fn to_json(&self) -> Vec<u8> {
        self.to_json_in(JsonStyle::Fastjson)
    }

    /// Encodes in the given style.
    fn to_json_in(&self, style: JsonStyle) -> Vec<u8> {
        // Cannot fail for string/integer-keyed types; an empty body is the
        // conservative answer should an implementor break that rule.
        to_vec(self, style).unwrap_or_default()
    }

    /// Decodes from fastjson or standard JSON.
    fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        from_slice(bytes)
    }
}

/// [`to_vec`] as a `String`.
pub fn to_string<T: Serialize + ?Sized>(value: &T, style: JsonStyle) -> Result<String, BodyError> {
    let bytes = to_vec(value, style)?;
    String::from_utf8(bytes).map_err(|e| BodyError::Json(e.to_string()))
}

/// Parses a body written by fastjson or by a standard JSON writer.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(first) => {
            let text = std::str::from_utf8(bytes).map_err(|e| BodyError::Json(e.to_string()))?;
            let fixed = normalize(text);
            if matches!(fixed, Cow::Borrowed(_)) {
                return Err(BodyError::Json(first.to_string()));
            }
            serde_json::from_str(&fixed).map_err(|e| BodyError::Json(e.to_string()))
        }
    }
}

/// [`from_slice`] for text.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, BodyError> {
    from_slice(text.as_bytes())
}

/// Rewrites fastjson's lenient syntax into standard JSON: bare object keys
/// (`{0:"a"}`), object/array keys (`{{"a":1}:2}`, the key becomes the string
/// `"{\"a\":1}"`), and single-quoted strings. Text inside strings is never
/// touched. Returns the input unchanged (borrowed) when nothing needed fixing.
/// Malformed input is passed through as far as possible; the JSON parser that
/// runs next reports the error.
pub fn normalize(input: &str) -> Cow<'_, str> {
    let b = input.as_bytes();
    let mut out = String::new();
    let mut copied = 0; // input[..copied] is already in `out`
    let mut changed = false;
    // true = object, false = array
    let mut stack: Vec<bool> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let in_object = stack.last() == Some(&true);
        if expect_key && in_object && c != b'}' {
            expect_key = false;
            // A key: quoted keys pass through, everything else is quoted.
            let (end, replacement) = match c {
                b'"' => (skip_string(b, i), None),
                b'\'' => {
                    let end = skip_string(b, i);
                    (end, Some(requote(quoted_body(input, i, end))))
                }
                b'{' | b'[' => {
                    let end = skip_balanced(b, i);
                    (end, Some(quote(&input[i..end])))
                }
                _ => {
                    let mut end = i;
                    while end < b.len()
                        && b[end] != b':'
                        && !b[end].is_ascii_whitespace()
                        && b[end] != b','
                        && b[end] != b'}'
                    {
                        end += 1;
                    }
                    (end, Some(quote(&input[i..end])))
                }
            };
            if let Some(r) = replacement {
                out.push_str(&input[copied..i]);
                out.push_str(&r);
                copied = end;
                changed = true;
            }
            i = end.max(i + 1);
            continue;
        }
        match c {
            b'{' => {
                stack.push(true);
                expect_key = true;
                i += 1;
            }
            b'[' => {
                stack.push(false);
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
                i += 1;
            }
            b',' => {
                expect_key = in_object;
                i += 1;
            }
            b'"' => i = skip_string(b, i),
            b'\'' => {
                let end = skip_string(b, i);
                out.push_str(&input[copied..i]);
                out.push_str(&requote(quoted_body(input, i, end)));
                copied = end;
                changed = true;
                i = end;
            }
            _ => i += 1,
        }
    }
    if !changed {
        return Cow::Borrowed(input);
    }
    out.push_str(&input[copied..]);
    Cow::Owned(out)
}

/// Index just past the string starting at `b[start]` (a `"` or `'`).
fn skip_string(b: &[u8], start: usize) -> usize {
    let q = b[start];
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            x if x == q => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The text between the quotes of the string `input[start..end]`
/// (`end` is past the closing quote, or the end of an unterminated input).
fn quoted_body(input: &str, start: usize, end: usize) -> &str {
    let b = input.as_bytes();
    if end > start + 1 && b.get(end - 1) == Some(&b[start]) {
        &input[start + 1..end - 1]
    } else {
        &input[start + 1..end]
    }
}

/// Index just past the object/array starting at `b[start]`, strings respected.
fn skip_balanced(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                i = skip_string(b, i);
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// `raw` as a JSON string literal.
fn quote(raw: &str) -> String {
    serde_json::to_string(raw).unwrap_or_else(|_| String::from("\"\""))
}

/// The body of a single-quoted string as a double-quoted one: escapes pass
/// through except `\'`, and a bare `"` gets escaped.
fn requote(body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 2);
    s.push('"');
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\'') => s.push('\''),
                Some(n) => {
                    s.push('\\');
                    s.push(n);
                }
                None => s.push_str("\\\\"),
            },
            '"' => s.push_str("\\\""),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// A serde_json formatter that writes integer map keys bare (fastjson style)
/// or escapes non-ASCII (standard style).
///
/// serde_json writes a map key as `begin_object_key`, then for a string key
/// `begin_string`/fragments/`end_string`, for an integer key
/// `begin_string`/`write_i64`/`end_string`. The opening quote of a key is
/// held back until we see which one it is.
struct JavaFormatter {
    style: JsonStyle,
    /// > 0 while inside a map key.
    key_depth: u32,
    /// A key's opening quote has not been written yet.
    key_quote_pending: bool,
    /// The current key is an integer written bare.
    key_bare: bool,
}

impl JavaFormatter {
    /// Called before writing key content: decides quote vs bare.
    fn flush_key_quote<W: ?Sized + io::Write>(&mut self, w: &mut W, bare: bool) -> io::Result<()> {
        if self.key_quote_pending {
            self.key_quote_pending = false;
            if bare && self.style == JsonStyle::Fastjson {
                self.key_bare = true;
            } else {
                w.write_all(b"\"")?;
            }
        }
        Ok(())
    }
}

macro_rules! int_writer {
    ($name:ident, $t:ty) => {
        fn $name<W: ?Sized + io::Write>(&mut self, w: &mut W, value: $t) -> io::Result<()> {
            self.flush_key_quote(w, true)?;
            CompactFormatter.$name(w, value)
        }
    };
}

impl Formatter for JavaFormatter {
    int_writer!(write_i8, i8);
    int_writer!(write_i16, i16);
    int_writer!(write_i32, i32);
    int_writer!(write_i64, i64);
    int_writer!(write_u8, u8);
    int_writer!(write_u16, u16);
    int_writer!(write_u32, u32);
    int_writer!(write_u64, u64);

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.key_depth += 1;
        CompactFormatter.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.key_depth = self.key_depth.saturating_sub(1);
        CompactFormatter.end_object_key(w)
    }

    fn begin_string<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.key_depth > 0 && !self.key_quote_pending {
            self.key_quote_pending = true;
            self.key_bare = false;
            return Ok(());
        }
        w.write_all(b"\"")
    }

    fn end_string<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        // An empty key string: the pending quote was never written.
        self.flush_key_quote(w, false)?;
        if self.key_bare {
            self.key_bare = false;
            return Ok(());
        }
        w.write_all(b"\"")
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        self.flush_key_quote(w, false)?;
        if self.style == JsonStyle::Fastjson || fragment.is_ascii() {
            return w.write_all(fragment.as_bytes());
        }
        let mut units = [0u16; 2];
        for c in fragment.chars() {
            if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                for u in c.encode_utf16(&mut units).iter() {
                    write!(w, "\\u{u:04x}")?;
                }
            }
        }
        Ok(())
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        self.flush_key_quote(w, false)?;
        CompactFormatter.write_char_escape(w, escape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct S {
        addrs: BTreeMap<i64, String>,
        names: BTreeMap<String, i32>,
    }

    fn sample() -> S {
        S {
            addrs: [(0, "a:1".to_owned()), (1, "b:2".to_owned())].into(),
            names: [
                ("x\"y".to_owned(), 1),
                ("日本".to_owned(), 2),
                ("".to_owned(), 3),
            ]
            .into(),
        }
    }

    #[test]
    fn fastjson_writes_bare_integer_keys_only() {
        let s = to_string(&sample(), JsonStyle::Fastjson).unwrap();
        assert_eq!(
            s,
            r#"{"addrs":{0:"a:1",1:"b:2"},"names":{"":3,"x\"y":1,"日本":2}}"#
        );
        assert_eq!(from_str::<S>(&s).unwrap(), sample());
    }

    #[test]
    fn standard_quotes_keys_and_escapes_non_ascii() {
        let s = to_string(&sample(), JsonStyle::Standard).unwrap();
        assert_eq!(
            s,
            r#"{"addrs":{"0":"a:1","1":"b:2"},"names":{"":3,"x\"y":1,"\u65e5\u672c":2}}"#
        );
        assert_eq!(from_str::<S>(&s).unwrap(), sample());
        let emoji = to_string("😀", JsonStyle::Standard).unwrap();
        assert_eq!(emoji, r#""\ud83d\ude00""#);
    }

    #[test]
    fn normalize_quotes_bare_keys_outside_strings() {
        assert_eq!(
            normalize(r#"{"a":{0:"x",1 : "y"}}"#),
            r#"{"a":{"0":"x","1" : "y"}}"#
        );
        // text inside strings that looks like a bare key stays as is
        let s = r#"{"k":"{0:\"x\"}, 1:2","l":[{3:4}]}"#;
        assert_eq!(normalize(s), r#"{"k":"{0:\"x\"}, 1:2","l":[{"3":4}]}"#);
        assert!(matches!(normalize(r#"{"a":[1,2,{}]}"#), Cow::Borrowed(_)));
        assert_eq!(normalize("{name:'it'}"), r#"{"name":"it"}"#);
        assert_eq!(normalize(r#"{'a':'x"y\'z'}"#), r#"{"a":"x\"y'z"}"#);
    }

    #[test]
    fn normalize_turns_object_keys_into_strings() {
        let s = r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"x":1}}}"#;
        let v: serde_json::Value = from_str(s).unwrap();
        let table = v["offsetTable"].as_object().unwrap();
        let key = table.keys().next().unwrap();
        assert_eq!(key, r#"{"brokerName":"b","queueId":0,"topic":"T"}"#);
        assert_eq!(table[key]["x"], 1);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in [
            "{0:",
            "{'abc",
            "{{{{",
            "}}]]",
            "{\"a\":'",
            "{0:\"a\",",
            "\u{1}",
            "{é:1}",
        ] {
            let _ = from_str::<serde_json::Value>(bad);
        }
        assert!(from_str::<S>("{0:").is_err());
        assert_eq!(from_str::<BTreeMap<String, i32>>("{é:1}").unwrap()["é"], 1);
    }
}
