//! The box-office device app (`/box-office/device/`): a PWA whose files (`web/box/`) are
//! built into the binary, like the scanner app. It sells with no server reachable: the
//! service worker keeps every file, IndexedDB keeps the device's key, catalogue, shift and
//! queued ops. It shares the scanner's ticket-code module, served at
//! `/box-office/scan/verify.js` so that its modules' `../scan/verify.js` resolves the same
//! in the repository and in the browser.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::scan_app::{serve_file, version_of, App};
use crate::AppState;

macro_rules! asset {
    ($path:literal, $type:expr) => {
        (
            $path,
            $type,
            include_bytes!(concat!("../../../web/box/", $path)).as_slice(),
        )
    };
    ($path:literal, $type:expr, $from:literal) => {
        (
            $path,
            $type,
            include_bytes!(concat!("../../../web/", $from)).as_slice(),
        )
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const PNG: &str = "image/png";

/// Every file of the app: (path under /box-office/device/, content type, bytes).
static FILES: &[(&str, &str, &[u8])] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.js", JS),
    asset!("db.js", JS),
    asset!("sync.js", JS),
    asset!("sell.js", JS),
    asset!("ui.js", JS),
    asset!("i18n.js", JS),
    asset!("messages/uk.js", JS),
    asset!("messages/en.js", JS),
    asset!("ticket-code.js", JS),
    asset!("oplog.js", JS),
    asset!("escpos.js", JS),
    asset!("printer.js", JS),
    asset!("printing.js", JS),
    // The fonts the Rust renderer embeds, for the same printed tickets (escpos.js).
    asset!(
        "fonts/DejaVuSans.ttf",
        "font/ttf",
        "../crates/aspk-render/assets/DejaVuSans.ttf"
    ),
    asset!(
        "fonts/DejaVuSans-Bold.ttf",
        "font/ttf",
        "../crates/aspk-render/assets/DejaVuSans-Bold.ttf"
    ),
    asset!("vendor/noble-hashes/blake3.js", JS),
    asset!("vendor/noble-hashes/blake2.js", JS),
    asset!("vendor/noble-hashes/_blake.js", JS),
    asset!("vendor/noble-hashes/_md.js", JS),
    asset!("vendor/noble-hashes/_u64.js", JS),
    asset!("vendor/noble-hashes/utils.js", JS),
    asset!("vendor/qrcode/qrcode.mjs", JS),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("manifest.webmanifest", "application/manifest+json"),
    asset!("sw.js", JS),
    asset!("icon.svg", "image/svg+xml", "scan/icon.svg"),
    asset!("icon-192.png", PNG, "scan/icon-192.png"),
    asset!("icon-512.png", PNG, "scan/icon-512.png"),
];

/// The scanner's files the app imports (under /box-office/scan/).
static SHARED: &[(&str, &str, &[u8])] = &[
    asset!("verify.js", JS, "scan/verify.js"),
    asset!("catalogue.js", JS, "scan/catalogue.js"),
    asset!("idb.js", JS, "scan/idb.js"),
    asset!(
        "vendor/noble-ed25519/index.js",
        JS,
        "scan/vendor/noble-ed25519/index.js"
    ),
];

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let all: Vec<(&str, &str, &[u8])> = FILES.iter().chain(SHARED).copied().collect();
    version_of(&all)
});

fn app() -> App<'static> {
    App {
        name: "the box-office device app",
        files: FILES,
        version: &VERSION,
        placeholder: "__ASPK_BOX_VERSION__",
        scope: "/box-office/device/",
    }
}

/// The device's policy: like the scanner's, and it may sync with any node of the
/// organisation (it keeps their addresses from its last sync).
const BOX_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob: data:; worker-src 'self'; connect-src 'self' http: https:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    let app = Router::new()
        .route("/box-office/device", get(index))
        .route("/box-office/device/", get(index))
        .route("/box-office/device/{*path}", get(file))
        .route("/box-office/scan/{*path}", get(shared));
    crate::headers::for_browsers(app, BOX_CSP)
}

async fn index() -> Response {
    serve_file(&app(), "index.html")
}

async fn file(Path(path): Path<String>) -> Response {
    serve_file(&app(), &path)
}

async fn shared(Path(path): Path<String>) -> Response {
    let shared = App {
        files: SHARED,
        ..app()
    };
    serve_file(&shared, &path)
}
