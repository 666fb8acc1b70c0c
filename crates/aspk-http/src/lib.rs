//! The HTTP face of a node: the JSON API under `/api/v1` (problem+json errors, bearer
//! auth, OpenAPI at `/api/openapi.json`), `/healthz`, and the staff pages. Handlers are thin:
//! they parse, call `aspk-app`, and shape the answer. Must not hold business rules.

mod box_app;
mod cookies;
mod dto;
mod error;
mod extract;
mod headers;
mod limits;
mod openapi;
mod pages;
pub mod payments;
mod routes;
mod scan_app;
mod serve;

use std::time::Duration;

use aspk_app::Node;
use axum::Router;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use limits::RateLimits;
pub use serve::{serve, ServeLimits, Server};

/// Largest request body accepted (an order of 20 items is far below this).
const MAX_BODY: usize = 64 * 1024;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub node: Node,
    /// The link to the upstream, on a site node.
    pub upstream: Option<std::sync::Arc<aspk_app::UpstreamStatus>>,
    /// The payment providers online orders are paid through.
    pub payments: std::sync::Arc<payments::Payments>,
    /// The secret the mail provider's inbound hook (`POST /api/v1/mail/inbound`) must give;
    /// none: the hook is off.
    pub inbound_mail_secret: Option<std::sync::Arc<str>>,
}

/// The whole HTTP surface of a node, with the default rate limits.
pub fn router(state: AppState) -> Router {
    router_with(state, RateLimits::default())
}

/// The whole HTTP surface of a node. Serve it with [`serve`]: rate limits and sign-in
/// lockouts need the peer's address it supplies.
pub fn router_with(state: AppState, rate_limits: RateLimits) -> Router {
    let limiters = limits::Limiters::new(rate_limits);
    let (api, document) = openapi::api(&limiters);
    Router::new()
        .merge(api)
        .route("/api/openapi.json", openapi::serve(&document))
        .merge(scan_app::routes())
        .merge(box_app::routes())
        .merge(
            pages::routes(&limiters).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                pages::renew_session,
            )),
        )
        .fallback(error::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
