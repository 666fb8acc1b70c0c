//! Visitors' questions from the shop's contact form (no sign-in).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Problem;
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

#[derive(Deserialize, ToSchema)]
pub struct NewRequest {
    pub venue: String,
    pub name: String,
    pub email: String,
    pub subject: String,
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct RequestCreated {
    pub id: String,
}

/// Send a question to the museum's staff; it lands in their requests inbox.
#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", request_body = NewRequest,
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
