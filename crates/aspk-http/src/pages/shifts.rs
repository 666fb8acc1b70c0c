//! Cash shifts: open with a float, close with the cash counted, and the Z report.

use askama::Template;
use aspk_app::ZReport;
use axum::extract::{Form, Path};
use axum::response::Response;
use serde::Deserialize;

use super::confirm::{self, Question};
use super::frame::redirect;
use super::Page;

#[derive(Deserialize)]
pub struct OpenForm {
    csrf: String,
    venue: String,
    float: String,
}

pub async fn open(page: Page, Form(f): Form<OpenForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/shifts") {
        return *refused;
    }
    let Some(float) = aspk_domain::parse_amount_minor(&f.float) else {
        return page.error(aspk_app::AppError::invalid(
            "float",
            "type an amount such as 500 or 500,00",
        ));
    };
    match page.state.node.open_shift(&page.who, &f.venue, float).await {
        Ok(_) => redirect(&format!("/box-office?venue={}", f.venue)),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct CloseForm {
    csrf: String,
    counted: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirmed: Option<String>,
}

/// Closes the cashier's shift, once confirmed with the cash expected, counted and the
/// difference in view. A bad amount comes back next to its field, the form kept.
pub async fn close(page: Page, Form(f): Form<CloseForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/shifts") {
        return *refused;
    }
    let Some(counted) = aspk_domain::parse_amount_minor(&f.counted) else {
        let refused =
            aspk_app::AppError::invalid("counted", "type the cash counted, such as 1250,50");
        return list_with(&page, Some(&f), Some(refused));
    };
    if !confirm::is_confirmed(f.confirmed.as_deref()) {
        return ask_to_close(&page, &f, counted);
    }
    match page
        .state
        .node
        .close_shift(&page.who, counted, &f.note)
        .await
    {
        Ok(report) => redirect(&format!("/shifts/{}", report.shift.id)),
        Err(e) => list_with(&page, Some(&f), Some(e)),
    }
}

/// "Close the shift? Expected …, counted …, difference …".
fn ask_to_close(page: &Page, f: &CloseForm, counted: i64) -> Response {
    let Some(report) = page
        .state
        .node
        .open_shift_of(&page.who)
        .and_then(|s| page.state.node.shift_report(&page.who, &s.id).ok())
    else {
        return list_with(page, Some(f), Some(no_open_shift()));
    };
    let cur = report.shift.currency;
    let m = |minor: i64| page.money(minor, cur);
    let mut facts = vec![
        page.t_args(
            "shift-expected",
            &[("amount", m(report.expected_cash_minor).into())],
        ),
        page.t_args("confirm-counted", &[("amount", m(counted).into())]),
        page.t_args(
            "confirm-difference",
            &[("amount", m(counted - report.expected_cash_minor).into())],
        ),
    ];
    if !f.note.trim().is_empty() {
        facts.push(page.t_args("confirm-note", &[("note", f.note.trim().into())]));
    }
    confirm::ask(
        page,
        Question {
            question: page.t("confirm-close-shift"),
            facts,
            action: "/shifts/close".to_owned(),
            fields: vec![
                ("counted".to_owned(), f.counted.clone()),
                ("note".to_owned(), f.note.clone()),
            ],
            yes: page.t("shift-close"),
            back: "/shifts".to_owned(),
        },
    )
}

fn no_open_shift() -> aspk_app::AppError {
    aspk_app::AppError::Conflict {
        code: aspk_domain::ConflictCode::NoOpenShift,
        detail: "you have no open shift".into(),
    }
}

#[derive(Template)]
#[template(path = "shifts.html")]
struct ShiftsView<'a> {
    page: &'a Page,
    title: String,
    /// The cashier's open shift: the cash expected in the drawer ("Expected: 1 125,00 грн").
    expected: Option<String>,
    /// The open shift's interim (X) report.
    open_id: Option<String>,
    /// What was typed into the close form, kept after a refusal.
    counted: String,
    note: String,
    /// A refused close: its message, and the field it is about (`counted`, `note`, or none).
    error: Option<String>,
    error_field: &'static str,
    shifts: Vec<ShiftRow>,
}

struct ShiftRow {
    id: String,
    opened: String,
    /// When it closed, or "still open".
    closed: String,
    cashier: String,
    float: String,
}

/// The cashier's shifts (managers: everyone's) and the form to close the open one.
pub async fn list(page: Page) -> Response {
    if let Err(refused) = page.require_section("/shifts") {
        return *refused;
    }
    list_with(&page, None, None)
}

/// The shifts page, with the close form as it was posted and why it was refused.
fn list_with(page: &Page, form: Option<&CloseForm>, error: Option<aspk_app::AppError>) -> Response {
    let shifts = page.state.node.shifts(&page.who, 100);
    let open = page.state.node.open_shift_of(&page.who);
    let open_id = open.as_ref().map(|s| s.id.clone());
    let expected = open.and_then(|shift| {
        let report = page.state.node.shift_report(&page.who, &shift.id).ok()?;
        Some(
            page.t_args(
                "shift-expected",
                &[(
                    "amount",
                    page.money(report.expected_cash_minor, shift.currency)
                        .into(),
                )],
            ),
        )
    });
    let shifts = shifts
        .iter()
        .map(|s| ShiftRow {
            id: s.id.clone(),
            opened: page.time(s.opened_at, None),
            closed: s
                .closed_at
                .map(|c| page.time(c, None))
                .unwrap_or_else(|| page.t("shift-still-open")),
            cashier: page.actor_label(&s.cashier),
            float: page.money(s.float_minor, s.currency),
        })
        .collect();
    let error_field = match error.as_ref().and_then(super::frame::error_field) {
        Some("note") => "note",
        Some(_) => "counted",
        None => "",
    };
    let error_text = error.as_ref().map(|e| page.error_text(e));
    let status = error.map_or(axum::http::StatusCode::OK, |e| {
        crate::ApiError::from(e).status
    });
    let view = ShiftsView {
        page,
        title: page.t("nav-shifts"),
        expected,
        open_id,
        counted: form.map(|f| f.counted.clone()).unwrap_or_default(),
        note: form.map(|f| f.note.clone()).unwrap_or_default(),
        error: error_text,
        error_field,
        shifts,
    };
    page.render_with(status, &view)
}

#[derive(Template)]
#[template(path = "shifts_report.html")]
struct ZReportView<'a> {
    page: &'a Page,
    title: String,
    cashier: String,
    opened: String,
    /// "Closed at …", or "still open".
    status: String,
    products: Vec<ZProductRow>,
    methods: Vec<ZMethodRow>,
    orders: u32,
    sales: String,
    refunds: String,
    /// The refunds paid back in the shift, one by one.
    refund_rows: Vec<ZRefundRow>,
    net: String,
    /// The note typed at the close (empty: none).
    note: String,
    /// The final report of a closed shift (else an interim X report).
    is_final: bool,
    float: String,
    expected: String,
    /// The cash counted, or "—" while open.
    counted: String,
    /// Counted minus expected, or "—" while open.
    difference: String,
}

struct ZProductRow {
    name: String,
    category: String,
    tickets: u32,
    amount: String,
}

struct ZRefundRow {
    at: String,
    /// The order's number as printed, and its serial for the link.
    order: String,
    serial: u64,
    method: String,
    amount: String,
    /// "sold in another shift" / "online order", or empty.
    origin: String,
}

struct ZMethodRow {
    /// The payment method's name ("cash"), for the cell's id.
    method: &'static str,
    label: String,
    amount: String,
}

/// The Z report of a shift: printable.
pub async fn report(page: Page, Path(id): Path<String>) -> Response {
    if let Err(refused) = page.require_section("/shifts") {
        return *refused;
    }
    match page.state.node.shift_report(&page.who, &id) {
        Ok(report) => page.render(&z_report_view(&page, &report)),
        Err(e) => page.error(e),
    }
}

fn z_report_view<'a>(page: &'a Page, r: &ZReport) -> ZReportView<'a> {
    let cur = r.shift.currency;
    let m = |minor: i64| page.money(minor, cur);
    let lang = page.lang.code();
    let products = r
        .by_product
        .iter()
        .map(|p| ZProductRow {
            name: p.name.get(lang).to_owned(),
            category: page.t(&format!("category-{}", p.category.as_str())),
            tickets: p.tickets,
            amount: m(p.amount_minor),
        })
        .collect();
    let methods = r
        .by_method
        .iter()
        .map(|(&method, amount)| ZMethodRow {
            method,
            label: page.t(&format!("payment-{method}")),
            amount: m(*amount),
        })
        .collect();
    let status = match r.shift.closed_at {
        Some(at) => page.t_args("shift-closed-at", &[("time", page.time(at, None).into())]),
        None => page.t("shift-still-open"),
    };
    let refund_rows = r
        .refunds
        .iter()
        .map(|line| ZRefundRow {
            at: page.time(line.at, None),
            order: aspk_ticket::HumanNumber::from_serial(line.order).to_string(),
            serial: line.order,
            method: page.t(&format!("payment-{}", line.method.as_str())),
            amount: m(line.amount_minor),
            origin: if line.is_from_elsewhere {
                page.t("shift-refund-from-elsewhere")
            } else {
                String::new()
            },
        })
        .collect();
    ZReportView {
        page,
        title: page.t(if r.is_final() {
            "shift-z-title"
        } else {
            "shift-x-title"
        }),
        cashier: page.actor_label(&r.shift.cashier),
        opened: page.time(r.shift.opened_at, None),
        status,
        products,
        methods,
        orders: r.orders,
        sales: m(r.sales_minor()),
        refunds: m(r.refunds_minor),
        refund_rows,
        net: m(r.net_minor()),
        note: r.shift.note.clone(),
        is_final: r.is_final(),
        float: m(r.shift.float_minor),
        expected: m(r.expected_cash_minor),
        counted: r.shift.counted_minor.map(m).unwrap_or_else(|| "—".into()),
        difference: r.difference_minor().map(m).unwrap_or_else(|| "—".into()),
    }
}
