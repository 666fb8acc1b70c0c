//! monobank acquiring: invoices, ECDSA-signed webhooks, status and cancellation (refund).
//!
//! Webhooks carry `X-Sign`: base64 of a DER ECDSA P-256/SHA-256 signature over the raw body,
//! made with a key whose public half the bank serves at `/api/merchant/pubkey` (base64 of a
//! PEM). The key is fetched lazily (in [`Provider::prepare`] and [`Provider::start`]) and
//! cached; a webhook that arrives before it is known fails with [`PayError::Unreachable`] so
//! the bank retries. A key given in the config is used as is and never fetched.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey as _;
use parking_lot::{Mutex, RwLock};
use serde_json::{json, Value};

use crate::config::MonoConfig;
use crate::http_client;
use crate::money::{iso_letters, iso_numeric};
use crate::{Checkout, Confirmed, PayError, PayStatus, Provider, Start};

pub const NAME: &str = "monobank";

/// How often a failing signature may make us ask the bank for a new key.
const REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// The bank's public key as the bank gives it: base64 of a PEM (a bare PEM is accepted too).
pub fn parse_pubkey(text: &str) -> Result<VerifyingKey, String> {
    let text = text.trim();
    let pem = if text.starts_with("-----BEGIN") {
        text.to_owned()
    } else {
        let bytes = B64
            .decode(text)
            .map_err(|e| format!("public key is not base64: {e}"))?;
        String::from_utf8(bytes).map_err(|_| "public key is not a PEM".to_owned())?
    };
    VerifyingKey::from_public_key_pem(pem.trim())
        .map_err(|e| format!("public key is not a P-256 key: {e}"))
}

/// Whether `x_sign` (base64 DER) signs `body` under `key`.
pub fn verify_signature(key: &VerifyingKey, body: &[u8], x_sign: &str) -> bool {
    let Ok(der) = B64.decode(x_sign.trim()) else {
        return false;
    };
    let Ok(sig) = Signature::from_der(&der) else {
        return false;
    };
    // (r, s) and (r, n - s) are the same signature; signers that do not normalise s (Node's
    // crypto, for one) produce either.
    let sig = sig.normalize_s().unwrap_or(sig);
    key.verify(body, &sig).is_ok()
}

/// monobank's invoice statuses to ours.
pub fn map_status(status: &str) -> PayStatus {
    match status {
        "success" => PayStatus::Paid,
        "failure" | "expired" => PayStatus::Failed,
        "reversed" => PayStatus::Refunded,
        // created, processing, hold and anything new: not decided yet.
        _ => PayStatus::Pending,
    }
}

/// An invoice (webhook body or status answer) to [`Confirmed`]; `number` is the order
/// number when the caller already knows it (a status query), else it comes from `reference`.
pub fn parse_invoice(v: &Value, number: Option<u64>) -> Result<Confirmed, PayError> {
    let malformed = |what: &str| PayError::Malformed(format!("monobank: {what}"));
    let reference = v
        .get("invoiceId")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no invoiceId"))?
        .to_owned();
    let from_reference = v
        .get("reference")
        .and_then(Value::as_str)
        .and_then(|r| r.parse::<u64>().ok());
    let number = from_reference
        .or(number)
        .ok_or_else(|| malformed("reference is not an aspk order number"))?;
    let amount_minor = v
        .get("amount")
        .and_then(Value::as_i64)
        .ok_or_else(|| malformed("no integer amount"))?;
    let ccy = v
        .get("ccy")
        .and_then(Value::as_u64)
        .ok_or_else(|| malformed("no ccy"))?;
    let currency = iso_letters(ccy)
        .map(str::to_owned)
        .unwrap_or_else(|| ccy.to_string());
    let status = v
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no status"))?;
    Ok(Confirmed {
        number,
        reference,
        amount_minor,
        currency,
        status: map_status(status),
    })
}

struct Key {
    key: VerifyingKey,
    /// Fetched from the bank (may be refreshed), not given in the config.
    fetched: bool,
}

/// What a key fetch needs, shareable with a background task.
#[derive(Clone)]
struct KeySource {
    http: reqwest::Client,
    base: String,
    token: String,
    key: Arc<RwLock<Option<Key>>>,
    last_fetch: Arc<Mutex<Option<Instant>>>,
}

impl KeySource {
    async fn fetch(&self) -> Result<(), PayError> {
        *self.last_fetch.lock() = Some(Instant::now());
        let resp = self
            .http
            .get(format!("{}/api/merchant/pubkey", self.base))
            .header("X-Token", &self.token)
            .send()
            .await
            .map_err(http_client::unreachable)?;
        let (code, text) = http_client::body(resp).await?;
        if !(200..300).contains(&code) {
            return Err(PayError::Refused(format!(
                "monobank pubkey: HTTP {code}: {}",
                http_client::excerpt(&text)
            )));
        }
        let v: Value = serde_json::from_str(&text)
            .map_err(|_| PayError::Refused("monobank pubkey: not JSON".into()))?;
        let key = v
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| PayError::Refused("monobank pubkey: no key".into()))
            .and_then(|k| parse_pubkey(k).map_err(PayError::Refused))?;
        *self.key.write() = Some(Key { key, fetched: true });
        Ok(())
    }

    /// Fetch in the background when there is a runtime and no fetch happened lately.
    fn refresh_soon(&self) {
        let recent = self
            .last_fetch
            .lock()
            .is_some_and(|t| t.elapsed() < REFRESH_INTERVAL);
        if recent {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        *self.last_fetch.lock() = Some(Instant::now());
        let me = self.clone();
        rt.spawn(async move {
            if let Err(e) = me.fetch().await {
                tracing::warn!(error = %e, "monobank: could not fetch the webhook public key");
            }
        });
    }
}

pub struct Monobank {
    base: String,
    http: reqwest::Client,
    token: String,
    keys: KeySource,
    /// Order number -> invoice id, for status queries that come without the reference.
    invoices: Mutex<HashMap<u64, String>>,
}

impl fmt::Debug for Monobank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monobank")
            .field("base", &self.base)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Monobank {
    pub fn new(cfg: MonoConfig) -> anyhow::Result<Self> {
        let key = match &cfg.pubkey {
            Some(text) => Some(Key {
                key: parse_pubkey(text)
                    .map_err(|e| anyhow::anyhow!("ASPK_MONOBANK_PUBKEY: {e}"))?,
                fetched: false,
            }),
            None => None,
        };
        let http = http_client::client()?;
        let base = http_client::trim_base(&cfg.base_url);
        Ok(Self {
            keys: KeySource {
                http: http.clone(),
                base: base.clone(),
                token: cfg.token.clone(),
                key: Arc::new(RwLock::new(key)),
                last_fetch: Arc::new(Mutex::new(None)),
            },
            base,
            http,
            token: cfg.token,
            invoices: Mutex::new(HashMap::new()),
        })
    }

    /// Fetches the bank's public key unless one is known already.
    pub async fn warm_up(&self) -> Result<(), PayError> {
        if self.keys.key.read().is_some() {
            return Ok(());
        }
        self.keys.fetch().await
    }

    /// Whether the webhook key is known.
    pub fn has_key(&self) -> bool {
        self.keys.key.read().is_some()
    }

    /// The invoice id `start` got for order `number`, if this process started it.
    pub fn invoice_of(&self, number: u64) -> Option<String> {
        self.invoices.lock().get(&number).cloned()
    }

    fn invoice_id(&self, number: u64, reference: Option<&str>) -> Option<String> {
        reference
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .or_else(|| self.invoice_of(number))
    }

    /// POST `path` with a JSON body; returns the status code and the JSON answer.
    async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), PayError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-Token", &self.token)
            .json(body)
            .send()
            .await
            .map_err(http_client::unreachable)?;
        let (code, text) = http_client::body(resp).await?;
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !(200..300).contains(&code) {
            return Err(PayError::Refused(error_text(code, &v, &text)));
        }
        Ok((code, v))
    }
}

fn error_text(code: u16, v: &Value, text: &str) -> String {
    let get = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    if get("errCode").is_empty() && get("errText").is_empty() {
        format!("monobank: HTTP {code}: {}", http_client::excerpt(text))
    } else {
        format!(
            "monobank: HTTP {code}: {} {}",
            get("errCode"),
            get("errText")
        )
    }
}

#[async_trait::async_trait]
impl Provider for Monobank {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start(&self, c: &Checkout) -> Result<Start, PayError> {
        let ccy = iso_numeric(&c.currency).ok_or_else(|| {
            PayError::Refused(format!("monobank: currency {} not supported", c.currency))
        })?;
        let validity = (c.expires_at - chrono::Utc::now()).num_seconds().max(60);
        let body = json!({
            "amount": c.amount_minor,
            "ccy": ccy,
            "merchantPaymInfo": {
                "reference": c.number.to_string(),
                "destination": c.description,
            },
            "redirectUrl": c.result_url,
            "webHookUrl": c.callback_url,
            "validity": validity,
        });
        let (_, v) = self.post("/api/merchant/invoice/create", &body).await?;
        let invoice_id = v.get("invoiceId").and_then(Value::as_str);
        let page_url = v.get("pageUrl").and_then(Value::as_str);
        let (Some(invoice_id), Some(page_url)) = (invoice_id, page_url) else {
            return Err(PayError::Refused(
                "monobank: invoice answer without invoiceId/pageUrl".into(),
            ));
        };
        self.invoices.lock().insert(c.number, invoice_id.to_owned());
        if let Err(e) = self.warm_up().await {
            tracing::warn!(error = %e, "monobank: could not fetch the webhook public key");
        }
        Ok(Start::Redirect(page_url.to_owned()))
    }

    fn verify_callback(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Confirmed, PayError> {
        let x_sign = headers
            .get("x-sign")
            .and_then(|h| h.to_str().ok())
            .ok_or(PayError::BadSignature)?;
        let (ok, fetched) = {
            let guard = self.keys.key.read();
            let Some(key) = guard.as_ref() else {
                drop(guard);
                self.keys.refresh_soon();
                return Err(PayError::Unreachable(
                    "monobank webhook public key not known yet".into(),
                ));
            };
            (verify_signature(&key.key, body, x_sign), key.fetched)
        };
        if !ok {
            // The bank may have rotated its key: its retry will meet the new one.
            if fetched {
                self.keys.refresh_soon();
            }
            return Err(PayError::BadSignature);
        }
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| PayError::Malformed("monobank: body is not JSON".into()))?;
        parse_invoice(&v, None)
    }

    async fn status(
        &self,
        number: u64,
        reference: Option<&str>,
    ) -> Result<Option<Confirmed>, PayError> {
        let Some(invoice_id) = self.invoice_id(number, reference) else {
            return Ok(None);
        };
        let resp = self
            .http
            .get(format!("{}/api/merchant/invoice/status", self.base))
            .query(&[("invoiceId", invoice_id.as_str())])
            .header("X-Token", &self.token)
            .send()
            .await
            .map_err(http_client::unreachable)?;
        let (code, text) = http_client::body(resp).await?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if code == 404 {
            return Ok(None);
        }
        if !(200..300).contains(&code) {
            return Err(PayError::Refused(error_text(code, &v, &text)));
        }
        let confirmed = parse_invoice(&v, Some(number)).map_err(|e| match e {
            PayError::Malformed(m) => PayError::Refused(m),
            other => other,
        })?;
        if confirmed.number != number {
            return Err(PayError::Refused(format!(
                "monobank: invoice {invoice_id} belongs to order {}, not {number}",
                confirmed.number
            )));
        }
        Ok(Some(confirmed))
    }

    async fn refund(&self, paid: &Confirmed) -> Result<(), PayError> {
        let invoice_id = self
            .invoice_id(paid.number, Some(&paid.reference))
            .ok_or_else(|| PayError::Refused("monobank: refund without invoiceId".into()))?;
        let body = json!({
            "invoiceId": invoice_id,
            "extRef": format!("aspk-refund-{}", paid.number),
            "amount": paid.amount_minor,
        });
        let (_, v) = self.post("/api/merchant/invoice/cancel", &body).await?;
        match v.get("status").and_then(Value::as_str) {
            Some("failure") => Err(PayError::Refused(format!(
                "monobank: cancellation of {invoice_id} failed"
            ))),
            _ => Ok(()),
        }
    }

    async fn prepare(&self) -> Result<(), PayError> {
        self.warm_up().await
    }
}
