//! Security headers for what people open in a browser: the staff app and the scanner app.
//!
//! A strict Content-Security-Policy (scripts and styles only from this node's own files, no
//! inline code, no framing), `X-Frame-Options: DENY` for browsers that predate
//! `frame-ancestors`, `nosniff`, `Referrer-Policy: same-origin`, and `Cache-Control:
//! no-store` so a shared till never shows the last person's pages from its cache. A
//! response that sets one of these itself keeps its own (the static files' `no-cache`, the
//! scanner app's policy naming its upstreams, a PDF the box office shows in a frame).

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// The staff app's policy. `connect-src` allows other nodes: on failover a page probes the
/// organisation's other endpoints (`failover.js`), which the node serving it may not know
/// (the cloud does not know a site node's LAN address). Scripts cannot be injected, so
/// that is no way out for them.
pub(crate) const STAFF_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self' http: https:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The scanner app's policy: the camera's frames come as `blob:`/`data:` images and media,
/// the service worker from this node; `connect-src` adds the upstreams (see `scan_app`).
pub(crate) fn scan_csp(connect_also: &[String]) -> String {
    let mut connect = String::from("'self'");
    for origin in connect_also {
        connect.push(' ');
        connect.push_str(origin);
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
         media-src 'self' blob:; worker-src 'self'; connect-src {connect}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// May be shown in a frame of this node's own pages (the box office shows a sale's PDF in
/// one to print it).
pub(crate) const SAME_ORIGIN_FRAME: [(axum::http::HeaderName, &str); 2] = [
    (CONTENT_SECURITY_POLICY, "frame-ancestors 'self'"),
    (X_FRAME_OPTIONS, "SAMEORIGIN"),
];

/// Adds the headers to every response of `router` that does not set them itself; `csp` is
/// the policy for those that set none.
pub(crate) fn for_browsers<S>(router: Router<S>, csp: &str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let csp = HeaderValue::from_str(csp)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}
