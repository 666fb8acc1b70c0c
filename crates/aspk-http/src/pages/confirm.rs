//! Asking before a destructive action (cancel, refund, close a shift): the form posts once
//! without `confirmed`, and the answer is a page that says what will happen, with the same
//! fields and `confirmed=yes` behind a button that has the focus. Enter confirms, Esc goes
//! back (see /static/page.js): fast from the keyboard, and no script is needed to be safe.

use askama::Template;
use axum::response::Response;

use super::Page;

/// Whether a posted form was confirmed.
pub fn is_confirmed(confirmed: Option<&str>) -> bool {
    confirmed == Some("yes")
}

/// What to ask: the question, the facts that matter (amounts, tickets), where the confirmed
/// form goes with which fields, the words on the button, and where "no" leads.
pub struct Question {
    pub question: String,
    pub facts: Vec<String>,
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub yes: String,
    pub back: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmView<'a> {
    page: &'a Page,
    title: String,
    ask: Question,
}

/// The page that asks `ask`.
pub fn ask(page: &Page, ask: Question) -> Response {
    page.render(&ConfirmView {
        page,
        title: page.t("confirm-title"),
        ask,
    })
}
