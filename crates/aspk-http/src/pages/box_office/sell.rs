//! Selling from the box office form. A refused sale shows the form again as it was typed
//! (quantities, slot, date, payment, cash) with the error next to the field that caused it.

use aspk_app::{AppError, NewOrder, NewOrderItem};
use aspk_domain::{Channel, PaymentMethod, ProductValidity};
use axum::extract::Form;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{render_with, Attempt, BoxOfficeQuery, FieldErrors};
use crate::pages::frame::{form_field, redirect};
use crate::pages::printing::chosen_printer;
use crate::pages::Page;

/// The field of the form a refusal is about.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Place {
    Slot,
    Quantity,
    Payment,
    Tendered,
    MixedCash,
    Email,
    Other,
}

/// Why a sale was refused, and where on the form that shows.
struct Refusal {
    place: Place,
    error: AppError,
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal {
            place: place_of(&error),
            error,
        }
    }
}

/// The field an error of the sale use case is about.
fn place_of(error: &AppError) -> Place {
    let field = match error {
        AppError::Invalid(invalid) => invalid.field,
        AppError::UnknownReference { field, .. } => field,
        AppError::SoldOut { .. } => return Place::Slot,
        _ => return Place::Other,
    };
    match field {
        "slot" => Place::Slot,
        "quantity" | "items" | "product" => Place::Quantity,
        "payment" => Place::Payment,
        "tendered" => Place::Tendered,
        // `cash` is the use case's name for the cash part of a mixed payment.
        "mixed_cash" | "cash" => Place::MixedCash,
        "email" => Place::Email,
        _ => Place::Other,
    }
}

pub async fn sell(
    page: Page,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/box-office") {
        return *refused;
    }
    let placed = match sale_from_form(&page, &fields, &field) {
        Ok(order) => page
            .state
            .node
            .place_order(Some(&page.who), order)
            .await
            .map_err(Refusal::from),
        Err(refusal) => Err(refusal),
    };
    match placed {
        Ok(placed) if placed.order.email.is_some() => {
            // An address given: the e-tickets go by e-mail instead of the printer (e.g.
            // while it is down).
            let number = placed.order.number;
            let lang = page.lang.code();
            let actor = page.who.actor();
            if let Err(e) = page
                .state
                .node
                .queue_tickets_mail(number, None, lang, &actor)
                .await
            {
                tracing::error!(order = number, error = %e, "e-tickets not queued");
            }
            redirect(&format!("{}#mailed", receipt_url(number, &field)))
        }
        Ok(placed) => {
            let printer = chosen_printer(&page, &headers);
            page.state
                .node
                .print_sale(&page.who, &placed, &printer)
                .await;
            redirect(&receipt_url(placed.order.number, &field))
        }
        Err(refusal) => refused(&page, &headers, &fields, refusal),
    }
}

/// The receipt of sale `number`, with what it needs from the form: the cash handed over
/// (for the change) and the day the next sale starts from (its slot comes from the tickets).
fn receipt_url(number: u64, field: &dyn Fn(&str) -> String) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if field("payment") != "card" {
        if let Some(minor) = aspk_domain::parse_amount_minor(&field("tendered")) {
            query.append_pair("tendered", &minor.to_string());
        }
    }
    let date = field("date");
    if !date.is_empty() {
        query.append_pair("date", &date);
    }
    let query = query.finish();
    if query.is_empty() {
        format!("/box-office/sale/{number}")
    } else {
        format!("/box-office/sale/{number}?{query}")
    }
}

/// The form again, as typed, with the refusal next to its field (422, or 409 when the
/// state refused it, e.g. sold out).
fn refused(
    page: &Page,
    headers: &HeaderMap,
    fields: &[(String, String)],
    refusal: Refusal,
) -> Response {
    let field = |name: &str| form_field(fields, name);
    let back = BoxOfficeQuery {
        venue: Some(field("venue")),
        date: field("date").parse().ok(),
        slot: Some(field("slot")).filter(|s| !s.is_empty()),
    };
    let text = refusal_text(page, &refusal.error);
    let mut errors = FieldErrors::default();
    let slot = match refusal.place {
        Place::Slot => &mut errors.slot,
        Place::Quantity => &mut errors.quantity,
        Place::Payment => &mut errors.payment,
        Place::Tendered => &mut errors.tendered,
        Place::MixedCash => &mut errors.mixed_cash,
        Place::Email => &mut errors.email,
        Place::Other => &mut errors.general,
    };
    *slot = Some(text);
    let attempt = Attempt {
        quantities: fields
            .iter()
            .filter_map(|(name, value)| {
                let product = name.strip_prefix("qty-")?;
                Some((product.to_owned(), value.trim().to_owned()))
            })
            .collect(),
        payment: field("payment"),
        tendered: field("tendered"),
        mixed_cash: field("mixed_cash"),
        email: field("email"),
        errors,
    };
    let status = crate::ApiError::from(refusal.error).status;
    render_with(page, headers, &back, attempt, status)
}

/// The refusal in the page's language. The use case names the mixed payment's cash part
/// `cash`; the form's field is `mixed_cash`, whose message says what it must be.
fn refusal_text(page: &Page, error: &AppError) -> String {
    match error {
        AppError::Invalid(invalid) if invalid.field == "cash" => {
            page.error_text(&AppError::invalid("mixed_cash", invalid.message.clone()))
        }
        _ => page.error_text(error),
    }
}

/// The order the form describes.
fn sale_from_form(
    page: &Page,
    fields: &[(String, String)],
    field: &dyn Fn(&str) -> String,
) -> Result<NewOrder, Refusal> {
    let venue = field("venue");
    let items = items_from_form(page, &venue, &field("slot"), fields)?;
    let money = |name: &str, place: Place| -> Result<Option<i64>, Refusal> {
        let raw = field(name);
        if raw.trim().is_empty() {
            return Ok(None);
        }
        aspk_domain::parse_amount_minor(&raw)
            .map(Some)
            .ok_or_else(|| Refusal {
                place,
                error: AppError::invalid("amount", "type an amount such as 250 or 250,50"),
            })
    };
    let (payment, mixed_cash_minor) = match field("payment").as_str() {
        "cash" => (PaymentMethod::Cash, None),
        "card" => (PaymentMethod::Card, None),
        "mixed" => {
            let cash = money("mixed_cash", Place::MixedCash)?.ok_or_else(|| {
                Refusal::from(AppError::invalid("mixed_cash", "type the cash part"))
            })?;
            (PaymentMethod::Cash, Some(cash))
        }
        _ => {
            return Err(Refusal::from(AppError::invalid(
                "payment",
                "use cash, card or mixed",
            )))
        }
    };
    // Card takes the exact amount: only cash handed over counts.
    let tendered = if field("payment") == "card" {
        None
    } else {
        money("tendered", Place::Tendered)?
    };
    Ok(NewOrder {
        venue,
        channel: Channel::BoxOffice,
        items,
        payment,
        email: Some(field("email").trim().to_owned()).filter(|e| !e.is_empty()),
        is_overbooking: false,
        mixed_cash_minor,
        cash_received_minor: tendered,
        name: None,
        idempotency_key: Some(field("sale_key")).filter(|k| !k.is_empty()),
    })
}

/// The tickets asked for: one line per product with a quantity (timed ones in `slot`).
fn items_from_form(
    page: &Page,
    venue: &str,
    slot: &str,
    fields: &[(String, String)],
) -> Result<Vec<NewOrderItem>, Refusal> {
    let timed: Vec<String> = page
        .state
        .node
        .catalog(venue, None)
        .map(|c| {
            c.products
                .into_iter()
                .filter(|p| matches!(p.validity, ProductValidity::Timed))
                .map(|p| p.id.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut items = Vec::new();
    for (name, value) in fields {
        let Some(product) = name.strip_prefix("qty-") else {
            continue;
        };
        let value = value.trim();
        let quantity: u32 = if value.is_empty() {
            0
        } else {
            value.parse().map_err(|_| {
                Refusal::from(AppError::invalid("quantity", "must be a whole number"))
            })?
        };
        if quantity == 0 {
            continue;
        }
        let is_timed = timed.iter().any(|id| id == product);
        if is_timed && slot.is_empty() {
            return Err(Refusal::from(AppError::invalid("slot", "choose a slot")));
        }
        items.push(NewOrderItem {
            product: product.to_owned(),
            slot: is_timed.then(|| slot.to_owned()),
            quantity,
        });
    }
    if items.is_empty() {
        return Err(Refusal::from(AppError::invalid(
            "quantity",
            "choose at least one ticket",
        )));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_go_next_to_their_field() {
        let at = |field| place_of(&AppError::invalid(field, "x"));
        assert_eq!(at("tendered"), Place::Tendered);
        assert_eq!(at("cash"), Place::MixedCash);
        assert_eq!(at("mixed_cash"), Place::MixedCash);
        assert_eq!(at("items"), Place::Quantity);
        assert_eq!(at("slot"), Place::Slot);
        assert_eq!(at("email"), Place::Email);
        assert_eq!(at("name"), Place::Other);
    }
}
