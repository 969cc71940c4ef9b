//! The net layer end to end on loopback: request/response matching,
//! oneway, timeouts, unknown codes, lost connections, bad frames.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use protocol::code::response;
use protocol::net::{self, BoxFuture, ClientConfig, Connection, NetError, Processor, Router};
use protocol::{RemotingCommand, SerializeType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Echoes the ext field "v" back after an optional delay; counts oneways.
struct Echo {
    oneways: AtomicUsize,
}

impl Processor for Echo {
    fn process<'a>(
        &'a self,
        _conn: &'a Arc<Connection>,
        req: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        Box::pin(async move {
            if req.is_oneway() {
                self.oneways.fetch_add(1, Ordering::SeqCst);
            }
            let delay: u64 = req
                .ext_fields
                .get("delayMs")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let mut resp = RemotingCommand::success();
            resp.ext_fields
                .put("v", req.ext_fields.get("v").unwrap_or(""));
            Some(resp.with_body(req.body))
        })
    }
}

async fn start() -> (
    String,
    Arc<Echo>,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let echo = Arc::new(Echo {
        oneways: AtomicUsize::new(0),
    });
    let router = Router::new().route(7, echo.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let cfg = net::ServerConfig {
        max_frame_len: 64 * 1024,
        ..Default::default()
    };
    let h = tokio::spawn(async move {
        net::run(cfg, listener, Arc::new(router), async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (addr, echo, tx, h)
}

fn req(v: &str, delay_ms: u64) -> RemotingCommand {
    let mut c = RemotingCommand::new_request(7);
    c.ext_fields.put("v", v);
    c.ext_fields.put("delayMs", delay_ms);
    c
}

#[tokio::test]
async fn out_of_order_responses_match_their_requests() {
    let (addr, _echo, stop, h) = start().await;
    let conn = Connection::connect(&addr, &ClientConfig::default(), None)
        .await
        .unwrap();
    let mut calls = Vec::new();
    for i in 0..50u64 {
        let c = conn.clone();
        calls.push(tokio::spawn(async move {
            let mut r = req(&i.to_string(), (50 - i) % 7 * 5);
            r.body = bytes::Bytes::from(vec![i as u8; i as usize]);
            if i % 2 == 0 {
                r.serialize_type = SerializeType::RocketMq;
            }
            let resp = c.invoke(r, Duration::from_secs(5)).await.unwrap();
            assert!(resp.is_response());
            assert_eq!(resp.ext_fields.get("v"), Some(i.to_string().as_str()));
            assert_eq!(resp.body.len(), i as usize);
            let expect = if i % 2 == 0 {
                SerializeType::RocketMq
            } else {
                SerializeType::Json
            };
            assert_eq!(resp.serialize_type, expect);
        }));
    }
    for c in calls {
        c.await.unwrap();
    }
    stop.send(()).unwrap();
    h.await.unwrap();
    tokio::time::timeout(Duration::from_secs(2), async {
        while !conn.is_closed() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("server shutdown closes client connections");
}

#[tokio::test]
async fn unknown_code_oneway_and_timeout() {
    let (addr, echo, _stop, _h) = start().await;
    let conn = Connection::connect(&addr, &ClientConfig::default(), None)
        .await
        .unwrap();
    let resp = conn
        .invoke(RemotingCommand::new_request(12345), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(resp.code, response::REQUEST_CODE_NOT_SUPPORTED);
    assert!(resp.remark_str().contains("12345"));

    conn.send_oneway(req("x", 0)).unwrap();
    // A oneway gets no response; a later request still works, proving order.
    let resp = conn
        .invoke(req("after", 0), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(resp.ext_fields.get("v"), Some("after"));
    assert_eq!(echo.oneways.load(Ordering::SeqCst), 1);

    let err = conn
        .invoke(req("slow", 2000), Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::Timeout { .. }));

    // A binary header cannot carry a code beyond i16: refused at once, not
    // sent truncated; the connection stays usable.
    let mut bad = req("bad", 0);
    bad.code = 40_000;
    bad.serialize_type = SerializeType::RocketMq;
    let err = conn
        .invoke(bad.clone(), Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::Encode(_)), "{err:?}");
    assert!(matches!(conn.send_oneway(bad), Err(NetError::Encode(_))));
    let resp = conn
        .invoke(req("still", 0), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(resp.ext_fields.get("v"), Some("still"));
}

#[tokio::test]
async fn lost_connection_fails_waiters() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 16];
        let _ = s.read(&mut buf).await;
        drop(s); // read the request, then hang up without answering
    });
    let conn = Connection::connect(&addr, &ClientConfig::default(), None)
        .await
        .unwrap();
    let err = conn
        .invoke(req("x", 0), Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::Closed(_)), "{err:?}");
    server.await.unwrap();
    assert!(conn.is_closed());
    assert!(conn
        .invoke(req("y", 0), Duration::from_secs(1))
        .await
        .is_err());
}

#[tokio::test]
async fn bad_frames_close_only_their_own_connection() {
    let (addr, _echo, _stop, _h) = start().await;
    let good = Connection::connect(&addr, &ClientConfig::default(), None)
        .await
        .unwrap();
    let bad_frames: Vec<Vec<u8>> = vec![
        (1_000_000i32).to_be_bytes().to_vec(), // over the 64 KiB limit
        (-1i32).to_be_bytes().to_vec(),        // negative length
        [8i32.to_be_bytes(), 100u32.to_be_bytes(), [0; 4]].concat(), // header longer than frame
        [
            6i32.to_be_bytes().as_slice(),
            &((9u32 << 24) | 2).to_be_bytes(),
            b"{}",
        ]
        .concat(), // serialize type 9
        [6i32.to_be_bytes().as_slice(), &2u32.to_be_bytes(), b"{x"].concat(), // bad JSON
    ];
    for frame in bad_frames {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(&frame).await.unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("server closes the connection")
            .unwrap_or(0);
        assert_eq!(n, 0, "no response to a malformed frame, just a close");
        let resp = good
            .invoke(req("still", 0), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(resp.ext_fields.get("v"), Some("still"));
    }
}

#[tokio::test]
async fn server_can_call_the_client_back() {
    // The client registers a processor for requests the server sends it.
    struct Callback;
    impl Processor for Callback {
        fn process<'a>(
            &'a self,
            conn: &'a Arc<Connection>,
            req: RemotingCommand,
        ) -> BoxFuture<'a, Option<RemotingCommand>> {
            Box::pin(async move {
                let _ = conn;
                let mut r = RemotingCommand::success();
                r.remark = Some(format!("client saw {}", req.code));
                Some(r)
            })
        }
    }
    struct CallsBack;
    impl Processor for CallsBack {
        fn process<'a>(
            &'a self,
            conn: &'a Arc<Connection>,
            _req: RemotingCommand,
        ) -> BoxFuture<'a, Option<RemotingCommand>> {
            Box::pin(async move {
                let back = conn
                    .invoke(RemotingCommand::new_request(40), Duration::from_secs(5))
                    .await
                    .ok()?;
                Some(RemotingCommand::response(response::SUCCESS, back.remark))
            })
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(net::run(
        Default::default(),
        listener,
        Arc::new(CallsBack),
        std::future::pending(),
    ));
    let conn = Connection::connect(&addr, &ClientConfig::default(), Some(Arc::new(Callback)))
        .await
        .unwrap();
    let resp = conn
        .invoke(RemotingCommand::new_request(1), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(resp.remark_str(), "client saw 40");
}
