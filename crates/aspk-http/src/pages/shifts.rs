//! Cash shifts: open with a float, close with the cash counted, and the Z report.

use askama::Template;
use aspk_app::ZReport;
use axum::extract::{Form, Path};
use axum::response::Response;
use serde::Deserialize;

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
}

pub async fn close(page: Page, Form(f): Form<CloseForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/shifts") {
        return *refused;
    }
    let Some(counted) = aspk_domain::parse_amount_minor(&f.counted) else {
        return page.error(aspk_app::AppError::invalid(
            "counted",
            "type the cash counted, such as 1250,50",
        ));
    };
    match page
        .state
        .node
        .close_shift(&page.who, counted, &f.note)
        .await
    {
        Ok(report) => redirect(&format!("/shifts/{}", report.shift.id)),
        Err(e) => page.error(e),
    }
}

#[derive(Template)]
#[template(path = "shifts.html")]
struct ShiftsView<'a> {
    page: &'a Page,
    title: String,
    /// The cashier's open shift: the cash expected in the drawer ("Expected: 1 125,00 грн").
    expected: Option<String>,
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
    let shifts = page.state.node.shifts(&page.who, 100);
    let open = page.state.node.open_shift_of(&page.who);
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
            cashier: s.cashier.trim_start_matches("user:").to_owned(),
            float: page.money(s.float_minor, s.currency),
        })
        .collect();
    page.render(&ShiftsView {
        page: &page,
        title: page.t("nav-shifts"),
        expected,
        shifts,
    })
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
    ZReportView {
        page,
        title: page.t("shift-z-title"),
        cashier: r.shift.cashier.trim_start_matches("user:").to_owned(),
        opened: page.time(r.shift.opened_at, None),
        status,
        products,
        methods,
        orders: r.orders,
        sales: m(r.sales_minor()),
        refunds: m(r.refunds_minor),
        float: m(r.shift.float_minor),
        expected: m(r.expected_cash_minor),
        counted: r.shift.counted_minor.map(m).unwrap_or_else(|| "—".into()),
        difference: r.difference_minor().map(m).unwrap_or_else(|| "—".into()),
    }
}
