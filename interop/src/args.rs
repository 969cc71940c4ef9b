//! Command-line flags of the `interop` binary.

use std::fmt;
use std::time::Duration;

use crate::error::InteropError;

/// Header encoding the client uses for every request it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serialize {
    /// JSON headers (RocketMQ's default).
    Json,
    /// RocketMQ's binary ("ROCKETMQ") headers.
    Rocketmq,
}

impl Serialize {
    /// The value RocketMQ clients accept in `ROCKETMQ_SERIALIZE_TYPE`.
    pub fn env_value(self) -> &'static str {
        match self {
            Serialize::Json => "JSON",
            Serialize::Rocketmq => "ROCKETMQ",
        }
    }

    fn parse(s: &str) -> Result<Self, InteropError> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Serialize::Json),
            "rocketmq" | "binary" => Ok(Serialize::Rocketmq),
            _ => Err(InteropError::Usage(format!(
                "unknown --serialize {s:?} (json|rocketmq)"
            ))),
        }
    }
}

impl fmt::Display for Serialize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Serialize::Json => "json",
            Serialize::Rocketmq => "rocketmq",
        })
    }
}

/// One end-to-end check; each runs in its own process (the serialize type is process-wide).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Synchronous sends, consumed by a clustering push consumer.
    Sync,
    /// One-way sends, consumed by a clustering push consumer.
    Oneway,
    /// One batch send, consumed by a clustering push consumer.
    Batch,
    /// Sends with three tags; a consumer subscribed to `TagA||TagB` sees only those.
    Tags,
    /// As `Tags`, subscribed as `TagA || TagB`. The client (1.0.0) hashes the untrimmed tags
    /// ("TagA ", " TagB") into the code set of the subscription it sends in heartbeats, so this
    /// passes only on a broker that derives the codes from the expression itself (ours does);
    /// a broker that trusts the client's codes (Java's, the peer) delivers nothing.
    TagsSpaced,
    /// Two broadcasting consumers of one group each receive every message.
    Broadcast,
    /// Sends routed by key with a queue selector; an orderly consumer sees each key in order.
    Orderly,
}

impl Scenario {
    /// Every scenario, in the order `.ci/interop.sh` runs them.
    pub const ALL: [Scenario; 7] = [
        Scenario::Sync,
        Scenario::Oneway,
        Scenario::Batch,
        Scenario::Tags,
        Scenario::TagsSpaced,
        Scenario::Broadcast,
        Scenario::Orderly,
    ];

    /// The flag value naming this scenario.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Sync => "sync",
            Scenario::Oneway => "oneway",
            Scenario::Batch => "batch",
            Scenario::Tags => "tags",
            Scenario::TagsSpaced => "tags-spaced",
            Scenario::Broadcast => "broadcast",
            Scenario::Orderly => "orderly",
        }
    }

    fn parse(s: &str) -> Result<Self, InteropError> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Scenario::ALL.iter().map(|sc| sc.name()).collect();
                InteropError::Usage(format!("unknown --scenario {s:?} ({})", names.join("|")))
            })
    }
}

/// Parsed flags.
#[derive(Clone, Debug)]
pub struct Args {
    /// NameServer address list, `host:port[;host:port]`.
    pub namesrv: String,
    /// The scenario to run.
    pub scenario: Scenario,
    /// Header encoding of the client's requests.
    pub serialize: Serialize,
    /// Messages to send (at least 1).
    pub messages: usize,
    /// Bound on the whole scenario, start-up and shutdown included.
    pub timeout: Duration,
}

/// Usage text printed on a flag error.
pub const USAGE: &str = "usage: interop --namesrv <host:port> --scenario <sync|oneway|batch|tags|tags-spaced|broadcast|orderly> \
[--serialize json|rocketmq] [--messages N (default 32)] [--timeout-secs S (default 60)]";

impl Args {
    /// Parses the flags (without the program name).
    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Self, InteropError> {
        let mut namesrv = None;
        let mut scenario = None;
        let mut serialize = Serialize::Json;
        let mut messages = 32usize;
        let mut timeout = Duration::from_secs(60);
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .ok_or_else(|| InteropError::Usage(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "--namesrv" => namesrv = Some(value()?),
                "--scenario" => scenario = Some(Scenario::parse(&value()?)?),
                "--serialize" => serialize = Serialize::parse(&value()?)?,
                "--messages" => messages = parse_number(&flag, &value()?)?,
                "--timeout-secs" => timeout = Duration::from_secs(parse_number(&flag, &value()?)?),
                _ => return Err(InteropError::Usage(format!("unknown flag {flag:?}"))),
            }
        }
        let namesrv = namesrv.ok_or_else(|| InteropError::Usage("--namesrv is required".into()))?;
        let scenario =
            scenario.ok_or_else(|| InteropError::Usage("--scenario is required".into()))?;
        if messages == 0 {
            return Err(InteropError::Usage("--messages must be at least 1".into()));
        }
        Ok(Args {
            namesrv,
            scenario,
            serialize,
            messages,
            timeout,
        })
    }
}

fn parse_number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, InteropError> {
    v.parse()
        .map_err(|_| InteropError::Usage(format!("{flag}: not a number: {v:?}")))
}
