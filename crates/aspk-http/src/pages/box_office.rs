//! The box office: pick the day and slot, the quantities per category, the payment; sell
//! with Enter; the tickets print at once. Keyboard first (see /static/box-office.js).

use askama::Template;
use aspk_app::{AppError, NewOrder, NewOrderItem};
use aspk_domain::{Channel, PaymentMethod, ProductValidity, Slug};
use aspk_i18n::Arg;
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path, Query};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use super::frame::{form_field, redirect};
use super::printing::chosen_printer;
use super::Page;

#[derive(Deserialize, Default)]
pub struct BoxOfficeQuery {
    venue: Option<String>,
    date: Option<NaiveDate>,
    slot: Option<String>,
}

pub async fn page(page: Page, headers: HeaderMap, Query(q): Query<BoxOfficeQuery>) -> Response {
    render(&page, &headers, &q, None)
}

#[derive(Template)]
#[template(path = "box_office.html")]
struct BoxOfficeView<'a> {
    page: &'a Page,
    title: String,
    error: Option<String>,
    sale: BoxOfficeBody,
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

struct ProductRow {
    /// The Alt+digit key that adds one.
    key: usize,
    id: String,
    name: String,
    category: &'static str,
    category_name: String,
    document: Option<String>,
    price: String,
    price_minor: i64,
    timed: bool,
}

struct PrinterChoice {
    id: String,
    name: String,
    selected: bool,
}

fn render(page: &Page, headers: &HeaderMap, q: &BoxOfficeQuery, error: Option<String>) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let sale = match sale_form(page, headers, q) {
        Ok(sale) => sale,
        Err(e) => return page.error(e),
    };
    page.render(&BoxOfficeView {
        page,
        title: page.t("nav-box-office"),
        error,
        sale,
    })
}

fn sale_form(
    page: &Page,
    headers: &HeaderMap,
    q: &BoxOfficeQuery,
) -> Result<BoxOfficeBody, AppError> {
    let Some(venue) = page.state.node.venue_or_first(q.venue.as_deref()) else {
        return Ok(BoxOfficeBody::NoVenue);
    };
    let Some(shift) = page.state.node.open_shift_of(&page.who) else {
        return Ok(BoxOfficeBody::NoShift(venue));
    };
    let catalog = page.state.node.catalog(&venue, q.date)?;
    let printer = chosen_printer(page, headers);
    let lang = page.lang.code();
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
    let now = page.state.node.now();
    let slots = catalog
        .slots
        .iter()
        .filter(|s| s.slot.ends_at > now)
        .map(|s| {
            let left = page.state.node.seats_for_sale(s);
            SlotChoice {
                id: s.slot.id.as_str().to_owned(),
                left,
                start: s
                    .slot
                    .starts_at
                    .with_timezone(&tz)
                    .format("%H:%M")
                    .to_string(),
                end: s
                    .slot
                    .ends_at
                    .with_timezone(&tz)
                    .format("%H:%M")
                    .to_string(),
                seats: page.t_args("seats-left", &[("count", Arg::from(left))]),
                selected: q.slot.as_deref() == Some(s.slot.id.as_str()),
            }
        })
        .collect();
    let products = catalog
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| ProductRow {
            key: i + 1,
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
        })
        .collect();
    Ok(BoxOfficeBody::Sale(Box::new(SaleForm {
        venue,
        date: catalog.date,
        sale_key: aspk_app::to_hex(&rand::random::<[u8; 16]>()),
        shift_open,
        slots,
        products,
        currency: currency.as_str().to_owned(),
        zero: page.money(0, currency),
        printers: printer_choices(page, &printer.id),
    })))
}

fn printer_choices(page: &Page, chosen: &Slug) -> Vec<PrinterChoice> {
    page.state
        .node
        .printers()
        .into_iter()
        .map(|p| PrinterChoice {
            selected: &p.id == chosen,
            id: p.id.as_str().to_owned(),
            name: p.name,
        })
        .collect()
}

pub async fn sell(
    page: Page,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/box-office") {
        return *refused;
    }
    let back = BoxOfficeQuery {
        venue: Some(field("venue")),
        date: field("date").parse().ok(),
        slot: Some(field("slot")).filter(|s| !s.is_empty()),
    };
    match sale_from_form(&page, &fields, &field) {
        Ok((order, tendered)) => match page.state.node.place_order(Some(&page.who), order).await {
            Ok(placed) => {
                let number = placed.order.number;
                let printer = chosen_printer(&page, &headers);
                page.state
                    .node
                    .print_sale(&page.who, &placed, &printer)
                    .await;
                let tendered = tendered
                    .map(|t| format!("?tendered={t}"))
                    .unwrap_or_default();
                redirect(&format!("/box-office/sale/{number}{tendered}"))
            }
            Err(e) => render(&page, &headers, &back, Some(page.error_text(&e))),
        },
        Err(e) => render(&page, &headers, &back, Some(page.error_text(&e))),
    }
}

/// The order the form describes, and the cash the visitor handed over (for the change).
fn sale_from_form(
    page: &Page,
    fields: &[(String, String)],
    field: &dyn Fn(&str) -> String,
) -> Result<(NewOrder, Option<i64>), AppError> {
    let venue = field("venue");
    let slot = field("slot");
    let timed: Vec<String> = page
        .state
        .node
        .catalog(&venue, None)
        .map(|c| {
            c.products
                .into_iter()
                .filter(|p| matches!(p.validity, ProductValidity::Timed))
                .map(|p| p.id.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut items = Vec::new();
    for (name, value) in fields {
        let Some(product) = name.strip_prefix("qty-") else {
            continue;
        };
        let value = value.trim();
        let quantity: u32 = if value.is_empty() {
            0
        } else {
            value
                .parse()
                .map_err(|_| AppError::invalid("quantity", "must be a whole number"))?
        };
        if quantity == 0 {
            continue;
        }
        let is_timed = timed.iter().any(|id| id == product);
        items.push(NewOrderItem {
            product: product.to_owned(),
            slot: (is_timed && !slot.is_empty()).then(|| slot.clone()),
            quantity,
        });
    }
    if items.is_empty() {
        return Err(AppError::invalid("quantity", "choose at least one ticket"));
    }
    let money = |name: &str| -> Result<Option<i64>, AppError> {
        let raw = field(name);
        if raw.is_empty() {
            return Ok(None);
        }
        aspk_domain::parse_amount_minor(&raw)
            .map(Some)
            .ok_or_else(|| AppError::invalid("amount", "type an amount such as 250 or 250,50"))
    };
    let (payment, mixed_cash_minor) = match field("payment").as_str() {
        "cash" => (PaymentMethod::Cash, None),
        "card" => (PaymentMethod::Card, None),
        "mixed" => {
            let cash = money("mixed_cash")?
                .ok_or_else(|| AppError::invalid("mixed_cash", "type the cash part"))?;
            (PaymentMethod::Cash, Some(cash))
        }
        other => {
            return Err(AppError::invalid(
                "payment",
                format!("'{other}' is not a way to pay: use cash, card or mixed"),
            ))
        }
    };
    // Card takes the exact amount: only cash handed over counts.
    let tendered = money("tendered")?.filter(|_| field("payment") != "card");
    Ok((
        NewOrder {
            venue,
            channel: Channel::BoxOffice,
            items,
            payment,
            email: None,
            is_overbooking: false,
            mixed_cash_minor,
            cash_received_minor: tendered,
            name: None,
            idempotency_key: Some(field("sale_key")).filter(|k| !k.is_empty()),
        },
        tendered,
    ))
}

#[derive(Deserialize)]
pub struct SaleQuery {
    tendered: Option<i64>,
}

/// The sale just made: number, tickets, change to give, and how printing went.
pub async fn sale(page: Page, Path(number): Path<u64>, Query(q): Query<SaleQuery>) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let receipt = match page.state.node.receipt(&page.who, number) {
        Ok(receipt) => receipt,
        Err(e) => return page.error(e),
    };
    let order = &receipt.order;
    let lang = page.lang.code();
    let tickets = receipt
        .tickets
        .iter()
        .map(|t| SoldTicket {
            number: HumanNumber::from_serial(t.serial).to_string(),
            name: t
                .product
                .as_ref()
                .map(|p| p.name.get(lang).to_owned())
                .unwrap_or_default(),
            price: page.money(t.price_minor, order.currency),
        })
        .collect();
    let print = match (&receipt.last_print, receipt.browser_paper()) {
        (Some(p), _) if !p.error.is_empty() => {
            PrintStatus::Failed(page.t_args("print-failed", &[("error", p.error.as_str().into())]))
        }
        (Some(_), Some(paper)) => PrintStatus::Browser(paper),
        (Some(p), None) => {
            PrintStatus::Sent(page.t_args("print-sent", &[("printer", p.printer.as_str().into())]))
        }
        (None, _) => PrintStatus::None,
    };
    page.render(&SaleView {
        page: &page,
        title: page.t("box-sale-title"),
        serial: number,
        number: HumanNumber::from_serial(number).to_string(),
        total: page.money(order.total_minor, order.currency),
        change: q
            .tendered
            .map(|t| page.money(t - receipt.cash_minor(), order.currency)),
        tickets,
        print,
        venue: receipt
            .venue
            .as_ref()
            .map(|v| v.id.as_str().to_owned())
            .unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "box_office_sale.html")]
struct SaleView<'a> {
    page: &'a Page,
    title: String,
    /// The order's serial (in links) and its number as printed.
    serial: u64,
    number: String,
    total: String,
    /// The change to give, when the cash handed over was typed.
    change: Option<String>,
    tickets: Vec<SoldTicket>,
    print: PrintStatus,
    venue: String,
}

struct SoldTicket {
    number: String,
    name: String,
    price: String,
}

/// How printing the sale went.
enum PrintStatus {
    /// Not printed (yet).
    None,
    /// The printer failed: the message.
    Failed(String),
    /// A browser printer: the PDF's paper, for the print dialog.
    Browser(String),
    /// Sent to a thermal printer: the message.
    Sent(String),
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
