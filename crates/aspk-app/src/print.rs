//! Printing an order's tickets at the box office: straight to a network thermal printer in
//! ESC/POS, or as a PDF for the browser's print dialog. Every attempt is logged as an op,
//! so reprints show in the order's history; a failed print never touches the sale.

use std::sync::LazyLock;
use std::time::Duration;

use aspk_domain::{Money, Printer, PrinterKind, Product, Slug, Ticket, TicketStatus, Venue};
use aspk_i18n::{bilingual, t, t_args, Lang};
use aspk_render::{ticket_escpos, EscPosOptions, TextMode, TicketDoc};
use aspk_ticket::HumanNumber;

use crate::{send_to_printer, AppError, Node, PlacedOrder, Principal};

/// How long a thermal printer may take to accept an order's tickets.
const PRINT_TIMEOUT: Duration = Duration::from_secs(5);

static BROWSER_PRINTER: LazyLock<Slug> = LazyLock::new(|| {
    Slug::parse("printer", "browser-80mm")
        .unwrap_or_else(|_| panic!("'browser-80mm' is a valid slug"))
});

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

impl Node {
    /// The printers a workstation may choose: those configured, else the browser.
    pub fn printers(&self) -> Vec<Printer> {
        let mut printers: Vec<Printer> = self.read(|s| s.printers().values().cloned().collect());
        if printers.is_empty() {
            printers.push(browser_printer());
        }
        printers
    }

    /// A workstation's printer: the one it chose (if still configured), else the first
    /// configured, else the browser with an 80 mm PDF.
    pub fn printer_for(&self, chosen: Option<&str>) -> Printer {
        self.read(|s| {
            chosen
                .and_then(|id| Slug::parse("printer", id).ok())
                .and_then(|id| s.printers().get(&id).cloned())
                .or_else(|| s.printers().values().next().cloned())
                .unwrap_or_else(browser_printer)
        })
    }

    /// What is printed on each live ticket of order `number`. A ticket whose code cannot
    /// be read is left out (the caller then says nothing was printed).
    pub async fn order_docs(&self, number: u64) -> Vec<TicketDoc> {
        let serials = self
            .read(|s| s.orders().get(&number).map(|o| o.tickets.clone()))
            .unwrap_or_default();
        match self.ticket_docs(&serials).await {
            Ok(docs) => docs,
            Err(e) => {
                tracing::warn!(error = %e, number, "cannot read the tickets' codes");
                Vec::new()
            }
        }
    }

    /// What is printed on each of these tickets that is live (not void).
    pub async fn ticket_docs(&self, serials: &[u64]) -> Result<Vec<TicketDoc>, AppError> {
        let codes = self.ticket_codes(serials).await?;
        Ok(self.read(|s| {
            serials
                .iter()
                .filter_map(|serial| s.tickets().get(serial))
                .filter(|t| t.status != TicketStatus::Void)
                .filter_map(|t| {
                    let venue = s.venues().get(&t.venue)?;
                    let product = s.products().get(&(t.venue.clone(), t.product.clone()))?;
                    let code = codes.get(&t.serial)?;
                    Some(ticket_doc(&t, code, venue, product))
                })
                .collect()
        }))
    }

    /// What is printed on ticket `serial` (void or not: the e-ticket of a known number; a void
    /// one carries the "СКАСОВАНО / CANCELLED" mark).
    pub async fn ticket_document(&self, serial: u64) -> Result<Option<TicketDoc>, AppError> {
        let Some(code) = self.ticket_code(serial).await? else {
            return Ok(None);
        };
        Ok(self.read(|s| {
            let ticket = s.tickets().get(&serial)?;
            let venue = s.venues().get(&ticket.venue)?;
            let product = s
                .products()
                .get(&(ticket.venue.clone(), ticket.product.clone()))?;
            Some(ticket_doc(&ticket, &code, venue, product))
        }))
    }

    /// Prints a sale just made at the till. A repeated attempt (the same sale key, after a
    /// failover) prints only when the first one did not get to print. A browser printer
    /// prints from the sale page: nothing is sent (or logged) here.
    pub async fn print_sale(&self, who: &Principal, placed: &PlacedOrder, printer: &Printer) {
        let number = placed.order.number;
        let printed = placed.is_replay && self.read(|s| s.prints().contains_key(&number));
        if !printed {
            self.print_order(who, number, printer).await;
        }
    }

    /// Prints order `number` on `printer` and logs the attempt; returns what went wrong, if
    /// anything. A thermal printer's job is logged when it went out (or failed, with its
    /// error). A browser printer prints from the sale page's print dialog, so nothing is
    /// logged here: the page confirms the print (`record_print`) when the cashier prints.
    pub async fn print_order(
        &self,
        who: &Principal,
        number: u64,
        printer: &Printer,
    ) -> Option<String> {
        let PrinterKind::EscPos {
            address,
            cp1125,
            codepage,
        } = &printer.kind
        else {
            return None;
        };
        let docs = self.order_docs(number).await;
        let options = EscPosOptions {
            text: if *cp1125 {
                TextMode::CodePage1125
            } else {
                TextMode::Raster
            },
            codepage_number: *codepage,
            ..EscPosOptions::default()
        };
        let error = send_escpos(address, docs, options).await.err();
        let logged = error.clone().unwrap_or_default();
        if let Err(e) = self.record_print(who, number, &printer.id, logged).await {
            tracing::warn!(error = %e, number, "could not log a print");
        }
        error
    }
}

/// Renders `docs` in ESC/POS and sends them to the printer at `address`.
async fn send_escpos(
    address: &str,
    docs: Vec<TicketDoc>,
    options: EscPosOptions,
) -> Result<(), String> {
    let bytes = tokio::task::spawn_blocking(move || ticket_escpos(&docs, &options))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    send_to_printer(address, &bytes, PRINT_TIMEOUT)
        .await
        .map_err(|e| e.to_string())
}

pub(crate) fn both(uk: &str, en: &str) -> String {
    if en.is_empty() || uk == en {
        uk.to_owned()
    } else {
        format!("{uk} / {en}")
    }
}

/// When a ticket may be used, in the zone `tz`: its slot (`05.12.2026 10:00–11:00`) or its
/// days (`05.12.2026 – 07.12.2026`), as the ticket and the receipt print it.
pub fn ticket_when(ticket: &Ticket, tz: chrono_tz::Tz) -> String {
    let day = |d: chrono::NaiveDate| d.format("%d.%m.%Y").to_string();
    match ticket.valid_days {
        Some((first, last)) if first == last => day(first),
        Some((first, last)) => format!("{} – {}", day(first), day(last)),
        None => {
            let (from, until) = (
                ticket.valid_from.with_timezone(&tz),
                ticket.valid_until.with_timezone(&tz),
            );
            format!(
                "{} {}–{}",
                from.format("%d.%m.%Y"),
                from.format("%H:%M"),
                until.format("%H:%M")
            )
        }
    }
}

/// Everything printed on a ticket, in both languages, times in the venue's zone.
pub fn ticket_doc(ticket: &Ticket, code: &str, venue: &Venue, product: &Product) -> TicketDoc {
    let when = ticket_when(ticket, venue.tz());
    let time_label = if ticket.valid_days.is_some() {
        "ticket-valid-days"
    } else {
        "ticket-time"
    };
    let price = Money {
        minor: ticket.price_minor,
        currency: venue.currency,
    };
    let notice = product.document.as_ref().map(|doc| {
        let uk = t_args(
            Lang::Uk,
            "ticket-document",
            &[("document", doc.uk.as_str().into())],
        );
        let en = t_args(
            Lang::En,
            "ticket-document",
            &[("document", doc.get("en").into())],
        );
        both(&uk, &en)
    });
    TicketDoc {
        code: code.to_owned(),
        number: HumanNumber::from_serial(ticket.serial).to_string(),
        title: bilingual("ticket-title"),
        venue: both(&venue.name.uk, &venue.name.en),
        lines: vec![
            (
                bilingual("ticket-category"),
                both(&product.name.uk, &product.name.en),
            ),
            (bilingual(time_label), when),
            (bilingual("ticket-price"), price.display("uk")),
            (
                bilingual("ticket-order"),
                HumanNumber::from_serial(ticket.order).to_string(),
            ),
        ],
        notice,
        footer: Some(both(
            &t(Lang::Uk, "ticket-footer"),
            &t(Lang::En, "ticket-footer"),
        )),
        void_mark: (ticket.status == TicketStatus::Void).then(|| bilingual("ticket-void-mark")),
    }
}
