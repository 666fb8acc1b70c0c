use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::dto::{FindingDto, FindingsQuery, StatusResponse};
use crate::error::Problem;
use crate::extract::{ApiQuery, Staff};
use crate::{ApiError, AppState};

/// The node's role, replication health and open findings.
#[utoipa::path(get, path = "/api/v1/status", tag = "system", responses((status = 200, body = StatusResponse)))]
pub async fn status(State(state): State<AppState>) -> Json<StatusResponse> {
    let (_, is_store_stalled) = state.node.writer_stats();
    let ops_in_log = state.node.read(|s| s.op_count);
    Json(StatusResponse {
        role: state.role.to_owned(),
        upstream: None,
        pending_ops: 0,
        findings_open: 0,
        origin: state.node.origin().to_owned(),
        ops_in_log,
        is_store_stalled,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Conflicts found when reconciling what happened in different places.
/// A single node decides everything in one place, so it finds none; replicas will.
#[utoipa::path(get, path = "/api/v1/findings", tag = "system", params(FindingsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<FindingDto>), (status = 401, body = Problem)))]
pub async fn findings(
    Staff(_who): Staff,
    ApiQuery(q): ApiQuery<FindingsQuery>,
) -> Result<Json<Vec<FindingDto>>, ApiError> {
    match q.status.as_deref() {
        None | Some("open") | Some("resolved") => Ok(Json(Vec::new())),
        Some(other) => Err(ApiError::bad_request(
            "bad_query",
            format!("status '{other}': use 'open' or 'resolved'"),
        )),
    }
}

/// 200 when the store answers.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200), (status = 503, body = Problem)))]
pub async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.node.store().ping().await.map(|()| "ok").map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        )
    })
}

/// This document.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}
