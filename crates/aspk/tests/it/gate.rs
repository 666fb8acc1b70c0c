//! `aspk gate` with the real binary: codes on stdin, one JSON line per decision, the
//! turnstile command run on admit, decisions offline, and two gates replicating directly.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::kit::{admin_token, binary, free_port, order_body, Process};

struct Gate {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Gate {
    fn start(data: &std::path::Path, upstream: &str, code: Option<&str>, extra: &[&str]) -> Gate {
        let mut args = vec![
            "gate",
            "--data",
            data.to_str().unwrap(),
            "--upstream",
            upstream,
            "--input",
            "stdin",
        ];
        if let Some(code) = code {
            args.extend(["--enrol", code]);
        }
        args.extend(extra);
        let mut child = Command::new(binary())
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Gate {
            child,
            stdin,
            stdout,
        }
    }

    fn scan(&mut self, code: &str) -> Value {
        writeln!(self.stdin, "{code}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("one JSON line per decision ({e}): {line:?}"))
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn admin(base: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::new();
    let token = admin_token(&http, base).await;
    (http, token)
}

async fn post(http: &reqwest::Client, token: &str, url: String, body: Value) -> Value {
    http.post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn setup() -> (tempfile::TempDir, Process, reqwest::Client, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let cloud = Process::serve(dir.path(), &[]).await;
    let (http, token) = admin(&cloud.base).await;
    let now = chrono::Utc::now();
    let slot = post(&http, &token, format!("{}/api/v1/venues/demo/slots", cloud.base), json!({"starts_at": (now - chrono::Duration::minutes(5)).to_rfc3339(), "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(), "capacity": 50})).await;
    let slot = slot["id"].as_str().unwrap().to_owned();
    (dir, cloud, http, token, slot)
}

async fn gate_code(http: &reqwest::Client, token: &str, base: &str) -> String {
    post(
        http,
        token,
        format!("{base}/api/v1/enrolments"),
        json!({"role": "gate", "venue": "demo"}),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gate_decides_alone_and_opens_the_turnstile() {
    let (_dir, cloud, http, token, slot) = setup().await;
    let order = post(
        &http,
        &token,
        format!("{}/api/v1/orders", cloud.base),
        order_body("adult", Some(&slot), 3, "box_office"),
    )
    .await;
    let codes: Vec<String> = order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap().to_owned())
        .collect();
    let gdir = tempfile::tempdir().unwrap();
    let opened = gdir.path().join("opened.txt");
    let open_cmd = format!(
        "echo \"$ASPK_TICKET $ASPK_RESULT $ASPK_GATE\" >> {}",
        opened.display()
    );
    let code = gate_code(&http, &token, &cloud.base).await;
    let mut gate = Gate::start(
        &gdir.path().join("data"),
        &cloud.base,
        Some(&code),
        &["--name", "north", "--open", &open_cmd],
    );
    let first = gate.scan(&codes[0]);
    assert_eq!(first["result"], "admit", "{first}");
    assert_eq!(first["offline"], false);
    let number = first["ticket"].as_str().unwrap().to_owned();
    assert_eq!(gate.scan(&codes[0])["result"], "already_used");
    assert_eq!(gate.scan("12345")["result"], "invalid");
    let text = std::fs::read_to_string(&opened).unwrap();
    assert_eq!(
        text.trim(),
        format!("{number} admit north"),
        "the turnstile opened once, for the admitted ticket"
    );

    // The cloud goes away: the gate keeps deciding from what it holds.
    cloud.kill_9();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let offline = gate.scan(&codes[1]);
    assert_eq!(offline["result"], "admit", "{offline}");
    assert_eq!(offline["offline"], true);
    assert_eq!(gate.scan(&codes[1])["result"], "already_used");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_gates_replicate_directly_and_partitioned_double_entry_is_found_once() {
    let (dir, cloud, http, token, slot) = setup().await;
    let order = post(
        &http,
        &token,
        format!("{}/api/v1/orders", cloud.base),
        order_body("adult", Some(&slot), 2, "box_office"),
    )
    .await;
    let codes: Vec<String> = order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap().to_owned())
        .collect();
    let (pa, pb) = (free_port(), free_port());
    let (ga, gb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ca, cb) = (
        gate_code(&http, &token, &cloud.base).await,
        gate_code(&http, &token, &cloud.base).await,
    );
    let (la, lb) = (format!("127.0.0.1:{pa}"), format!("127.0.0.1:{pb}"));
    let (ua, ub) = (format!("http://{la}"), format!("http://{lb}"));
    let mut a = Gate::start(
        ga.path(),
        &cloud.base,
        Some(&ca),
        &["--name", "a", "--listen", &la, "--peer", &ub],
    );
    let mut b = Gate::start(
        gb.path(),
        &cloud.base,
        Some(&cb),
        &["--name", "b", "--listen", &lb, "--peer", &ua],
    );
    // Both have caught up with the cloud (they answered a scan), then the cloud goes away.
    assert_eq!(a.scan("1")["result"], "invalid");
    assert_eq!(b.scan("1")["result"], "invalid");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let cloud_base = cloud.base.clone();
    cloud.kill_9();

    assert_eq!(a.scan(&codes[0])["result"], "admit");
    // Within a second, gate B knows (the site node and the cloud are both gone).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let at_b = b.scan(&codes[0]);
    assert_eq!(at_b["result"], "already_used", "{at_b}");
    assert_eq!(at_b["first_entry"]["gate"], "a");

    drop(a);
    drop(b);
    // Partitioned: the two gates cannot reach each other or anyone.
    let mut a = Gate::start(ga.path(), "http://127.0.0.1:1", None, &["--name", "a"]);
    let mut b = Gate::start(gb.path(), "http://127.0.0.1:1", None, &["--name", "b"]);
    assert_eq!(a.scan(&codes[1])["result"], "admit");
    assert_eq!(b.scan(&codes[1])["result"], "admit");
    drop(a);
    drop(b);
    // The cloud returns; the gates reconnect and push their entries.
    let cloud = Process::serve_on(dir.path(), &cloud_base).await;
    let _a = Gate::start(ga.path(), &cloud.base, None, &["--name", "a"]);
    let _b = Gate::start(gb.path(), &cloud.base, None, &["--name", "b"]);
    let (http, token) = admin(&cloud.base).await;
    let mut findings = Value::Null;
    for _ in 0..100 {
        findings = http
            .get(format!("{}/api/v1/findings?status=open", cloud.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if findings.as_array().is_some_and(|f| !f.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["kind"], "double_entry");
    let gates: Vec<&str> = findings[0]["facts"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["gate"].as_str().unwrap())
        .collect();
    assert_eq!(gates.len(), 2);
    assert!(gates.contains(&"a") && gates.contains(&"b"), "{gates:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pass_nobody_used_is_withdrawn_and_the_ticket_stays_usable() {
    let (_dir, cloud, http, token, slot) = setup().await;
    let order = post(
        &http,
        &token,
        format!("{}/api/v1/orders", cloud.base),
        order_body("adult", Some(&slot), 1, "box_office"),
    )
    .await;
    let code = order["tickets"][0]["code"].as_str().unwrap().to_owned();
    let number = order["tickets"][0]["number"].as_str().unwrap().to_owned();
    let gdir = tempfile::tempdir().unwrap();
    let enrol = gate_code(&http, &token, &cloud.base).await;
    let sensor = format!("127.0.0.1:{}", free_port());
    let mut gate = Gate::start(
        &gdir.path().join("data"),
        &cloud.base,
        Some(&enrol),
        &[
            "--name",
            "south",
            "--confirm",
            &format!("tcp:{sensor}"),
            "--confirm-ms",
            "700",
        ],
    );
    // Nobody walks through: the grant is recorded as unused.
    let unused = gate.scan(&code);
    assert_eq!(
        (unused["result"].as_str(), unused["passed"].as_bool()),
        (Some("admit"), Some(false)),
        "{unused}"
    );
    // The turnstile reports a rotation while the gate is open.
    let reporter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let mut s = std::net::TcpStream::connect(sensor).unwrap();
        s.write_all(b"passed\n").unwrap();
        std::thread::sleep(Duration::from_millis(500));
    });
    let used = gate.scan(&code);
    assert_eq!(
        (used["result"].as_str(), used["passed"].as_bool()),
        (Some("admit"), Some(true)),
        "{used}"
    );
    reporter.join().unwrap();
    assert_eq!(gate.scan(&code)["result"], "already_used");
    // The cloud learns the whole story: one entry, one unused pass, no double entry.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let o: Value = http
            .get(format!(
                "{}/api/v1/orders/{}",
                cloud.base,
                order["number"].as_str().unwrap()
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entries = o["tickets"][0]["entries"].as_array().unwrap().len();
        if entries == 1 && o["tickets"][0]["status"] == "used" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "cloud sees {o}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let findings: Value = http
        .get(format!("{}/api/v1/findings", cloud.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !findings.to_string().contains(&number[..11]),
        "no finding: {findings}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn signals_show_each_decision_and_the_fire_alarm_holds_the_gate_open() {
    let (_dir, cloud, http, token, slot) = setup().await;
    let mut body = order_body("adult", Some(&slot), 1, "box_office");
    body["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"product": "reduced", "slot": slot, "quantity": 1}));
    let order = post(&http, &token, format!("{}/api/v1/orders", cloud.base), body).await;
    let code_of = |product: &str| {
        order["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["product"] == product)
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let gdir = tempfile::tempdir().unwrap();
    let log = gdir.path().join("outputs.txt");
    let out = |what: &str| format!("cmd:echo \"{what} $ASPK_RESULT\" >> {}", log.display());
    let alarm = format!("127.0.0.1:{}", free_port());
    let enrol = gate_code(&http, &token, &cloud.base).await;
    let (turnstile, green, red, amber) = (
        out("turnstile"),
        format!("green={}", out("green")),
        format!("red={}", out("red")),
        format!("amber={}", out("amber")),
    );
    let mut gate = Gate::start(
        &gdir.path().join("data"),
        &cloud.base,
        Some(&enrol),
        &[
            "--output",
            &turnstile,
            "--signal",
            &green,
            "--signal",
            &red,
            "--signal",
            &amber,
            "--free-passage",
            &format!("tcp:{alarm}"),
            "--direction",
            "entry",
        ],
    );
    assert_eq!(gate.scan(&code_of("adult"))["result"], "admit");
    assert_eq!(gate.scan(&code_of("adult"))["result"], "already_used");
    let reduced = gate.scan(&code_of("reduced"));
    assert_eq!(
        (
            reduced["result"].as_str(),
            reduced["check_document"].as_bool()
        ),
        (Some("admit"), Some(true))
    );
    let mut panel = std::net::TcpStream::connect(&alarm).unwrap();
    panel.write_all(b"on\n").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("turnstile free_passage_on") {
            let lines: Vec<&str> = text.lines().collect();
            for expected in [
                "green admit",
                "turnstile admit",
                "red already_used",
                "amber admit",
            ] {
                assert!(lines.contains(&expected), "{expected} in {lines:?}");
            }
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "free passage switched on: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls `check` every 100 ms for up to 20 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out: {what}");
}

async fn get(http: &reqwest::Client, token: &str, url: String) -> Value {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The continuity plan's cloud failure as a drill with the real binaries: the gate is cut off
/// from the cloud; it admits paper stock from an issued range and e-tickets; other e-tickets
/// are let in "by writing down" and "by photographing". After recovery the ranges are entered,
/// the list imported and the photos uploaded: every ticket is used exactly once, and the two
/// conflicts planted (a ticket on the list and admitted at the gate; a stock ticket admitted
/// but never entered as sold) are findings, once each.
#[tokio::test(flavor = "multi_thread")]
async fn paper_outage_drill_every_ticket_is_used_once_and_each_conflict_is_found_once() {
    let (_dir, cloud, http, token, slot) = setup().await;
    let base = cloud.base.clone();
    // Paper stock A 0001–0020 for the day, half issued to the cashier; three e-tickets.
    let batch = post(&http, &token, format!("{base}/api/v1/stock/batches"),
        json!({"venue": "demo", "series": "A", "first": "0001", "last": "0020", "product": "adult"})).await;
    let id = batch["id"].as_str().unwrap().to_owned();
    let codes = get(
        &http,
        &token,
        format!("{base}/api/v1/stock/batches/{id}/codes"),
    )
    .await;
    let stock: Vec<String> = (0..4)
        .map(|i| codes[i]["code"].as_str().unwrap().to_owned())
        .collect();
    post(
        &http,
        &token,
        format!("{base}/api/v1/stock/batches/{id}/moves"),
        json!({"numbers": "0001-0010", "kind": "issued", "cashier": "admin"}),
    )
    .await;
    let order = post(
        &http,
        &token,
        format!("{base}/api/v1/orders"),
        order_body("adult", Some(&slot), 3, "box_office"),
    )
    .await;
    let e: Vec<(String, String)> = (0..3)
        .map(|i| {
            let t = &order["tickets"][i];
            (
                t["number"].as_str().unwrap().to_owned(),
                t["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();

    let link = crate::drills::Link::to(cloud.port()).await;
    let gdir = tempfile::tempdir().unwrap();
    let code = gate_code(&http, &token, &base).await;
    let mut gate = Gate::start(gdir.path(), &link.url(), Some(&code), &[]);
    // The gate knows the batch and the e-tickets before the cut.
    let first = gate.scan(&e[1].1);
    assert_eq!(first["result"], "admit", "{first}");
    link.cut();

    // Offline: paper tickets from the issued range, and one e-ticket, at the gate.
    for code in &stock[..3] {
        let line = gate.scan(code);
        assert_eq!(line["result"], "admit", "{line}");
        assert_eq!(line["sale_entered"], false, "{line}");
    }
    let twice = gate.scan(&e[0].1);
    assert_eq!(twice["result"], "admit", "{twice}");
    let again = gate.scan(&stock[0]);
    assert_eq!(
        again["result"], "already_used",
        "the gate remembers offline: {again}"
    );

    link.restore();
    eventually("the gate's entries reach the cloud", || async {
        let list = get(&http, &token, format!("{base}/api/v1/findings?status=open")).await;
        list.as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "stock_not_entered")
            .count()
            == 3
    })
    .await;

    // Recovery: the cashier enters the range she sold (0001–0002, not 0003); the list of
    // e-tickets written down (e0 — also admitted at the gate — and e2) is imported; and the
    // photo of another visitor's e-ticket taken at the door is uploaded.
    let sale = post(
        &http,
        &token,
        format!("{base}/api/v1/stock/sales"),
        json!({"series": "A", "numbers": "0001-0002", "slot": slot, "payment": {"method": "cash"}}),
    )
    .await;
    assert_eq!(sale["entered"], 2, "{sale}");
    let list = post(
        &http,
        &token,
        format!("{base}/api/v1/entries/import"),
        json!({"lines": [e[0].0.clone(), e[2].0.clone()]}),
    )
    .await;
    assert_eq!(list["imported"], 2, "{list}");
    let photographed = post(
        &http,
        &token,
        format!("{base}/api/v1/orders"),
        order_body("adult", Some(&slot), 1, "box_office"),
    )
    .await;
    let p = photographed["tickets"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut shot = aspk_photo::synth::Shot::new(1600, 1200);
    shot.angle_deg = 205.0;
    shot.blur = 0.8;
    shot.glare = true;
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(aspk_photo::synth::phone_photo(&p, &shot))
            .file_name("door.jpg"),
    );
    let photos: Value = http
        .post(format!("{base}/api/v1/entries/photos"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(photos["imported"], 1, "{photos}");

    // Every ticket used exactly once, but e0 (twice: the planted double entry).
    let order_now = get(
        &http,
        &token,
        format!("{base}/api/v1/orders/{}", order["number"].as_str().unwrap()),
    )
    .await;
    for t in order_now["tickets"].as_array().unwrap() {
        assert_eq!(t["status"], "used", "{t}");
    }
    let photo_order = get(
        &http,
        &token,
        format!(
            "{base}/api/v1/orders/{}",
            photographed["number"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(photo_order["tickets"][0]["status"], "used");
    let entries = order_now["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "e0 twice, e1 and e2 once: {entries:?}");
    let sale_order = get(
        &http,
        &token,
        format!("{base}/api/v1/orders/{}", sale["order"].as_str().unwrap()),
    )
    .await;
    assert_eq!(sale_order["channel"], "paper");
    assert!(
        sale_order["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "used"),
        "{sale_order}"
    );
    // The planted conflicts, once each; nothing else.
    let open = get(&http, &token, format!("{base}/api/v1/findings?status=open")).await;
    let kinds: Vec<&str> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
    assert_eq!(count("double_entry"), 1, "{open}");
    assert_eq!(
        count("stock_not_entered"),
        1,
        "A 0003 was admitted but never entered: {open}"
    );
    assert_eq!(kinds.len(), 2, "{open}");
    let not_entered = open
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "stock_not_entered")
        .unwrap();
    assert_eq!(not_entered["facts"]["stock"], "A 0003");
    drop(gate);
}

/// The power cut as a drill with the real binaries. A box-office device, a gate and a phone
/// are all cut off from every server. The gate admits a ticket the device sold while cut
/// off (its key reached the gate when the device was paired), once; it refuses a forged code
/// under the device's key id and a new code of a device revoked before the cut. The phone
/// admits the same ticket too (a double entry planted in the drill). When the server is back
/// the device's sale, the phone's scan and the gate's entry all arrive, and the double entry
/// is found once.
#[tokio::test(flavor = "multi_thread")]
async fn power_cut_a_box_office_devices_offline_ticket_is_admitted_offline_and_its_double_entry_found_once(
) {
    let (dir, cloud, http, token, slot_id) = setup().await;
    let device = crate::device_kit::paired(&http, &token, &cloud.base, 21).await;
    let stolen = crate::device_kit::paired(&http, &token, &cloud.base, 22).await;
    let revoked = http
        .post(format!(
            "{}/api/v1/nodes/{}/revoke",
            cloud.base, stolen.node_id
        ))
        .bearer_auth(&token)
        .json(&json!({"reason": "stolen"}))
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    let phone = post(
        &http,
        &token,
        format!("{}/api/v1/enrolments", cloud.base),
        json!({"role": "scanner", "venue": "demo"}),
    )
    .await;
    let phone: Value = http
        .post(format!("{}/api/v1/enrolments/redeem", cloud.base))
        .json(&json!({"code": phone["code"], "name": "Телефон", "origin": "phone-at-the-door"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let phone_token = phone["token"].as_str().unwrap().to_owned();
    let catalog = get(
        &http,
        &token,
        format!("{}/api/v1/catalog?venue=demo", cloud.base),
    )
    .await;
    let slot = catalog["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == slot_id.as_str())
        .unwrap()
        .clone();
    let time = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::FixedOffset>>()
            .unwrap()
            .to_utc()
    };
    let (from, until) = (time(&slot["starts_at"]), time(&slot["ends_at"]));
    let gdir = tempfile::tempdir().unwrap();
    let code = gate_code(&http, &token, &cloud.base).await;
    let mut gate = Gate::start(
        &gdir.path().join("data"),
        &cloud.base,
        Some(&code),
        &["--name", "east"],
    );
    assert_eq!(gate.scan("1")["result"], "invalid");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let cloud_base = cloud.base.clone();
    cloud.kill_9();
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // The device sells while cut off; the gate admits the ticket, once.
    let ticket = crate::device_kit::ticket(
        &device.key,
        device.block + 17,
        Some(&slot_id),
        from,
        until,
        25_000,
    );
    let sale = crate::device_kit::sale(device.block + 16, vec![ticket.clone()], None, false);
    let first = gate.scan(&ticket.code);
    assert_eq!(
        (first["result"].as_str(), first["offline"].as_bool()),
        (Some("admit"), Some(true)),
        "{first}"
    );
    assert_eq!(gate.scan(&ticket.code)["result"], "already_used");
    // A forged code under the device's key id; a revoked device's new ticket.
    let thief = aspk_ticket::IssuerKey::from_bytes(device.key.key_id, &[99; 32]);
    let forged = crate::device_kit::ticket(&thief, device.block + 18, None, from, until, 0);
    assert_eq!(gate.scan(&forged.code)["result"], "invalid");
    let late = crate::device_kit::ticket(&stolen.key, stolen.block + 5, None, from, until, 0);
    assert_eq!(
        gate.scan(&late.code)["result"],
        "invalid",
        "a revoked device's new ticket"
    );

    // The server is back: the device and the phone hand in what they did.
    let cloud = Process::serve_on(dir.path(), &cloud_base).await;
    let op = crate::device_kit::signed(
        &device.origin,
        1,
        "user:admin",
        aspk_oplog::OpBody::OrderPlaced(sale),
        &device.key,
    );
    let synced = http
        .post(format!("{}/api/v1/device/box-office/sync", cloud.base))
        .bearer_auth(&device.token)
        .json(&json!({ "ops": [op] }))
        .send()
        .await
        .unwrap();
    assert!(synced.status().is_success(), "{}", synced.status());
    let scans = json!({"scans": [{"seq": 1, "at_ms": chrono::Utc::now().timestamp_millis() - 60_000,
        "serial": ticket.serial, "result": "admit", "code": ticket.code}]});
    let uploaded = http
        .post(format!("{}/api/v1/device/scans", cloud.base))
        .bearer_auth(&phone_token)
        .json(&scans)
        .send()
        .await
        .unwrap();
    assert!(uploaded.status().is_success(), "{}", uploaded.status());
    let (http, token) = admin(&cloud.base).await;
    let open_kinds = || {
        let (http, token, base) = (http.clone(), token.clone(), cloud.base.clone());
        async move {
            let findings = get(&http, &token, format!("{base}/api/v1/findings?status=open")).await;
            let kinds = findings.as_array().unwrap().iter();
            kinds
                .map(|f| f["kind"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    eventually("the double entry is found", || async {
        open_kinds().await.iter().any(|k| k == "double_entry")
    })
    .await;
    let kinds = open_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "double_entry").count(),
        1,
        "{kinds:?}"
    );
    let order = get(
        &http,
        &token,
        format!(
            "{}/api/v1/orders/{}",
            cloud.base,
            aspk_ticket::HumanNumber::from_serial(device.block + 16).digits()
        ),
    )
    .await;
    assert_eq!(order["tickets"][0]["status"], "used", "{order}");
}
