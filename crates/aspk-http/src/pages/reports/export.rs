//! The report as files: one table as CSV (for a Ukrainian-locale spreadsheet by default:
//! `;`-separated, decimal comma, UTF-8 with a BOM, CRLF lines; `?sep=comma` gives
//! comma-separated with a decimal point), or every table as XLSX, one sheet per table,
//! money as numbers with a money format.

use aspk_app::AppError;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{load, sheets, Cell, RangeQuery, Sheet};
use crate::pages::Page;

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The name of the workbook of every table.
const WORKBOOK: &str = "report.xlsx";

/// How a CSV separates cells and writes the decimals of money.
#[derive(Clone, Copy)]
struct Style {
    delimiter: u8,
    decimal: char,
}

impl Style {
    fn of(q: &RangeQuery) -> Style {
        match q.sep.as_deref() {
            Some("comma") => Style {
                delimiter: b',',
                decimal: '.',
            },
            _ => Style {
                delimiter: b';',
                decimal: ',',
            },
        }
    }
}

/// `/reports/{table}.csv` or `/reports/report.xlsx`.
pub async fn download(
    page: Page,
    Path(file): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Response {
    if let Err(refused) = page.require_section("/reports") {
        return *refused;
    }
    let not_found = |id: &str| {
        page.error(AppError::NotFound {
            what: "report",
            id: id.to_owned(),
        })
    };
    let is_xlsx = file == WORKBOOK;
    let Some(id) = file.strip_suffix(".csv").or(is_xlsx.then_some("")) else {
        return not_found(&file);
    };
    let report = match load(&page, &q) {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let all = sheets(&page, &report);
    let range = format!("{}-{}", report.from, report.to);
    if is_xlsx {
        return match xlsx(&all) {
            Ok(bytes) => attachment(XLSX_TYPE, &format!("report-{range}.xlsx"), bytes),
            Err(e) => page.error(AppError::Internal(anyhow::anyhow!("writing XLSX: {e}"))),
        };
    }
    let Some(sheet) = all.iter().find(|s| s.id == id) else {
        return not_found(id);
    };
    match csv_bytes(sheet, Style::of(&q)) {
        Ok(bytes) => attachment(
            "text/csv; charset=utf-8",
            &format!("{id}-{range}.csv"),
            bytes,
        ),
        Err(e) => page.error(AppError::Internal(anyhow::anyhow!("writing CSV: {e}"))),
    }
}

/// A file to download: its type, its name and its bytes.
pub(crate) fn attachment(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A text cell a spreadsheet will not run: one that starts like a formula (`=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading `'`. Gate and device names are chosen
/// on a phone or a turnstile, so anything may arrive here.
pub(crate) fn text_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

fn money_text(minor: i64, decimal: char) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!(
        "{sign}{}{decimal}{:02}",
        minor.abs() / 100,
        minor.abs() % 100
    )
}

fn csv_cell(cell: &Cell, style: Style) -> String {
    match cell {
        Cell::Text(t) => text_cell(t).into_owned(),
        Cell::Count(n) => n.to_string(),
        Cell::Money(m) => money_text(*m, style.decimal),
    }
}

/// A CSV writer quoting only what needs it, with CRLF lines. Comma-separated, cells with
/// a `;` are quoted too (that is the comment character to csv here), as spreadsheets set
/// to a `;` list separator split on it.
fn csv_writer(style: Style) -> csv::Writer<Vec<u8>> {
    let mut builder = csv::WriterBuilder::new();
    builder
        .delimiter(style.delimiter)
        .terminator(csv::Terminator::CRLF);
    if style.delimiter == b',' {
        builder.comment(Some(b';'));
    }
    builder.from_writer(Vec::new())
}

/// One table as CSV: a UTF-8 BOM, the header, the rows and the totals.
fn csv_bytes(sheet: &Sheet, style: Style) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv_writer(style);
    out.write_record(sheet.header.iter().map(|h| text_cell(h).into_owned()))?;
    for row in sheet.rows.iter().chain(sheet.total.iter()) {
        out.write_record(row.iter().map(|c| csv_cell(c, style)))?;
    }
    let rows = out.into_inner().map_err(|e| e.into_error())?;
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(rows);
    Ok(bytes)
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(title: &str, taken: &[String]) -> String {
    let clean: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    let mut name = clean.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{clean} {n}");
        n += 1;
    }
    name
}

/// Every table as one workbook, a sheet per table: the header in bold, counts as numbers,
/// money as numbers in the currency's units with a `#,##0.00` format, totals in bold.
fn xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let bold_money = Format::new().set_bold().set_num_format("#,##0.00");
    let mut names: Vec<String> = Vec::new();
    for sheet in sheets {
        let name = sheet_name(&sheet.title, &names);
        let ws = book.add_worksheet();
        ws.set_name(&name)?;
        names.push(name);
        for (col, text) in (0u16..).zip(&sheet.header) {
            ws.write_string_with_format(0, col, text, &bold)?;
        }
        ws.set_column_width(0, 32)?;
        let rows = sheet.rows.iter().map(|r| (r, false));
        let total = sheet.total.iter().map(|r| (r, true));
        for ((row, is_total), line) in rows.chain(total).zip(1u32..) {
            for (cell, col) in row.iter().zip(0u16..) {
                let (plain, money) = if is_total {
                    (&bold, &bold_money)
                } else {
                    (&Format::new(), &money)
                };
                match cell {
                    Cell::Text(t) => ws.write_string_with_format(line, col, t, plain)?,
                    Cell::Count(n) => {
                        ws.write_number_with_format(line, col, f64::from(*n), plain)?
                    }
                    Cell::Money(m) => {
                        ws.write_number_with_format(line, col, minor_units(*m), money)?
                    }
                };
            }
        }
    }
    book.save_to_buffer()
}

/// Minor units as the currency's units (exact for any realistic amount).
#[allow(clippy::cast_precision_loss)]
fn minor_units(minor: i64) -> f64 {
    minor as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(label: &str, amount: i64, style: Style) -> String {
        let sheet = Sheet {
            id: "t",
            title: "t".into(),
            header: vec!["label".into(), "amount".into()],
            rows: vec![vec![Cell::Text(label.into()), Cell::Money(amount)]],
            total: None,
            numbers: 1,
        };
        let bytes = csv_bytes(&sheet, style).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        text.strip_prefix('\u{feff}').unwrap().to_owned()
    }

    const COMMA: Style = Style {
        delimiter: b',',
        decimal: '.',
    };
    const SEMI: Style = Style {
        delimiter: b';',
        decimal: ',',
    };

    #[test]
    fn formula_cells_become_text_and_numbers_stay_numbers() {
        assert_eq!(
            csv_of("=1+1", -500, COMMA),
            "label,amount\r\n'=1+1,-5.00\r\n"
        );
        assert_eq!(
            csv_of("\tcmd", 100, COMMA),
            "label,amount\r\n'\tcmd,1.00\r\n"
        );
        assert_eq!(csv_of("-", 1, COMMA), "label,amount\r\n'-,0.01\r\n");
        assert_eq!(
            csv_of("@A1,\"x\"", 100, COMMA),
            "label,amount\r\n\"'@A1,\"\"x\"\"\",1.00\r\n"
        );
        assert_eq!(
            csv_of("Каса; ранок", 100, COMMA),
            "label,amount\r\n\"Каса; ранок\",1.00\r\n"
        );
    }

    #[test]
    fn the_default_is_semicolons_and_a_decimal_comma() {
        assert_eq!(
            csv_of("Каса; ранок", 123_450, SEMI),
            "label;amount\r\n\"Каса; ранок\";1234,50\r\n"
        );
        assert_eq!(csv_of("main", -5, SEMI), "label;amount\r\nmain;-0,05\r\n");
    }

    #[test]
    fn sheet_names_are_short_clean_and_unique() {
        let taken = vec!["Продажі".to_owned()];
        assert_eq!(sheet_name("Продажі", &taken), "Продажі 2");
        assert_eq!(sheet_name("a/b:c", &[]), "abc");
        assert!(sheet_name(&"x".repeat(50), &[]).chars().count() <= 31);
    }

    #[test]
    fn the_workbook_is_a_zip() {
        let sheet = Sheet {
            id: "t",
            title: "Продажі за днями".into(),
            header: vec!["День".into(), "Сума".into()],
            rows: vec![vec![Cell::Text("04.12.2026".into()), Cell::Money(12_345)]],
            total: Some(vec![Cell::Text("Разом".into()), Cell::Money(12_345)]),
            numbers: 1,
        };
        let bytes = xlsx(&[sheet]).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
