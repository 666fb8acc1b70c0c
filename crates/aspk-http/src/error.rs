//! One error type for every handler: a status plus an `application/problem+json` body with a
//! stable `code` that clients match on, and a `detail` for people. Codes never change.

use aspk_app::AppError;
use aspk_domain::ConflictCode;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank` or a documentation URI.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `sold_out`: a [`ProblemCode`], or for a 409 that
    /// the state refused a [`ConflictCode`].
    #[schema(schema_with = code_schema)]
    pub code: &'static str,
}

/// `code` is one of two closed lists.
fn code_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{OneOfBuilder, Ref, Schema};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(Ref::from_schema_name("ProblemCode"))
            .item(Ref::from_schema_name("ConflictCode"))
            .description(Some("Stable machine-readable code: clients match on it."))
            .build(),
    )
}

/// The codes of problems that are not conflicts with the state (those are
/// [`ConflictCode`]s). A code never changes; new ones may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// A value in the request breaks a rule (422).
    InvalidInput,
    /// No such resource (404).
    NotFound,
    /// The request names something that does not exist (422).
    UnknownReference,
    /// Not enough seats (409).
    SoldOut,
    /// Wrong user name or password (401).
    BadCredentials,
    /// No credential, or one that is not valid (any more) (401).
    Unauthenticated,
    /// Too many wrong passwords for this name from this address (429).
    LockedOut,
    /// The caller's role may not do this (403).
    Forbidden,
    /// The store does not answer: retry later (503).
    Unavailable,
    /// A bug: see the server log (500).
    Internal,
    /// Too many requests from this address (429, see `Retry-After`).
    RateLimited,
    /// The body is not valid JSON (400).
    MalformedJson,
    /// The body was not sent as `application/json` (415).
    UnsupportedMediaType,
    /// The body could not be read: too large (413), or broken (400).
    BodyRejected,
    /// The request is malformed (400).
    BadRequest,
    /// A query parameter is malformed or unknown (400).
    BadQuery,
    /// A path parameter is malformed (400).
    BadPath,
}

impl ProblemCode {
    /// Every code, in declaration order.
    pub const ALL: &'static [ProblemCode] = &[
        Self::InvalidInput,
        Self::NotFound,
        Self::UnknownReference,
        Self::SoldOut,
        Self::BadCredentials,
        Self::Unauthenticated,
        Self::LockedOut,
        Self::Forbidden,
        Self::Unavailable,
        Self::Internal,
        Self::RateLimited,
        Self::MalformedJson,
        Self::UnsupportedMediaType,
        Self::BodyRejected,
        Self::BadRequest,
        Self::BadQuery,
        Self::BadPath,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::NotFound => "not_found",
            Self::UnknownReference => "unknown_reference",
            Self::SoldOut => "sold_out",
            Self::BadCredentials => "bad_credentials",
            Self::Unauthenticated => "unauthenticated",
            Self::LockedOut => "locked_out",
            Self::Forbidden => "forbidden",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::RateLimited => "rate_limited",
            Self::MalformedJson => "malformed_json",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::BodyRejected => "body_rejected",
            Self::BadRequest => "bad_request",
            Self::BadQuery => "bad_query",
            Self::BadPath => "bad_path",
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
}

impl ApiError {
    /// `code` is a [`ProblemCode`] or a [`ConflictCode`]: the document lists no others, and a
    /// debug build (every test) says so at once.
    /// A problem with one of the listed codes (the document lists exactly these).
    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.as_str(),
            detail: detail.into(),
        }
    }

    /// A request the state refused (409).
    fn conflict(code: ConflictCode, detail: String) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            code: code.as_str(),
            detail,
        }
    }

    pub fn bad_request(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::InvalidInput,
            detail,
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let detail = e.to_string();
        use ProblemCode as P;
        let (status, code) = match &e {
            AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, P::InvalidInput),
            AppError::NotFound { .. } => (StatusCode::NOT_FOUND, P::NotFound),
            AppError::UnknownReference { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, P::UnknownReference)
            }
            AppError::SoldOut { .. } => (StatusCode::CONFLICT, P::SoldOut),
            AppError::Conflict { code, .. } => return Self::conflict(*code, detail),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, P::BadCredentials),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, P::Unauthenticated),
            AppError::LockedOut { .. } => (StatusCode::TOO_MANY_REQUESTS, P::LockedOut),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, P::Forbidden),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, P::Unavailable),
            AppError::Internal(inner) => {
                tracing::error!(error = ?inner, "internal error");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    P::Internal,
                    "internal error; see the server log",
                );
            }
        };
        Self::new(status, code, detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, json).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ProblemCode::NotFound,
        format!("no such resource: {}", uri.path()),
    )
}

impl From<aspk_domain::ValidationError> for ApiError {
    fn from(e: aspk_domain::ValidationError) -> Self {
        AppError::from(e).into()
    }
}
