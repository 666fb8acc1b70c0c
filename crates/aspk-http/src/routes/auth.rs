use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::dto::{TokenRequest, TokenResponse, UserRequest};
use crate::error::Problem;
use crate::extract::{ApiJson, Bearer, ClientAddr, Staff};
use crate::{ApiError, AppState};

/// Exchange a user name and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem),
        (status = 429, description = "`locked_out`: too many wrong passwords for this name from this address; `rate_limited`: too many sign-ins from this address (see `Retry-After`)", body = Problem)))]
pub async fn token(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    if req.username.len() > 256 || req.password.len() > 1024 {
        return Err(aspk_app::AppError::BadCredentials.into());
    }
    let issued = state
        .node
        .sign_in(&req.username, &req.password, source)
        .await?;
    Ok(Json(TokenResponse {
        token: issued.token,
        expires_at: issued.expires_at,
        role: issued.role,
    }))
}

/// Add a staff member (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "auth", request_body = UserRequest, security(("bearer" = [])),
    responses((status = 201), (status = 403, body = Problem), (status = 404, description = "`not_found`: no such venue", body = Problem),
        (status = 409, description = "`user_exists`, or `not_authority` at a node that is not the cloud", body = Problem), (status = 422, body = Problem)))]
pub async fn add_user(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiJson(req): ApiJson<UserRequest>,
) -> Result<StatusCode, ApiError> {
    who.require_to(aspk_app::Action::ChangeStaff)?;
    state
        .node
        .add_user(
            &who.actor(),
            &req.username,
            &req.password,
            req.role,
            req.venue.as_deref(),
        )
        .await?;
    Ok(StatusCode::CREATED)
}

/// A fresh token for the same session (tokens last half an hour; a session up to a
/// working day). The old token stays valid until it runs out.
#[utoipa::path(post, path = "/api/v1/auth/renew", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem)))]
pub async fn renew(
    State(state): State<AppState>,
    session: Bearer,
) -> Result<Json<TokenResponse>, ApiError> {
    let issued = state.node.renew_session(&session.0)?;
    Ok(Json(TokenResponse {
        token: issued.token,
        expires_at: issued.expires_at,
        role: issued.role,
    }))
}

/// Ends the session on every node: its tokens stop working once the sign-out has
/// replicated (at once here).
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn sign_out(
    State(state): State<AppState>,
    session: Bearer,
) -> Result<StatusCode, ApiError> {
    state.node.end_session(&session.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
