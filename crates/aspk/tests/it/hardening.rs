//! Attacks from the security review, each against a real server: slow-loris and connection
//! floods, bursts against the public endpoints, password guessing, framing and script
//! injection in staff pages, forged sign-ins, formulas in CSV exports, what anonymous
//! callers learn from the status and order lookups, and who may read the data folder.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use aspk_http::{RateLimits, ServeLimits};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::kit::{Backend, TestApp};

/// A client that connects from `ip` (any of 127.0.0.0/8 reaches the server on 127.0.0.1):
/// another address, as far as the server can tell.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Opens a connection that sends half a request line and then nothing.
async fn slow_client(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /api/v1/catalog HT").await.unwrap();
    stream
}

/// Waits until the server closes `stream` (EOF or reset); `None` if it is still open
/// after `limit`.
async fn closed_within(mut stream: TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut sink = Vec::new();
    match tokio::time::timeout(limit, stream.read_to_end(&mut sink)).await {
        Ok(_) => Some(started.elapsed()),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unfinished_headers_are_cut_off_while_others_are_served() {
    let limits = ServeLimits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 1024,
    };
    let app = TestApp::spawn_with(Backend::Sqlite, limits, RateLimits::default()).await;
    let addr = addr(&app);
    let mut held = Vec::new();
    for _ in 0..100 {
        held.push(slow_client(&addr).await);
    }
    // And some that connect and say nothing at all.
    for _ in 0..20 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    let (status, _) = app.get("/api/v1/catalog?venue=demo", None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "served while 120 slow clients hang on"
    );
    let closing = held
        .into_iter()
        .map(|s| tokio::spawn(closed_within(s, Duration::from_secs(6))));
    for (i, closed) in futures::future::join_all(closing)
        .await
        .into_iter()
        .enumerate()
    {
        let took = closed.unwrap();
        assert!(
            took.is_some_and(|t| t < Duration::from_secs(4)),
            "slow connection {i} closed at the header deadline, not {took:?}"
        );
    }
    let (status, _) = app.get("/api/v1/catalog?venue=demo", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_cap_wait_until_others_close() {
    let limits = ServeLimits {
        header_read_timeout: Duration::from_secs(60),
        max_connections: 8,
    };
    let app = TestApp::spawn_with(Backend::Sqlite, limits, RateLimits::default()).await;
    let addr = addr(&app);
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(slow_client(&addr).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let url = format!("{}/healthz", app.base);
    let waiting = tokio::spawn(async move { reqwest::Client::new().get(url).send().await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !waiting.is_finished(),
        "a ninth connection is not served while eight are open"
    );
    drop(held);
    let answered = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("served once the slow connections are gone")
        .unwrap()
        .unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    let (status, _) = app.get("/api/v1/catalog?venue=demo", None).await;
    assert_eq!(status, StatusCode::OK, "service resumes");
}

/// The real binary applies the limits it is given, on plain HTTP and over TLS.
#[tokio::test(flavor = "multi_thread")]
async fn aspk_serve_cuts_off_slow_clients_over_http_and_https() {
    let dir = tempfile::tempdir().unwrap();
    let plain = crate::kit::Process::serve(
        &dir.path().join("plain"),
        &["--header-timeout", "1", "--max-connections", "64"],
    )
    .await;
    let addr = plain.base.trim_start_matches("http://").to_owned();
    let took = closed_within(slow_client(&addr).await, Duration::from_secs(6)).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(4)), "{took:?}");

    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let port = crate::kit::free_port();
    let child = std::process::Command::new(crate::kit::binary())
        .args(["serve", "--demo", "--data"])
        .arg(dir.path().join("tls"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--tls-cert"])
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .args(["--header-timeout", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{port}");
    // Killed when dropped, also when an assertion fails.
    let _server = crate::kit::Process {
        child,
        base: base.clone(),
    };
    let mut healthy = false;
    for _ in 0..200 {
        if trusting
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(healthy, "answers over HTTPS");
    let silent = TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let half_hello = {
        let mut s = TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
            .await
            .unwrap();
        s
    };
    for stream in [silent, half_hello] {
        let took = closed_within(stream, Duration::from_secs(6)).await;
        assert!(
            took.is_some_and(|t| t < Duration::from_secs(4)),
            "an unfinished TLS handshake is cut off: {took:?}"
        );
    }
    let r = trusting
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

/// Every endpoint anyone may call, with a body that is well-formed enough to reach it.
fn public_endpoints() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        (
            "POST",
            "/api/v1/auth/token",
            Some(json!({"username": "nobody", "password": "guess"})),
        ),
        ("GET", "/api/v1/orders/10000000000009", None),
        ("GET", "/api/v1/tickets/10000000000009/pdf", None),
        (
            "POST",
            "/api/v1/enrolments/redeem",
            Some(json!({"code": "123456", "name": "phone", "origin": "scanner-x"})),
        ),
        ("GET", "/api/v1/status", None),
        (
            "POST",
            "/api/v1/requests",
            Some(
                json!({"venue": "demo", "name": "A", "email": "a@example.com", "subject": "s", "body": "b"}),
            ),
        ),
    ]
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    body: &Option<Value>,
) -> reqwest::Response {
    let url = format!("{base}{path}");
    let req = match method {
        "GET" => client.get(url),
        _ => client.post(url),
    };
    let req = match body {
        Some(b) => req.json(b),
        None => req,
    };
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_public_endpoint_is_rate_limited_per_address_and_recovers() {
    let limit = 20;
    let rates = RateLimits {
        per_minute: limit,
        sign_in_per_minute: limit,
    };
    let app = TestApp::spawn_with(Backend::Sqlite, ServeLimits::default(), rates).await;
    let here = client_from("127.0.0.1");
    for (method, path, body) in public_endpoints() {
        for i in 0..limit {
            let r = call(&here, &app.base, method, path, &body).await;
            let status = r.status();
            let answer = r.text().await.unwrap();
            assert!(
                !answer.contains("rate_limited"),
                "{method} {path}: request {i} is within the limit: {status} {answer}"
            );
        }
        let r = call(&here, &app.base, method, path, &body).await;
        assert_eq!(r.status(), 429, "{method} {path}: one too many");
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (1..=4).contains(&wait),
            "{method} {path}: Retry-After {wait}"
        );
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{method} {path}"
        );
        let problem: Value = r.json().await.unwrap();
        assert_eq!(
            problem["code"], "rate_limited",
            "{method} {path}: {problem}"
        );
        assert_eq!(problem["status"], 429);
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    // The sign-in form shares the sign-in budget and answers with a page.
    let form = here
        .post(format!("{}/", app.base))
        .form(&[("username", "admin"), ("password", "demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 429);
    assert!(form.headers().contains_key("retry-after"));
    assert!(form.text().await.unwrap().contains("Too many requests"));
    // Another address has its own budget.
    let there = client_from("127.0.0.2");
    let r = call(&there, &app.base, "GET", "/api/v1/status", &None).await;
    assert_eq!(r.status(), 200);
    // The budget refills: one request every 60/limit seconds.
    tokio::time::sleep(Duration::from_secs(60 / u64::from(limit) + 1)).await;
    let r = call(&here, &app.base, "GET", "/api/v1/status", &None).await;
    assert_eq!(r.status(), 200, "recovered");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_limits_let_a_box_office_sign_in_together() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for i in 0..40 {
        app.node
            .add_user(
                "test",
                &format!("cashier{i}"),
                "correct horse",
                aspk_domain::Role::Cashier,
            )
            .await
            .unwrap();
    }
    // Forty cashiers behind one NAT sign in within the same minute, a few mistyping once.
    let desk = client_from("127.0.0.1");
    for i in 0..40 {
        let name = format!("cashier{i}");
        for (password, expected) in [("typo", 401), ("correct horse", 200)] {
            if password == "typo" && i % 4 != 0 {
                continue;
            }
            let r = desk
                .post(format!("{}/api/v1/auth/token", app.base))
                .json(&json!({"username": name, "password": password}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), expected, "{name} with {password:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_from_one_address_never_locks_out_another() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let attacker = client_from("127.0.0.2");
    let guess = |client: &reqwest::Client, password: &str| {
        client
            .post(format!("{}/api/v1/auth/token", app.base))
            .json(&json!({"username": "admin", "password": password}))
            .send()
    };
    let mut codes = Vec::new();
    for i in 0..20 {
        let r = guess(&attacker, &format!("guess {i}")).await.unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        codes.push((status.as_u16(), body["code"].as_str().unwrap().to_owned()));
    }
    assert!(
        codes[..5]
            .iter()
            .all(|(s, c)| *s == 401 && c == "bad_credentials"),
        "{codes:?}"
    );
    assert!(
        codes[5..]
            .iter()
            .all(|(s, c)| *s == 429 && c == "locked_out"),
        "locked after five: {codes:?}"
    );
    // The admin at the museum, on another address, signs in at once.
    let desk = client_from("127.0.0.1");
    let r = guess(&desk, "demo").await.unwrap();
    assert_eq!(r.status(), 200, "the right password from elsewhere works");
    // The guessing address stays locked, even with the right password.
    let r = guess(&attacker, "demo").await.unwrap();
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "locked_out");
}
