//! Test harness: a real server per test, and small helpers to drive it over HTTP.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aspk_app::{DataDir, Node, NodeOptions};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A server running in this process on 127.0.0.1 with its own store.
pub struct TestApp {
    pub base: String,
    pub backend: &'static str,
    pub client: reqwest::Client,
    pub node: Node,
    /// What the server's handlers share (for driving background passes, e.g. the hold
    /// sweeper, from a test).
    pub state: aspk_http::AppState,
    /// The demo admin's token for reading the status (signed in once, in-process: the
    /// status's op count is for staff).
    staff_token: tokio::sync::OnceCell<String>,
    _data: DataDir,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Where a server under test keeps its data.
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl TestApp {
    /// One demo server per backend under test: SQLite always, PostgreSQL when configured.
    pub async fn each() -> Vec<TestApp> {
        let mut apps = vec![TestApp::spawn(Backend::Sqlite).await];
        if let Some(base) = aspk_store::testing::postgres_base_url() {
            let url = aspk_store::testing::fresh_postgres_database(&base)
                .await
                .expect("PostgreSQL from ASPK_TEST_PG_URL must be reachable");
            apps.push(TestApp::spawn(Backend::Postgres(url)).await);
        }
        apps
    }

    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(
            backend,
            aspk_http::ServeLimits::default(),
            aspk_http::RateLimits::default(),
        )
        .await
    }

    /// A demo server on SQLite or PostgreSQL with these connection and rate limits.
    pub async fn spawn_with(
        backend: Backend,
        limits: aspk_http::ServeLimits,
        rate_limits: aspk_http::RateLimits,
    ) -> TestApp {
        let clock = aspk_domain::SystemClock::shared();
        Self::spawn_full(backend, limits, rate_limits, clock).await
    }

    /// A demo server on SQLite whose time is `clock` (a test moves it instead of sleeping).
    pub async fn spawn_at(clock: aspk_domain::SharedClock) -> TestApp {
        let limits = aspk_http::ServeLimits::default();
        let rates = aspk_http::RateLimits::default();
        Self::spawn_full(Backend::Sqlite, limits, rates, clock).await
    }

    async fn spawn_full(
        backend: Backend,
        limits: aspk_http::ServeLimits,
        rate_limits: aspk_http::RateLimits,
        clock: aspk_domain::SharedClock,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = DataDir::open(dir.path()).expect("data dir");
        let (url, name) = match backend {
            Backend::Sqlite => (data.sqlite_url(), "sqlite"),
            Backend::Postgres(url) => (url, "postgres"),
        };
        let store = aspk_store::open(&url).await.expect("open store");
        let node = Node::start(NodeOptions {
            store,
            origin: data.origin().expect("origin"),
            ticket_key: data.ticket_key(1).expect("key"),
            token_secret: data.token_secret().expect("secret"),
            role: aspk_app::NodeRole::Cloud,
            serials: aspk_app::CLOUD_SERIALS,
            clock,
            snapshot: Some(aspk_app::SnapshotOptions::new(data.snapshot_path())),
            trust_anchors: Vec::new(),
            max_clock_skew: chrono::Duration::minutes(aspk_app::DEFAULT_MAX_CLOCK_SKEW_MINUTES),
        })
        .await
        .expect("start node");
        node.seed_demo().await.expect("seed demo");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Every test client comes from 127.0.0.1: no limit of holds per address here.
        let payments = aspk_http::payments::Payments::test_only(TEST_PAY_SECRET)
            .with_holds_per_client(100_000);
        let state = aspk_http::AppState {
            node: node.clone(),
            upstream: None,
            payments: std::sync::Arc::new(payments),
            inbound_mail_secret: Some(std::sync::Arc::from(INBOUND_MAIL_SECRET)),
        };
        let router = aspk_http::router_with(state.clone(), rate_limits);
        let server = tokio::spawn(async move {
            let _ = aspk_http::serve(listener, router, limits).await;
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            base: format!("http://{addr}"),
            backend: name,
            client,
            node,
            state,
            staff_token: tokio::sync::OnceCell::new(),
            _data: data,
            _dir: dir,
            server,
        }
    }

    pub async fn token(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/auth/token",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "sign in as {username}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn admin(&self) -> String {
        self.token("admin", "demo").await
    }

    /// Adds a staff member with `role` and returns their token.
    pub async fn staff(&self, admin: &str, username: &str, role: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/users",
                Some(admin),
                json!({"username": username, "password": "correct horse", "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.token(username, "correct horse").await
    }

    /// Enrols a node of `role` for the demo venue, named `name`, presenting `public_key`
    /// (hex; a site node must, a phone has none); returns the answer to the redeem call.
    pub async fn enrol(
        &self,
        admin: &str,
        role: &str,
        name: &str,
        public_key: Option<String>,
    ) -> Value {
        let (status, e) = self
            .post(
                "/api/v1/enrolments",
                Some(admin),
                json!({"role": role, "venue": "demo"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
        let origin = format!("{role}-{}", e["code"].as_str().unwrap()).replace('_', "-");
        let (status, r) = self
            .post(
                "/api/v1/enrolments/redeem",
                None,
                json!({"code": e["code"], "name": name, "origin": origin, "public_key": public_key}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        r
    }

    pub async fn send(
        &self,
        req: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let response = req.send().await.expect("request");
        let status = response.status();
        let is_json = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("json"));
        let text = response.text().await.expect("body");
        let body = if is_json {
            serde_json::from_str(&text).expect("json body")
        } else {
            Value::String(text)
        };
        if status.is_client_error() || status.is_server_error() {
            assert!(is_json, "errors are problem+json: {status} {body}");
            assert!(
                body["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "errors name the problem: {body}"
            );
        }
        (status, body)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.send(
            self.client.post(format!("{}{path}", self.base)).json(&body),
            token,
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send(self.client.get(format!("{}{path}", self.base)), token)
            .await
    }

    /// A slot open right now (started 10 minutes ago, ends in an hour) with `capacity`.
    pub async fn open_slot(&self, admin: &str, capacity: u32) -> String {
        let now = Utc::now();
        self.slot(
            admin,
            now - chrono::Duration::minutes(10),
            now + chrono::Duration::hours(1),
            capacity,
        )
        .await
    }

    pub async fn slot(
        &self,
        admin: &str,
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
        capacity: u32,
    ) -> String {
        let (status, body) = self
            .post(
                "/api/v1/venues/demo/slots",
                Some(admin),
                json!({"starts_at": starts.to_rfc3339(), "ends_at": ends.to_rfc3339(), "capacity": capacity}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("slot id").to_owned()
    }

    /// Sells `quantity` tickets of `product` for `slot` at the box office.
    pub async fn sell(
        &self,
        token: &str,
        product: &str,
        slot: &str,
        quantity: u32,
    ) -> (StatusCode, Value) {
        self.post(
            "/api/v1/orders",
            Some(token),
            order_body(product, Some(slot), quantity, "box_office"),
        )
        .await
    }

    pub async fn scan_code(&self, token: &str, code: &str, gate: &str) -> Value {
        let (status, body) = self
            .post(
                "/api/v1/scans",
                Some(token),
                json!({"code": code, "gate": gate}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn ops_in_log(&self) -> u64 {
        let (_, status) = self
            .get("/api/v1/status", Some(self.staff_token().await))
            .await;
        status["ops_in_log"].as_u64().expect("ops_in_log")
    }

    /// A token of the demo admin, for reading what only staff may see.
    pub async fn staff_token(&self) -> &str {
        self.staff_token
            .get_or_init(|| async {
                let issued = self
                    .node
                    .sign_in(aspk_app::DEMO_USER, aspk_app::DEMO_PASSWORD, None);
                issued.await.expect("the demo admin signs in").token
            })
            .await
    }

    /// Pays an online order (the API's answer of its hold) through the test provider's
    /// signed callback, and returns the paid order as its visitor reads it (`email` is the
    /// order's).
    pub async fn pay_online(&self, held: &Value, email: &str) -> Value {
        let number = held["number"].as_str().expect("number");
        let serial = aspk_ticket::HumanNumber::parse(number)
            .expect("a valid number")
            .serial();
        let body = json!({
            "number": serial,
            "amount_minor": held["total_minor"],
            "currency": held["currency"],
            "status": "paid",
            "reference": format!("kit-{number}"),
        })
        .to_string();
        let signature = aspk_pay::sign_test_callback(TEST_PAY_SECRET, body.as_bytes());
        let paid = self
            .client
            .post(format!("{}/api/v1/payments/test/callback", self.base))
            .header("x-test-signature", signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("callback");
        assert_eq!(paid.status(), StatusCode::OK);
        let (status, order) = self
            .get(&format!("/api/v1/orders/{number}?email={email}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        assert_eq!(order["status"], "paid", "{order}");
        order
    }

    /// Seats of `slot` for sale now (less the seats unpaid online orders hold).
    pub async fn available(&self, slot: &str) -> u64 {
        let slot = self.node.slot(slot).expect("slot");
        u64::from(self.node.seats_for_sale(&slot))
    }
}

pub fn order_body(product: &str, slot: Option<&str>, quantity: u32, channel: &str) -> Value {
    json!({
        "venue": "demo",
        "channel": channel,
        "items": [{"product": product, "slot": slot, "quantity": quantity}],
        "payment": {"method": "cash"},
    })
}

/// The real `aspk` binary, run as a child process.
pub struct Process {
    pub child: Child,
    pub base: String,
}

/// A bearer token for the demo museum's admin at `base` (a server in a process of its own).
pub async fn admin_token(http: &reqwest::Client, base: &str) -> String {
    let reply: Value = http
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"username": "admin", "password": "demo"}))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token reply");
    reply["token"].as_str().expect("a token").to_owned()
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_aspk")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Process {
    /// Runs `command` (an `aspk serve` or `aspk gate`) and returns once it has printed the
    /// address it listens on ("aspk serving on http://…"): with `--listen 127.0.0.1:0` the
    /// system gives it a free port, with no race between finding one and binding it.
    pub fn spawn(mut command: Command) -> Process {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn aspk");
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, address) = std::sync::mpsc::channel();
        // Reads the address, then keeps draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
            use std::io::BufRead;
            let lines = std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok);
            for line in lines {
                if let Some(rest) = line.strip_prefix("aspk serving on ") {
                    let base = rest.split_whitespace().next().unwrap_or_default();
                    let _ = found.send(base.to_owned());
                }
            }
        });
        match address.recv_timeout(Duration::from_secs(30)) {
            Ok(base) => Process { child, base },
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!("aspk printed no address to serve on (it ended: {status:?})");
            }
        }
    }

    /// This process's port.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .expect("a base URL with a port")
    }

    /// Starts `aspk serve --demo` on `data`, on a free port, and waits until it answers.
    pub async fn serve(data: &Path, extra: &[&str]) -> Process {
        let mut command = Command::new(binary());
        command
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra);
        let mut process = Process::spawn(command);
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{}/healthz", process.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = process.child.kill();
        let _ = process.child.wait();
        panic!("aspk serve did not become healthy on {}", process.base);
    }

    /// Starts `aspk serve --demo` on `data` at the address of `base` (a restart on the same port).
    pub async fn serve_on(data: &Path, base: &str) -> Process {
        let listen = base.trim_start_matches("http://").to_owned();
        let args = [
            "serve",
            "--demo",
            "--data",
            data.to_str().unwrap_or_default(),
            "--listen",
            &listen,
        ];
        let child = Command::new(binary())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn aspk");
        let mut process = Process {
            child,
            base: base.to_owned(),
        };
        for _ in 0..200 {
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = process.child.kill();
        let _ = process.child.wait();
        panic!("aspk serve did not come back on {base}");
    }

    /// `kill -9`: no chance to flush or clean up.
    pub fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Path of a tool from Debian's packages, or a clear failure saying how to get it.
pub fn tool(name: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "{name} is missing: run `apt-get install {package}` (scripts/test does this as root)"
        )
    })
}

/// Signs in with the sign-in form at `form_url` (`{base}/`, maybe with `?lang=`) as a
/// browser does: the page first, for its anti-forgery cookie and field, then the form.
/// Returns the answer to the form.
pub async fn sign_in_form(
    http: &reqwest::Client,
    form_url: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let page = http.get(form_url).send().await.expect("sign-in page");
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("aspk_sign_in="))
        .and_then(|c| c.split(';').next())
        .expect("the sign-in page sets its anti-forgery cookie")
        .to_owned();
    let html = page.text().await.expect("sign-in page");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the sign-in form carries its anti-forgery token")
        .to_owned();
    http.post(form_url)
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .expect("sign-in form")
}

/// The secret of the test payment provider of [`TestApp`] servers.
pub const TEST_PAY_SECRET: &str = "kit-test-pay-secret";

/// The secret of the inbound mail hook of [`TestApp`] servers.
pub const INBOUND_MAIL_SECRET: &str = "kit-inbound-mail-secret";
