use aspk_domain::{Money, Product, Ticket, Venue};
use aspk_i18n::{bilingual, t, t_args, Lang};
use aspk_render::{ticket_pdf, Paper, TicketDoc};
use aspk_ticket::HumanNumber;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::dto::{number_display, PdfQuery};
use crate::error::Problem;
use crate::extract::{ApiPath, ApiQuery};
use crate::{ApiError, AppState};

/// The ticket as a PDF with its QR code: A4 e-ticket or an 80 mm roll ticket.
/// The ticket number is the key (as it is at the gate), so no sign-in is needed.
#[utoipa::path(get, path = "/api/v1/tickets/{number}/pdf", tag = "tickets", params(("number" = String, Path), PdfQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn pdf(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<PdfQuery>,
) -> Result<Response, ApiError> {
    let paper = match q.paper.as_deref() {
        None | Some("a4") => Paper::A4,
        Some("80mm") => Paper::Roll80mm,
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("paper '{other}': use 'a4' or '80mm'"),
            ))
        }
    };
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no ticket {number}"),
        )
    };
    let serial = HumanNumber::parse(&number)
        .map_err(|_| not_found())?
        .serial();
    let doc = state
        .node
        .read(|s| {
            let ticket = s.tickets.get(&serial)?;
            let venue = s.venues.get(&ticket.venue)?.clone();
            let product = s
                .products
                .get(&(ticket.venue.clone(), ticket.product.clone()))?
                .clone();
            Some((ticket, venue, product))
        })
        .ok_or_else(not_found)?;
    let code = state
        .node
        .ticket_code(serial)
        .await?
        .ok_or_else(not_found)?;
    let doc = ticket_doc(&doc.0, &code, &doc.1, &doc.2);
    let bytes = tokio::task::spawn_blocking(move || ticket_pdf(&[doc], paper))
        .await
        .map_err(|e| aspk_app::AppError::Internal(e.into()))?
        .map_err(|e| aspk_app::AppError::Internal(anyhow::anyhow!("rendering a ticket: {e}")))?;
    let filename = format!(
        "attachment; filename=\"ticket-{}.pdf\"",
        number
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        bytes,
    )
        .into_response())
}

fn both(uk: &str, en: &str) -> String {
    if en.is_empty() || uk == en {
        uk.to_owned()
    } else {
        format!("{uk} / {en}")
    }
}

/// Everything printed on a ticket, in both languages, times in the venue's zone.
pub fn ticket_doc(ticket: &Ticket, code: &str, venue: &Venue, product: &Product) -> TicketDoc {
    let tz = venue.tz();
    let when = match ticket.valid_days {
        Some((first, last)) if first == last => first.format("%d.%m.%Y").to_string(),
        Some((first, last)) => {
            format!("{} – {}", first.format("%d.%m.%Y"), last.format("%d.%m.%Y"))
        }
        None => {
            let (from, until) = (
                ticket.valid_from.with_timezone(&tz),
                ticket.valid_until.with_timezone(&tz),
            );
            format!(
                "{} {}–{}",
                from.format("%d.%m.%Y"),
                from.format("%H:%M"),
                until.format("%H:%M")
            )
        }
    };
    let time_label = if ticket.valid_days.is_some() {
        "ticket-valid-days"
    } else {
        "ticket-time"
    };
    let price = Money {
        minor: ticket.price_minor,
        currency: venue.currency,
    };
    let notice = product.document.as_ref().map(|doc| {
        let uk = t_args(
            Lang::Uk,
            "ticket-document",
            &[("document", doc.uk.as_str().into())],
        );
        let en = t_args(
            Lang::En,
            "ticket-document",
            &[("document", doc.get("en").into())],
        );
        both(&uk, &en)
    });
    TicketDoc {
        code: code.to_owned(),
        number: number_display(ticket.serial),
        title: bilingual("ticket-title"),
        venue: both(&venue.name.uk, &venue.name.en),
        lines: vec![
            (
                bilingual("ticket-category"),
                both(&product.name.uk, &product.name.en),
            ),
            (bilingual(time_label), when),
            (bilingual("ticket-price"), price.display("uk")),
            (bilingual("ticket-order"), number_display(ticket.order)),
        ],
        notice,
        footer: Some(both(
            &t(Lang::Uk, "ticket-footer"),
            &t(Lang::En, "ticket-footer"),
        )),
    }
}
