use aspk_render::{ticket_pdf, Paper};
use aspk_ticket::HumanNumber;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::dto::{PaperName, PdfQuery};
use crate::error::{Problem, ProblemCode};
use crate::extract::{ApiPath, ApiQuery};
use crate::{ApiError, AppState};

/// A PDF file (its schema only: the bytes go out as they are).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfFile(#[allow(dead_code)] Vec<u8>);

/// The ticket as a PDF with its QR code: A4 e-ticket or an 80 mm roll ticket.
/// The ticket number is the key (as it is at the gate), so no sign-in is needed.
#[utoipa::path(get, path = "/api/v1/tickets/{number}/pdf", tag = "tickets", params(("number" = String, Path), PdfQuery),
    responses((status = 200, content_type = "application/pdf", body = PdfFile), (status = 404, body = Problem)))]
pub async fn pdf(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<PdfQuery>,
) -> Result<Response, ApiError> {
    let paper = match q.paper.unwrap_or_default() {
        PaperName::A4 => Paper::A4,
        PaperName::Roll80mm => Paper::Roll80mm,
    };
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            format!("no ticket {number}"),
        )
    };
    let serial = HumanNumber::parse(&number)
        .map_err(|_| not_found())?
        .serial();
    let doc = state
        .node
        .ticket_document(serial)
        .await?
        .ok_or_else(not_found)?;
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
