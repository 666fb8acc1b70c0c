//! The box office workstation's printer: chosen per browser (a cookie); the printing itself
//! is a use case (`aspk_app::Node::print_order`).

use aspk_domain::Printer;
use axum::http::HeaderMap;

use super::Page;
use crate::cookies;

/// The box office's printer: the one chosen on this workstation, else the first
/// configured, else the browser with an 80 mm PDF.
pub fn chosen_printer(page: &Page, headers: &HeaderMap) -> Printer {
    let chosen = cookies::read(headers, cookies::PRINTER);
    page.state.node.printer_for(chosen.as_deref())
}
