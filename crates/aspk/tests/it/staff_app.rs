//! The staff web app over real HTTP: role checks on every route, anti-forgery tokens,
//! sign-in lockout, shifts and the Z report, printing to a loopback "printer", typo-tolerant
//! search, live orders by server-sent events, reports and CSV, requests and the outbox.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::AsyncReadExt;

use crate::kit::{order_body, Backend, TestApp};

/// A browser session of one member of staff: its cookie and anti-forgery token.
struct Session<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> Session<'a> {
    async fn sign_in(app: &'a TestApp, username: &str, password: &str) -> Session<'a> {
        let r =
            crate::kit::sign_in_form(&app.client, &format!("{}/", app.base), username, password)
                .await;
        assert_eq!(r.status(), 303, "{username} signs in");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut s = Session {
            app,
            cookie,
            csrf: String::new(),
        };
        let html = s.get("/status").await.1;
        s.csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the page carries a csrf token")
            .to_owned();
        s
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .app
            .client
            .get(format!("{}{path}", self.app.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Posts a form with this session's token; returns the status and the redirect target.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let mut fields: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let r = self
            .app
            .client
            .post(format!("{}{path}", self.app.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let body = r.text().await.unwrap();
        (status, location.unwrap_or(body))
    }
}

/// A form post: path, fields, and the roles that must be refused.
type Action<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

async fn demo_with_staff() -> (TestApp, String) {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    for (name, role) in [
        ("olena", "cashier"),
        ("petro", "cashier"),
        ("maria", "manager"),
        ("ivan", "controller"),
    ] {
        app.staff(&admin, name, role).await;
    }
    (app, admin)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_staff_route_checks_the_role() {
    let (app, admin) = demo_with_staff().await;
    let slot = app.open_slot(&admin, 50).await;
    let (_, order) = app.sell(&admin, "adult", &slot, 1).await;
    let number = order["number"].as_str().unwrap().replace(' ', "");
    let serial: u64 = number.parse::<u64>().unwrap() / 10;
    let pages: &[(&str, &[&str])] = &[
        ("/box-office", &["admin", "manager", "cashier"]),
        ("/orders", &["admin", "manager", "cashier"]),
        (
            &format!("/orders/{serial}"),
            &["admin", "manager", "cashier"],
        ),
        ("/shifts", &["admin", "manager", "cashier"]),
        ("/requests", &["admin", "manager"]),
        ("/reports", &["admin", "manager"]),
        ("/reports/by-day.csv", &["admin", "manager"]),
        ("/settings", &["admin"]),
        ("/status", &["admin", "manager", "cashier", "controller"]),
    ];
    let sessions = [
        ("admin", Session::sign_in(&app, "admin", "demo").await),
        (
            "manager",
            Session::sign_in(&app, "maria", "correct horse").await,
        ),
        (
            "cashier",
            Session::sign_in(&app, "olena", "correct horse").await,
        ),
        (
            "controller",
            Session::sign_in(&app, "ivan", "correct horse").await,
        ),
    ];
    for (path, allowed) in pages {
        for (role, session) in &sessions {
            let (status, _) = session.get(path).await;
            let expected = if allowed.contains(role) { 200 } else { 403 };
            assert_eq!(status.as_u16(), expected, "{role} on {path}");
        }
    }
    // Every action, by every role: the refused ones get 403 and change nothing.
    let olena_token = app.token("olena", "correct horse").await;
    let mut body = order_body("adult", Some(&slot), 2, "box_office");
    body["email"] = json!("v@example.com");
    let (_, own) = app.post("/api/v1/orders", Some(&olena_token), body).await;
    let own_serial: u64 = own["number"].as_str().unwrap().parse::<u64>().unwrap() / 10;
    let own_ticket: u64 = own["tickets"][0]["number"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 10;
    let (_, request) = app
        .post("/api/v1/requests", None, json!({"venue": "demo", "name": "A", "email": "a@example.com", "subject": "s", "body": "b"}))
        .await;
    let request = request["id"].as_str().unwrap().to_owned();
    const SELLERS: &[&str] = &["admin", "manager", "cashier"];
    const MANAGERS: &[&str] = &["admin", "manager"];
    const ADMINS: &[&str] = &["admin"];
    let cancel = format!("/orders/{own_serial}/cancel");
    let cancel_ticket = format!("/tickets/{own_ticket}/cancel");
    let print = format!("/orders/{own_serial}/print");
    let resend = format!("/orders/{own_serial}/resend");
    let reply = format!("/requests/{request}/reply");
    let update = format!("/requests/{request}/update");
    let actions: &[Action] = &[
        (
            "/box-office/sell",
            &[
                ("venue", "demo"),
                ("slot", &slot),
                ("qty-adult", "1"),
                ("payment", "card"),
            ],
            SELLERS,
        ),
        ("/box-office/printer", &[("printer", "kasa")], SELLERS),
        (
            "/shifts/open",
            &[("venue", "demo"), ("float", "100")],
            SELLERS,
        ),
        ("/shifts/close", &[("counted", "100")], SELLERS),
        (&print, &[], SELLERS),
        (&resend, &[], SELLERS),
        (&cancel_ticket, &[("reason", "test")], SELLERS),
        (&cancel, &[("reason", "test")], SELLERS),
        (&reply, &[("body", "hi")], MANAGERS),
        (&update, &[("status", "closed")], MANAGERS),
        (
            "/settings/printers",
            &[("id", "p1"), ("name", "P"), ("kind", "pdf-a4")],
            ADMINS,
        ),
        (
            "/settings/products",
            &[
                ("venue", "demo"),
                ("product", "adult"),
                ("price", "250"),
                ("on_sale", "1"),
            ],
            ADMINS,
        ),
        (
            "/settings/products/new",
            &[
                ("venue", "demo"),
                ("id", "x"),
                ("name_uk", "X"),
                ("category", "full"),
                ("price", "1"),
            ],
            ADMINS,
        ),
        (
            "/settings/users",
            &[
                ("username", "x1"),
                ("password", "12345678"),
                ("role", "cashier"),
            ],
            ADMINS,
        ),
        (
            "/settings/users/update",
            &[("username", "petro"), ("role", "cashier"), ("active", "1")],
            ADMINS,
        ),
        (
            "/settings/schedule",
            &[
                ("venue", "demo"),
                ("from", "2027-01-04"),
                ("to", "2027-01-04"),
                ("day", "mon"),
                ("times", "10:00"),
                ("minutes", "60"),
                ("capacity", "5"),
            ],
            ADMINS,
        ),
        (
            "/settings/devices",
            &[("role", "scanner"), ("venue", "demo")],
            ADMINS,
        ),
        (
            "/settings/devices/nobody/revoke",
            &[("reason", "x")],
            ADMINS,
        ),
    ];
    for (path, form, allowed) in actions {
        for (role, session) in &sessions {
            let ops = app.ops_in_log().await;
            let (status, body) = session.post(path, form).await;
            if allowed.contains(role) {
                assert_ne!(status, 403, "{role} may POST {path}: {body}");
            } else {
                assert_eq!(status, 403, "{role} on POST {path}: {body}");
                assert_eq!(
                    app.ops_in_log().await,
                    ops,
                    "refused {path} changes nothing"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_need_the_session_token_and_sign_in_locks_after_failures() {
    let (app, _) = demo_with_staff().await;
    let olena = Session::sign_in(&app, "olena", "correct horse").await;
    let ops = app.ops_in_log().await;
    for token in ["", "forged", &olena.csrf[1..]] {
        let (status, body) = olena
            .post_raw(
                "/shifts/open",
                &[("csrf", token), ("venue", "demo"), ("float", "100")],
            )
            .await;
        assert_eq!(status, 403, "token {token:?}: {body}");
    }
    // Another session's token does not fit this one.
    let petro = Session::sign_in(&app, "petro", "correct horse").await;
    let (status, _) = olena
        .post_raw(
            "/shifts/open",
            &[("csrf", &petro.csrf), ("venue", "demo"), ("float", "1")],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.ops_in_log().await, ops, "forged forms change nothing");

    for _ in 0..5 {
        let r =
            crate::kit::sign_in_form(&app.client, &format!("{}/", app.base), "petro", "wrong one")
                .await;
        assert_eq!(r.status(), 401);
    }
    let locked = crate::kit::sign_in_form(
        &app.client,
        &format!("{}/?lang=en", app.base),
        "petro",
        "correct horse",
    )
    .await;
    assert_eq!(locked.status(), 429, "locked even with the right password");
    assert!(locked.text().await.unwrap().contains("Too many failed"));
    let (status, body) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"username": "petro", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, 429, "the API shares the lock: {body}");
    assert_eq!(body["code"], "locked_out");
    // Others are not locked out.
    Session::sign_in(&app, "olena", "correct horse").await;
}

/// A loopback "printer": accepts one job and hands back its bytes.
async fn printer() -> (String, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let job = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut bytes = Vec::new();
        socket.read_to_end(&mut bytes).await.unwrap();
        bytes
    });
    (addr, job)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shift_sells_prints_and_closes_with_a_correct_z_report() {
    let (app, admin) = demo_with_staff().await;
    let slot = app.open_slot(&admin, 20).await;
    let admin_s = Session::sign_in(&app, "admin", "demo").await;
    let (addr, job) = printer().await;
    let (status, _) = admin_s
        .post(
            "/settings/printers",
            &[
                ("id", "kasa-1"),
                ("name", "Каса 1"),
                ("kind", "escpos"),
                ("address", &addr),
            ],
        )
        .await;
    assert_eq!(status, 303);

    let olena = Session::sign_in(&app, "olena", "correct horse").await;
    let (_, html) = olena.get("/box-office").await;
    assert!(
        html.contains("name=\"float\""),
        "a shift must be opened first"
    );
    let (status, _) = olena
        .post("/shifts/open", &[("venue", "demo"), ("float", "500")])
        .await;
    assert_eq!(status, 303);
    let (status, again) = olena
        .post("/shifts/open", &[("venue", "demo"), ("float", "500")])
        .await;
    assert_eq!(status, 409, "one open shift per cashier: {again}");

    let sell = [
        ("venue", "demo"),
        ("slot", slot.as_str()),
        ("qty-adult", "2"),
        ("qty-reduced", "1"),
        ("payment", "cash"),
        ("tendered", "1000"),
    ];
    let (status, to) = olena.post("/box-office/sell", &sell).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.starts_with("/box-office/sale/"), "{to}");
    let bytes = tokio::time::timeout(Duration::from_secs(10), job)
        .await
        .unwrap()
        .unwrap();
    let number: u64 = to
        .trim_start_matches("/box-office/sale/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let serials = app
        .node
        .inspect(|s| s.orders().get(&number).unwrap().tickets);
    let codes: Vec<String> = {
        let mut by_serial = app.node.ticket_codes(&serials).await.unwrap();
        serials.iter().filter_map(|t| by_serial.remove(t)).collect()
    };
    assert_eq!(codes.len(), 3);
    assert!(bytes.starts_with(&[0x1b, 0x40]), "ESC @ first");
    for code in &codes {
        // GS ( k pL pH 49 80 48 <data>: store the QR data, exactly the code.
        let len = code.len() + 3;
        let mut store = vec![
            0x1d,
            0x28,
            0x6b,
            (len % 256) as u8,
            (len / 256) as u8,
            49,
            80,
            48,
        ];
        store.extend_from_slice(code.as_bytes());
        assert!(
            contains(&bytes, &store),
            "QR command with the ticket's code"
        );
    }
    assert!(
        contains(&bytes, &[0x1d, 0x28, 0x6b, 3, 0, 49, 69, 50]),
        "level Q"
    );
    assert!(contains(&bytes, &[0x1d, 0x56, 0x42, 0x00]), "cut");
    assert!(
        contains(&bytes, &[0x1d, 0x76, 0x30]),
        "text as raster images"
    );
    let (_, sale) = olena.get(&to).await;
    assert!(
        sale.contains("id=\"change-due\">375,00"),
        "change of 1000 for 625"
    );

    // The printer is gone now: the sale stays, the cashier is told and can print again.
    let card = [
        ("venue", "demo"),
        ("slot", slot.as_str()),
        ("qty-adult", "1"),
        ("payment", "card"),
    ];
    let (status, to2) = olena.post("/box-office/sell", &card).await;
    assert_eq!(status, 303);
    let (_, sale2) = olena.get(&to2).await;
    assert!(
        sale2.contains("принтер вимкнений або не під’єднаний"),
        "told in the page's language: {sale2}"
    );
    let mixed = [
        ("venue", "demo"),
        ("slot", slot.as_str()),
        ("qty-reduced", "2"),
        ("payment", "mixed"),
        ("mixed_cash", "100"),
    ];
    let (status, mixed_to) = olena.post("/box-office/sell", &mixed).await;
    assert_eq!(status, 303);
    let mixed_number: u64 = mixed_to
        .trim_start_matches("/box-office/sale/")
        .parse()
        .unwrap();
    // Bad input changes nothing.
    let ops = app.ops_in_log().await;
    for bad in [
        vec![
            ("venue", "demo"),
            ("slot", slot.as_str()),
            ("payment", "cash"),
        ],
        vec![
            ("venue", "demo"),
            ("slot", slot.as_str()),
            ("qty-adult", "x"),
        ],
        vec![
            ("venue", "demo"),
            ("slot", slot.as_str()),
            ("qty-adult", "1"),
            ("payment", "mixed"),
            ("mixed_cash", "999999"),
        ],
        vec![
            ("venue", "demo"),
            ("slot", slot.as_str()),
            ("qty-adult", "99"),
        ],
    ] {
        let (status, body) = olena.post("/box-office/sell", &bad).await;
        assert!(
            [409, 422].contains(&status.as_u16()),
            "the box office shows the problem: {status}"
        );
        assert!(body.contains("role=\"alert\""), "{body}");
    }
    assert_eq!(app.ops_in_log().await, ops);

    // Petro cannot cancel Olena's sale; Olena can while her shift is open.
    let petro = Session::sign_in(&app, "petro", "correct horse").await;
    let first_ticket = app
        .node
        .inspect(|s| s.orders().get(&number).unwrap().tickets[0]);
    let (status, _) = petro
        .post(
            &format!("/tickets/{first_ticket}/cancel"),
            &[("reason", "x"), ("refund", "1")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = olena
        .post(
            &format!("/tickets/{first_ticket}/cancel"),
            &[
                ("reason", "changed mind"),
                ("refund", "1"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);

    // The mixed sale is refunded whole: each method gets back its own part.
    let (status, _) = olena
        .post(
            &format!("/orders/{mixed_number}/cancel"),
            &[
                ("reason", "wrong day"),
                ("refund", "1"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let refunds: Vec<(aspk_domain::PaymentMethod, i64)> = app.node.inspect(|s| {
        s.orders()
            .get(&mixed_number)
            .unwrap()
            .payments
            .iter()
            .filter(|p| p.amount_minor < 0)
            .map(|p| (p.method, p.amount_minor))
            .collect()
    });
    assert_eq!(
        refunds,
        vec![
            (aspk_domain::PaymentMethod::Card, -15_000),
            (aspk_domain::PaymentMethod::Cash, -10_000)
        ]
    );
    // Expected cash: 500 float + 625 + 100 (mixed) − 250 − 100 refunded in cash = 875.
    let (status, _) = olena.post("/shifts/close", &[("counted", "865")]).await;
    assert_eq!(status, 200, "closing a shift asks first");
    let (status, to) = olena
        .post("/shifts/close", &[("counted", "865"), ("confirmed", "yes")])
        .await;
    assert_eq!(status, 303);
    let (_, z) = olena.get(&format!("{to}?lang=en")).await;
    for (id, value) in [
        ("z-orders", "3"),
        ("z-cash", "UAH 725.00"),
        ("z-card", "UAH 400.00"),
        ("z-refunds", "UAH 500.00"),
        ("z-expected", "UAH 875.00"),
        ("z-counted", "UAH 865.00"),
        ("z-difference", "-UAH 10.00"),
    ] {
        assert!(
            z.contains(&format!("id=\"{id}\">{value}<")),
            "{id} = {value} in {z}"
        );
    }
    // After the close, the cashier can no longer cancel that shift's sales.
    let second_ticket = app
        .node
        .inspect(|s| s.orders().get(&number).unwrap().tickets[1]);
    let (status, _) = olena
        .post(
            &format!("/tickets/{second_ticket}/cancel"),
            &[("reason", "late")],
        )
        .await;
    assert_eq!(status, 403);
    // The order's history shows the sale, the print and the cancel.
    let maria = Session::sign_in(&app, "maria", "correct horse").await;
    let (_, detail) = maria.get(&format!("/orders/{number}?lang=en")).await;
    for fact in [
        "order placed",
        "printed on Каса 1",
        "cancelled: changed mind",
    ] {
        assert!(detail.contains(fact), "{fact} in the history");
    }
    let _ = admin;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_order_streams_in_and_is_found_with_a_typo() {
    let (app, admin) = demo_with_staff().await;
    let slot = app.open_slot(&admin, 20).await;
    let maria = Session::sign_in(&app, "maria", "correct horse").await;
    let events = app
        .client
        .get(format!("{}/orders/events", app.base))
        .header("cookie", &maria.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let mut events = events;
    let mut body = order_body("adult", Some(&slot), 2, "online");
    body["email"] = json!("visitor@example.com");
    body["name"] = json!("Оксана Петренко");
    body["payment"] = json!({"method": "card"});
    let (status, held) = app.post("/api/v1/orders", None, body).await;
    assert_eq!(status, 201, "{held}");
    // An online order arrives once it is paid.
    let order = app.pay_online(&held, "visitor@example.com").await;
    let number = order["number_display"].as_str().unwrap().to_owned();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !seen.contains(&number) {
        let chunk = tokio::time::timeout_at(deadline, events.chunk())
            .await
            .expect("the order arrives within 2 s")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: orders"), "{seen}");

    // One digit wrong: the check digit fails, the neighbours that pass are tried.
    let digits: Vec<char> = number.replace(' ', "").chars().collect();
    let mut typo = digits.clone();
    typo[4] = if typo[4] == '9' {
        '0'
    } else {
        char::from(typo[4] as u8 + 1)
    };
    let typo: String = typo.into_iter().collect();
    let (_, list) = maria.get(&format!("/orders?q={typo}")).await;
    assert!(list.contains(&number), "found despite the typo");
    assert!(list.contains("id=\"corrected\""));
    let (_, by_mail) = maria.get("/orders?q=VISITOR@example").await;
    assert!(by_mail.contains(&number));
    let (_, by_name) = maria
        .get("/orders?q=%D0%BF%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE")
        .await;
    assert!(by_name.contains(&number), "found by the visitor's name");
    let (_, none) = maria.get("/orders?q=nobody@example.com").await;
    assert!(none.contains("id=\"no-orders\""));
    let (_, filtered) = maria.get("/orders?channel=box_office").await;
    assert!(!filtered.contains(&number), "channel filter");
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_requests_and_schedules() {
    let (app, admin) = demo_with_staff().await;
    let slot = app.open_slot(&admin, 20).await;
    let (_, order) = app.sell(&admin, "adult", &slot, 3).await;
    let code = order["tickets"][0]["code"].as_str().unwrap().to_owned();
    app.scan_code(&admin, &code, "main").await;
    let maria = Session::sign_in(&app, "maria", "correct horse").await;
    let (status, html) = maria.get("/reports?lang=en").await;
    assert_eq!(status, 200);
    assert!(html.contains("<svg id=\"attendance-chart\""));
    assert!(html.contains("UAH 750.00"), "net sales");
    let (status, csv) = maria.get("/reports/by-product.csv").await;
    assert_eq!(status, 200);
    // For a Ukrainian-locale spreadsheet: a BOM, semicolons, decimal commas.
    assert!(csv.starts_with('\u{feff}'), "{csv}");
    assert!(csv.contains(";1;3;750,00;0,00;750,00\r\n"), "{csv}");
    let (_, csv) = maria.get("/reports/by-product.csv?sep=comma").await;
    assert!(csv.contains(",1,3,750.00,0.00,750.00\r\n"), "{csv}");
    let (_, attendance) = maria.get("/reports/attendance.csv?sep=comma").await;
    assert!(
        attendance.contains(",20,3,1\r\n"),
        "the slot of 20 seats: 3 sold, 1 entered: {attendance}"
    );
    app.scan_code(&admin, &code, "main").await;
    let (_, gates) = maria.get("/reports/by-gate.csv").await;
    assert!(
        gates.contains("main;1;0;1;"),
        "one admitted, one refused at main: {gates}"
    );
    let (status, _) = maria.get("/reports?from=2026-01-10&to=2026-01-01").await;
    assert_eq!(status, 422);

    // A visitor's question, a reply in the outbox, assignment and status.
    let ops = app.ops_in_log().await;
    let (status, _) = app
        .post(
            "/api/v1/requests",
            None,
            json!({"venue": "demo", "name": "A", "email": "not-mail", "subject": "s", "body": "b"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(app.ops_in_log().await, ops);
    let (status, created) = app
        .post(
            "/api/v1/requests",
            None,
            json!({"venue": "demo", "name": "Оксана", "email": "oksana@example.com", "subject": "Екскурсія", "body": "Чи є екскурсії англійською?"}),
        )
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    let (_, inbox) = maria.get("/requests?status=new").await;
    assert!(inbox.contains("Екскурсія"));
    let (status, _) = maria
        .post(
            &format!("/requests/{id}/reply"),
            &[("body", "Так, щосуботи о 12:00.")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _) = maria
        .post(
            &format!("/requests/{id}/update"),
            &[("assignee", "maria"), ("status", "closed")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, thread) = maria.get(&format!("/requests/{id}")).await;
    assert!(thread.contains("щосуботи") && thread.contains("чекає на надсилання"));
    let queued = app.node.inspect(|s| {
        s.outbox()
            .values()
            .filter(|m| m.to == "oksana@example.com")
            .count()
    });
    assert_eq!(queued, 1);
    let closed = app.node.inspect(|s| s.requests()[id].status);
    assert_eq!(closed, aspk_domain::RequestStatus::Closed);

    // The visitor answers that mail: the mail provider's inbound hook brings the answer
    // back into the thread (the subject carries its tag), and it needs an answer again.
    let subject = app.node.inspect(|s| {
        s.outbox()
            .values()
            .find(|m| m.to == "oksana@example.com")
            .map(|m| m.subject.clone())
            .unwrap_or_default()
    });
    assert!(subject.contains(&format!("[#{id}]")), "{subject}");
    let reply = |secret: &str, from: &str| {
        app.client
            .post(format!("{}/api/v1/mail/inbound", app.base))
            .bearer_auth(secret)
            .json(
                &json!({"from": from, "subject": format!("Re: {subject}"), "text": "А в неділю?"}),
            )
            .send()
    };
    let ops = app.ops_in_log().await;
    let wrong_secret = reply("guess", "oksana@example.com").await.unwrap();
    assert_eq!(wrong_secret.status(), 401);
    let stranger = reply(crate::kit::INBOUND_MAIL_SECRET, "mallory@example.com")
        .await
        .unwrap();
    assert_eq!(
        stranger.status(),
        404,
        "only the thread's own address joins it"
    );
    assert_eq!(
        app.ops_in_log().await,
        ops,
        "refused replies change nothing"
    );
    let joined = reply(
        crate::kit::INBOUND_MAIL_SECRET,
        "Оксана <Oksana@Example.com>",
    )
    .await
    .unwrap();
    assert_eq!(joined.status(), 200);
    let (_, thread) = maria.get(&format!("/requests/{id}")).await;
    assert!(thread.contains("А в неділю?"), "the reply is in the thread");
    let reopened = app.node.inspect(|s| s.requests()[id].status);
    assert_eq!(reopened, aspk_domain::RequestStatus::New);

    // A weekly pattern creates slots, skipping closed days and existing ones.
    let admin_s = Session::sign_in(&app, "admin", "demo").await;
    let form = [
        ("venue", "demo"),
        ("from", "2027-03-01"),
        ("to", "2027-03-14"),
        ("day", "mon"),
        ("day", "sat"),
        ("times", "10:00 12:00"),
        ("minutes", "90"),
        ("capacity", "30"),
        ("closed", "2027-03-08"),
    ];
    let count = |app: &TestApp| {
        app.node.inspect(|s| {
            s.slots()
                .keys()
                .filter(|k| k.starts_with("demo-202703"))
                .count()
        })
    };
    assert_eq!(admin_s.post("/settings/schedule", &form).await.0, 303);
    // Mondays 1st, (8th closed); Saturdays 6th, 13th: three days, two times each.
    assert_eq!(count(&app), 6);
    assert_eq!(admin_s.post("/settings/schedule", &form).await.0, 303);
    assert_eq!(count(&app), 6, "running it again adds nothing");
}

/// A minimal SMTP server on loopback: accepts every mail and hands back each session's
/// envelope and data.
async fn smtp_server() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut transcript = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    transcript.push_str(&line);
                    transcript.push('\n');
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        let _ = tx.send(std::mem::take(&mut transcript));
                        b"250 queued\r\n"
                    } else {
                        match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                            "EHLO" | "HELO" => b"250 test\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 ok\r\n",
                        }
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outbox_is_sent_when_mail_works_and_retried_until_then() {
    let (app, _) = demo_with_staff().await;
    let maria = app.token("maria", "correct horse").await;
    let who = app.node.authenticate(&maria).unwrap();
    let id = app
        .node
        .receive_request(
            "demo",
            "Оксана",
            "oksana@example.com",
            "Екскурсія",
            "Чи є екскурсії?",
        )
        .await
        .unwrap();
    let mail_id = app
        .node
        .reply_request(&who, &id, "Так, щосуботи.")
        .await
        .unwrap();

    // The mail server is down: the attempt is recorded, the mail stays queued.
    let dead = crate::kit::free_port();
    let config = |server: String| aspk_mail::MailConfig {
        server,
        from: "Музей <tickets@museum.example>".into(),
    };
    let mut mailer =
        aspk_mail::Mailer::new(app.node.clone(), &config(format!("127.0.0.1:{dead}"))).unwrap();
    mailer.send_due().await;
    let mail = app.node.inspect(|s| s.outbox()[&mail_id].clone());
    assert_eq!((mail.attempts, mail.sent_at), (1, None));
    assert!(mail.last_error.is_some());

    // It works again: the mail goes out once, and is marked sent.
    let (addr, mut received) = smtp_server().await;
    let mut mailer = aspk_mail::Mailer::new(app.node.clone(), &config(addr)).unwrap();
    mailer.send_due().await;
    let session = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        session.contains("RCPT TO:<oksana@example.com>"),
        "{session}"
    );
    assert!(
        session.contains("MAIL FROM:<tickets@museum.example>"),
        "{session}"
    );
    assert!(session.contains("Subject: "), "{session}");
    let mail = app.node.inspect(|s| s.outbox()[&mail_id].clone());
    assert!(mail.sent_at.is_some());
    mailer.send_due().await;
    assert!(
        received.try_recv().is_err(),
        "a sent mail is not sent again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_language_follows_the_person() {
    let (app, _) = demo_with_staff().await;
    let olena = Session::sign_in(&app, "olena", "correct horse").await;
    let (status, to) = olena
        .post("/language", &[("lang", "en"), ("back", "/status")])
        .await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/status"));
    let (_, html) = olena.get("/status?lang=en").await;
    assert!(html.contains("System status"));
    // A new sign-in elsewhere (no language cookie) gets her choice back.
    let r = crate::kit::sign_in_form(
        &app.client,
        &format!("{}/", app.base),
        "olena",
        "correct horse",
    )
    .await;
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("aspk_lang=en")),
        "{cookies:?}"
    );
    let petro = Session::sign_in(&app, "petro", "correct horse").await;
    let (_, html) = petro.get("/status").await;
    assert!(html.contains("Стан системи"), "others keep Ukrainian");
    assert!(
        html.contains("id=\"path\"") && html.contains("центральний сервер"),
        "the path is shown"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_a_phone_with_a_qr_and_revokes_it() {
    let (app, _) = demo_with_staff().await;
    let admin = Session::sign_in(&app, "admin", "demo").await;
    let maria = Session::sign_in(&app, "maria", "correct horse").await;
    assert_eq!(maria.get("/settings/devices").await.0, 403);
    let (status, to) = admin
        .post(
            "/settings/devices",
            &[("role", "scanner"), ("venue", "demo")],
        )
        .await;
    assert_eq!(status, 200, "{to}");
    let code = to
        .split("id=\"enrol-code\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 10);
    assert!(to.contains("<svg") && to.contains(&format!("/scan#pair={code}")));
    let (status, redeemed) = app
        .post(
            "/api/v1/enrolments/redeem",
            None,
            json!({"code": code, "name": "Телефон 1", "origin": "phone-test-0001"}),
        )
        .await;
    assert_eq!(status, 201, "{redeemed}");
    let node_id = redeemed["node_id"].as_str().unwrap().to_owned();
    let (_, list) = admin.get("/settings/devices").await;
    assert!(list.contains("Телефон 1"));
    let (status, _) = admin
        .post(
            &format!("/settings/devices/{node_id}/revoke"),
            &[("reason", "загублено")],
        )
        .await;
    assert_eq!(status, 303);
    let revoked = app.node.inspect(|s| s.nodes()[&node_id].revoked.clone());
    assert_eq!(revoked.as_deref(), Some("загублено"));
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_add_ticket_types_and_manage_staff() {
    let (app, _) = demo_with_staff().await;
    let admin = Session::sign_in(&app, "admin", "demo").await;
    let form = [
        ("venue", "demo"),
        ("id", "family"),
        ("name_uk", "Сімейний"),
        ("name_en", "Family"),
        ("category", "full"),
        ("price", "600"),
    ];
    assert_eq!(admin.post("/settings/products/new", &form).await.0, 303);
    let price = app.node.inspect(|s| {
        s.products_of(&aspk_domain::Slug::parse("venue", "demo").unwrap())
            .find(|p| p.id.as_str() == "family")
            .map(|p| p.price_minor)
    });
    assert_eq!(price, Some(60_000));
    assert_eq!(
        admin.post("/settings/products/new", &form).await.0,
        422,
        "an existing id is not overwritten"
    );
    let venue = [
        ("id", "demo"),
        ("name_uk", "Музей"),
        ("name_en", "Museum"),
        ("time_zone", "Mars/Olympus"),
    ];
    assert_eq!(
        admin.post("/settings/venues", &venue).await.0,
        422,
        "a bad time zone is refused"
    );
    let venue = [
        ("id", "demo"),
        ("name_uk", "Музей"),
        ("name_en", "Museum"),
        ("time_zone", "Europe/Kyiv"),
        ("early", "15"),
    ];
    assert_eq!(admin.post("/settings/venues", &venue).await.0, 303);
    let (name, early) = app.node.inspect(|s| {
        let v = &s.venues()[&aspk_domain::Slug::parse("venue", "demo").unwrap()];
        (v.name.uk.clone(), v.early_entry_minutes)
    });
    assert_eq!((name.as_str(), early), ("Музей", 15));
    // Petro becomes a manager; Olena is switched off and her session ends at once.
    let olena = Session::sign_in(&app, "olena", "correct horse").await;
    assert_eq!(
        admin
            .post(
                "/settings/users/update",
                &[("username", "petro"), ("role", "manager"), ("active", "1")]
            )
            .await
            .0,
        303
    );
    assert_eq!(
        admin
            .post(
                "/settings/users/update",
                &[("username", "olena"), ("role", "cashier")]
            )
            .await
            .0,
        303
    );
    assert_eq!(
        olena.get("/box-office").await.0,
        303,
        "sent back to sign in"
    );
    let petro = Session::sign_in(&app, "petro", "correct horse").await;
    assert_eq!(petro.get("/reports").await.0, 200, "now a manager");
    let r = crate::kit::sign_in_form(
        &app.client,
        &format!("{}/", app.base),
        "olena",
        "correct horse",
    )
    .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        admin
            .post(
                "/settings/users/update",
                &[("username", "admin"), ("role", "cashier"), ("active", "1")]
            )
            .await
            .0,
        422,
        "an admin cannot demote themselves"
    );
}

/// A GET never writes: `?lang=` changes this browser's cookie only. The header's language
/// switch is a form that remembers the choice for the person, and goes back only within
/// the app.
#[tokio::test(flavor = "multi_thread")]
async fn a_get_writes_nothing_and_the_language_switch_is_a_form() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = Session::sign_in(&app, "admin", "demo").await;
    let username = aspk_domain::Username::parse("admin").unwrap();
    let before = app.node.version_vector();
    let (status, html) = admin.get("/orders?q=1&lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/language\""), "{html}");
    assert!(
        html.contains("name=\"back\" value=\"/orders?q=1\""),
        "the switch comes back here, without lang: {html}"
    );
    assert_eq!(app.node.version_vector(), before, "a GET wrote nothing");
    assert_eq!(app.node.language_of(&username), None);

    let (status, to) = admin
        .post("/language", &[("lang", "en"), ("back", "/orders?q=1")])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/orders?q=1")
    );
    assert_eq!(app.node.language_of(&username).as_deref(), Some("en"));

    let (_, to) = admin
        .post("/language", &[("lang", "uk"), ("back", "//evil.example/")])
        .await;
    assert_eq!(to, "/", "never back to another site");
    let (status, _) = admin
        .post_raw("/language", &[("lang", "en"), ("back", "/")])
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no anti-forgery token, no change"
    );
    let signed_out = app
        .client
        .post(format!("{}/language", app.base))
        .form(&[("csrf", admin.csrf.as_str()), ("lang", "en"), ("back", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        signed_out.status(),
        StatusCode::SEE_OTHER,
        "no session: sign in"
    );
    assert_eq!(signed_out.headers()["location"], "/");
    assert_eq!(app.node.language_of(&username).as_deref(), Some("uk"));
}

/// Markup typed by visitors and devices reaches staff pages as text, never as markup: a
/// request's name, subject and body, an online order's name, a phone's chosen name and
/// the gate name it scans under. Each is looked for, escaped, on a page that shows it, and
/// no staff page carries it raw.
#[tokio::test(flavor = "multi_thread")]
async fn markup_from_visitors_and_devices_is_shown_as_text_on_every_staff_page() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.admin().await;
    let payload = |field: &str| format!("<img src=x onerror=alert('{field}')>\"&");
    let (status, asked) = app
        .post(
            "/api/v1/requests",
            None,
            json!({"venue": "demo", "name": payload("request-name"), "email": "visitor@example.com",
                   "subject": payload("request-subject"), "body": payload("request-body")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    let slot = app.open_slot(&token, 20).await;
    let mut order = order_body("adult", Some(&slot), 1, "online");
    order["name"] = json!(payload("order-name"));
    order["email"] = json!("visitor@example.com");
    let (status, held) = app.post("/api/v1/orders", None, order).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let placed = app.pay_online(&held, "visitor@example.com").await;
    let number = placed["number"].as_str().unwrap().to_owned();
    // A phone names itself when it pairs; a gate name comes with every scan.
    let phone = app
        .enrol(&token, "scanner", &payload("device-name"), None)
        .await;
    assert!(phone["token"].is_string(), "{phone}");
    let code = placed["tickets"][0]["code"].as_str().unwrap();
    let scanned = app.scan_code(&token, code, &payload("gate-name")).await;
    assert_eq!(scanned["result"], "admit", "{scanned}");

    let admin = Session::sign_in(&app, "admin", "demo").await;
    let request = format!("/requests/{}", asked["id"].as_str().unwrap());
    let serial = aspk_ticket::HumanNumber::parse(&number).unwrap().serial();
    let order_page = format!("/orders/{serial}");
    let shown_on: [(&str, &[&str]); 6] = [
        ("request-name", &["/requests", &request]),
        ("request-subject", &["/requests", &request]),
        ("request-body", &[&request]),
        ("order-name", &["/orders", &order_page]),
        ("device-name", &["/settings/devices"]),
        ("gate-name", &[&order_page]),
    ];
    let pages = [
        "/box-office",
        "/orders",
        order_page.as_str(),
        "/requests",
        request.as_str(),
        "/reports",
        "/status",
        "/settings",
        "/settings/devices",
        "/shifts",
    ];
    for page in pages {
        let (status, html) = admin.get(page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            !html.contains("<img src=x"),
            "{page} carries visitor or device markup raw"
        );
    }
    for (field, on) in shown_on {
        // As the templates escape it (askama writes numeric character references).
        let escaped = format!("&#60;img src=x onerror=alert(&#39;{field}&#39;)&#62;&#34;&#38;");
        for page in on {
            let (_, html) = admin.get(page).await;
            assert!(html.contains(&escaped), "{page} shows the {field} as text");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reservation_to_pay_at_the_box_office_is_paid_at_the_till_in_the_cashiers_shift() {
    let (app, admin) = demo_with_staff().await;
    let slot = app.open_slot(&admin, 10).await;
    let order = aspk_app::NewOrder {
        venue: "demo".into(),
        channel: aspk_domain::Channel::Online,
        items: vec![aspk_app::NewOrderItem {
            product: "adult".into(),
            slot: Some(slot.clone()),
            quantity: 2,
        }],
        payment: aspk_domain::PaymentMethod::Card,
        email: Some("visitor@example.com".into()),
        is_overbooking: false,
        mixed_cash_minor: None,
        cash_received_minor: None,
        name: Some("Оксана".into()),
        idempotency_key: None,
    };
    let held = app
        .node
        .hold_order(
            None,
            aspk_app::HoldRequest {
                order,
                provider: "box_office".into(),
                lang: "uk".into(),
                phone: None,
            },
        )
        .await
        .unwrap();
    let number = aspk_ticket::HumanNumber::from_serial(held.number).to_string();
    // The visitor's page says to pay at the till, by when.
    let token = app.node.order_access_token(held.number);
    let visitor = app
        .client
        .get(format!(
            "{}/shop/demo/order/{}?k={token}",
            app.base, held.number
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(visitor.contains("Оплатіть їх у касі музею"), "{visitor}");
    assert!(visitor.contains("id=\"held-until\""));
    assert!(
        !visitor.contains("id=\"pay-again\""),
        "nothing to pay online"
    );
    let olena = Session::sign_in(&app, "olena", "correct horse").await;
    // Without a shift the money has nowhere to go: refused, nothing changes.
    let (_, page) = olena
        .get(&format!(
            "/box-office/reservation?number={}",
            number.replace(' ', "")
        ))
        .await;
    assert!(page.contains("id=\"pay-cash\""), "{page}");
    let ops = app.ops_in_log().await;
    let pay = format!("/box-office/reservation/{}/pay", held.number);
    let (status, refused) = olena.post(&pay, &[("payment", "card")]).await;
    assert_eq!(status, 200, "shown again with the reason");
    assert!(refused.contains("reservation-error"), "{refused}");
    assert_eq!(app.ops_in_log().await, ops);

    let (status, _) = olena
        .post("/shifts/open", &[("venue", "demo"), ("float", "100")])
        .await;
    assert_eq!(status, 303);
    let (status, receipt) = olena.post(&pay, &[("payment", "card")]).await;
    assert_eq!(status, 303);
    assert_eq!(receipt, format!("/box-office/sale/{}", held.number));
    let (shift, paid) = app.node.inspect(|s| {
        let shift = s.open_shift("user:olena").map(|sh| sh.id.clone());
        (shift, s.orders().get(&held.number))
    });
    let paid = paid.expect("the reservation is an order now");
    assert_eq!(paid.status, aspk_domain::OrderStatus::Paid);
    assert_eq!(
        paid.shift, shift,
        "in the cashier's shift (and its Z report)"
    );
    assert_eq!(paid.payments[0].method, aspk_domain::PaymentMethod::Card);
    assert_eq!(paid.payments[0].amount_minor, held.total_minor);
    assert_eq!(paid.tickets.len(), 2);
    // Paid once: the page no longer offers to pay, and paying again is refused.
    let (_, page) = olena
        .get(&format!(
            "/box-office/reservation?number={}",
            number.replace(' ', "")
        ))
        .await;
    assert!(!page.contains("id=\"pay-cash\""));
    let (status, _) = olena.post(&pay, &[("payment", "cash")]).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.node
            .inspect(|s| s.orders().get(&held.number).map(|o| o.payments.len())),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bounce_shows_on_the_order_and_one_naming_no_mail_changes_nothing() {
    let (app, admin) = demo_with_staff().await;
    let slot = app.open_slot(&admin, 10).await;
    let mut body = order_body("adult", Some(&slot), 1, "box_office");
    body["email"] = json!("gone@example.com");
    let (status, order) = app.post("/api/v1/orders", Some(&admin), body).await;
    assert_eq!(status, 201, "{order}");
    let serial = order["number"].as_str().unwrap().parse::<u64>().unwrap() / 10;
    let bounce = |text: &str| {
        app.client
            .post(format!("{}/api/v1/mail/inbound", app.base))
            .bearer_auth(crate::kit::INBOUND_MAIL_SECRET)
            .json(&json!({"from": "MAILER-DAEMON@mail.example", "subject": "Undelivered Mail Returned to Sender", "text": text}))
            .send()
    };
    let ops = app.ops_in_log().await;
    let stray = bounce("550 5.1.1 <someone-else@example.com>: user unknown")
        .await
        .unwrap();
    assert_eq!(stray.status(), 404);
    assert_eq!(
        app.ops_in_log().await,
        ops,
        "a bounce naming no mail changes nothing"
    );
    let ok = bounce("550 5.1.1 <gone@example.com>: user unknown\n\nthe original follows")
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let maria = Session::sign_in(&app, "maria", "correct horse").await;
    let (_, page) = maria.get(&format!("/orders/{serial}")).await;
    assert!(
        page.contains("повернулося: bounced: 550 5.1.1"),
        "the order page shows the bounce: {page}"
    );
}
