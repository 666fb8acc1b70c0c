//! One order: its tickets with their state and entries, payments, prints, the full history
//! from the operation log, and the actions: cancel or refund (whole or per ticket),
//! reprint, resend the e-ticket e-mail.

use askama::Template;
use aspk_app::{AppError, CancelRequest, HistoryEntry, OrderEvent};
use aspk_domain::{Ticket, TicketStatus, Venue};
use aspk_oplog::PrintRecord;
use aspk_render::{ticket_pdf, Paper};
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path, Query};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::frame::redirect;
use super::printing::chosen_printer;
use super::Page;

/// The order with its tickets (and their products' names in the page's language) and
/// prints.
type Loaded = (
    aspk_domain::Order,
    Option<Venue>,
    Vec<(Ticket, String)>,
    Vec<PrintRecord>,
);

fn load(page: &Page, number: u64) -> Result<Loaded, AppError> {
    let record = page.state.node.order_record(&page.who, number)?;
    let lang = page.lang.code();
    let tickets = record
        .tickets
        .into_iter()
        .map(|(t, product)| {
            let name = product
                .map(|p| p.name.get(lang).to_owned())
                .unwrap_or_else(|| t.product.to_string());
            (t, name)
        })
        .collect();
    Ok((record.order, record.venue, tickets, record.prints))
}

fn not_found(number: u64) -> AppError {
    AppError::NotFound {
        what: "order",
        id: number.to_string(),
    }
}

/// One order: its facts, tickets, payments, prints, actions and history.
#[derive(Template)]
#[template(path = "order_detail.html")]
struct OrderView<'a> {
    page: &'a Page,
    title: String,
    /// The order's serial, for the actions' addresses.
    serial: u64,
    number: String,
    status: String,
    channel: String,
    created: String,
    by: String,
    name: String,
    email: String,
    total: String,
    cancel_reason: Option<String>,
    tickets: Vec<TicketRow>,
    payments: Vec<PaymentRow>,
    prints: Vec<PrintRow>,
    /// Paid: the order (and its live tickets) can be cancelled.
    paid: bool,
    /// The order has an e-mail address to send the tickets to again.
    resend: bool,
    history: Vec<HistoryRow>,
}

struct TicketRow {
    serial: u64,
    number: String,
    name: String,
    visit: String,
    price: String,
    /// `valid`, `used` or `void`: the CSS class.
    status_key: &'static str,
    status: String,
    entries: Vec<EntryRow>,
    /// A cancel form for this ticket.
    cancellable: bool,
}

struct EntryRow {
    at: String,
    gate: String,
}

struct PaymentRow {
    at: String,
    method: String,
    amount: String,
}

struct PrintRow {
    at: String,
    by: String,
    printer: String,
    what: String,
}

struct HistoryRow {
    at: String,
    actor: String,
    what: String,
}

pub async fn page(page: Page, Path(number): Path<u64>) -> Response {
    if let Err(refused) = page.require_section("/orders") {
        return *refused;
    }
    let (order, venue, tickets, prints) = match load(&page, number) {
        Ok(loaded) => loaded,
        Err(e) => return page.error(e),
    };
    let history = match page.state.node.order_history(&page.who, &order).await {
        Ok(h) => h,
        Err(e) => return page.error(e),
    };
    let v = venue.as_ref();
    let cur = order.currency;
    let paid = order.status == aspk_domain::OrderStatus::Paid;
    let tickets = tickets
        .iter()
        .map(|(t, name)| ticket_row(&page, t, name, v, paid))
        .collect();
    let payments = order
        .payments
        .iter()
        .map(|p| PaymentRow {
            at: page.time(p.at, v),
            method: page.t(&format!("payment-{}", p.method.as_str())),
            amount: page.money(p.amount_minor, cur),
        })
        .collect();
    let prints = prints
        .iter()
        .map(|p| {
            let what = if !p.error.is_empty() {
                page.t_args("print-failed", &[("error", p.error.as_str().into())])
            } else if p.reprint {
                page.t("print-reprinted")
            } else {
                page.t("print-printed")
            };
            PrintRow {
                at: page.time(p.at, v),
                by: p.by.trim_start_matches("user:").to_owned(),
                printer: p.printer.clone(),
                what,
            }
        })
        .collect();
    let history = history.iter().map(|op| history_row(&page, op, v)).collect();
    let human = HumanNumber::from_serial(number).to_string();
    let view = OrderView {
        page: &page,
        title: page.t_args("order-title", &[("number", human.as_str().into())]),
        serial: number,
        number: human,
        status: page.t(&format!("order-status-{}", order.status.as_str())),
        channel: page.t(&format!("channel-{}", order.channel.as_str())),
        created: page.time(order.created_at, v),
        by: order
            .created_by
            .as_deref()
            .unwrap_or("")
            .trim_start_matches("user:")
            .to_owned(),
        name: order.name.clone().unwrap_or_else(|| "—".into()),
        email: order.email.as_ref().map_or("—", |e| e.as_str()).to_owned(),
        total: page.money(order.total_minor, cur),
        cancel_reason: order.cancel_reason.clone(),
        tickets,
        payments,
        prints,
        paid,
        resend: order.email.is_some(),
        history,
    };
    page.render(&view)
}

fn ticket_row(
    page: &Page,
    t: &Ticket,
    name: &str,
    v: Option<&Venue>,
    order_paid: bool,
) -> TicketRow {
    let status = match t.status {
        TicketStatus::Valid => "valid",
        TicketStatus::Used => "used",
        TicketStatus::Void => "void",
    };
    let currency = v.map_or(aspk_domain::Currency::UAH, |v| v.currency);
    TicketRow {
        serial: t.serial,
        number: HumanNumber::from_serial(t.serial).to_string(),
        name: name.to_owned(),
        visit: page.time(t.valid_from, v),
        price: page.money(t.price_minor, currency),
        status_key: status,
        status: page.t(&format!("ticket-status-{status}")),
        entries: t
            .entries
            .iter()
            .map(|e| EntryRow {
                at: page.time(e.at, v),
                gate: e.gate.clone(),
            })
            .collect(),
        cancellable: order_paid && t.status != TicketStatus::Void,
    }
}

fn history_row(page: &Page, entry: &HistoryEntry, v: Option<&Venue>) -> HistoryRow {
    let ticket = |serial: &u64| HumanNumber::from_serial(*serial).to_string();
    let what = match &entry.event {
        OrderEvent::Placed => page.t("history-placed"),
        OrderEvent::Cancelled { reason, refunded } => page.t_args(
            if *refunded {
                "history-refunded"
            } else {
                "history-cancelled"
            },
            &[("reason", reason.as_str().into())],
        ),
        OrderEvent::TicketVoided { serial, reason } => page.t_args(
            "history-ticket-voided",
            &[
                ("ticket", ticket(serial).into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        OrderEvent::Entered { serial, gate } => page.t_args(
            "history-entry",
            &[
                ("ticket", ticket(serial).into()),
                ("gate", gate.as_str().into()),
            ],
        ),
        OrderEvent::Denied {
            serial,
            gate,
            reason,
        } => page.t_args(
            "history-denied",
            &[
                ("ticket", ticket(serial).into()),
                ("gate", gate.as_str().into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        OrderEvent::Printed {
            printer,
            reprint,
            failed,
        } => {
            let key = if *failed {
                "history-print-failed"
            } else if *reprint {
                "history-reprinted"
            } else {
                "history-printed"
            };
            page.t_args(key, &[("printer", printer.as_str().into())])
        }
        OrderEvent::PassNotUsed { serial, gate } => page.t_args(
            "history-pass-not-used",
            &[
                ("ticket", ticket(serial).into()),
                ("gate", gate.as_str().into()),
            ],
        ),
        OrderEvent::Other(kind) => (*kind).to_owned(),
    };
    HistoryRow {
        at: page.time(entry.at, v),
        actor: entry.actor.clone(),
        what,
    }
}

#[derive(Deserialize)]
pub struct CancelForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    refund: Option<String>,
}

pub async fn cancel(page: Page, Path(number): Path<u64>, Form(f): Form<CancelForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/orders") {
        return *refused;
    }
    let request = CancelRequest {
        reason: f.reason,
        refund: f.refund.is_some(),
    };
    let text = HumanNumber::from_serial(number).to_string();
    match page
        .state
        .node
        .cancel_order(&page.who, &text, request)
        .await
    {
        Ok(_) => redirect(&format!("/orders/{number}")),
        Err(e) => page.error(e),
    }
}

pub async fn cancel_ticket(
    page: Page,
    Path(serial): Path<u64>,
    Form(f): Form<CancelForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/orders") {
        return *refused;
    }
    let request = CancelRequest {
        reason: f.reason,
        refund: f.refund.is_some(),
    };
    let text = HumanNumber::from_serial(serial).to_string();
    match page.state.node.void_ticket(&page.who, &text, request).await {
        Ok(order) => redirect(&format!("/orders/{}", order.number)),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Prints the order again on this workstation's printer (logged as a reprint).
pub async fn print(
    page: Page,
    headers: HeaderMap,
    Path(number): Path<u64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/box-office") {
        return *refused;
    }
    if let Err(e) = load(&page, number) {
        return page.error(e);
    }
    let printer = chosen_printer(&page, &headers);
    page.state
        .node
        .print_order(&page.who, number, &printer)
        .await;
    // Back to the page the reprint was asked on: this order's page or its sale receipt.
    let back = super::frame::came_from(&headers, &format!("/orders/{number}"))
        .or_else(|| super::frame::came_from(&headers, &format!("/box-office/sale/{number}")))
        .unwrap_or_else(|| format!("/orders/{number}"));
    redirect(&back)
}

/// Queues the e-ticket e-mail again (links to the tickets' PDFs).
pub async fn resend(
    page: Page,
    headers: HeaderMap,
    Path(number): Path<u64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/orders") {
        return *refused;
    }
    let base = crate::extract::base_url(&headers);
    let (order, _, tickets, _) = match load(&page, number) {
        Ok(loaded) => loaded,
        Err(e) => return page.error(e),
    };
    let Some(email) = order.email.as_ref().map(|e| e.as_str().to_owned()) else {
        return page.error(AppError::invalid(
            "email",
            "the order has no e-mail address",
        ));
    };
    let links: String = tickets
        .iter()
        .filter(|(t, _)| t.status != TicketStatus::Void)
        .map(|(t, name)| {
            format!(
                "{name}: {base}/api/v1/tickets/{}/pdf\n",
                HumanNumber::from_serial(t.serial).digits()
            )
        })
        .collect();
    let num = HumanNumber::from_serial(number).to_string();
    let subject = aspk_i18n::bilingual("mail-tickets-subject");
    let body = format!(
        "{}\n\n{links}\n{}",
        page.t_args("mail-tickets-body", &[("number", num.as_str().into())]),
        aspk_i18n::t(aspk_i18n::Lang::En, "mail-tickets-footer")
    );
    match page
        .state
        .node
        .queue_mail(&page.who, number, &email, &subject, &body)
        .await
    {
        Ok(_) => redirect(&format!("/orders/{number}")),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct PdfQuery {
    paper: Option<String>,
}

/// All live tickets of an order in one PDF, for the browser's print dialog.
pub async fn pdf(page: Page, Path(number): Path<u64>, Query(q): Query<PdfQuery>) -> Response {
    if let Err(refused) = page.require_section("/orders") {
        return *refused;
    }
    let paper = match q.paper.as_deref() {
        Some("a4") => Paper::A4,
        _ => Paper::Roll80mm,
    };
    let docs = page.state.node.order_docs(number).await;
    if docs.is_empty() {
        return page.error(not_found(number));
    }
    match tokio::task::spawn_blocking(move || ticket_pdf(&docs, paper)).await {
        Ok(Ok(bytes)) => {
            let [csp, frame] = crate::headers::SAME_ORIGIN_FRAME;
            (
                [(header::CONTENT_TYPE, "application/pdf"), csp, frame],
                bytes,
            )
                .into_response()
        }
        Ok(Err(e)) => page.error(AppError::Internal(anyhow::anyhow!(
            "rendering tickets: {e}"
        ))),
        Err(e) => page.error(AppError::Internal(e.into())),
    }
}
