use aspk_app::{AppError, ScanInput, ScanOutcome};
use axum::extract::State;
use axum::Json;

use crate::dto::{
    local, number, number_display, EntryDto, ScanRequest, ScanResponse, ScanTicketDto,
};
use crate::error::Problem;
use crate::extract::{ApiJson, Staff};
use crate::{ApiError, AppState};

const MAX_INPUT: usize = 512;

/// Check a ticket at a gate: by the QR code's text or by the typed ticket number.
/// Of simultaneous scans of one ticket exactly one gets `admit`.
#[utoipa::path(post, path = "/api/v1/scans", tag = "admission", request_body = ScanRequest, security(("bearer" = [])),
    responses((status = 200, body = ScanResponse), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn scan(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiJson(req): ApiJson<ScanRequest>,
) -> Result<Json<ScanResponse>, ApiError> {
    let input = match (req.code, req.number) {
        // A number typed into the code field counts as a number: one rule for the gate, the
        // phone and the API (`HumanNumber::is_typed`; the shared vectors in
        // aspk-ticket/vectors/typed-numbers.json).
        (Some(code), None) if aspk_ticket::HumanNumber::is_typed(&code) => ScanInput::Number(code),
        (Some(code), None) => ScanInput::Code(code),
        (None, Some(number)) => ScanInput::Number(number),
        _ => {
            return Err(AppError::invalid("code", "give exactly one of 'code' or 'number'").into())
        }
    };
    let len = match &input {
        ScanInput::Code(s) | ScanInput::Number(s) => s.chars().count(),
    };
    if len > MAX_INPUT {
        return Err(
            AppError::invalid("code", format!("is longer than {MAX_INPUT} characters")).into(),
        );
    }
    let gate = req.gate.unwrap_or_else(|| "api".to_owned());
    let outcome = state
        .node
        .scan(&who, input, &gate, req.venue.as_deref())
        .await?;
    Ok(Json(response(&state, outcome)))
}

fn response(state: &AppState, outcome: ScanOutcome) -> ScanResponse {
    let venue = outcome
        .ticket
        .as_ref()
        .and_then(|t| state.node.venue(t.venue.as_str()));
    let ticket = outcome.ticket.as_ref().map(|t| ScanTicketDto {
        number: number(t.serial),
        number_display: number_display(t.serial),
        order: number(t.order),
        venue: t.venue.to_string(),
        product: t.product.to_string(),
        product_name: outcome.product.as_ref().map(|p| p.name.uk.clone()),
        slot: t.slot.clone(),
        status: t.status,
        valid_from: local(venue.as_ref(), t.valid_from),
        valid_until: local(venue.as_ref(), t.valid_until),
        needs_document_check: outcome
            .product
            .as_ref()
            .is_some_and(|p| p.needs_document_check()),
        document: outcome
            .product
            .as_ref()
            .and_then(|p| p.document.as_ref())
            .map(|d| d.uk.clone()),
    });
    ScanResponse {
        result: outcome.result,
        ticket,
        first_entry: outcome
            .first_entry
            .as_ref()
            .map(|e| EntryDto::new(e, venue.as_ref())),
        sale_entered: outcome.sale_entered,
    }
}
