//! The gate's orchestration in process: a fake decider, and real parts around it — a
//! turnstile controller and signal lamps on a loopback HTTP server, and the passage sensor
//! on a loopback TCP socket that the controller reports a rotation to when it opens.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aspk_gate::{
    Agent, ConfirmSpec, Decider, DeciderError, Decision, Feedback, FirstEntry, OutputSpec,
    PassageConfirm, ScanError, Scanned, Signal, Turnstile,
};
use aspk_ticket::HumanNumber;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

/// A ticket's serial and the number the decision line shows for it.
const SERIAL: u64 = 48_210_937_552;

fn number() -> String {
    HumanNumber::from_serial(SERIAL).digits()
}

/// What the decider was asked, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Scan(Scanned),
    Confirm(u64),
    Withdraw(u64),
}

/// Answers every scan with one decision (or error) and records the calls.
struct FakeDecider {
    answer: Result<Decision, ScanError>,
    offline: AtomicBool,
    calls: Mutex<Vec<Call>>,
}

impl FakeDecider {
    fn answering(answer: Result<Decision, ScanError>) -> Self {
        Self {
            answer,
            offline: AtomicBool::new(false),
            calls: Mutex::default(),
        }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl Decider for FakeDecider {
    async fn scan(&self, scanned: Scanned) -> Result<Decision, ScanError> {
        self.calls.lock().unwrap().push(Call::Scan(scanned));
        self.answer.clone()
    }

    async fn confirm(&self, serial: u64) -> Result<(), DeciderError> {
        self.calls.lock().unwrap().push(Call::Confirm(serial));
        Ok(())
    }

    async fn withdraw(&self, serial: u64) -> Result<(), DeciderError> {
        self.calls.lock().unwrap().push(Call::Withdraw(serial));
        Ok(())
    }

    fn is_offline(&self) -> bool {
        self.offline.load(Ordering::SeqCst)
    }
}

fn admit(needs_document_check: bool) -> Decision {
    Decision {
        result: "admit".into(),
        serial: Some(SERIAL),
        needs_document_check,
        first_entry: None,
        sale_entered: None,
    }
}

#[derive(Clone, Default)]
struct Hardware {
    /// `(device, body)` per POST: `turnstile`, `green`, `red`, `amber`.
    seen: Arc<Mutex<Vec<(String, Value)>>>,
    /// Where the turnstile reports a rotation when it opens; `None`: nobody walks through.
    sensor: Option<SocketAddr>,
}

impl Hardware {
    fn devices(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(d, _)| d.clone())
            .collect()
    }

    fn body(&self, device: &str) -> Value {
        let seen = self.seen.lock().unwrap();
        let found = seen.iter().find(|(d, _)| d == device);
        found.map(|(_, b)| b.clone()).unwrap_or(Value::Null)
    }
}

/// The turnstile controller and the lamps on one loopback HTTP server.
async fn hardware(sensor: Option<SocketAddr>) -> (SocketAddr, Hardware) {
    let hw = Hardware {
        sensor,
        ..Hardware::default()
    };
    let app = Router::new()
        .route(
            "/{device}",
            post(
                |State(hw): State<Hardware>,
                 Path(device): Path<String>,
                 Json(body): Json<Value>| async move {
                    hw.seen.lock().unwrap().push((device.clone(), body));
                    if let (true, Some(sensor)) = (device == "turnstile", hw.sensor) {
                        // Somebody walks through: the turnstile reports the rotation.
                        let mut s = tokio::net::TcpStream::connect(sensor).await.unwrap();
                        s.write_all(b"passed\n").await.unwrap();
                    }
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(hw.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hw)
}

fn feedback(addr: SocketAddr) -> Feedback {
    let url = |what: &str| OutputSpec::Http {
        url: format!("http://{addr}/{what}"),
    };
    Feedback::new(Duration::from_millis(50))
        .on(Signal::Green, &url("green"))
        .on(Signal::Red, &url("red"))
        .on(Signal::Amber, &url("amber"))
}

fn turnstile(addr: SocketAddr) -> Arc<Turnstile> {
    let spec = OutputSpec::Http {
        url: format!("http://{addr}/turnstile"),
    };
    Arc::new(Turnstile::new(spec, Duration::from_millis(50)).with_gate("north"))
}

fn sensor() -> PassageConfirm {
    PassageConfirm::start(ConfirmSpec::Tcp("127.0.0.1:0".parse().unwrap())).unwrap()
}

/// An agent at gate `north` with lamps, a turnstile and (`Some` timeout) a passage sensor
/// that the turnstile reports to when `walks_through`.
async fn gate(
    answer: Result<Decision, ScanError>,
    passage: Option<(Duration, bool)>,
) -> (Agent<FakeDecider>, Hardware) {
    let confirm = passage.map(|(timeout, walks)| (sensor(), timeout, walks));
    let reports_to = confirm
        .as_ref()
        .and_then(|(c, _, walks)| walks.then(|| c.local_addr().unwrap()));
    let (addr, hw) = hardware(reports_to).await;
    let mut agent = Agent::new(FakeDecider::answering(answer), "north", turnstile(addr))
        .with_feedback(feedback(addr));
    if let Some((confirm, timeout, _)) = confirm {
        agent = agent.with_passage(confirm, timeout);
    }
    (agent, hw)
}

#[tokio::test]
async fn an_admitted_visitor_who_walks_through_gets_green_an_open_gate_and_a_confirmed_pass() {
    let (agent, hw) = gate(Ok(admit(false)), Some((Duration::from_secs(10), true))).await;
    let line = agent.handle("1".repeat(40).as_str()).await;
    assert_eq!(
        line,
        format!(
            r#"{{"result":"admit","ticket":"{}","offline":false,"check_document":false,"first_entry":null,"passed":true}}"#,
            number()
        )
    );
    assert_eq!(hw.devices(), ["green", "turnstile"], "signal, then open");
    let opened = hw.body("turnstile");
    assert_eq!(
        (&opened["ticket"], &opened["result"], &opened["gate"]),
        (&json!(number()), &json!("admit"), &json!("north"))
    );
    assert_eq!(hw.body("green")["signal"], "green");
    assert_eq!(
        agent.decider().calls(),
        [
            Call::Scan(Scanned::Code("1".repeat(40))),
            Call::Confirm(SERIAL)
        ]
    );
}

#[tokio::test]
async fn an_admitted_visitor_who_never_walks_through_has_the_pass_withdrawn() {
    let timeout = Duration::from_millis(150);
    let (agent, hw) = gate(Ok(admit(false)), Some((timeout, false))).await;
    let started = Instant::now();
    let line: Value = serde_json::from_str(&agent.handle("7".repeat(40).as_str()).await).unwrap();
    assert!(started.elapsed() >= timeout, "waited for the passage");
    assert_eq!(
        (&line["result"], &line["passed"]),
        (&json!("admit"), &json!(false))
    );
    assert_eq!(hw.devices(), ["green", "turnstile"]);
    assert_eq!(
        agent.decider().calls(),
        [
            Call::Scan(Scanned::Code("7".repeat(40))),
            Call::Withdraw(SERIAL)
        ]
    );
}

#[tokio::test]
async fn a_refused_ticket_gets_red_and_the_gate_stays_shut() {
    let used = Decision {
        result: "already_used".into(),
        serial: Some(SERIAL),
        needs_document_check: false,
        first_entry: Some(FirstEntry {
            at: "2026-05-01T09:30:00Z".into(),
            gate: "south".into(),
        }),
        sale_entered: None,
    };
    let (agent, hw) = gate(Ok(used), Some((Duration::from_secs(10), true))).await;
    let line = agent.handle("5".repeat(40).as_str()).await;
    assert_eq!(
        line,
        format!(
            r#"{{"result":"already_used","ticket":"{}","offline":false,"check_document":false,"first_entry":{{"at":"2026-05-01T09:30:00Z","gate":"south"}}}}"#,
            number()
        ),
        "no `passed`: nothing was granted"
    );
    assert_eq!(hw.devices(), ["red"], "red, and the turnstile never opened");
    assert_eq!(hw.body("red")["result"], "already_used");
    assert_eq!(
        agent.decider().calls(),
        [Call::Scan(Scanned::Code("5".repeat(40)))],
        "neither confirmed nor withdrawn"
    );
}

#[tokio::test]
async fn without_a_sensor_a_grant_counts_as_used_and_a_reduced_ticket_shows_amber() {
    let (agent, hw) = gate(Ok(admit(true)), None).await;
    agent.decider().offline.store(true, Ordering::SeqCst);
    let line = agent.handle("3".repeat(40).as_str()).await;
    assert_eq!(
        line,
        format!(
            r#"{{"result":"admit","ticket":"{}","offline":true,"check_document":true,"first_entry":null}}"#,
            number()
        ),
        "no sensor, no `passed`"
    );
    assert_eq!(hw.devices(), ["amber", "turnstile"]);
    assert_eq!(hw.body("turnstile")["check_document"], true);
    assert_eq!(
        agent.decider().calls(),
        [
            Call::Scan(Scanned::Code("3".repeat(40))),
            Call::Confirm(SERIAL)
        ]
    );
}

#[tokio::test]
async fn a_scan_without_a_decision_signals_nothing_and_opens_nothing() {
    for (error, line) in [
        (
            ScanError::Invalid("gate: must be 1 to 64 characters".into()),
            r#"{"result":"invalid","offline":false,"error":"gate: must be 1 to 64 characters"}"#,
        ),
        (
            ScanError::Failed("the store is gone".into()),
            r#"{"result":"error","offline":false,"error":"the store is gone"}"#,
        ),
    ] {
        let (agent, hw) = gate(Err(error), Some((Duration::from_secs(10), true))).await;
        assert_eq!(agent.handle("123456789012345").await, line);
        assert_eq!(hw.devices(), Vec::<String>::new());
        assert_eq!(agent.decider().calls().len(), 1);
    }
}

#[tokio::test]
async fn a_typed_number_reaches_the_decider_as_a_number() {
    let (agent, _hw) = gate(Ok(Decision::default()), None).await;
    agent.handle(" 4821 0937 5526 ").await;
    agent.handle("4821-0937-55260").await; // 13 digits: a code
    assert_eq!(
        agent.decider().calls(),
        [
            Call::Scan(Scanned::Number(" 4821 0937 5526 ".into())),
            Call::Scan(Scanned::Code("4821-0937-55260".into())),
        ]
    );
}

#[tokio::test]
async fn run_writes_one_decision_line_per_scan_until_the_input_ends() {
    let used = Decision {
        result: "already_used".into(),
        ..admit(false)
    };
    let (agent, hw) = gate(Ok(used), None).await;
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    for code in ["1", "2", "3"] {
        tx.send(code.repeat(30)).await.unwrap();
    }
    drop(tx);
    let mut out = Vec::new();
    agent.run(rx, &mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.split_terminator('\n').collect();
    assert_eq!(lines.len(), 3, "{out:?}");
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["result"], "already_used", "{line}");
    }
    assert!(out.ends_with('\n'));
    assert_eq!(hw.devices(), ["red", "red", "red"]);
    let scanned: Vec<Call> = ["1", "2", "3"]
        .iter()
        .map(|c| Call::Scan(Scanned::Code(c.repeat(30))))
        .collect();
    assert_eq!(agent.decider().calls(), scanned);
}
