//! JSON bodies, as Java/fastjson writes and reads them (PROTOCOL.md §15, §16).
//!
//! Every body type has `to_json(&self) -> Vec<u8>` and
//! `from_json(&[u8]) -> Result<Self, BodyError>`. Writers produce compact JSON
//! with fields in alphabetical order (fastjson's order); readers accept any
//! order, ignore unknown fields, give missing fields Java's defaults, and
//! accept fastjson's bare and object map keys ([`fastjson`]).

pub mod fastjson;
pub mod properties;
pub mod route;

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
