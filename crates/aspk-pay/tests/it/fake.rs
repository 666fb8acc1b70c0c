//! Serving a fake acquirer's router on a loopback port.

use tokio::net::TcpListener;

/// Serves `app` on 127.0.0.1:0; returns its base URL. The server lives as long as the
/// test's runtime.
pub async fn serve(app: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}
