//! `GET /shop/{venue}/order/{number}?k=TOKEN`: an online order's page, opened by the link
//! with its access token. Waiting for the payment (refreshing itself, with a way to pay
//! again), paid (the tickets with their QR codes and PDFs), or over (expired, cancelled,
//! refused). The visitor may cancel while the venue's policy allows it.

use askama::Template;
use aspk_app::HeldOrder;
use aspk_domain::{OrderStatus, TicketStatus, Venue};
use aspk_oplog::HoldStatus;
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::super::frame::redirect;
use super::qr::QrImage;
use super::visitor::Shell;
use super::Visitor;

#[derive(Deserialize, Default)]
pub struct OrderQuery {
    #[serde(default)]
    k: String,
    /// The payment did not start (the provider was unreachable).
    failed: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    k: String,
}

/// Where the order stands, as its page shows it.
enum Stage {
    /// Waiting for the payment until `until` (HH:MM).
    Pending {
        until: String,
    },
    /// Reserved, to be paid at the museum's box office by `until` (day and time).
    AtTheTill {
        until: String,
    },
    Paid {
        tickets: Vec<TicketView>,
    },
    /// Its seats went back on sale: the time ran out or it was cancelled.
    Released,
    /// The payment came when the seats were gone: no tickets, the money goes back.
    Refused,
    /// Paid, then cancelled (by the visitor or the museum).
    Cancelled,
}

struct TicketView {
    number: String,
    product: String,
    when: String,
    status: String,
    is_valid: bool,
    pdf: String,
    qr: Option<QrImage>,
}

#[derive(Template)]
#[template(path = "shop_order.html")]
struct OrderView<'a> {
    v: &'a Visitor,
    shell: Shell,
    stage: Stage,
    total: String,
    email: String,
    /// The page's own address (with its token), for the pay-again and cancel forms.
    token: String,
    serial: u64,
    may_cancel: bool,
    /// "Online cancellation is possible until …" or why not.
    cancel_note: Option<String>,
    failed: bool,
}

/// A hold the link opens: the number in the path and its token must match.
fn opened(v: &Visitor, venue: &Venue, number: &str, token: &str) -> Option<HeldOrder> {
    let serial: u64 = number.parse().ok()?;
    if !v.state.node.check_order_access(serial, token) {
        return None;
    }
    v.state
        .node
        .held_order(serial)
        .filter(|h| h.venue == venue.id)
}

pub async fn page(
    v: Visitor,
    Path((venue, number)): Path<(String, String)>,
    Query(q): Query<OrderQuery>,
) -> Response {
    let venue = match v.venue(&venue) {
        Ok(venue) => venue,
        Err(refused) => return *refused,
    };
    let Some(held) = opened(&v, &venue, &number, &q.k) else {
        return v.not_found();
    };
    let now = v.state.node.now();
    let human = HumanNumber::from_serial(held.number).to_string();
    let mut first_start: Option<DateTime<Utc>> = None;
    let stage = match held.status {
        HoldStatus::Pending if held.is_live_at(now) && held.provider == "box_office" => {
            Stage::AtTheTill {
                until: held
                    .expires_at
                    .with_timezone(&venue.tz())
                    .format("%d.%m.%Y %H:%M")
                    .to_string(),
            }
        }
        HoldStatus::Pending if held.is_live_at(now) => Stage::Pending {
            until: v.clock(held.expires_at, &venue),
        },
        HoldStatus::Pending | HoldStatus::Released => Stage::Released,
        HoldStatus::Refused => Stage::Refused,
        HoldStatus::Paid => {
            let email = held.email.as_ref().map(|e| e.as_str().to_owned());
            match v
                .state
                .node
                .order_view(None, &human, email.as_deref())
                .await
            {
                Ok(view) if view.order.status == OrderStatus::Paid => {
                    first_start = view.tickets.iter().map(|t| t.valid_from).min();
                    Stage::Paid {
                        tickets: tickets(&v, &venue, &view),
                    }
                }
                Ok(_) => Stage::Cancelled,
                Err(err) => {
                    tracing::error!(number = held.number, %err, "shop: a paid order is missing");
                    return v.not_found();
                }
            }
        }
    };
    let (may_cancel, cancel_note) = cancel_policy(&v, &venue, &stage, first_start, now);
    let view = OrderView {
        v: &v,
        shell: v.shell(
            &venue,
            v.t_args("shop-order-number", &[("number", human.as_str().into())]),
        ),
        total: v.money(held.total_minor, held.currency),
        email: held
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        token: q.k.clone(),
        serial: held.number,
        stage,
        may_cancel,
        cancel_note,
        failed: q.failed.is_some(),
    };
    v.render(&view)
}

/// Whether the visitor may cancel now, and what the page says about it.
fn cancel_policy(
    v: &Visitor,
    venue: &Venue,
    stage: &Stage,
    first_start: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (bool, Option<String>) {
    match stage {
        // A hold not paid yet may always be let go.
        Stage::Pending { .. } | Stage::AtTheTill { .. } => return (true, None),
        Stage::Paid { .. } => {}
        _ => return (false, None),
    }
    let Some(hours) = venue.shop.cancel_hours else {
        return (false, Some(v.t("shop-cancel-not-online")));
    };
    let Some(start) = first_start else {
        return (false, None);
    };
    let deadline = start - Duration::hours(i64::from(hours));
    let args = [("time", v.when(deadline, venue).into())];
    if now < deadline {
        (true, Some(v.t_args("shop-cancel-until", &args)))
    } else {
        (false, Some(v.t_args("shop-cancel-too-late", &args)))
    }
}

fn tickets(v: &Visitor, venue: &Venue, view: &aspk_app::OrderView) -> Vec<TicketView> {
    let products = super::day::on_sale(v, venue);
    view.tickets
        .iter()
        .map(|t| {
            let number = HumanNumber::from_serial(t.serial).to_string();
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            let product = products
                .iter()
                .find(|p| p.id == t.product)
                .map(|p| p.name.get(v.code()).to_owned())
                .unwrap_or_else(|| t.product.as_str().to_owned());
            let is_valid = t.status == TicketStatus::Valid;
            TicketView {
                product,
                when: format!(
                    "{}–{}",
                    v.when(t.valid_from, venue),
                    v.clock(t.valid_until, venue)
                ),
                status: v.t(&format!("ticket-status-{}", t.status.as_str())),
                is_valid,
                pdf: format!("/api/v1/tickets/{digits}/pdf"),
                qr: view
                    .codes
                    .get(&t.serial)
                    .filter(|_| is_valid)
                    .and_then(|c| QrImage::of_code(c)),
                number,
            }
        })
        .collect()
}

/// The venue and hold an order page's form is about (its token must open it).
fn opened_form(
    v: &Visitor,
    venue: &str,
    number: &str,
    token: &str,
) -> Result<(Venue, HeldOrder), Box<Response>> {
    let venue = v.venue(venue)?;
    match opened(v, &venue, number, token) {
        Some(held) => Ok((venue, held)),
        None => Err(Box::new(v.not_found())),
    }
}

/// `POST /shop/{venue}/order/{number}/pay`: start the payment again (while still held).
pub async fn pay_again(
    v: Visitor,
    Path((venue, number)): Path<(String, String)>,
    Form(f): Form<TokenForm>,
) -> Response {
    let (venue, held) = match opened_form(&v, &venue, &number, &f.k) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    if !held.is_live_at(v.state.node.now()) {
        let back = format!("/shop/{}/order/{}?k={}", venue.id, held.number, f.k);
        return redirect(&back);
    }
    super::checkout::go_to_payment(&v, &venue, &held).await
}

/// `POST /shop/{venue}/order/{number}/cancel`: the visitor cancels (the policy decides).
pub async fn cancel(
    v: Visitor,
    Path((venue, number)): Path<(String, String)>,
    Form(f): Form<TokenForm>,
) -> Response {
    let (venue, held) = match opened_form(&v, &venue, &number, &f.k) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let back = format!("/shop/{}/order/{}?k={}", venue.id, held.number, f.k);
    match crate::payments::cancel_by_visitor(&v.state, held.number, &f.k).await {
        Ok(()) => redirect(&back),
        Err(err) => {
            tracing::info!(
                number = held.number,
                ?err,
                "shop: a visitor's cancellation refused"
            );
            v.message(
                StatusCode::CONFLICT,
                Some(&venue),
                v.t("shop-cancel-refused-title"),
                v.t("shop-cancel-refused"),
            )
        }
    }
}
