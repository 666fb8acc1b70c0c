//! Errors returned by the renderer.

/// Everything that can go wrong while rendering a ticket.
///
/// All variants are caused by the input (or, for [`RenderError::Font`], by a
/// broken build); rendering never touches the network or the filesystem.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RenderError {
    /// `ticket_pdf` was called with an empty slice: a PDF needs at least one page.
    #[error("no tickets to render")]
    NoTickets,
    /// The ticket code is empty or contains something other than ASCII digits.
    #[error("ticket code must be a non-empty string of ASCII digits (got {len} chars, first bad char at {position:?})")]
    InvalidCode {
        /// Length of the rejected code in chars.
        len: usize,
        /// Char index of the first non-digit, `None` when the code is empty.
        position: Option<usize>,
    },
    /// The ticket code is too long to fit in any QR version at the requested level.
    #[error("ticket code of {len} digits does not fit in a QR code at level {level}")]
    CodeTooLong {
        /// Number of digits.
        len: usize,
        /// Error-correction level that was requested (`"M"` or `"Q"`).
        level: &'static str,
    },
    /// The ticket content does not fit on one page: an A4 page even in the
    /// compact style, or the 200-inch PDF page limit on roll paper.
    #[error(
        "ticket #{index} does not fit on one page ({needed_mm:.0} mm of {available_mm:.0} mm)"
    )]
    PageOverflow {
        /// Zero-based index of the ticket in the input slice.
        index: usize,
        /// Height the content needs, in millimetres.
        needed_mm: f32,
        /// Height available on the page, in millimetres.
        available_mm: f32,
    },
    /// The embedded font could not be read or subset (a build problem, not an input problem).
    #[error("embedded font error: {0}")]
    Font(String),
}
