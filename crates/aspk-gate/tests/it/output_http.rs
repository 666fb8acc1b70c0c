use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aspk_gate::output::http::HTTP_TIMEOUT;
use aspk_gate::{Direction, OutputError, OutputSpec, PassInfo, Turnstile};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

type Seen = Arc<Mutex<Vec<Value>>>;

/// A turnstile controller on loopback: `/open` records the JSON and answers 204, `/jammed`
/// answers 500, `/slow` never answers in time.
async fn controller() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route(
            "/open",
            post(
                |State(seen): State<Seen>, Json(body): Json<Value>| async move {
                    seen.lock().unwrap().push(body);
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .route(
            "/jammed",
            post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "motor jammed") }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                StatusCode::OK
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

fn turnstile(url: String) -> Turnstile {
    Turnstile::new(OutputSpec::Http { url }, Duration::from_millis(800))
        .with_direction(Direction::Entry)
        .with_gate("hall-2")
}

fn info() -> PassInfo {
    PassInfo {
        ticket: Some("4600000000017".to_owned()),
        result: "admit".to_owned(),
        gate: "hall-2".to_owned(),
        needs_document_check: true,
    }
}

#[tokio::test]
async fn posts_the_decision_as_json() {
    let (addr, seen) = controller().await;
    let t = turnstile(format!("http://{addr}/open"));
    t.open(&info()).await.unwrap();
    t.hold_open(true).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            json!({"ticket": "4600000000017", "result": "admit", "gate": "hall-2",
                   "direction": "entry", "pulse_ms": 800, "check_document": true}),
            json!({"ticket": null, "result": "free_passage_on", "gate": "hall-2",
                   "direction": "entry", "pulse_ms": 800, "check_document": false}),
        ]
    );
}

#[tokio::test]
async fn a_failing_controller_is_an_error() {
    let (addr, _) = controller().await;
    let err = turnstile(format!("http://{addr}/jammed"))
        .open(&info())
        .await
        .unwrap_err();
    match &err {
        OutputError::HttpStatus { status, body, .. } => {
            assert_eq!(*status, 500);
            assert_eq!(body, "motor jammed");
        }
        other => panic!("expected HttpStatus, got {other:?}"),
    }
    assert!(err.to_string().contains("500"), "{err}");
}

#[tokio::test]
async fn an_unreachable_controller_is_an_error() {
    // A port that was free a moment ago: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = turnstile(format!("http://127.0.0.1:{port}/open"))
        .open(&info())
        .await
        .unwrap_err();
    assert!(matches!(err, OutputError::Http { .. }), "{err:?}");
}

#[tokio::test]
async fn a_slow_controller_times_out() {
    let (addr, _) = controller().await;
    let started = Instant::now();
    let err = turnstile(format!("http://{addr}/slow"))
        .open(&info())
        .await
        .unwrap_err();
    assert!(matches!(err, OutputError::Http { .. }), "{err:?}");
    let took = started.elapsed();
    assert!(
        took >= HTTP_TIMEOUT && took < HTTP_TIMEOUT + Duration::from_secs(2),
        "{took:?}"
    );
}
