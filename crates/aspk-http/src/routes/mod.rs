//! `/api/v1`: one module per area, each with its handlers.

pub mod auth;
pub mod catalog;
pub mod devices;
pub mod nodes;
pub mod orders;
pub mod requests;
pub mod scans;
pub mod sync;
pub mod system;
pub mod tickets;

use axum::routing::{get, post};
use axum::Router;

use crate::limits::{limited, Answer, Limiters};
use crate::AppState;

pub fn api(limits: &Limiters) -> Router<AppState> {
    let api = Answer::Problem;
    Router::new()
        .route(
            "/api/v1/auth/token",
            limited(post(auth::token), &limits.sign_in, api),
        )
        .route("/api/v1/auth/renew", post(auth::renew))
        .route("/api/v1/auth/sign-out", post(auth::sign_out))
        .route("/api/v1/users", post(auth::add_user))
        .route("/api/v1/catalog", get(catalog::catalog))
        .route("/api/v1/venues", post(catalog::save_venue))
        .route(
            "/api/v1/venues/{venue}/products",
            post(catalog::save_product),
        )
        .route("/api/v1/venues/{venue}/slots", post(catalog::create_slot))
        .route("/api/v1/orders", post(orders::place))
        .route(
            "/api/v1/orders/{number}",
            limited(get(orders::get), &limits.order, api),
        )
        .route("/api/v1/orders/{number}/cancel", post(orders::cancel))
        .route(
            "/api/v1/requests",
            limited(post(requests::create), &limits.contact, api),
        )
        .route("/api/v1/scans", post(scans::scan))
        .route(
            "/api/v1/tickets/{number}/pdf",
            limited(get(tickets::pdf), &limits.ticket_pdf, api),
        )
        .route(
            "/api/v1/status",
            limited(get(system::status), &limits.status, api),
        )
        .route("/api/v1/findings", get(system::findings))
        .route("/api/v1/findings/{id}/resolve", post(system::resolve))
        .route("/api/v1/enrolments", post(nodes::create))
        .route(
            "/api/v1/enrolments/redeem",
            limited(post(nodes::redeem), &limits.redeem, api),
        )
        .route("/api/v1/nodes", get(nodes::list))
        .route("/api/v1/nodes/{node_id}/revoke", post(nodes::revoke))
        .route("/api/openapi.json", get(system::openapi))
        .route("/healthz", get(system::healthz))
}

/// Largest replication body (a push of 10,000 ops).
const MAX_SYNC_BODY: usize = 64 * 1024 * 1024;

/// Replication between nodes: larger bodies, gzip both ways.
pub fn sync_api() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sync/status", get(sync::status))
        .route("/api/v1/sync/pull", get(sync::pull))
        .route("/api/v1/sync/push", post(sync::push))
        .route("/api/v1/sync/lease", post(sync::lease))
        .route("/api/v1/sync/renew-key", post(sync::renew_key))
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
        .layer(tower_http::decompression::RequestDecompressionLayer::new().gzip(true))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_SYNC_BODY))
}
