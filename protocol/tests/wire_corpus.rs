//! Decodes every request frame of the wire corpus (real third-party
//! clients, `/work/shared/wire-corpus`): the frame with [`RemotingCodec`],
//! checked against `index.json`; then the typed header by request code and
//! the JSON body into its body type. A missing corpus fails the test.

use std::collections::BTreeMap;

use bytes::BytesMut;
use protocol::body::{HeartbeatData, JsonBody, LockBatchRequestBody, UnlockBatchRequestBody};
use protocol::code::request;
use protocol::header::namesrv::GetRouteInfoRequestHeader;
use protocol::header::*;
use protocol::message::decode_batch;
use protocol::{CommandHeader, RemotingCodec, RemotingCommand, SerializeType};
use serde_json::Value;
use tokio_util::codec::Decoder;

/// Loading the corpus; kept free of assertions so fuzz targets can reuse it.
mod corpus {
    use std::path::{Path, PathBuf};

    use serde_json::Value;

    /// One recorded frame and its `index.json` entry.
    pub struct Frame {
        /// Client folder name.
        pub client: String,
        /// File name, `<seq>-<code>-<NAME>.bin`.
        pub file: String,
        /// The whole frame, length prefix included.
        pub bytes: Vec<u8>,
        /// The index entry.
        pub entry: Value,
    }

    /// The corpus folder: `$SHARED/wire-corpus` when `SHARED` is set (CI
    /// sets it), else `../../shared/wire-corpus` from this crate.
    pub fn dir() -> PathBuf {
        match std::env::var_os("SHARED") {
            Some(shared) => PathBuf::from(shared).join("wire-corpus"),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/wire-corpus"),
        }
    }

    /// Every frame listed in `index.json`, in index order.
    pub fn load() -> Result<Vec<Frame>, String> {
        let dir = dir();
        let index_path = dir.join("index.json");
        let text = std::fs::read_to_string(&index_path).map_err(|e| {
            format!(
                "wire corpus not found at {} ({e}); it must be present for this test",
                index_path.display()
            )
        })?;
        let index: Vec<Value> =
            serde_json::from_str(&text).map_err(|e| format!("index.json: {e}"))?;
        index
            .into_iter()
            .map(|entry| {
                let client = entry["client"].as_str().unwrap_or_default().to_owned();
                let file = entry["file"].as_str().unwrap_or_default().to_owned();
                let path = dir.join(&client).join(&file);
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(Frame {
                    client,
                    file,
                    bytes,
                    entry,
                })
            })
            .collect()
    }
}

/// What typed decoding produced for one frame.
#[derive(Default)]
struct Outcome {
    header: Option<&'static str>,
    body: Option<&'static str>,
}

/// The index's header value as the string extFields carry (clients send
/// numbers and booleans as JSON scalars; decoders turn them into text).
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn check_frame(cmd: &RemotingCommand, entry: &Value) {
    let h = &entry["header"];
    assert_eq!(i64::from(cmd.code), entry["code"].as_i64().unwrap_or(-1));
    assert_eq!(Some(i64::from(cmd.code)), h["code"].as_i64());
    assert_eq!(cmd.language.name(), h["language"].as_str().unwrap_or("?"));
    assert_eq!(Some(i64::from(cmd.version)), h["version"].as_i64());
    assert_eq!(Some(i64::from(cmd.opaque)), h["opaque"].as_i64());
    assert_eq!(Some(i64::from(cmd.flag)), h["flag"].as_i64());
    assert!(!cmd.is_response());
    assert_eq!(cmd.remark_str(), h["remark"].as_str().unwrap_or(""));
    let st = match cmd.serialize_type {
        SerializeType::Json => 0,
        SerializeType::RocketMq => 1,
    };
    assert_eq!(Some(st), entry["serialize_type"].as_i64());
    assert_eq!(Some(cmd.body.len() as u64), entry["body_length"].as_u64());

    let expected: BTreeMap<String, String> = h["extFields"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), as_text(v))).collect())
        .unwrap_or_default();
    let got: BTreeMap<String, String> = cmd
        .ext_fields
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(got, expected, "extFields");
}

/// Reads header `H`, checks that writing and re-reading it is lossless.
fn typed<H: CommandHeader + PartialEq + std::fmt::Debug>(
    cmd: &RemotingCommand,
    name: &'static str,
) -> Result<(&'static str, H), String> {
    let h = cmd.header::<H>().map_err(|e| format!("{name}: {e}"))?;
    let mut ext = protocol::ExtFields::new();
    h.write(&mut ext);
    let again = H::read(&ext).map_err(|e| format!("{name} re-read: {e}"))?;
    assert_eq!(again, h, "{name} write/read round trip");
    Ok((name, h))
}

/// Decodes the typed header and body of a request by its code.
fn decode_typed(cmd: &RemotingCommand, entry: &Value) -> Result<Outcome, String> {
    let mut out = Outcome::default();
    let ext = &entry["header"]["extFields"];
    match cmd.code {
        request::SEND_MESSAGE | request::SEND_MESSAGE_V2 | request::SEND_BATCH_MESSAGE => {
            let h = SendMessageRequestHeader::read_for_code(cmd.code, &cmd.ext_fields)
                .map_err(|e| format!("send header: {e}"))?;
            let topic_key = if uses_v2(cmd.code) { "b" } else { "topic" };
            assert_eq!(Some(h.topic.as_str()), ext[topic_key].as_str());
            let mut back = protocol::ExtFields::new();
            h.write_for_code(cmd.code, &mut back);
            assert_eq!(
                SendMessageRequestHeader::read_for_code(cmd.code, &back).as_ref(),
                Ok(&h)
            );
            out.header = Some(if uses_v2(cmd.code) {
                "SendMessageRequestHeaderV2"
            } else {
                "SendMessageRequestHeader"
            });
            if cmd.code == request::SEND_BATCH_MESSAGE {
                assert!(h.is_batch());
                let msgs = decode_batch(&cmd.body).map_err(|e| format!("batch body: {e}"))?;
                assert!(!msgs.is_empty());
                out.body = Some("batch");
            }
        }
        request::PULL_MESSAGE | request::LITE_PULL_MESSAGE => {
            let (n, h) = typed::<PullMessageRequestHeader>(cmd, "PullMessageRequestHeader")?;
            assert!(h.has_suspend());
            if h.has_subscription() {
                assert!(h.subscription.is_some());
            }
            out.header = Some(n);
        }
        request::QUERY_CONSUMER_OFFSET => {
            out.header = Some(
                typed::<QueryConsumerOffsetRequestHeader>(cmd, "QueryConsumerOffsetRequestHeader")?
                    .0,
            );
        }
        request::UPDATE_CONSUMER_OFFSET => {
            out.header = Some(
                typed::<UpdateConsumerOffsetRequestHeader>(
                    cmd,
                    "UpdateConsumerOffsetRequestHeader",
                )?
                .0,
            );
        }
        request::UPDATE_AND_CREATE_TOPIC => {
            out.header =
                Some(typed::<CreateTopicRequestHeader>(cmd, "CreateTopicRequestHeader")?.0);
        }
        request::GET_MAX_OFFSET => {
            out.header =
                Some(typed::<GetMaxOffsetRequestHeader>(cmd, "GetMaxOffsetRequestHeader")?.0);
        }
        request::GET_MIN_OFFSET => {
            out.header =
                Some(typed::<GetMinOffsetRequestHeader>(cmd, "GetMinOffsetRequestHeader")?.0);
        }
        request::SEARCH_OFFSET_BY_TIMESTAMP => {
            out.header =
                Some(typed::<SearchOffsetRequestHeader>(cmd, "SearchOffsetRequestHeader")?.0);
        }
        request::UNREGISTER_CLIENT => {
            out.header = Some(
                typed::<UnregisterClientRequestHeader>(cmd, "UnregisterClientRequestHeader")?.0,
            );
        }
        request::CONSUMER_SEND_MSG_BACK => {
            out.header = Some(
                typed::<ConsumerSendMsgBackRequestHeader>(cmd, "ConsumerSendMsgBackRequestHeader")?
                    .0,
            );
        }
        request::END_TRANSACTION => {
            let (n, h) = typed::<EndTransactionRequestHeader>(cmd, "EndTransactionRequestHeader")?;
            assert!([
                TRANSACTION_NOT_TYPE,
                TRANSACTION_COMMIT_TYPE,
                TRANSACTION_ROLLBACK_TYPE
            ]
            .contains(&h.commit_or_rollback));
            out.header = Some(n);
        }
        request::GET_CONSUMER_LIST_BY_GROUP => {
            out.header = Some(
                typed::<GetConsumerListByGroupRequestHeader>(
                    cmd,
                    "GetConsumerListByGroupRequestHeader",
                )?
                .0,
            );
        }
        request::GET_ROUTEINFO_BY_TOPIC => {
            out.header =
                Some(typed::<GetRouteInfoRequestHeader>(cmd, "GetRouteInfoRequestHeader")?.0);
        }
        request::HEART_BEAT => {
            let hb = HeartbeatData::from_json(&cmd.body).map_err(|e| format!("heartbeat: {e}"))?;
            let body = &entry["body"];
            assert_eq!(Some(hb.client_id.as_str()), body["clientID"].as_str());
            let consumers = body["consumerDataSet"].as_array().map_or(0, Vec::len);
            assert_eq!(hb.consumer_data_set.len(), consumers);
            for c in &hb.consumer_data_set {
                for s in &c.subscription_data_set {
                    assert!(s.is_tag_type(), "{}", s.topic);
                    for tag in &s.tags_set {
                        let code = protocol::message::tag::java_string_hash(tag);
                        assert!(s.matches_tag_code(i64::from(code)), "{tag}");
                    }
                }
            }
            assert_eq!(HeartbeatData::from_json(&hb.to_json()).as_ref(), Ok(&hb));
            out.body = Some("HeartbeatData");
        }
        request::LOCK_BATCH_MQ => {
            let b = LockBatchRequestBody::from_json(&cmd.body)
                .map_err(|e| format!("lock body: {e}"))?;
            assert_eq!(
                Some(b.consumer_group.as_str()),
                entry["body"]["consumerGroup"].as_str()
            );
            assert!(!b.mq_set.is_empty());
            out.body = Some("LockBatchRequestBody");
        }
        request::UNLOCK_BATCH_MQ => {
            let b = UnlockBatchRequestBody::from_json(&cmd.body)
                .map_err(|e| format!("unlock body: {e}"))?;
            let n = entry["body"]["mqSet"].as_array().map_or(0, Vec::len);
            assert_eq!(b.mq_set.len(), n);
            out.body = Some("UnlockBatchRequestBody");
        }
        _ => {}
    }
    Ok(out)
}

#[derive(Default)]
struct Tally {
    frames: usize,
    headers: usize,
    bodies: usize,
    no_header_needed: usize,
}

/// The binary (ROCKETMQ) frames a real client sent come out of the encoder
/// byte for byte after decoding: the binary header codec is exact.
#[test]
fn binary_corpus_frames_re_encode_byte_for_byte() {
    let frames = corpus::load().unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    for f in &frames {
        let mut buf = BytesMut::from(&f.bytes[..]);
        let Ok(Some(cmd)) = RemotingCodec::default().decode(&mut buf) else {
            panic!("{}/{}: does not decode", f.client, f.file);
        };
        if cmd.serialize_type != SerializeType::RocketMq {
            continue;
        }
        let mut again = BytesMut::new();
        RemotingCodec::encode_frame(&cmd, &mut again)
            .unwrap_or_else(|e| panic!("{}/{}: {e}", f.client, f.file));
        assert_eq!(&again[..], &f.bytes[..], "{}/{}", f.client, f.file);
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} binary frames in the corpus");
}

#[test]
fn every_corpus_frame_decodes_into_typed_headers_and_bodies() {
    let frames = corpus::load().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        frames.len() >= 300,
        "expected the full corpus, found {} frames",
        frames.len()
    );
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for f in &frames {
        let mut buf = BytesMut::from(&f.bytes[..]);
        let cmd = match RemotingCodec::default().decode(&mut buf) {
            Ok(Some(cmd)) => cmd,
            other => {
                failures.push(format!("{}/{}: frame: {other:?}", f.client, f.file));
                continue;
            }
        };
        assert!(buf.is_empty(), "{}/{}: trailing bytes", f.client, f.file);
        let file_code: i32 = f
            .file
            .split('-')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(-1);
        assert_eq!(cmd.code, file_code, "{}/{}", f.client, f.file);
        assert!(
            request::name(cmd.code).is_some(),
            "{}/{}: code {} unknown to code::request::name",
            f.client,
            f.file,
            cmd.code
        );
        check_frame(&cmd, &f.entry);
        let t = tally.entry(f.client.clone()).or_default();
        t.frames += 1;
        match decode_typed(&cmd, &f.entry) {
            Ok(o) => {
                t.headers += usize::from(o.header.is_some());
                t.bodies += usize::from(o.body.is_some());
                if o.header.is_none() && cmd.ext_fields.iter().all(|(k, _)| is_ignorable(k)) {
                    t.no_header_needed += 1;
                }
            }
            Err(e) => failures.push(format!("{}/{}: {e}", f.client, f.file)),
        }
    }
    println!("client                        frames  typed-headers  bodies  header-less");
    for (client, t) in &tally {
        println!(
            "{client:<30}{:>6}{:>15}{:>8}{:>13}",
            t.frames, t.headers, t.bodies, t.no_header_needed
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let total: usize = tally.values().map(|t| t.frames).sum();
    assert_eq!(total, frames.len());
    // Every frame carrying header fields beyond ACL/5.x extras was decoded.
    for (client, t) in &tally {
        let headers_expected = t.frames - t.no_header_needed;
        assert!(
            t.headers >= headers_expected,
            "{client}: {} of {headers_expected} headers typed",
            t.headers
        );
    }
}

/// Keys that carry no header of their own (ACL signature fields).
fn is_ignorable(key: &str) -> bool {
    matches!(
        key,
        "AccessKey" | "Signature" | "OnsChannel" | "SecurityToken"
    )
}
