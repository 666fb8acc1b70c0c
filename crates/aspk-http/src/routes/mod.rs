//! `/api/v1`: one module per area, each with its handlers.

pub mod auth;
pub mod catalog;
pub mod orders;
pub mod scans;
pub mod system;
pub mod tickets;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn api() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/token", post(auth::token))
        .route("/api/v1/users", post(auth::add_user))
        .route("/api/v1/catalog", get(catalog::catalog))
        .route("/api/v1/venues", post(catalog::save_venue))
        .route(
            "/api/v1/venues/{venue}/products",
            post(catalog::save_product),
        )
        .route("/api/v1/venues/{venue}/slots", post(catalog::create_slot))
        .route("/api/v1/orders", post(orders::place))
        .route("/api/v1/orders/{number}", get(orders::get))
        .route("/api/v1/orders/{number}/cancel", post(orders::cancel))
        .route("/api/v1/scans", post(scans::scan))
        .route("/api/v1/tickets/{number}/pdf", get(tickets::pdf))
        .route("/api/v1/status", get(system::status))
        .route("/api/v1/findings", get(system::findings))
        .route("/api/openapi.json", get(system::openapi))
        .route("/healthz", get(system::healthz))
}
