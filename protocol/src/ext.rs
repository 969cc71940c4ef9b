//! The "custom header" of a command (`extFields`) and typed headers.
//!
//! On the wire every header field is a string keyed by its Java field name.
//! [`ExtFields`] keeps them in arrival order (a header has a handful of
//! fields, so a linear scan beats hashing); the last value written for a key
//! wins, as in Java's `HashMap`. All keys and values live back to back in one
//! string, so decoding a header costs two allocations however many fields it
//! has, and reading a field borrows from it.

use std::fmt::{self, Display, Write as _};
use std::ops::Range;
use std::str::FromStr;

/// Why a typed header could not be read from a command's extFields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A field the request must carry (Java `@CFNotNull`) is absent.
    #[error("the custom header field '{0}' is missing")]
    Missing(&'static str),
    /// A field is present but does not parse as its type.
    #[error("the custom header field '{field}' has an invalid value '{value}'")]
    Invalid {
        /// Java field name.
        field: &'static str,
        /// The text that failed to parse.
        value: String,
    },
}

/// Where one field's key and value lie in [`ExtFields`]' text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    key_start: u32,
    key_end: u32,
    value_start: u32,
    value_end: u32,
}

impl Span {
    fn key(&self) -> Range<usize> {
        self.key_start as usize..self.key_end as usize
    }

    fn value(&self) -> Range<usize> {
        self.value_start as usize..self.value_end as usize
    }
}

/// Replaced values leave dead text behind; past this many dead bytes (and
/// more dead than live) the text is compacted.
const COMPACT_AFTER: usize = 1024;

/// The `extFields` map of a command: string keys to string values, in order.
///
/// Invariant: keys are unique; [`ExtFields::put`] replaces an existing value.
/// Every key and value is a range of `text` (on char boundaries); `dead`
/// counts the bytes of `text` no field refers to any more; `key_bits` has
/// the [`key_bit`] of every key present (and maybe of removed ones), so a
/// key whose bit is clear is certainly absent.
#[derive(Clone, Default)]
pub struct ExtFields {
    text: String,
    fields: Vec<Span>,
    dead: usize,
    key_bits: u64,
}

/// A one-bit summary of a key (length and end bytes), for rejecting absent
/// keys and ruling out duplicates without comparing strings.
fn key_bit(key: &[u8]) -> u64 {
    let (first, last) = match key {
        [] => (0, 0),
        [f, .., l] => (*f as u64, *l as u64),
        // One-letter keys (the V2 send header's) get a bit each.
        [f] => return 1 << (f & 63),
    };
    let h = first | last << 8 | (key.len() as u64) << 16;
    // Fibonacci hashing: the top 6 bits of the product pick the bit.
    1 << (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

impl fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ExtFields {}

impl ExtFields {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `n` fields.
    pub fn with_capacity(n: usize) -> Self {
        ExtFields {
            text: String::with_capacity(n * 16),
            fields: Vec::with_capacity(n),
            dead: 0,
            key_bits: 0,
        }
    }

    /// An empty map with room for `n` fields of `text_bytes` bytes in all.
    pub fn with_capacity_and_text(n: usize, text_bytes: usize) -> Self {
        ExtFields {
            text: String::with_capacity(text_bytes),
            fields: Vec::with_capacity(n),
            dead: 0,
            key_bits: 0,
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn key_of(&self, s: &Span) -> &str {
        self.text.get(s.key()).unwrap_or_default()
    }

    fn value_of(&self, s: &Span) -> &str {
        self.text.get(s.value()).unwrap_or_default()
    }

    /// Index of the field named `key`. Keys are mostly a few bytes (the V2
    /// send header's are one letter), so length and first byte reject
    /// almost every other key before a full comparison.
    fn position(&self, key: &str) -> Option<usize> {
        let want = key.as_bytes();
        if self.key_bits & key_bit(want) == 0 {
            return None;
        }
        let text = self.text.as_bytes();
        self.fields.iter().position(|s| {
            (s.key_end - s.key_start) as usize == want.len()
                && text
                    .get(s.key())
                    .is_some_and(|k| k.first() == want.first() && k == want)
        })
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.value_of(&self.fields[i]))
    }

    /// Sets `key` to `value` (replacing any earlier value). The value is
    /// formatted straight into the map's text.
    pub fn put(&mut self, key: impl AsRef<str>, value: impl Display) {
        let key = key.as_ref();
        let start = self.text.len();
        // Writing into a String cannot fail.
        let _ = write!(self.text, "{value}");
        self.set_value_from(key, start);
    }

    /// Sets `key` to the decimal text of `value`, without going through
    /// `fmt` (the send path writes several numbers per request).
    pub fn put_int(&mut self, key: &str, value: i64) {
        let start = self.text.len();
        push_int(&mut self.text, value);
        self.set_value_from(key, start);
    }

    /// Sets `key` to `value` when `value` is `Some`; Java omits null fields.
    pub fn put_opt<V: Display>(&mut self, key: &str, value: Option<V>) {
        if let Some(v) = value {
            self.put(key, v);
        }
    }

    /// Sets `key` to an owned string without formatting.
    pub fn put_string(&mut self, key: String, value: String) {
        self.put_str(&key, &value);
    }

    /// Sets `key` to `value` without formatting (no allocation beyond the
    /// map's own text).
    pub fn put_str(&mut self, key: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.set_value_from(key, start);
    }

    /// Makes `text[start..]` the value of `key`.
    fn set_value_from(&mut self, key: &str, start: usize) {
        let end = self.text.len();
        match self.position(key) {
            Some(i) => {
                let old = self.fields[i];
                self.dead += (old.value_end - old.value_start) as usize;
                self.fields[i].value_start = start as u32;
                self.fields[i].value_end = end as u32;
                self.maybe_compact();
            }
            None => {
                self.text.push_str(key);
                self.key_bits |= key_bit(key.as_bytes());
                self.fields.push(Span {
                    key_start: end as u32,
                    key_end: self.text.len() as u32,
                    value_start: start as u32,
                    value_end: end as u32,
                });
            }
        }
    }

    /// A map whose text starts with a copy of `source` (a whole JSON
    /// header): a decoder registers fields that need no unescaping as
    /// ranges of it with [`Self::add_decoded`], and appends the rest with
    /// [`Self::text_mut`]. One copy of the header instead of one per string.
    pub(crate) fn over_text(source: &str, fields: usize) -> Self {
        let mut text = String::with_capacity(source.len() + 64);
        text.push_str(source);
        ExtFields {
            text,
            fields: Vec::with_capacity(fields),
            dead: 0,
            key_bits: 0,
        }
    }

    /// The text, for decoders: they append unescaped strings to it and
    /// register fields with [`Self::add_decoded`].
    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    /// Registers `text[key_start..key_end]` as a key and
    /// `text[key_end..]` as its value (a repeated key replaces the older
    /// value).
    pub(crate) fn end_decoded(&mut self, key_start: usize, key_end: usize) {
        let end = self.text.len();
        self.add_decoded(key_start..key_end, key_end..end);
    }

    /// Registers the field `text[key]` = `text[value]`; both ranges lie on
    /// char boundaries of the text. A repeated key replaces the older value.
    pub(crate) fn add_decoded(&mut self, key: Range<usize>, value: Range<usize>) {
        let span = Span {
            key_start: key.start as u32,
            key_end: key.end as u32,
            value_start: value.start as u32,
            value_end: value.end as u32,
        };
        let dup = self.position(self.key_of(&span));
        match dup {
            Some(i) => {
                let old = self.fields[i];
                self.dead +=
                    (old.key_end - old.key_start + old.value_end - old.value_start) as usize;
                self.fields.remove(i);
                self.fields.push(span);
                self.maybe_compact();
            }
            None => {
                self.key_bits |= key_bit(self.key_of(&span).as_bytes());
                self.fields.push(span);
            }
        }
    }

    /// Appends a pair read from the wire; a repeated key replaces the older value.
    pub(crate) fn push_decoded(&mut self, key: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(key);
        let key_end = self.text.len();
        self.text.push_str(value);
        self.end_decoded(start, key_end);
    }

    fn maybe_compact(&mut self) {
        if self.dead > COMPACT_AFTER && self.dead * 2 > self.text.len() {
            let mut fresh =
                ExtFields::with_capacity_and_text(self.fields.len(), self.text.len() - self.dead);
            for (k, v) in self.iter() {
                fresh.push_decoded(k, v);
            }
            *self = fresh;
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.position(key)?;
        let s = self.fields.remove(i);
        self.dead += (s.key_end - s.key_start + s.value_end - s.value_start) as usize;
        let value = self.value_of(&s).to_owned();
        self.maybe_compact();
        Some(value)
    }

    /// Iterates `(key, value)` pairs in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|s| (self.key_of(s), self.value_of(s)))
    }

    /// The value of a required field.
    pub fn req_str(&self, key: &'static str) -> Result<&str, HeaderError> {
        self.get(key).ok_or(HeaderError::Missing(key))
    }

    /// The value of an optional field as an owned string.
    pub fn opt_string(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_owned)
    }

    /// A required field parsed as `T` (numbers are decimal text).
    pub fn req<T: FromStr>(&self, key: &'static str) -> Result<T, HeaderError> {
        let v = self.req_str(key)?;
        parse_field(key, v)
    }

    /// An optional field parsed as `T`; present but unparsable is an error.
    pub fn opt<T: FromStr>(&self, key: &'static str) -> Result<Option<T>, HeaderError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_empty() || v == "null" => Ok(None),
            Some(v) => parse_field(key, v).map(Some),
        }
    }

    /// A required boolean; accepts `true`/`false` (any case) and `1`/`0`.
    pub fn req_bool(&self, key: &'static str) -> Result<bool, HeaderError> {
        let v = self.req_str(key)?;
        parse_bool(key, v)
    }

    /// An optional boolean with the leniency of [`ExtFields::req_bool`].
    pub fn opt_bool(&self, key: &'static str) -> Result<Option<bool>, HeaderError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_empty() || v == "null" => Ok(None),
            Some(v) => parse_bool(key, v).map(Some),
        }
    }
}

/// Appends the decimal text of `v` to `out`.
pub(crate) fn push_int(out: &mut String, v: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push('-');
    }
    for &d in &buf[i..] {
        out.push(d as char);
    }
}

fn parse_field<T: FromStr>(key: &'static str, v: &str) -> Result<T, HeaderError> {
    v.trim().parse().map_err(|_| HeaderError::Invalid {
        field: key,
        value: v.to_owned(),
    })
}

fn parse_bool(key: &'static str, v: &str) -> Result<bool, HeaderError> {
    match v.trim() {
        t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
        t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
        _ => Err(HeaderError::Invalid {
            field: key,
            value: v.to_owned(),
        }),
    }
}

impl FromIterator<(String, String)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut ext = ExtFields::new();
        for (k, v) in iter {
            ext.put_str(&k, &v);
        }
        ext
    }
}

/// A typed request or response header: a Rust struct that is written to and
/// read from a command's extFields under the Java field names.
///
/// Invariant: `read(write(h)) == h` for every header value.
pub trait CommandHeader: Sized {
    /// Writes every non-null field as a string.
    fn write(&self, ext: &mut ExtFields);
    /// Reads the header, failing on a missing required or an invalid field.
    fn read(ext: &ExtFields) -> Result<Self, HeaderError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_booleans_and_numbers() {
        let mut e = ExtFields::new();
        e.put("a", "1");
        e.put("b", "FALSE");
        e.put("n", " 42");
        e.put("bad", "x");
        assert!(e.req_bool("a").unwrap());
        assert!(!e.req_bool("b").unwrap());
        assert_eq!(e.req::<i32>("n").unwrap(), 42);
        assert!(matches!(
            e.req::<i32>("bad"),
            Err(HeaderError::Invalid { .. })
        ));
        assert_eq!(e.req::<i32>("nope"), Err(HeaderError::Missing("nope")));
        assert_eq!(e.opt::<i64>("nope").unwrap(), None);
    }

    #[test]
    fn empty_keys_replaced_values_and_compaction() {
        let mut e = ExtFields::new();
        e.push_decoded("", "empty key");
        e.push_decoded("a", "1");
        e.push_decoded("", "again");
        assert_eq!(e.get(""), Some("again"));
        assert_eq!(e.len(), 2);
        for i in 0..2000 {
            e.put("a", i);
        }
        assert_eq!(e.get("a"), Some("1999"));
        assert!(e.text.len() < 4 * COMPACT_AFTER, "dead text is compacted");
        assert_eq!(e.remove("a").as_deref(), Some("1999"));
        assert_eq!(e.iter().collect::<Vec<_>>(), vec![("", "again")]);
        let mut f = ExtFields::new();
        f.put_str("", "again");
        assert_eq!(e, f);
    }

    #[test]
    fn put_int_writes_decimal_text() {
        let mut e = ExtFields::new();
        for v in [0, 7, -1, 42, i64::MAX, i64::MIN, 1_732_345_678_901] {
            e.put_int("v", v);
            assert_eq!(e.get("v"), Some(v.to_string().as_str()));
        }
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn put_replaces() {
        let mut e = ExtFields::new();
        e.put("k", 1);
        e.put("k", 2);
        assert_eq!(e.len(), 1);
        assert_eq!(e.get("k"), Some("2"));
    }
}
