//! "Pay at the box office": the cashier finds a visitor's online reservation by its number
//! and takes the payment (cash or card) in their shift; the receipt follows as for a sale.

use askama::Template;
use aspk_app::HeldOrder;
use aspk_domain::PaymentMethod;
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path, Query};
use axum::response::Response;
use serde::Deserialize;

use crate::pages::frame::redirect;
use crate::pages::Page;

#[derive(Deserialize)]
pub struct FindQuery {
    #[serde(default)]
    number: String,
}

#[derive(Deserialize)]
pub struct PayForm {
    csrf: String,
    payment: String,
}

#[derive(Template)]
#[template(path = "box_office_reservation.html")]
struct ReservationView<'a> {
    page: &'a Page,
    title: String,
    /// What the cashier typed.
    typed: String,
    found: Option<Found>,
    /// Why nothing can be paid (not found, expired, paid already, or a refusal).
    error: Option<String>,
}

struct Found {
    serial: u64,
    number: String,
    who: String,
    total: String,
    until: String,
    lines: Vec<String>,
    /// Still waiting for its payment: the pay buttons are shown.
    payable: bool,
}

/// `GET /box-office/reservation?number=`: the reservation with that number, if any.
pub async fn find(page: Page, Query(q): Query<FindQuery>) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    show(&page, &q.number, None)
}

fn show(page: &Page, typed: &str, error: Option<String>) -> Response {
    let held = HumanNumber::parse(typed.trim())
        .ok()
        .and_then(|n| page.state.node.held_order(n.serial()))
        .filter(|h| h.provider == "box_office");
    let not_found = !typed.trim().is_empty() && held.is_none();
    let found = held.as_ref().map(|h| found(page, h));
    let error = error.or_else(|| {
        if not_found {
            return Some(page.t("box-reservation-not-found"));
        }
        found
            .as_ref()
            .filter(|f| !f.payable)
            .map(|_| page.t("box-reservation-not-payable"))
    });
    page.render(&ReservationView {
        page,
        title: page.t("box-reservation-title"),
        typed: typed.trim().to_owned(),
        found,
        error,
    })
}

fn found(page: &Page, held: &HeldOrder) -> Found {
    let lang = page.lang.code();
    let venue = page.state.node.venue(held.venue.as_str());
    let lines = held
        .seats
        .iter()
        .map(|seat| {
            let name = page
                .state
                .node
                .product(held.venue.as_str(), seat.product.as_str())
                .map(|p| p.name.get(lang).to_owned())
                .unwrap_or_else(|| seat.product.to_string());
            let when = seat
                .slot
                .as_deref()
                .and_then(|id| page.state.node.slot(id))
                .map(|s| page.time(s.slot.starts_at, venue.as_ref()))
                .unwrap_or_default();
            format!(
                "{} · {name} {when} · {}",
                HumanNumber::from_serial(seat.serial),
                page.money(seat.price_minor, held.currency)
            )
        })
        .collect();
    Found {
        serial: held.number,
        number: HumanNumber::from_serial(held.number).to_string(),
        who: [
            held.name.clone(),
            held.email.as_ref().map(|e| e.as_str().to_owned()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", "),
        total: page.money(held.total_minor, held.currency),
        until: page.time(held.expires_at, venue.as_ref()),
        lines,
        payable: held.status == aspk_oplog::HoldStatus::Pending,
    }
}

/// `POST /box-office/reservation/{serial}/pay`: the cashier takes the money.
pub async fn pay(page: Page, Path(serial): Path<u64>, Form(f): Form<PayForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/box-office") {
        return *refused;
    }
    let method = match f.payment.as_str() {
        "card" => PaymentMethod::Card,
        _ => PaymentMethod::Cash,
    };
    let typed = HumanNumber::from_serial(serial).to_string();
    match page
        .state
        .node
        .pay_reservation(&page.who, serial, method)
        .await
    {
        Ok(placed) => redirect(&format!("/box-office/sale/{}", placed.order.number)),
        Err(e) => {
            let text = page.error_text(&e);
            show(&page, &typed, Some(text))
        }
    }
}
