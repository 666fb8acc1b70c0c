//! The external contract (CONTRACT.md), call by call, on every backend.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::{order_body, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_gives_a_token_and_bad_credentials_are_401() {
    for app in TestApp::each().await {
        let token = app.admin().await;
        assert!(!token.is_empty());
        for (user, pass) in [("admin", "wrong"), ("nobody", "demo"), ("", "")] {
            let (status, body) = app
                .post(
                    "/api/v1/auth/token",
                    None,
                    json!({"username": user, "password": pass}),
                )
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{}: {body}", app.backend);
            assert_eq!(body["code"], "bad_credentials");
        }
        let (status, _) = app
            .post(
                "/api/v1/scans",
                Some("v1.forged.1.9999999999.AAAA"),
                json!({"number": "1"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_catalog_has_two_products_and_hourly_slots_for_a_week() {
    for app in TestApp::each().await {
        let (status, catalog) = app.get("/api/v1/catalog?venue=demo", None).await;
        assert_eq!(status, StatusCode::OK);
        let products = catalog["products"].as_array().unwrap();
        let ids: Vec<&str> = products.iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["adult", "reduced"], "{}", app.backend);
        assert!(products
            .iter()
            .all(|p| p["currency"] == "UAH" && p["price_minor"].as_i64().unwrap() > 0));
        assert!(
            products[1]["document"].as_str().is_some(),
            "reduced names the document to check"
        );
        let slots = catalog["slots"].as_array().unwrap();
        assert_eq!(slots.len(), 8, "10:00 to 18:00 hourly");
        assert!(
            slots[0]["starts_at"]
                .as_str()
                .unwrap()
                .contains("T10:00:00+0"),
            "local time with offset: {}",
            slots[0]
        );
        assert!(slots
            .iter()
            .all(|s| s["capacity"] == 50 && s["available"] == 50));
        let day7 = (chrono::Utc::now() + chrono::Duration::days(7))
            .with_timezone(&chrono_tz_kyiv())
            .date_naive();
        let (_, later) = app
            .get(&format!("/api/v1/catalog?venue=demo&date={day7}"), None)
            .await;
        assert_eq!(later["slots"].as_array().unwrap().len(), 8);
        let (_, beyond) = app
            .get(
                &format!(
                    "/api/v1/catalog?venue=demo&date={}",
                    day7 + chrono::Duration::days(1)
                ),
                None,
            )
            .await;
        assert_eq!(beyond["slots"].as_array().unwrap().len(), 0);
        let (status, body) = app.get("/api/v1/catalog?venue=nowhere", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
}

fn chrono_tz_kyiv() -> chrono::FixedOffset {
    // Kyiv is UTC+2 in winter and UTC+3 in summer; the catalog date arithmetic above only
    // needs a day boundary close to the venue's.
    chrono::FixedOffset::east_opt(2 * 3600).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_issues_signed_tickets_and_can_be_read_back() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 10).await;
        let body = json!({
            "venue": "demo", "channel": "box_office",
            "items": [{"product": "adult", "slot": slot, "quantity": 2}, {"product": "reduced", "slot": slot, "quantity": 1}],
            "payment": {"method": "card"}, "email": "visitor@example.com"
        });
        let (status, order) = app.post("/api/v1/orders", Some(&admin), body).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {order}", app.backend);
        assert_eq!(order["total_minor"], 25_000 * 2 + 12_500);
        assert_eq!(order["currency"], "UAH");
        let number = order["number"].as_str().unwrap();
        assert!(number.len() == 12 && number.chars().all(|c| c.is_ascii_digit()));
        let tickets = order["tickets"].as_array().unwrap();
        assert_eq!(tickets.len(), 3);
        for t in tickets {
            assert!(
                t["code"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .all(|c| c.is_ascii_digit()),
                "digits only"
            );
            assert!(aspk_ticket::verhoeff_is_valid(
                t["number"].as_str().unwrap()
            ));
            assert_eq!(t["slot"], slot.as_str());
            assert_eq!(t["status"], "valid");
        }
        assert_eq!(app.available(&slot).await, 7);

        let (status, read) = app
            .get(&format!("/api/v1/orders/{number}"), Some(&admin))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["tickets"], order["tickets"]);
        assert_eq!(read["payments"][0]["method"], "card");
        assert_eq!(read["payments"][0]["amount_minor"], 62_500);
        assert_eq!(read["email"], "visitor@example.com");
        let spaced = format!("{} {}-{}", &number[..4], &number[4..8], &number[8..]);
        let (status, anonymous) = app
            .get(
                &format!(
                    "/api/v1/orders/{}?email=visitor@example.com",
                    spaced.replace(' ', "%20")
                ),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "spaces and dashes are ignored");
        assert!(anonymous["email"].is_null(), "personal data only for staff");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn online_orders_without_sign_in_are_holds_and_the_box_office_needs_staff() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 10).await;
        let (status, body) = app
            .post(
                "/api/v1/orders",
                None,
                order_body("adult", Some(&slot), 1, "online"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["channel"], "online");
        // Not a paid order: a hold, without a ticket code, until the payment is confirmed.
        assert_eq!(body["status"], "pending_payment", "{body}");
        assert!(body["tickets"][0].get("code").is_none(), "{body}");
        let (status, _) = app
            .post(
                "/api/v1/orders",
                None,
                order_body("adult", Some(&slot), 1, "box_office"),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let controller = app.staff(&admin, "gatekeeper", "controller").await;
        let (status, body) = app
            .post(
                "/api/v1/orders",
                Some(&controller),
                order_body("adult", Some(&slot), 1, "box_office"),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let cashier = app.staff(&admin, "kasa1", "cashier").await;
        let (status, _) = app
            .post(
                "/api/v1/orders",
                Some(&cashier),
                order_body("adult", Some(&slot), 1, "box_office"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(app.available(&slot).await, 8);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_that_cannot_be_filled_in_full_creates_nothing() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 5).await;
        let ops = app.ops_in_log().await;
        let body = json!({
            "venue": "demo", "channel": "box_office",
            "items": [{"product": "adult", "slot": slot, "quantity": 3}, {"product": "reduced", "slot": slot, "quantity": 3}],
            "payment": {"method": "cash"}
        });
        let (status, problem) = app.post("/api/v1/orders", Some(&admin), body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(problem["code"], "sold_out");
        assert_eq!(app.available(&slot).await, 5, "nothing taken");
        assert_eq!(app.ops_in_log().await, ops, "nothing written");
        let (status, _) = app.sell(&admin, "adult", &slot, 5).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = app.sell(&admin, "adult", &slot, 1).await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_voids_tickets_and_releases_capacity() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 4).await;
        let (_, order) = app.sell(&admin, "adult", &slot, 4).await;
        assert_eq!(app.available(&slot).await, 0);
        let number = order["number"].as_str().unwrap();
        let (status, cancelled) = app
            .post(
                &format!("/api/v1/orders/{number}/cancel"),
                Some(&admin),
                json!({"reason": "visitor changed plans", "refund": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cancelled}");
        assert_eq!(cancelled["status"], "refunded");
        assert!(cancelled["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "void"));
        assert_eq!(cancelled["payments"][1]["amount_minor"], -100_000);
        assert_eq!(app.available(&slot).await, 4, "seats return");
        let code = order["tickets"][0]["code"].as_str().unwrap();
        assert_eq!(app.scan_code(&admin, code, "g1").await["result"], "void");
        let (status, again) = app
            .post(
                &format!("/api/v1/orders/{number}/cancel"),
                Some(&admin),
                json!({"reason": "again"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        let (status, _) = app
            .post(
                "/api/v1/orders/000000000000/cancel",
                Some(&admin),
                json!({"reason": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cashier_cancels_only_their_own_sales() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 10).await;
        let anna = app.staff(&admin, "anna", "cashier").await;
        let petro = app.staff(&admin, "petro", "cashier").await;
        let (_, order) = app.sell(&anna, "adult", &slot, 1).await;
        let path = format!(
            "/api/v1/orders/{}/cancel",
            order["number"].as_str().unwrap()
        );
        let (status, _) = app.post(&path, Some(&petro), json!({"reason": "x"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .post(&path, Some(&anna), json!({"reason": "mistake"}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn slots_are_created_by_managers_and_admins_only() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let manager = app.staff(&admin, "olena", "manager").await;
        let cashier = app.staff(&admin, "ivan", "cashier").await;
        let body = json!({"starts_at": "2031-05-01T10:00:00+03:00", "ends_at": "2031-05-01T11:30:00+03:00", "capacity": 30});
        let (status, _) = app
            .post("/api/v1/venues/demo/slots", Some(&cashier), body.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, slot) = app
            .post("/api/v1/venues/demo/slots", Some(&manager), body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{slot}");
        assert_eq!(slot["starts_at"], "2031-05-01T10:00:00+03:00");
        assert_eq!(slot["available"], 30);
        let (_, day) = app
            .get("/api/v1/catalog?venue=demo&date=2031-05-01", None)
            .await;
        assert_eq!(day["slots"][0]["id"], slot["id"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slot_past_midnight_is_listed_on_both_days() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let body = json!({"starts_at": "2031-05-02T22:00:00+03:00", "ends_at": "2031-05-03T01:00:00+03:00", "capacity": 50});
        let (status, night) = app
            .post("/api/v1/venues/demo/slots", Some(&admin), body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{night}");
        let listed = |day: serde_json::Value| {
            day["slots"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == night["id"])
        };
        for (date, expected) in [
            ("2031-05-01", false),
            ("2031-05-02", true),
            ("2031-05-03", true),
            ("2031-05-04", false),
        ] {
            let (_, day) = app
                .get(&format!("/api/v1/catalog?venue=demo&date={date}"), None)
                .await;
            assert_eq!(listed(day), expected, "the night slot on {date}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn free_and_open_date_products() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let today = chrono::Utc::now().date_naive();
        let (status, p) = app
            .post(
                "/api/v1/venues/demo/products",
                Some(&admin),
                json!({"id": "veteran", "name": {"uk": "Безкоштовний (УБД)", "en": "Free (veteran)"}, "category": "free", "price_minor": 0,
                       "document": {"uk": "Посвідчення УБД", "en": "Veteran ID"},
                       "valid_from": today - chrono::Duration::days(1), "valid_until": today + chrono::Duration::days(30)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        assert_eq!(p["validity"], "open_date");
        let (status, order) = app
            .post(
                "/api/v1/orders",
                Some(&admin),
                order_body("veteran", None, 2, "box_office"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        assert_eq!(order["total_minor"], 0);
        let scan = app
            .scan_code(&admin, order["tickets"][0]["code"].as_str().unwrap(), "g1")
            .await;
        assert_eq!(scan["result"], "admit", "{scan}");
        assert_eq!(scan["ticket"]["needs_document_check"], true);
        assert_eq!(scan["ticket"]["document"], "Посвідчення УБД");
        let (status, bad) = app
            .post("/api/v1/venues/demo/products", Some(&admin), json!({"id": "gift", "name": {"uk": "Подарунок"}, "category": "free", "price_minor": 100}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn status_health_findings_and_openapi() {
    for app in TestApp::each().await {
        let (status, s) = app.get("/api/v1/status", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(s["role"], "cloud");
        assert_eq!(s["pending_ops"], 0);
        assert_eq!(s["findings_open"], 0);
        assert_eq!(s["upstream"], Value::Null);
        assert!(s["version"].is_string());
        let (status, _) = app.get("/healthz", None).await;
        assert_eq!(status, StatusCode::OK);
        let admin = app.admin().await;
        let (status, findings) = app.get("/api/v1/findings?status=open", Some(&admin)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(findings, json!([]));
        // Which paths the document lists is checked in `openapi.rs`.
        let (status, doc) = app.get("/api/openapi.json", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(doc["components"]["schemas"]["OrderRequest"].is_object());
    }
}

/// `Idempotency-Key`: the same order request again answers 200 with the order the first one
/// made (201), and sells nothing more; a malformed key is refused and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_repeated_with_its_idempotency_key_is_sold_once() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 10).await;
        let order = |key: &str| {
            app.client
                .post(format!("{}/api/v1/orders", app.base))
                .bearer_auth(&admin)
                .header("idempotency-key", key)
                .json(&order_body("adult", Some(&slot), 2, "box_office"))
                .send()
        };
        let first = order("visit-42").await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED, "{}", app.backend);
        let first: Value = first.json().await.unwrap();
        let again = order("visit-42").await.unwrap();
        assert_eq!(again.status(), StatusCode::OK, "{}", app.backend);
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["number"], first["number"]);
        assert_eq!(again["tickets"], first["tickets"]);
        assert_eq!(app.available(&slot).await, 8, "sold once");
        let bad = order("not a key!").await.unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.available(&slot).await, 8);
    }
}
