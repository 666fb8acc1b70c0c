//! Provider settings, built by the caller from its CLI/environment. `Debug` redacts secrets.

use std::fmt;

pub const LIQPAY_DEFAULT_URL: &str = "https://www.liqpay.ua";
pub const MONOBANK_DEFAULT_URL: &str = "https://api.monobank.ua";

const REDACTED: &str = "<redacted>";

#[derive(Clone)]
pub struct LiqPayConfig {
    pub public_key: String,
    pub private_key: String,
    /// Default [`LIQPAY_DEFAULT_URL`].
    pub base_url: String,
    /// Ask LiqPay for test payments (`sandbox: 1`) and take their `sandbox` status as paid.
    pub sandbox: bool,
}

impl fmt::Debug for LiqPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiqPayConfig")
            .field("public_key", &self.public_key)
            .field("private_key", &REDACTED)
            .field("base_url", &self.base_url)
            .field("sandbox", &self.sandbox)
            .finish()
    }
}

#[derive(Clone)]
pub struct MonoConfig {
    pub token: String,
    /// Default [`MONOBANK_DEFAULT_URL`].
    pub base_url: String,
    /// The bank's webhook public key as the bank gives it (base64 of a PEM); fetched from
    /// the bank when `None`.
    pub pubkey: Option<String>,
}

impl fmt::Debug for MonoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonoConfig")
            .field("token", &REDACTED)
            .field("base_url", &self.base_url)
            .field("pubkey", &self.pubkey)
            .finish()
    }
}

#[derive(Clone)]
pub struct PayConfig {
    /// Which provider new online orders use.
    pub default: String,
    pub liqpay: Option<LiqPayConfig>,
    pub monobank: Option<MonoConfig>,
    /// Enables the "test" provider.
    pub test_secret: Option<String>,
    /// e.g. "http://127.0.0.1:8080/pay/test".
    pub test_page_base: String,
}

impl fmt::Debug for PayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayConfig")
            .field("default", &self.default)
            .field("liqpay", &self.liqpay)
            .field("monobank", &self.monobank)
            .field("test_secret", &self.test_secret.as_ref().map(|_| REDACTED))
            .field("test_page_base", &self.test_page_base)
            .finish()
    }
}

/// Reads `ASPK_LIQPAY_PUBLIC_KEY`, `ASPK_LIQPAY_PRIVATE_KEY`, `ASPK_LIQPAY_URL`,
/// `ASPK_LIQPAY_SANDBOX`, `ASPK_MONOBANK_TOKEN`, `ASPK_MONOBANK_URL`, `ASPK_MONOBANK_PUBKEY`,
/// `ASPK_PAY_TEST_SECRET`. Empty variables count as unset.
pub fn config_from_env(default: &str, test_page_base: &str) -> anyhow::Result<PayConfig> {
    config_from(default, test_page_base, |name| std::env::var(name).ok())
}

/// [`config_from_env`] over any lookup (tests pass a map).
pub fn config_from(
    default: &str,
    test_page_base: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<PayConfig> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let liqpay = match (
        get("ASPK_LIQPAY_PUBLIC_KEY"),
        get("ASPK_LIQPAY_PRIVATE_KEY"),
    ) {
        (Some(public_key), Some(private_key)) => Some(LiqPayConfig {
            public_key,
            private_key,
            base_url: get("ASPK_LIQPAY_URL").unwrap_or_else(|| LIQPAY_DEFAULT_URL.into()),
            sandbox: get("ASPK_LIQPAY_SANDBOX").is_some_and(|v| is_true(&v)),
        }),
        (None, None) => None,
        _ => anyhow::bail!("LiqPay needs both ASPK_LIQPAY_PUBLIC_KEY and ASPK_LIQPAY_PRIVATE_KEY"),
    };
    let monobank = get("ASPK_MONOBANK_TOKEN").map(|token| MonoConfig {
        token,
        base_url: get("ASPK_MONOBANK_URL").unwrap_or_else(|| MONOBANK_DEFAULT_URL.into()),
        pubkey: get("ASPK_MONOBANK_PUBKEY"),
    });
    Ok(PayConfig {
        default: default.to_owned(),
        liqpay,
        monobank,
        test_secret: get("ASPK_PAY_TEST_SECRET"),
        test_page_base: test_page_base.to_owned(),
    })
}

fn is_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}
