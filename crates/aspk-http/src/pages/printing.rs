//! Printing an order's tickets at the box office: straight to a network thermal printer in
//! ESC/POS, or as a PDF for the browser's print dialog. Every attempt is logged as an op,
//! so reprints show in the order's history; a failed print never touches the sale.

use std::time::Duration;

use aspk_app::send_to_printer;
use aspk_domain::{Printer, PrinterKind, Slug, TicketStatus};
use aspk_render::{ticket_escpos, EscPosOptions, TextMode, TicketDoc};
use axum::http::HeaderMap;

use super::Page;
use crate::extract::cookie;
use crate::routes::tickets::ticket_doc;

pub const PRINTER_COOKIE: &str = "aspk_printer";
const PRINT_TIMEOUT: Duration = Duration::from_secs(5);

/// The box office's printer: the one chosen on this workstation (a cookie), else the
/// first configured, else the browser with an 80 mm PDF.
pub fn chosen_printer(page: &Page, headers: &HeaderMap) -> Printer {
    let chosen = cookie(headers, PRINTER_COOKIE);
    page.state.node.read(|s| {
        chosen
            .and_then(|id| Slug::parse("printer", &id).ok())
            .and_then(|id| s.printers.get(&id).cloned())
            .or_else(|| s.printers.values().next().cloned())
            .unwrap_or_else(browser_printer)
    })
}

/// The printer used when none is configured: the browser's dialog with an 80 mm PDF.
pub fn browser_printer() -> Printer {
    Printer {
        id: BROWSER_PRINTER.clone(),
        name: "PDF 80 mm".into(),
        kind: PrinterKind::Browser {
            paper: "80mm".into(),
        },
    }
}

static BROWSER_PRINTER: std::sync::LazyLock<Slug> = std::sync::LazyLock::new(|| {
    serde_json::from_value(serde_json::Value::String("browser-80mm".into()))
        .unwrap_or_else(|_| panic!("'browser-80mm' is a valid slug"))
});

/// The documents of an order's live tickets.
/// A ticket whose code cannot be read is left out (the caller says nothing was printed).
pub async fn order_docs(page: &Page, number: u64) -> Vec<TicketDoc> {
    let serials = page
        .state
        .node
        .read(|s| s.orders.get(&number).map(|o| o.tickets))
        .unwrap_or_default();
    let codes = match page.state.node.ticket_codes(&serials).await {
        Ok(codes) => codes,
        Err(e) => {
            tracing::warn!(error = %e, number, "cannot read the tickets' codes");
            return Vec::new();
        }
    };
    page.state.node.read(|s| {
        serials
            .iter()
            .filter_map(|serial| s.tickets.get(serial))
            .filter(|t| t.status != TicketStatus::Void)
            .filter_map(|t| {
                let venue = s.venues.get(&t.venue)?;
                let product = s.products.get(&(t.venue.clone(), t.product.clone()))?;
                let code = codes.get(&t.serial)?;
                Some(ticket_doc(&t, code, venue, product))
            })
            .collect()
    })
}

/// Prints `number` on `printer` and logs the attempt; returns what went wrong, if anything.
/// A browser printer prints from the sale page (the PDF in the print dialog).
pub async fn print_order(page: &Page, number: u64, printer: &Printer) -> Option<String> {
    let error = match &printer.kind {
        PrinterKind::Browser { .. } => None,
        PrinterKind::EscPos {
            address,
            cp1125,
            codepage,
        } => {
            let docs = order_docs(page, number).await;
            let options = EscPosOptions {
                text: if *cp1125 {
                    TextMode::CodePage1125
                } else {
                    TextMode::Raster
                },
                codepage_number: *codepage,
                ..EscPosOptions::default()
            };
            let bytes = tokio::task::spawn_blocking(move || ticket_escpos(&docs, &options))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            let sent = match bytes {
                Ok(bytes) => send_to_printer(address, &bytes, PRINT_TIMEOUT)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            sent.err()
        }
    };
    let logged = error.clone().unwrap_or_default();
    if let Err(e) = page
        .state
        .node
        .record_print(&page.who, number, &printer.id, logged)
        .await
    {
        tracing::warn!(error = %e, number, "could not log a print");
    }
    error
}
