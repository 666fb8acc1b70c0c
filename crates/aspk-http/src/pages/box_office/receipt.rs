//! The receipt of a sale just made: number, slot, payment, change, tickets and printing.
//! A browser printer's print is logged only when the cashier pressed Print
//! (`confirm_printed`), never at sale time.

use askama::Template;
use aspk_app::{OrderRecord, Receipt};
use aspk_domain::{PaymentMethod, PrinterKind, Ticket, TicketStatus, Venue};
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path, Query};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::pages::frame::{came_from, redirect};
use crate::pages::printing::chosen_printer;
use crate::pages::Page;

#[derive(Deserialize)]
pub struct SaleQuery {
    tendered: Option<i64>,
    date: Option<NaiveDate>,
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
    /// "05.12.2026 10:00–11:00" (or the open-date tickets' days).
    slot: Option<String>,
    /// "Cash", "Card" or "Cash + card".
    payment: String,
    /// A mixed payment's parts: "cash 200,00 грн, card 175,00 грн".
    payment_parts: Option<String>,
    /// The cash handed over and the change to give, when it was typed.
    tendered: Option<String>,
    change: Option<String>,
    tickets: Vec<SoldTicket>,
    /// The address the e-tickets were sent to instead of the printer.
    mailed_to: Option<String>,
    print: PrintStatus,
    /// Where "new sale" goes: the same venue, day and slot.
    new_sale: String,
}

struct SoldTicket {
    number: String,
    name: String,
    price: String,
}

/// How printing the sale went.
enum PrintStatus {
    /// Not printed, and nothing to print from here.
    None,
    /// The printer failed: the message.
    Failed(String),
    /// A browser printer: the PDF's paper, and whether the cashier confirmed a print.
    Browser { paper: String, printed: bool },
    /// Sent to a thermal printer: the message.
    Sent(String),
}

impl PrintStatus {
    /// Printed from this page's print dialog (no job is sent from the server).
    fn is_browser(&self) -> bool {
        matches!(self, PrintStatus::Browser { .. })
    }
}

/// The sale just made: number, tickets, change to give, and how printing went.
pub async fn sale(
    page: Page,
    headers: HeaderMap,
    Path(number): Path<u64>,
    Query(q): Query<SaleQuery>,
) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let record = match page.state.node.order_record(&page.who, number) {
        Ok(record) => record,
        Err(e) => return page.error(e),
    };
    let receipt = match page.state.node.receipt(&page.who, number) {
        Ok(receipt) => receipt,
        Err(e) => return page.error(e),
    };
    let order = &receipt.order;
    let currency = order.currency;
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
            price: page.money(t.price_minor, currency),
        })
        .collect();
    let first = first_live_ticket(&record);
    let cash = receipt.cash_minor();
    page.render(&SaleView {
        page: &page,
        title: page.t("box-sale-title"),
        serial: number,
        number: HumanNumber::from_serial(number).to_string(),
        total: page.money(order.total_minor, currency),
        slot: first.map(|t| ticket_when(t, record.venue.as_ref())),
        payment: payment_label(&page, &receipt),
        payment_parts: payment_parts(&page, &receipt),
        tendered: q.tendered.map(|t| page.money(t, currency)),
        change: q.tendered.map(|t| page.money(t - cash, currency)),
        tickets,
        mailed_to: order.email.as_ref().map(|e| {
            let to = aspk_i18n::Arg::Str(e.as_str().to_owned());
            page.t_args("box-mailed-to", &[("email", to)])
        }),
        print: print_status(&page, &headers, &receipt),
        new_sale: new_sale_url(&record, first, &q),
    })
}

fn first_live_ticket(record: &OrderRecord) -> Option<&Ticket> {
    record
        .tickets
        .iter()
        .map(|(t, _)| t)
        .find(|t| t.status != TicketStatus::Void)
}

/// When a ticket is valid, in the venue's time: the slot, or the open-date days.
fn ticket_when(ticket: &Ticket, venue: Option<&Venue>) -> String {
    aspk_app::ticket_when(ticket, venue.map_or(chrono_tz::Europe::Kyiv, Venue::tz))
}

fn payment_label(page: &Page, receipt: &Receipt) -> String {
    let payments = &receipt.order.payments;
    if payments.len() > 1 {
        return page.t("payment-mixed");
    }
    match payments.first().map(|p| p.method) {
        Some(PaymentMethod::Cash) => page.t("payment-cash"),
        Some(PaymentMethod::Card) => page.t("payment-card"),
        _ => page.t("payment-other"),
    }
}

/// The cash and card parts of a mixed payment.
fn payment_parts(page: &Page, receipt: &Receipt) -> Option<String> {
    let order = &receipt.order;
    if order.payments.len() < 2 {
        return None;
    }
    let cash = receipt.cash_minor();
    Some(page.t_args(
        "box-payment-parts",
        &[
            ("cash", page.money(cash, order.currency).into()),
            (
                "card",
                page.money(order.total_minor - cash, order.currency).into(),
            ),
        ],
    ))
}

/// How printing went: the last print, else (for this workstation's browser printer) the
/// PDF to print, not printed yet.
fn print_status(page: &Page, headers: &HeaderMap, receipt: &Receipt) -> PrintStatus {
    if let Some(last) = &receipt.last_print {
        if !last.error.is_empty() {
            let error = page.print_error_label(&last.error);
            return PrintStatus::Failed(page.t_args("print-failed", &[("error", error.into())]));
        }
        if let Some(paper) = receipt.browser_paper() {
            return PrintStatus::Browser {
                paper,
                printed: true,
            };
        }
        let printer = last.printer.as_str();
        return PrintStatus::Sent(page.t_args("print-sent", &[("printer", printer.into())]));
    }
    match chosen_printer(page, headers).kind {
        PrinterKind::Browser { paper } => PrintStatus::Browser {
            paper,
            printed: false,
        },
        PrinterKind::EscPos { .. } => PrintStatus::None,
    }
}

/// The box office for the next sale: the same venue, and the day and slot of this one.
fn new_sale_url(record: &OrderRecord, first: Option<&Ticket>, q: &SaleQuery) -> String {
    let tz = record
        .venue
        .as_ref()
        .map(Venue::tz)
        .unwrap_or(chrono_tz::Europe::Kyiv);
    let date = q.date.or_else(|| {
        first
            .filter(|t| t.valid_days.is_none())
            .map(|t| t.valid_from.with_timezone(&tz).date_naive())
    });
    let slot = first.and_then(|t| t.slot.clone());
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("venue", record.order.venue.as_str());
    if let Some(date) = date {
        query.append_pair("date", &date.to_string());
    }
    if let Some(slot) = slot {
        query.append_pair("slot", &slot);
    }
    format!("/box-office?{}", query.finish())
}

#[derive(Deserialize)]
pub struct PrintedForm {
    csrf: String,
}

/// The cashier printed the sale from the browser's dialog: logs the print (`OrderPrinted`).
pub async fn confirm_printed(
    page: Page,
    headers: HeaderMap,
    Path(number): Path<u64>,
    Form(f): Form<PrintedForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/box-office") {
        return *refused;
    }
    if let Err(e) = page.state.node.order_record(&page.who, number) {
        return page.error(e);
    }
    let printer = match chosen_printer(&page, &headers) {
        p @ aspk_domain::Printer {
            kind: PrinterKind::Browser { .. },
            ..
        } => p,
        _ => aspk_app::browser_printer(),
    };
    if let Err(e) = page
        .state
        .node
        .record_print(&page.who, number, &printer.id, String::new())
        .await
    {
        return page.error(e);
    }
    let back = came_from(&headers, &format!("/box-office/sale/{number}"))
        .unwrap_or_else(|| format!("/box-office/sale/{number}"));
    redirect(&back)
}
