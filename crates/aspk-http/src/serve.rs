//! Serving a router on a listener, plain or over TLS, with the limits that keep one client
//! from tying the node up: a deadline for a request's headers (slow-loris), a cap on open
//! connections, and a deadline for the TLS handshake. The binary (`aspk serve`, `aspk gate
//! --listen`) and the tests share it, so what the tests check is what runs.
//!
//! Plain connections speak HTTP/1.1 only; TLS connections HTTP/2 or HTTP/1.1 as ALPN
//! chose. (Guessing the version from the first bytes, as `axum::serve` does, waits for those
//! bytes without a deadline: a client that connects and says nothing would hold a
//! connection for ever.) Every request carries the peer's address as
//! [`axum::extract::ConnectInfo<SocketAddr>`]: rate limits and sign-in lockouts key on it.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::Service;

/// What one server allows each connection.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// How long a client may take to send a request's headers (and, over TLS, to finish
    /// the handshake); also how long an idle keep-alive connection stays open.
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait in the listen queue until one closes.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// How long a graceful shutdown waits for connections to finish (a live order feed never
/// does by itself).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// HTTP/2 pings an idle connection this often, and drops it when the ping goes unanswered.
const H2_KEEP_ALIVE: Duration = Duration::from_secs(30);

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server about to run: `serve(listener, router, limits).await`, with TLS and a shutdown
/// signal added as needed.
#[must_use = "a server does nothing until awaited"]
pub struct Server {
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: Signal,
}

/// Serves `router` on `listener` within `limits` until the shutdown signal (never, unless
/// [`Server::with_graceful_shutdown`] gives one).
pub fn serve(listener: TcpListener, router: Router, limits: ServeLimits) -> Server {
    Server {
        listener,
        router,
        limits,
        tls: None,
        shutdown: Box::pin(std::future::pending()),
    }
}

impl Server {
    /// Serve HTTPS with this configuration (its ALPN list decides HTTP/2 or HTTP/1.1).
    pub fn tls(mut self, config: Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsAcceptor::from(config));
        self
    }

    /// Stop accepting when `signal` completes, then give open connections
    /// [`SHUTDOWN_GRACE`] to finish their requests.
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.shutdown = Box::pin(signal);
        self
    }

    async fn run(self) -> std::io::Result<()> {
        let Server {
            listener,
            router,
            limits,
            tls,
            mut shutdown,
        } = self;
        let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
        let graceful = GracefulShutdown::new();
        let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
        let builders = Arc::new(Builders::new(limits));
        loop {
            // A free slot first: beyond the cap, clients wait in the kernel's listen queue
            // (and are refused when it is full) instead of holding an accepted socket.
            let permit = tokio::select! {
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let (stream, remote) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        accept_failed(e).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let service = match make_service.call(remote).await {
                Ok(service) => service,
                Err(never) => match never {},
            };
            let service = TowerToHyperService::new(service);
            let watcher = graceful.watcher();
            let builders = builders.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let _permit = permit;
                match tls {
                    None => {
                        let conn = builders
                            .http1
                            .serve_connection(TokioIo::new(stream), service);
                        let _ = watcher.watch(conn).await;
                    }
                    Some(acceptor) => {
                        let Some(stream) = handshake(&acceptor, stream, &builders.limits).await
                        else {
                            return;
                        };
                        let is_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                        let builder = if is_h2 {
                            &builders.http2
                        } else {
                            &builders.http1
                        };
                        let conn = builder.serve_connection(TokioIo::new(stream), service);
                        let _ = watcher.watch(conn).await;
                    }
                }
            });
        }
        drop(listener);
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("connections still open after the shutdown grace period; closing them");
        }
        Ok(())
    }
}

impl IntoFuture for Server {
    type Output = std::io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// One builder per protocol, each fixed to it (no guessing from the first bytes).
struct Builders {
    http1: auto::Builder<TokioExecutor>,
    http2: auto::Builder<TokioExecutor>,
    limits: ServeLimits,
}

impl Builders {
    fn new(limits: ServeLimits) -> Self {
        let mut http1 = auto::Builder::new(TokioExecutor::new()).http1_only();
        http1
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        let mut http2 = auto::Builder::new(TokioExecutor::new()).http2_only();
        http2
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(H2_KEEP_ALIVE)
            .keep_alive_timeout(limits.header_read_timeout);
        Self {
            http1,
            http2,
            limits,
        }
    }
}

/// The TLS handshake, within the header deadline; `None` when it fails or takes too long.
async fn handshake(
    acceptor: &tokio_rustls::TlsAcceptor,
    stream: TcpStream,
    limits: &ServeLimits,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!("TLS handshake timed out");
            None
        }
    }
}

/// A failed accept: a connection that went away before we took it is nothing; anything else
/// (out of file descriptors, say) is logged and retried after a pause, as `axum::serve` does.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
