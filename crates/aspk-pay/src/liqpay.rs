//! LiqPay API 3: checkout form, callback, status and refund.
//!
//! Every message is `data` = base64(JSON) with `signature` = base64(sha1(private_key + data +
//! private_key)); the checkout is a form POSTed by the visitor's browser, the callback a form
//! POSTed to `server_url`.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use sha1::{Digest as _, Sha1};
use subtle::ConstantTimeEq as _;

use crate::config::LiqPayConfig;
use crate::http_client;
use crate::money::{json_to_minor, minor_to_json};
use crate::{Checkout, Confirmed, PayError, PayStatus, Provider, Start};

pub const NAME: &str = "liqpay";

/// `base64(sha1(private_key + data + private_key))`.
pub fn sign(private_key: &str, data: &str) -> String {
    B64.encode(digest(private_key, data))
}

fn digest(private_key: &str, data: &str) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(private_key.as_bytes());
    h.update(data.as_bytes());
    h.update(private_key.as_bytes());
    h.finalize().into()
}

/// Whether `signature` signs `data`, compared in constant time.
pub fn verify(private_key: &str, data: &str, signature: &str) -> bool {
    let Ok(given) = B64.decode(signature.trim()) else {
        return false;
    };
    let expected = digest(private_key, data);
    given.len() == expected.len() && bool::from(given.ct_eq(&expected))
}

/// `data` for a parameter object: base64 of its compact JSON.
pub fn encode_data(params: &Value) -> String {
    B64.encode(params.to_string())
}

pub struct LiqPay {
    cfg: LiqPayConfig,
    base: String,
    http: reqwest::Client,
}

impl fmt::Debug for LiqPay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiqPay").field("cfg", &self.cfg).finish()
    }
}

impl LiqPay {
    pub fn new(cfg: LiqPayConfig) -> anyhow::Result<Self> {
        Ok(Self {
            base: http_client::trim_base(&cfg.base_url),
            cfg,
            http: http_client::client()?,
        })
    }

    /// The checkout parameters for `c` (before encoding).
    pub fn checkout_params(&self, c: &Checkout) -> Value {
        let mut p = json!({
            "version": 3,
            "public_key": self.cfg.public_key,
            "action": "pay",
            "amount": minor_to_json(c.amount_minor),
            "currency": c.currency,
            "description": c.description,
            "order_id": c.number.to_string(),
            "result_url": c.result_url,
            "server_url": c.callback_url,
            "language": if c.lang == "en" { "en" } else { "uk" },
        });
        if self.cfg.sandbox {
            p["sandbox"] = json!(1);
        }
        p
    }

    /// `data` and `signature` of `params`, as form fields.
    fn signed(&self, params: &Value) -> Vec<(String, String)> {
        let data = encode_data(params);
        let signature = sign(&self.cfg.private_key, &data);
        vec![("data".into(), data), ("signature".into(), signature)]
    }

    /// A server-to-server request to `/api/request`; returns its JSON answer.
    async fn request(&self, params: Value) -> Result<Value, PayError> {
        let resp = self
            .http
            .post(format!("{}/api/request", self.base))
            .form(&self.signed(&params))
            .send()
            .await
            .map_err(http_client::unreachable)?;
        let (code, text) = http_client::body(resp).await?;
        serde_json::from_str(&text).map_err(|_| {
            PayError::Refused(format!(
                "HTTP {code}, not JSON: {}",
                http_client::excerpt(&text)
            ))
        })
    }

    /// A payment object (callback `data` or status answer) to [`Confirmed`].
    pub fn parse_payment(&self, v: &Value) -> Result<Confirmed, PayError> {
        let malformed = |what: &str| PayError::Malformed(format!("LiqPay: {what}"));
        if let Some(key) = v.get("public_key").and_then(Value::as_str) {
            if key != self.cfg.public_key {
                return Err(malformed("another merchant's public_key"));
            }
        }
        let number = match v.get("order_id") {
            Some(Value::String(s)) => s.parse::<u64>().ok(),
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        }
        .ok_or_else(|| malformed("no numeric order_id"))?;
        let amount_minor = json_to_minor(v.get("amount").unwrap_or(&Value::Null))
            .map_err(|e| malformed(&format!("amount: {e}")))?;
        let currency = v
            .get("currency")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("no currency"))?
            .to_owned();
        let status = v
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("no status"))?;
        let reference = ["payment_id", "transaction_id"]
            .iter()
            .find_map(|k| match v.get(*k) {
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        Ok(Confirmed {
            number,
            reference,
            amount_minor,
            currency,
            status: map_status(status, self.cfg.sandbox),
        })
    }
}

/// LiqPay's payment statuses to ours. `sandbox` (a test payment) counts as paid only when
/// the merchant runs in sandbox mode: no real money moved.
pub fn map_status(status: &str, sandbox_mode: bool) -> PayStatus {
    match status {
        "success" => PayStatus::Paid,
        "sandbox" if sandbox_mode => PayStatus::Paid,
        "sandbox" | "failure" | "error" => PayStatus::Failed,
        "reversed" => PayStatus::Refunded,
        // processing, prepared, wait_*, *_verify, hold_wait, invoice_wait, try_again (the
        // visitor may retry on LiqPay's page) and anything new: not decided yet.
        _ => PayStatus::Pending,
    }
}

/// The `data` and `signature` fields of a form-encoded body.
pub fn form_fields(body: &[u8]) -> Result<(String, String), PayError> {
    let mut data = None;
    let mut signature = None;
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "data" => data = Some(v.into_owned()),
            "signature" => signature = Some(v.into_owned()),
            _ => {}
        }
    }
    match (data, signature) {
        (Some(d), Some(s)) => Ok((d, s)),
        _ => Err(PayError::Malformed(
            "LiqPay: form without data and signature".into(),
        )),
    }
}

#[async_trait::async_trait]
impl Provider for LiqPay {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start(&self, checkout: &Checkout) -> Result<Start, PayError> {
        Ok(Start::PostForm {
            action: format!("{}/api/3/checkout", self.base),
            fields: self.signed(&self.checkout_params(checkout)),
        })
    }

    fn verify_callback(
        &self,
        _headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Confirmed, PayError> {
        let (data, signature) = form_fields(body)?;
        if !verify(&self.cfg.private_key, &data, &signature) {
            return Err(PayError::BadSignature);
        }
        let json = B64
            .decode(data.trim())
            .map_err(|_| PayError::Malformed("LiqPay: data is not base64".into()))?;
        let v: Value = serde_json::from_slice(&json)
            .map_err(|_| PayError::Malformed("LiqPay: data is not JSON".into()))?;
        self.parse_payment(&v)
    }

    async fn status(
        &self,
        number: u64,
        _reference: Option<&str>,
    ) -> Result<Option<Confirmed>, PayError> {
        let v = self
            .request(json!({
                "action": "status",
                "version": 3,
                "public_key": self.cfg.public_key,
                "order_id": number.to_string(),
            }))
            .await?;
        if v.get("result").and_then(Value::as_str) == Some("error")
            || v.get("status").and_then(Value::as_str) == Some("error")
        {
            let code = v.get("err_code").and_then(Value::as_str).unwrap_or("");
            if code == "payment_not_found" || code == "order_not_found" {
                return Ok(None);
            }
            // A payment that failed still has an order id and amount: report it as Failed.
            if v.get("order_id").is_none() {
                return Err(PayError::Refused(error_text(&v)));
            }
        }
        self.parse_payment(&v).map(Some).map_err(|e| match e {
            PayError::Malformed(m) => PayError::Refused(m),
            other => other,
        })
    }

    async fn refund(&self, paid: &Confirmed) -> Result<(), PayError> {
        let v = self
            .request(json!({
                "action": "refund",
                "version": 3,
                "public_key": self.cfg.public_key,
                "order_id": paid.number.to_string(),
                "amount": minor_to_json(paid.amount_minor),
            }))
            .await?;
        match v.get("result").and_then(Value::as_str) {
            Some("ok") => Ok(()),
            _ => Err(PayError::Refused(error_text(&v))),
        }
    }
}

fn error_text(v: &Value) -> String {
    let get = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    format!("LiqPay: {} {}", get("err_code"), get("err_description"))
        .trim()
        .to_owned()
}
