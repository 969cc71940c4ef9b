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
/// request; the wire body is `body` followed by `body_tail` (empty for every
/// decoded frame), and both empty means "no body" (Java's null).
#[derive(Debug, Clone, Default)]
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
    /// Payload (its first segment when the body is segmented).
    pub body: Bytes,
    /// Further body segments, sent after `body` without being copied
    /// together first: a pull response's stored records are slices of the
    /// mapped CommitLog and go to the socket as they are. Empty unless set
    /// with [`RemotingCommand::with_body_parts`]; readers of a segmented
    /// command use [`RemotingCommand::body_len`] /
    /// [`RemotingCommand::contiguous_body`].
    pub body_tail: Vec<Bytes>,
    /// How the header was (or will be) serialized.
    pub serialize_type: SerializeType,
}

impl PartialEq for RemotingCommand {
    /// Equal headers and equal body bytes, however the bodies are segmented.
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.language == other.language
            && self.version == other.version
            && self.opaque == other.opaque
            && self.flag == other.flag
            && self.remark == other.remark
            && self.ext_fields == other.ext_fields
            && self.serialize_type == other.serialize_type
            && self.body_len() == other.body_len()
            && self
                .body_parts()
                .flat_map(|p| p.iter())
                .eq(other.body_parts().flat_map(|p| p.iter()))
    }
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
        self.body_tail.clear();
        self
    }

    /// Sets a body made of several segments, sent back to back without
    /// being copied into one buffer (builder style).
    pub fn with_body_parts(mut self, parts: impl IntoIterator<Item = Bytes>) -> Self {
        let mut parts = parts.into_iter();
        self.body = parts.next().unwrap_or_default();
        self.body_tail = parts.collect();
        self
    }

    /// The body's segments in wire order (one for an ordinary body).
    pub fn body_parts(&self) -> impl Iterator<Item = &Bytes> {
        std::iter::once(&self.body).chain(self.body_tail.iter())
    }

    /// Length of the whole body, all segments included.
    pub fn body_len(&self) -> usize {
        self.body.len() + self.body_tail.iter().map(Bytes::len).sum::<usize>()
    }

    /// The whole body in one buffer: `body` itself unless the body is
    /// segmented, else a copy of the segments joined.
    pub fn contiguous_body(&self) -> Bytes {
        if self.body_tail.is_empty() {
            return self.body.clone();
        }
        let mut all = Vec::with_capacity(self.body_len());
        for p in self.body_parts() {
            all.extend_from_slice(p);
        }
        Bytes::from(all)
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
