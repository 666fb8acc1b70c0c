//! monobank: the documented webhook signature sample, and invoice create/status/cancel plus
//! signed webhooks against a fake acquiring API.

use std::sync::{Arc, Mutex};

use aspk_pay::monobank::{self, Monobank};
use aspk_pay::{MonoConfig, PayError, PayStatus, Provider, Start};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use serde_json::{json, Value};

use crate::fake::serve;

/// The sample from monobank's acquiring docs ("Приклади верифікації підпису webhook"):
/// the example public key, the `X-Sign` value and the webhook body it signs.
const DOC_PUBKEY: &str = "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFQUc1LzZ3NnZubGJZb0ZmRHlYWE4vS29CbVVjTgo3NWJSUWg4MFBhaEdldnJoanFCQnI3OXNSS0JSbnpHODFUZVQ5OEFOakU1c0R3RmZ5Znhub0ZJcmZBPT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg==";
const DOC_X_SIGN: &str =
    "MEUCIQC/mVKhi8FKoayul2Mim3E2oaIOCNJk5dEXxTqbkeJSOQIgOM0hsW0qcP2H8iXy1aQYpmY0SJWEaWur7nQXlKDCFxA=";
const DOC_BODY: &str = r#"{
  "invoiceId": "p2_9ZgpZVsl3",
  "status": "created",
  "failureReason": "string",
  "amount": 4200,
  "ccy": 980,
  "finalAmount": 4200,
  "createdDate": "2019-08-24T14:15:22Z",
  "modifiedDate": "2019-08-24T14:15:22Z",
  "reference": "84d0070ee4e44667b31371d8f8813947",
  "cancelList": [
    {
      "status": "processing",
      "amount": 4200,
      "ccy": 980,
      "createdDate": "2019-08-24T14:15:22Z",
      "modifiedDate": "2019-08-24T14:15:22Z",
      "approvalCode": "662476",
      "rrn": "060189181768",
      "extRef": "635ace02599849e981b2cd7a65f417fe"
    }
  ]
}"#;

const TOKEN: &str = "merchant-token";

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[at] ^= 0x01;
    v
}

fn headers_with_sign(x_sign: &str) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert("X-Sign", x_sign.parse().unwrap());
    h
}

#[test]
fn documented_sample_verifies_and_a_flipped_byte_fails() {
    let key = monobank::parse_pubkey(DOC_PUBKEY).unwrap();
    let body = DOC_BODY.as_bytes();
    assert!(monobank::verify_signature(&key, body, DOC_X_SIGN));
    assert!(!monobank::verify_signature(
        &key,
        &flip(body, 20),
        DOC_X_SIGN
    ));
    let sig = B64.decode(DOC_X_SIGN).unwrap();
    assert!(!monobank::verify_signature(
        &key,
        body,
        &B64.encode(flip(&sig, 10))
    ));
    assert!(!monobank::verify_signature(&key, body, "not base64"));

    // Through the provider with the key configured: the signature passes, but the sample's
    // reference is no aspk order number, so the callback is malformed, not forged.
    let p = Monobank::new(MonoConfig {
        token: TOKEN.into(),
        base_url: crate::closed_port_url(),
        pubkey: Some(DOC_PUBKEY.into()),
    })
    .unwrap();
    let ok = p.verify_callback(&headers_with_sign(DOC_X_SIGN), body);
    assert!(matches!(ok, Err(PayError::Malformed(_))), "{ok:?}");
    let flipped = p.verify_callback(&headers_with_sign(DOC_X_SIGN), &flip(body, 20));
    assert!(matches!(flipped, Err(PayError::BadSignature)));
    let unsigned = p.verify_callback(&http::HeaderMap::new(), body);
    assert!(matches!(unsigned, Err(PayError::BadSignature)));

    let v: Value = serde_json::from_str(DOC_BODY).unwrap();
    let c = monobank::parse_invoice(&v, Some(7)).unwrap();
    assert_eq!((c.amount_minor, c.currency.as_str()), (4200, "UAH"));
    assert_eq!(
        (c.reference.as_str(), c.status),
        ("p2_9ZgpZVsl3", PayStatus::Pending)
    );
}

#[test]
fn both_s_forms_of_a_signature_verify() {
    // Signers that do not normalise s (Node's crypto, for one) produce either form.
    let sk = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let key = *sk.verifying_key();
    let body = br#"{"invoiceId":"x","status":"success"}"#;
    let sig: Signature = sk.sign(body);
    let low = sig.normalize_s().unwrap_or(sig);
    let (r, s) = low.split_scalars();
    let high =
        Signature::from_scalars(p256::FieldBytes::from(r), p256::FieldBytes::from(-s)).unwrap();
    assert!(high.normalize_s().is_some(), "constructed the high-s form");
    for sig in [low, high] {
        assert!(monobank::verify_signature(
            &key,
            body,
            &B64.encode(sig.to_der().as_bytes())
        ));
    }
}

#[test]
fn statuses_map() {
    for (s, want) in [
        ("success", PayStatus::Paid),
        ("failure", PayStatus::Failed),
        ("expired", PayStatus::Failed),
        ("reversed", PayStatus::Refunded),
        ("created", PayStatus::Pending),
        ("processing", PayStatus::Pending),
        ("hold", PayStatus::Pending),
    ] {
        assert_eq!(monobank::map_status(s), want, "{s}");
    }
}

/// The fake acquiring API's state.
struct Fake {
    key: SigningKey,
    invoices: Vec<Value>,
    created: Vec<Value>,
    cancels: Vec<Value>,
    pubkey_fetches: usize,
}

type Shared = Arc<Mutex<Fake>>;

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("x-token").and_then(|v| v.to_str().ok()) == Some(TOKEN)
}

fn forbidden() -> (StatusCode, Json<Value>) {
    (
        StatusCode::FORBIDDEN,
        Json(json!({"errCode": "FORBIDDEN", "errText": "forbidden"})),
    )
}

async fn create(
    State(s): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) {
        return forbidden();
    }
    let mut f = s.lock().unwrap();
    let id = format!("inv-{}", f.invoices.len() + 1);
    f.invoices.push(json!({
        "invoiceId": id,
        "status": "created",
        "amount": body["amount"],
        "ccy": body["ccy"],
        "reference": body["merchantPaymInfo"]["reference"],
    }));
    f.created.push(body);
    (
        StatusCode::OK,
        Json(json!({"invoiceId": id, "pageUrl": format!("https://pay.example/{id}")})),
    )
}

#[derive(serde::Deserialize)]
struct StatusQuery {
    #[serde(rename = "invoiceId")]
    invoice_id: String,
}

async fn status(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<StatusQuery>,
) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) {
        return forbidden();
    }
    let f = s.lock().unwrap();
    match f
        .invoices
        .iter()
        .find(|i| i["invoiceId"] == q.invoice_id.as_str())
    {
        Some(i) => (StatusCode::OK, Json(i.clone())),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"errCode": "NOT_FOUND", "errText": "invoice not found"})),
        ),
    }
}

async fn cancel(
    State(s): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) {
        return forbidden();
    }
    let mut f = s.lock().unwrap();
    f.cancels.push(body.clone());
    let Some(i) = f
        .invoices
        .iter_mut()
        .find(|i| i["invoiceId"] == body["invoiceId"])
    else {
        return (StatusCode::NOT_FOUND, Json(json!({"errCode": "NOT_FOUND"})));
    };
    i["status"] = json!("reversed");
    (StatusCode::OK, Json(json!({"status": "success"})))
}

async fn pubkey(State(s): State<Shared>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) {
        return forbidden();
    }
    let mut f = s.lock().unwrap();
    f.pubkey_fetches += 1;
    let pem = f
        .key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    (StatusCode::OK, Json(json!({"key": B64.encode(pem)})))
}

async fn fake_monobank() -> (String, Shared) {
    let state = Arc::new(Mutex::new(Fake {
        key: SigningKey::from_slice(&[42u8; 32]).unwrap(),
        invoices: Vec::new(),
        created: Vec::new(),
        cancels: Vec::new(),
        pubkey_fetches: 0,
    }));
    let app = axum::Router::new()
        .route("/api/merchant/invoice/create", post(create))
        .route("/api/merchant/invoice/status", get(status))
        .route("/api/merchant/invoice/cancel", post(cancel))
        .route("/api/merchant/pubkey", get(pubkey))
        .with_state(state.clone());
    (serve(app).await, state)
}

/// Marks invoice `id` paid and returns the webhook the bank would send: body and X-Sign.
fn pay(fake: &Shared, id: &str) -> (Vec<u8>, String) {
    let mut f = fake.lock().unwrap();
    let invoice = f
        .invoices
        .iter_mut()
        .find(|i| i["invoiceId"] == id)
        .unwrap();
    invoice["status"] = json!("success");
    invoice["finalAmount"] = invoice["amount"].clone();
    let body = serde_json::to_vec_pretty(invoice).unwrap();
    let sig: Signature = f.key.sign(&body);
    (body, B64.encode(sig.to_der().as_bytes()))
}

fn provider(base: &str, token: &str) -> Monobank {
    Monobank::new(MonoConfig {
        token: token.into(),
        base_url: base.into(),
        pubkey: None,
    })
    .unwrap()
}

#[tokio::test]
async fn invoice_webhook_status_and_cancel() {
    let (base, fake) = fake_monobank().await;
    let p = provider(&base, TOKEN);
    assert!(!p.has_key());

    // A webhook before the key is known: the bank must retry, not be told it forged it.
    let (early_body, early_sign) = {
        let f = fake.lock().unwrap();
        let body =
            br#"{"invoiceId":"inv-0","status":"success","amount":1,"ccy":980,"reference":"1"}"#;
        let sig: Signature = f.key.sign(body);
        (body.to_vec(), B64.encode(sig.to_der().as_bytes()))
    };
    let early = p.verify_callback(&headers_with_sign(&early_sign), &early_body);
    assert!(matches!(early, Err(PayError::Unreachable(_))), "{early:?}");

    let c = crate::checkout(501, 25000);
    let start = p.start(&c).await.unwrap();
    assert_eq!(start, Start::Redirect("https://pay.example/inv-1".into()));
    assert_eq!(p.invoice_of(501).as_deref(), Some("inv-1"));
    assert!(p.has_key(), "start fetched the webhook key");
    {
        let f = fake.lock().unwrap();
        let sent = &f.created[0];
        assert_eq!(sent["amount"], 25000);
        assert_eq!(sent["ccy"], 980);
        assert_eq!(sent["merchantPaymInfo"]["reference"], "501");
        assert_eq!(sent["merchantPaymInfo"]["destination"], c.description);
        assert_eq!(sent["redirectUrl"], c.result_url);
        assert_eq!(sent["webHookUrl"], c.callback_url);
        let validity = sent["validity"].as_i64().unwrap();
        assert!((800..=900).contains(&validity), "{validity}");
        assert!(f.pubkey_fetches >= 1);
    }

    let (body, x_sign) = pay(&fake, "inv-1");
    let paid = p
        .verify_callback(&headers_with_sign(&x_sign), &body)
        .unwrap();
    assert_eq!(paid.number, 501);
    assert_eq!(paid.reference, "inv-1");
    assert_eq!((paid.amount_minor, paid.currency.as_str()), (25000, "UAH"));
    assert_eq!(paid.status, PayStatus::Paid);
    let tampered = p.verify_callback(&headers_with_sign(&x_sign), &flip(&body, 5));
    assert!(matches!(tampered, Err(PayError::BadSignature)));

    // Status by the remembered invoice id and by an explicit reference.
    let by_number = p.status(501, None).await.unwrap().unwrap();
    assert_eq!(
        (by_number.status, by_number.reference.as_str()),
        (PayStatus::Paid, "inv-1")
    );
    let by_ref = p.status(501, Some("inv-1")).await.unwrap().unwrap();
    assert_eq!(by_ref.amount_minor, 25000);
    assert!(p.status(999, None).await.unwrap().is_none());
    assert!(p.status(999, Some("inv-404")).await.unwrap().is_none());
    // An invoice of another order is not taken for this one.
    assert!(matches!(
        p.status(502, Some("inv-1")).await,
        Err(PayError::Refused(_))
    ));

    p.refund(&paid).await.unwrap();
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.cancels[0]["invoiceId"], "inv-1");
        assert_eq!(f.cancels[0]["amount"], 25000);
        assert!(f.cancels[0]["extRef"].as_str().unwrap().contains("501"));
    }
    assert_eq!(
        p.status(501, None).await.unwrap().unwrap().status,
        PayStatus::Refunded
    );
}

#[tokio::test]
async fn wrong_token_is_refused_and_prepare_fetches_the_key() {
    let (base, fake) = fake_monobank().await;
    let wrong = provider(&base, "not-the-token");
    assert!(matches!(
        wrong.start(&crate::checkout(1, 100)).await,
        Err(PayError::Refused(_))
    ));
    assert!(matches!(wrong.prepare().await, Err(PayError::Refused(_))));

    let p = provider(&base, TOKEN);
    p.prepare().await.unwrap();
    assert!(p.has_key());
    p.prepare().await.unwrap();
    assert_eq!(fake.lock().unwrap().pubkey_fetches, 1, "the key is cached");

    let mut usd = crate::checkout(2, 100);
    usd.currency = "XYZ".into();
    assert!(matches!(p.start(&usd).await, Err(PayError::Refused(_))));

    let down = provider(&crate::closed_port_url(), TOKEN);
    assert!(matches!(
        down.prepare().await,
        Err(PayError::Unreachable(_))
    ));
}
