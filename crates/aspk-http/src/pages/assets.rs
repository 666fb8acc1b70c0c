//! The staff app's static files, compiled into the binary (no CDN, works offline on a LAN).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &str)] = &[
    (
        "staff.css",
        "text/css; charset=utf-8",
        include_str!("../../../../web/staff/staff.css"),
    ),
    (
        "box-office.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/staff/box-office.js"),
    ),
    (
        "failover.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/staff/failover.js"),
    ),
    (
        "handoff.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/staff/handoff.js"),
    ),
    (
        "page.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/staff/page.js"),
    ),
    (
        "paper.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/staff/paper.js"),
    ),
    (
        "orders.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/staff/orders.js"),
    ),
    (
        "shop.css",
        "text/css; charset=utf-8",
        include_str!("../../../../web/shop/shop.css"),
    ),
    (
        "shop-pay.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/shop/shop-pay.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_str!("../../../../web/scan/icon.svg"),
    ),
];

pub async fn file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
