//! Renewal of a site node's delegated ticket key, with the real binary: the cloud delegates
//! keys for 20 s here (a year in real use), so the site node renews after about 10 s, by
//! itself, while it keeps selling. Tickets and ops signed with the older key stay valid; a
//! ticket usable after the key's end is refused at the site node; a restart keeps the new key.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::drills::{cloud_with, converged, enrolled_site, leased, site, within, Api};
use crate::kit::{free_port, TestApp};

fn signing_key(status: &Value) -> (u64, DateTime<Utc>) {
    let key = &status["signing_key"];
    let until = key["valid_until"]
        .as_str()
        .expect("a delegated key has an end");
    (
        key["key_id"].as_u64().unwrap(),
        until.parse().expect("an RFC 3339 time"),
    )
}

/// A slot open now that ends within the key's last day: from 10 minutes ago until an hour
/// from now, or the next UTC midnight after `key_until` if that comes first (keys are
/// compared by day, see `aspk_ticket::within_key`).
async fn slot_inside_the_key(c: &Api, key_until: DateTime<Utc>) -> String {
    let now = Utc::now();
    let midnight = (key_until.timestamp().div_euclid(86_400) + 1) * 86_400;
    let ends = (now + chrono::Duration::hours(1)).timestamp().min(midnight);
    let ends = DateTime::from_timestamp(ends, 0).unwrap();
    let body = json!({"starts_at": (now - chrono::Duration::minutes(10)).to_rfc3339(), "ends_at": ends.to_rfc3339(), "capacity": 50});
    let (status, slot) = c.post("/api/v1/venues/demo/slots", body).await;
    assert_eq!(status, StatusCode::CREATED, "{slot}");
    slot["id"].as_str().unwrap().to_owned()
}

async fn sell_one(s: &Api, slot: &str) -> String {
    let (status, order) = s.sell(slot, 1, "box_office").await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    order["tickets"][0]["code"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_node_renews_its_key_by_itself_and_nothing_signed_before_is_lost() {
    let (cdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cport = free_port();
    let cloud_url = format!("http://127.0.0.1:{cport}");
    let _cloud = cloud_with(cdir.path(), cport, &["--delegated-key-lifetime", "20s"]).await;
    let c = Api::sign_in(&cloud_url).await;
    let (site_proc, s) = enrolled_site(&c, sdir.path(), &cloud_url, 5).await;
    let (first_key, first_until) = signing_key(&s.status().await);
    assert!(first_until <= Utc::now() + chrono::Duration::seconds(21));

    // Before renewal: a sale inside the key, and a refusal for a ticket usable for a month.
    let slot = slot_inside_the_key(&c, first_until).await;
    within(
        Duration::from_secs(10),
        "the site node leases seats",
        || leased(&s, &slot),
    )
    .await;
    let before = sell_one(&s, &slot).await;
    let today = Utc::now().date_naive();
    let month = json!({"id": "month", "name": {"uk": "Місячний", "en": "Month"}, "category": "full", "price_minor": 30000,
                       "valid_from": today, "valid_until": today + chrono::Duration::days(30)});
    let (status, body) = c.post("/api/v1/venues/demo/products", month).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    within(
        Duration::from_secs(5),
        "the product reaches the site node",
        || async {
            let (_, catalog) = s.get("/api/v1/catalog?venue=demo").await;
            catalog["products"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["id"] == "month"))
        },
    )
    .await;
    let order = json!({"venue": "demo", "channel": "box_office", "items": [{"product": "month", "quantity": 1}], "payment": {"method": "cash"}});
    let (status, refused) = s.post("/api/v1/orders", order.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "beyond_key");
    let (status, sold) = c.post("/api/v1/orders", order).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the cloud's key has no end: {sold}"
    );

    // With half of its time left the site node gets a new key and signs with it.
    within(
        Duration::from_secs(25),
        "the site node renews its key",
        || async { signing_key(&s.status().await).0 != first_key },
    )
    .await;
    let (second_key, second_until) = signing_key(&s.status().await);
    assert!(second_until > first_until);
    let after = sell_one(&s, &slot).await;
    assert_ne!(before, after);
    within(Duration::from_secs(5), "cloud and site node agree", || {
        converged(&c, &s)
    })
    .await;
    assert_eq!(
        c.scan(&before, "main").await,
        "admit",
        "signed with the older key"
    );
    assert_eq!(
        c.scan(&after, "main").await,
        "admit",
        "signed with the renewed key"
    );
    assert!(c.findings().await.is_empty(), "{:?}", c.findings().await);
    let keys = sdir.path().join("keys");
    assert!(keys.join(format!("ticket-{second_key:04}.key")).exists());
    assert!(!keys.join("pending.key").exists());

    // A restart carries on with the renewed key (no enrolment code needed).
    let port = site_proc.base.rsplit(':').next().unwrap().parse().unwrap();
    site_proc.kill_9();
    let restarted = site(sdir.path(), port, &cloud_url, None, 5).await;
    let s = c.at(&restarted.base);
    // (At least that key: with 20 s keys, the next renewal may already be under way.)
    assert!(signing_key(&s.status().await).0 >= second_key);
    let again = sell_one(&s, &slot).await;
    within(Duration::from_secs(5), "cloud and site node agree", || {
        converged(&c, &s)
    })
    .await;
    assert_eq!(c.scan(&again, "main").await, "admit");
}

async fn ops_in_log(app: &TestApp) -> Value {
    let token = app.staff_token().await;
    app.get("/api/v1/status", Some(token)).await.1["ops_in_log"].clone()
}

fn public_hex(seed: u8) -> String {
    let key = aspk_ticket::IssuerKey::from_bytes(0, &[seed; 32]);
    aspk_app::to_hex(&key.public().to_bytes())
}

/// The renewal call on every backend: bad input is refused and changes nothing, only a site
/// node may renew, and asking twice gives the same key in the same serial block.
#[tokio::test(flavor = "multi_thread")]
async fn renew_key_refuses_bad_input_and_answers_twice_alike() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let site = app
            .enrol(&admin, "site_node", "site", Some(public_hex(7)))
            .await;
        let token = site["token"].as_str().unwrap();
        let scanner = app.enrol(&admin, "scanner", "phone", None).await;
        let before = ops_in_log(&app).await;
        for bad in [
            json!({}),
            json!({"public_key": "xyz"}),
            json!({"public_key": "00".repeat(31)}),
        ] {
            let (status, body) = app.post("/api/v1/sync/renew-key", Some(token), bad).await;
            assert!(status.is_client_error(), "{status} {body}");
        }
        let good = json!({"public_key": public_hex(8)});
        let (status, _) = app.post("/api/v1/sync/renew-key", None, good.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let phone = scanner["token"].as_str().unwrap();
        let (status, _) = app
            .post("/api/v1/sync/renew-key", Some(phone), good.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(ops_in_log(&app).await, before, "refusals change nothing");

        let (status, renewed) = app
            .post("/api/v1/sync/renew-key", Some(token), good.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{renewed}");
        assert_ne!(renewed["key_id"], site["key_id"]);
        assert_eq!(renewed["serials"], site["serials"]);
        assert!(renewed["valid_until"].is_string());
        let (_, again) = app.post("/api/v1/sync/renew-key", Some(token), good).await;
        assert_eq!(again, renewed);
    }
}
