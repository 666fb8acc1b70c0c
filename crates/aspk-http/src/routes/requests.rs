//! Visitors' questions from the shop's contact form (no sign-in).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Problem;
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

/// A visitor's question. The texts may not be blank, nor hold control characters other
/// than line breaks.
#[derive(Deserialize, ToSchema)]
pub struct NewRequest {
    pub venue: String,
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    #[schema(
        max_length = 254,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^.\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+(?:\.[^.\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+)+[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub email: String,
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
    )]
    pub subject: String,
    #[schema(
        max_length = 5000,
        pattern = r"^[^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
    )]
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct RequestCreated {
    pub id: String,
}

/// Send a question to the museum's staff; it lands in their requests inbox.
#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", operation_id = "create_request", request_body = NewRequest,
    responses((status = 201, body = RequestCreated), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<NewRequest>,
) -> Result<(StatusCode, Json<RequestCreated>), ApiError> {
    let id = state
        .node
        .receive_request(&req.venue, &req.name, &req.email, &req.subject, &req.body)
        .await?;
    Ok((StatusCode::CREATED, Json(RequestCreated { id })))
}

/// A visitor's e-mail reply, as the mail provider's inbound hook posts it (the fields most
/// providers' parsed-mail hooks have, or map to).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct InboundMail {
    /// The sender's address (`Name <a@b>` or `a@b`).
    #[schema(max_length = 320)]
    pub from: String,
    #[schema(max_length = 998)]
    pub subject: String,
    /// The plain-text body.
    #[schema(max_length = 20000)]
    pub text: String,
    /// A delivery status notification (a bounce) rather than a visitor's reply; also taken
    /// as one when it comes from `mailer-daemon@` or `postmaster@`.
    #[serde(default)]
    pub bounce: bool,
}

/// The mail provider posts a visitor's reply here (with `Authorization: Bearer` and the
/// secret from `ASPK_INBOUND_MAIL_SECRET`): it joins the request whose tag `[#id]` is in the
/// subject, when it comes from that request's address; 404 otherwise, and nothing changes.
#[utoipa::path(post, path = "/api/v1/mail/inbound", tag = "requests", request_body = InboundMail,
    security(("bearer" = [])),
    responses((status = 200, description = "joined its thread"),
        (status = 401, description = "no hook here, or the wrong secret", body = Problem),
        (status = 404, description = "no thread for it", body = Problem),
        (status = 422, body = Problem)))]
pub async fn inbound_mail(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiJson(mail): ApiJson<InboundMail>,
) -> Result<axum::http::StatusCode, ApiError> {
    use subtle::ConstantTimeEq;
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let allowed = state
        .inbound_mail_secret
        .as_deref()
        .is_some_and(|secret| bool::from(secret.as_bytes().ct_eq(given.as_bytes())));
    if !allowed {
        return Err(aspk_app::AppError::Unauthenticated.into());
    }
    let from = mail
        .from
        .rsplit_once('<')
        .map_or(mail.from.as_str(), |(_, rest)| rest.trim_end_matches('>'))
        .trim();
    let sender = from.to_ascii_lowercase();
    if mail.bounce || sender.starts_with("mailer-daemon@") || sender.starts_with("postmaster@") {
        state.node.receive_bounce(&mail.text).await?;
        return Ok(axum::http::StatusCode::OK);
    }
    state
        .node
        .receive_visitor_reply(from, &mail.subject, &mail.text)
        .await?;
    Ok(axum::http::StatusCode::OK)
}
