//! ESC/POS output for 80 mm thermal receipt printers.
//!
//! [`ticket_escpos`] is pure (tickets in, bytes out) like the rest of the
//! crate; `aspk_app::send_to_printer` sends the bytes to a printer.
//!
//! # Byte stream, per ticket
//!
//! | Command | Bytes | When |
//! |---|---|---|
//! | `ESC @` initialise | `1B 40` | first, every ticket |
//! | `ESC t n` code table | `1B 74 n` | [`TextMode::CodePage1125`] only, `n` = [`EscPosOptions::codepage_number`] |
//! | header: venue, title, rule | raster: `GS v 0` images; CP1125: `ESC a 1`, `ESC E`, `GS !`, text, `LF` | |
//! | quiet zone | `ESC J n` (n = 4 modules) | |
//! | centre | `ESC a 1` = `1B 61 01` | |
//! | QR model 2 (fn 165) | `1D 28 6B 04 00 31 41 32 00` | |
//! | QR module size (fn 167) | `1D 28 6B 03 00 31 43 n` | n = 1..=16 dots |
//! | QR error correction Q (fn 169) | `1D 28 6B 03 00 31 45 32` | 48 L, 49 M, **50 Q**, 51 H |
//! | QR store (fn 180) | `1D 28 6B pL pH 31 50 30 d…` | `d` = the ticket code's ASCII digits, `pL + 256·pH = len + 3` |
//! | QR print (fn 181) | `1D 28 6B 03 00 31 51 30` | |
//! | left, quiet zone | `ESC a 0`, `ESC J n` | |
//! | body: number (large), label/value rows, notice, footer | raster images, or CP1125 text (number `GS ! 0x11`, notice bold between `═` rules, footer in font B) | |
//! | cut | `GS V 66 0` = `1D 56 42 00` (feed to the cutter, partial cut) | [`EscPosOptions::cut`]; otherwise `ESC d 6` |
//!
//! The function numbers and parameters follow Epson's ESC/POS reference
//! (e.g. the TM-T81 specification) and match Citizen, HPRT and Zebra manuals.
//!
//! # Raster text
//!
//! [`TextMode::Raster`] (the default) draws all text with the embedded DejaVu
//! Sans outlines into 1-bit images as wide as [`EscPosOptions::dots_per_line`]
//! (text sizes in dots assume a 203-dpi head), sent as `GS v 0 0 xL xH yL yH`
//! with `xL + 256·xH = dots_per_line / 8` bytes per row and at most **255 rows
//! per command** (`yH = 0`); a band without ink is sent as an `ESC J` feed
//! instead. This prints і ї є ґ ’ № on any printer, whatever code pages its
//! firmware has. The notice is bold in a 4-dot frame, as in the PDF.
//!
//! # CP1125 text
//!
//! [`TextMode::CodePage1125`] uses the printer's own fonts (faster, sharper,
//! ~10× fewer bytes) and sends text in CP1125 after `ESC t n`. The table number
//! `n` is not standard: on Epson printers 17 is *PC866 (Cyrillic #2)*, which
//! has Є є Ї ї but **not** Ґ ґ І і (CP1125 puts those at `F2..F9` where PC866
//! has `Єє Її Ўў °∙`), so use this mode only with a printer whose code table
//! `n` really is CP1125 ("PC1125"/"Ukrainian" on its self-test page). Typographic
//! punctuation CP1125 lacks (’ ‘ « » “ ” – — … •) is printed as its plain form;
//! any other missing character is an error.
//!
//! # QR code
//!
//! The printer encodes the QR itself from the digits (error correction Q: thermal
//! prints fade and smudge), so its version may differ from [`crate::qr_matrix`]'s.
//! The module size aims at a symbol of about 50 mm (at most 70 % of the line) for
//! the version [`crate::qr_matrix`] picks at level Q, and always leaves room for
//! the 4-module quiet zones.
//!
//! # Checking a byte stream
//!
//! [`parse`] is the strict parser of exactly this subset (it refuses anything
//! else, or a command cut short), used by this crate's tests and by the
//! box-office device cross-check, which parses the device app's own ESC/POS
//! (`web/box/escpos.js`) and compares it with [`ticket_escpos`]'s.

mod commands;
mod cp1125;
mod layout;
mod parse;
mod raster;

pub use cp1125::cp1125_encode;
pub use parse::{parse, qr_functions, split_tickets, Command, ParseError};

use crate::font::Fonts;
use crate::{qr_matrix, QrLevel, RenderError, TicketDoc, QUIET_ZONE};
use commands::QR_MAX_DATA;

/// How text reaches the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextMode {
    /// Text drawn as 1-bit images (`GS v 0`) with the embedded font: works on
    /// every printer, prints all Ukrainian letters.
    #[default]
    Raster,
    /// Text in the printer's fonts, encoded in CP1125 after `ESC t n`
    /// (`n` = [`EscPosOptions::codepage_number`]); see the module docs.
    CodePage1125,
}

/// Printer settings for [`ticket_escpos`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EscPosOptions {
    /// Raster (default) or CP1125 text.
    pub text: TextMode,
    /// `n` of `ESC t n` selecting the printer's CP1125 table, used only with
    /// [`TextMode::CodePage1125`]. Default 17 (PC866 on Epson, CP1125 on some
    /// clones: check the printer's self-test page).
    pub codepage_number: u8,
    /// Printable dots per line: 576 for 80 mm paper at 203 dpi (default),
    /// 384 for 58 mm. Rounded down to a multiple of 8; 192..=2048.
    pub dots_per_line: u16,
    /// End every ticket with `GS V 66 0` (feed and partial cut); otherwise
    /// feed 6 lines to clear the tear bar. Default `true`.
    pub cut: bool,
}

impl Default for EscPosOptions {
    fn default() -> Self {
        EscPosOptions {
            text: TextMode::Raster,
            codepage_number: 17,
            dots_per_line: 576,
            cut: true,
        }
    }
}

/// Narrowest and widest accepted [`EscPosOptions::dots_per_line`].
const DOTS_RANGE: std::ops::RangeInclusive<u16> = 192..=2048;

/// Renders `tickets` as one ESC/POS job for a thermal receipt printer, one
/// ticket after another, each starting with `ESC @` and ending with a cut.
///
/// The layout follows the 80 mm PDF: venue and title, the QR of
/// [`TicketDoc::code`] (printed by the printer's native QR command, level Q),
/// the number in large type, the label/value rows, the notice and the footer.
/// See the [module docs](self) for the exact command layout. Same input, same bytes.
///
/// # Errors
/// [`RenderError::NoTickets`] for an empty slice; [`RenderError::InvalidCode`] /
/// [`RenderError::CodeTooLong`] for a bad code; [`RenderError::Font`] for a
/// `dots_per_line` outside 192..=2048 and, in CP1125 mode, for a character the
/// code page lacks (the message names the ticket, the field and the char).
pub fn ticket_escpos(tickets: &[TicketDoc], opts: &EscPosOptions) -> Result<Vec<u8>, RenderError> {
    if tickets.is_empty() {
        return Err(RenderError::NoTickets);
    }
    if !DOTS_RANGE.contains(&opts.dots_per_line) {
        return Err(RenderError::Font(format!(
            "dots_per_line must be within {}..={} (576 for 80 mm paper at 203 dpi), got {}",
            DOTS_RANGE.start(),
            DOTS_RANGE.end(),
            opts.dots_per_line
        )));
    }
    let dots = usize::from(opts.dots_per_line) / 8 * 8;
    let fonts = Fonts::load()?;
    let faces = match opts.text {
        TextMode::Raster => Some(raster::Faces::load()?),
        TextMode::CodePage1125 => None,
    };
    let mut out = Vec::new();
    for (index, ticket) in tickets.iter().enumerate() {
        // Validates the code (digits only, fits a QR at level Q).
        let matrix = qr_matrix(&ticket.code, QrLevel::Q)?;
        if ticket.code.len() > QR_MAX_DATA {
            return Err(RenderError::CodeTooLong {
                len: ticket.code.len(),
                level: "Q",
            });
        }
        let module = qr_module(matrix.width(), dots);
        match &faces {
            Some(faces) => {
                layout::raster_ticket(&mut out, &fonts, faces, ticket, dots, module, opts.cut);
            }
            None => layout::text_ticket(
                &mut out,
                ticket,
                index,
                (opts.codepage_number, dots, module, opts.cut),
            )?,
        }
    }
    Ok(out)
}

/// QR module size in dots: a symbol of about 50 mm at 203 dpi (at most 70 %
/// of the line), with both quiet zones inside the line; 1..=16.
fn qr_module(symbol_modules: usize, dots: usize) -> u8 {
    let target = (dots * 7 / 10).min(400);
    let fit = dots / (symbol_modules + 2 * QUIET_ZONE);
    let module = (target / symbol_modules.max(1)).min(fit).clamp(1, 16);
    u8::try_from(module).unwrap_or(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_size_fits_the_line() {
        // Version 7 (45 modules) on 80 mm: 8 dots → 360 dots, 424 with quiet zones.
        assert_eq!(qr_module(45, 576), 8);
        // Version 1 would be huge: capped at 16.
        assert_eq!(qr_module(21, 576), 16);
        // 58 mm: 268 dots target.
        assert_eq!(qr_module(45, 384), 5);
        for width in (21..=177).step_by(4) {
            for dots in [384, 576, 832] {
                let m = usize::from(qr_module(width, dots));
                assert!(m >= 1);
                assert!(m == 1 || (width + 8) * m <= dots, "{width} {dots}");
            }
        }
    }
}
