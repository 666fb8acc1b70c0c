//! One order: its tickets with their state and entries, payments, prints, the full history
//! from the operation log, and the actions: cancel or refund (whole or per ticket),
//! reprint, resend the e-ticket e-mail.

use askama::Template;
use aspk_app::{AppError, CancelRequest, CancelRights, HistoryEntry, OrderEvent};
use aspk_domain::{Ticket, TicketStatus, Venue};
use aspk_oplog::PrintRecord;
use aspk_render::{ticket_pdf, Paper};
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path, Query};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::confirm::{self, Question};
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

/// An order's or ticket's serial from its address: the 12-digit number as printed (spaces
/// or dashes allowed) or the serial itself (at most 11 digits, as the app's links have it).
fn serial_in_path(what: &'static str, raw: &str) -> Result<u64, AppError> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let unknown = || AppError::NotFound {
        what,
        id: raw.to_owned(),
    };
    if !HumanNumber::is_typed(raw) {
        return Err(unknown());
    }
    if digits.len() == aspk_ticket::HUMAN_NUMBER_LEN {
        return HumanNumber::parse(raw)
            .map(|n| n.serial())
            .map_err(|_| unknown());
    }
    digits.parse().map_err(|_| unknown())
}

/// A refusal shown on the order's page, next to the form it is about.
struct Problem {
    /// The ticket whose form failed; none: the order's.
    ticket: Option<u64>,
    message: String,
    status: StatusCode,
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
    /// Sold in a drill: in no report.
    drill: bool,
    created: String,
    by: String,
    name: String,
    email: String,
    total: String,
    cancel_reason: Option<String>,
    tickets: Vec<TicketRow>,
    payments: Vec<PaymentRow>,
    prints: Vec<PrintRow>,
    /// What the member of staff may do to the order now: only that is offered.
    rights: CancelRights,
    /// Why a refund is not offered (no shift open for a box-office order).
    refund_note: Option<String>,
    /// A refused cancellation of the whole order.
    error: Option<String>,
    /// The order has an e-mail address to send the tickets to again.
    resend: bool,
    /// The e-ticket mails of the order and where each stands (sent, failed, waiting).
    mails: Vec<(String, String)>,
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
    /// The cancel form may pay the ticket's price back.
    refundable: bool,
    /// A refused cancellation of this ticket.
    error: Option<String>,
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

pub async fn page(page: Page, Path(number): Path<String>) -> Response {
    if let Err(refused) = page.require_section("/orders") {
        return *refused;
    }
    match serial_in_path("order", &number) {
        Ok(number) => show(&page, number, None).await,
        Err(e) => page.error(e),
    }
}

/// The order's page, with a refused action's message when there is one.
async fn show(page: &Page, number: u64, problem: Option<Problem>) -> Response {
    let (order, venue, tickets, prints) = match load(page, number) {
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
    let rights = page.state.node.cancel_rights(&page.who, &order);
    let (status, order_error, ticket_error) = match problem {
        None => (StatusCode::OK, None, None),
        Some(p) => match p.ticket {
            None => (p.status, Some(p.message), None),
            Some(serial) => (p.status, None, Some((serial, p.message))),
        },
    };
    let tickets = tickets
        .iter()
        .map(|(t, name)| {
            let mut row = ticket_row(page, t, name, v, rights);
            if let Some((_, message)) = ticket_error.as_ref().filter(|(s, _)| *s == t.serial) {
                row.error = Some(message.clone());
            }
            row
        })
        .collect();
    let refund_note = (rights.cancel && !rights.refund).then(|| page.t("order-refund-needs-shift"));
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
                page.t_args(
                    "print-failed",
                    &[("error", page.print_error_label(&p.error).into())],
                )
            } else if p.reprint {
                page.t("print-reprinted")
            } else {
                page.t("print-printed")
            };
            PrintRow {
                at: page.time(p.at, v),
                by: page.actor_label(&p.by),
                printer: page.printer_label(&p.printer),
                what,
            }
        })
        .collect();
    let history = history.iter().map(|op| history_row(page, op, v)).collect();
    let human = HumanNumber::from_serial(number).to_string();
    let view = OrderView {
        page,
        title: page.t_args("order-title", &[("number", human.as_str().into())]),
        serial: number,
        number: human,
        status: page.t(&format!("order-status-{}", order.status.as_str())),
        channel: page.t(&format!("channel-{}", order.channel.as_str())),
        drill: order.drill.is_some(),
        created: page.time(order.created_at, v),
        by: order
            .created_by
            .as_deref()
            .map(|actor| page.actor_label(actor))
            .unwrap_or_else(|| "—".into()),
        name: order.name.clone().unwrap_or_else(|| "—".into()),
        email: order.email.as_ref().map_or("—", |e| e.as_str()).to_owned(),
        total: page.money(order.total_minor, cur),
        cancel_reason: order.cancel_reason.clone(),
        tickets,
        payments,
        prints,
        rights,
        refund_note,
        error: order_error,
        // A cancelled order's tickets are void: nothing to send again.
        resend: order.email.is_some() && paid,
        mails: page
            .state
            .node
            .order_mails(number)
            .iter()
            .map(|m| (m.to.clone(), page.mail_state(m)))
            .collect(),
        history,
    };
    page.render_with(status, &view)
}

fn ticket_row(
    page: &Page,
    t: &Ticket,
    name: &str,
    v: Option<&Venue>,
    rights: CancelRights,
) -> TicketRow {
    let used = !t.entries.is_empty();
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
        cancellable: rights.cancel && t.status != TicketStatus::Void,
        refundable: rights.refund && (!used || rights.refund_used),
        error: None,
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
                (
                    "reason",
                    page.scan_result_label(reason)
                        .unwrap_or_else(|| reason.clone())
                        .into(),
                ),
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
            page.t_args(key, &[("printer", page.printer_label(printer).into())])
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
        actor: page.actor_label(&entry.actor),
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
    #[serde(default)]
    confirmed: Option<String>,
}

impl CancelForm {
    fn request(&self) -> CancelRequest {
        CancelRequest {
            reason: self.reason.clone(),
            refund: self.refund.is_some(),
        }
    }

    /// The fields the confirmed form posts again.
    fn fields(&self) -> Vec<(String, String)> {
        let mut fields = vec![("reason".to_owned(), self.reason.clone())];
        if self.refund.is_some() {
            fields.push(("refund".to_owned(), "1".to_owned()));
        }
        fields
    }

    /// What the confirmation lists: the money paid back (or that none is), and the reason.
    fn facts(&self, page: &Page, amount: String) -> Vec<String> {
        let money = if self.refund.is_some() {
            page.t_args("confirm-refund-amount", &[("amount", amount.into())])
        } else {
            page.t("confirm-no-refund")
        };
        let reason = self.reason.trim();
        let reason = if reason.is_empty() {
            page.t("confirm-no-reason")
        } else {
            page.t_args("confirm-reason", &[("reason", reason.into())])
        };
        vec![money, reason]
    }
}

/// Refuses at once, before asking, what the person may not do: cancel another's sale, pay
/// money back with no shift open, refund a used ticket without being a manager.
fn precheck(
    page: &Page,
    order: &aspk_domain::Order,
    refund: bool,
    used: bool,
) -> Result<(), AppError> {
    let rights = page.state.node.cancel_rights(&page.who, order);
    if !rights.cancel {
        return Err(AppError::Forbidden("cancel this sale"));
    }
    if refund && !rights.refund {
        return Err(AppError::Conflict {
            code: aspk_domain::ConflictCode::NoOpenShift,
            detail: "open a cash shift to pay money back".into(),
        });
    }
    if refund && used && !rights.refund_used {
        return Err(AppError::Forbidden("refund a ticket that was already used"));
    }
    Ok(())
}

/// A refused cancellation, to show next to its form.
fn problem(page: &Page, ticket: Option<u64>, err: AppError) -> Problem {
    let message = page.error_text(&err);
    Problem {
        ticket,
        message,
        status: crate::ApiError::from(err).status,
    }
}

/// Cancels (and refunds) a whole order, once confirmed.
pub async fn cancel(page: Page, Path(number): Path<String>, Form(f): Form<CancelForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/orders") {
        return *refused;
    }
    let number = match serial_in_path("order", &number) {
        Ok(n) => n,
        Err(e) => return page.error(e),
    };
    let human = HumanNumber::from_serial(number).to_string();
    if !confirm::is_confirmed(f.confirmed.as_deref()) {
        let Ok((order, _, tickets, _)) = load(&page, number) else {
            return page.error(not_found(number));
        };
        let used = tickets.iter().any(|(t, _)| !t.entries.is_empty());
        if let Err(e) = precheck(&page, &order, f.refund.is_some(), used) {
            let problem = problem(&page, None, e);
            return show(&page, number, Some(problem)).await;
        }
        let paid: i64 = order.payments.iter().map(|p| p.amount_minor).sum();
        let tickets = u32::try_from(order.tickets.len()).unwrap_or(u32::MAX);
        let mut facts = vec![page.t_args("confirm-order-tickets", &[("count", tickets.into())])];
        facts.extend(f.facts(&page, page.money(paid, order.currency)));
        return confirm::ask(
            &page,
            Question {
                question: page.t_args("confirm-cancel-order", &[("number", human.as_str().into())]),
                facts,
                action: format!("/orders/{number}/cancel"),
                fields: f.fields(),
                yes: page.t("order-cancel"),
                back: format!("/orders/{number}"),
            },
        );
    }
    match page
        .state
        .node
        .cancel_order(&page.who, &human, f.request())
        .await
    {
        Ok(_) => redirect(&format!("/orders/{number}")),
        Err(e) => {
            let problem = problem(&page, None, e);
            show(&page, number, Some(problem)).await
        }
    }
}

/// Cancels (and refunds) one ticket, once confirmed.
pub async fn cancel_ticket(
    page: Page,
    Path(serial): Path<String>,
    Form(f): Form<CancelForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/orders") {
        return *refused;
    }
    let serial = match serial_in_path("ticket", &serial) {
        Ok(n) => n,
        Err(e) => return page.error(e),
    };
    let Some(ticket) = page.state.node.ticket_of(&page.who, serial) else {
        return page.error(AppError::NotFound {
            what: "ticket",
            id: serial.to_string(),
        });
    };
    let human = HumanNumber::from_serial(serial).to_string();
    if !confirm::is_confirmed(f.confirmed.as_deref()) {
        let Ok((order, ..)) = load(&page, ticket.order) else {
            return page.error(not_found(ticket.order));
        };
        let used = !ticket.entries.is_empty();
        if let Err(e) = precheck(&page, &order, f.refund.is_some(), used) {
            let problem = problem(&page, Some(serial), e);
            return show(&page, ticket.order, Some(problem)).await;
        }
        let currency = page
            .state
            .node
            .venue(ticket.venue.as_str())
            .map_or(aspk_domain::Currency::UAH, |v| v.currency);
        return confirm::ask(
            &page,
            Question {
                question: page.t_args(
                    "confirm-cancel-ticket",
                    &[("ticket", human.as_str().into())],
                ),
                facts: f.facts(&page, page.money(ticket.price_minor, currency)),
                action: format!("/tickets/{serial}/cancel"),
                fields: f.fields(),
                yes: page.t("ticket-cancel"),
                back: format!("/orders/{}", ticket.order),
            },
        );
    }
    match page
        .state
        .node
        .void_ticket(&page.who, &human, f.request())
        .await
    {
        Ok(order) => redirect(&format!("/orders/{}", order.number)),
        Err(e) => {
            let problem = problem(&page, Some(serial), e);
            show(&page, ticket.order, Some(problem)).await
        }
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
    Path(number): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/box-office") {
        return *refused;
    }
    let number = match serial_in_path("order", &number) {
        Ok(n) => n,
        Err(e) => return page.error(e),
    };
    if let Err(e) = load(&page, number) {
        return page.error(e);
    }
    let printer = chosen_printer(&page, &headers);
    if matches!(printer.kind, aspk_domain::PrinterKind::Browser { .. }) {
        // The browser prints from the receipt's print dialog, which logs the print.
        return redirect(&format!("/box-office/sale/{number}"));
    }
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

/// Queues the e-ticket e-mail again (the tickets' PDF attached, their QR codes inline).
pub async fn resend(page: Page, Path(number): Path<String>, Form(f): Form<CsrfForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/orders") {
        return *refused;
    }
    let number = match serial_in_path("order", &number) {
        Ok(n) => n,
        Err(e) => return page.error(e),
    };
    let (order, _, _, _) = match load(&page, number) {
        Ok(loaded) => loaded,
        Err(e) => return page.error(e),
    };
    if order.status != aspk_domain::OrderStatus::Paid {
        return page.error(AppError::Conflict {
            code: aspk_domain::ConflictCode::AlreadyCancelled,
            detail: "a cancelled order's tickets are void: there is nothing to send".into(),
        });
    }
    if let Err(refused) = page.who.require_to(aspk_app::Action::EmailVisitors) {
        return page.error(refused);
    }
    // In the visitor's language when they ordered online, else the page's.
    let lang = page
        .state
        .node
        .held_order(number)
        .map_or_else(|| page.lang.code().to_owned(), |h| h.lang);
    let sent = page
        .state
        .node
        .queue_tickets_mail(number, None, &lang, &page.who.actor())
        .await;
    match sent {
        Ok(Some(_)) => redirect(&format!("/orders/{number}")),
        Ok(None) => page.error(AppError::invalid(
            "email",
            "the order has no e-mail address",
        )),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct PdfQuery {
    paper: Option<String>,
}

/// All live tickets of an order in one PDF, for the browser's print dialog.
pub async fn pdf(page: Page, Path(number): Path<String>, Query(q): Query<PdfQuery>) -> Response {
    if let Err(refused) = page.require_section("/orders") {
        return *refused;
    }
    let number = match serial_in_path("order", &number) {
        Ok(n) => n,
        Err(e) => return page.error(e),
    };
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
