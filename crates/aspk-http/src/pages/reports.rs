//! Reports for managers: sales by day, ticket type, channel, payment method and cashier
//! (gross, refunds and net in every table), attendance (sold vs entered) as a server-drawn
//! SVG chart, and decisions by gate; each table downloads as CSV, all of them as XLSX.
//!
//! Every table is built once as a [`Sheet`] of typed cells, so the page, the CSV and the
//! XLSX show the same columns in the same order, and every row has a cell per header.

mod chart;
mod export;

use askama::Template;
use aspk_app::{Report, Sales};
use axum::extract::Query;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::Page;
use chart::Chart;
pub use export::download as csv;
pub(crate) use export::{attachment, text_cell};

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    venue: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// `comma` for comma-separated CSV with a decimal point; else `;` and a decimal comma.
    sep: Option<String>,
}

fn load(page: &Page, q: &RangeQuery) -> Result<Report, aspk_app::AppError> {
    let venue = q
        .venue
        .clone()
        .or_else(|| page.state.node.venue_or_first(None))
        .unwrap_or_default();
    let to = q.to.unwrap_or_else(|| page.state.node.today_at(&venue));
    let from = q.from.unwrap_or(to - Duration::days(6));
    page.state.node.report(&page.who, &venue, from, to)
}

/// One cell of a table, typed so a spreadsheet gets numbers as numbers.
pub(crate) enum Cell {
    Text(String),
    Count(u32),
    Money(i64),
}

/// One table of the report: its id (the CSV's name), its title, its header and its rows.
pub(crate) struct Sheet {
    pub id: &'static str,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// The column sums (sales tables only).
    pub total: Option<Vec<Cell>>,
    /// How many columns after the first hold numbers (the rest hold text).
    pub numbers: usize,
}

impl Sheet {
    /// Whether column `i` holds numbers (its header then sits right, over them).
    fn is_numeric(&self, i: usize) -> bool {
        (1..=self.numbers).contains(&i)
    }
}

/// The header of a sales table: its row label, then the counts and the money.
fn sales_header(page: &Page, label: &str, currency: &str) -> Vec<String> {
    let cur = |key: &str| page.t_args(key, &[("currency", currency.into())]);
    vec![
        page.t(label),
        page.t("report-orders"),
        page.t("report-tickets"),
        cur("report-col-gross"),
        cur("report-col-refunds"),
        cur("report-col-net"),
    ]
}

fn sales_cells(label: String, s: &Sales) -> Vec<Cell> {
    vec![
        Cell::Text(label),
        Cell::Count(s.orders),
        Cell::Count(s.tickets),
        Cell::Money(s.amount_minor),
        Cell::Money(s.refunds_minor),
        Cell::Money(s.net_minor()),
    ]
}

fn sales_sheet(
    page: &Page,
    r: &Report,
    (id, title, label): (&'static str, &str, &str),
    rows: Vec<(String, &Sales)>,
) -> Sheet {
    let mut sum = Sales::default();
    for (_, s) in &rows {
        sum.orders += s.orders;
        sum.tickets += s.tickets;
        sum.amount_minor += s.amount_minor;
        sum.refunds_minor += s.refunds_minor;
    }
    Sheet {
        id,
        title: page.t(title),
        header: sales_header(page, label, r.venue.currency.symbol(page.lang.code())),
        rows: rows
            .into_iter()
            .map(|(label, s)| sales_cells(label, s))
            .collect(),
        total: Some(sales_cells(page.t("report-total-row"), &sum)),
        numbers: 5,
    }
}

/// All the tables of the report, in the page's language.
pub(crate) fn sheets(page: &Page, r: &Report) -> Vec<Sheet> {
    let lang = page.lang.code();
    let tz = r.venue.tz();
    let days = r
        .by_day
        .iter()
        .map(|(d, s)| (d.format("%d.%m.%Y").to_string(), s))
        .collect();
    let products = r
        .by_product
        .iter()
        .map(|p| {
            let cat = page.t(&format!("category-{}", p.category.as_str()));
            (format!("{} ({cat})", p.name.get(lang)), &p.sales)
        })
        .collect();
    let channels = r
        .by_channel
        .iter()
        .map(|(c, s)| (page.t(&format!("channel-{c}")), s))
        .collect();
    let methods = r
        .by_method
        .iter()
        .map(|(m, s)| (page.t(&format!("payment-{m}")), s))
        .collect();
    let cashiers = r
        .by_cashier
        .iter()
        .map(|(c, s)| (page.actor_label(c), s))
        .collect();
    vec![
        sales_sheet(page, r, ("by-day", "report-by-day", "report-col-day"), days),
        sales_sheet(
            page,
            r,
            ("by-product", "report-by-product", "report-col-product"),
            products,
        ),
        sales_sheet(
            page,
            r,
            ("by-channel", "report-by-channel", "report-col-channel"),
            channels,
        ),
        sales_sheet(
            page,
            r,
            ("by-method", "report-by-method", "report-col-method"),
            methods,
        ),
        sales_sheet(
            page,
            r,
            ("by-cashier", "report-by-cashier", "report-col-cashier"),
            cashiers,
        ),
        attendance_sheet(page, r, tz),
        gates_sheet(page, r),
    ]
}

fn attendance_sheet(page: &Page, r: &Report, tz: chrono_tz::Tz) -> Sheet {
    Sheet {
        id: "attendance",
        title: page.t("report-attendance"),
        header: vec![
            page.t("report-col-slot"),
            page.t("report-capacity"),
            page.t("report-sold"),
            page.t("report-entered"),
        ],
        rows: r
            .attendance
            .iter()
            .map(|a| {
                let starts = a.starts_at.with_timezone(&tz).format("%d.%m.%Y %H:%M");
                vec![
                    Cell::Text(starts.to_string()),
                    Cell::Count(a.capacity),
                    Cell::Count(a.sold),
                    Cell::Count(a.entered),
                ]
            })
            .collect(),
        total: None,
        numbers: 3,
    }
}

fn gates_sheet(page: &Page, r: &Report) -> Sheet {
    Sheet {
        id: "by-gate",
        title: page.t("report-by-gate"),
        header: vec![
            page.t("report-gate"),
            page.t("report-admitted"),
            page.t("report-unused"),
            page.t("report-denied"),
            page.t("report-reasons"),
        ],
        rows: r
            .by_gate
            .iter()
            .map(|(gate, c)| {
                let reasons: Vec<String> = c
                    .denied
                    .iter()
                    .map(|(reason, n)| {
                        let label = page
                            .scan_result_label(reason)
                            .unwrap_or_else(|| page.t("report-reason-other"));
                        format!("{label}: {n}")
                    })
                    .collect();
                vec![
                    Cell::Text(gate.clone()),
                    Cell::Count(c.admitted),
                    Cell::Count(c.unused),
                    Cell::Count(c.denied.values().sum::<u32>()),
                    Cell::Text(reasons.join(", ")),
                ]
            })
            .collect(),
        total: None,
        numbers: 3,
    }
}

/// A scanner's refusal reason (a scan result code such as `already_used`) in words.
/// A table as the page shows it: header cells and rows of (text, is a number).
struct HtmlTable {
    id: &'static str,
    title: String,
    header: Vec<HtmlCell>,
    rows: Vec<Vec<HtmlCell>>,
    total: Option<Vec<HtmlCell>>,
}

struct HtmlCell {
    text: String,
    num: bool,
}

fn html_row(page: &Page, r: &Report, cells: &[Cell]) -> Vec<HtmlCell> {
    cells
        .iter()
        .map(|c| match c {
            Cell::Text(t) => HtmlCell {
                text: t.clone(),
                num: false,
            },
            Cell::Count(n) => HtmlCell {
                text: n.to_string(),
                num: true,
            },
            Cell::Money(m) => HtmlCell {
                text: page.money(*m, r.venue.currency),
                num: true,
            },
        })
        .collect()
}

fn html_table(page: &Page, r: &Report, sheet: &Sheet) -> HtmlTable {
    let header = sheet
        .header
        .iter()
        .enumerate()
        .map(|(i, text)| HtmlCell {
            text: text.clone(),
            num: sheet.is_numeric(i),
        })
        .collect();
    HtmlTable {
        id: sheet.id,
        title: sheet.title.clone(),
        header,
        rows: sheet
            .rows
            .iter()
            .map(|row| html_row(page, r, row))
            .collect(),
        total: sheet.total.as_ref().map(|row| html_row(page, r, row)),
    }
}

/// The reports page: the range form, the headline, the downloads, one table per
/// breakdown, the attendance chart and the gates.
#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsView<'a> {
    page: &'a Page,
    title: String,
    venue: String,
    from: NaiveDate,
    to: NaiveDate,
    gross: String,
    refunds: String,
    net: String,
    tickets: u32,
    /// "Refunds of used tickets: …", when there were any.
    used_refunds: Option<String>,
    tables: Vec<HtmlTable>,
    chart: Option<Chart>,
}

pub async fn page(page: Page, Query(q): Query<RangeQuery>) -> Response {
    if let Err(refused) = page.require_section("/reports") {
        return *refused;
    }
    let report = match load(&page, &q) {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let cur = report.venue.currency;
    let used = &report.used_refunds;
    let used_refunds = (used.tickets > 0).then(|| {
        page.t_args(
            "report-used-refunds",
            &[
                ("tickets", used.tickets.into()),
                ("amount", page.money(used.refunds_minor, cur).into()),
            ],
        )
    });
    let tables = sheets(&page, &report)
        .iter()
        .map(|s| html_table(&page, &report, s))
        .collect();
    page.render(&ReportsView {
        page: &page,
        title: page.t("nav-reports"),
        venue: report.venue.id.as_str().to_owned(),
        from: report.from,
        to: report.to,
        gross: page.money(report.total.amount_minor, cur),
        refunds: page.money(report.total.refunds_minor, cur),
        net: page.money(report.total.net_minor(), cur),
        tickets: report.total.tickets,
        used_refunds,
        tables,
        chart: chart::chart(&report),
    })
}
