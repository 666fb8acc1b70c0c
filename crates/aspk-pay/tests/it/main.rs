//! aspk-pay's tests, in one binary: signatures against the providers' documented samples,
//! callbacks (valid, tampered, forged), amount conversion, and the server-to-server calls
//! against small fake acquirers on loopback ports.
#![allow(clippy::unwrap_used)]

mod box_office;
mod config;
mod fake;
mod liqpay;
mod monobank;
mod test_pay;

use chrono::{Duration, Utc};

/// A checkout for order `number` of `amount_minor` kopiyky.
pub fn checkout(number: u64, amount_minor: i64) -> aspk_pay::Checkout {
    aspk_pay::Checkout {
        number,
        amount_minor,
        currency: "UAH".into(),
        description: format!("Квитки, замовлення {number}"),
        result_url: format!("http://127.0.0.1:9/orders/{number}"),
        callback_url: "http://127.0.0.1:9/api/v1/payments/x/callback".into(),
        lang: "uk".into(),
        expires_at: Utc::now() + Duration::minutes(15),
    }
}

/// A loopback URL nothing listens on (a port bound and released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}
