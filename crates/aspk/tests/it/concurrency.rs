//! No oversell and exactly one admit, under concurrency, on every backend.

use std::collections::HashMap;

use futures::future::join_all;
use reqwest::StatusCode;

use crate::kit::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_buyers_never_oversell_a_small_slot() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 17).await;
        let attempts = (0..60).map(|i| {
            let (app, admin, slot) = (&app, &admin, &slot);
            async move {
                app.sell(
                    admin,
                    if i % 3 == 0 { "reduced" } else { "adult" },
                    slot,
                    1 + i % 3,
                )
                .await
            }
        });
        let results = join_all(attempts).await;
        let mut sold = 0;
        for (status, body) in &results {
            match *status {
                StatusCode::CREATED => sold += body["tickets"].as_array().unwrap().len() as u64,
                StatusCode::CONFLICT => assert_eq!(body["code"], "sold_out"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert!(sold <= 17, "{}: sold {sold} of 17", app.backend);
        assert!(
            sold >= 15,
            "the slot fills up (the last seats may not fit a 2–3 ticket order): {sold}"
        );
        assert_eq!(app.available(&slot).await, 17 - sold);
        let tickets_in_state = app.node.inspect(|s| {
            s.tickets()
                .values()
                .filter(|t| t.slot.as_deref() == Some(slot.as_str()))
                .count()
        });
        assert_eq!(tickets_in_state as u64, sold);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_scans_of_the_same_tickets_admit_each_exactly_once() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 50).await;
        let (_, order) = app.sell(&admin, "adult", &slot, 5).await;
        let codes: Vec<String> = order["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["code"].as_str().unwrap().to_owned())
            .collect();
        let scans = (0..80).map(|i| {
            let (app, admin, code) = (&app, &admin, codes[i % codes.len()].clone());
            async move {
                (
                    code.clone(),
                    app.scan_code(admin, &code, &format!("gate-{}", i % 8))
                        .await,
                )
            }
        });
        let mut admits: HashMap<String, usize> = HashMap::new();
        for (code, result) in join_all(scans).await {
            match result["result"].as_str().unwrap() {
                "admit" => *admits.entry(code).or_default() += 1,
                "already_used" => assert!(result["first_entry"]["gate"].is_string()),
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(admits.len(), 5, "{}", app.backend);
        assert!(admits.values().all(|n| *n == 1), "{admits:?}");
    }
}
