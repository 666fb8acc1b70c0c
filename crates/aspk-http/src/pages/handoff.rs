//! Staff pages that fail over between nodes (see `web/staff/failover.js`), without ever
//! putting the session token in a page or a link.
//!
//! - Every page lists the endpoints it may move to, in order of preference, from the
//!   server only: this node as the browser reached it, its upstreams (a site node's), and
//!   the route a page arrived along (kept in a cookie this node signs).
//! - `GET /session/handoffs` gives the page, for each other endpoint, a one-time code bound
//!   to that node (see `aspk_app::Node::handoff_code`); the page keeps them in memory and
//!   fetches new ones every few minutes.
//! - Moving, the page opens `/handoff` at the other node with that node's code in the
//!   address's fragment; `handoff.js` trades it there for a session cookie (`POST
//!   /handoff`), once.

use askama::Template;
use aspk_app::Endpoint;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::sign_in::session_cookie;
use crate::cookies;
use crate::extract::{base_url, Bearer};
use crate::AppState;

/// The endpoints a page served by this node may move to, in order of preference.
pub(crate) fn endpoints(state: &AppState, headers: &HeaderMap) -> Vec<Endpoint> {
    let own = Endpoint {
        url: base_url(headers),
        audience: state.node.session_key_id(),
    };
    let mut list = route_of(state, headers);
    let upstreams = state.upstream.iter().flat_map(|u| {
        let view = u.get();
        view.urls
            .iter()
            .filter_map(|url| {
                let audience = view.audiences.get(url)?.clone();
                Some(Endpoint {
                    url: url.trim_end_matches('/').to_owned(),
                    audience,
                })
            })
            .collect::<Vec<_>>()
    });
    if !list.iter().any(|e| e.audience == own.audience) {
        list.insert(0, own);
    }
    for upstream in upstreams {
        if !list.iter().any(|e| e.audience == upstream.audience) {
            list.push(upstream);
        }
    }
    list.retain(|e| !e.url.is_empty());
    list
}

/// The route kept in this node's cookie, if its MAC holds.
fn route_of(state: &AppState, headers: &HeaderMap) -> Vec<Endpoint> {
    // The route cookie holds JSON (base64), a dot, then a MAC by this node.
    let Some(value) = cookies::read(headers, cookies::ROUTE) else {
        return Vec::new();
    };
    let Some((data, mac)) = value.split_once('.') else {
        return Vec::new();
    };
    if !state.node.route_mac_ok(data, mac) {
        return Vec::new();
    }
    URL_SAFE_NO_PAD
        .decode(data)
        .ok()
        .and_then(|bytes: Vec<u8>| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn route_cookie(
    state: &AppState,
    route: &[Endpoint],
    headers: &HeaderMap,
) -> axum_extra::extract::cookie::Cookie<'static> {
    let data = URL_SAFE_NO_PAD.encode(serde_json::to_vec(route).unwrap_or_default());
    let mac = state.node.route_mac(&data);
    cookies::route(format!("{data}.{mac}"), headers)
}

/// One-time codes for the page's other endpoints, by their session key id.
pub async fn codes(
    State(state): State<AppState>,
    headers: HeaderMap,
    Bearer(token): Bearer,
) -> Response {
    let list = endpoints(&state, &headers);
    let own = state.node.session_key_id();
    let mut codes = serde_json::Map::new();
    for target in list.iter().filter(|e| e.audience != own) {
        match state.node.handoff_code(&token, &target.audience, &list) {
            Ok(code) => {
                codes.insert(target.audience.clone(), code.into());
            }
            Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
        }
    }
    let body = serde_json::json!({"endpoints": list, "codes": codes});
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

/// Where a page that fails over lands (`handoff.js` does the rest).
pub async fn page() -> Response {
    match HandoffView.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Template)]
#[template(path = "handoff.html")]
struct HandoffView;

#[derive(Deserialize)]
pub struct Handoff {
    code: String,
}

/// Trades a handoff code made for this node for a session cookie (and the route cookie).
pub async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(h): Json<Handoff>,
) -> Response {
    let Ok(handed) = state.node.redeem_handoff(&h.code) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    cookies::with(
        StatusCode::NO_CONTENT.into_response(),
        [
            session_cookie(&handed.issued.token, &headers),
            route_cookie(&state, &handed.route, &headers),
        ],
    )
}

/// A fresh session cookie when less than half of the token's time is left: pages in use
/// stay signed in, an idle one runs out.
pub async fn renew(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let token = cookies::read(request.headers(), cookies::SESSION);
    let headers = request.headers().clone();
    let mut response = next.run(request).await;
    let Some(token) = token else {
        return response;
    };
    let wants = state.node.session(&token).is_ok_and(|s| s.wants_renewal);
    if wants {
        if let Ok(issued) = state.node.renew_session(&token) {
            cookies::set(&mut response, session_cookie(&issued.token, &headers));
        }
    }
    response
}
