//! Renewal of a site node's delegated ticket key, with the real binary: the cloud delegates
//! keys for 20 s here (a year in real use), so the site node renews after about 10 s, by
//! itself, while it keeps selling. Tickets and ops signed with the older key stay valid; a
//! ticket usable after the key's end is refused at the site node; a restart keeps the new key.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::drills::{cloud_with, converged, enrolled_site, leased, site, within, Api};
use crate::kit::TestApp;

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
    let _cloud = cloud_with(cdir.path(), 0, &["--delegated-key-lifetime", "20s"]).await;
    let _cport = _cloud.port();
    let cloud_url = _cloud.base.clone();
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

/// Runs `aspk keys ARGS` on the cloud's data folder (the cloud stopped) and checks it worked.
fn keys_command(data: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(crate::kit::binary())
        .arg("keys")
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "aspk keys {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// An op under a made-up origin signed with the organisation's key 1, read from the cloud's
/// data folder (as a thief of that file would).
fn signed_with_key_one(data: &std::path::Path, origin: &str) -> aspk_oplog::Op {
    let hex = std::fs::read_to_string(data.join("keys").join("ticket-0001.key")).unwrap();
    let key = aspk_ticket::IssuerKey::from_bytes(1, &aspk_app::parse_hex32(hex.trim()).unwrap());
    let mut op = aspk_oplog::Op {
        origin: origin.into(),
        seq: 1,
        hlc: aspk_oplog::Hlc::from_parts(u64::try_from(Utc::now().timestamp_millis()).unwrap(), 0),
        actor: "user:admin".into(),
        body: aspk_oplog::OpBody::SessionEnded {
            session: format!("probe-{origin}"),
            username: aspk_domain::Username::parse("admin").unwrap(),
        },
        sig: None,
    };
    op.sign_with(1, |m| key.sign_detached(m));
    op
}

/// Root key rotation and revocation with the real binary: the cloud rotates its root key
/// (`aspk keys rotate-root`, stopped) and signs with the new one; a site node enrolled
/// before trusts it through the log (its anchor vouched for it), and the cloud's new
/// tickets admit there. Then the old key is withdrawn (`aspk keys revoke 1`): an op it
/// signs afterwards is refused everywhere the withdrawal has reached.
#[tokio::test(flavor = "multi_thread")]
async fn the_root_key_rotates_and_the_old_one_is_withdrawn() {
    let (cdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cloud_proc = cloud_with(cdir.path(), 0, &[]).await;
    let cport = cloud_proc.port();
    let cloud_url = cloud_proc.base.clone();
    let c = Api::sign_in(&cloud_url).await;
    let (_site_proc, s) = enrolled_site(&c, sdir.path(), &cloud_url, 5).await;
    let gate = c
        .post(
            "/api/v1/enrolments",
            json!({"role": "gate", "venue": "demo"}),
        )
        .await
        .1;
    let gate_key = aspk_ticket::IssuerKey::from_bytes(0, &[61; 32]);
    let (_, gate) = c
        .post(
            "/api/v1/enrolments/redeem",
            json!({"code": gate["code"], "name": "g", "origin": "gate-rotation-1",
                   "public_key": aspk_app::to_hex(&gate_key.public().to_bytes())}),
        )
        .await;
    let gate_token = gate["token"].as_str().unwrap().to_owned();
    let push = |base: String, op: aspk_oplog::Op| {
        let token = gate_token.clone();
        async move {
            let r: Value = reqwest::Client::new()
                .post(format!("{base}/api/v1/sync/push"))
                .bearer_auth(token)
                .json(&json!({"ops": [op]}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r
        }
    };
    // Before: key 1 signs for the organisation.
    let probe = push(
        cloud_url.clone(),
        signed_with_key_one(cdir.path(), "probe-before"),
    )
    .await;
    assert_eq!(probe["applied"], 1, "{probe}");

    cloud_proc.kill_9();
    let said = keys_command(cdir.path(), &["rotate-root"]);
    assert!(said.contains("published"), "{said}");
    let _cloud = cloud_with(cdir.path(), cport, &[]).await;
    let c = Api::sign_in(&cloud_url).await;
    let new_key = c.status().await["signing_key"]["key_id"].as_u64().unwrap();
    assert!(
        new_key > 1,
        "the cloud signs with the new root key {new_key}"
    );
    // A ticket the cloud signs with the new key admits at the site node.
    let slot = c.open_slot(10).await;
    let (status, order) = c.sell(&slot, 1, "box_office").await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let code = order["tickets"][0]["code"].as_str().unwrap().to_owned();
    let number = order["number"].as_str().unwrap().to_owned();
    within(
        Duration::from_secs(10),
        "the sale reaches the site node",
        || s.has_order(&number),
    )
    .await;
    assert_eq!(s.scan(&code, "site-gate").await, "admit");
    assert!(c.findings().await.is_empty(), "{:?}", c.findings().await);

    // Withdraw key 1 (signed by the new root key).
    drop(_cloud);
    let said = keys_command(
        cdir.path(),
        &["revoke", "1", "--reason", "the old server was stolen"],
    );
    assert!(said.contains("withdrawn"), "{said}");
    let _cloud = cloud_with(cdir.path(), cport, &[]).await;
    // A revoked key may not revoke the one that revoked it, nor sign anything more.
    let refused = push(
        cloud_url.clone(),
        signed_with_key_one(cdir.path(), "probe-after"),
    )
    .await;
    assert_eq!(refused["refused"], 1, "{refused}");
    within(
        Duration::from_secs(10),
        "the withdrawal reaches the site node",
        || async {
            let r = push(
                s.base().to_owned(),
                signed_with_key_one(cdir.path(), "probe-site"),
            )
            .await;
            r["refused"] == 1
        },
    )
    .await;
}
