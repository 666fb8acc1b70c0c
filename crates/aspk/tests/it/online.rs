//! Visitors' online orders: a hold without valid codes until the payment provider confirms
//! the payment; callbacks verified, idempotent and cross-checked; expired holds never block
//! a sale; a late payment into a sold-out slot issues nothing and is refunded; one client
//! cannot hold a slot; many visitors at once never oversell.

use std::sync::Arc;

use aspk_domain::ManualClock;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::{order_body, Process, TestApp, TEST_PAY_SECRET};

/// An anonymous online order for `quantity` adult tickets of `slot`, with an e-mail.
fn online_order(slot: &str, quantity: u32) -> Value {
    let mut body = order_body("adult", Some(slot), quantity, "online");
    body["email"] = json!("visitor@example.org");
    body
}

/// The order serial behind a printed number.
fn serial(number: &Value) -> u64 {
    aspk_ticket::HumanNumber::parse(number.as_str().expect("number"))
        .expect("a valid number")
        .serial()
}

/// The test provider's callback for `order` (its JSON answer), signed with `secret`.
async fn pay(app: &TestApp, order: &Value, secret: &str, amount: Option<i64>) -> StatusCode {
    let body = json!({
        "number": serial(&order["number"]),
        "amount_minor": amount.unwrap_or_else(|| order["total_minor"].as_i64().expect("total")),
        "currency": order["currency"],
        "status": "paid",
        "reference": format!("ref-{}", order["number"].as_str().unwrap_or_default()),
    })
    .to_string();
    let signature = aspk_pay::sign_test_callback(secret, body.as_bytes());
    app.client
        .post(format!("{}/api/v1/payments/test/callback", app.base))
        .header("x-test-signature", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("callback")
        .status()
}

async fn order_as_visitor(app: &TestApp, order: &Value) -> Value {
    let path = format!(
        "/api/v1/orders/{}?email=visitor@example.org",
        order["number"].as_str().expect("number")
    );
    let (status, body) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn an_anonymous_online_order_holds_seats_and_has_no_valid_code_until_it_is_paid() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 5).await;
        // Whatever payment method it claims, an anonymous order is only a hold.
        let mut body = online_order(&slot, 2);
        body["payment"] = json!({"method": "card"});
        let (status, held) = app.post("/api/v1/orders", None, body).await;
        assert_eq!(status, StatusCode::CREATED, "{held}");
        assert_eq!(held["status"], "pending_payment");
        assert!(held["hold_expires_at"].is_string(), "{held}");
        assert!(held["payment_url"]
            .as_str()
            .is_some_and(|u| u.contains("/shop/demo/order/") && u.contains("?k=")));
        let tickets = held["tickets"].as_array().expect("tickets");
        assert_eq!(tickets.len(), 2);
        for t in tickets {
            assert!(t.get("code").is_none(), "no code before payment: {t}");
            assert_eq!(t["status"], "pending_payment");
        }
        assert_eq!(app.available(&slot).await, 3, "the hold keeps its seats");

        // Its ticket numbers admit nobody.
        let number = tickets[0]["number"].as_str().expect("number");
        let (_, scan) = app
            .post(
                "/api/v1/scans",
                Some(&admin),
                json!({"number": number, "gate": "main-1"}),
            )
            .await;
        assert_ne!(scan["result"], "admit", "{scan}");

        // A forged callback changes nothing.
        assert_eq!(
            pay(&app, &held, "not-the-secret", None).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            order_as_visitor(&app, &held).await["status"],
            "pending_payment"
        );

        // The real one places the order: codes now, and they admit.
        assert_eq!(
            pay(&app, &held, TEST_PAY_SECRET, None).await,
            StatusCode::OK
        );
        let paid = order_as_visitor(&app, &held).await;
        assert_eq!(paid["status"], "paid", "{paid}");
        assert_eq!(paid["number"], held["number"]);
        let code = paid["tickets"][0]["code"]
            .as_str()
            .expect("a code once paid");
        assert_eq!(
            app.scan_code(&admin, code, "main-1").await["result"],
            "admit"
        );
        assert_eq!(app.available(&slot).await, 3, "sold, not held twice");

        // The same callback again pays once.
        let ops = app.ops_in_log().await;
        assert_eq!(
            pay(&app, &held, TEST_PAY_SECRET, None).await,
            StatusCode::OK
        );
        assert_eq!(
            app.ops_in_log().await,
            ops,
            "a repeated callback changes nothing"
        );
        assert_eq!(app.available(&slot).await, 3);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_of_the_wrong_amount_issues_nothing_and_becomes_a_finding() {
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 5).await;
    let (_, held) = app
        .post("/api/v1/orders", None, online_order(&slot, 1))
        .await;
    let total = held["total_minor"].as_i64().expect("total");
    assert_eq!(
        pay(&app, &held, TEST_PAY_SECRET, Some(total - 1)).await,
        StatusCode::OK
    );
    let order = order_as_visitor(&app, &held).await;
    assert_eq!(order["status"], "payment_refused", "{order}");
    assert!(order["tickets"][0].get("code").is_none());
    let (_, findings) = app.get("/api/v1/findings", Some(&admin)).await;
    let late = findings
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "late_payment")
        .expect("a late_payment finding");
    assert_eq!(late["facts"]["amount_minor"], total - 1);
    assert_eq!(app.available(&slot).await, 5, "the seat went back");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_hold_never_blocks_a_sale_and_its_late_payment_is_refunded_not_oversold() {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_at(clock.clone() as Arc<_>).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 2).await;
    let (status, held) = app
        .post("/api/v1/orders", None, online_order(&slot, 2))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let cashier = app.staff(&admin, "kasa1", "cashier").await;
    let (status, refused) = app.sell(&cashier, "adult", &slot, 1).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "held seats are not for sale: {refused}"
    );
    let (status, refused) = app
        .post("/api/v1/orders", None, online_order(&slot, 1))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "sold_out");

    // Ten minutes later the hold is over, before anything released it.
    clock.advance(chrono::Duration::minutes(11));
    assert_eq!(app.available(&slot).await, 2);
    let (status, sold) = app.sell(&cashier, "adult", &slot, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{sold}");

    // The visitor's payment arrives now: no seat is left for it.
    assert_eq!(
        pay(&app, &held, TEST_PAY_SECRET, None).await,
        StatusCode::OK
    );
    let order = order_as_visitor(&app, &held).await;
    assert_eq!(order["status"], "payment_refused", "{order}");
    let sold_now = app.node.inspect(|s| s.slots()[&slot].sold);
    assert_eq!(sold_now, 2, "never oversold");
    // The test provider gave the money back, so the finding is closed with a note.
    let (_, findings) = app.get("/api/v1/findings", Some(&admin)).await;
    let late = findings
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "late_payment")
        .expect("a late_payment finding")
        .clone();
    assert_eq!(late["status"], "resolved", "{late}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweeper_releases_a_hold_whose_payment_never_came() {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_at(clock.clone() as Arc<_>).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 3).await;
    let (_, held) = app
        .post("/api/v1/orders", None, online_order(&slot, 2))
        .await;
    aspk_http::payments::sweep_holds(&app.state).await;
    assert_eq!(
        order_as_visitor(&app, &held).await["status"],
        "pending_payment"
    );
    clock.advance(chrono::Duration::minutes(11));
    aspk_http::payments::sweep_holds(&app.state).await;
    let order = order_as_visitor(&app, &held).await;
    assert_eq!(order["status"], "expired", "{order}");
    assert!(order.get("payment_url").is_none());
    assert_eq!(app.available(&slot).await, 3);
    // The release is an op: it is in the log and survives a restart like any other.
    let released = app
        .node
        .inspect(|s| s.holds()[&serial(&held["number"])].status);
    assert_eq!(released, aspk_oplog::HoldStatus::Released);
}

#[tokio::test(flavor = "multi_thread")]
async fn five_hundred_concurrent_checkouts_for_a_hundred_seats_give_exactly_a_hundred_paid_tickets()
{
    let app = Arc::new(TestApp::spawn(crate::kit::Backend::Sqlite).await);
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 100).await;
    let mut tasks = Vec::new();
    for _ in 0..500 {
        let (app, slot) = (app.clone(), slot.clone());
        tasks.push(tokio::spawn(async move {
            app.post("/api/v1/orders", None, online_order(&slot, 1))
                .await
        }));
    }
    let mut held = Vec::new();
    for task in tasks {
        let (status, body) = task.await.expect("checkout");
        match status {
            StatusCode::CREATED => held.push(body),
            StatusCode::CONFLICT => assert_eq!(body["code"], "sold_out", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(held.len(), 100, "exactly the seats there are are held");
    let mut payments = Vec::new();
    for order in held {
        let app = app.clone();
        payments.push(tokio::spawn(async move {
            pay(&app, &order, TEST_PAY_SECRET, None).await
        }));
    }
    for p in payments {
        assert_eq!(p.await.expect("payment"), StatusCode::OK);
    }
    let (sold, paid) = app.node.inspect(|s| {
        let paid = s
            .holds()
            .values()
            .filter(|h| h.status == aspk_oplog::HoldStatus::Paid)
            .count();
        (s.slots()[&slot].sold, paid)
    });
    assert_eq!((sold, paid), (100, 100));
    assert_eq!(app.available(&slot).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_cannot_hold_a_whole_slot() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Process::serve(dir.path(), &["--holds-per-client", "2"]).await;
    let http = reqwest::Client::new();
    let admin = crate::kit::admin_token(&http, &server.base).await;
    let now = chrono::Utc::now();
    let created: Value = http
        .post(format!("{}/api/v1/venues/demo/slots", server.base))
        .bearer_auth(&admin)
        .json(
            &json!({"starts_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
            "ends_at": (now + chrono::Duration::hours(2)).to_rfc3339(), "capacity": 100}),
        )
        .send()
        .await
        .expect("slot")
        .json()
        .await
        .expect("slot json");
    let slot = created["id"].as_str().expect("slot id").to_owned();
    let hold = || async {
        http.post(format!("{}/api/v1/orders", server.base))
            .json(&online_order(&slot, 10))
            .send()
            .await
            .expect("order")
    };
    // Too many tickets in one online order is refused (the venue allows 10).
    let big = http
        .post(format!("{}/api/v1/orders", server.base))
        .json(&online_order(&slot, 11))
        .send()
        .await
        .expect("order");
    assert_eq!(big.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for _ in 0..2 {
        assert_eq!(hold().await.status(), StatusCode::CREATED);
    }
    let refused = hold().await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["code"], "too_many_holds", "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_cancels_online_within_the_venues_rule_and_the_money_goes_back() {
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let admin = app.admin().await;
    let who = app.node.authenticate(&admin).expect("the admin's session");
    let mut venue = app.node.venue("demo").expect("demo venue");
    venue.shop.cancel_hours = Some(2);
    app.node.save_venue(&who, venue).await.expect("venue saved");
    let now = chrono::Utc::now();
    let hour = chrono::Duration::hours(1);
    let later = app.slot(&admin, now + hour * 5, now + hour * 6, 10).await;
    let soon = app.slot(&admin, now + hour, now + hour * 2, 10).await;
    let cancel = |order: &Value| {
        let serial = serial(&order["number"]);
        let token = app.node.order_access_token(serial);
        app.client
            .post(format!("{}/shop/demo/order/{serial}/cancel", app.base))
            .form(&[("k", token.as_str())])
            .send()
    };

    // Five hours ahead, two allowed: cancelled, the tickets void, the refund recorded
    // against the provider's payment.
    let (_, held) = app
        .post("/api/v1/orders", None, online_order(&later, 2))
        .await;
    let paid = app.pay_online(&held, "visitor@example.org").await;
    let answer = cancel(&paid).await.expect("cancel");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let order = order_as_visitor(&app, &held).await;
    assert_eq!(order["status"], "refunded", "{order}");
    assert!(order["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .all(|t| t["status"] == "void"));
    let refunded: i64 = order["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .map(|p| p["amount_minor"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(refunded, 0, "paid and refunded in full: {order}");
    assert_eq!(
        app.available(&later).await,
        10,
        "the seats are for sale again"
    );

    // One hour ahead: too late by the venue's rule; nothing changes.
    let (_, held) = app
        .post("/api/v1/orders", None, online_order(&soon, 1))
        .await;
    let paid = app.pay_online(&held, "visitor@example.org").await;
    let ops = app.ops_in_log().await;
    let _ = cancel(&paid).await.expect("cancel");
    assert_eq!(app.ops_in_log().await, ops);
    assert_eq!(order_as_visitor(&app, &held).await["status"], "paid");
    // Nor with a wrong token.
    let serial = serial(&paid["number"]);
    let forged = app
        .client
        .post(format!("{}/shop/demo/order/{serial}/cancel", app.base))
        .form(&[("k", "0123456789abcdef0123456789abcdef")])
        .send()
        .await
        .expect("cancel");
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.ops_in_log().await, ops);
}
