//! The "test" provider, for the demo and tests: the visitor "pays" on a page of our own site,
//! which posts a callback signed with a shared secret (hex HMAC-SHA256 of the body in
//! `X-Test-Signature`). No money moves; states live in memory.

use std::collections::HashMap;
use std::fmt;

use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde::Deserialize;
use sha2::Sha256;

use crate::{Checkout, Confirmed, PayError, PayStatus, Provider, Start};

pub const NAME: &str = "test";
pub const SIGNATURE_HEADER: &str = "x-test-signature";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length; this never fails.
    <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!())
}

/// Hex HMAC-SHA256(secret, body): the `X-Test-Signature` of a valid callback.
pub fn sign_test_callback(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    hex::encode(m.finalize().into_bytes())
}

/// The callback's JSON body.
#[derive(Debug, Deserialize)]
struct Callback {
    number: u64,
    amount_minor: i64,
    currency: String,
    status: String,
    #[serde(default)]
    reference: String,
}

pub struct TestPay {
    secret: String,
    page_base: String,
    payments: Mutex<HashMap<u64, Confirmed>>,
}

impl fmt::Debug for TestPay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPay")
            .field("secret", &"<redacted>")
            .field("page_base", &self.page_base)
            .finish()
    }
}

impl TestPay {
    pub fn new(secret: String, page_base: String) -> Self {
        Self {
            secret,
            page_base: page_base.trim_end_matches('/').to_owned(),
            payments: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait::async_trait]
impl Provider for TestPay {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start(&self, c: &Checkout) -> Result<Start, PayError> {
        self.payments.lock().insert(
            c.number,
            Confirmed {
                number: c.number,
                reference: format!("test-{}", c.number),
                amount_minor: c.amount_minor,
                currency: c.currency.clone(),
                status: PayStatus::Pending,
            },
        );
        Ok(Start::Redirect(format!("{}/{}", self.page_base, c.number)))
    }

    fn verify_callback(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Confirmed, PayError> {
        let given = headers
            .get(SIGNATURE_HEADER)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| hex::decode(h.trim()).ok())
            .ok_or(PayError::BadSignature)?;
        let mut m = mac(&self.secret);
        m.update(body);
        m.verify_slice(&given).map_err(|_| PayError::BadSignature)?;
        let cb: Callback =
            serde_json::from_slice(body).map_err(|e| PayError::Malformed(format!("test: {e}")))?;
        let status = match cb.status.as_str() {
            "paid" => PayStatus::Paid,
            "failed" => PayStatus::Failed,
            other => return Err(PayError::Malformed(format!("test: status {other:?}"))),
        };
        let confirmed = Confirmed {
            number: cb.number,
            reference: if cb.reference.is_empty() {
                format!("test-{}", cb.number)
            } else {
                cb.reference
            },
            amount_minor: cb.amount_minor,
            currency: cb.currency,
            status,
        };
        self.payments.lock().insert(cb.number, confirmed.clone());
        Ok(confirmed)
    }

    async fn status(
        &self,
        number: u64,
        _reference: Option<&str>,
    ) -> Result<Option<Confirmed>, PayError> {
        Ok(self.payments.lock().get(&number).cloned())
    }

    async fn refund(&self, paid: &Confirmed) -> Result<(), PayError> {
        let mut payments = self.payments.lock();
        let entry = payments.entry(paid.number).or_insert_with(|| paid.clone());
        entry.status = PayStatus::Refunded;
        Ok(())
    }
}
