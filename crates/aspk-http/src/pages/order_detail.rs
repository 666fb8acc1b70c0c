//! One order: its tickets with their state and entries, payments, prints, the full history
//! from the operation log, and the actions: cancel or refund (whole or per ticket),
//! reprint, resend the e-ticket e-mail.

use aspk_app::{AppError, CancelRequest};
use aspk_domain::{Order, Ticket, TicketStatus, Venue};
use aspk_oplog::{Op, OpBody, PrintRecord};
use aspk_render::{ticket_pdf, Paper};
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path, Query};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::frame::redirect;
use super::printing::{chosen_printer, order_docs, print_order};
use super::{escape, Page};

type Loaded = (
    Order,
    Option<Venue>,
    Vec<(Ticket, String)>,
    Vec<PrintRecord>,
);

fn load(page: &Page, number: u64) -> Option<Loaded> {
    page.state.node.read(|s| {
        let order = s.orders.get(&number)?.clone();
        let venue = s.venues.get(&order.venue).cloned();
        let tickets = order
            .tickets
            .iter()
            .filter_map(|t| s.tickets.get(t))
            .map(|t| {
                let name = s
                    .products
                    .get(&(t.venue.clone(), t.product.clone()))
                    .map(|p| p.name.get(page.lang.code()).to_owned())
                    .unwrap_or_else(|| t.product.to_string());
                (t.clone(), name)
            })
            .collect();
        let prints = s.prints.get(&number).cloned().unwrap_or_default();
        Some((order, venue, tickets, prints))
    })
}

fn not_found(number: u64) -> AppError {
    AppError::NotFound {
        what: "order",
        id: number.to_string(),
    }
}

pub async fn page(page: Page, Path(number): Path<u64>) -> Response {
    if let Err(refused) = page.require_section("/orders") {
        return *refused;
    }
    let Some((order, venue, tickets, prints)) = load(&page, number) else {
        return page.error(not_found(number));
    };
    let history = match page.state.node.order_history(&order).await {
        Ok(h) => h,
        Err(e) => return page.error(e),
    };
    let v = venue.as_ref();
    let cur = order.currency;
    let paid = order.status == aspk_domain::OrderStatus::Paid;
    let ticket_rows: String = tickets
        .iter()
        .map(|(t, name)| ticket_row(&page, t, name, v, paid))
        .collect();
    let payments: String = order
        .payments
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                page.time(p.at, v),
                page.e(&format!("payment-{}", p.method.as_str())),
                page.money(p.amount_minor, cur)
            )
        })
        .collect();
    let prints: String = prints
        .iter()
        .map(|p| {
            let what = if !p.error.is_empty() {
                page.t_args("print-failed", &[("error", p.error.as_str().into())])
            } else if p.reprint {
                page.t("print-reprinted")
            } else {
                page.t("print-printed")
            };
            format!(
                "<li>{} · {} · {} · {}</li>",
                page.time(p.at, v),
                escape(p.by.trim_start_matches("user:")),
                escape(&p.printer),
                escape(&what)
            )
        })
        .collect();
    let history: String = history.iter().map(|op| history_row(&page, op, v)).collect();
    let channel = order.channel.as_str();
    let actions = if paid {
        format!(
            "<form method=\"post\" action=\"/orders/{number}/cancel\" class=\"danger\">{csrf}\
             <label for=\"reason\">{reason_l}</label><input id=\"reason\" name=\"reason\" required>\
             <label class=\"check\"><input type=\"checkbox\" name=\"refund\" value=\"1\" checked> {refund_l}</label>\
             <button type=\"submit\" id=\"cancel-order\">{cancel_l}</button></form>",
            csrf = page.csrf_field(),
            reason_l = page.e("order-reason"),
            refund_l = page.e("order-refund"),
            cancel_l = page.e("order-cancel"),
        )
    } else {
        String::new()
    };
    let resend = if order.email.is_some() {
        format!(
            "<form method=\"post\" action=\"/orders/{number}/resend\" class=\"inline\">{}<button type=\"submit\" id=\"resend\">{}</button></form>",
            page.csrf_field(),
            page.e("order-resend")
        )
    } else {
        String::new()
    };
    let body = format!(
        "<dl><dt>{number_l}</dt><dd class=\"number\" id=\"order-number\">{num}</dd><dt>{status_l}</dt><dd id=\"order-status\">{status}</dd>\
         <dt>{channel_l}</dt><dd>{channel}</dd><dt>{time_l}</dt><dd>{created}</dd><dt>{by_l}</dt><dd>{by}</dd>\
         <dt>{name_l}</dt><dd>{name}</dd><dt>{email_l}</dt><dd>{email}</dd><dt>{total_l}</dt><dd>{total}</dd>{reason}</dl>\
         <h2>{tickets_l}</h2><table id=\"tickets\"><thead><tr><th>{number_l}</th><th>{product_l}</th><th>{visit_l}</th><th>{price_l}</th><th>{status_l}</th><th>{entries_l}</th><th></th></tr></thead><tbody>{ticket_rows}</tbody></table>\
         <h2>{payments_l}</h2><table><tbody>{payments}</tbody></table>\
         <h2>{prints_l}</h2><ul>{prints}</ul>\
         <p><form method=\"post\" action=\"/orders/{number}/print\" class=\"inline\">{csrf}<button type=\"submit\" id=\"reprint\">{reprint_l}</button></form> \
         <a href=\"/orders/{number}/pdf?paper=a4\">PDF A4</a> · <a href=\"/orders/{number}/pdf?paper=80mm\">PDF 80 mm</a> {resend}</p>\
         {actions}<h2>{history_l}</h2><ol class=\"history\" id=\"history\">{history}</ol>",
        number_l = page.e("orders-number"),
        num = HumanNumber::from_serial(number),
        status_l = page.e("orders-status"),
        status = page.e(&format!("order-status-{}", order.status.as_str())),
        channel_l = page.e("orders-channel"),
        channel = page.e(&format!("channel-{channel}")),
        time_l = page.e("orders-time"),
        created = page.time(order.created_at, v),
        by_l = page.e("order-by"),
        by = escape(order.created_by.as_deref().unwrap_or("").trim_start_matches("user:")),
        name_l = page.e("order-name"),
        name = escape(order.name.as_deref().unwrap_or("—")),
        email_l = page.e("orders-email"),
        email = escape(order.email.as_ref().map(|e| e.as_str()).unwrap_or("—")),
        total_l = page.e("box-total"),
        total = page.money(order.total_minor, cur),
        reason = order
            .cancel_reason
            .as_ref()
            .map(|r| format!("<dt>{}</dt><dd>{}</dd>", page.e("order-reason"), escape(r)))
            .unwrap_or_default(),
        tickets_l = page.e("report-tickets"),
        product_l = page.e("box-product"),
        visit_l = page.e("order-visit"),
        price_l = page.e("box-price"),
        entries_l = page.e("order-entries"),
        payments_l = page.e("order-payments"),
        prints_l = page.e("order-prints"),
        csrf = page.csrf_field(),
        reprint_l = page.e("print-again"),
        history_l = page.e("order-history"),
    );
    page.html(
        &page.t_args(
            "order-title",
            &[(
                "number",
                HumanNumber::from_serial(number).to_string().into(),
            )],
        ),
        &body,
    )
}

fn ticket_row(page: &Page, t: &Ticket, name: &str, v: Option<&Venue>, order_paid: bool) -> String {
    let status = match t.status {
        TicketStatus::Valid => "valid",
        TicketStatus::Used => "used",
        TicketStatus::Void => "void",
    };
    let entries: String = t
        .entries
        .iter()
        .map(|e| format!("{} · {}", page.time(e.at, v), escape(&e.gate)))
        .collect::<Vec<_>>()
        .join("<br>");
    let cancel = if order_paid && t.status != TicketStatus::Void {
        format!(
            "<form method=\"post\" action=\"/tickets/{serial}/cancel\" class=\"inline\">{csrf}\
             <input name=\"reason\" required aria-label=\"{reason_l}\" placeholder=\"{reason_l}\">\
             <label class=\"check\"><input type=\"checkbox\" name=\"refund\" value=\"1\" checked> {refund_l}</label>\
             <button type=\"submit\" class=\"cancel-ticket\">{cancel_l}</button></form>",
            serial = t.serial,
            csrf = page.csrf_field(),
            reason_l = page.e("order-reason"),
            refund_l = page.e("order-refund"),
            cancel_l = page.e("ticket-cancel"),
        )
    } else {
        String::new()
    };
    format!(
        "<tr data-ticket=\"{serial}\"><td class=\"number\">{num}</td><td>{name}</td><td>{visit}</td><td class=\"num\">{price}</td><td class=\"ticket-{status}\">{status_t}</td><td>{entries}</td><td>{cancel}</td></tr>",
        serial = t.serial,
        num = HumanNumber::from_serial(t.serial),
        name = escape(name),
        visit = page.time(t.valid_from, v),
        price = page.money(t.price_minor, v.map(|v| v.currency).unwrap_or(aspk_domain::Currency::UAH)),
        status_t = page.e(&format!("ticket-status-{status}")),
    )
}

fn history_row(page: &Page, op: &Op, v: Option<&Venue>) -> String {
    let what = match &op.body {
        OpBody::OrderPlaced(_) => page.t("history-placed"),
        OpBody::OrderCancelled { reason, refund, .. } => page.t_args(
            if refund.is_some() {
                "history-refunded"
            } else {
                "history-cancelled"
            },
            &[("reason", reason.as_str().into())],
        ),
        OpBody::TicketVoided { serial, reason, .. } => page.t_args(
            "history-ticket-voided",
            &[
                (
                    "ticket",
                    HumanNumber::from_serial(*serial).to_string().into(),
                ),
                ("reason", reason.as_str().into()),
            ],
        ),
        OpBody::EntryRecorded { serial, gate, .. } => page.t_args(
            "history-entry",
            &[
                (
                    "ticket",
                    HumanNumber::from_serial(*serial).to_string().into(),
                ),
                ("gate", gate.as_str().into()),
            ],
        ),
        OpBody::ScanDenied {
            serial,
            gate,
            reason,
            ..
        } => page.t_args(
            "history-denied",
            &[
                (
                    "ticket",
                    HumanNumber::from_serial(*serial).to_string().into(),
                ),
                ("gate", gate.as_str().into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        OpBody::OrderPrinted {
            printer,
            reprint,
            error,
            ..
        } => {
            let key = if !error.is_empty() {
                "history-print-failed"
            } else if *reprint {
                "history-reprinted"
            } else {
                "history-printed"
            };
            page.t_args(key, &[("printer", printer.as_str().into())])
        }
        OpBody::PassNotUsed { serial, gate, .. } => page.t_args(
            "history-pass-not-used",
            &[
                (
                    "ticket",
                    HumanNumber::from_serial(*serial).to_string().into(),
                ),
                ("gate", gate.as_str().into()),
            ],
        ),
        other => other.kind().to_owned(),
    };
    format!(
        "<li><time>{}</time> · <span class=\"actor\">{}</span> · {}</li>",
        page.time(op.hlc.to_datetime(), v),
        escape(op.actor.trim_start_matches("user:")),
        escape(&what)
    )
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
    if load(&page, number).is_none() {
        return page.error(not_found(number));
    }
    let printer = chosen_printer(&page, &headers);
    print_order(&page, number, &printer).await;
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .filter(|r| r.contains(&format!("/{number}")))
        .map(str::to_owned)
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
    let Some((order, _, tickets, _)) = load(&page, number) else {
        return page.error(not_found(number));
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
    let docs = order_docs(&page, number).await;
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
