//! Config from the environment, secret redaction, and which providers it enables.

use std::collections::HashMap;

use aspk_pay::config::{config_from, LIQPAY_DEFAULT_URL, MONOBANK_DEFAULT_URL};
use aspk_pay::providers;

fn from(pairs: &[(&str, &str)], default: &str) -> anyhow::Result<aspk_pay::PayConfig> {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    config_from(default, "http://127.0.0.1:8080/pay/test", |k| {
        env.get(k).cloned()
    })
}

#[test]
fn nothing_set_leaves_box_office_only() {
    let cfg = from(
        &[
            ("ASPK_LIQPAY_URL", "http://x"),
            ("ASPK_PAY_TEST_SECRET", ""),
        ],
        "box_office",
    )
    .unwrap();
    assert!(cfg.liqpay.is_none() && cfg.monobank.is_none() && cfg.test_secret.is_none());
    let names: Vec<_> = providers(&cfg).unwrap().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["box_office"]);
    let err = providers(&from(&[], "liqpay").unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("liqpay"), "{err}");
}

#[test]
fn all_set_enables_all_with_defaults_and_redacts_secrets() {
    let cfg = from(
        &[
            ("ASPK_LIQPAY_PUBLIC_KEY", "i123"),
            ("ASPK_LIQPAY_PRIVATE_KEY", "liqpay-private-SECRET"),
            ("ASPK_MONOBANK_TOKEN", "mono-token-SECRET"),
            ("ASPK_PAY_TEST_SECRET", "test-SECRET"),
            ("ASPK_LIQPAY_SANDBOX", "1"),
        ],
        "monobank",
    )
    .unwrap();
    let liqpay = cfg.liqpay.as_ref().unwrap();
    assert_eq!(liqpay.base_url, LIQPAY_DEFAULT_URL);
    assert!(liqpay.sandbox);
    let mono = cfg.monobank.as_ref().unwrap();
    assert_eq!(mono.base_url, MONOBANK_DEFAULT_URL);
    assert!(mono.pubkey.is_none());
    let shown = format!("{cfg:?} {cfg:#?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("i123"));

    let names: Vec<_> = providers(&cfg).unwrap().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["liqpay", "monobank", "test", "box_office"]);
}

#[test]
fn half_configured_liqpay_and_bad_pubkey_are_errors() {
    assert!(from(&[("ASPK_LIQPAY_PUBLIC_KEY", "i1")], "box_office").is_err());
    let cfg = from(
        &[
            ("ASPK_MONOBANK_TOKEN", "t"),
            ("ASPK_MONOBANK_PUBKEY", "bm90IGEga2V5"),
        ],
        "monobank",
    )
    .unwrap();
    assert!(providers(&cfg).is_err());
}
