//! # aspk-render
//!
//! Turns tickets into printable documents. This crate owns the *look* of a
//! ticket: PDF on A4 (the e-ticket a visitor prints or shows on a phone) and
//! on an 80 mm thermal roll, ESC/POS bytes for network receipt printers
//! ([`escpos`]; `aspk_app::send_to_printer` sends them), and print-ready sheets
//! of pre-printed paper ticket stock for a printing house ([`stock_pdf`]).
//!
//! The crate is pure: bytes in, bytes out. No network, no filesystem, no clock and no
//! randomness at run time — the DejaVu Sans fonts are compiled in
//! (`include_bytes!`, licence in `assets/DejaVu-LICENSE.txt`), and the same
//! input always yields byte-identical PDF output.
//!
//! What it does *not* own: ticket codes, numbers, prices, dates and their
//! localisation. The caller passes finished strings in a [`TicketDoc`]; the
//! renderer only wraps long text to the page width.
//!
//! ```
//! use aspk_render::{ticket_pdf, Paper, TicketDoc};
//!
//! let ticket = TicketDoc {
//!     code: "1234567890".repeat(20),
//!     number: "4821 0937 5526".into(),
//!     title: "Квиток / Ticket".into(),
//!     venue: "Демо-музей / Demo museum".into(),
//!     lines: vec![("Ціна / Price".into(), "250,00 грн".into())],
//!     notice: None,
//!     footer: None,
//!     void_mark: None,
//! };
//! let pdf = ticket_pdf(&[ticket], Paper::Roll80mm)?;
//! assert!(pdf.starts_with(b"%PDF-"));
//! # Ok::<(), aspk_render::RenderError>(())
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod error;
pub mod escpos;
mod font;
mod layout;
mod objects;
mod paper;
mod pdf;
mod qr;
mod stock;
mod text;
mod ticket;

pub use error::RenderError;
pub use escpos::{ticket_escpos, EscPosOptions, TextMode};
pub use paper::Paper;
pub use qr::{qr_matrix, qr_svg, text_qr_matrix, QrLevel, QrMatrix, QUIET_ZONE};
pub use stock::{stock_pdf, StockLayout, StockTicketDoc};
pub use ticket::TicketDoc;

/// Renders `tickets` as one PDF with one page per ticket, in order.
///
/// Each page carries the venue and title, the QR of [`TicketDoc::code`] (numeric
/// mode, level [`Paper::default_qr_level`], quiet zone of [`QUIET_ZONE`] modules,
/// drawn as vector rectangles), the number in large type, the label/value lines,
/// the notice in a box and the footer. Text is real, extractable text in an
/// embedded subset of DejaVu Sans (full Ukrainian Cyrillic). Characters the font
/// lacks are drawn as U+FFFD rather than failing.
///
/// On [`Paper::Roll80mm`] pages are 80 mm wide and as tall as their content,
/// all black (no grey, which thermal heads dither), and the QR module size is
/// snapped to whole 203-dpi dots. An A4 ticket whose text is too long for the
/// regular layout is set again with smaller type and gaps (the QR keeps its size).
///
/// # Errors
/// [`RenderError::NoTickets`] for an empty slice, [`RenderError::InvalidCode`] /
/// [`RenderError::CodeTooLong`] for a bad code, [`RenderError::PageOverflow`] when
/// a ticket's text is too long for one page (A4: even after falling back to a
/// compact style; roll: over the 200-inch PDF page limit).
pub fn ticket_pdf(tickets: &[TicketDoc], paper: Paper) -> Result<Vec<u8>, RenderError> {
    let first = tickets.first().ok_or(RenderError::NoTickets)?;
    let fonts = font::Fonts::load()?;
    let pages = tickets
        .iter()
        .enumerate()
        .map(|(i, t)| layout::layout_ticket(&fonts, t, paper, i))
        .collect::<Result<Vec<_>, _>>()?;
    pdf::write_document(&fonts, &pages, &first.title)
}
