//! Every class of malformed frame closes only the connection that sent it;
//! the NameServer keeps serving its other connections and new ones.

use std::time::Duration;

use harness::{connect, Cluster, RPC_TIMEOUT};
use protocol::code::{request, response};
use protocol::RemotingCommand;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A frame with an explicit total length, type byte and header length.
fn raw_frame(total: i32, serialize_type: u8, header_len: u32, rest: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(
        &((u32::from(serialize_type) << 24) | (header_len & 0x00FF_FFFF)).to_be_bytes(),
    );
    f.extend_from_slice(rest);
    f
}

/// A consistent frame around `header` bytes.
fn frame(serialize_type: u8, header: &[u8]) -> Vec<u8> {
    raw_frame(
        4 + header.len() as i32,
        serialize_type,
        header.len() as u32,
        header,
    )
}

/// True when the server closes the connection (EOF or reset) within 5 s.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // an error response before the close is fine
        }
    }
}

#[tokio::test]
async fn each_malformed_frame_closes_only_its_own_connection() {
    let cluster = Cluster::builder().start().await.unwrap();
    let addr = cluster.namesrv_addr(0).to_owned();
    let bystander = connect(&addr).await.unwrap();

    let valid_header = br#"{"code":206,"flag":0,"language":"JAVA","opaque":1,"version":401}"#;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "oversize length",
            raw_frame(16 * 1024 * 1024 + 1, 0, 10, b"0123456789"),
        ),
        ("huge length", raw_frame(i32::MAX, 0, 10, b"0123456789")),
        ("negative length", raw_frame(-8, 0, 2, b"{}")),
        ("length below the header word", raw_frame(2, 0, 0, b"")),
        (
            "header longer than the frame",
            raw_frame(10, 0, 100, b"{}{}{}"),
        ),
        ("unknown serialize type", frame(7, valid_header)),
        (
            "unparsable JSON header",
            frame(0, b"{\"code\":105,\"opaque\":"),
        ),
        ("truncated binary header", frame(1, &[0, 105, 0])),
    ];
    for (what, bytes) in cases {
        let mut bad = TcpStream::connect(&addr).await.unwrap();
        bad.write_all(&bytes).await.unwrap();
        assert!(
            closed_by_server(&mut bad).await,
            "{what}: connection left open"
        );

        let resp = bystander
            .invoke(
                RemotingCommand::new_request(request::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
                RPC_TIMEOUT,
            )
            .await
            .unwrap_or_else(|e| panic!("{what}: other connection broken: {e}"));
        assert_eq!(resp.code, response::SUCCESS, "{what}");
    }
    let fresh = connect(&addr).await.unwrap();
    let resp = fresh
        .invoke(RemotingCommand::new_request(9999), RPC_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(resp.code, response::REQUEST_CODE_NOT_SUPPORTED);
}

#[tokio::test]
async fn a_frame_trickling_in_byte_by_byte_is_served() {
    let cluster = Cluster::builder().start().await.unwrap();
    let mut s = TcpStream::connect(cluster.namesrv_addr(0)).await.unwrap();
    let bytes = frame(
        0,
        br#"{"code":206,"flag":0,"language":"JAVA","opaque":42,"version":401}"#,
    );
    for b in bytes {
        s.write_all(&[b]).await.unwrap();
        s.flush().await.unwrap();
    }
    let mut len = [0u8; 4];
    tokio::time::timeout(RPC_TIMEOUT, s.read_exact(&mut len))
        .await
        .unwrap()
        .unwrap();
    let mut rest = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut rest).await.unwrap();
    let hlen = (u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) & 0xFF_FFFF) as usize;
    let header: serde_json::Value = serde_json::from_slice(&rest[4..4 + hlen]).unwrap();
    assert_eq!(header["opaque"], 42);
    assert_eq!(header["code"], 0);
}
