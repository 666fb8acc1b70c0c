//! The box office: pick the day and slot, the quantities per category, the payment; sell
//! with Enter; the tickets print at once. Keyboard first (see /static/box-office.js).
//!
//! `sell` places the order (a refused sale shows this form again, as it was typed, with the
//! error next to its field); `receipt` is the page after a sale and its print confirmation.

mod receipt;
mod reservation;
mod sell;

use std::collections::HashMap;

use askama::Template;
use aspk_app::AppError;
use aspk_domain::{Product, ProductValidity, Slug};
use aspk_i18n::Arg;
use aspk_oplog::SlotState;
use axum::extract::{Form, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Days, NaiveDate};
use serde::Deserialize;

pub use receipt::{confirm_printed, sale};
pub use reservation::{find as find_reservation, pay as pay_reservation};
pub use sell::sell;

use super::frame::redirect;
use super::printing::chosen_printer;
use super::Page;

/// How far ahead the box office looks for the next open slot when a day has none left.
const NEXT_SLOT_DAYS: u64 = 60;

#[derive(Deserialize, Default)]
pub struct BoxOfficeQuery {
    venue: Option<String>,
    date: Option<NaiveDate>,
    slot: Option<String>,
}

pub async fn page(page: Page, headers: HeaderMap, Query(q): Query<BoxOfficeQuery>) -> Response {
    render(&page, &headers, &q, Attempt::default())
}

#[derive(Template)]
#[template(path = "box_office.html")]
struct BoxOfficeView<'a> {
    page: &'a Page,
    title: String,
    sale: BoxOfficeBody,
    attempt: Attempt,
}

/// A sale attempt the cashier typed, shown again after a refusal: the values as typed and
/// the error next to the field that caused it.
#[derive(Default)]
pub(crate) struct Attempt {
    quantities: HashMap<String, String>,
    payment: String,
    tendered: String,
    mixed_cash: String,
    /// The visitor's e-mail, to send the tickets to instead of printing them.
    email: String,
    errors: FieldErrors,
}

impl Attempt {
    /// The quantity typed for `product` ("0" when none was).
    fn quantity(&self, product: &str) -> &str {
        self.quantities
            .get(product)
            .map(String::as_str)
            .filter(|q| !q.is_empty())
            .unwrap_or("0")
    }

    /// Whether payment `method` is the chosen one (cash when none was chosen).
    fn pays_by(&self, method: &str) -> bool {
        match self.payment.as_str() {
            "" => method == "cash",
            chosen => chosen == method,
        }
    }
}

/// Errors of a refused sale, each next to the field it is about.
#[derive(Default)]
pub(crate) struct FieldErrors {
    slot: Option<String>,
    quantity: Option<String>,
    payment: Option<String>,
    tendered: Option<String>,
    mixed_cash: Option<String>,
    email: Option<String>,
    /// About no one field (shown above the form).
    general: Option<String>,
}

/// What the box office shows: nothing to sell for, the form that opens a shift (for the
/// venue), or the sale form.
enum BoxOfficeBody {
    NoVenue,
    NoShift(String),
    Sale(Box<SaleForm>),
}

struct SaleForm {
    venue: String,
    date: NaiveDate,
    sale_key: String,
    /// "Shift open since 09:00, float 500,00 грн".
    shift_open: String,
    slots: Vec<SlotChoice>,
    /// When the day has no slot left: the next open one.
    next_slot: Option<NextSlot>,
    products: Vec<ProductRow>,
    currency: String,
    zero: String,
    printers: Vec<PrinterChoice>,
}

struct SlotChoice {
    id: String,
    left: u32,
    start: String,
    end: String,
    seats: String,
    selected: bool,
}

/// The next slot still open after a day without one: a link to sell for it.
struct NextSlot {
    href: String,
    label: String,
}

struct ProductRow {
    /// The Alt+digit key that adds one (the product's own, fixed at its creation).
    key: Option<u8>,
    id: String,
    name: String,
    category: &'static str,
    category_name: String,
    document: Option<String>,
    price: String,
    price_minor: i64,
    timed: bool,
    quantity: String,
}

struct PrinterChoice {
    id: String,
    name: String,
    selected: bool,
}

fn render(page: &Page, headers: &HeaderMap, q: &BoxOfficeQuery, attempt: Attempt) -> Response {
    render_with(page, headers, q, attempt, StatusCode::OK)
}

fn render_with(
    page: &Page,
    headers: &HeaderMap,
    q: &BoxOfficeQuery,
    attempt: Attempt,
    status: StatusCode,
) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let sale = match sale_form(page, headers, q, &attempt) {
        Ok(sale) => sale,
        Err(e) => return page.error(e),
    };
    page.render_with(
        status,
        &BoxOfficeView {
            page,
            title: page.t("nav-box-office"),
            sale,
            attempt,
        },
    )
}

fn sale_form(
    page: &Page,
    headers: &HeaderMap,
    q: &BoxOfficeQuery,
    attempt: &Attempt,
) -> Result<BoxOfficeBody, AppError> {
    let Some(venue) = page.state.node.venue_or_first(q.venue.as_deref()) else {
        return Ok(BoxOfficeBody::NoVenue);
    };
    let Some(shift) = page.state.node.open_shift_of(&page.who) else {
        return Ok(BoxOfficeBody::NoShift(venue));
    };
    let catalog = page.state.node.catalog(&venue, q.date)?;
    let printer = chosen_printer(page, headers);
    let currency = catalog.venue.currency;
    let shift_open = page.t_args(
        "box-shift-open",
        &[
            (
                "time",
                page.time(shift.opened_at, Some(&catalog.venue)).into(),
            ),
            (
                "float",
                page.money(shift.float_minor, shift.currency).into(),
            ),
        ],
    );
    let tz = catalog.venue.tz();
    let slots: Vec<SlotChoice> = open_slots(page, &catalog.slots)
        .map(|s| {
            let left = page.state.node.seats_for_sale(s);
            let local = |at: chrono::DateTime<chrono::Utc>| {
                at.with_timezone(&tz).format("%H:%M").to_string()
            };
            SlotChoice {
                id: s.slot.id.as_str().to_owned(),
                left,
                start: local(s.slot.starts_at),
                end: local(s.slot.ends_at),
                seats: page.t_args("seats-left", &[("count", Arg::from(left))]),
                selected: q.slot.as_deref() == Some(s.slot.id.as_str()),
            }
        })
        .collect();
    let next_slot = if slots.is_empty() {
        next_open_slot(page, &venue, catalog.date)
    } else {
        None
    };
    let products = product_rows(page, &catalog.products, currency, attempt);
    Ok(BoxOfficeBody::Sale(Box::new(SaleForm {
        venue,
        date: catalog.date,
        // A refused attempt made no order: the corrected one is a new attempt.
        sale_key: aspk_app::to_hex(&rand::random::<[u8; 16]>()),
        shift_open,
        slots,
        next_slot,
        products,
        currency: currency.as_str().to_owned(),
        zero: page.money(0, currency),
        printers: printer_choices(page, &printer.id),
    })))
}

/// The slots of a day that can still be sold: not over, not closed.
fn open_slots<'a>(page: &Page, slots: &'a [SlotState]) -> impl Iterator<Item = &'a SlotState> {
    let now = page.state.node.now();
    slots
        .iter()
        .filter(move |s| s.slot.ends_at > now && !s.is_closed && !s.is_deleted)
}

/// The first open slot on a day after `date` (up to two months ahead).
fn next_open_slot(page: &Page, venue: &str, date: NaiveDate) -> Option<NextSlot> {
    (1..=NEXT_SLOT_DAYS)
        .filter_map(|n| date.checked_add_days(Days::new(n)))
        .find_map(|day| {
            let catalog = page.state.node.catalog(venue, Some(day)).ok()?;
            let tz = catalog.venue.tz();
            let slot = open_slots(page, &catalog.slots).min_by_key(|s| s.slot.starts_at)?;
            let start = slot.slot.starts_at.with_timezone(&tz);
            let when = start.format("%d.%m %H:%M").to_string();
            Some(NextSlot {
                href: format!(
                    "/box-office?venue={venue}&date={}&slot={}",
                    start.date_naive(),
                    slot.slot.id.as_str()
                ),
                label: page.t_args("box-next-slot", &[("when", when.into())]),
            })
        })
}

fn product_rows(
    page: &Page,
    products: &[Product],
    currency: aspk_domain::Currency,
    attempt: &Attempt,
) -> Vec<ProductRow> {
    let lang = page.lang.code();
    let refs: Vec<&Product> = products.iter().collect();
    let keys = aspk_app::shortcuts(&refs);
    products
        .iter()
        .zip(keys)
        .map(|(p, key)| ProductRow {
            key,
            id: p.id.as_str().to_owned(),
            name: p.name.get(lang).to_owned(),
            category: p.category.as_str(),
            category_name: page.t(&format!("category-{}", p.category.as_str())),
            document: p
                .document
                .as_ref()
                .map(|d| page.t_args("box-check-document", &[("document", d.get(lang).into())])),
            price: page.money(p.price_minor, currency),
            price_minor: p.price_minor,
            timed: matches!(p.validity, ProductValidity::Timed),
            quantity: attempt.quantity(p.id.as_str()).to_owned(),
        })
        .collect()
}

fn printer_choices(page: &Page, chosen: &Slug) -> Vec<PrinterChoice> {
    page.state
        .node
        .printers()
        .into_iter()
        .map(|p| PrinterChoice {
            selected: &p.id == chosen,
            name: page.printer_label(p.id.as_str()),
            id: p.id.as_str().to_owned(),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct PrinterForm {
    csrf: String,
    printer: String,
}

/// Remembers the printer of this workstation.
pub async fn choose_printer(
    page: Page,
    headers: HeaderMap,
    Form(f): Form<PrinterForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/box-office") {
        return *refused;
    }
    let id = Slug::parse("printer", &f.printer)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let back = super::frame::came_from(&headers, "/box-office");
    let response = redirect(back.as_deref().unwrap_or("/box-office"));
    crate::cookies::with(response, [crate::cookies::printer(&id)])
}
