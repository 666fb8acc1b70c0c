//! Entering paper sales: the form, the entry, and what it did (numbers, count, total, the
//! slot's capacity against its sales, the cash entered in this sitting against the cash
//! counted).

use aspk_app::{AppError, PaperEntry};
use aspk_domain::{parse_amount_minor, ConflictCode, Currency, PaymentMethod};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::super::frame::{form_field, redirect};
use super::super::Page;
use super::{chosen_venue, render, Notes, PaperQuery};

/// The sale form, as typed (or prefilled after the last entry).
#[derive(Default)]
pub struct SaleForm {
    pub series: String,
    pub numbers: String,
    pub product: String,
    pub slot: String,
    pub day: String,
    pub payment: String,
    pub sold_at: String,
    pub counted: String,
    /// Cash entered in this sitting, in minor units.
    pub session_cash: i64,
}

impl SaleForm {
    /// The form after an entry: the same series, category, slot and payment, ready for
    /// the next numbers.
    pub fn after(q: &PaperQuery) -> SaleForm {
        SaleForm {
            series: q.series.clone().unwrap_or_default(),
            product: q.product.clone().unwrap_or_default(),
            slot: q.slot.clone().unwrap_or_default(),
            payment: q.payment.clone().unwrap_or_else(|| "cash".into()),
            counted: q.counted.clone().unwrap_or_default(),
            session_cash: q.cash.unwrap_or_default(),
            ..SaleForm::default()
        }
    }

    fn typed(fields: &[(String, String)]) -> SaleForm {
        let f = |name| form_field(fields, name);
        SaleForm {
            series: f("series"),
            numbers: f("numbers"),
            product: f("product"),
            slot: f("slot"),
            day: f("day"),
            payment: f("payment"),
            sold_at: f("sold_at"),
            counted: f("counted"),
            session_cash: f("session_cash").parse().unwrap_or_default(),
        }
    }
}

/// What the last entry did, for the page.
pub struct Entered {
    pub numbers: String,
    pub count: u32,
    pub total: String,
    /// "capacity 30, sold 12".
    pub slot: Option<String>,
    pub session_cash: String,
    /// The cash counted and the difference to the cash entered, when it was typed.
    pub counted: Option<(String, String)>,
}

impl Entered {
    pub fn from_query(page: &Page, q: &PaperQuery, currency: Currency) -> Option<Entered> {
        q.order?;
        let cash = q.cash.unwrap_or_default();
        let slot = q.capacity.zip(q.sold).map(|(capacity, sold)| {
            page.t_args(
                "paper-slot-figures",
                &[("capacity", capacity.into()), ("sold", sold.into())],
            )
        });
        let counted = q
            .counted
            .as_deref()
            .and_then(parse_amount_minor)
            .map(|counted| {
                let diff = counted - cash;
                (page.money(counted, currency), signed(page, diff, currency))
            });
        Some(Entered {
            numbers: q.numbers.clone().unwrap_or_default(),
            count: q.count.unwrap_or_default(),
            total: page.money(q.total.unwrap_or_default(), currency),
            slot,
            session_cash: page.money(cash, currency),
            counted,
        })
    }
}

/// A difference with its sign: "+50,00 грн", "−20,00 грн", "0,00 грн".
fn signed(page: &Page, minor: i64, currency: Currency) -> String {
    let sign = match minor {
        m if m > 0 => "+",
        m if m < 0 => "−",
        _ => "",
    };
    format!("{sign}{}", page.money(minor.abs(), currency))
}

/// `POST /paper/sales`.
pub async fn enter(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    if let Err(refused) = page.check_post(&form_field(&fields, "csrf"), "/paper") {
        return *refused;
    }
    let Some(venue) = chosen_venue(&page, Some(&form_field(&fields, "venue"))) else {
        return page.error(AppError::NotFound {
            what: "venue",
            id: form_field(&fields, "venue"),
        });
    };
    let date = form_field(&fields, "date").parse::<NaiveDate>().ok();
    let form = SaleForm::typed(&fields);
    let entered = match entry(&form, &venue) {
        Ok(entry) => page.state.node.enter_paper_sale(&page.who, entry).await,
        Err(e) => Err(e),
    };
    match entered {
        Ok(done) => {
            let cash = if form.payment == "card" {
                form.session_cash
            } else {
                form.session_cash + done.total_minor
            };
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("venue", venue.id.as_str())
                .append_pair("series", &form.series)
                .append_pair("product", &form.product)
                .append_pair("slot", &form.slot)
                .append_pair("payment", &form.payment)
                .append_pair("cash", &cash.to_string())
                .append_pair("order", &done.order.to_string())
                .append_pair("count", &done.entered.to_string())
                .append_pair("total", &done.total_minor.to_string())
                .append_pair("numbers", &done.numbers)
                .append_pair("counted", &form.counted);
            if let Some(d) = date {
                q.append_pair("date", &d.to_string());
            }
            if let Some((_, capacity, sold)) = done.slot {
                q.append_pair("capacity", &capacity.to_string())
                    .append_pair("sold", &sold.to_string());
            }
            redirect(&format!("/paper?{}#entered", q.finish()))
        }
        Err(e @ (AppError::Forbidden(_) | AppError::Unauthenticated)) => page.error(e),
        Err(e) => {
            let notes = Notes {
                sale_error: Some(refusal_text(&page, &e, &venue, &form)),
                ..Notes::default()
            };
            let status = crate::ApiError::from(e).status;
            let status = if status.is_client_error() {
                status
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render(&page, &venue, date, form, notes, status)
        }
    }
}

/// The entry the form asks for.
fn entry(form: &SaleForm, venue: &aspk_domain::Venue) -> Result<PaperEntry, AppError> {
    let payment = form
        .payment
        .parse::<PaymentMethod>()
        .map_err(|_| AppError::invalid("payment", "cash or card"))?;
    let day = match form.day.as_str() {
        "" => None,
        d => Some(
            d.parse::<NaiveDate>()
                .map_err(|_| AppError::invalid("day", "a date"))?,
        ),
    };
    let sold_at = match form.sold_at.as_str() {
        "" => None,
        t => Some(local_time(t, venue).ok_or_else(|| AppError::invalid("sold_at", "a time"))?),
    };
    if !form.counted.is_empty() && parse_amount_minor(&form.counted).is_none() {
        return Err(AppError::invalid("counted", "an amount such as 1500"));
    }
    let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    Ok(PaperEntry {
        venue: Some(venue.id.as_str().to_owned()),
        series: form.series.clone(),
        numbers: form.numbers.clone(),
        product: some(&form.product),
        slot: some(&form.slot),
        day,
        payment,
        sold_at,
    })
}

/// A `datetime-local` value ("2026-05-01T14:30") in the venue's zone.
fn local_time(raw: &str, venue: &aspk_domain::Venue) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let local = venue.tz().from_local_datetime(&naive).earliest()?;
    Some(local.with_timezone(&Utc))
}

/// Why an entry was refused, in the page's language; a number entered before names the
/// earlier entry (its order, numbers, time in the venue's zone and who entered it).
fn refusal_text(
    page: &Page,
    err: &AppError,
    venue: &aspk_domain::Venue,
    form: &SaleForm,
) -> String {
    let general = page.error_text(err);
    let is_entered = matches!(
        err,
        AppError::Conflict {
            code: ConflictCode::StockEntered,
            ..
        }
    );
    let earlier = is_entered
        .then(|| {
            page.state.node.earlier_paper_entry(
                Some(venue.id.as_str()),
                &form.series,
                &form.numbers,
            )
        })
        .flatten();
    let Some(e) = earlier else {
        return general;
    };
    let args = [
        ("number", e.label.into()),
        (
            "order",
            aspk_ticket::HumanNumber::from_serial(e.order)
                .digits()
                .into(),
        ),
        ("numbers", e.numbers.into()),
        ("time", page.time(e.sold_at, Some(venue)).into()),
        ("by", page.actor_label(&e.by).into()),
    ];
    format!("{general}: {}", page.t_args("paper-entered-before", &args))
}
