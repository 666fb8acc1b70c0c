//! The test provider: signed callbacks round-trip, forged ones do not.

use aspk_pay::test_pay::TestPay;
use aspk_pay::{sign_test_callback, PayError, PayStatus, Provider, Start};

const SECRET: &str = "demo-secret";

fn provider() -> TestPay {
    TestPay::new(SECRET.into(), "http://127.0.0.1:8080/pay/test/".into())
}

fn signed(secret: &str, body: &[u8]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert(
        "X-Test-Signature",
        sign_test_callback(secret, body).parse().unwrap(),
    );
    h
}

#[test]
fn signature_is_hex_hmac_sha256() {
    // RFC 4231 test case 2.
    assert_eq!(
        sign_test_callback("Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[tokio::test]
async fn sign_verify_round_trip_and_state() {
    let p = provider();
    let start = p.start(&crate::checkout(31, 15000)).await.unwrap();
    assert_eq!(
        start,
        Start::Redirect("http://127.0.0.1:8080/pay/test/31".into())
    );
    assert_eq!(
        p.status(31, None).await.unwrap().unwrap().status,
        PayStatus::Pending
    );
    assert!(p.status(32, None).await.unwrap().is_none());

    let body =
        br#"{"number":31,"amount_minor":15000,"currency":"UAH","status":"paid","reference":"t-1"}"#;
    let c = p.verify_callback(&signed(SECRET, body), body).unwrap();
    assert_eq!(
        (c.number, c.amount_minor, c.currency.as_str()),
        (31, 15000, "UAH")
    );
    assert_eq!(
        (c.reference.as_str(), c.status.clone()),
        ("t-1", PayStatus::Paid)
    );
    assert_eq!(
        p.status(31, None).await.unwrap().unwrap().status,
        PayStatus::Paid
    );

    p.refund(&c).await.unwrap();
    assert_eq!(
        p.status(31, None).await.unwrap().unwrap().status,
        PayStatus::Refunded
    );

    let failed =
        br#"{"number":33,"amount_minor":100,"currency":"UAH","status":"failed","reference":""}"#;
    let c = p.verify_callback(&signed(SECRET, failed), failed).unwrap();
    assert_eq!(
        (c.status, c.reference.as_str()),
        (PayStatus::Failed, "test-33")
    );
}

#[test]
fn forged_or_malformed_callbacks_fail() {
    let p = provider();
    let body =
        br#"{"number":31,"amount_minor":15000,"currency":"UAH","status":"paid","reference":"t-1"}"#;
    let cheaper =
        br#"{"number":31,"amount_minor":1,"currency":"UAH","status":"paid","reference":"t-1"}"#;
    // Signed with another secret; a valid signature over another body; none at all.
    for (headers, body) in [
        (signed("guess", body), &body[..]),
        (signed(SECRET, body), &cheaper[..]),
        (http::HeaderMap::new(), &body[..]),
    ] {
        assert!(matches!(
            p.verify_callback(&headers, body),
            Err(PayError::BadSignature)
        ));
    }
    let mut not_hex = http::HeaderMap::new();
    not_hex.insert("X-Test-Signature", "zz".parse().unwrap());
    assert!(matches!(
        p.verify_callback(&not_hex, body),
        Err(PayError::BadSignature)
    ));

    let odd = br#"{"number":31,"amount_minor":1,"currency":"UAH","status":"maybe"}"#;
    assert!(matches!(
        p.verify_callback(&signed(SECRET, odd), odd),
        Err(PayError::Malformed(_))
    ));
    let junk = b"not json";
    assert!(matches!(
        p.verify_callback(&signed(SECRET, junk), junk),
        Err(PayError::Malformed(_))
    ));
}
