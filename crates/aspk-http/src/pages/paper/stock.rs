//! The paper stock (managers): creating a batch, the ledger of its numbers, its PDF to
//! print, and the stock report as CSV.

use aspk_app::{AppError, NewBatch};
use aspk_domain::{format_ranges, StockMoveKind};
use aspk_render::StockLayout;
use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;

use super::super::frame::{form_field, redirect};
use super::super::reports::{attachment, text_cell};
use super::super::Page;
use super::{chosen_venue, render, sales::SaleForm, Notes};

/// Stock actions need the manager's right as well as the section.
fn check(page: &Page, fields: &[(String, String)]) -> Result<(), Box<Response>> {
    page.check_post(&form_field(fields, "csrf"), "/paper")?;
    page.require(aspk_app::Action::ManageStock)
}

/// The page again with a stock action's refusal.
fn refused(page: &Page, venue: &str, err: AppError) -> Response {
    if matches!(err, AppError::Forbidden(_) | AppError::Unauthenticated) {
        return page.error(err);
    }
    let Some(venue) = chosen_venue(page, Some(venue)) else {
        return page.error(err);
    };
    let notes = Notes {
        stock_note: Some((page.error_text(&err), true)),
        ..Notes::default()
    };
    let form = SaleForm {
        payment: "cash".into(),
        ..SaleForm::default()
    };
    render(
        page,
        &venue,
        None,
        form,
        notes,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

fn optional_date(raw: &str, field: &'static str) -> Result<Option<NaiveDate>, AppError> {
    match raw {
        "" => Ok(None),
        d => d
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "a date")),
    }
}

/// `POST /paper/batches`.
pub async fn create_batch(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    if let Err(refused) = check(&page, &fields) {
        return *refused;
    }
    let f = |name| form_field(&fields, name);
    let venue = f("venue");
    let new = (|| {
        Ok::<_, AppError>(NewBatch {
            venue: venue.clone(),
            series: f("series"),
            first: f("first"),
            last: f("last"),
            product: Some(f("product")).filter(|p| !p.is_empty()),
            valid_from: optional_date(&f("valid_from"), "valid_from")?,
            valid_until: optional_date(&f("valid_until"), "valid_until")?,
        })
    })();
    let made = match new {
        Ok(new) => page.state.node.create_stock_batch(&page.who, new).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(batch) => redirect(&format!(
            "/paper?venue={}&created={}#stock",
            batch.venue.as_str(),
            batch.id
        )),
        Err(e) => refused(&page, &venue, e),
    }
}

/// `POST /paper/batches/{id}/moves`.
pub async fn move_numbers(
    page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = check(&page, &fields) {
        return *refused;
    }
    let f = |name| form_field(&fields, name);
    let venue = f("venue");
    let Some(kind) = StockMoveKind::parse(&f("kind")) else {
        return refused(
            &page,
            &venue,
            AppError::invalid("kind", "choose a movement"),
        );
    };
    let cashier = f("cashier");
    let cashier = Some(cashier.as_str()).filter(|c| !c.is_empty());
    let moved = page
        .state
        .node
        .move_stock(&page.who, &id, &f("numbers"), kind, cashier, &f("note"))
        .await;
    match moved {
        Ok(n) => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("venue", &venue)
                .append_pair("moved", &n.to_string());
            redirect(&format!("/paper?{}#stock", q.finish()))
        }
        Err(e) => refused(&page, &venue, e),
    }
}

#[derive(Deserialize)]
pub struct PdfQuery {
    layout: Option<String>,
}

/// `GET /paper/batches/{id}/pdf?layout=sheet|page`: the batch's tickets to print.
pub async fn pdf(page: Page, Path(id): Path<String>, Query(q): Query<PdfQuery>) -> Response {
    if let Err(refused) = page.require_section("/paper") {
        return *refused;
    }
    let layout = match q.layout.as_deref() {
        Some("page") => StockLayout::OnePerPage,
        _ => StockLayout::Sheet,
    };
    match page.state.node.stock_pdf(&page.who, &id, layout).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"stock-{id}.pdf\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct CsvQuery {
    venue: Option<String>,
    sep: Option<String>,
}

/// `GET /paper/stock.csv`: the batches with their figures, then the numbers each cashier
/// holds. `;`-separated with a BOM for a Ukrainian spreadsheet (`?sep=comma`: commas).
pub async fn stock_csv(page: Page, Query(q): Query<CsvQuery>) -> Response {
    if let Err(refused) = page.require_section("/paper") {
        return *refused;
    }
    let venue = q.venue.as_deref().filter(|v| !v.is_empty());
    // The accountant's file: real stock only (a running drill's is on the page, marked).
    let batches = match page.state.node.stock_batches(&page.who, venue) {
        Ok(b) => b
            .into_iter()
            .filter(|b| b.batch.drill.is_none())
            .collect::<Vec<_>>(),
        Err(e) => return page.error(e),
    };
    let delimiter = if q.sep.as_deref() == Some("comma") {
        b','
    } else {
        b';'
    };
    match stock_table(&page, &batches, delimiter) {
        Ok(bytes) => attachment("text/csv; charset=utf-8", "paper-stock.csv", bytes),
        Err(e) => page.error(AppError::Internal(anyhow::anyhow!("writing CSV: {e}"))),
    }
}

/// A text cell a spreadsheet will not run as a formula.
fn cell(text: &str) -> String {
    text_cell(text).into_owned()
}

fn stock_table(
    page: &Page,
    batches: &[aspk_app::BatchSummary],
    delimiter: u8,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header = [
        "paper-csv-series",
        "paper-csv-first",
        "paper-csv-last",
        "paper-csv-total",
        "paper-csv-in-stock",
        "paper-csv-with-cashiers",
        "paper-csv-sold",
        "paper-csv-spoilt",
        "paper-csv-voided",
    ];
    out.write_record(header.iter().map(|k| cell(&page.t(k))))?;
    for s in batches {
        let (b, c) = (&s.batch, &s.counts);
        let width = b.width as usize;
        out.write_record([
            cell(&b.series),
            format!("{:0width$}", b.first),
            format!("{:0width$}", b.last),
            c.total.to_string(),
            c.in_stock.to_string(),
            c.with_cashiers.to_string(),
            c.sold.to_string(),
            c.spoilt.to_string(),
            c.voided.to_string(),
        ])?;
    }
    out.write_record([""])?;
    let header = [
        "paper-csv-cashier",
        "paper-csv-series",
        "paper-csv-in-hand",
        "paper-csv-count",
    ];
    out.write_record(header.iter().map(|k| cell(&page.t(k))))?;
    for s in batches {
        for c in &s.cashiers {
            out.write_record([
                cell(&c.cashier),
                cell(&c.series),
                cell(&format_ranges(&c.in_hand, s.batch.width)),
                c.in_hand_count.to_string(),
            ])?;
        }
    }
    let rows = out.into_inner().map_err(|e| e.into_error())?;
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(rows);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_that_look_like_formulas_are_not_run() {
        assert_eq!(super::cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(super::cell("-1"), "'-1");
        assert_eq!(super::cell("olena"), "olena");
    }
}
