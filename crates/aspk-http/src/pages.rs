//! Server-rendered staff pages: sign-in at `/`, and the staff app behind it. Text comes from
//! the message catalogues; the language is `?lang=en|uk`, remembered in a cookie.
//! TODO(issue 5): the box office, orders, requests and reports screens.

use aspk_i18n::{t, Lang};
use axum::extract::{Form, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::extract::{cookie, SESSION_COOKIE};
use crate::AppState;

const LANG_COOKIE: &str = "aspk_lang";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(sign_in_page).post(sign_in))
        .route("/sign-out", axum::routing::post(sign_out))
        .route("/status", get(status_page))
        .route("/box-office", get(section_page))
        .route("/orders", get(section_page))
        .route("/requests", get(section_page))
        .route("/reports", get(section_page))
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// The page language: the query wins, then the cookie, then Ukrainian.
fn page_lang(headers: &HeaderMap, query: &LangQuery) -> (Lang, Option<String>) {
    if let Some(raw) = &query.lang {
        let lang = Lang::parse(raw);
        return (
            lang,
            Some(format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                lang.code()
            )),
        );
    }
    (
        cookie(headers, LANG_COOKIE)
            .map(|c| Lang::parse(&c))
            .unwrap_or_default(),
        None,
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn layout(lang: Lang, title: &str, signed_in: bool, body: &str) -> String {
    let other = if lang == Lang::Uk { "en" } else { "uk" };
    let nav = if signed_in {
        let links: String = [
            ("/box-office", "nav-box-office"),
            ("/orders", "nav-orders"),
            ("/requests", "nav-requests"),
            ("/reports", "nav-reports"),
            ("/status", "nav-status"),
        ]
        .iter()
        .map(|(href, key)| format!("<a href=\"{href}\">{}</a>", escape(&t(lang, key))))
        .collect();
        format!("<nav>{links}<form method=\"post\" action=\"/sign-out\"><button>{}</button></form></nav>", escape(&t(lang, "sign-out")))
    } else {
        String::new()
    };
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · АСПК</title><style>{css}</style></head><body><header><strong>АСПК</strong>{nav}\
         <a class=\"lang\" href=\"?lang={other}\">{switch}</a></header><main><h1>{title}</h1>{body}</main></body></html>",
        code = lang.code(),
        title = escape(title),
        css = CSS,
        switch = escape(&t(lang, "language-switch")),
    )
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#1d3557;color:#fff}header a,header button{color:#fff;background:none;border:0;font:inherit;cursor:pointer;text-decoration:none}nav{display:flex;gap:1rem;flex:1}nav form{margin-left:auto}.lang{margin-left:auto}main{max-width:56rem;margin:1.5rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}input{font-size:1.1rem;padding:.4rem;width:18rem}button.primary{margin-top:1rem;font-size:1.1rem;padding:.5rem 1.4rem;background:#1d3557;color:#fff;border:0;border-radius:4px}.error{color:#b00020;font-weight:600}dl{display:grid;grid-template-columns:max-content auto;gap:.4rem 1.5rem}dt{font-weight:600}";

fn session(headers: &HeaderMap, state: &AppState) -> Option<aspk_app::Principal> {
    cookie(headers, SESSION_COOKIE).and_then(|token| state.node.authenticate(&token).ok())
}

fn with_cookie(mut response: Response, set_cookie: Option<String>) -> Response {
    if let Some(value) = set_cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

fn sign_in_form(lang: Lang, failed: bool) -> String {
    let error = if failed {
        format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(&t(lang, "sign-in-failed"))
        )
    } else {
        String::new()
    };
    format!(
        "{error}<form method=\"post\" action=\"/\"><label for=\"username\">{u}</label><input id=\"username\" name=\"username\" autocomplete=\"username\" autofocus required>\
         <label for=\"password\">{p}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <div><button class=\"primary\" type=\"submit\">{s}</button></div></form>",
        u = escape(&t(lang, "sign-in-username")),
        p = escape(&t(lang, "sign-in-password")),
        s = escape(&t(lang, "sign-in-submit")),
    )
}

async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = page_lang(&headers, &q);
    if session(&headers, &state).is_some() {
        return with_cookie(redirect("/box-office"), set);
    }
    with_cookie(
        Html(layout(
            lang,
            &t(lang, "sign-in-title"),
            false,
            &sign_in_form(lang, false),
        ))
        .into_response(),
        set,
    )
}

#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
    Form(form): Form<SignInForm>,
) -> Response {
    let (lang, _) = page_lang(&headers, &q);
    match state.node.sign_in(&form.username, &form.password).await {
        Ok(issued) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=57600",
                issued.token
            );
            with_cookie(redirect("/box-office"), Some(cookie))
        }
        Err(_) => {
            let page = layout(
                lang,
                &t(lang, "sign-in-title"),
                false,
                &sign_in_form(lang, true),
            );
            (StatusCode::UNAUTHORIZED, Html(page)).into_response()
        }
    }
}

async fn sign_out() -> Response {
    with_cookie(
        redirect("/"),
        Some(format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        )),
    )
}

async fn status_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = page_lang(&headers, &q);
    if session(&headers, &state).is_none() {
        return redirect("/");
    }
    let (_, stalled) = state.node.writer_stats();
    let ops = state.node.read(|s| s.op_count);
    let store = t(
        lang,
        if stalled {
            "status-store-stalled"
        } else {
            "status-store-ok"
        },
    );
    let rows = [
        ("status-role", state.node.role().as_str().to_owned()),
        ("status-ops", ops.to_string()),
        ("status-pending", "0".into()),
        ("status-findings", "0".into()),
        ("status-store", store),
    ];
    let body: String = rows
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", escape(&t(lang, k)), escape(v)))
        .collect();
    with_cookie(
        Html(layout(
            lang,
            &t(lang, "nav-status"),
            true,
            &format!("<dl>{body}</dl>"),
        ))
        .into_response(),
        set,
    )
}

async fn section_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
    uri: axum::http::Uri,
) -> Response {
    let (lang, set) = page_lang(&headers, &q);
    if session(&headers, &state).is_none() {
        return redirect("/");
    }
    let key = match uri.path() {
        "/box-office" => "nav-box-office",
        "/orders" => "nav-orders",
        "/requests" => "nav-requests",
        _ => "nav-reports",
    };
    let body = format!("<p>{}</p>", escape(&t(lang, "page-coming")));
    with_cookie(
        Html(layout(lang, &t(lang, key), true, &body)).into_response(),
        set,
    )
}
