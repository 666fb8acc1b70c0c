//! `GET /shop/{venue}`: the month's open days, the chosen day's slots, the products with
//! their prices and conditions, and (once a slot is chosen) the order form.

use askama::Template;
use aspk_domain::{Product, ProductValidity, Venue};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::calendar::{self, Month, SlotRow};
use super::form::{FormErrors, OrderForm, HONEYPOT};
use super::visitor::Shell;
use super::Visitor;

#[derive(Deserialize, Default)]
pub struct DayQuery {
    pub date: Option<String>,
    pub month: Option<String>,
    pub slot: Option<String>,
}

pub async fn page(v: Visitor, Path(venue): Path<String>, Query(q): Query<DayQuery>) -> Response {
    let venue = match v.venue(&venue) {
        Ok(venue) => venue,
        Err(refused) => return *refused,
    };
    render(
        &v,
        &venue,
        &q,
        OrderForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
}

/// A product as the shop lists it.
pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub price: String,
    /// What to show at the entrance for this price, if anything.
    pub document: Option<String>,
}

/// The order form of the chosen slot.
pub struct FormView {
    pub slot: String,
    pub date: String,
    /// "05.12.2026, 10:00–11:00".
    pub when: String,
    pub max: u16,
    /// "At most 10 tickets per order".
    pub max_text: String,
    pub terms: String,
    pub form: OrderForm,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "shop_day.html")]
struct DayView<'a> {
    v: &'a Visitor,
    shell: Shell,
    month: Month,
    /// "Friday 5 December" of the chosen day; none when no day has seats.
    day: Option<String>,
    slots: Vec<SlotRow>,
    products: Vec<ProductRow>,
    order: Option<FormView>,
    honeypot: &'static str,
}

/// The shop's page for the query, with the order form as typed (and its errors).
pub fn render(
    v: &Visitor,
    venue: &Venue,
    q: &DayQuery,
    form: OrderForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let today = v.state.node.today_at(venue.id.as_str());
    let asked_month = q.month.as_deref().and_then(calendar::parse_month);
    let asked_date = q
        .date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .filter(|d| *d >= today);
    let date = match (asked_date, asked_month) {
        (Some(d), _) => Some(d),
        (None, Some(_)) => None,
        (None, None) => calendar::first_open_day(v, venue, today),
    };
    let first = asked_month
        .or_else(|| date.and_then(|d| d.with_day(1)))
        .or_else(|| today.with_day(1))
        .unwrap_or(today);
    let month = calendar::month(v, venue, first, today, date);
    let open = date
        .map(|d| calendar::open_slots(v, venue, d))
        .unwrap_or_default();
    let chosen = q
        .slot
        .as_deref()
        .filter(|s| open.iter().any(|(o, _)| o.slot.id == *s));
    let slots = date
        .map(|d| calendar::slot_rows(v, venue, d, &open, chosen))
        .unwrap_or_default();
    let products = on_sale(v, venue);
    let order = chosen.zip(date).and_then(|(slot, d)| {
        let (_, left) = open.iter().find(|(o, _)| o.slot.id == slot)?;
        let row = slots.iter().find(|r| r.id == slot)?;
        let max = venue
            .shop
            .max_tickets
            .min(u16::try_from(*left).unwrap_or(u16::MAX));
        Some(FormView {
            slot: slot.to_owned(),
            date: d.to_string(),
            when: format!("{}, {}", d.format("%d.%m.%Y"), row.time),
            max,
            max_text: v.t_args("shop-max-tickets", &[("max", u32::from(max).into())]),
            terms: terms_text(v, venue),
            form,
            errors: FormErrors {
                general: errors
                    .general
                    .or_else(|| (*left == 0).then(|| v.t("shop-sold-out"))),
                ..errors
            },
        })
    });
    let view = DayView {
        v,
        shell: v.shell(venue, v.t("shop-title")),
        month,
        day: date.map(|d| day_title(v, d)),
        slots,
        products: products
            .iter()
            .map(|p| ProductRow {
                id: p.id.as_str().to_owned(),
                name: p.name.get(v.code()).to_owned(),
                price: v.money(p.price_minor, p.currency),
                document: p.document.as_ref().map(|d| d.get(v.code()).to_owned()),
            })
            .collect(),
        order,
        honeypot: HONEYPOT,
    };
    v.render_with(status, &view)
}

/// The products the shop sells for a slot, in the venue's order.
pub fn on_sale(v: &Visitor, venue: &Venue) -> Vec<Product> {
    let mut products: Vec<Product> = v
        .state
        .node
        .catalog(venue.id.as_str(), None)
        .map(|c| c.products)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| matches!(p.validity, ProductValidity::Timed))
        .collect();
    products.sort_by_key(|p| p.no);
    products
}

/// The terms a visitor accepts: the venue's, or the shop's general ones.
fn terms_text(v: &Visitor, venue: &Venue) -> String {
    match &venue.shop.terms {
        Some(terms) if !terms.get(v.code()).trim().is_empty() => terms.get(v.code()).to_owned(),
        _ => v.t("shop-terms-default"),
    }
}

/// "5 December 2026, Friday".
fn day_title(v: &Visitor, d: NaiveDate) -> String {
    let weekday = calendar::weekday_key(d.weekday());
    v.t_args(
        "shop-day-title",
        &[
            ("day", d.day().into()),
            ("month", v.t(&format!("shop-of-month-{}", d.month())).into()),
            ("year", i64::from(d.year()).into()),
            ("weekday", v.t(&format!("shop-{weekday}")).into()),
        ],
    )
}
