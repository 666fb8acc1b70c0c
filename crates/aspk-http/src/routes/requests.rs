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
