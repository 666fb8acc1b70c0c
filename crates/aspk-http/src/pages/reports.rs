//! Reports for managers: sales by day, product, channel, payment method and cashier, and
//! attendance by slot (sold vs entered) as a server-drawn SVG chart; each table as CSV.

use askama::Template;
use aspk_app::{Report, Sales};
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::Page;

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    venue: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
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

/// A table: its id, header keys and rows of (label, sales).
struct Table {
    id: &'static str,
    title: &'static str,
    rows: Vec<(String, Sales)>,
}

fn tables(page: &Page, r: &Report) -> Vec<Table> {
    let lang = page.lang.code();
    vec![
        Table {
            id: "by-day",
            title: "report-by-day",
            rows: r
                .by_day
                .iter()
                .map(|(d, s)| (d.format("%d.%m.%Y").to_string(), s.clone()))
                .collect(),
        },
        Table {
            id: "by-product",
            title: "report-by-product",
            rows: r
                .by_product
                .iter()
                .map(|p| {
                    let cat = page.t(&format!("category-{}", p.category.as_str()));
                    (format!("{} ({cat})", p.name.get(lang)), p.sales.clone())
                })
                .collect(),
        },
        Table {
            id: "by-channel",
            title: "report-by-channel",
            rows: r
                .by_channel
                .iter()
                .map(|(c, s)| (page.t(&format!("channel-{c}")), s.clone()))
                .collect(),
        },
        Table {
            id: "by-method",
            title: "report-by-method",
            rows: r
                .by_method
                .iter()
                .map(|(m, s)| (page.t(&format!("payment-{m}")), s.clone()))
                .collect(),
        },
        Table {
            id: "by-cashier",
            title: "report-by-cashier",
            rows: r
                .by_cashier
                .iter()
                .map(|(c, s)| (c.trim_start_matches("user:").to_owned(), s.clone()))
                .collect(),
        },
    ]
}

/// The reports page: the range form, the totals, one table per breakdown, the attendance
/// chart and table, and the gates.
#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsView<'a> {
    page: &'a Page,
    title: String,
    venue: String,
    from: NaiveDate,
    to: NaiveDate,
    /// Net received, tickets and refunds over the range.
    net: String,
    tickets: u32,
    refunds: String,
    tables: Vec<SalesTable>,
    chart: Option<Chart>,
    attendance: Vec<AttendanceRow>,
    gates: Vec<GateRow>,
}

/// One sales table as shown: its id, the key of its heading and its rows.
struct SalesTable {
    id: &'static str,
    title: &'static str,
    rows: Vec<SalesRow>,
}

struct SalesRow {
    label: String,
    orders: u32,
    tickets: u32,
    amount: String,
    refunds: String,
}

struct AttendanceRow {
    starts: String,
    capacity: u32,
    sold: u32,
    entered: u32,
}

struct GateRow {
    gate: String,
    admitted: u32,
    unused: u32,
    denied: u32,
    /// "reason: count, …".
    reasons: String,
}

/// The attendance chart: its size and one group of bars per slot.
struct Chart {
    width: u32,
    height: u32,
    /// The width of one bar.
    bar: u32,
    bars: Vec<Bars>,
}

/// The bars of one slot: capacity (outline), sold (blue) and entered (green), in SVG
/// coordinates.
struct Bars {
    x: u32,
    capacity_y: u32,
    capacity_width: u32,
    capacity_height: u32,
    sold_y: u32,
    sold_height: u32,
    entered_x: u32,
    entered_y: u32,
    entered_height: u32,
    sold: u32,
    entered: u32,
    label_y: u32,
    label: String,
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
    let tables = tables(&page, &report)
        .into_iter()
        .map(|table| SalesTable {
            id: table.id,
            title: table.title,
            rows: table
                .rows
                .iter()
                .map(|(label, s)| SalesRow {
                    label: label.clone(),
                    orders: s.orders,
                    tickets: s.tickets,
                    amount: page.money(s.amount_minor, cur),
                    refunds: page.money(s.refunds_minor, cur),
                })
                .collect(),
        })
        .collect();
    let tz = report.venue.tz();
    let attendance = report
        .attendance
        .iter()
        .map(|a| AttendanceRow {
            starts: a
                .starts_at
                .with_timezone(&tz)
                .format("%d.%m %H:%M")
                .to_string(),
            capacity: a.capacity,
            sold: a.sold,
            entered: a.entered,
        })
        .collect();
    page.render(&ReportsView {
        page: &page,
        title: page.t("nav-reports"),
        venue: report.venue.id.as_str().to_owned(),
        from: report.from,
        to: report.to,
        net: page.money(report.total.net_minor(), cur),
        tickets: report.total.tickets,
        refunds: page.money(report.total.refunds_minor, cur),
        tables,
        chart: chart(&report),
        attendance,
        gates: gates(&report),
    })
}

/// Bars per slot, scaled to the largest capacity or sale; none without slots.
fn chart(r: &Report) -> Option<Chart> {
    if r.attendance.is_empty() {
        return None;
    }
    let tz = r.venue.tz();
    let max = r
        .attendance
        .iter()
        .map(|a| a.capacity.max(a.sold))
        .max()
        .unwrap_or(1)
        .max(1);
    let bar = 14u32;
    let gap = 10u32;
    let height = 160u32;
    let width = (bar * 2 + gap) * u32::try_from(r.attendance.len()).unwrap_or(1) + 40;
    let bars = r
        .attendance
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let x = 20 + u32::try_from(i).unwrap_or(0) * (bar * 2 + gap);
            let scale = |n: u32| n * height / max;
            let capacity_height = scale(a.capacity);
            let sold_height = scale(a.sold);
            let entered_height = scale(a.entered);
            Bars {
                x,
                capacity_y: height - capacity_height,
                capacity_width: bar * 2,
                capacity_height,
                sold_y: height - sold_height,
                sold_height,
                entered_x: x + bar,
                entered_y: height - entered_height,
                entered_height,
                sold: a.sold,
                entered: a.entered,
                label_y: height + 14,
                label: a.starts_at.with_timezone(&tz).format("%H:%M").to_string(),
            }
        })
        .collect();
    Some(Chart {
        width,
        height: height + 40,
        bar,
        bars,
    })
}

fn gates(r: &Report) -> Vec<GateRow> {
    r.by_gate
        .iter()
        .map(|(gate, c)| {
            // Plain text ("reason: count"), escaped by the template.
            let reasons: Vec<String> = c
                .denied
                .iter()
                .map(|(reason, n)| format!("{reason}: {n}"))
                .collect();
            GateRow {
                gate: gate.clone(),
                admitted: c.admitted,
                unused: c.unused,
                denied: c.denied.values().sum::<u32>(),
                reasons: reasons.join(", "),
            }
        })
        .collect()
}

/// A text cell a spreadsheet will not run: one that starts like a formula (`=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading `'`. Gate and device names are chosen
/// on a phone or a turnstile, so anything may arrive here.
fn text_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A CSV writer: comma-separated, quoting only what needs it. Cells with a `;` are quoted
/// too (that is the comment character to csv here), as spreadsheets set to a `;` list
/// separator split on it.
fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(b',')
        .comment(Some(b';'))
        .from_writer(Vec::new())
}

/// One table of the report as CSV rows: the header, then (text, numbers…) per row.
fn write_rows<'a>(
    header: &[&str],
    rows: impl Iterator<Item = (Vec<&'a str>, Vec<String>)>,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv_writer();
    out.write_record(header)?;
    for (texts, numbers) in rows {
        let cells = texts
            .into_iter()
            .map(text_cell)
            .chain(numbers.into_iter().map(Into::into));
        out.write_record(cells.map(|c| c.into_owned()))?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

fn minor_text(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.abs() / 100, minor.abs() % 100)
}

/// One table of the report as CSV (UTF-8 with BOM, so spreadsheets read Ukrainian right).
pub async fn csv(page: Page, Path(file): Path<String>, Query(q): Query<RangeQuery>) -> Response {
    if let Err(refused) = page.require_section("/reports") {
        return *refused;
    }
    let Some(id) = file.strip_suffix(".csv") else {
        return page.error(aspk_app::AppError::NotFound {
            what: "report",
            id: file,
        });
    };
    let report = match load(&page, &q) {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let tz = report.venue.tz();
    let written = if id == "by-gate" {
        write_rows(
            &["gate", "admitted", "unused", "denied"],
            report.by_gate.iter().map(|(gate, c)| {
                (
                    vec![gate.as_str()],
                    vec![
                        c.admitted.to_string(),
                        c.unused.to_string(),
                        c.denied.values().sum::<u32>().to_string(),
                    ],
                )
            }),
        )
    } else if id == "attendance" {
        let starts: Vec<String> = report
            .attendance
            .iter()
            .map(|a| {
                a.starts_at
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .collect();
        write_rows(
            &["slot", "starts_at", "capacity", "sold", "entered"],
            report.attendance.iter().zip(&starts).map(|(a, starts)| {
                (
                    vec![a.slot.as_str(), starts.as_str()],
                    vec![
                        a.capacity.to_string(),
                        a.sold.to_string(),
                        a.entered.to_string(),
                    ],
                )
            }),
        )
    } else {
        let Some(table) = tables(&page, &report).into_iter().find(|t| t.id == id) else {
            return page.error(aspk_app::AppError::NotFound {
                what: "report",
                id: id.to_owned(),
            });
        };
        let currency = report.venue.currency.as_str();
        write_rows(
            &[
                table.id.trim_start_matches("by-"),
                "orders",
                "tickets",
                "amount",
                "refunds",
                "currency",
            ],
            table.rows.iter().map(|(label, s)| {
                (
                    vec![label.as_str()],
                    vec![
                        s.orders.to_string(),
                        s.tickets.to_string(),
                        minor_text(s.amount_minor),
                        minor_text(s.refunds_minor),
                        currency.to_owned(),
                    ],
                )
            }),
        )
    };
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            return page.error(aspk_app::AppError::Internal(anyhow::anyhow!(
                "writing a CSV report: {e}"
            )))
        }
    };
    // UTF-8 with a BOM, so spreadsheets read Ukrainian right.
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(rows);
    let name = format!(
        "attachment; filename=\"{id}-{}-{}.csv\"",
        report.from, report.to
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(label: &str, amount: &str) -> String {
        let rows = std::iter::once((vec![label], vec![amount.to_owned()]));
        String::from_utf8(write_rows(&["label", "amount"], rows).unwrap()).unwrap()
    }

    #[test]
    fn formula_cells_become_text_and_numbers_stay_numbers() {
        assert_eq!(csv_of("=1+1", "-5.00"), "label,amount\n'=1+1,-5.00\n");
        assert_eq!(csv_of("\tcmd", "1"), "label,amount\n'\tcmd,1\n");
        assert_eq!(csv_of("\rcmd", "1"), "label,amount\n\"'\rcmd\",1\n");
        assert_eq!(csv_of("-", "1"), "label,amount\n'-,1\n");
        assert_eq!(
            csv_of("@A1,\"x\"", "1"),
            "label,amount\n\"'@A1,\"\"x\"\"\",1\n"
        );
        assert_eq!(
            csv_of("Каса; ранок", "1"),
            "label,amount\n\"Каса; ранок\",1\n"
        );
        assert_eq!(csv_of("main", "1"), "label,amount\nmain,1\n");
    }
}
