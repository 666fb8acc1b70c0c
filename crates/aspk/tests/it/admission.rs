//! Every scan result the contract lists, by code and by typed number.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::kit::TestApp;

fn tamper(code: &str) -> String {
    let mut digits: Vec<u8> = code.bytes().collect();
    let i = digits.len() / 2;
    digits[i] = if digits[i] == b'9' {
        b'0'
    } else {
        digits[i] + 1
    };
    String::from_utf8(digits).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn admit_once_then_already_used_with_where_and_when() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let controller = app.staff(&admin, "gate", "controller").await;
        let slot = app.open_slot(&admin, 10).await;
        let (_, order) = app.sell(&admin, "adult", &slot, 2).await;
        let code = order["tickets"][0]["code"].as_str().unwrap();
        let first = app.scan_code(&controller, code, "north-1").await;
        assert_eq!(first["result"], "admit", "{}: {first}", app.backend);
        assert_eq!(first["ticket"]["number"], order["tickets"][0]["number"]);
        assert_eq!(first["ticket"]["needs_document_check"], false);
        let second = app.scan_code(&controller, code, "south-2").await;
        assert_eq!(second["result"], "already_used");
        assert_eq!(second["first_entry"]["gate"], "north-1");
        assert!(
            second["first_entry"]["at"]
                .as_str()
                .unwrap()
                .ends_with("+02:00")
                || second["first_entry"]["at"]
                    .as_str()
                    .unwrap()
                    .ends_with("+03:00")
        );
        let (_, read) = app
            .get(
                &format!("/api/v1/orders/{}", order["number"].as_str().unwrap()),
                Some(&admin),
            )
            .await;
        assert_eq!(read["tickets"][0]["status"], "used");
        assert_eq!(read["entries"].as_array().unwrap().len(), 1);
        assert_eq!(read["entries"][0]["gate"], "north-1");

        let number = order["tickets"][1]["number"].as_str().unwrap();
        let typed = format!("{}-{} {}", &number[..4], &number[4..8], &number[8..]);
        let (status, by_number) = app
            .post(
                "/api/v1/scans",
                Some(&controller),
                json!({"number": typed, "gate": "manual"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(by_number["result"], "admit", "{by_number}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reduced_tickets_ask_for_the_document() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let slot = app.open_slot(&admin, 10).await;
        let (_, order) = app.sell(&admin, "reduced", &slot, 1).await;
        let scan = app
            .scan_code(&admin, order["tickets"][0]["code"].as_str().unwrap(), "g")
            .await;
        assert_eq!(scan["result"], "admit");
        assert_eq!(scan["ticket"]["needs_document_check"], true);
        assert!(scan["ticket"]["document"]
            .as_str()
            .unwrap()
            .contains("Студентський"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn too_early_and_too_late() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let now = Utc::now();
        let tomorrow = app
            .slot(
                &admin,
                now + Duration::days(1),
                now + Duration::days(1) + Duration::hours(1),
                5,
            )
            .await;
        let (_, early) = app.sell(&admin, "adult", &tomorrow, 1).await;
        let scan = app
            .scan_code(&admin, early["tickets"][0]["code"].as_str().unwrap(), "g")
            .await;
        assert_eq!(scan["result"], "not_valid_yet", "{scan}");

        let closing = app
            .slot(
                &admin,
                now - Duration::hours(1),
                now + Duration::seconds(2),
                5,
            )
            .await;
        let (status, late) = app.sell(&admin, "adult", &closing, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{late}");
        tokio::time::sleep(std::time::Duration::from_millis(2600)).await;
        let scan = app
            .scan_code(&admin, late["tickets"][0]["code"].as_str().unwrap(), "g")
            .await;
        assert_eq!(scan["result"], "expired", "{scan}");
        let (status, problem) = app.sell(&admin, "adult", &closing, 1).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "no sales for a slot that has ended: {problem}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_venue_invalid_and_unknown() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let (status, venue) = app
            .post("/api/v1/venues", Some(&admin), json!({"id": "annex", "name": {"uk": "Філія", "en": "Annex"}, "time_zone": "Europe/Kyiv", "currency": "UAH"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{venue}");
        let slot = app.open_slot(&admin, 10).await;
        let (_, order) = app.sell(&admin, "adult", &slot, 1).await;
        let code = order["tickets"][0]["code"].as_str().unwrap();
        let (_, wrong) = app
            .post(
                "/api/v1/scans",
                Some(&admin),
                json!({"code": code, "gate": "annex-1", "venue": "annex"}),
            )
            .await;
        assert_eq!(wrong["result"], "wrong_venue", "{wrong}");

        for bad in [
            tamper(code),
            code[..code.len() - 1].to_owned(),
            "12345".into(),
            "ABC".into(),
            String::new(),
        ] {
            let scan = app.scan_code(&admin, &bad, "g").await;
            assert_eq!(scan["result"], "invalid", "{bad}: {scan}");
            assert!(scan.get("ticket").is_none_or(|t| t.is_null()));
        }
        let number = order["tickets"][0]["number"].as_str().unwrap();
        let mut typo = number.as_bytes().to_vec();
        typo.swap(3, 4);
        if typo != number.as_bytes() {
            let (_, scan) = app
                .post(
                    "/api/v1/scans",
                    Some(&admin),
                    json!({"number": String::from_utf8(typo).unwrap(), "gate": "g"}),
                )
                .await;
            assert_eq!(
                scan["result"], "invalid",
                "a swap of neighbours is caught by the check digit"
            );
        }
        let unsold = aspk_ticket::HumanNumber::from_serial(12_345_678_901).digits();
        let (_, scan) = app
            .post(
                "/api/v1/scans",
                Some(&admin),
                json!({"number": unsold, "gate": "g"}),
            )
            .await;
        assert_eq!(scan["result"], "unknown");
        let (status, _) = app
            .post("/api/v1/scans", None, json!({"code": code, "gate": "g"}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "scanning needs staff");
        let scan = app.scan_code(&admin, code, "g").await;
        assert_eq!(scan["result"], "admit", "the failed scans changed nothing");
    }
}
