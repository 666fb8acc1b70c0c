//! Drill mode through the real server: while a drill runs, the box office's sales, paper
//! stock and sales, and imports are the drill's; gates admit its tickets; no report, Z
//! report, gate count or findings list counts any of it; ending the drill takes it all
//! back (its tickets and stock refused, its seats for sale again) and leaves real business
//! as it was.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::{tool, Backend, TestApp};

/// The text of a stock batch's PDF, as pdftotext reads it.
async fn pdf_text(app: &TestApp, token: &str, batch: &str) -> String {
    let answer = app
        .client
        .get(format!("{}/api/v1/stock/batches/{batch}/pdf", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stock.pdf");
    std::fs::write(&path, answer.bytes().await.unwrap()).unwrap();
    let out = std::process::Command::new(tool("pdftotext", "poppler-utils"))
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn admin() -> aspk_app::Principal {
    aspk_app::Principal {
        username: aspk_domain::Username::parse("admin").unwrap(),
        role: aspk_domain::Role::Admin,
    }
}

fn codes(order: &Value) -> Vec<String> {
    order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap().to_owned())
        .collect()
}

fn stock_code(app: &TestApp, batch: &str, index: usize) -> String {
    app.node.stock_tickets(&admin(), batch).unwrap()[index]
        .code
        .clone()
}

async fn open_kinds(app: &TestApp, token: &str) -> Vec<String> {
    let (status, list) = app.get("/api/v1/findings?status=open", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let kinds = list.as_array().unwrap().iter();
    kinds
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_is_marked_kept_out_of_every_report_and_undone_as_a_whole() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.admin().await;
    let slot = app.open_slot(&token, 10).await;
    let shift = app.node.open_shift(&admin(), "demo", 10_000).await.unwrap();
    // Real business before the drill: one ticket sold, real paper stock in the safe.
    let (status, real) = app.sell(&token, "adult", &slot, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{real}");
    let real_total = real["total_minor"].as_i64().unwrap();
    let (status, real_stock) = app
        .post(
            "/api/v1/stock/batches",
            Some(&token),
            json!({"venue": "demo", "series": "А", "first": "0001", "last": "0010"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{real_stock}");
    let venue = app.node.venue("demo").unwrap();
    let today = chrono::Utc::now().with_timezone(&venue.tz()).date_naive();
    let report = |app: &TestApp| app.node.report(&admin(), "demo", today, today).unwrap();
    let before = report(&app);

    // A cashier may not start a drill; a manager may, once at a time.
    let cashier = app.staff(&token, "kasa", "cashier").await;
    let body = json!({"venue": "demo", "name": "Power cut at the box office"});
    let (status, _) = app
        .post("/api/v1/drills", Some(&cashier), body.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, drill) = app.post("/api/v1/drills", Some(&token), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    assert_eq!(drill["status"], "running");
    let id = drill["id"].as_str().unwrap().to_owned();
    let (status, again) = app.post("/api/v1/drills", Some(&token), body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["code"], "drill_running");

    // In the drill: a box-office sale, drill stock, a paper sale of it.
    let (status, sold) = app.sell(&token, "adult", &slot, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{sold}");
    let (_, sold) = app
        .get(
            &format!("/api/v1/orders/{}", sold["number"].as_str().unwrap()),
            Some(&token),
        )
        .await;
    assert_eq!(sold["drill"], id.as_str(), "{sold}");
    let (status, stock) = app
        .post(
            "/api/v1/stock/batches",
            Some(&token),
            json!({"venue": "demo", "series": "Н", "first": "0001", "last": "0010"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stock}");
    assert_eq!(stock["drill"], id.as_str());
    let stock_id = stock["id"].as_str().unwrap().to_owned();
    // Every printed drill ticket says it is one; real stock does not.
    let printed = pdf_text(&app, &token, &stock_id).await;
    assert!(
        printed.contains("НАВЧАННЯ") && printed.contains("DRILL"),
        "{printed}"
    );
    let real_printed = pdf_text(&app, &token, real_stock["id"].as_str().unwrap()).await;
    assert!(!real_printed.contains("НАВЧАННЯ"), "{real_printed}");
    // Real stock is not sold in a drill: refused, with a clear code.
    let (status, refused) = app
        .post(
            "/api/v1/stock/sales",
            Some(&token),
            json!({"series": "А", "numbers": "0001", "product": "adult", "slot": slot,
                   "payment": {"method": "cash"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "drill_stock");
    let (status, paper) = app
        .post(
            "/api/v1/stock/sales",
            Some(&token),
            json!({"series": "Н", "numbers": "0001-0003", "product": "adult", "slot": slot,
                   "payment": {"method": "cash"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paper}");
    let paper_total = paper["total_minor"].as_i64().unwrap();

    // The gate admits the drill's tickets like any; a drill stock number never entered as
    // sold is a finding, but the drill's, not on the real list.
    let drill_codes = codes(&sold);
    let first = app.scan_code(&token, &drill_codes[0], "G1").await;
    assert_eq!(first["result"], "admit", "{first}");
    let twice = app.scan_code(&token, &drill_codes[0], "G2").await;
    assert_eq!(twice["result"], "already_used");
    let unsold = app
        .scan_code(&token, &stock_code(&app, &stock_id, 5), "G1")
        .await;
    assert_eq!(
        (unsold["result"].as_str(), unsold["sale_entered"].as_bool()),
        (Some("admit"), Some(false))
    );
    assert!(open_kinds(&app, &token).await.is_empty());
    let (_, status_now) = app.get("/api/v1/status", Some(&token)).await;
    assert_eq!(status_now["findings_open"], 0, "{status_now}");
    // An import in the drill marks the drill's tickets only, never a real one.
    let real_number = real["tickets"][0]["number"].as_str().unwrap().to_owned();
    let drill_number = sold["tickets"][1]["number"].as_str().unwrap().to_owned();
    let (status, imported) = app
        .post(
            "/api/v1/entries/import",
            Some(&token),
            json!({"lines": [real_number, drill_number]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["imported"], 1, "{imported}");
    let real_code = codes(&real)[0].clone();

    // No report counts the drill: sales, attendance, gates, the shift.
    let during = report(&app);
    assert_eq!(during.total.orders, before.total.orders);
    assert_eq!(during.total.amount_minor, before.total.amount_minor);
    let attendance = during.attendance.iter().find(|a| a.slot == slot).unwrap();
    assert_eq!(
        (attendance.sold, attendance.entered),
        (1, 0),
        "{attendance:?}"
    );
    assert!(
        during.by_gate.values().all(|g| g.admitted == 0),
        "{:?}",
        during.by_gate
    );
    let z = app.node.shift_report(&admin(), &shift.id).unwrap();
    assert_eq!(z.orders, 1);
    assert_eq!(z.by_method.get("cash").copied(), Some(real_total));

    // The review has it all.
    let (status, review) = app.get(&format!("/api/v1/drills/{id}"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(
        (review["orders"].as_u64(), review["paper_orders"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (review["tickets"].as_u64(), review["admitted"].as_u64()),
        (Some(5), Some(2))
    );
    assert_eq!(
        review["takings"]["cash"].as_i64(),
        Some(sold["total_minor"].as_i64().unwrap() + paper_total)
    );
    let kinds: Vec<&str> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"stock_not_entered"), "{review}");
    assert!(kinds.contains(&"imported_mismatch"), "{review}");

    // Ended, so undone as a whole: the drill's tickets and stock are refused, its seats free, the
    // real order and ticket untouched.
    let (status, _) = app
        .post(
            &format!("/api/v1/drills/{id}/end"),
            Some(&cashier),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, undone) = app
        .post(&format!("/api/v1/drills/{id}/end"), Some(&token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{undone}");
    assert_eq!(undone["status"], "undone");
    for code in [
        drill_codes[1].clone(),
        stock_code(&app, &stock_id, 0),
        stock_code(&app, &stock_id, 8),
    ] {
        let refused = app.scan_code(&token, &code, "G3").await;
        assert_eq!(refused["result"], "void", "{refused}");
    }
    assert_eq!(app.available(&slot).await, 9);
    let real_entry = app.scan_code(&token, &real_code, "G1").await;
    assert_eq!(real_entry["result"], "admit", "{real_entry}");
    let (status, over) = app
        .post(&format!("/api/v1/drills/{id}/end"), Some(&token), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{over}");
    assert_eq!(over["code"], "drill_over");
    let (_, batches) = app.get("/api/v1/stock/batches", Some(&token)).await;
    assert_eq!(
        batches.as_array().unwrap().len(),
        1,
        "only real stock: {batches}"
    );
    assert!(open_kinds(&app, &token).await.is_empty());

    // The real report counts the real admission; the shift closes to the kopiyka.
    let after = report(&app);
    assert_eq!(after.total.amount_minor, before.total.amount_minor);
    let attendance = after.attendance.iter().find(|a| a.slot == slot).unwrap();
    assert_eq!((attendance.sold, attendance.entered), (1, 1));
    assert_eq!(after.by_gate.get("G1").map(|g| g.admitted), Some(1));
    let z = app
        .node
        .close_shift(&admin(), 10_000 + real_total, "")
        .await
        .unwrap();
    assert_eq!((z.orders, z.difference_minor()), (1, Some(0)));
    // After the drill, drill stock is not sold for real either: it is void.
    let (status, _) = app
        .post(
            "/api/v1/stock/sales",
            Some(&token),
            json!({"series": "Н", "numbers": "0004", "product": "adult", "slot": slot,
                   "payment": {"method": "cash"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
