//! [`Connection`]: one multiplexed TCP connection, for clients and servers.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use super::router::RejectAll;
use super::writer::WriteSide;
use super::{ClientConfig, NetError, Processor};
use crate::code::response;
use crate::codec::RemotingCodec;
use crate::command::{RemotingCommand, SerializeType, FLAG_ONEWAY, FLAG_RESPONSE};

static NEXT_OPAQUE: AtomicI32 = AtomicI32::new(1);

/// Hashes the `opaque` keys of the pending table: they are distinct
/// sequential integers, so a multiply spreads them well enough, for a
/// fraction of SipHash's cost on every request and response.
#[derive(Default)]
struct OpaqueHasher(u64);

impl std::hash::Hasher for OpaqueHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i32(&mut self, v: i32) {
        self.0 = (v as u32 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Requests waiting for their response, by opaque.
type PendingTable =
    HashMap<i32, oneshot::Sender<RemotingCommand>, BuildHasherDefault<OpaqueHasher>>;
static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);

/// One TCP connection carrying requests and responses in both directions.
///
/// Invariants: every request sent with [`Connection::invoke`] is completed
/// exactly once, by its response, by its timeout, or by the connection
/// closing; once closed, a connection stays closed.
pub struct Connection {
    id: u64,
    peer: SocketAddr,
    local: SocketAddr,
    tx: mpsc::UnboundedSender<RemotingCommand>,
    /// Wakes the writer task: frames were queued for it.
    writer_wake: Notify,
    write_side: tokio::sync::Mutex<WriteSide>,
    pending: Mutex<PendingTable>,
    closed: AtomicBool,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("peer", &self.peer)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Connection {
    /// Dials `addr` and starts the connection's tasks. Requests the peer sends
    /// on this connection go to `handler` (REQUEST_CODE_NOT_SUPPORTED when none).
    pub async fn connect(
        addr: &str,
        cfg: &ClientConfig,
        handler: Option<Arc<dyn Processor>>,
    ) -> Result<Arc<Connection>, NetError> {
        let stream = match tokio::time::timeout(cfg.connect_timeout, TcpStream::connect(addr)).await
        {
            Ok(Ok(s)) => s,
            Ok(Err(source)) => {
                return Err(NetError::Connect {
                    addr: addr.to_owned(),
                    source,
                })
            }
            Err(_) => return Err(NetError::ConnectTimeout(addr.to_owned())),
        };
        let handler = handler.unwrap_or_else(|| Arc::new(RejectAll));
        Connection::start(
            stream,
            handler,
            cfg.max_frame_len,
            cfg.max_inflight,
            CancellationToken::new(),
        )
        .map_err(|source| NetError::Connect {
            addr: addr.to_owned(),
            source,
        })
    }

    /// Wraps an established stream: spawns the writer and reader tasks and
    /// returns the handle plus the reader task's join handle.
    pub(crate) fn start(
        stream: TcpStream,
        processor: Arc<dyn Processor>,
        max_frame_len: usize,
        max_inflight: usize,
        cancel: CancellationToken,
    ) -> std::io::Result<Arc<Connection>> {
        Self::start_with_handle(stream, processor, max_frame_len, max_inflight, cancel)
            .map(|(c, _)| c)
    }

    /// Like [`Connection::start`], also returning the reader task's handle.
    pub(crate) fn start_with_handle(
        stream: TcpStream,
        processor: Arc<dyn Processor>,
        max_frame_len: usize,
        max_inflight: usize,
        cancel: CancellationToken,
    ) -> std::io::Result<(Arc<Connection>, tokio::task::JoinHandle<()>)> {
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let local = stream.local_addr()?;
        let (read, write) = stream.into_split();
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = Arc::new(Connection {
            id: NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed),
            peer,
            local,
            tx,
            writer_wake: Notify::new(),
            write_side: tokio::sync::Mutex::new(WriteSide::new(rx, write)),
            pending: Mutex::new(PendingTable::default()),
            closed: AtomicBool::new(false),
            cancel,
        });
        tokio::spawn(super::writer::write_loop(conn.clone()));
        processor.on_connected(&conn);
        let handle = tokio::spawn(read_loop(
            conn.clone(),
            read,
            processor,
            max_frame_len,
            max_inflight,
        ));
        Ok((conn, handle))
    }

    /// A process-unique id for this connection.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The remote address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// True once the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Closes the connection; pending invokes fail with [`NetError::Closed`].
    pub fn close(&self) {
        self.cancel.cancel();
    }

    /// Sends a request and waits for its response, at most `timeout`.
    /// A request the codec cannot encode fails at once with
    /// [`NetError::Encode`].
    pub async fn invoke(
        &self,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, NetError> {
        RemotingCodec::check_encodable(&request)?;
        let opaque = next_opaque();
        request.opaque = opaque;
        request.flag &= !(FLAG_RESPONSE | FLAG_ONEWAY);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(opaque, tx);
        if self.send_frame(request).is_err() {
            self.pending.lock().remove(&opaque);
            return Err(self.closed_error());
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => {
                self.pending.lock().remove(&opaque);
                Err(NetError::Timeout {
                    addr: self.peer.to_string(),
                    timeout,
                })
            }
        }
    }

    /// Sends a request that gets no response ([`NetError::Encode`] when it
    /// cannot be encoded).
    pub fn send_oneway(&self, mut request: RemotingCommand) -> Result<(), NetError> {
        RemotingCodec::check_encodable(&request)?;
        request.opaque = next_opaque();
        request.flag = (request.flag | FLAG_ONEWAY) & !FLAG_RESPONSE;
        self.send_frame(request)
    }

    /// Queues a frame exactly as given for the writer task.
    pub(crate) fn send_frame(&self, frame: RemotingCommand) -> Result<(), NetError> {
        self.queue_frame(frame)?;
        self.writer_wake.notify_one();
        Ok(())
    }

    /// Queues a frame without waking the writer task: the caller (the
    /// reader) writes it with [`Connection::flush_queued`] before it next
    /// waits for the socket.
    fn queue_frame(&self, frame: RemotingCommand) -> Result<(), NetError> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        self.tx.send(frame).map_err(|_| self.closed_error())
    }

    /// Writes the queued frames from the calling task while the socket
    /// takes them without waiting; what is left (or everything, when the
    /// writer task is writing) goes to the writer task.
    fn flush_queued(&self) {
        let Ok(mut side) = self.write_side.try_lock() else {
            self.writer_wake.notify_one();
            return;
        };
        match side.try_write_queued() {
            Ok(true) => {}
            Ok(false) => {
                drop(side);
                self.writer_wake.notify_one();
            }
            Err(e) => {
                drop(side);
                tracing::debug!(peer = %self.peer, error = %e, "write failed; closing connection");
                self.mark_closed();
            }
        }
    }

    /// What wakes the writer task.
    pub(crate) fn writer_wake(&self) -> &Notify {
        &self.writer_wake
    }

    /// The sending half, shared by the writer task and the reader.
    pub(crate) fn write_side(&self) -> &tokio::sync::Mutex<WriteSide> {
        &self.write_side
    }

    fn closed_error(&self) -> NetError {
        NetError::Closed(self.peer.to_string())
    }

    fn complete(&self, response: RemotingCommand) {
        let waiter = self.pending.lock().remove(&response.opaque);
        match waiter {
            Some(w) => {
                let _ = w.send(response);
            }
            None => tracing::debug!(
                peer = %self.peer,
                opaque = response.opaque,
                "response for an unknown or timed-out request dropped"
            ),
        }
    }

    /// Resolves once the connection is being closed.
    pub(crate) fn cancelled(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }

    /// Marks the connection closed and fails every pending invoke.
    pub(crate) fn mark_closed(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.cancel.cancel();
        // Dropping the senders wakes every waiter with "closed".
        self.pending.lock().clear();
    }
}

/// The next request id of this process.
fn next_opaque() -> i32 {
    NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed) & i32::MAX
}

/// A processor's answer as the response frame to send: none for oneway
/// requests; else the request's opaque and serialize type, response flag set.
fn as_response(
    resp: Option<RemotingCommand>,
    oneway: bool,
    opaque: i32,
    serialize_type: SerializeType,
) -> Option<RemotingCommand> {
    let mut resp = resp?;
    if oneway {
        return None;
    }
    resp.opaque = opaque;
    resp.flag |= FLAG_RESPONSE;
    resp.serialize_type = serialize_type;
    Some(resp)
}

/// True when `buf` starts with a whole frame (or with a length the codec
/// will reject): the reader handles it before it reads the socket again.
fn holds_whole_frame(buf: &[u8]) -> bool {
    match buf {
        [a, b, c, d, rest @ ..] => {
            let total = i32::from_be_bytes([*a, *b, *c, *d]);
            total < 0 || rest.len() >= total as usize
        }
        _ => false,
    }
}

async fn read_loop(
    conn: Arc<Connection>,
    read: OwnedReadHalf,
    processor: Arc<dyn Processor>,
    max_frame_len: usize,
    max_inflight: usize,
) {
    let mut frames = FramedRead::with_capacity(read, RemotingCodec::new(max_frame_len), 64 * 1024);
    let mut inflight = FuturesUnordered::new();
    // Responses queued since the last flush. The reader writes them itself
    // once it has handled every frame already read, before it waits for
    // the socket again: one write per read instead of a wake-up of the
    // writer task, and the client gets the answers to what it sent first
    // while the broker reads and handles what it sent next.
    let mut unflushed = false;
    loop {
        if unflushed && !holds_whole_frame(frames.read_buffer()) {
            conn.flush_queued();
            unflushed = false;
        }
        tokio::select! {
            _ = conn.cancel.cancelled() => break,
            Some(resp) = inflight.next(), if !inflight.is_empty() => {
                if let Some(resp) = resp {
                    unflushed |= conn.queue_frame(resp).is_ok();
                }
                // A group commit completes many sends at once: queue every
                // answer that is ready before flushing them together.
                while let Poll::Ready(Some(resp)) = futures::poll!(inflight.next()) {
                    if let Some(resp) = resp {
                        unflushed |= conn.queue_frame(resp).is_ok();
                    }
                }
            }
            frame = frames.next() => match frame {
                None => break,
                Some(Err(e)) => {
                    tracing::warn!(peer = %conn.peer, error = %e, "malformed frame; closing connection");
                    break;
                }
                Some(Ok(cmd)) if cmd.is_response() => conn.complete(cmd),
                Some(Ok(cmd)) => {
                    let opaque = cmd.opaque;
                    let serialize_type = cmd.serialize_type;
                    let oneway = cmd.is_oneway();
                    if inflight.len() >= max_inflight {
                        if !oneway {
                            let mut busy = RemotingCommand::error(
                                response::SYSTEM_BUSY,
                                "[OVERLOAD]system busy, start flow control for a while",
                            );
                            busy.opaque = opaque;
                            busy.serialize_type = serialize_type;
                            unflushed |= conn.queue_frame(busy).is_ok();
                        }
                        continue;
                    }
                    let mut fut = processor.process(&conn, cmd);
                    // Most requests (sends under ASYNC_FLUSH, lookups) are
                    // answered on their first poll: reply at once, without a
                    // slot (and its allocation and wake-ups) in `inflight`.
                    let first = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
                    match first {
                        Poll::Ready(resp) => {
                            if let Some(resp) = as_response(resp, oneway, opaque, serialize_type) {
                                unflushed |= conn.queue_frame(resp).is_ok();
                            }
                        }
                        Poll::Pending => inflight.push(async move {
                            as_response(fut.await, oneway, opaque, serialize_type)
                        }),
                    }
                }
            }
        }
    }
    if unflushed {
        // Answers to requests read before the peer closed its side.
        conn.flush_queued();
    }
    drop(inflight);
    conn.mark_closed();
    processor.on_closed(&conn);
}
