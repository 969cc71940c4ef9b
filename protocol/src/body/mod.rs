//! JSON bodies, as Java/fastjson writes and reads them (PROTOCOL.md §15, §16).
//!
//! Every body type implements [`fastjson::JsonBody`]: `to_json(&self) ->
//! Vec<u8>` and `from_json(&[u8]) -> Result<Self, BodyError>`. Writers
//! produce compact JSON with fields in alphabetical order (fastjson's order);
//! readers accept any order, ignore unknown fields, give missing fields
//! Java's defaults, and accept fastjson's bare and object map keys.
//!
//! Module map:
//! - [`fastjson`]: the JSON dialect (bare/object keys) and [`JsonBody`].
//! - [`route`]: routes, topic configs, cluster info, DataVersion, TopicList, KVTable.
//! - [`properties`]: Java `.properties` text bodies.
//! - [`message_queue`]: [`MessageQueue`] and maps keyed by it.
//! - [`heartbeat`]: HEART_BEAT's `HeartbeatData` and the consumer enums.
//! - [`subscription_group`]: subscription group configs.
//! - [`lock`]: LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies.
//! - [`group`]: consumer id lists and group lists.
//! - [`stats`]: consume stats, topic stats, offset reset, consume time spans.
//! - [`connection`]: producer/consumer connection lists.
//! - [`client_info`]: bodies the broker relays from clients (running info,
//!   consume-directly results).

pub mod client_info;
pub mod connection;
pub mod fastjson;
pub mod group;
pub mod heartbeat;
pub mod lock;
pub mod message_queue;
pub mod properties;
pub mod route;
pub mod stats;
pub mod subscription_group;

pub use client_info::*;
pub use connection::*;
pub use fastjson::JsonBody;
pub use group::*;
pub use heartbeat::*;
pub use lock::*;
pub use message_queue::MessageQueue;
pub use stats::*;
pub use subscription_group::*;

/// Why a body could not be read (or, rarely, written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The bytes are not JSON (or not the JSON shape of the type).
    #[error("invalid JSON body: {0}")]
    Json(String),
    /// The JSON parsed but a value is not acceptable (e.g. an unknown enum name).
    #[error("invalid body: {0}")]
    Invalid(String),
}

/// Defines a Java enum that serializes as its Java name and deserializes
/// from the name or from the ordinal (the C++ client sends ordinals).
/// Variants must be listed in Java declaration order.
macro_rules! java_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $java:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every variant, in Java declaration (ordinal) order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// Java's enum name.
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $java, )*
                }
            }

            /// The variant with a Java name.
            pub fn from_name(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == s)
            }

            /// Java's `ordinal()`.
            pub fn ordinal(self) -> i32 {
                Self::ALL.iter().position(|v| *v == self).unwrap_or(0) as i32
            }

            /// The variant with a Java ordinal.
            pub fn from_ordinal(n: i64) -> Option<Self> {
                usize::try_from(n).ok().and_then(|i| Self::ALL.get(i).copied())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::body::BodyError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_name(s.trim()).ok_or_else(|| {
                    $crate::body::BodyError::Invalid(format!(
                        concat!("unknown ", stringify!($name), " '{}'"),
                        s
                    ))
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " name or ordinal"))
                    }

                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$name, E> {
                        if let Some(v) = $name::from_name(s) {
                            return Ok(v);
                        }
                        match s.trim().parse::<i64>() {
                            Ok(n) => self.visit_i64(n),
                            Err(_) => Err(E::unknown_variant(s, &[$($java),*])),
                        }
                    }

                    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<$name, E> {
                        $name::from_ordinal(n).ok_or_else(|| {
                            E::invalid_value(serde::de::Unexpected::Signed(n), &self)
                        })
                    }

                    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<$name, E> {
                        match i64::try_from(n) {
                            Ok(n) => self.visit_i64(n),
                            Err(_) => Err(E::invalid_value(serde::de::Unexpected::Unsigned(n), &self)),
                        }
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}
pub(crate) use java_enum;

/// Reads a JSON number or a numeric string as `i64` (the C++ client sends
/// `subVersion` as a string). Use with `#[serde(deserialize_with)]`.
pub(crate) fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer or a numeric string")
        }

        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<i64, E> {
            Ok(n)
        }

        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<i64, E> {
            i64::try_from(n)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
        }

        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<i64, E> {
            if n.fract() == 0.0 && n.abs() < 9.2e18 {
                Ok(n as i64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(n), &self))
            }
        }

        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<i64, E> {
            s.trim()
                .parse()
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(s), &self))
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<i64, E> {
            Ok(0)
        }
    }
    d.deserialize_any(V)
}
