//! `GET/POST /shop/{venue}/contact`: a visitor's question to the museum. It lands in the
//! staff's requests inbox; the answer goes by e-mail. Rate-limited per client address;
//! a bot that fills in the hidden field is thanked and nothing is stored.

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::Response;

use super::super::frame::{error_field, error_message, form_field};
use super::form::HONEYPOT;
use super::visitor::Shell;
use super::Visitor;

/// The form as typed, and a message next to the field it is about.
#[derive(Default)]
struct Typed {
    name: String,
    email: String,
    subject: String,
    body: String,
    field: String,
    error: Option<String>,
}

impl Typed {
    /// The error when it is about `field`.
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_deref().filter(|_| self.field == field)
    }

    /// The error when it is about none of the form's fields.
    fn general_error(&self) -> Option<&str> {
        let fields = ["name", "email", "subject", "body"];
        self.error
            .as_deref()
            .filter(|_| !fields.contains(&self.field.as_str()))
    }
}

#[derive(Template)]
#[template(path = "shop_contact.html")]
struct ContactView<'a> {
    v: &'a Visitor,
    shell: Shell,
    typed: Typed,
    honeypot: &'static str,
}

pub async fn page(v: Visitor, Path(venue): Path<String>) -> Response {
    let venue = match v.venue(&venue) {
        Ok(venue) => venue,
        Err(refused) => return *refused,
    };
    let view = ContactView {
        v: &v,
        shell: v.shell(&venue, v.t("shop-contact-title")),
        typed: Typed::default(),
        honeypot: HONEYPOT,
    };
    v.render(&view)
}

pub async fn send(
    v: Visitor,
    Path(venue): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let venue = match v.venue(&venue) {
        Ok(venue) => venue,
        Err(refused) => return *refused,
    };
    let sent = || {
        v.message(
            StatusCode::OK,
            Some(&venue),
            v.t("shop-contact-title"),
            v.t("shop-contact-sent"),
        )
    };
    if !form_field(&fields, HONEYPOT).is_empty() {
        tracing::info!(venue = %venue.id, "shop: a bot's question was ignored");
        return sent();
    }
    let mut typed = Typed {
        name: form_field(&fields, "name"),
        email: form_field(&fields, "email"),
        subject: form_field(&fields, "subject"),
        body: form_field(&fields, "body"),
        ..Typed::default()
    };
    let received = v
        .state
        .node
        .receive_request(
            venue.id.as_str(),
            &typed.name,
            &typed.email,
            &typed.subject,
            &typed.body,
        )
        .await;
    match received {
        Ok(_) => sent(),
        Err(err) => {
            typed.field = error_field(&err).unwrap_or_default().to_owned();
            // The shared messages for these fields are written for staff's forms.
            typed.error = Some(match typed.field.as_str() {
                "name" => v.t("shop-contact-error-name"),
                "email" => v.t("shop-error-email"),
                _ => error_message(v.lang, &err),
            });
            let view = ContactView {
                v: &v,
                shell: v.shell(&venue, v.t("shop-contact-title")),
                typed,
                honeypot: HONEYPOT,
            };
            v.render_with(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}
