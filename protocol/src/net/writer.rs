//! The writer side of a connection: queued frames are gathered into one
//! batch and written with vectored writes.
//!
//! Headers and small bodies are encoded into one contiguous buffer (a
//! frame's first body part up to 4 KiB: a message in a send request goes
//! out in one run with its header); further body segments of
//! [`ZERO_COPY_MIN`] bytes or more (a pull response's stored records,
//! slices of the mapped CommitLog) are not copied but queued as they are,
//! so they go from the page cache to the socket with the kernel's copy
//! only.

use std::io::IoSlice;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use super::Connection;
use crate::code::response;
use crate::codec::{CodecError, RemotingCodec};
use crate::command::RemotingCommand;

/// Frames queued beyond this many bytes are written before encoding more.
const WRITE_BATCH_BYTES: usize = 256 * 1024;
/// Body segments at least this long are written in place, not copied.
pub(crate) const ZERO_COPY_MIN: usize = 512;
/// A frame's first body part is copied up to this length: a request body
/// (a message) is written with its header in one run, while the stored
/// records that follow in a pull response stay in place.
const FIRST_PART_COPY_MAX: usize = 4096;
/// Segments handed to one `writev` (well below IOV_MAX).
const MAX_IOVECS: usize = 64;
/// The contiguous buffer is replaced when it grew beyond this.
const MAX_KEPT_BUFFER: usize = 4 * 1024 * 1024;

/// The frames of one write: a contiguous buffer for what was copied and an
/// ordered list of segments (copied runs and zero-copy body segments) not
/// yet written.
pub(crate) struct WriteBatch {
    buf: BytesMut,
    segments: Vec<Bytes>,
    len: usize,
}

impl WriteBatch {
    /// An empty batch.
    pub(crate) fn new() -> Self {
        WriteBatch {
            buf: BytesMut::with_capacity(64 * 1024),
            segments: Vec::new(),
            len: 0,
        }
    }

    /// Bytes queued since the batch was last written out.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is left to write.
    fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.segments.is_empty()
    }

    /// Appends one frame: header encoded into the buffer, body segments
    /// copied when small and queued in place when large. A frame that
    /// cannot be encoded is refused and the batch left as it was.
    pub(crate) fn push(&mut self, mut cmd: RemotingCommand) -> Result<(), CodecError> {
        let before = self.buf.len();
        RemotingCodec::encode_head(&cmd, &mut self.buf)?;
        self.len += self.buf.len() - before;
        let body = std::mem::take(&mut cmd.body);
        for (i, part) in std::iter::once(body)
            .chain(cmd.body_tail.drain(..))
            .enumerate()
        {
            self.len += part.len();
            let copy_max = if i == 0 {
                FIRST_PART_COPY_MAX
            } else {
                ZERO_COPY_MIN - 1
            };
            if part.len() > copy_max {
                self.seal();
                self.segments.push(part);
            } else {
                self.buf.extend_from_slice(&part);
            }
        }
        Ok(())
    }

    /// Ends the current copied run, so a zero-copy segment can follow it.
    fn seal(&mut self) {
        if !self.buf.is_empty() {
            self.segments.push(self.buf.split().freeze());
        }
    }

    /// Up to [`MAX_IOVECS`] segments from the front, for one `writev`.
    fn slices(&self) -> ([IoSlice<'_>; MAX_IOVECS], usize) {
        let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
        let mut count = 0;
        for (slot, seg) in slices.iter_mut().zip(&self.segments) {
            *slot = IoSlice::new(seg);
            count += 1;
        }
        (slices, count)
    }

    /// Drops the first `n` bytes written.
    fn advance(&mut self, mut n: usize) {
        let mut done = 0;
        for s in &mut self.segments {
            if n >= s.len() {
                n -= s.len();
                done += 1;
            } else {
                s.advance(n);
                break;
            }
        }
        self.segments.drain(..done);
    }

    /// After everything was written: ready for the next batch.
    fn reset(&mut self) {
        self.len = 0;
        if self.buf.capacity() > MAX_KEPT_BUFFER {
            self.buf = BytesMut::with_capacity(64 * 1024);
        }
    }

    /// Writes everything queued and empties the batch.
    pub(crate) async fn write_to(&mut self, w: &mut OwnedWriteHalf) -> std::io::Result<()> {
        self.seal();
        while !self.segments.is_empty() {
            let n = {
                let (slices, count) = self.slices();
                w.write_vectored(&slices[..count]).await?
            };
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            self.advance(n);
        }
        self.reset();
        Ok(())
    }

    /// Writes what the socket takes without waiting: true when everything
    /// went out, false when the rest must wait for the socket.
    pub(crate) fn try_write_to(&mut self, w: &OwnedWriteHalf) -> std::io::Result<bool> {
        self.seal();
        while !self.segments.is_empty() {
            let n = {
                let (slices, count) = self.slices();
                match w.try_write_vectored(&slices[..count]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            self.advance(n);
        }
        self.reset();
        Ok(true)
    }
}

/// The sending half of a connection: queued frames, the batch being
/// written, and the socket. Shared (under an async mutex) by the writer
/// task and the reader, which writes its responses itself when it can.
pub(crate) struct WriteSide {
    rx: mpsc::UnboundedReceiver<RemotingCommand>,
    write: OwnedWriteHalf,
    batch: WriteBatch,
}

impl WriteSide {
    /// The write side over `write`, taking the frames sent to `rx`.
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<RemotingCommand>, write: OwnedWriteHalf) -> Self {
        WriteSide {
            rx,
            write,
            batch: WriteBatch::new(),
        }
    }

    /// Moves queued frames into the batch (up to [`WRITE_BATCH_BYTES`]);
    /// true when there is something to write.
    fn fill(&mut self) -> bool {
        while self.batch.len() < WRITE_BATCH_BYTES {
            match self.rx.try_recv() {
                Ok(f) => {
                    let (code, opaque, serialize_type) = (f.code, f.opaque, f.serialize_type);
                    if let Err(e) = self.batch.push(f) {
                        // Sending it would put a corrupt frame on the wire;
                        // requests are checked before they are queued, so
                        // this is a response: the peer gets a SYSTEM_ERROR
                        // saying why instead of waiting for its timeout.
                        tracing::error!(code, opaque, error = %e, "response cannot be encoded; sending SYSTEM_ERROR");
                        let mut err = RemotingCommand::error(
                            response::SYSTEM_ERROR,
                            format!("the response (code {code}) cannot be encoded: {e}"),
                        );
                        err.opaque = opaque;
                        err.serialize_type = serialize_type;
                        if let Err(e) = self.batch.push(err) {
                            tracing::error!(opaque, error = %e, "error response cannot be encoded; dropped");
                        }
                    }
                }
                Err(_) => break,
            }
        }
        !self.batch.is_empty()
    }

    /// Writes every queued frame, waiting for the socket as needed.
    pub(crate) async fn write_queued(&mut self) -> std::io::Result<()> {
        while self.fill() {
            self.batch.write_to(&mut self.write).await?;
        }
        Ok(())
    }

    /// Writes queued frames while the socket takes them without waiting:
    /// true when none is left.
    pub(crate) fn try_write_queued(&mut self) -> std::io::Result<bool> {
        while self.fill() {
            if !self.batch.try_write_to(&self.write)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Shuts the socket's sending direction down.
    pub(crate) async fn shutdown(&mut self) {
        let _ = self.write.shutdown().await;
    }
}

/// The writer task: woken when frames are queued (or when the reader left
/// some it could not write), writes everything queued in as few syscalls
/// as the kernel allows.
pub(crate) async fn write_loop(conn: Arc<Connection>) {
    loop {
        tokio::select! {
            _ = conn.writer_wake().notified() => {}
            _ = conn.cancelled() => break,
        }
        let mut side = conn.write_side().lock().await;
        if let Err(e) = side.write_queued().await {
            tracing::debug!(peer = %conn.peer_addr(), error = %e, "write failed; closing connection");
            break;
        }
    }
    conn.mark_closed();
    conn.write_side().lock().await.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_parts_are_copied_large_ones_kept() {
        let big = Bytes::from(vec![7u8; ZERO_COPY_MIN]);
        let cmd = RemotingCommand::success().with_body_parts([
            Bytes::from_static(b"tiny"),
            big.clone(),
            Bytes::from_static(b"end"),
        ]);
        let mut b = WriteBatch::new();
        b.push(cmd.clone()).unwrap();
        b.push(RemotingCommand::success()).unwrap();
        b.seal();
        // head+tiny | big (in place) | end+next frame
        assert_eq!(b.segments.len(), 3);
        assert_eq!(b.segments[1].as_ptr(), big.as_ptr());
        let mut expected = BytesMut::new();
        RemotingCodec::encode_frame(&cmd, &mut expected).unwrap();
        RemotingCodec::encode_frame(&RemotingCommand::success(), &mut expected).unwrap();
        let joined: Vec<u8> = b.segments.iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(joined, &expected[..]);
        assert_eq!(b.len(), expected.len());
    }

    /// Answers every request with the response its function builds.
    struct Reply(fn() -> RemotingCommand);

    impl super::super::Processor for Reply {
        fn process<'a>(
            &'a self,
            _conn: &'a Arc<Connection>,
            _req: RemotingCommand,
        ) -> super::super::BoxFuture<'a, Option<RemotingCommand>> {
            let resp = (self.0)();
            Box::pin(async move { Some(resp) })
        }
    }

    /// A body of many large segments plus small ones.
    fn segmented() -> RemotingCommand {
        RemotingCommand::success().with_body_parts(parts())
    }

    fn parts() -> Vec<Bytes> {
        (0..200u32)
            .map(|i| {
                Bytes::from(vec![
                    (i % 251) as u8;
                    if i % 3 == 0 { 7 } else { 1000 + i as usize }
                ])
            })
            .collect()
    }

    /// Echoes the request body back, `copies` times.
    struct Echo {
        copies: usize,
    }

    impl super::super::Processor for Echo {
        fn process<'a>(
            &'a self,
            _conn: &'a Arc<Connection>,
            req: RemotingCommand,
        ) -> super::super::BoxFuture<'a, Option<RemotingCommand>> {
            let parts = vec![req.body.clone(); self.copies];
            Box::pin(async move { Some(RemotingCommand::success().with_body_parts(parts)) })
        }
    }

    /// A response the codec cannot encode (here a code that does not fit
    /// the binary header's 16-bit field) is answered with SYSTEM_ERROR
    /// saying why, at once, not left to the caller's timeout.
    #[tokio::test]
    async fn an_unencodable_response_becomes_a_system_error() {
        let (conn, stop, server) = serve(Reply(|| RemotingCommand::response(40_000, None))).await;
        let mut req = RemotingCommand::new_request(1);
        req.serialize_type = crate::command::SerializeType::RocketMq;
        let resp = conn
            .invoke(req, std::time::Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(resp.code, response::SYSTEM_ERROR);
        let remark = resp.remark.unwrap_or_default();
        assert!(remark.contains("40000"), "{remark}");
        // The connection stays usable; JSON headers carry the code whole.
        let resp = conn
            .invoke(
                RemotingCommand::new_request(1),
                std::time::Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert_eq!(resp.code, 40_000);
        conn.close();
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    /// Serves `processor` on an ephemeral port and connects to it; send on
    /// the returned sender to stop the server.
    async fn serve(
        processor: impl super::super::Processor,
    ) -> (
        Arc<Connection>,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(super::super::run(
            super::super::ServerConfig::default(),
            listener,
            Arc::new(processor),
            async move {
                let _ = stopped.await;
            },
        ));
        let conn = Connection::connect(&addr, &super::super::ClientConfig::default(), None)
            .await
            .unwrap();
        (conn, stop, server)
    }

    /// Many pipelined requests whose answers outgrow the socket buffer: the
    /// reader writes what the socket takes and leaves the rest to the
    /// writer task; every answer arrives, each to its own request.
    #[tokio::test]
    async fn pipelined_answers_larger_than_the_socket_buffer_all_arrive() {
        let (conn, stop, server) = serve(Echo { copies: 16 }).await;
        let calls = (0..300u32).map(|i| {
            let body = Bytes::from(vec![(i % 251) as u8; 4096 + i as usize]);
            let call = conn.invoke(
                RemotingCommand::new_request(1).with_body(body.clone()),
                std::time::Duration::from_secs(20),
            );
            async move { (body, call.await) }
        });
        for (body, resp) in futures::future::join_all(calls).await {
            let resp = resp.unwrap();
            let expected: Vec<u8> = (0..16).flat_map(|_| body.iter().copied()).collect();
            assert_eq!(resp.contiguous_body(), expected);
        }
        conn.close();
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn segmented_responses_arrive_whole_over_tcp() {
        let (conn, stop, server) = serve(Reply(segmented)).await;
        let expected: Vec<u8> = parts().iter().flat_map(|p| p.iter().copied()).collect();
        let calls = (0..8).map(|_| {
            conn.invoke(
                RemotingCommand::new_request(1),
                std::time::Duration::from_secs(5),
            )
        });
        for resp in futures::future::join_all(calls).await {
            let resp = resp.unwrap();
            assert!(resp.body_tail.is_empty());
            assert_eq!(&resp.body[..], &expected[..]);
        }
        conn.close();
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }
}
