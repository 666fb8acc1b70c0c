use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use crate::error::Problem;
use crate::extract::ApiPath;
use crate::{ApiError, AppState};

/// A payment provider's server-to-server callback, in the provider's own format
/// (`liqpay`: form `data` + `signature`; `monobank`: JSON with `X-Sign`; `test`: JSON with
/// `X-Test-Signature`). Answers 200 once the signature is verified and the payment is
/// settled (the order is placed, or its refund recorded); the same callback again changes
/// nothing. A forged one is 401 and changes nothing.
#[utoipa::path(post, path = "/api/v1/payments/{provider}/callback", tag = "payments",
    params(("provider" = String, Path, description = "`liqpay`, `monobank` or `test`")),
    request_body(content = String, description = "the provider's own callback body", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "verified and settled"),
        (status = 401, description = "`unauthenticated`: the signature does not verify", body = Problem),
        (status = 404, description = "`not_found`: no such provider here, or no such order", body = Problem),
        (status = 422, description = "`invalid_input`: a callback that cannot be read", body = Problem),
        (status = 503, description = "`unavailable`: the provider's key is not known yet; try again", body = Problem)))]
pub async fn callback(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    crate::payments::callback(&state, &provider, &headers, &body).await?;
    Ok(StatusCode::OK)
}

/// One attempt to deliver a webhook event to an integration.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryDto {
    /// The event's id (`origin:seq` of the op behind it; the same event keeps it).
    pub event: String,
    /// `order.paid`, `order.cancelled` or `ticket.entered`.
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: chrono::DateTime<chrono::Utc>,
    pub attempt: u32,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong; absent when the receiver took it.
    pub error: Option<String>,
}

/// The latest webhook deliveries of this node, newest first (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "system", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeliveryDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    crate::extract::Staff(who): crate::extract::Staff,
) -> Result<axum::Json<Vec<DeliveryDto>>, ApiError> {
    let list = state
        .node
        .webhook_deliveries(&who, 200)?
        .into_iter()
        .map(|d| DeliveryDto {
            event: d.event,
            kind: d.kind,
            url: d.url,
            at: d.at,
            attempt: d.attempt,
            status: d.status,
            error: d.error,
        })
        .collect();
    Ok(axum::Json(list))
}
