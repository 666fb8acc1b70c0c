//! A line-oriented TCP listener: network scanners (or a bridge) connect and send one code
//! per line. Several may be connected at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};

use super::lines::{forward_lines, Ended};
use super::{InputError, CHANNEL_CAPACITY};

/// Connections served at once; more wait in the accept queue.
pub const MAX_CONNECTIONS: usize = 32;

/// Binds `addr` (port 0 picks a free one) and returns the bound address with the code
/// channel. Must be called inside a tokio runtime.
pub fn spawn(addr: SocketAddr) -> Result<(SocketAddr, mpsc::Receiver<String>), InputError> {
    super::ensure_runtime()?;
    let bind_err = |source| InputError::Bind { addr, source };
    let std_listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
    std_listener.set_nonblocking(true).map_err(bind_err)?;
    let listener = TcpListener::from_std(std_listener).map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    tokio::spawn(accept_loop(listener, tx));
    tracing::info!(%local, "listening for line clients");
    Ok((local, rx))
}

async fn accept_loop(listener: TcpListener, tx: mpsc::Sender<String>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => tokio::select! {
                    a = listener.accept() => a.map(|conn| (conn, permit)),
                    () = tx.closed() => return,
                },
                Err(_) => return,
            },
            () = tx.closed() => return,
        };
        match accepted {
            Ok(((stream, peer), permit)) => {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    let source = format!("tcp:{peer}");
                    tracing::info!(source, "line client connected");
                    match forward_lines(stream, &tx, &source).await {
                        Ended::Error(e) => {
                            tracing::warn!(source, error = %e, "line client connection failed")
                        }
                        Ended::Eof | Ended::ReceiverGone => {
                            tracing::info!(source, "line client disconnected")
                        }
                    }
                });
            }
            Err(e) => {
                // E.g. out of file descriptors: back off instead of spinning.
                tracing::warn!(error = %e, "accepting a scanner connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
