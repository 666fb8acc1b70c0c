//! Reports for managers: sales by day, product, channel, payment method and cashier, and
//! attendance by slot (sold vs entered) as a server-drawn SVG chart; each table as CSV.

use aspk_app::{Report, Sales};
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::{escape, Page};

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    venue: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

fn load(page: &Page, q: &RangeQuery) -> Result<Report, aspk_app::AppError> {
    let venue = q.venue.clone().or_else(|| {
        page.state
            .node
            .read(|s| s.venues.keys().next().map(|v| v.as_str().to_owned()))
    });
    let venue = venue.unwrap_or_default();
    let now = page.state.node.now();
    let today = page.state.node.read(|s| {
        aspk_domain::Slug::parse("venue", &venue)
            .ok()
            .and_then(|id| s.venues.get(&id).map(|v| aspk_app::local_today(v, now)))
    });
    let today = today.unwrap_or_else(|| now.date_naive());
    let to = q.to.unwrap_or(today);
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

pub async fn page(page: Page, Query(q): Query<RangeQuery>) -> Response {
    if let Err(refused) = page.require_section("/reports") {
        return *refused;
    }
    let report = match load(&page, &q) {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let cur = report.venue.currency;
    let range = format!(
        "from={}&to={}&venue={}",
        report.from, report.to, report.venue.id
    );
    let mut body = format!(
        "<form method=\"get\" action=\"/reports\" class=\"filters\"><input type=\"hidden\" name=\"venue\" value=\"{venue}\">\
         <label for=\"from\">{from_l}</label><input id=\"from\" name=\"from\" type=\"date\" value=\"{from}\">\
         <label for=\"to\">{to_l}</label><input id=\"to\" name=\"to\" type=\"date\" value=\"{to}\">\
         <button type=\"submit\">{show_l}</button></form>\
         <p class=\"total\" id=\"report-total\">{total_l}: {total} · {tickets}: {count} · {refunds_l}: {refunds}</p>",
        venue = escape(report.venue.id.as_str()),
        from_l = page.e("report-from"),
        to_l = page.e("report-to"),
        from = report.from,
        to = report.to,
        show_l = page.e("report-show"),
        total_l = page.e("report-net"),
        total = page.money(report.total.net_minor(), cur),
        tickets = page.e("report-tickets"),
        count = report.total.tickets,
        refunds_l = page.e("shift-refunds"),
        refunds = page.money(report.total.refunds_minor, cur),
    );
    for table in tables(&page, &report) {
        let rows: String = table
            .rows
            .iter()
            .map(|(label, s)| {
                format!(
                    "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    escape(label),
                    s.orders,
                    s.tickets,
                    page.money(s.amount_minor, cur),
                    page.money(s.refunds_minor, cur)
                )
            })
            .collect();
        body.push_str(&format!(
            "<section><h2>{title}</h2><table id=\"{id}\"><thead><tr><th></th><th>{orders}</th><th>{tickets}</th><th>{amount}</th><th>{refunds}</th></tr></thead><tbody>{rows}</tbody></table>\
             <p><a href=\"/reports/{id}.csv?{range}\" download>CSV</a></p></section>",
            title = page.e(table.title),
            id = table.id,
            orders = page.e("report-orders"),
            tickets = page.e("report-tickets"),
            amount = page.e("report-amount"),
            refunds = page.e("shift-refunds"),
        ));
    }
    body.push_str(&attendance_html(&page, &report, &range));
    body.push_str(&gates_html(&page, &report, &range));
    page.html(&page.t("nav-reports"), &body)
}

fn attendance_html(page: &Page, r: &Report, range: &str) -> String {
    let tz = r.venue.tz();
    let rows: String = r
        .attendance
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                a.starts_at.with_timezone(&tz).format("%d.%m %H:%M"),
                a.capacity,
                a.sold,
                a.entered
            )
        })
        .collect();
    format!(
        "<section><h2>{title}</h2>{chart}<table id=\"attendance\"><thead><tr><th>{slot}</th><th>{cap}</th><th>{sold}</th><th>{entered}</th></tr></thead><tbody>{rows}</tbody></table>\
         <p><a href=\"/reports/attendance.csv?{range}\" download>CSV</a></p></section>",
        title = page.e("report-attendance"),
        chart = attendance_svg(page, r),
        slot = page.e("box-slot"),
        cap = page.e("report-capacity"),
        sold = page.e("report-sold"),
        entered = page.e("report-entered"),
    )
}

/// Bars per slot: capacity (outline), sold (blue) and entered (green).
fn attendance_svg(page: &Page, r: &Report) -> String {
    if r.attendance.is_empty() {
        return String::new();
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
    let mut svg = format!(
        "<svg id=\"attendance-chart\" role=\"img\" aria-label=\"{label}\" viewBox=\"0 0 {width} {h}\" width=\"{width}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        label = page.e("report-attendance"),
        h = height + 40
    );
    for (i, a) in r.attendance.iter().enumerate() {
        let x = 20 + u32::try_from(i).unwrap_or(0) * (bar * 2 + gap);
        let scale = |n: u32| n * height / max;
        let cap_h = scale(a.capacity);
        let sold_h = scale(a.sold);
        let entered_h = scale(a.entered);
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{cy}\" width=\"{w}\" height=\"{cap_h}\" fill=\"none\" stroke=\"#999\"/>\
             <rect class=\"sold\" x=\"{x}\" y=\"{sy}\" width=\"{bar}\" height=\"{sold_h}\" fill=\"#1d3557\"><title>{sold_t}: {sold}</title></rect>\
             <rect class=\"entered\" x=\"{ex}\" y=\"{ey}\" width=\"{bar}\" height=\"{entered_h}\" fill=\"#2a9d8f\"><title>{entered_t}: {entered}</title></rect>\
             <text x=\"{x}\" y=\"{ty}\" font-size=\"10\">{label}</text>",
            cy = height - cap_h,
            w = bar * 2,
            sy = height - sold_h,
            ex = x + bar,
            ey = height - entered_h,
            sold_t = page.e("report-sold"),
            sold = a.sold,
            entered_t = page.e("report-entered"),
            entered = a.entered,
            ty = height + 14,
            label = a.starts_at.with_timezone(&tz).format("%H:%M"),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn gates_html(page: &Page, r: &Report, range: &str) -> String {
    let rows: String = r
        .by_gate
        .iter()
        .map(|(gate, c)| {
            let reasons: Vec<String> = c
                .denied
                .iter()
                .map(|(reason, n)| format!("{reason}: {n}"))
                .collect();
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(gate),
                c.admitted,
                c.unused,
                c.denied.values().sum::<u32>(),
                escape(&reasons.join(", "))
            )
        })
        .collect();
    format!(
        "<section><h2>{title}</h2><table id=\"by-gate\"><thead><tr><th>{gate}</th><th>{admitted}</th><th>{unused}</th><th>{denied}</th><th>{reasons}</th></tr></thead><tbody>{rows}</tbody></table>\
         <p><a href=\"/reports/by-gate.csv?{range}\" download>CSV</a></p></section>",
        title = page.e("report-by-gate"),
        gate = page.e("report-gate"),
        admitted = page.e("report-admitted"),
        unused = page.e("report-unused"),
        denied = page.e("report-denied"),
        reasons = page.e("report-reasons"),
    )
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
