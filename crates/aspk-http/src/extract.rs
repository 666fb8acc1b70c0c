//! Extractors that turn every malformed request into a clear problem+json 4xx, and that
//! resolve the bearer token to a staff principal.

use aspk_app::Principal;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ProblemCode;
use crate::{ApiError, AppState};

/// A JSON body; syntax errors are 400, shape errors 422, a missing content type 415.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            ApiError::unprocessable(format!("the JSON does not fit: {}", e.body_text()))
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            ProblemCode::MalformedJson,
            format!("the body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemCode::UnsupportedMediaType,
            "send the body as JSON with 'Content-Type: application/json'",
        ),
        JsonRejection::BytesRejection(e) => {
            ApiError::new(e.status(), ProblemCode::BodyRejected, e.body_text())
        }
        other => ApiError::bad_request(ProblemCode::BadRequest, other.body_text()),
    }
}

/// A JSON body that may be left out entirely (then `T::default()`).
pub fn optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::unprocessable(format!("the JSON does not fit: {e}"))
        } else {
            ApiError::bad_request(
                ProblemCode::MalformedJson,
                format!("the body is not valid JSON: {e}"),
            )
        }
    })
}

/// Query parameters; a mistake is 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::bad_request(ProblemCode::BadQuery, e.body_text())
            })
    }
}

/// Path parameters; a mistake is 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| ApiError::bad_request(ProblemCode::BadPath, e.body_text()))
    }
}

/// The address the request came from (the TCP peer; `None` when the server did not say,
/// as in tests that call the router directly). Sign-in lockouts count per address.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// A signed-in staff member (bearer token or the staff app's session cookie); 401 otherwise.
pub struct Staff(pub Principal);

/// The staff member if a credential was sent; `None` for anonymous visitors.
/// A credential that was sent but is wrong is still a 401.
pub struct MaybeStaff(pub Option<Principal>);

fn credential(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default();
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .unwrap_or("");
        return Some(token.trim().to_owned());
    }
    crate::cookies::read(&parts.headers, crate::cookies::SESSION)
}

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match credential(parts) {
            None => Ok(Self(None)),
            Some(token) => state
                .node
                .authenticate(&token)
                .map(|p| Self(Some(p)))
                .map_err(ApiError::from),
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match MaybeStaff::from_request_parts(parts, state).await?.0 {
            Some(p) => Ok(Self(p)),
            None => Err(aspk_app::AppError::Unauthenticated.into()),
        }
    }
}

/// The raw session token a request carries (bearer header or the staff app's cookie); 401
/// when there is none.
pub struct Bearer(pub String);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        credential(parts)
            .filter(|t| !t.is_empty())
            .map(Self)
            .ok_or_else(|| aspk_app::AppError::Unauthenticated.into())
    }
}

/// The address clients reached this node at, for links they will open (`https` when the
/// request came over TLS, directly or through a proxy); relative when the host is unknown.
pub(crate) fn base_url(headers: &axum::http::HeaderMap) -> String {
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("{scheme}://{h}"))
        .unwrap_or_default()
}
