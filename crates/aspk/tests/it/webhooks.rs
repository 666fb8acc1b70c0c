//! Webhooks for integrations: signed with HMAC-SHA256, retried with backoff while the
//! receiver fails, in a delivery log, and resumed after a restart from the position saved.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::kit::TestApp;

const SECRET: &str = "a-webhook-secret-of-the-museum";

/// A receiver on loopback that fails its first `failures` requests, then takes them.
async fn receiver(failures: u32) -> (String, mpsc::UnboundedReceiver<(HeaderMap, Vec<u8>)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicU32::new(0));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (tx, seen) = (tx.clone(), seen.clone());
            async move {
                if seen.fetch_add(1, Ordering::SeqCst) < failures {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let _ = tx.send((headers, body.to_vec()));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(HeaderMap, Vec<u8>)>) -> (HeaderMap, Value) {
    let (headers, body) = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a webhook within 20 s")
        .expect("receiver open");
    let expected = aspk_hooks::signature(SECRET, &body);
    assert_eq!(
        headers["x-aspk-signature"].to_str().expect("header"),
        expected,
        "signed with HMAC-SHA256 of the body"
    );
    (headers, serde_json::from_slice(&body).expect("json event"))
}

fn sender(app: &TestApp, url: &str, dir: &std::path::Path) -> aspk_hooks::WebhookSender {
    let config = aspk_hooks::WebhookConfig {
        urls: vec![url.to_owned()],
        secret: SECRET.to_owned(),
        cursor_file: dir.join("webhooks.cursor"),
    };
    aspk_hooks::WebhookSender::new(app.node.clone(), config)
        .expect("sender")
        .with_first_pause(Duration::from_millis(50))
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_signed_retried_logged_and_resumed_after_a_restart() {
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("dir");
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 10).await;
    let (url, mut rx) = receiver(2).await;
    let running = sender(&app, &url, dir.path()).spawn();
    // Give it a moment to take the log's head as its starting point.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (status, order) = app.sell(&admin, "adult", &slot, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let (headers, event) = next(&mut rx).await;
    assert_eq!(event["type"], "order.paid");
    assert_eq!(headers["x-aspk-event"], "order.paid");
    assert_eq!(event["data"]["total_minor"], order["total_minor"]);
    let paid_id = event["id"].as_str().expect("id").to_owned();

    // The receiver failed twice first: three attempts, all in the log (the third is
    // logged once its answer is read, just after the receiver took it).
    let mut log = Value::Null;
    let mut attempts: Vec<Value> = Vec::new();
    for _ in 0..100 {
        log = app.get("/api/v1/webhooks/deliveries", Some(&admin)).await.1;
        attempts = log
            .as_array()
            .expect("deliveries")
            .iter()
            .filter(|d| d["event"] == paid_id.as_str())
            .cloned()
            .collect();
        if attempts.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(attempts.len(), 3, "{log}");
    assert_eq!(attempts[0]["status"], 204);
    assert!(attempts[1]["error"].is_string());

    let code = order["tickets"][0]["code"].as_str().expect("code");
    assert_eq!(
        app.scan_code(&admin, code, "main-1").await["result"],
        "admit"
    );
    let (_, event) = next(&mut rx).await;
    assert_eq!(event["type"], "ticket.entered");
    assert_eq!(event["data"]["gate"], "main-1");

    // A restart (a new sender on the same cursor file) resumes: nothing sent twice, and
    // what happened while it was down is sent. (Delivery is at least once: a sender stopped
    // between the receiver's answer and saving its position sends that event again; this
    // stops it once its position is saved.)
    let head = app.node.store().head().await.expect("head");
    for _ in 0..200 {
        let saved = std::fs::read_to_string(dir.path().join("webhooks.cursor")).unwrap_or_default();
        if saved.trim() == head.to_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    running.abort();
    let number = order["number"].as_str().expect("number");
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{number}/cancel"),
            Some(&admin),
            serde_json::json!({"reason": "visitor changed plans"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let _again = sender(&app, &url, dir.path()).spawn();
    let (_, event) = next(&mut rx).await;
    assert_eq!(event["type"], "order.cancelled", "{event}");
    assert_eq!(event["data"]["reason"], "visitor changed plans");
    assert!(
        tokio::time::timeout(Duration::from_millis(500), rx.recv())
            .await
            .is_err(),
        "nothing else, nothing twice"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_read_the_delivery_log() {
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let admin = app.admin().await;
    let cashier = app.staff(&admin, "kasa1", "cashier").await;
    let (status, _) = app.get("/api/v1/webhooks/deliveries", Some(&cashier)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/api/v1/webhooks/deliveries", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
