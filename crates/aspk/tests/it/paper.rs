//! Paper as a channel, through the real server: signed stock printed and read back by an
//! independent decoder, refused once voided; paper sales entered after the fact (in the
//! shift, once, over capacity as a finding); hand-recorded admissions imported from a list,
//! a CSV and photos, once, with their conflicts as findings.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::{tool, Backend, TestApp};

async fn batch(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, made) = app.post("/api/v1/stock/batches", Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made
}

async fn findings(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let (status, list) = app.get("/api/v1/findings?status=open", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .cloned()
        .collect()
}

/// Uploads photos of recorded entries (`files` parts of `form`).
async fn upload_photos(
    app: &TestApp,
    token: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/entries/photos", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Every distinct QR code on every page of a PDF, as zbarimg reads it. Each page is read at
/// two resolutions: zbar now and then misses one symbol of a sheet at one resolution (the
/// codes differ every run), and a symbol read at either is one an independent decoder reads.
fn zbar_codes(pdf: &[u8]) -> Vec<String> {
    let pdftoppm = tool("pdftoppm", "poppler-utils");
    let zbarimg = tool("zbarimg", "zbar-tools");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stock.pdf");
    std::fs::write(&path, pdf).unwrap();
    for dpi in ["300", "400"] {
        let ok = Command::new(&pdftoppm)
            .args(["-r", dpi, "-png"])
            .arg(&path)
            .arg(dir.path().join(format!("page-{dpi}")))
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let mut codes = std::collections::BTreeSet::new();
    let pages = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"));
    for page in pages {
        let out = Command::new(&zbarimg)
            .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
            .arg(&page)
            .output()
            .unwrap();
        codes.extend(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    codes.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stock_batch_prints_signed_consecutive_codes_and_a_voided_range_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let made = batch(
        &app,
        &admin,
        json!({"venue": "demo", "series": "а", "first": "0001", "last": "0012", "product": "adult"}),
    )
    .await;
    assert_eq!(
        (made["series"].as_str(), made["first"].as_str()),
        (Some("А"), Some("0001"))
    );
    let id = made["id"].as_str().unwrap();
    // The same series and an overlapping range: refused, nothing made.
    let (status, refused) = app
        .post(
            "/api/v1/stock/batches",
            Some(&admin),
            json!({"venue": "demo", "series": "А", "first": "0010", "last": "0020"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "stock_overlap");

    let pdf = app
        .client
        .get(format!("{}/api/v1/stock/batches/{id}/pdf", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let codes = zbar_codes(&pdf.bytes().await.unwrap());
    assert_eq!(codes.len(), 12, "every ticket's QR is read: {codes:?}");
    let mut serials: Vec<u64> = codes
        .iter()
        .map(|c| aspk_ticket::peek(c).expect("a ticket code").0.serial)
        .collect();
    serials.sort_unstable();
    serials.dedup();
    assert_eq!(serials.len(), 12, "unique");
    assert!(
        serials.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive: {serials:?}"
    );
    // Every code verifies: a gate admits it, its sale not entered yet.
    let by_serial = |s: u64| {
        codes
            .iter()
            .find(|c| aspk_ticket::peek(c).unwrap().0.serial == s)
            .unwrap()
            .clone()
    };
    let first = app.scan_code(&admin, &by_serial(serials[0]), "G1").await;
    assert_eq!(first["result"], "admit", "{first}");
    assert_eq!(first["sale_entered"], false);
    // A forged code (a digit changed) is invalid.
    let mut forged = by_serial(serials[1]).into_bytes();
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'1' { b'2' } else { b'1' };
    let forged = app
        .scan_code(&admin, &String::from_utf8(forged).unwrap(), "G1")
        .await;
    assert_eq!(forged["result"], "invalid");

    // Numbers 0010–0012 are lost: voided, refused from then on.
    let (status, moved) = app
        .post(
            &format!("/api/v1/stock/batches/{id}/moves"),
            Some(&admin),
            json!({"numbers": "0010-0012", "kind": "voided", "note": "lost on the way from the printer"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let voided = app.scan_code(&admin, &by_serial(serials[10]), "G1").await;
    assert_eq!(voided["result"], "void", "{voided}");
    // A void without a reason is refused.
    let (status, _) = app
        .post(
            &format!("/api/v1/stock/batches/{id}/moves"),
            Some(&admin),
            json!({"numbers": "0009", "kind": "voided"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get("/api/v1/stock/batches", Some(&admin)).await;
    assert_eq!(list[0]["voided"], 3, "{list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn paper_sales_are_entered_once_in_the_shift_and_overcapacity_becomes_a_finding() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 3).await;
    let made = batch(
        &app,
        &admin,
        json!({"venue": "demo", "series": "Б", "first": "0101", "last": "0200"}),
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post(
            &format!("/api/v1/stock/batches/{id}/moves"),
            Some(&admin),
            json!({"numbers": "0101-0150", "kind": "issued", "cashier": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A stock ticket admitted at the gate before its sale is entered: a finding.
    let codes = stock_codes(&app, &id);
    let early = app.scan_code(&admin, &codes[5], "G1").await;
    assert_eq!(
        (early["result"].as_str(), early["sale_entered"].as_bool()),
        (Some("admit"), Some(false))
    );
    assert_eq!(findings(&app, &admin, "stock_not_entered").await.len(), 1);

    // The cashier's drawer: the paper sale lands in her open shift and its Z report.
    let cashier = admin_principal();
    let shift = app.node.open_shift(&cashier, "demo", 10_000).await.unwrap();
    let sold_at = (chrono::Utc::now() - chrono::Duration::minutes(30)).to_rfc3339();
    let (status, entered) = app
        .post(
            "/api/v1/stock/sales",
            Some(&admin),
            json!({"series": "Б", "numbers": "0101-0105, 0106", "product": "adult", "slot": slot,
                   "payment": {"method": "cash"}, "sold_at": sold_at}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entered}");
    assert_eq!(entered["entered"], 6);
    let total = entered["total_minor"].as_i64().unwrap();
    let price = total / 6;
    assert!(price > 0);
    // Six visitors are inside a slot of three: an oversell finding, not a refusal.
    assert_eq!(findings(&app, &admin, "oversell").await.len(), 1);
    // Its sale entered, the early admission is no longer a finding; the ticket is used.
    assert!(findings(&app, &admin, "stock_not_entered").await.is_empty());
    let again = app.scan_code(&admin, &codes[5], "G2").await;
    assert_eq!(again["result"], "already_used", "{again}");
    // A sold paper ticket's printed code admits (checked by the stock key's signature).
    let first = app.scan_code(&admin, &codes[0], "G1").await;
    assert_eq!(first["result"], "admit", "{first}");

    // The same number again: refused, naming the earlier entry; nothing entered.
    let ops = app.ops_in_log().await;
    let (status, refused) = app
        .post(
            "/api/v1/stock/sales",
            Some(&admin),
            json!({"series": "Б", "numbers": "0106-0110", "product": "adult", "payment": {"method": "cash"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "stock_entered");
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("Б 0106") && detail.contains(entered["order"].as_str().unwrap()),
        "{detail}"
    );
    // A number outside any batch, and malformed numbers: refused, nothing entered.
    let (status, refused) = app
        .post(
            "/api/v1/stock/sales",
            Some(&admin),
            json!({"series": "Б", "numbers": "0999", "product": "adult", "payment": {"method": "cash"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("no batch"));
    let (status, _) = app
        .post(
            "/api/v1/stock/sales",
            Some(&admin),
            json!({"series": "Б", "numbers": "0120-0110", "product": "adult", "payment": {"method": "cash"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.ops_in_log().await,
        ops,
        "refused entries change nothing"
    );

    // The order is on the paper channel, at the real time of the sale.
    let (_, order) = app
        .get(
            &format!("/api/v1/orders/{}", entered["order"].as_str().unwrap()),
            Some(&admin),
        )
        .await;
    assert_eq!(order["channel"], "paper", "{order}");
    assert_eq!(order["tickets"].as_array().unwrap().len(), 6);
    let (_, list) = app.get("/api/v1/stock/batches", Some(&admin)).await;
    assert_eq!(
        (list[0]["sold"].as_u64(), list[0]["with_cashiers"].as_u64()),
        (Some(6), Some(44)),
        "{list}"
    );
    // Closing the shift with the float and the paper cash counted: it adds up to the kopiyka.
    let z = app
        .node
        .close_shift(&cashier, 10_000 + total, "")
        .await
        .unwrap();
    assert_eq!(z.shift.id, shift.id);
    assert_eq!(z.orders, 1);
    assert_eq!(z.by_method.get("cash").copied(), Some(total));
    assert_eq!(z.expected_cash_minor, 10_000 + total);
    assert_eq!(z.difference_minor(), Some(0));
}

fn admin_principal() -> aspk_app::Principal {
    aspk_app::Principal {
        username: aspk_domain::Username::parse("admin").unwrap(),
        role: aspk_domain::Role::Admin,
    }
}

fn stock_codes(app: &TestApp, id: &str) -> Vec<String> {
    app.node
        .stock_tickets(&admin_principal(), id)
        .unwrap()
        .into_iter()
        .map(|t| t.code)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_recorded_entries_are_imported_once_and_conflicts_become_findings() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 20).await;
    let (_, order) = app.sell(&admin, "adult", &slot, 3).await;
    let numbers: Vec<String> = order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap().to_owned())
        .collect();
    // The first ticket was admitted at a gate, and is also on the paper list.
    let code0 = order["tickets"][0]["code"].as_str().unwrap();
    assert_eq!(app.scan_code(&admin, code0, "G1").await["result"], "admit");
    let lines = json!({"lines": [
        numbers[0].clone(),
        format!("{},{},North door", numbers[1], chrono::Utc::now().format("%H:%M")),
        "1234 5678 9012".to_owned(),
    ]});
    let (status, summary) = app
        .post("/api/v1/entries/import", Some(&admin), lines.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["imported"], 2, "{summary}");
    assert_eq!(summary["already_used"], 1);
    assert_eq!(summary["unknown"], 1);
    assert_eq!(findings(&app, &admin, "double_entry").await.len(), 1);
    assert_eq!(findings(&app, &admin, "imported_unknown").await.len(), 1);
    // The same import again changes nothing.
    let ops = app.ops_in_log().await;
    let (_, repeated) = app
        .post("/api/v1/entries/import", Some(&admin), lines)
        .await;
    assert_eq!(repeated["repeated"], true, "{repeated}");
    assert_eq!(app.ops_in_log().await, ops);
    // The third ticket through a CSV with a header; a CSV with a wrong column is refused.
    let csv = format!("number,time,gate\n{},,Side door\n", numbers[2]);
    let response = app
        .client
        .post(format!("{}/api/v1/entries/import", app.base))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["imported"], 1, "{body}");
    let response = app
        .client
        .post(format!("{}/api/v1/entries/import", app.base))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body("number,price\n123,4\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("price"), "{body}");
    // Every ticket is used once more than before the outage: all three are used now.
    for n in &numbers {
        let (_, order) = app
            .get(
                &format!("/api/v1/orders/{}", order["number"].as_str().unwrap()),
                Some(&admin),
            )
            .await;
        assert!(
            order["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["status"] == "used"),
            "{n}: {order}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_of_e_tickets_are_decoded_and_mark_the_tickets_used() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 20).await;
    let (_, order) = app.sell(&admin, "adult", &slot, 2).await;
    let codes: Vec<&str> = order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    let mut shot = aspk_photo::synth::Shot::new(1600, 1200);
    shot.angle_deg = 17.0;
    shot.blur = 1.0;
    shot.glare = true;
    let photo0 = aspk_photo::synth::phone_photo(codes[0], &shot);
    shot.angle_deg = 180.0;
    let photo1 = aspk_photo::synth::phone_photo(codes[1], &shot);
    let form = reqwest::multipart::Form::new()
        .part(
            "files",
            reqwest::multipart::Part::bytes(photo0).file_name("IMG_0001.jpg"),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(photo1).file_name("IMG_0002.jpg"),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"not an image".to_vec()).file_name("notes.txt"),
        );
    let response = upload_photos(&app, &admin, form).await;
    assert_eq!(response.status(), 200);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["imported"], 2, "{summary}");
    assert_eq!(summary["unreadable"], 1);
    assert_eq!(summary["files"][2]["problem"], "not_an_image");
    let unreadable = findings(&app, &admin, "unreadable_photo").await;
    assert_eq!(unreadable.len(), 1);
    // A manager resolves it with an action and a reason: the finding comes back resolved,
    // with who and when; without a reason nothing changes.
    let id = unreadable[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/findings/{id}/resolve");
    let (status, _) = app
        .post(
            &path,
            Some(&admin),
            json!({"action": "write_off", "reason": "  "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, resolved) = app
        .post(
            &path,
            Some(&admin),
            json!({"action": "write_off", "reason": "a photo of the floor"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolution"], "write_off: a photo of the floor");
    assert_eq!(resolved["resolved_by"], "user:admin");
    assert!(resolved["resolved_at"].is_string(), "{resolved}");
    let scanned = app.scan_code(&admin, codes[1], "G1").await;
    assert_eq!(scanned["result"], "already_used", "{scanned}");

    // A 50 MB upload is refused with a clear message; nothing changes.
    let ops = app.ops_in_log().await;
    let big = vec![0u8; 50 * 1024 * 1024];
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(big).file_name("huge.jpg"),
    );
    let response = upload_photos(&app, &admin, form).await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("MB"), "{body}");
    assert_eq!(app.ops_in_log().await, ops);
}
