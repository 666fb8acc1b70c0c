//! Acknowledged means durable: what the client was told succeeded survives `kill -9`.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::{order_body, Process};

async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> Option<(StatusCode, Value)> {
    let mut req = client.post(format!("{base}{path}")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let response = req.send().await.ok()?;
    let status = response.status();
    Some((status, response.json().await.ok()?))
}

async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    let (_, body) = post(
        client,
        base,
        "/api/v1/auth/token",
        None,
        &json!({"username": "admin", "password": "demo"}),
    )
    .await
    .unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// Runs the kill -9 drill against `aspk serve` with the given extra arguments.
pub async fn acknowledged_sales_and_entries_survive(extra: &[&str]) {
    // Every acknowledged order is read back after the restart, however many there were:
    // the per-address limit on order lookups is not what this drill is about.
    let extra: Vec<&str> = extra
        .iter()
        .copied()
        .chain(["--rate-limit-per-minute", "0"])
        .collect();
    let extra = extra.as_slice();
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let server = Process::serve(dir.path(), extra).await;
    let token = sign_in(&client, &server.base).await;
    let start = chrono::Utc::now() + chrono::Duration::days(1);
    let (_, created) = post(&client, &server.base, "/api/v1/venues/demo/slots", Some(&token), &json!({"starts_at": start.to_rfc3339(), "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(), "capacity": 100_000})).await.unwrap();
    let slot = created["id"].as_str().unwrap().to_owned();
    let day = created["starts_at"].as_str().unwrap()[..10].to_owned();

    // Orders in flight while the server is killed: every one acknowledged must survive.
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sellers: Vec<_> = (0..8)
        .map(|_| {
            let (client, base, token, slot, acknowledged) = (
                client.clone(),
                server.base.clone(),
                token.clone(),
                slot.clone(),
                acknowledged.clone(),
            );
            tokio::spawn(async move {
                for _ in 0..200 {
                    match post(
                        &client,
                        &base,
                        "/api/v1/orders",
                        Some(&token),
                        &order_body("adult", Some(&slot), 1, "box_office"),
                    )
                    .await
                    {
                        Some((StatusCode::CREATED, body)) => acknowledged
                            .lock()
                            .unwrap()
                            .push(body["number"].as_str().unwrap().to_owned()),
                        Some(_) => {}
                        None => break,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    server.kill_9();
    join_all(sellers).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty());

    let server = Process::serve(dir.path(), extra).await;
    let token = sign_in(&client, &server.base).await;
    for number in &acknowledged {
        let r = client
            .get(format!("{}/api/v1/orders/{number}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "acknowledged order {number} survived kill -9"
        );
    }
    let sold_now: usize = {
        let r = client
            .get(format!(
                "{}/api/v1/catalog?venue=demo&date={day}",
                server.base
            ))
            .send()
            .await
            .unwrap();
        let c: Value = r.json().await.unwrap();
        let slot = c["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == slot.as_str())
            .unwrap()
            .clone();
        slot["sold"].as_u64().unwrap() as usize
    };
    assert!(
        sold_now >= acknowledged.len(),
        "capacity accounting survived: {sold_now} >= {}",
        acknowledged.len()
    );

    // An entry acknowledged just before kill -9 is still there: the ticket is used.
    let now = chrono::Utc::now();
    let (_, slot) = post(&client, &server.base, "/api/v1/venues/demo/slots", Some(&token), &json!({"starts_at": (now - chrono::Duration::minutes(5)).to_rfc3339(), "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(), "capacity": 5})).await.unwrap();
    let (_, order) = post(
        &client,
        &server.base,
        "/api/v1/orders",
        Some(&token),
        &order_body("adult", slot["id"].as_str(), 1, "box_office"),
    )
    .await
    .unwrap();
    let code = order["tickets"][0]["code"].as_str().unwrap();
    let (_, scan) = post(
        &client,
        &server.base,
        "/api/v1/scans",
        Some(&token),
        &json!({"code": code, "gate": "g1"}),
    )
    .await
    .unwrap();
    assert_eq!(scan["result"], "admit");
    server.kill_9();
    let server = Process::serve(dir.path(), extra).await;
    let token = sign_in(&client, &server.base).await;
    let (_, again) = post(
        &client,
        &server.base,
        "/api/v1/scans",
        Some(&token),
        &json!({"code": code, "gate": "g2"}),
    )
    .await
    .unwrap();
    assert_eq!(
        again["result"], "already_used",
        "the entry survived kill -9: {again}"
    );
    assert_eq!(again["first_entry"]["gate"], "g1");
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_acknowledged_sales_and_entries_survive_kill_9() {
    acknowledged_sales_and_entries_survive(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_acknowledged_sales_and_entries_survive_kill_9() {
    let Some(base) = aspk_store::testing::postgres_base_url() else {
        return;
    };
    let url = aspk_store::testing::fresh_postgres_database(&base)
        .await
        .expect("PostgreSQL reachable");
    acknowledged_sales_and_entries_survive(&["--database", &url]).await;
}
