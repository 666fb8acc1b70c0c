//! The continuity console: `GET /api/v1/status`, the `/status` page and `aspk status` show
//! every part, the ops waiting to go up at every moment, the failure happening now and the
//! steps of the museum's continuity plan for it (seeded, or the museum's own from
//! `/settings/continuity`).

use std::sync::Arc;
use std::time::Duration;

use aspk_domain::ManualClock;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::drills::{
    cloud, converged, enrolled_site, leased, site, staff_page, venue_manager_at, within, Api,
};
use crate::kit::{admin_token, binary, free_port, sign_in_form, Process, TestApp};

/// The failure of `kind` in a status answer, if it is happening.
fn failure<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status["failures"]
        .as_array()?
        .iter()
        .find(|f| f["kind"] == kind)
}

fn steps(failure: &Value) -> Vec<String> {
    failure["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// `aspk status` with `args`: (exit code, what it printed).
async fn aspk_status(args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(binary())
        .arg("status")
        .args(args)
        .output()
        .await
        .expect("run aspk status");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().expect("an exit code");
    (code, text)
}

/// The status of the node at `base` as `token` (staff) sees it, in `lang`.
async fn status_as(http: &reqwest::Client, base: &str, token: &str, lang: &str) -> Value {
    http.get(format!("{base}/api/v1/status?lang={lang}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Whether `/settings/continuity` at `base`, opened with `token`, shows `text`.
async fn plan_page_shows(http: &reqwest::Client, base: &str, token: &str, text: &str) -> bool {
    let page = http
        .get(format!("{base}/settings/continuity?venue=demo"))
        .header("cookie", format!("aspk_session={token}"))
        .send()
        .await
        .unwrap();
    page.status() == StatusCode::OK && page.text().await.unwrap().contains(text)
}

/// The museum's admin writes its own steps for an internet outage at `base`'s
/// `/settings/continuity`, as a browser does.
async fn write_internet_steps(base: &str, uk: &str, en: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = sign_in_form(&http, &format!("{base}/"), "admin", "demo").await;
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = http
        .get(format!("{base}/settings/continuity?venue=demo"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("steps_internet_uk"),
        "the plan's form: {html}"
    );
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let saved = http
        .post(format!("{base}/settings/continuity"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("venue", "demo"),
            ("steps_internet_uk", uk),
            ("steps_internet_en", en),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let to = saved.headers()["location"].to_str().unwrap();
    assert_eq!(to, "/settings/continuity?venue=demo&saved=1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_node_cut_off_counts_what_waits_and_shows_the_plans_steps() {
    let (cdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cloud_proc = cloud(cdir.path(), 0).await;
    let cport = cloud_proc.port();
    let cloud_base = format!("http://127.0.0.1:{cport}");
    let c = Api::sign_in(&cloud_base).await;
    let slot = c.open_slot(40).await;
    let (site_proc, s) = enrolled_site(&c, sdir.path(), &cloud_base, 10).await;
    let (site_base, site_port) = (s.base().to_owned(), site_proc.port());
    within(Duration::from_secs(10), "site node leases seats", || {
        leased(&s, &slot)
    })
    .await;
    let manager = venue_manager_at(&c, &s).await;
    within(Duration::from_secs(5), "nothing waits to go up", || {
        converged(&c, &s)
    })
    .await;
    let http = reqwest::Client::new();
    // A token the cloud issued holds at the site node too.
    let token = admin_token(&http, &cloud_base).await;
    let (code, text) = aspk_status(&["--url", &site_base, "--token", &token]).await;
    assert_eq!(code, 0, "all is well: {text}");
    assert!(text.contains("All is well"), "{text}");

    // The cloud is out of reach: the box office sells through the site node.
    drop(cloud_proc);
    let (status, sold) = s.sell(&slot, 2, "box_office").await;
    assert_eq!(status, StatusCode::CREATED, "{sold}");
    let sold_at = Utc::now();
    within(
        Duration::from_secs(8),
        "the site node counts the sale as waiting while cut off",
        || async {
            let st = s.status().await;
            st["upstream"]["reachable"] == false && st["pending_ops"].as_u64() > Some(0)
        },
    )
    .await;
    let st = status_as(&http, &site_base, &token, "en").await;
    let oldest: DateTime<Utc> = st["oldest_pending_at"].as_str().unwrap().parse().unwrap();
    assert!(
        (sold_at - oldest).num_seconds().abs() < 60,
        "the oldest waiting op is the sale: {oldest} vs {sold_at}"
    );
    let internet = failure(&st, "internet").expect("the internet failure");
    assert_eq!(internet["is_museums_own"], false);
    assert!(
        steps(internet)
            .iter()
            .any(|s| s.contains("backup WiFi router")),
        "the seeded steps of the plan: {internet}"
    );
    let st_uk = status_as(&http, &site_base, &token, "uk").await;
    let internet_uk = failure(&st_uk, "internet").unwrap();
    assert!(
        steps(internet_uk)
            .iter()
            .any(|s| s.contains("резервний WiFi-роутер")),
        "{internet_uk}"
    );
    // Anyone sees what waits, without the parts and the steps.
    let anonymous: Value = http
        .get(format!("{site_base}/api/v1/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(anonymous["pending_ops"].as_u64() > Some(0), "{anonymous}");
    assert!(anonymous.get("failures").is_none(), "{anonymous}");

    // Restarted while still cut off, the site node knows at once what waits.
    let waiting = st["pending_ops"].as_u64().unwrap();
    drop(site_proc);
    let _site = site(sdir.path(), site_port, &cloud_base, None, 10).await;
    let restarted = s.status().await;
    assert_eq!(
        restarted["pending_ops"].as_u64(),
        Some(waiting),
        "{restarted}"
    );
    assert_eq!(restarted["oldest_pending_at"], st["oldest_pending_at"]);

    let page = staff_page(&site_base, "/status?lang=en", manager).await;
    for shown in [
        "The internet is down",
        "backup WiFi router",
        "What to do now",
    ] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    let (code, text) = aspk_status(&["--url", &site_base, "--token", &token, "--lang", "en"]).await;
    assert_eq!(code, 1, "a failure is detected: {text}");
    for shown in [
        "site node (this node)",
        "upstream",
        "offline",
        "FAILURE (internet): The internet is down",
        "What to do now:",
        "  1. ",
        "Open findings: 0",
    ] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
    let waiting = text
        .lines()
        .find_map(|l| l.strip_prefix("Ops waiting to sync: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(waiting > Some(0), "{text}");
    let (code, text) = aspk_status(&["--url", &site_base]).await;
    assert_eq!(code, 1, "without credentials too: {text}");

    // The cloud is back: everything goes up, nothing waits.
    let cloud_proc = cloud(cdir.path(), cport).await;
    within(
        Duration::from_secs(15),
        "the waiting sale goes up",
        || async {
            let st = s.status().await;
            st["upstream"]["reachable"] == true && st["pending_ops"] == 0
        },
    )
    .await;
    let st = status_as(&http, &site_base, &token, "en").await;
    assert!(st.get("oldest_pending_at").is_none(), "{st}");
    assert_eq!(st["failures"], json!([]), "{st}");
    let (code, text) = aspk_status(&["--url", &site_base, "--token", &token]).await;
    assert_eq!(code, 0, "{text}");

    // The museum writes its own steps at the cloud; they reach the site node.
    write_internet_steps(
        &cloud_base,
        "Подзвоніть черговому адміністраторові\nУвімкніть резервний роутер у шафі 3",
        "Call the duty admin\nSwitch on the backup router in cupboard 3",
    )
    .await;
    within(
        Duration::from_secs(10),
        "the plan reaches the site node",
        || plan_page_shows(&http, &site_base, &token, "cupboard 3"),
    )
    .await;
    drop(cloud_proc);
    within(
        Duration::from_secs(8),
        "the site node notices the cut again",
        || async { s.status().await["upstream"]["reachable"] == false },
    )
    .await;
    let st = status_as(&http, &site_base, &token, "en").await;
    let internet = failure(&st, "internet").expect("the internet failure");
    assert_eq!(internet["is_museums_own"], true, "{internet}");
    assert_eq!(
        steps(internet),
        [
            "Call the duty admin",
            "Switch on the backup router in cupboard 3"
        ]
    );
    let page = staff_page(&site_base, "/status", manager).await;
    assert!(
        page.contains("Увімкніть резервний роутер у шафі 3"),
        "the museum's own steps in Ukrainian: {page}"
    );
}

/// Enrols a device of `role` named `name` at `app`; returns (node id, token).
async fn pair(app: &TestApp, admin: &str, role: &str, name: &str) -> (String, String) {
    let key = (role == "gate").then(|| {
        let key = aspk_ticket::IssuerKey::from_bytes(0, &[9; 32]);
        aspk_app::to_hex(&key.public().to_bytes())
    });
    let r = app.enrol(admin, role, name, key).await;
    (
        r["node_id"].as_str().unwrap().to_owned(),
        r["token"].as_str().unwrap().to_owned(),
    )
}

/// The first part of `kind` in a status answer.
fn part_of_kind<'a>(status: &'a Value, kind: &str) -> &'a Value {
    status["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {status}"))
}

/// The part named `name` in a status answer.
fn part<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no part {name} in {status}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn gates_and_phones_are_parts_and_a_silent_one_is_a_broken_validator() {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_at(clock.clone() as Arc<_>).await;
    let admin = app.admin().await;
    let (_, gate) = pair(&app, &admin, "gate", "Gate 1").await;
    let (phone_id, phone) = pair(&app, &admin, "scanner", "Phone 1").await;
    pair(&app, &admin, "scanner", "Phone 2").await;
    let gate_calls = || async {
        let (status, _) = app.get("/api/v1/sync/status", Some(&gate)).await;
        assert_eq!(status, StatusCode::OK);
    };
    gate_calls().await;
    let (status, _) = app.get("/api/v1/device/feed?limit=5", Some(&phone)).await;
    assert_eq!(status, StatusCode::OK);

    let (_, st) = app.get("/api/v1/status?lang=en", Some(&admin)).await;
    let this = &st["parts"][0];
    assert_eq!(this["kind"], "cloud", "{st}");
    assert_eq!(this["is_this_node"], true);
    assert_eq!(part(&st, "Gate 1")["kind"], "gate");
    assert_eq!(part(&st, "Gate 1")["state"], "online");
    assert_eq!(part(&st, "Phone 1")["kind"], "scanner");
    assert_eq!(part(&st, "Phone 1")["state"], "online");
    assert!(part(&st, "Phone 1")["last_contact"].is_string());
    assert_eq!(part(&st, "Phone 2")["state"], "not_seen");
    assert_eq!(st["failures"], json!([]), "{st}");

    // Three minutes later the gate still calls, the phone has gone quiet.
    clock.advance(chrono::Duration::minutes(3));
    gate_calls().await;
    let (_, st) = app.get("/api/v1/status?lang=en", Some(&admin)).await;
    assert_eq!(part(&st, "Phone 1")["state"], "offline");
    assert_eq!(part(&st, "Phone 2")["state"], "not_seen");
    let broken = failure(&st, "validator").expect("a broken validator");
    assert_eq!(broken["parts"], json!(["Phone 1"]));
    assert_eq!(broken["venue"], "demo");
    assert_eq!(broken["title"], "A validator is broken");
    assert!(steps(broken)
        .iter()
        .any(|s| s.contains("backup smartphone")));

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = sign_in_form(&http, &format!("{}/?lang=en", app.base), "admin", "demo").await;
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = http
        .get(format!("{}/status?lang=en", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in [
        "A validator is broken",
        "Phone 1",
        "Gate 1",
        "phone scanner",
    ] {
        assert!(page.contains(shown), "{shown} in {page}");
    }

    // The power goes out (as `serve --ups-command` reports it).
    app.node.note_power(true, "OB DISCHRG".into());
    let (_, st) = app.get("/api/v1/status", Some(&admin)).await;
    assert!(failure(&st, "power").is_some(), "{st}");
    let ups = part_of_kind(&st, "ups");
    assert_eq!(ups["state"], "on_battery");
    assert_eq!(ups["detail"], "OB DISCHRG");
    app.node.note_power(false, "OL CHRG".into());

    // The silent phone is revoked: no longer a failure.
    let (status, _) = app
        .post(
            &format!("/api/v1/nodes/{phone_id}/revoke"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, st) = app.get("/api/v1/status", Some(&admin)).await;
    assert_eq!(part(&st, "Phone 1")["state"], "revoked");
    assert_eq!(st["failures"], json!([]), "{st}");
}

#[tokio::test(flavor = "multi_thread")]
async fn aspk_status_exits_2_when_the_node_cannot_be_reached_and_1_on_a_power_cut() {
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let (code, text) = aspk_status(&["--url", &nobody]).await;
    assert_eq!(code, 2, "{text}");

    let dir = tempfile::tempdir().unwrap();
    let server = Process::serve(dir.path(), &["--ups-command", "echo OB DISCHRG"]).await;
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server.base).await;
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, "demo\n").unwrap();
    let password_file = password_file.to_str().unwrap();
    let args = [
        "--url",
        server.base.as_str(),
        "--user",
        "admin",
        "--password-file",
        password_file,
        "--lang",
        "en",
    ];
    let (code, text) = aspk_status(&args).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FAILURE (power): The power is out"), "{text}");
    assert!(text.contains("on battery"), "{text}");
    let st = status_as(&http, &server.base, &token, "en").await;
    assert!(failure(&st, "power").is_some(), "{st}");
    let (code, text) = aspk_status(&["--url", &server.base, "--token", "not-a-token"]).await;
    assert_eq!(code, 2, "credentials refused: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_network_printer_is_a_part_known_by_its_last_job() {
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let admin = app.admin().await;
    let staff = aspk_app::Principal {
        username: aspk_domain::Username::parse("admin").unwrap(),
        role: aspk_domain::Role::Admin,
    };
    // A real TCP socket takes the jobs, as a printer on port 9100 would.
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = socket.local_addr().unwrap().to_string();
    let taken = std::thread::spawn(move || {
        let (mut job, _) = socket.accept().unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut job, &mut bytes).unwrap();
        bytes.len()
    });
    let printer = aspk_domain::Printer {
        id: aspk_domain::Slug::parse("printer", "desk-1").unwrap(),
        name: "Каса 1".into(),
        kind: aspk_domain::PrinterKind::EscPos {
            address,
            cp1125: false,
            codepage: 17,
        },
    };
    app.node
        .save_printer(&staff, printer.clone())
        .await
        .unwrap();
    let status = status_as(&app.client, &app.base, &admin, "uk").await;
    let part = part_of_kind(&status, "printer");
    assert_eq!(
        (part["name"].as_str(), part["state"].as_str()),
        (Some("Каса 1"), Some("not_seen"))
    );

    let slot = app.open_slot(&admin, 10).await;
    let (_, sold) = app.sell(&admin, "adult", &slot, 1).await;
    let number = aspk_ticket::HumanNumber::parse(sold["number"].as_str().unwrap())
        .unwrap()
        .serial();
    assert_eq!(app.node.print_order(&staff, number, &printer).await, None);
    assert!(taken.join().unwrap() > 0, "the job reached the socket");
    let status = status_as(&app.client, &app.base, &admin, "uk").await;
    let part = part_of_kind(&status, "printer");
    assert_eq!(part["state"], "online", "{part}");
    let took = part["last_contact"].clone();
    assert!(took.is_string(), "{part}");

    // The socket is gone: the next job fails, and the part says so, with the error.
    let error = app.node.print_order(&staff, number, &printer).await;
    assert!(error.is_some());
    let status = status_as(&app.client, &app.base, &admin, "uk").await;
    let part = part_of_kind(&status, "printer");
    assert_eq!(part["state"], "offline", "{part}");
    assert!(
        !part["detail"].as_str().unwrap_or_default().is_empty(),
        "{part}"
    );
    assert_eq!(part["last_contact"], took, "the last job it took");
}
