//! Bad input gets a clear 4xx problem and changes nothing; no input makes the server 5xx.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_4xx_problems_and_write_nothing() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 10).await;
        let ops_before = app.ops_in_log().await;
        let item = |product: Value, slot: Value, quantity: Value| json!({"venue": "demo", "channel": "box_office", "items": [{"product": product, "slot": slot, "quantity": quantity}], "payment": {"method": "cash"}});
        let long = "x".repeat(10_000);
        let many: Vec<Value> = (0..21)
            .map(|_| json!({"product": "adult", "slot": slot, "quantity": 1}))
            .collect();
        let orders: Vec<(&str, Value)> = vec![
            ("zero quantity", item(json!("adult"), json!(slot), json!(0))),
            (
                "negative quantity",
                item(json!("adult"), json!(slot), json!(-1)),
            ),
            (
                "huge quantity",
                item(json!("adult"), json!(slot), json!(1e20)),
            ),
            (
                "too many per item",
                item(json!("adult"), json!(slot), json!(51)),
            ),
            (
                "quantity as text",
                item(json!("adult"), json!(slot), json!("2")),
            ),
            (
                "unknown product",
                item(json!("child"), json!(slot), json!(1)),
            ),
            ("product wrong type", item(json!(7), json!(slot), json!(1))),
            (
                "over-long product",
                item(json!(long), json!(slot), json!(1)),
            ),
            (
                "unknown slot",
                item(json!("adult"), json!("demo-19990101-1000"), json!(1)),
            ),
            (
                "timed product without slot",
                item(json!("adult"), Value::Null, json!(1)),
            ),
            (
                "no items",
                json!({"venue": "demo", "channel": "box_office", "items": [], "payment": {"method": "cash"}}),
            ),
            (
                "21 items",
                json!({"venue": "demo", "channel": "box_office", "items": many, "payment": {"method": "cash"}}),
            ),
            (
                "unknown venue",
                json!({"venue": "nowhere", "channel": "box_office", "items": [{"product": "adult", "slot": slot, "quantity": 1}], "payment": {"method": "cash"}}),
            ),
            (
                "bad channel",
                json!({"venue": "demo", "channel": "fax", "items": [{"product": "adult", "slot": slot, "quantity": 1}], "payment": {"method": "cash"}}),
            ),
            (
                "bad payment",
                json!({"venue": "demo", "channel": "box_office", "items": [{"product": "adult", "slot": slot, "quantity": 1}], "payment": {"method": "bitcoin"}}),
            ),
            (
                "bad email",
                json!({"venue": "demo", "channel": "box_office", "items": [{"product": "adult", "slot": slot, "quantity": 1}], "payment": {"method": "cash"}, "email": "not an email"}),
            ),
            (
                "missing payment",
                json!({"venue": "demo", "channel": "box_office", "items": [{"product": "adult", "slot": slot, "quantity": 1}]}),
            ),
            ("array body", json!([1, 2, 3])),
            (
                "overbooking as a cashier's ordinary call",
                json!({"venue": "demo", "channel": "online", "items": [{"product": "adult", "slot": slot, "quantity": 1}], "payment": {"method": "cash"}, "overbook": true}),
            ),
        ];
        for (what, body) in orders {
            let token = if what.starts_with("overbooking") {
                None
            } else {
                Some(admin.as_str())
            };
            let (status, problem) = app.post("/api/v1/orders", token, body).await;
            assert!(
                status.is_client_error(),
                "{}: {what}: {status} {problem}",
                app.backend
            );
        }
        let slots: Vec<(&str, Value)> = vec![
            (
                "ends before it starts",
                json!({"starts_at": "2030-01-01T12:00:00+02:00", "ends_at": "2030-01-01T11:00:00+02:00", "capacity": 5}),
            ),
            (
                "zero capacity",
                json!({"starts_at": "2030-01-01T10:00:00+02:00", "ends_at": "2030-01-01T11:00:00+02:00", "capacity": 0}),
            ),
            (
                "huge capacity",
                json!({"starts_at": "2030-01-01T10:00:00+02:00", "ends_at": "2030-01-01T11:00:00+02:00", "capacity": 99_999_999_999u64}),
            ),
            (
                "no offset",
                json!({"starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T11:00:00", "capacity": 5}),
            ),
            (
                "not a date",
                json!({"starts_at": "tomorrow", "ends_at": "later", "capacity": 5}),
            ),
        ];
        for (what, body) in slots {
            let (status, problem) = app
                .post("/api/v1/venues/demo/slots", Some(&admin), body)
                .await;
            assert!(status.is_client_error(), "{what}: {status} {problem}");
        }
        let scans: Vec<(&str, Value)> = vec![
            (
                "both code and number",
                json!({"code": "1", "number": "1", "gate": "g"}),
            ),
            ("neither", json!({"gate": "g"})),
            (
                "over-long code",
                json!({"code": "1".repeat(5000), "gate": "g"}),
            ),
            (
                "over-long gate",
                json!({"number": "1", "gate": "g".repeat(65)}),
            ),
            ("code as number", json!({"code": 12345, "gate": "g"})),
        ];
        for (what, body) in scans {
            let (status, problem) = app.post("/api/v1/scans", Some(&admin), body).await;
            assert!(status.is_client_error(), "{what}: {status} {problem}");
        }
        let raw = [
            (
                "malformed JSON",
                "/api/v1/orders",
                "{\"venue\": ",
                "application/json",
            ),
            (
                "wrong content type",
                "/api/v1/orders",
                "venue=demo",
                "application/x-www-form-urlencoded",
            ),
            (
                "truncated token request",
                "/api/v1/auth/token",
                "{\"username\":",
                "application/json",
            ),
        ];
        for (what, path, body, content_type) in raw {
            let req = app
                .client
                .post(format!("{}{path}", app.base))
                .header("content-type", content_type)
                .body(body);
            let (status, problem) = app.send(req, Some(&admin)).await;
            assert!(status.is_client_error(), "{what}: {status} {problem}");
        }
        let huge = app
            .client
            .post(format!("{}/api/v1/orders", app.base))
            .header("content-type", "application/json")
            // The server answers 413 before reading it all and drops the connection: keep
            // it out of the client's pool so the next request does not land on it, and keep
            // the body small enough (just over the 64 KiB limit) that loopback's socket
            // buffers take all of it before the server hangs up.
            .header("connection", "close")
            .body(vec![b' '; 70_000]);
        let (status, _) = app.send(huge, Some(&admin)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        for path in [
            "/api/v1/orders/not-a-number",
            "/api/v1/orders/123",
            "/api/v1/tickets/999/pdf",
            "/api/v1/catalog?venue=demo&date=2026-13-45",
            "/api/v1/catalog",
            "/api/v1/findings?status=maybe",
            "/api/v1/nothing-here",
        ] {
            let (status, problem) = app.get(path, Some(&admin)).await;
            assert!(status.is_client_error(), "{path}: {status} {problem}");
        }
        let (status, _) = app
            .post(
                "/api/v1/users",
                Some(&admin),
                json!({"username": "x", "password": "short", "role": "cashier"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = app
            .post(
                "/api/v1/users",
                Some(&admin),
                json!({"username": "x", "password": "long enough", "role": "emperor"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.ops_in_log().await,
            ops_before,
            "{}: rejected requests wrote nothing",
            app.backend
        );
        assert_eq!(app.available(&slot).await, 10);
    }
}
