//! The ticket as handed to the renderer: already localised, already formatted.

/// One ticket, one page. All text is printed as given (the caller localises and
/// formats); the renderer only wraps long text to the page width.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketDoc {
    /// Digits-only ticket code: the exact content of the QR symbol (encoded in
    /// QR numeric mode). Not printed as text.
    pub code: String,
    /// Human ticket number, already grouped (e.g. `"4821 0937 5526"`), printed
    /// large under the QR.
    pub number: String,
    /// Document title, e.g. `"Квиток / Ticket"`.
    pub title: String,
    /// Venue name, e.g. `"Демо-музей / Demo museum"`.
    pub venue: String,
    /// Label → value rows, printed as a table in this order.
    pub lines: Vec<(String, String)>,
    /// Printed prominently in a box, e.g. a reminder to show a concession document.
    pub notice: Option<String>,
    /// Small print at the bottom.
    pub footer: Option<String>,
    /// A cancelled ticket's mark, e.g. `"СКАСОВАНО / CANCELLED"`: set large in a framed
    /// box across the middle of the QR, one line per ` / `-separated part. `None` for a
    /// ticket that is valid.
    pub void_mark: Option<String>,
}
