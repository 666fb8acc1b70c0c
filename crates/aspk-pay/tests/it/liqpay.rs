//! LiqPay: the documented signature sample, the checkout form, callbacks and the
//! server-to-server status/refund requests against a fake `/api/request`.

use std::sync::{Arc, Mutex};

use aspk_pay::liqpay::{self, LiqPay};
use aspk_pay::{LiqPayConfig, PayError, PayStatus, Provider, Start};
use axum::extract::State;
use axum::routing::post;
use axum::{Form, Json};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::fake::serve;

/// LiqPay's documentation example ("Forming data and signature",
/// https://www.liqpay.ua/documentation/en/data_signature): the example private key, the
/// example `json_string` and the `data`/`signature` the page derives from them.
const DOC_PRIVATE_KEY: &str = "a4825234f4bae72a0be04eafe9e8e2bada209255";
const DOC_JSON: &str = r#"{"public_key":"i00000000","version":"3","action":"pay","amount":"3","currency":"UAH","description":"test","order_id":"000001"}"#;
const DOC_DATA: &str = "eyJwdWJsaWNfa2V5IjoiaTAwMDAwMDAwIiwidmVyc2lvbiI6IjMiLCJhY3Rpb24iOiJwYXkiLCJhbW91bnQiOiIzIiwiY3VycmVuY3kiOiJVQUgiLCJkZXNjcmlwdGlvbiI6InRlc3QiLCJvcmRlcl9pZCI6IjAwMDAwMSJ9";
const DOC_SIGNATURE: &str = "wR+UZDC4jjeL/qUOvIsofIWpZh8=";

const PUBLIC: &str = "i00000000";
const PRIVATE: &str = "test-private-key";

fn provider(base_url: &str) -> LiqPay {
    LiqPay::new(LiqPayConfig {
        public_key: PUBLIC.into(),
        private_key: PRIVATE.into(),
        base_url: base_url.into(),
        sandbox: false,
    })
    .unwrap()
}

/// A callback body as LiqPay posts it: form-encoded `data` and `signature`.
fn callback_body(private_key: &str, data_json: &str) -> Vec<u8> {
    let data = B64.encode(data_json);
    let signature = liqpay::sign(private_key, &data);
    form_urlencoded::Serializer::new(String::new())
        .append_pair("data", &data)
        .append_pair("signature", &signature)
        .finish()
        .into_bytes()
}

fn payment_json(order_id: &str, amount: &str, status: &str) -> String {
    format!(
        r#"{{"action":"pay","payment_id":1234567,"status":"{status}","version":3,"type":"buy","public_key":"{PUBLIC}","amount":{amount},"currency":"UAH","order_id":"{order_id}","description":"Квитки"}}"#
    )
}

#[test]
fn documented_sample_signs_and_verifies() {
    assert_eq!(B64.encode(DOC_JSON), DOC_DATA);
    assert_eq!(liqpay::sign(DOC_PRIVATE_KEY, DOC_DATA), DOC_SIGNATURE);
    assert!(liqpay::verify(DOC_PRIVATE_KEY, DOC_DATA, DOC_SIGNATURE));
    assert!(!liqpay::verify("another key", DOC_DATA, DOC_SIGNATURE));
    assert!(!liqpay::verify(
        DOC_PRIVATE_KEY,
        DOC_DATA,
        "wR+UZDC4jjeL/qUOvIsofIWpZh9="
    ));
    assert!(!liqpay::verify(DOC_PRIVATE_KEY, DOC_DATA, "not base64!"));
    assert!(!liqpay::verify(DOC_PRIVATE_KEY, DOC_DATA, ""));
}

#[tokio::test]
async fn start_posts_a_signed_checkout_form() {
    let p = provider("https://liqpay.example/");
    let mut c = crate::checkout(1234, 12345);
    c.lang = "en".into();
    let Start::PostForm { action, fields } = p.start(&c).await.unwrap() else {
        panic!("LiqPay starts with a form");
    };
    assert_eq!(action, "https://liqpay.example/api/3/checkout");
    assert_eq!(fields.len(), 2);
    let (data, signature) = (&fields[0], &fields[1]);
    assert_eq!(
        (data.0.as_str(), signature.0.as_str()),
        ("data", "signature")
    );
    assert!(liqpay::verify(PRIVATE, &data.1, &signature.1));
    let text = String::from_utf8(B64.decode(&data.1).unwrap()).unwrap();
    // The amount goes out as the exact decimal, not a float's digits.
    assert!(text.contains(r#""amount":123.45"#), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], 3);
    assert_eq!(v["action"], "pay");
    assert_eq!(v["public_key"], PUBLIC);
    assert_eq!(v["currency"], "UAH");
    assert_eq!(v["order_id"], "1234");
    assert_eq!(v["description"], "Квитки, замовлення 1234");
    assert_eq!(v["result_url"], c.result_url);
    assert_eq!(v["server_url"], c.callback_url);
    assert_eq!(v["language"], "en");
    assert!(v.get("sandbox").is_none());
}

#[test]
fn callback_verifies_and_converts_the_amount_exactly() {
    let p = provider("http://127.0.0.1:9");
    let headers = http::HeaderMap::new();
    for (amount, minor) in [
        ("100", 10000),
        ("100.5", 10050),
        ("100.05", 10005),
        ("0.3", 30),
    ] {
        let body = callback_body(PRIVATE, &payment_json("77", amount, "success"));
        let c = p.verify_callback(&headers, &body).unwrap();
        assert_eq!(c.number, 77);
        assert_eq!(c.amount_minor, minor, "{amount}");
        assert_eq!(c.currency, "UAH");
        assert_eq!(c.reference, "1234567");
        assert_eq!(c.status, PayStatus::Paid);
    }
    // A float sum's digits are no amount: refused rather than rounded.
    let body = callback_body(
        PRIVATE,
        &payment_json("77", "0.30000000000000004", "success"),
    );
    assert!(matches!(
        p.verify_callback(&headers, &body),
        Err(PayError::Malformed(_))
    ));
}

#[test]
fn callback_statuses_map() {
    let p = provider("http://127.0.0.1:9");
    let headers = http::HeaderMap::new();
    for (status, want) in [
        ("success", PayStatus::Paid),
        ("failure", PayStatus::Failed),
        ("error", PayStatus::Failed),
        ("reversed", PayStatus::Refunded),
        ("processing", PayStatus::Pending),
        ("wait_secure", PayStatus::Pending),
        ("3ds_verify", PayStatus::Pending),
        ("sandbox", PayStatus::Failed),
    ] {
        let body = callback_body(PRIVATE, &payment_json("5", "1", status));
        assert_eq!(
            p.verify_callback(&headers, &body).unwrap().status,
            want,
            "{status}"
        );
    }
    assert_eq!(liqpay::map_status("sandbox", true), PayStatus::Paid);
}

#[test]
fn tampered_or_forged_callbacks_fail() {
    let p = provider("http://127.0.0.1:9");
    let headers = http::HeaderMap::new();
    let good =
        String::from_utf8(callback_body(PRIVATE, &payment_json("9", "50", "success"))).unwrap();
    let fields: Vec<(String, String)> = form_urlencoded::parse(good.as_bytes())
        .into_owned()
        .collect();
    let (data, signature) = (&fields[0].1, &fields[1].1);

    // Same signature, data for a bigger amount.
    let other = B64.encode(payment_json("9", "5000", "success"));
    let tampered = form_urlencoded::Serializer::new(String::new())
        .append_pair("data", &other)
        .append_pair("signature", signature)
        .finish();
    assert!(matches!(
        p.verify_callback(&headers, tampered.as_bytes()),
        Err(PayError::BadSignature)
    ));
    // Signed with someone else's key.
    let forged = callback_body("guessed-key", &payment_json("9", "50", "success"));
    assert!(matches!(
        p.verify_callback(&headers, &forged),
        Err(PayError::BadSignature)
    ));
    // No signature at all.
    let unsigned = format!(
        "data={}",
        form_urlencoded::byte_serialize(data.as_bytes()).collect::<String>()
    );
    assert!(matches!(
        p.verify_callback(&headers, unsigned.as_bytes()),
        Err(PayError::Malformed(_))
    ));
    // Signed, but not our merchant's payment or not an order of ours.
    let elsewhere = payment_json("9", "50", "success").replace(PUBLIC, "i99999999");
    assert!(matches!(
        p.verify_callback(&headers, &callback_body(PRIVATE, &elsewhere)),
        Err(PayError::Malformed(_))
    ));
    let not_ours = payment_json("abc", "50", "success");
    assert!(matches!(
        p.verify_callback(&headers, &callback_body(PRIVATE, &not_ours)),
        Err(PayError::Malformed(_))
    ));
    // The untouched one passes.
    assert_eq!(
        p.verify_callback(&headers, good.as_bytes())
            .unwrap()
            .amount_minor,
        5000
    );
}

/// What the fake `/api/request` saw.
#[derive(Default)]
struct Seen {
    requests: Vec<Value>,
}

/// A fake `/api/request`: checks the signature, knows order 42 (paid 100.05 UAH).
async fn api_request(
    State(seen): State<Arc<Mutex<Seen>>>,
    Form(form): Form<Vec<(String, String)>>,
) -> Json<Value> {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (Some(data), Some(signature)) = (get("data"), get("signature")) else {
        return Json(json!({"result": "error", "err_code": "invalid_data"}));
    };
    if !liqpay::verify(PRIVATE, &data, &signature) {
        return Json(json!({"result": "error", "err_code": "invalid_signature"}));
    }
    let v: Value = serde_json::from_slice(&B64.decode(data).unwrap()).unwrap();
    seen.lock().unwrap().requests.push(v.clone());
    match (v["action"].as_str(), v["order_id"].as_str()) {
        (Some("status"), Some("42")) => Json(json!({
            "result": "ok", "action": "pay", "payment_id": 987, "status": "success",
            "public_key": PUBLIC, "amount": 100.05, "currency": "UAH", "order_id": "42",
        })),
        (Some("status"), _) => Json(json!({
            "result": "error", "status": "error", "err_code": "payment_not_found",
        })),
        (Some("refund"), Some("42")) => Json(json!({"result": "ok", "status": "reversed"})),
        _ => Json(json!({
            "result": "error", "err_code": "payment_not_found", "err_description": "no such",
        })),
    }
}

#[tokio::test]
async fn status_and_refund_against_a_fake_api() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = axum::Router::new()
        .route("/api/request", post(api_request))
        .with_state(seen.clone());
    let base = serve(app).await;
    let p = provider(&base);

    let paid = p.status(42, None).await.unwrap().unwrap();
    assert_eq!(paid.number, 42);
    assert_eq!(paid.amount_minor, 10005);
    assert_eq!(paid.reference, "987");
    assert_eq!(paid.status, PayStatus::Paid);
    assert!(p.status(43, None).await.unwrap().is_none());

    p.refund(&paid).await.unwrap();
    let refused = p
        .refund(&aspk_pay::Confirmed {
            number: 43,
            ..paid.clone()
        })
        .await;
    assert!(matches!(refused, Err(PayError::Refused(_))));

    let requests = seen.lock().unwrap().requests.clone();
    assert_eq!(requests[0]["action"], "status");
    assert_eq!(requests[0]["version"], 3);
    assert_eq!(requests[0]["public_key"], PUBLIC);
    assert_eq!(requests[2]["action"], "refund");
    assert_eq!(requests[2]["order_id"], "42");
    assert_eq!(requests[2]["amount"], json!(100.05));

    // A provider with the wrong key is refused by the fake, not believed.
    let wrong = LiqPay::new(LiqPayConfig {
        public_key: PUBLIC.into(),
        private_key: "wrong".into(),
        base_url: base.clone(),
        sandbox: false,
    })
    .unwrap();
    assert!(matches!(
        wrong.status(42, None).await,
        Err(PayError::Refused(_))
    ));
}

#[tokio::test]
async fn unreachable_provider_is_reported_as_such() {
    let closed = crate::closed_port_url();
    let p = provider(&closed);
    assert!(matches!(
        p.status(1, None).await,
        Err(PayError::Unreachable(_))
    ));
}
