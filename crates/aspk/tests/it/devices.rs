//! The phone scanner's device API (`/api/v1/device/…`): the paged, resumable feed and the
//! idempotent upload of scans, on every backend under test.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::TestApp;

/// Enrols a device of `role` for the demo venue; returns (node id, token).
async fn pair(app: &TestApp, admin: &str, role: &str, name: &str) -> (String, String) {
    // A gate enrols with the key it will sign its ops with; a phone has none.
    let key = (role == "gate").then(|| {
        let key = aspk_ticket::IssuerKey::from_bytes(0, &[5; 32]);
        aspk_app::to_hex(&key.public().to_bytes())
    });
    let r = app.enrol(admin, role, name, key).await;
    // The trust anchors: the organisation's root key, and no delegated one.
    let anchors = r["trust_anchors"].as_array().unwrap();
    assert_eq!(anchors.len(), 1, "{r}");
    assert_eq!(anchors[0]["key_id"], 1);
    assert_eq!(anchors[0]["public_key"].as_str().unwrap().len(), 64);
    (
        r["node_id"].as_str().unwrap().to_owned(),
        r["token"].as_str().unwrap().to_owned(),
    )
}

fn serial(ticket: &Value) -> u64 {
    ticket["number"].as_str().unwrap()[..11].parse().unwrap()
}

/// Every page of the feed from `cursor` on; returns (tickets, last cursor).
async fn feed_all(
    app: &TestApp,
    token: &str,
    cursor: Option<&str>,
    limit: u32,
) -> (Vec<Value>, String) {
    let mut cursor = cursor.map(str::to_owned);
    let mut tickets = Vec::new();
    for _ in 0..100 {
        let q = cursor
            .as_deref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (status, page) = app
            .get(
                &format!("/api/v1/device/feed?limit={limit}{q}"),
                Some(token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        tickets.extend(page["tickets"].as_array().unwrap().iter().cloned());
        cursor = Some(page["cursor"].as_str().unwrap().to_owned());
        if !page["more"].as_bool().unwrap() {
            return (tickets, cursor.unwrap());
        }
    }
    panic!("the feed never ended");
}

fn scan(seq: u64, serial: u64, result: &str) -> Value {
    let at_ms = chrono::Utc::now().timestamp_millis();
    json!({"seq": seq, "at_ms": at_ms, "counter": 0, "serial": serial, "result": result})
}

#[tokio::test(flavor = "multi_thread")]
async fn feed_pages_then_sends_only_changes() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let (_, phone) = pair(&app, &admin, "scanner", "Вхід 2").await;
        let slot = app.open_slot(&admin, 20).await;
        let (_, order) = app.sell(&admin, "adult", &slot, 5).await;
        let (_, reduced) = app.sell(&admin, "reduced", &slot, 1).await;

        let (tickets, cursor) = feed_all(&app, &phone, None, 2).await;
        assert_eq!(tickets.len(), 6, "{} pages of 2", app.backend);
        let first = &tickets[0];
        assert_eq!(first["state"], "valid");
        assert!(first["code"].as_str().unwrap().len() > 100);
        let (_, page) = app.get("/api/v1/device/feed?limit=1", Some(&phone)).await;
        assert_eq!(page["reset"], true);
        assert_eq!(page["venue"]["id"], "demo");
        assert!(page["keys"][0]["public_key"].as_str().unwrap().len() == 64);
        assert!(page["products"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == "reduced" && p["document"].is_string()));

        // Nothing changed: an empty delta.
        let (none, cursor) = feed_all(&app, &phone, Some(&cursor), 100).await;
        assert!(none.is_empty(), "{none:?}");

        // A cancelled order and a gate entry: only those tickets come.
        let number = order["number"].as_str().unwrap();
        let (status, _) = app
            .post(
                &format!("/api/v1/orders/{number}/cancel"),
                Some(&admin),
                json!({"reason": "refund"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let code = reduced["tickets"][0]["code"].as_str().unwrap();
        assert_eq!(
            app.scan_code(&admin, code, "main-1").await["result"],
            "admit"
        );
        let (changed, _) = feed_all(&app, &phone, Some(&cursor), 100).await;
        assert_eq!(changed.len(), 6, "{changed:?}");
        let voids = changed.iter().filter(|t| t["state"] == "void").count();
        assert_eq!(voids, 5);
        let used = changed.iter().find(|t| t["state"] == "used").unwrap();
        assert_eq!(used["entries"], 1);
        assert_eq!(used["first_entry"]["gate"], "main-1");

        // Bad cursors are a clear 422; the feed is for scanners only.
        let (status, body) = app
            .get("/api/v1/device/feed?cursor=x.1", Some(&phone))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (_, gate) = pair(&app, &admin, "gate", "turnstile").await;
        let (status, _) = app.get("/api/v1/device/feed", Some(&gate)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.get("/api/v1/device/feed", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Compressed for the phone's download (a client that does not unpack it itself).
        let raw = reqwest::Client::builder().no_gzip().build().unwrap();
        let response = raw
            .get(format!("{}/api/v1/device/feed", app.base))
            .bearer_auth(&phone)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.as_bytes()),
            Some(&b"gzip"[..]),
            "{:?}",
            response.headers()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_recorded_once_and_offline_double_use_is_found() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let (_, phone) = pair(&app, &admin, "scanner", "Телефон каси").await;
        let slot = app.open_slot(&admin, 20).await;
        let (_, order) = app.sell(&admin, "adult", &slot, 3).await;
        let [a, b, c] = [0, 1, 2].map(|i| order["tickets"][i].clone());

        // Ticket c is admitted at a gate of the server while the phone, cut off, admits it too.
        assert_eq!(
            app.scan_code(&admin, c["code"].as_str().unwrap(), "main-1")
                .await["result"],
            "admit"
        );
        let batch = json!({"scans": [
            scan(1, serial(&a), "admit"),
            scan(2, serial(&a), "already_used"),
            scan(3, serial(&b), "admit"),
            scan(4, serial(&c), "admit"),
        ]});
        let (status, r) = app
            .post("/api/v1/device/scans", Some(&phone), batch.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r, json!({"applied": 4, "known": 0, "gaps": 0, "held": 4}));
        let ops = app.ops_in_log().await;

        // The answer was lost; the phone sends the same again: nothing new.
        let (_, again) = app.post("/api/v1/device/scans", Some(&phone), batch).await;
        assert_eq!(
            again,
            json!({"applied": 0, "known": 4, "gaps": 0, "held": 4})
        );
        assert_eq!(app.ops_in_log().await, ops);

        // A scan after a gap is not taken; the answer says where to resume.
        let (_, gap) = app
            .post(
                "/api/v1/device/scans",
                Some(&phone),
                json!({"scans": [scan(6, serial(&b), "already_used")]}),
            )
            .await;
        assert_eq!(gap, json!({"applied": 0, "known": 0, "gaps": 1, "held": 4}));

        // One bad scan refuses the whole upload and records nothing.
        for bad in [
            json!({"scans": [scan(5, serial(&b), "already_used"), scan(6, serial(&b), "maybe")]}),
            json!({"scans": [scan(5, 0, "admit")]}),
            json!({"scans": [scan(5, serial(&b), "admit"), scan(5, serial(&b), "expired")]}),
            json!({"scans": [scan(0, serial(&b), "admit")]}),
            json!({"scans": [{"seq": 5, "at_ms": 12, "serial": serial(&b), "result": "admit"}]}),
            json!({"scans": [{"seq": 5, "serial": serial(&b), "result": "admit"}]}),
        ] {
            let (status, body) = app
                .post("/api/v1/device/scans", Some(&phone), bad.clone())
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad} -> {body}");
        }
        assert_eq!(app.ops_in_log().await, ops);

        // The entries are the phone's, under its name; the server refuses a second use.
        let again = app
            .scan_code(&admin, a["code"].as_str().unwrap(), "main-2")
            .await;
        assert_eq!(again["result"], "already_used");
        assert_eq!(again["first_entry"]["gate"], "Телефон каси");

        // Ticket c: two entries from places that could not know of each other.
        let (_, findings) = app.get("/api/v1/findings?status=open", Some(&admin)).await;
        let doubles: Vec<&Value> = findings
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "double_entry")
            .collect();
        assert_eq!(doubles.len(), 1, "{findings}");
        let (_, feed) = app.get("/api/v1/device/feed", Some(&phone)).await;
        assert_eq!(feed["held"], 4);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_phone_is_refused_and_records_nothing() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let (node_id, phone) = pair(&app, &admin, "scanner", "Загублений").await;
        let slot = app.open_slot(&admin, 5).await;
        let (_, order) = app.sell(&admin, "adult", &slot, 1).await;
        let (status, _) = app
            .post(
                &format!("/api/v1/nodes/{node_id}/revoke"),
                Some(&admin),
                json!({"reason": "lost"}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let ops = app.ops_in_log().await;
        let (status, body) = app.get("/api/v1/device/feed", Some(&phone)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, _) = app
            .post(
                "/api/v1/device/scans",
                Some(&phone),
                json!({"scans": [scan(1, serial(&order["tickets"][0]), "admit")]}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let code = order["tickets"][0]["code"].as_str().unwrap();
        assert_eq!(
            app.scan_code(&admin, code, "main-1").await["result"],
            "admit"
        );
        // Only the refusal finding (once) and the admin's own scan were recorded.
        assert!(app.ops_in_log().await <= ops + 2);
    }
}
