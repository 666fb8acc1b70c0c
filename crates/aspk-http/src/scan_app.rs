//! The scanner app (`/scan`): a PWA whose files (`web/scan/`) are built into the binary, so
//! a phone on a LAN without internet gets everything from this node. No build step: plain
//! ES modules. The service worker's scope is `/scan` (it is allowed beyond its folder), and
//! its cache name carries a hash of all files so a new binary replaces the cached app.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

macro_rules! asset {
    ($path:literal, $type:expr) => {
        (
            $path,
            $type,
            include_bytes!(concat!("../../../web/scan/", $path)).as_slice(),
        )
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the app: (path under /scan/, content type, bytes).
static FILES: &[(&str, &str, &[u8])] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.js", JS),
    asset!("ui.js", JS),
    asset!("store.js", JS),
    asset!("net.js", JS),
    asset!("decide.js", JS),
    asset!("camera.js", JS),
    asset!("feedback.js", JS),
    asset!("i18n.js", JS),
    asset!("catalogue.js", JS),
    asset!("idb.js", JS),
    asset!("messages/uk.js", JS),
    asset!("messages/en.js", JS),
    asset!("verify.js", JS),
    asset!("vendor/noble-ed25519/index.js", JS),
    asset!("vendor/jsqr/jsQR.js", JS),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("manifest.webmanifest", "application/manifest+json"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("icon-192.png", "image/png"),
    asset!("icon-512.png", "image/png"),
    asset!("sw.js", JS),
];

/// Changes whenever any file of the app changes.
static VERSION: LazyLock<String> = LazyLock::new(|| version_of(FILES));

pub fn routes() -> Router<AppState> {
    let app = Router::new()
        .route("/scan", get(index))
        .route("/scan/", get(index))
        .route("/scan/{*path}", get(file));
    crate::headers::for_browsers(app, &crate::headers::scan_csp(&[]))
}

async fn index(State(state): State<AppState>) -> Response {
    let mut response = serve("index.html");
    // The app may also sync with this node's upstreams when this node is down.
    let upstreams: Vec<String> = state
        .upstream
        .iter()
        .flat_map(|u| u.get().urls)
        .filter_map(|u| origin_of(&u))
        .collect();
    let csp = crate::headers::scan_csp(&upstreams);
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// `scheme://host[:port]` of a URL, for a CSP source; `None` for anything else.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    let ok = matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| format!("{scheme}://{host}"))
}

async fn file(Path(path): Path<String>) -> Response {
    serve(&path)
}

fn serve(path: &str) -> Response {
    serve_file(
        &App {
            name: "the scanner app",
            files: FILES,
            version: &VERSION,
            placeholder: "__ASPK_SCAN_VERSION__",
            scope: "/scan",
        },
        path,
    )
}

/// A PWA built into the binary: its files, their version and its service worker's scope.
pub(crate) struct App<'a> {
    /// Named in a 404.
    pub name: &'a str,
    pub files: &'a [(&'a str, &'a str, &'a [u8])],
    /// Stamped into `sw.js` in place of `placeholder`.
    pub version: &'a str,
    pub placeholder: &'a str,
    pub scope: &'static str,
}

/// Changes whenever any of `files` changes (FNV-1a over all of them).
pub(crate) fn version_of(files: &[(&str, &str, &[u8])]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, _, bytes) in files {
        for b in path.bytes().chain(bytes.iter().copied()) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// File `path` of `app`, revalidated each time (its service worker keeps the offline copy).
pub(crate) fn serve_file(app: &App<'_>, path: &str) -> Response {
    let Some((_, content_type, bytes)) = app.files.iter().find(|(p, _, _)| *p == path) else {
        return crate::error::ApiError::new(
            StatusCode::NOT_FOUND,
            crate::error::ProblemCode::NotFound,
            format!("{} has no file '{path}'", app.name),
        )
        .into_response();
    };
    let mut response = if path == "sw.js" {
        let text = String::from_utf8_lossy(bytes).replace(app.placeholder, app.version);
        text.into_response()
    } else {
        bytes.to_vec().into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // Revalidate each time: the service worker keeps the offline copy. (The security
    // headers, the policy included, come from the layer in `routes`.)
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if path == "sw.js" {
        headers.insert(
            "service-worker-allowed",
            HeaderValue::from_static(app.scope),
        );
    }
    response
}
