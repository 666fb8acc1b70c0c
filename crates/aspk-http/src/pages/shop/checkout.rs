//! `POST /shop/{venue}/checkout`: checks the order form, holds the seats while the visitor
//! pays, and sends them to the payment provider (a redirect, or a page with the provider's
//! form). A refused form comes back as typed, with the messages next to their fields (422);
//! a slot short of seats says what is left.

use askama::Template;
use aspk_app::{AppError, HoldRequest, NewOrder, NewOrderItem};
use aspk_domain::{Channel, PaymentMethod, Venue};
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::Response;

use super::super::frame::{error_field, error_message, redirect};
use super::day::{self, DayQuery};
use super::form::{Checked, FormErrors, OrderForm};
use super::visitor::Shell;
use super::Visitor;

pub async fn submit(
    v: Visitor,
    Path(venue): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let venue = match v.venue(&venue) {
        Ok(venue) => venue,
        Err(refused) => return *refused,
    };
    let products = day::on_sale(&v, &venue);
    let form = OrderForm::read(&fields, &products);
    let query = DayQuery {
        date: Some(form.date.clone()),
        month: None,
        slot: Some(form.slot.clone()),
    };
    if form.is_bot {
        // A bot filled in the hidden field: it is told all went well, and nothing is held.
        tracing::info!(venue = %venue.id, "shop: a bot's order was ignored");
        return v.message(
            StatusCode::OK,
            Some(&venue),
            v.t("shop-thanks-title"),
            v.t("shop-thanks"),
        );
    }
    let checked = match form.check(&v, &venue) {
        Ok(checked) => checked,
        Err(errors) => return refused(&v, &venue, &query, form, *errors),
    };
    let held = match hold(&v, &venue, &form, checked).await {
        Ok(held) => held,
        Err(err) => {
            let errors = errors_of(&v, &err);
            return refused(&v, &venue, &query, form, errors);
        }
    };
    go_to_payment(&v, &venue, &held).await
}

/// Sends the visitor to the provider for `held` (a redirect, or the provider's form). When
/// the payment cannot start, the seats stay held until the hold expires and the order page
/// offers to pay again.
pub(super) async fn go_to_payment(
    v: &Visitor,
    venue: &Venue,
    held: &aspk_app::HeldOrder,
) -> Response {
    let start = crate::payments::start_payment(&v.state, held, &v.base_url).await;
    match start {
        Ok(aspk_pay::Start::Redirect(url)) => redirect(&url),
        Ok(aspk_pay::Start::PostForm { action, fields }) => pay_form(
            v,
            venue,
            action,
            fields,
            v.money(held.total_minor, held.currency),
        ),
        Err(err) => {
            tracing::error!(
                number = held.number,
                ?err,
                "shop: the payment did not start"
            );
            let token = v.state.node.order_access_token(held.number);
            redirect(&format!(
                "/shop/{}/order/{}?k={token}&failed=1",
                venue.id, held.number
            ))
        }
    }
}

/// Holds the seats of a checked form.
async fn hold(
    v: &Visitor,
    venue: &Venue,
    form: &OrderForm,
    checked: Checked,
) -> Result<aspk_app::HeldOrder, AppError> {
    let order = NewOrder {
        venue: venue.id.as_str().to_owned(),
        channel: Channel::Online,
        items: checked
            .items
            .into_iter()
            .map(|(product, quantity)| NewOrderItem {
                product,
                slot: Some(form.slot.clone()),
                quantity,
            })
            .collect(),
        payment: PaymentMethod::Card,
        email: Some(checked.email),
        is_overbooking: false,
        mixed_cash_minor: None,
        cash_received_minor: None,
        name: checked.name,
        idempotency_key: None,
    };
    let request = HoldRequest {
        order,
        provider: v.state.payments.default_provider().to_owned(),
        lang: v.code().to_owned(),
        phone: checked.phone,
    };
    crate::payments::hold_for_client(&v.state, v.client, request).await
}

/// A refused use case's message, next to the field it is about.
fn errors_of(v: &Visitor, err: &AppError) -> FormErrors {
    let text = error_message(v.lang, err);
    let mut errors = FormErrors::default();
    match (err, error_field(err)) {
        (AppError::SoldOut { .. }, _) => errors.general = Some(text),
        (_, Some("email")) => errors.email = Some(text),
        (_, Some("name")) => errors.name = Some(text),
        (_, Some("phone")) => errors.phone = Some(text),
        (_, Some("quantity" | "items")) => errors.quantity = Some(text),
        _ => errors.general = Some(text),
    }
    errors
}

/// The form shown again, as typed, with its errors (422).
fn refused(
    v: &Visitor,
    venue: &Venue,
    query: &DayQuery,
    form: OrderForm,
    errors: FormErrors,
) -> Response {
    day::render(
        v,
        venue,
        query,
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// The page with the provider's payment form.
pub fn pay_form(
    v: &Visitor,
    venue: &Venue,
    action: String,
    fields: Vec<(String, String)>,
    total: String,
) -> Response {
    let view = PayFormView {
        v,
        shell: v.shell(venue, v.t("shop-to-payment-title")),
        action,
        fields,
        total,
    };
    v.render(&view)
}

/// The provider's payment form, sent on by a tiny script (or by the visitor's button).
#[derive(Template)]
#[template(path = "shop_pay_form.html")]
struct PayFormView<'a> {
    v: &'a Visitor,
    shell: Shell,
    action: String,
    fields: Vec<(String, String)>,
    total: String,
}
