//! [`run`]: accept connections and drive them until shutdown.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{Connection, Processor, ServerConfig};

/// Serves `listener` with `processor` until `shutdown` completes, then closes
/// every connection and waits for their tasks to end.
pub async fn run(
    config: ServerConfig,
    listener: TcpListener,
    processor: Arc<dyn Processor>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let cancel = CancellationToken::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    match Connection::start_with_handle(
                        stream,
                        processor.clone(),
                        config.max_frame_len,
                        config.max_inflight_per_connection,
                        cancel.child_token(),
                    ) {
                        Ok((_conn, handle)) => {
                            connections.spawn(async move {
                                let _ = handle.await;
                            });
                        }
                        Err(e) => tracing::warn!(%peer, error = %e, "could not set up connection"),
                    }
                }
                Err(e) => {
                    // Out of file descriptors and similar: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    cancel.cancel();
    while connections.join_next().await.is_some() {}
    Ok(())
}
