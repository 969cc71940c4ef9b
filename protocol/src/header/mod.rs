//! Typed request and response headers (PROTOCOL.md §10–§14).
//!
//! Each header is a plain struct whose fields map one to one onto the Java
//! header class's fields, keyed by the Java field name on the wire. A field of
//! type `T` is required (Java `@CFNotNull`): reading fails with
//! [`HeaderError::Missing`] when it is absent. A field of type `Option<T>` is
//! optional; `None` is not written (Java omits nulls). Numbers are decimal
//! text, booleans are read leniently (`true`/`false`/`1`/`0`), and unknown
//! keys (ACL signatures, 5.x RPC fields we do not model) are ignored.
//!
//! Module map:
//! - [`send`]: SEND_MESSAGE (v1 and V2 one-letter names) and its response.
//! - [`transaction`]: END_TRANSACTION, CHECK_TRANSACTION_STATE.
//! - [`pull`]: PULL_MESSAGE / LITE_PULL_MESSAGE and the pull sysFlag bits.
//! - [`consumer`]: send-back, unregister, consumer list, ids-changed.
//! - [`offset`]: consumer offsets and queue offset lookups.
//! - [`query`]: QUERY_MESSAGE, VIEW_MESSAGE_BY_ID.
//! - [`topic`]: topic and subscription-group administration.
//! - [`admin`]: stats, connections, offset reset, client forwarding, config.
//! - [`namesrv`]: NameServer-side headers.

pub mod admin;
pub mod consumer;
pub mod namesrv;
pub mod offset;
pub mod pull;
pub mod query;
pub mod send;
pub mod topic;
pub mod transaction;

pub use admin::*;
pub use consumer::*;
pub use offset::*;
pub use pull::*;
pub use query::*;
pub use send::*;
pub use topic::*;
pub use transaction::*;

use crate::ext::{ExtFields, HeaderError};

/// A scalar that can be a header field value: parsed from and rendered to
/// the field's string form.
pub trait HeaderValue: Sized {
    /// Whether an empty or `"null"` string reads as an absent optional field.
    /// True for numbers, booleans and enums; false for strings, where `""`
    /// is a value (Java clients send `"transactionId":""`).
    const BLANK_IS_ABSENT: bool = true;

    /// Parses the wire text of field `key`.
    fn parse_value(key: &'static str, raw: &str) -> Result<Self, HeaderError>;

    /// Writes the value under `key`.
    fn put_value(&self, ext: &mut ExtFields, key: &'static str);
}

/// A header field: a [`HeaderValue`] (required) or an `Option` of one
/// (optional). Used by the header definitions in this module tree.
pub trait HeaderField: Sized {
    /// Reads the field `key`.
    fn read_field(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError>;

    /// Writes the field `key` (nothing for `None`).
    fn write_field(&self, ext: &mut ExtFields, key: &'static str);
}

impl<T: HeaderValue> HeaderField for T {
    fn read_field(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError> {
        T::parse_value(key, ext.req_str(key)?)
    }

    fn write_field(&self, ext: &mut ExtFields, key: &'static str) {
        self.put_value(ext, key);
    }
}

impl<T: HeaderValue> HeaderField for Option<T> {
    fn read_field(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError> {
        match ext.get(key) {
            None => Ok(None),
            Some(v) if T::BLANK_IS_ABSENT && is_blank(v) => Ok(None),
            Some(v) => T::parse_value(key, v).map(Some),
        }
    }

    fn write_field(&self, ext: &mut ExtFields, key: &'static str) {
        if let Some(v) = self {
            v.put_value(ext, key);
        }
    }
}

/// `raw` without surrounding whitespace. Wire values almost never have
/// any: one that starts and ends with an ASCII letter or digit is returned
/// as is, without the Unicode-aware scan of `str::trim`.
pub(crate) fn trimmed(raw: &str) -> &str {
    match raw.as_bytes() {
        [first, .., last] | [first @ last]
            if (first.is_ascii_alphanumeric() || *first == b'-')
                && last.is_ascii_alphanumeric() =>
        {
            raw
        }
        _ => raw.trim(),
    }
}

/// True for a value Java treats as absent for numbers and booleans: empty,
/// blank or `null`.
pub(crate) fn is_blank(raw: &str) -> bool {
    trimmed(raw).is_empty() || raw == "null"
}

fn invalid(key: &'static str, raw: &str) -> HeaderError {
    HeaderError::Invalid {
        field: key,
        value: raw.to_owned(),
    }
}

macro_rules! numeric_value {
    ($($t:ty),*) => {$(
        impl HeaderValue for $t {
            fn parse_value(key: &'static str, raw: &str) -> Result<Self, HeaderError> {
                trimmed(raw).parse().map_err(|_| invalid(key, raw))
            }

            fn put_value(&self, ext: &mut ExtFields, key: &'static str) {
                ext.put_int(key, (*self).into());
            }
        }
    )*};
}

numeric_value!(i32, i64);

impl HeaderValue for String {
    const BLANK_IS_ABSENT: bool = false;

    fn parse_value(_key: &'static str, raw: &str) -> Result<Self, HeaderError> {
        Ok(raw.to_owned())
    }

    fn put_value(&self, ext: &mut ExtFields, key: &'static str) {
        ext.put_str(key, self);
    }
}

impl HeaderValue for bool {
    fn parse_value(key: &'static str, raw: &str) -> Result<Self, HeaderError> {
        match trimmed(raw) {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
            _ => Err(invalid(key, raw)),
        }
    }

    fn put_value(&self, ext: &mut ExtFields, key: &'static str) {
        ext.put_str(key, if *self { "true" } else { "false" });
    }
}

/// Implements [`HeaderValue`] for a type with `FromStr` + `Display`
/// (the enums of this module tree).
macro_rules! display_value {
    ($t:ty) => {
        impl $crate::header::HeaderValue for $t {
            fn parse_value(key: &'static str, raw: &str) -> Result<Self, $crate::ext::HeaderError> {
                raw.trim()
                    .parse()
                    .map_err(|_| $crate::ext::HeaderError::Invalid {
                        field: key,
                        value: raw.to_owned(),
                    })
            }

            fn put_value(&self, ext: &mut $crate::ext::ExtFields, key: &'static str) {
                ext.put(key, self);
            }
        }
    };
}
pub(crate) use display_value;

/// Defines a header struct and its [`crate::CommandHeader`] impl from a list
/// of `field: Type = "javaName"` entries. `Type` decides required vs
/// optional (see [`HeaderField`]).
macro_rules! command_header {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = $key:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
        }

        impl $crate::ext::CommandHeader for $name {
            #[allow(unused_variables)]
            fn write(&self, ext: &mut $crate::ext::ExtFields) {
                $( $crate::header::HeaderField::write_field(&self.$field, ext, $key); )*
            }

            #[allow(unused_variables)]
            fn read(ext: &$crate::ext::ExtFields) -> Result<Self, $crate::ext::HeaderError> {
                Ok(Self {
                    $( $field: $crate::header::HeaderField::read_field(ext, $key)?, )*
                })
            }
        }
    };
}
pub(crate) use command_header;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::CommandHeader;

    command_header! {
        /// Test header.
        pub struct Sample {
            /// Required string.
            name: String = "name",
            /// Required number.
            count: i32 = "count",
            /// Optional number.
            big: Option<i64> = "big",
            /// Optional flag.
            flag: Option<bool> = "flag",
            /// Optional text.
            note: Option<String> = "note",
        }
    }

    #[test]
    fn required_optional_and_round_trip() {
        let h = Sample {
            name: "n".into(),
            count: -3,
            big: Some(1 << 40),
            flag: Some(true),
            note: Some(String::new()),
        };
        let mut ext = ExtFields::new();
        h.write(&mut ext);
        assert_eq!(ext.get("flag"), Some("true"));
        assert_eq!(Sample::read(&ext).unwrap(), h);

        let mut ext = ExtFields::new();
        ext.put("name", "n");
        assert_eq!(Sample::read(&ext), Err(HeaderError::Missing("count")));
        ext.put("count", "x");
        assert!(matches!(
            Sample::read(&ext),
            Err(HeaderError::Invalid { field: "count", .. })
        ));
        ext.put("count", "7");
        ext.put("big", "");
        ext.put("flag", "0");
        let h = Sample::read(&ext).unwrap();
        assert_eq!(
            (h.count, h.big, h.flag, h.note),
            (7, None, Some(false), None)
        );
    }
}
