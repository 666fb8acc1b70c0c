//! Replication scope, with the real binary: a site node replicates its own venue. The
//! cloud sells, admits, cancels and takes visitors' questions for a second venue too; the
//! site node is sent those ops only as elisions, holds nothing of that venue, and agrees
//! with the cloud on everything of its own.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::drills::{cloud, converged, enrolled_site, staff_page, venue_manager_at, within, Api};

/// The second venue, only the cloud holds it.
const ANNEX: &str = "annex";

async fn open_annex(c: &Api) -> String {
    let venue = json!({"id": ANNEX, "name": {"uk": "Філія", "en": "Annex"}, "time_zone": "Europe/Kyiv", "currency": "UAH"});
    let (status, body) = c.post("/api/v1/venues", venue).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let product = json!({"id": "adult", "name": {"uk": "Вхід до філії"}, "category": "full", "price_minor": 5000});
    let (status, body) = c
        .post(&format!("/api/v1/venues/{ANNEX}/products"), product)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let now = chrono::Utc::now();
    let slot = json!({"starts_at": (now - chrono::Duration::minutes(10)).to_rfc3339(), "ends_at": (now + chrono::Duration::hours(2)).to_rfc3339(), "capacity": 30});
    let (status, body) = c.post(&format!("/api/v1/venues/{ANNEX}/slots"), slot).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn sell_annex(c: &Api, slot: &str) -> Value {
    let order = json!({"venue": ANNEX, "channel": "online", "items": [{"product": "adult", "slot": slot, "quantity": 2}], "payment": {"method": "card"}, "email": "annex.visitor@example.com"});
    let (status, body) = c.post("/api/v1/orders", order).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn ask(c: &Api, venue: &str, subject: &str) {
    let question = json!({"venue": venue, "name": "Оксана", "email": "oksana@example.com", "subject": subject, "body": "Чи можна з собакою?"});
    let (status, body) = c.post("/api/v1/requests", question).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn cancel(api: &Api, number: &str) {
    let (status, body) = api
        .post(
            &format!("/api/v1/orders/{number}/cancel"),
            json!({"reason": "changed plans", "refund": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_node_replicates_its_own_venue_only() {
    let (cdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let _cloud = cloud(cdir.path(), 0).await;
    let _cport = _cloud.port();
    let cloud_url = _cloud.base.clone();
    let c = Api::sign_in(&cloud_url).await;
    let annex_slot = open_annex(&c).await;
    let demo_slot = c.open_slot(40).await;

    // Before the site node exists: sales, an entry and questions at both venues.
    let annex = sell_annex(&c, &annex_slot).await;
    let annex_no = annex["number"].as_str().unwrap().to_owned();
    let annex_code = annex["tickets"][0]["code"].as_str().unwrap().to_owned();
    assert_eq!(c.scan(&annex_code, "annex-gate").await, "admit");
    let (_, demo) = c.sell(&demo_slot, 2, "online").await;
    let demo_no = demo["number"].as_str().unwrap().to_owned();
    ask(&c, ANNEX, "Annex question").await;
    ask(&c, "demo", "Demo question").await;

    let (_site, s) = enrolled_site(&c, sdir.path(), &cloud_url, 5).await;
    within(
        Duration::from_secs(5),
        "the site node has its venue's sale",
        || s.has_order(&demo_no),
    )
    .await;
    within(
        Duration::from_secs(5),
        "site node and cloud agree on demo",
        || converged(&c, &s),
    )
    .await;
    assert_eq!(s.status().await["scope"], "demo");
    assert!(
        c.status().await.get("scope").is_none(),
        "the cloud holds it all"
    );

    // Nothing of the other venue at the site node: order, catalog, questions, entries.
    assert!(!s.has_order(&annex_no).await);
    let (_, catalog) = s.get("/api/v1/catalog").await;
    assert!(!catalog.to_string().contains(ANNEX), "{catalog}");
    let manager = venue_manager_at(&c, &s).await;
    let requests = staff_page(s.base(), "/requests", manager).await;
    assert!(requests.contains("Demo question") && !requests.contains("Annex question"));
    assert_ne!(s.scan(&annex_code, "demo-gate").await, "admit");

    // Later changes of both venues: only the site's venue's reach it in full.
    cancel(&c, &annex_no).await;
    cancel(&c, &demo_no).await;
    let later = sell_annex(&c, &annex_slot).await;
    within(
        Duration::from_secs(5),
        "the demo cancel reaches the site",
        || async { s.get(&format!("/api/v1/orders/{demo_no}")).await.1["status"] == "refunded" },
    )
    .await;
    within(
        Duration::from_secs(5),
        "site node and cloud agree again",
        || converged(&c, &s),
    )
    .await;
    assert!(!s.has_order(later["number"].as_str().unwrap()).await);

    // What the cloud sends the site node: the other venue's ops as elisions, nothing of
    // their content, every origin's sequence unbroken.
    let config: Value =
        serde_json::from_slice(&std::fs::read(sdir.path().join("upstream.json")).unwrap()).unwrap();
    let pulled = reqwest::Client::new()
        .get(format!("{cloud_url}/api/v1/sync/pull?after=0&limit=5000"))
        .bearer_auth(config["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in [
        ANNEX,
        "Annex question",
        "annex.visitor@example.com",
        "Філія",
    ] {
        assert!(!pulled.contains(secret), "the site node is sent '{secret}'");
    }
    let pulled: Value = serde_json::from_str(&pulled).unwrap();
    assert_eq!(pulled["scope"], "demo");
    let ops = pulled["ops"].as_array().unwrap();
    let elided = ops
        .iter()
        .filter(|op| op["body"]["type"] == "elided")
        .count();
    // Venue, product, slot, two sales, an entry, a question, a cancel.
    assert!(elided >= 8, "{elided} elisions");
    let mut next: std::collections::BTreeMap<&str, u64> = Default::default();
    for op in ops {
        let seq = next.entry(op["origin"].as_str().unwrap()).or_insert(1);
        assert_eq!(op["seq"].as_u64(), Some(*seq), "contiguous per origin");
        *seq += 1;
    }

    // The site node's own sales still go up.
    let (status, local) = s.sell(&demo_slot, 1, "box_office").await;
    assert_eq!(status, StatusCode::CREATED, "{local}");
    let local_no = local["number"].as_str().unwrap().to_owned();
    within(
        Duration::from_secs(5),
        "the cloud has the site's sale",
        || c.has_order(&local_no),
    )
    .await;
    within(Duration::from_secs(5), "and they agree", || {
        converged(&c, &s)
    })
    .await;
}
