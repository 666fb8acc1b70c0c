//! Payment providers behind one interface.
//!
//! An online order starts as a hold; the caller asks a [`Provider`] how the visitor's browser
//! starts paying ([`Provider::start`]), and learns the outcome from the provider's
//! server-to-server callback ([`Provider::verify_callback`]) or, when that never comes, from a
//! status query ([`Provider::status`]). Every provider returns exact amounts in minor units;
//! none of them knows about holds, slots or tickets (the caller cross-checks those).
//!
//! Providers: [`liqpay::LiqPay`], [`monobank::Monobank`], [`test_pay::TestPay`] (demo and
//! tests) and [`box_office::BoxOffice`] (pay at the till).

pub mod box_office;
pub mod config;
mod http_client;
pub mod liqpay;
pub mod money;
pub mod monobank;
pub mod test_pay;

use std::sync::Arc;

pub use config::{config_from_env, LiqPayConfig, MonoConfig, PayConfig};
pub use test_pay::sign_test_callback;

/// What the caller wants paid.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// aspk order number (also the provider's order id / reference).
    pub number: u64,
    /// Amount in minor units (kopiyky).
    pub amount_minor: i64,
    /// ISO 4217 letter code, e.g. "UAH".
    pub currency: String,
    /// e.g. "Квитки, замовлення 1234".
    pub description: String,
    /// Where the visitor's browser returns.
    pub result_url: String,
    /// Server-to-server callback: `{base}/api/v1/payments/{name}/callback`.
    pub callback_url: String,
    /// "uk" | "en".
    pub lang: String,
    /// When the hold behind this order lapses.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// How the visitor's browser starts paying.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// GET this URL.
    Redirect(String),
    /// An auto-submitted form.
    PostForm {
        action: String,
        fields: Vec<(String, String)>,
    },
}

/// A payment's state as the provider reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum PayStatus {
    Paid,
    Pending,
    Failed,
    Refunded,
}

/// A payment's state, proven to come from the provider.
#[derive(Debug, Clone)]
pub struct Confirmed {
    /// aspk order number.
    pub number: u64,
    /// The provider's payment/invoice id.
    pub reference: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: PayStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// The callback is not from the provider: answer 401/403.
    #[error("bad signature")]
    BadSignature,
    /// The callback cannot be understood: answer 400/422.
    #[error("malformed callback: {0}")]
    Malformed(String),
    /// The provider cannot be reached (or its key is not known yet): answer 503, retry later.
    #[error("provider unreachable: {0}")]
    Unreachable(String),
    /// The provider answered and said no.
    #[error("provider refused: {0}")]
    Refused(String),
}

#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// "liqpay" | "monobank" | "test" | "box_office".
    fn name(&self) -> &'static str;
    async fn start(&self, checkout: &Checkout) -> Result<Start, PayError>;
    fn verify_callback(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Confirmed, PayError>;
    /// Status query for an order whose callback never came (None: provider knows nothing).
    async fn status(
        &self,
        number: u64,
        reference: Option<&str>,
    ) -> Result<Option<Confirmed>, PayError>;
    /// Give the money back (a late payment into a sold-out slot, or a visitor's cancellation).
    async fn refund(&self, paid: &Confirmed) -> Result<(), PayError>;
    /// Fetch whatever [`Provider::verify_callback`] needs from the provider (monobank's public
    /// key). Call it at start-up; errors are worth a warning, not a refusal to start.
    async fn prepare(&self) -> Result<(), PayError> {
        Ok(())
    }
}

/// The providers `config` enables, `box_office` always among them. Fails when
/// `config.default` names one that is not enabled.
pub fn providers(config: &PayConfig) -> anyhow::Result<Vec<Arc<dyn Provider>>> {
    let mut list: Vec<Arc<dyn Provider>> = Vec::new();
    if let Some(c) = &config.liqpay {
        list.push(Arc::new(liqpay::LiqPay::new(c.clone())?));
    }
    if let Some(c) = &config.monobank {
        list.push(Arc::new(monobank::Monobank::new(c.clone())?));
    }
    if let Some(secret) = &config.test_secret {
        list.push(Arc::new(test_pay::TestPay::new(
            secret.clone(),
            config.test_page_base.clone(),
        )));
    }
    list.push(Arc::new(box_office::BoxOffice));
    if !list.iter().any(|p| p.name() == config.default) {
        let enabled: Vec<&str> = list.iter().map(|p| p.name()).collect();
        anyhow::bail!(
            "default payment provider {:?} is not configured (enabled: {})",
            config.default,
            enabled.join(", ")
        );
    }
    Ok(list)
}
