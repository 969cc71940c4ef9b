//! [`RemotingCommand`]: one request or response frame in memory.

use bytes::Bytes;

use crate::code::response;
use crate::ext::{CommandHeader, ExtFields, HeaderError};

/// Flag bit set on responses.
pub const FLAG_RESPONSE: i32 = 0x1;
/// Flag bit set on oneway requests (the receiver sends no response).
pub const FLAG_ONEWAY: i32 = 0x2;

/// The version ordinal we put on frames we originate: RocketMQ 5.3.3
/// (`MQVersion.Version.V5_3_3`). Clients and servers do not check it, but some
/// servers pick route JSON formats by it (PROTOCOL.md §16).
pub const CURRENT_VERSION: i32 = 479;

/// How a header is serialized: the high byte of the header-length word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SerializeType {
    /// JSON object (type 0), what Java clients send by default.
    #[default]
    Json,
    /// RocketMQ's compact binary layout (type 1).
    RocketMq,
}

impl SerializeType {
    /// The type byte on the wire.
    pub fn code(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }

    /// The type for a wire byte, `None` when unknown.
    pub fn from_code(b: u8) -> Option<Self> {
        match b {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// Java's enum name ("JSON" / "ROCKETMQ").
    pub fn name(self) -> &'static str {
        match self {
            SerializeType::Json => "JSON",
            SerializeType::RocketMq => "ROCKETMQ",
        }
    }
}

/// The sender's implementation language (`LanguageCode` in Java).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[allow(missing_docs)]
pub enum LanguageCode {
    #[default]
    Java,
    Cpp,
    Dotnet,
    Python,
    Delphi,
    Erlang,
    Ruby,
    Other,
    Http,
    Go,
    Php,
    Oms,
    Rust,
    NodeJs,
}

const LANGUAGES: [(LanguageCode, &str); 14] = [
    (LanguageCode::Java, "JAVA"),
    (LanguageCode::Cpp, "CPP"),
    (LanguageCode::Dotnet, "DOTNET"),
    (LanguageCode::Python, "PYTHON"),
    (LanguageCode::Delphi, "DELPHI"),
    (LanguageCode::Erlang, "ERLANG"),
    (LanguageCode::Ruby, "RUBY"),
    (LanguageCode::Other, "OTHER"),
    (LanguageCode::Http, "HTTP"),
    (LanguageCode::Go, "GO"),
    (LanguageCode::Php, "PHP"),
    (LanguageCode::Oms, "OMS"),
    (LanguageCode::Rust, "RUST"),
    (LanguageCode::NodeJs, "NODE_JS"),
];

impl LanguageCode {
    /// The byte used by the binary header.
    pub fn code(self) -> u8 {
        LANGUAGES.iter().position(|(l, _)| *l == self).unwrap_or(7) as u8
    }

    /// The language for a binary-header byte; unknown bytes are `Other`.
    pub fn from_code(b: u8) -> Self {
        LANGUAGES
            .get(b as usize)
            .map(|(l, _)| *l)
            .unwrap_or(LanguageCode::Other)
    }

    /// Java's enum name, as written in JSON headers.
    pub fn name(self) -> &'static str {
        LANGUAGES[self.code() as usize].1
    }

    /// The language for a JSON name (case-insensitive); unknown names are `Other`.
    pub fn from_name(s: &str) -> Self {
        LANGUAGES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(l, _)| *l)
            .unwrap_or(LanguageCode::Other)
    }
}

/// One remoting frame: a request or a response.
///
/// Invariants: a response has [`FLAG_RESPONSE`] set and the `opaque` of its
/// request; `body` empty means "no body" (Java's null).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemotingCommand {
    /// Request code, or response code on responses.
    pub code: i32,
    /// Sender's language.
    pub language: LanguageCode,
    /// Sender's version ordinal.
    pub version: i32,
    /// Request id; a response echoes its request's.
    pub opaque: i32,
    /// Bit field: [`FLAG_RESPONSE`], [`FLAG_ONEWAY`].
    pub flag: i32,
    /// Free text; the error text on failed responses.
    pub remark: Option<String>,
    /// The custom header.
    pub ext_fields: ExtFields,
    /// Payload.
    pub body: Bytes,
    /// How the header was (or will be) serialized.
    pub serialize_type: SerializeType,
}

impl RemotingCommand {
    /// A request with `code` and no header fields.
    pub fn new_request(code: i32) -> Self {
        RemotingCommand {
            code,
            version: CURRENT_VERSION,
            ..Default::default()
        }
    }

    /// A request with `code` and a typed header.
    pub fn request<H: CommandHeader>(code: i32, header: &H) -> Self {
        let mut cmd = Self::new_request(code);
        header.write(&mut cmd.ext_fields);
        cmd
    }

    /// A response with `code` and an optional remark. The net layer fills in
    /// the request's opaque and serialize type when it sends it.
    pub fn response(code: i32, remark: impl Into<Option<String>>) -> Self {
        RemotingCommand {
            code,
            version: CURRENT_VERSION,
            flag: FLAG_RESPONSE,
            remark: remark.into(),
            ..Default::default()
        }
    }

    /// A SUCCESS response with no remark.
    pub fn success() -> Self {
        Self::response(response::SUCCESS, None)
    }

    /// An error response with `code` and a remark saying why.
    pub fn error(code: i32, remark: impl Into<String>) -> Self {
        Self::response(code, Some(remark.into()))
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Writes a typed header into extFields (builder style).
    pub fn with_header<H: CommandHeader>(mut self, header: &H) -> Self {
        header.write(&mut self.ext_fields);
        self
    }

    /// Reads a typed header from extFields.
    pub fn header<H: CommandHeader>(&self) -> Result<H, HeaderError> {
        H::read(&self.ext_fields)
    }

    /// True for responses.
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// True for oneway requests.
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// Marks this request oneway.
    pub fn set_oneway(&mut self) {
        self.flag |= FLAG_ONEWAY;
    }

    /// The remark, or "" when none.
    pub fn remark_str(&self) -> &str {
        self.remark.as_deref().unwrap_or("")
    }
}
