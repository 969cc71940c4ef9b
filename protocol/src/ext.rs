//! The "custom header" of a command (`extFields`) and typed headers.
//!
//! On the wire every header field is a string keyed by its Java field name.
//! [`ExtFields`] keeps them in arrival order in a small vector (a header has a
//! handful of fields, so a linear scan beats hashing); the last value written
//! for a key wins, as in Java's `HashMap`.

use std::fmt::Display;
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

/// The `extFields` map of a command: string keys to string values, in order.
///
/// Invariant: keys are unique; [`ExtFields::put`] replaces an existing value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtFields {
    fields: Vec<(String, String)>,
}

impl ExtFields {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `n` fields.
    pub fn with_capacity(n: usize) -> Self {
        ExtFields {
            fields: Vec::with_capacity(n),
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

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value` (replacing any earlier value).
    pub fn put(&mut self, key: impl Into<String>, value: impl Display) {
        self.put_string(key.into(), value.to_string());
    }

    /// Sets `key` to `value` when `value` is `Some`; Java omits null fields.
    pub fn put_opt<V: Display>(&mut self, key: &str, value: Option<V>) {
        if let Some(v) = value {
            self.put(key, v);
        }
    }

    /// Sets `key` to an owned string without formatting.
    pub fn put_string(&mut self, key: String, value: String) {
        if let Some(slot) = self.fields.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.fields.push((key, value));
        }
    }

    /// Appends a pair read from the wire; a repeated key replaces the older value.
    pub(crate) fn push_decoded(&mut self, key: String, value: String) {
        self.put_string(key, value);
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.fields.iter().position(|(k, _)| k == key)?;
        Some(self.fields.remove(i).1)
    }

    /// Iterates `(key, value)` pairs in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
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
            ext.put_string(k, v);
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
    fn put_replaces() {
        let mut e = ExtFields::new();
        e.put("k", 1);
        e.put("k", 2);
        assert_eq!(e.len(), 1);
        assert_eq!(e.get("k"), Some("2"));
    }
}
