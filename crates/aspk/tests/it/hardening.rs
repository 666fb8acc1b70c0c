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
        // Long enough that a normal request on a busy test machine (other suites run
        // alongside) is never cut off; short enough to keep the test quick.
        header_read_timeout: Duration::from_secs(3),
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
        .map(|s| tokio::spawn(closed_within(s, Duration::from_secs(15))));
    for (i, closed) in futures::future::join_all(closing)
        .await
        .into_iter()
        .enumerate()
    {
        let took = closed.unwrap();
        assert!(
            took.is_some_and(|t| t < Duration::from_secs(10)),
            "slow connection {i} closed at the header deadline, not {took:?}"
        );
    }
    // On a new connection: the test client's pooled one has been idle as long as the
    // header deadline, so the server may be closing it just as the client reuses it.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let status = fresh
        .get(format!("{}/api/v1/catalog?venue=demo", app.base))
        .send()
        .await
        .unwrap()
        .status();
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
    let mut command = std::process::Command::new(crate::kit::binary());
    command
        .args(["serve", "--demo", "--data"])
        .arg(dir.path().join("tls"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .args(["--header-timeout", "1"]);
    // Killed when dropped, also when an assertion fails.
    let server = crate::kit::Process::spawn(command);
    let (base, port) = (server.base.clone(), server.port());
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
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
                "system:cli",
                &format!("cashier{i}"),
                "correct horse",
                aspk_domain::Role::Cashier,
                None,
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

/// A signed-in browser, as far as the server can tell: the session cookie (it holds a
/// bearer token) and the page's anti-forgery token.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
}

impl Browser<'_> {
    async fn admin(app: &TestApp) -> Browser<'_> {
        let token = app.admin().await;
        Browser {
            app,
            cookie: format!("aspk_session={token}"),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.app
            .client
            .get(format!("{}{path}", self.app.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let html = self.get("/status").await.text().await.unwrap();
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.app
            .client
            .post(format!("{}{path}", self.app.base))
            .header("cookie", &self.cookie)
            .form(&fields)
            .send()
            .await
            .unwrap()
    }
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// Code the policy would block: inline scripts, event handlers, `javascript:` links, styles.
fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_lowercase();
    let mut found = Vec::new();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |e| i + e)];
        if !tag.contains(" src=") {
            found.push(tag.to_owned());
        }
    }
    for needle in ["javascript:", " style=", "<style"] {
        if lower.contains(needle) {
            found.push(needle.to_owned());
        }
    }
    for (i, _) in lower.match_indices(" on") {
        let rest = &lower[i + 3..];
        let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
        if !name.is_empty() && rest[name.len()..].starts_with('=') {
            found.push(format!("on{name}="));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_pages_send_security_headers_and_hold_no_inline_code() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 10).await;
    let (_, order) = app.sell(&admin, "adult", &slot, 1).await;
    let number = order["number"].as_str().unwrap().replace(' ', "");
    let serial = number.parse::<u64>().unwrap() / 10;
    let browser = Browser::admin(&app).await;
    let opened = browser
        .post("/shifts/open", &[("venue", "demo"), ("float", "100")])
        .await;
    assert_eq!(opened.status(), 303);
    let closed = browser
        .post("/shifts/close", &[("counted", "100"), ("confirmed", "yes")])
        .await;
    let z_report = header(&closed, "location").to_owned();
    assert!(z_report.starts_with("/shifts/"), "{z_report}");
    let pages = [
        "/box-office",
        "/orders",
        &format!("/orders/{serial}"),
        "/shifts",
        &z_report,
        "/reports",
        "/requests",
        "/settings",
        "/settings/devices",
        "/status",
        "/orders/999999999",
    ];
    let sign_in = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    let mut responses = vec![("/ (signed out)".to_owned(), sign_in)];
    for path in pages {
        responses.push((path.to_owned(), browser.get(path).await));
    }
    for (path, r) in responses {
        let csp = header(&r, "content-security-policy").to_owned();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} in {csp:?}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(header(&r, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&r, "referrer-policy"), "same-origin", "{path}");
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("</html>"), "{path} is a page");
        assert_eq!(inline_code(&html), Vec::<String>::new(), "{path}");
    }
    // The scanner app: a service worker, camera frames as blob:/data: images.
    let scan = app
        .client
        .get(format!("{}/scan", app.base))
        .send()
        .await
        .unwrap();
    let csp = header(&scan, "content-security-policy").to_owned();
    for directive in [
        "default-src 'self'",
        "worker-src 'self'",
        "img-src 'self' blob: data:",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "/scan: {directive} in {csp:?}");
    }
    assert_eq!(header(&scan, "x-frame-options"), "DENY");
    assert_eq!(header(&scan, "referrer-policy"), "same-origin");
    assert_eq!(
        inline_code(&scan.text().await.unwrap()),
        Vec::<String>::new()
    );
    // Static files may be cached (and revalidated), never sniffed.
    for path in [
        "/static/staff.css",
        "/static/page.js",
        "/scan/app.js",
        "/scan/sw.js",
    ] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
    }
    // The box office shows a sale's PDF in a frame of its own page, and nowhere else.
    let pdf = browser.get(&format!("/orders/{serial}/pdf")).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(header(&pdf, "content-type"), "application/pdf");
    assert_eq!(
        header(&pdf, "content-security-policy"),
        "frame-ancestors 'self'"
    );
    assert_eq!(header(&pdf, "x-frame-options"), "SAMEORIGIN");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_form_without_its_token_signs_nobody_in() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("aspk_sign_in="))
        .expect("the page sets an anti-forgery cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let held = cookie.split(';').next().unwrap().to_owned();
    let token = held.trim_start_matches("aspk_sign_in=").to_owned();
    assert_eq!(token.len(), 64, "{token}");
    let other = "0".repeat(64);
    // What another site's form, or a replayed request, could send.
    let forged: [(Option<&str>, Option<&str>); 5] = [
        (None, None),
        (None, Some(&token)),
        (Some(&held), None),
        (Some(&held), Some(&other)),
        (Some("aspk_sign_in="), Some("")),
    ];
    for (cookie, field) in forged {
        let mut fields = vec![("username", "admin"), ("password", "demo")];
        if let Some(field) = field {
            fields.push(("csrf", field));
        }
        let mut req = app
            .client
            .post(format!("{}/?lang=en", app.base))
            .form(&fields);
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 403, "cookie {cookie:?}, field {field:?}");
        let sessions = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter(|c| c.to_str().unwrap().starts_with("aspk_session="))
            .count();
        assert_eq!(sessions, 0, "nobody is signed in");
        assert!(r.text().await.unwrap().contains("The form has expired"));
    }
    // From the page itself: signed in.
    let r = crate::kit::sign_in_form(&app.client, &format!("{}/", app.base), "admin", "demo").await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("aspk_session="));
}

#[tokio::test(flavor = "multi_thread")]
async fn gate_and_phone_names_reach_the_csv_as_text_not_formulas() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 20).await;
    let (_, order) = app.sell(&admin, "adult", &slot, 4).await;
    let tickets: Vec<Value> = order["tickets"].as_array().unwrap().clone();
    // A phone picks its own name when it pairs.
    let phone = app
        .enrol(&admin, "scanner", "=HYPERLINK(\"http://evil\")", None)
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let serial: u64 = tickets[0]["number"].as_str().unwrap()[..11]
        .parse()
        .unwrap();
    let at_ms = chrono::Utc::now().timestamp_millis();
    let (status, body) = app
        .post(
            "/api/v1/device/scans",
            Some(&phone),
            json!({"scans": [{"seq": 1, "at_ms": at_ms, "counter": 0, "serial": serial, "result": "admit"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Gates are named by whoever sets them up.
    for (ticket, gate) in tickets[1..].iter().zip(["+1+1", "-2+3", "@SUM(A1)"]) {
        app.scan_code(&admin, ticket["code"].as_str().unwrap(), gate)
            .await;
    }
    let browser = Browser::admin(&app).await;
    let r = browser.get("/reports/by-gate.csv").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    let csv = csv
        .strip_prefix('\u{feff}')
        .expect("a BOM for spreadsheets");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("Прохід;Пропущено;"), "{csv}");
    for line in &lines {
        assert!(
            !line.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{line:?} in {csv}"
        );
    }
    // Semicolons for a Ukrainian-locale spreadsheet; the last column holds the refusals.
    for expected in [
        "\"'=HYPERLINK(\"\"http://evil\"\")\";1;0;0;",
        "'+1+1;1;0;0;",
        "'-2+3;1;0;0;",
        "'@SUM(A1);1;0;0;",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "{expected} in {csv}"
        );
    }
}

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_callers_see_only_the_public_part_of_the_status() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let controller = app.staff(&admin, "ivan", "controller").await;
    // The same node as a site node would show its link to the cloud.
    let link = std::sync::Arc::new(aspk_app::UpstreamStatus::default());
    link.update(|v| {
        v.url = "https://cloud.example".into();
        v.last_error = Some("connection refused by 10.0.0.5".into());
        v.pending_ops = 3;
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let router = aspk_http::router(aspk_http::AppState {
        node: app.node.clone(),
        upstream: Some(link),
        payments: Default::default(),
        inbound_mail_secret: None,
    });
    let server = tokio::spawn(async move {
        let _ = aspk_http::serve(listener, router, ServeLimits::default()).await;
    });
    let get = |url: String, token: Option<String>| {
        let req = app.client.get(url);
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    for base in [&app.base, &site] {
        let (status, anonymous) = get(format!("{base}/api/v1/status"), None).await;
        assert_eq!(status, 200);
        assert_eq!(
            keys(&anonymous),
            [
                "findings_open",
                "pending_ops",
                "role",
                "upstream",
                "version"
            ],
            "{base}: {anonymous}"
        );
        let (status, problem) = get(format!("{base}/api/v1/status?venue=demo"), None).await;
        assert_eq!(status, 401, "{problem}");
        assert_eq!(problem["code"], "unauthenticated");
        let (status, staff) = get(format!("{base}/api/v1/status"), Some(controller.clone())).await;
        assert_eq!(status, 200);
        for field in [
            "origin",
            "ops_in_log",
            "is_store_stalled",
            "digest",
            "leases",
            "started",
            "trust_anchors",
            "signing_key",
        ] {
            assert!(
                staff.get(field).is_some(),
                "{base}: {field} for staff: {staff}"
            );
        }
        let (status, other) = get(
            format!("{base}/api/v1/status?venue=demo"),
            Some(controller.clone()),
        )
        .await;
        assert_eq!(status, 200);
        assert!(other["digest"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let (_, anonymous) = get(format!("{site}/api/v1/status"), None).await;
    assert_eq!(anonymous["pending_ops"], 3);
    assert_eq!(
        keys(&anonymous["upstream"]),
        ["last_pull", "last_push", "reachable", "url"],
        "the contract's fields, not the error: {anonymous}"
    );
    let (_, staff) = get(format!("{site}/api/v1/status"), Some(controller)).await;
    assert_eq!(
        staff["upstream"]["last_error"],
        "connection refused by 10.0.0.5"
    );
    server.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_number_alone_shows_a_stranger_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let cashier = app.staff(&admin, "olena", "cashier").await;
    let slot = app.open_slot(&admin, 20).await;
    let mut online = crate::kit::order_body("adult", Some(&slot), 2, "online");
    online["email"] = json!("Visitor@Example.com");
    online["payment"] = json!({"method": "card"});
    let (status, held) = app.post("/api/v1/orders", None, online).await;
    assert_eq!(status, 201, "{held}");
    let order = app.pay_online(&held, "visitor@example.com").await;
    let number = order["number"].as_str().unwrap().to_owned();
    let (_, at_desk) = app.sell(&cashier, "adult", &slot, 1).await;
    let desk_number = at_desk["number"].as_str().unwrap().to_owned();
    let serial = number.parse::<u64>().unwrap() / 10;
    let unknown = aspk_ticket::HumanNumber::from_serial(serial + 1_000).to_string();
    let unknown: String = unknown.chars().filter(char::is_ascii_digit).collect();

    let (status, nothing) = app.get(&format!("/api/v1/orders/{unknown}"), None).await;
    assert_eq!(status, 404);
    let as_unknown = |n: &str, body: &Value| {
        serde_json::to_string(body).unwrap().replace(n, "N")
            == serde_json::to_string(&nothing)
                .unwrap()
                .replace(&unknown, "N")
    };
    for (n, query) in [
        (&number, ""),
        (&number, "?email="),
        (&number, "?email=someone@example.com"),
        (&number, "?email=visitor@example.co"),
        (&desk_number, ""),
        (&desk_number, "?email="),
        (&desk_number, "?email=visitor@example.com"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/orders/{n}{query}"), None).await;
        assert_eq!(status, 404, "{n}{query}: {body}");
        assert!(as_unknown(n, &body), "{n}{query}: {body} is not {nothing}");
    }
    // The visitor, with the e-mail they gave (any case, stray spaces).
    let (status, mine) = app
        .get(
            &format!("/api/v1/orders/{number}?email=%20visitor@EXAMPLE.com%20"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["tickets"], order["tickets"]);
    assert!(mine["email"].is_null(), "personal data only for staff");
    // Staff of any role read any order, with everything.
    for token in [&cashier, &admin] {
        let (status, full) = app
            .get(&format!("/api/v1/orders/{number}"), Some(token))
            .await;
        assert_eq!(status, 200);
        assert_eq!(full["email"], "Visitor@Example.com");
        assert!(full["tickets"][0]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty()));
        let (status, _) = app
            .get(&format!("/api/v1/orders/{desk_number}"), Some(token))
            .await;
        assert_eq!(status, 200);
    }
}

/// The permission bits of `path`.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every file and folder of the data folder with its permission bits, for messages.
fn modes(data: &std::path::Path) -> Vec<(String, u32)> {
    let mut all = vec![(".".to_owned(), mode(data))];
    for dir in [data.to_owned(), data.join("keys")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(data).unwrap().display().to_string();
            all.push((name, mode(&path)));
        }
    }
    all.sort();
    all
}

fn assert_private(data: &std::path::Path) {
    let all = modes(data);
    let listing: Vec<String> = all.iter().map(|(n, m)| format!("{n} {m:o}")).collect();
    for file in [
        "aspk.db",
        "aspk.db-wal",
        "aspk.db-shm",
        "keys/ticket-0001.key",
        "token.key",
        "origin",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}: {listing:?}");
    }
    for (name, bits) in &all {
        let private = if data.join(name).is_dir() {
            0o700
        } else {
            0o600
        };
        assert_eq!(*bits, private, "{name}: {listing:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_owner_may_read_the_data_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = crate::kit::Process::serve(&data, &[]).await;
    let admin = crate::kit::admin_token(&reqwest::Client::new(), &server.base).await;
    assert!(!admin.is_empty());
    assert_private(&data);
    server.kill_9();

    // A folder from before, or opened up by hand, is made private again on start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(data.join("keys"), std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in [
        "aspk.db",
        "aspk.db-wal",
        "token.key",
        "keys/ticket-0001.key",
    ] {
        let path = data.join(file);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let again = crate::kit::Process::serve(&data, &[]).await;
    crate::kit::admin_token(&reqwest::Client::new(), &again.base).await;
    assert_private(&data);
}
