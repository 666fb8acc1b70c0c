//! The demo's test payment provider: `GET /pay/test/{number}` shows the amount with "Pay"
//! and "Decline"; `POST` answers the way a provider's callback would (the same code the
//! callback route runs) and sends the visitor back to the order's page.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::super::frame::redirect;
use super::visitor::Shell;
use super::Visitor;

#[derive(Deserialize)]
pub struct Answer {
    #[serde(default)]
    outcome: String,
}

#[derive(Template)]
#[template(path = "shop_test_pay.html")]
struct TestPayView<'a> {
    v: &'a Visitor,
    shell: Shell,
    serial: u64,
    amount: String,
    number: String,
}

/// A pending hold paid through the test provider.
fn pending(v: &Visitor, number: &str) -> Option<aspk_app::HeldOrder> {
    let serial: u64 = number.parse().ok()?;
    v.state
        .node
        .held_order(serial)
        .filter(|h| h.provider == "test")
}

pub async fn page(v: Visitor, Path(number): Path<String>) -> Response {
    let Some(held) = pending(&v, &number) else {
        return v.not_found();
    };
    let Some(venue) = v.state.node.venue(held.venue.as_str()) else {
        return v.not_found();
    };
    let human = aspk_ticket::HumanNumber::from_serial(held.number).to_string();
    let view = TestPayView {
        v: &v,
        shell: v.shell(&venue, v.t("shop-test-pay-title")),
        serial: held.number,
        amount: v.money(held.total_minor, held.currency),
        number: human,
    };
    v.render(&view)
}

pub async fn answer(v: Visitor, Path(number): Path<String>, Form(f): Form<Answer>) -> Response {
    let Some(held) = pending(&v, &number) else {
        return v.not_found();
    };
    let paid = f.outcome == "pay";
    if let Err(err) = crate::payments::test_callback(&v.state, held.number, paid).await {
        tracing::error!(
            number = held.number,
            ?err,
            "the test provider's callback failed"
        );
        return v.message(
            StatusCode::BAD_GATEWAY,
            None,
            v.t("shop-test-pay-title"),
            v.t("shop-payment-not-started"),
        );
    }
    let token = v.state.node.order_access_token(held.number);
    redirect(&format!(
        "/shop/{}/order/{}?k={token}",
        held.venue, held.number
    ))
}
