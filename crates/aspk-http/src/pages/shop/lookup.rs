//! `GET/POST /shop/{venue}/lookup`: find an online order again by its number and e-mail.
//! A wrong number and a wrong e-mail get the same answer, so guessing learns nothing; the
//! route is rate-limited per client address.

use askama::Template;
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::super::frame::redirect;
use super::visitor::Shell;
use super::Visitor;

#[derive(Deserialize, Default)]
pub struct LookupForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    email: String,
}

#[derive(Template)]
#[template(path = "shop_lookup.html")]
struct LookupView<'a> {
    v: &'a Visitor,
    shell: Shell,
    number: String,
    email: String,
    error: Option<String>,
}

pub async fn page(v: Visitor, Path(venue): Path<String>) -> Response {
    let venue = match v.venue(&venue) {
        Ok(venue) => venue,
        Err(refused) => return *refused,
    };
    let view = LookupView {
        v: &v,
        shell: v.shell(&venue, v.t("shop-lookup-title")),
        number: String::new(),
        email: String::new(),
        error: None,
    };
    v.render(&view)
}

pub async fn find(v: Visitor, Path(venue): Path<String>, Form(f): Form<LookupForm>) -> Response {
    let venue = match v.venue(&venue) {
        Ok(venue) => venue,
        Err(refused) => return *refused,
    };
    let found = serial_of(&f.number)
        .and_then(|n| v.state.node.held_order(n))
        .filter(|h| h.venue == venue.id)
        .filter(|h| {
            h.email
                .as_ref()
                .is_some_and(|e| e.as_str().trim().eq_ignore_ascii_case(f.email.trim()))
        });
    if let Some(held) = found {
        let token = v.state.node.order_access_token(held.number);
        return redirect(&format!(
            "/shop/{}/order/{}?k={token}",
            venue.id, held.number
        ));
    }
    let view = LookupView {
        v: &v,
        shell: v.shell(&venue, v.t("shop-lookup-title")),
        number: f.number.trim().to_owned(),
        email: f.email.trim().to_owned(),
        error: Some(v.t("shop-lookup-not-found")),
    };
    v.render_with(StatusCode::NOT_FOUND, &view)
}

/// An order's serial from its number as printed (12 digits, spaces or dashes allowed).
fn serial_of(raw: &str) -> Option<u64> {
    HumanNumber::parse(raw.trim()).ok().map(|n| n.serial())
}
