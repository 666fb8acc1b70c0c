//! The continuity plan's failures as drills, with the real binary on loopback: a cloud, one
//! or two site nodes, and a TCP link between them that the test can cut.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

use crate::kit::{admin_token, binary, order_body, Process};

/// A TCP link to `target` that can be cut (all connections dropped, new ones refused) and restored.
pub(crate) struct Link {
    port: u16,
    is_cut: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Link {
    pub(crate) async fn to(target: u16) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let is_cut = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (cut, list) = (is_cut.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if cut.load(Ordering::SeqCst) {
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                list.lock().unwrap().push(task.abort_handle());
            }
        });
        Link {
            port,
            is_cut,
            conns,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn cut(&self) {
        self.is_cut.store(true, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    pub(crate) fn restore(&self) {
        self.is_cut.store(false, Ordering::SeqCst);
    }
}

/// Starts `aspk` with `args` (listening on a port of its own when theirs is 0), reads the
/// address it prints, and waits until `/healthz` answers there.
async fn start(args: &[&str]) -> Process {
    let mut command = Command::new(binary());
    // Snapshots every few ops: restarts below start from one and fold the rest.
    command.args(args).env("ASPK_SNAPSHOT_EVERY_OPS", "5");
    let mut process = Process::spawn(command);
    for _ in 0..400 {
        if reqwest::get(format!("{}/healthz", process.base))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return process;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = process.child.kill();
    panic!("aspk {args:?} did not become healthy");
}

pub(crate) async fn cloud(data: &Path, port: u16) -> Process {
    cloud_with(data, port, &[]).await
}

/// A cloud started with `extra` arguments too.
pub(crate) async fn cloud_with(data: &Path, port: u16, extra: &[&str]) -> Process {
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec![
        "serve",
        "--demo",
        "--data",
        data.to_str().unwrap(),
        "--listen",
        &listen,
    ];
    args.extend(extra);
    start(&args).await
}

pub(crate) async fn site(
    data: &Path,
    port: u16,
    upstream: &str,
    code: Option<&str>,
    lease: u32,
) -> Process {
    let listen = format!("127.0.0.1:{port}");
    let lease = lease.to_string();
    let mut args = vec![
        "serve",
        "--data",
        data.to_str().unwrap(),
        "--listen",
        &listen,
        "--upstream",
        upstream,
        "--lease-seats",
        &lease,
    ];
    if let Some(code) = code {
        args.extend(["--enrol", code]);
    }
    start(&args).await
}

/// A site node enrolled now with the cloud `c` at `upstream`, on a port of its own, and the
/// cloud's admin session at it (the cloud vouches for its staff everywhere; the admin, one
/// of the organisation's own staff, has no password at a site node).
pub(crate) async fn enrolled_site(
    c: &Api,
    data: &Path,
    upstream: &str,
    lease: u32,
) -> (Process, Api) {
    let process = site(data, 0, upstream, Some(&c.enrolment().await), lease).await;
    let port = process.port();
    let api = c.at(&format!("http://127.0.0.1:{port}"));
    (process, api)
}

/// A signed-in client of one node.
pub(crate) struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    pub(crate) async fn sign_in(base: &str) -> Api {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Api {
            base: base.to_owned(),
            token: admin_token(&http, base).await,
            http,
        }
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The same session at another node (a session the cloud opened holds at every node).
    pub(crate) fn at(&self, base: &str) -> Api {
        Api {
            base: base.to_owned(),
            token: self.token.clone(),
            http: self.http.clone(),
        }
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn status(&self) -> Value {
        self.get("/api/v1/status").await.1
    }

    pub(crate) async fn sell(
        &self,
        slot: &str,
        quantity: u32,
        channel: &str,
    ) -> (StatusCode, Value) {
        self.post(
            "/api/v1/orders",
            order_body("adult", Some(slot), quantity, channel),
        )
        .await
    }

    pub(crate) async fn scan(&self, code: &str, gate: &str) -> String {
        let (_, r) = self
            .post("/api/v1/scans", json!({"code": code, "gate": gate}))
            .await;
        r["result"].as_str().unwrap_or_default().to_owned()
    }

    pub(crate) async fn has_order(&self, number: &str) -> bool {
        self.get(&format!("/api/v1/orders/{number}")).await.0 == StatusCode::OK
    }

    pub(crate) async fn findings(&self) -> Vec<Value> {
        self.get("/api/v1/findings?status=open")
            .await
            .1
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) async fn open_slot(&self, capacity: u32) -> String {
        let now = Utc::now();
        let body = json!({"starts_at": (now - chrono::Duration::minutes(10)).to_rfc3339(), "ends_at": (now + chrono::Duration::hours(2)).to_rfc3339(), "capacity": capacity});
        let (status, slot) = self.post("/api/v1/venues/demo/slots", body).await;
        assert_eq!(status, StatusCode::CREATED, "{slot}");
        slot["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn enrolment(&self) -> String {
        let (_, e) = self
            .post(
                "/api/v1/enrolments",
                json!({"role": "site_node", "venue": "demo"}),
            )
            .await;
        e["code"].as_str().expect("code").to_owned()
    }
}

/// Polls `check` until it holds, for at most `limit`; returns how long it took.
pub(crate) async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within {limit:?}");
}

/// The venue's manager (staff of venue `demo`, who may sign in at its site nodes), added at
/// the cloud `c` if not there yet: their name and password.
pub(crate) async fn venue_manager(c: &Api) -> (&'static str, &'static str) {
    let (name, password) = ("olena", "correct horse");
    let body = json!({"username": name, "password": password, "role": "manager", "venue": "demo"});
    let (status, reply) = c.post("/api/v1/users", body).await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::CONFLICT,
        "{reply}"
    );
    (name, password)
}

/// Whether `user` can sign in at `base` (their account and password have reached it).
pub(crate) async fn signs_in(base: &str, user: (&str, &str)) -> bool {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": user.0, "password": user.1}))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// The venue's manager, added at the cloud `c`, once their account has reached the site
/// node `site` (to sign in there during an outage).
pub(crate) async fn venue_manager_at(c: &Api, site: &Api) -> (&'static str, &'static str) {
    let manager = venue_manager(c).await;
    within(
        Duration::from_secs(5),
        "the venue manager's account reaches the site node",
        || signs_in(site.base(), manager),
    )
    .await;
    manager
}

/// A staff page as `user` sees it in a browser (form sign-in, session cookie).
pub(crate) async fn staff_page(base: &str, path: &str, user: (&str, &str)) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = crate::kit::sign_in_form(&http, &format!("{base}/"), user.0, user.1).await;
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    http.get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub(crate) async fn leased(site: &Api, slot: &str) -> bool {
    site.status().await["leases"].as_array().is_some_and(|l| {
        l.iter()
            .any(|x| x["slot"] == slot && x["left"].as_u64() > Some(0))
    })
}

/// Whether `site` holds what `cloud` holds for the site's venue, with nothing waiting to go up.
pub(crate) async fn converged(cloud: &Api, site: &Api) -> bool {
    let at_site = site.status().await;
    let venue = at_site["scope"]
        .as_str()
        .expect("a site node replicates a venue");
    let at_cloud = cloud.get(&format!("/api/v1/status?venue={venue}")).await.1;
    at_cloud["digest"] == at_site["digest"] && at_site["pending_ops"] == 0
}

#[tokio::test(flavor = "multi_thread")]
async fn internet_cut_site_node_carries_on_and_everything_reconciles() {
    let (cdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let _cloud = cloud(cdir.path(), 0).await;
    let cport = _cloud.port();
    let c = Api::sign_in(&format!("http://127.0.0.1:{cport}")).await;
    let slot = c.open_slot(40).await;
    let link = Link::to(cport).await;
    let _site = site(sdir.path(), 0, &link.url(), Some(&c.enrolment().await), 10).await;
    let sport = _site.port();
    let s = c.at(&format!("http://127.0.0.1:{sport}"));
    within(Duration::from_secs(10), "site node leases seats", || {
        leased(&s, &slot)
    })
    .await;

    // Sold online a moment before the cut: the site node has it within a second.
    let (status, online) = c.sell(&slot, 2, "online").await;
    assert_eq!(status, StatusCode::CREATED);
    let online_no = online["number"].as_str().unwrap().to_owned();
    let lag = within(
        Duration::from_secs(2),
        "online order reaches the site node",
        || s.has_order(&online_no),
    )
    .await;
    println!("replication lag cloud → site: {lag:?}");

    let manager = venue_manager_at(&c, &s).await;
    link.cut();
    let (status, local) = s.sell(&slot, 3, "box_office").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the box office sells through the site node: {local}"
    );
    let local_no = local["number"].as_str().unwrap().to_owned();
    assert_eq!(
        s.scan(online["tickets"][0]["code"].as_str().unwrap(), "site-gate")
            .await,
        "admit"
    );
    assert_eq!(
        s.scan(local["tickets"][0]["code"].as_str().unwrap(), "site-gate")
            .await,
        "admit"
    );
    // The same ticket at both places while they cannot know of each other.
    let twice = online["tickets"][1]["code"].as_str().unwrap();
    assert_eq!(s.scan(twice, "site-gate").await, "admit");
    assert_eq!(c.scan(twice, "cloud-gate").await, "admit");
    let (status, _) = c.sell(&slot, 1, "online").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the cloud keeps selling online"
    );
    within(
        Duration::from_secs(8),
        "site node notices the cut",
        || async { s.status().await["upstream"]["reachable"] == false },
    )
    .await;
    assert!(!c.has_order(&local_no).await);
    // Staff at the site node see they are working alone, and the seats they hold.
    let status_page = staff_page(
        &format!("http://127.0.0.1:{sport}"),
        "/status?lang=en",
        manager,
    )
    .await;
    assert!(
        status_page.contains("path-offline"),
        "the staff app shows the local path"
    );
    for shown in [
        "unreachable",
        "Last received",
        "Seats held for selling offline",
    ] {
        assert!(status_page.contains(shown), "{shown} in {status_page}");
    }
    assert!(status_page.contains('×'), "a lease in {status_page}");

    link.restore();
    let took = within(
        Duration::from_secs(5),
        "the cloud has every sale and entry",
        || async {
            let (_, o) = c.get(&format!("/api/v1/orders/{local_no}")).await;
            o["entries"].as_array().is_some_and(|e| e.len() == 1)
        },
    )
    .await;
    println!("catch-up after the link returned: {took:?}");
    within(Duration::from_secs(5), "cloud and site node agree", || {
        converged(&c, &s)
    })
    .await;
    for node in [&c, &s] {
        let findings = node.findings().await;
        assert_eq!(findings.len(), 1, "exactly one finding: {findings:?}");
        assert_eq!(findings[0]["kind"], "double_entry");
        assert_eq!(findings[0]["facts"]["entries"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_crash_and_restore_from_an_older_backup_lose_nothing() {
    let (cdir, sdir, backup) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let cloud_proc = cloud(cdir.path(), 0).await;
    let cport = cloud_proc.port();
    let c = Api::sign_in(&format!("http://127.0.0.1:{cport}")).await;
    let slot = c.open_slot(500).await;
    let _site = site(
        sdir.path(),
        0,
        &format!("http://127.0.0.1:{cport}"),
        Some(&c.enrolment().await),
        100,
    )
    .await;
    let sport = _site.port();
    let s = c.at(&format!("http://127.0.0.1:{sport}"));
    within(Duration::from_secs(10), "site node leases seats", || {
        leased(&s, &slot)
    })
    .await;

    // Load on both while the cloud is killed.
    let mut acknowledged = Vec::new();
    for i in 0..10 {
        let (status, o) = if i % 2 == 0 {
            c.sell(&slot, 1, "online").await
        } else {
            s.sell(&slot, 1, "box_office").await
        };
        assert_eq!(status, StatusCode::CREATED);
        acknowledged.push(o["number"].as_str().unwrap().to_owned());
    }
    cloud_proc.kill_9();
    copy_dir(cdir.path(), backup.path());
    let cloud_proc = cloud(cdir.path(), cport).await;
    let c = Api::sign_in(&c.base).await;
    assert_eq!(
        c.status().await["started"]["from_snapshot"],
        true,
        "the restarted cloud starts from its snapshot"
    );
    for n in acknowledged.iter().step_by(2) {
        assert!(
            c.has_order(n).await,
            "online order {n} acknowledged before kill -9 survives"
        );
    }
    // More sales after the backup was taken, on both sides.
    for i in 0..10 {
        let (status, o) = if i % 2 == 0 {
            c.sell(&slot, 1, "online").await
        } else {
            s.sell(&slot, 1, "box_office").await
        };
        assert_eq!(status, StatusCode::CREATED, "{o}");
        acknowledged.push(o["number"].as_str().unwrap().to_owned());
    }
    within(
        Duration::from_secs(5),
        "site and cloud agree before the disaster",
        || converged(&c, &s),
    )
    .await;

    // Disaster: the cloud comes back from the older backup.
    cloud_proc.kill_9();
    std::fs::remove_dir_all(cdir.path()).unwrap();
    copy_dir(backup.path(), cdir.path());
    let _cloud = cloud(cdir.path(), cport).await;
    let c = Api::sign_in(&c.base).await;
    let took = within(
        Duration::from_secs(10),
        "the site node re-sends what the backup lacks",
        || async {
            for n in &acknowledged {
                if !c.has_order(n).await {
                    return false;
                }
            }
            true
        },
    )
    .await;
    println!("restore drill: cloud complete again after {took:?}");
    within(
        Duration::from_secs(5),
        "cloud and site node agree after the restore",
        || converged(&c, &s),
    )
    .await;
    assert!(c.findings().await.is_empty(), "a restore is not a conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn site_node_crash_mid_sync_resumes_without_loss() {
    let (cdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let _cloud = cloud(cdir.path(), 0).await;
    let cport = _cloud.port();
    let c = Api::sign_in(&format!("http://127.0.0.1:{cport}")).await;
    let slot = c.open_slot(500).await;
    let link = Link::to(cport).await;
    let site_proc = site(sdir.path(), 0, &link.url(), Some(&c.enrolment().await), 200).await;
    let sport = site_proc.port();
    let s = c.at(&format!("http://127.0.0.1:{sport}"));
    within(Duration::from_secs(10), "site node leases seats", || {
        leased(&s, &slot)
    })
    .await;
    link.cut();
    let mut sold = Vec::new();
    for _ in 0..60 {
        let (status, o) = s.sell(&slot, 2, "box_office").await;
        assert_eq!(status, StatusCode::CREATED, "{o}");
        sold.push(o["number"].as_str().unwrap().to_owned());
    }
    link.restore();
    tokio::time::sleep(Duration::from_millis(150)).await;
    site_proc.kill_9();
    // Restart: no enrolment code needed any more.
    let _site = site(sdir.path(), sport, &link.url(), None, 200).await;
    let s = c.at(&s.base);
    within(
        Duration::from_secs(10),
        "the cloud has every sale of the site node",
        || async {
            for n in &sold {
                if !c.has_order(n).await {
                    return false;
                }
            }
            true
        },
    )
    .await;
    within(Duration::from_secs(5), "cloud and site node agree", || {
        converged(&c, &s)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_site_nodes_selling_offline_under_leases_never_oversell() {
    let (cdir, adir, bdir) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let _cloud = cloud(cdir.path(), 0).await;
    let cport = _cloud.port();
    let c = Api::sign_in(&format!("http://127.0.0.1:{cport}")).await;
    let slot = c.open_slot(25).await;
    let (la, lb) = (Link::to(cport).await, Link::to(cport).await);
    let _a = site(adir.path(), 0, &la.url(), Some(&c.enrolment().await), 10).await;
    let _b = site(bdir.path(), 0, &lb.url(), Some(&c.enrolment().await), 10).await;
    let (a, b) = (c.at(&_a.base), c.at(&_b.base));
    within(
        Duration::from_secs(10),
        "both buildings hold leases",
        || async { leased(&a, &slot).await && leased(&b, &slot).await },
    )
    .await;
    la.cut();
    lb.cut();
    let mut sold = 0;
    for node in [&a, &b] {
        let mut refused = None;
        for _ in 0..15 {
            match node.sell(&slot, 1, "box_office").await {
                (StatusCode::CREATED, _) => sold += 1,
                (StatusCode::CONFLICT, problem) => refused = Some(problem),
                (other, body) => panic!("{other}: {body}"),
            }
        }
        let problem = refused.expect("the lease runs out");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("no seats left offline"),
            "the cashier is told plainly: {problem}"
        );
    }
    for _ in 0..10 {
        if c.sell(&slot, 1, "online").await.0 == StatusCode::CREATED {
            sold += 1;
        }
    }
    assert!(sold <= 25, "sold {sold} of 25 while partitioned");
    la.restore();
    lb.restore();
    within(Duration::from_secs(8), "all three agree", || async {
        converged(&c, &a).await && converged(&c, &b).await
    })
    .await;
    let (_, catalog) = c
        .get(&format!(
            "/api/v1/catalog?venue=demo&date={}",
            Utc::now()
                .with_timezone(&chrono::FixedOffset::east_opt(7200).unwrap())
                .date_naive()
        ))
        .await;
    let s = catalog["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == slot.as_str())
        .cloned();
    if let Some(s) = s {
        assert!(s["sold"].as_u64().unwrap() <= 25, "{s}");
    }
    assert!(
        c.findings().await.iter().all(|f| f["kind"] != "oversell"),
        "no oversell"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "aspk.lock" {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_site_node_is_refused_and_flagged_once() {
    let (cdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let _cloud = cloud(cdir.path(), 0).await;
    let cport = _cloud.port();
    let c = Api::sign_in(&format!("http://127.0.0.1:{cport}")).await;
    let slot = c.open_slot(40).await;
    let _site = site(sdir.path(), 0, &c.base, Some(&c.enrolment().await), 10).await;
    let sport = _site.port();
    let s = c.at(&format!("http://127.0.0.1:{sport}"));
    within(Duration::from_secs(10), "site node leases seats", || {
        leased(&s, &slot)
    })
    .await;
    let (_, nodes) = c.get("/api/v1/nodes").await;
    let node_id = nodes[0]["node_id"].as_str().unwrap().to_owned();
    let (status, _) = c
        .post(
            &format!("/api/v1/nodes/{node_id}/revoke"),
            json!({"reason": "stolen"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, order) = s.sell(&slot, 1, "box_office").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the site node still sells from its lease: {order}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !c.has_order(order["number"].as_str().unwrap()).await,
        "its pushes are refused"
    );
    let findings = c.findings().await;
    let flagged: Vec<_> = findings
        .iter()
        .filter(|f| f["kind"] == "revoked_push")
        .collect();
    assert_eq!(flagged.len(), 1, "flagged once: {findings:?}");
    assert_eq!(flagged[0]["facts"]["node_id"], node_id.as_str());
    assert!(s.status().await["upstream"]["last_error"]
        .as_str()
        .unwrap_or_default()
        .contains("403"));
}
