//! `/api/v1`: one module per area, each with its handlers. Each route is registered from its
//! handler's `#[utoipa::path]` (`routes!`), so the OpenAPI document lists exactly the routes
//! served, at the paths and methods they are served at.

pub mod auth;
pub mod box_device;
pub mod catalog;
pub mod devices;
pub mod drills;
pub mod nodes;
pub mod orders;
pub mod paper;
mod payments;
pub mod requests;
pub mod scans;
pub mod sync;
pub mod system;
pub mod tickets;

use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::limits::{Answer, Limiters, RouteLimit};
use crate::AppState;

/// The JSON API (replication and the phones' API apart), with its document.
pub fn api(limits: &Limiters) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(limited(routes!(auth::token), &limits.sign_in))
        .routes(routes!(auth::renew))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::add_user))
        .routes(routes!(catalog::catalog))
        .routes(routes!(catalog::save_venue))
        .routes(routes!(catalog::save_product))
        .routes(routes!(catalog::create_slot))
        .routes(routes!(orders::place))
        .routes(routes!(payments::callback))
        .routes(routes!(payments::deliveries))
        .routes(limited(routes!(orders::get), &limits.order))
        .routes(routes!(orders::cancel))
        .routes(limited(routes!(requests::create), &limits.contact))
        .routes(limited(routes!(requests::inbound_mail), &limits.contact))
        .routes(routes!(scans::scan))
        .routes(limited(routes!(tickets::pdf), &limits.ticket_pdf))
        .routes(limited(routes!(system::status), &limits.status))
        .routes(routes!(system::findings))
        .routes(routes!(system::resolve))
        .routes(routes!(nodes::create))
        .routes(limited(routes!(nodes::redeem), &limits.redeem))
        .routes(routes!(nodes::list))
        .routes(routes!(nodes::revoke))
        .routes(routes!(paper::create_batch, paper::list_batches))
        .routes(routes!(paper::batch_pdf))
        .routes(routes!(paper::batch_codes))
        .routes(routes!(paper::move_stock))
        .routes(routes!(paper::enter_sales))
        .routes(upload(routes!(paper::import_entries)))
        .routes(upload(routes!(paper::import_photos)))
        .routes(routes!(drills::start_drill, drills::list_drills))
        .routes(routes!(drills::drill_review))
        .routes(routes!(drills::end_drill))
        .routes(routes!(system::healthz))
}

/// A route that takes uploads (photos, CSV): a larger body limit than the rest of the API.
fn upload((schemas, paths, method): UtoipaMethodRouter<AppState>) -> UtoipaMethodRouter<AppState> {
    let method = method.layer(axum::extract::DefaultBodyLimit::max(
        paper::MAX_UPLOAD_BYTES,
    ));
    (schemas, paths, method)
}

/// A documented route under a rate limit: the limit's layer on the route, and its 429
/// answer (with `Retry-After`) in the route's document, from the same call.
fn limited(
    (schemas, mut paths, method): UtoipaMethodRouter<AppState>,
    limit: &RouteLimit,
) -> UtoipaMethodRouter<AppState> {
    for item in paths.paths.values_mut() {
        crate::openapi::document_rate_limit(item);
    }
    let method = crate::limits::limited(method, limit, Answer::Problem);
    (schemas, paths, method)
}

/// A body that may be left out (or be `null`): then `T::default()`. Otherwise a JSON object
/// (serde would also take an array for a struct, which the document does not allow).
pub(crate) fn optional_object<T>(body: &[u8]) -> Result<T, crate::ApiError>
where
    T: serde::de::DeserializeOwned + Default,
{
    let value: Option<serde_json::Value> = crate::extract::optional_json(body)?;
    match value {
        None => Ok(T::default()),
        Some(value @ serde_json::Value::Object(_)) => serde_json::from_value(value)
            .map_err(|e| crate::ApiError::unprocessable(format!("the JSON does not fit: {e}"))),
        Some(_) => Err(crate::ApiError::unprocessable(
            "the JSON does not fit: the body must be an object (or left out)",
        )),
    }
}

/// Largest replication body (a push of 10,000 ops).
const MAX_SYNC_BODY: usize = 64 * 1024 * 1024;

/// Replication between nodes: larger bodies, gzip both ways.
pub fn sync_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sync::status))
        .routes(routes!(sync::pull))
        .routes(routes!(sync::push))
        .routes(routes!(sync::lease))
        .routes(routes!(sync::renew_key))
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
        .layer(tower_http::decompression::RequestDecompressionLayer::new().gzip(true))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_SYNC_BODY))
}
