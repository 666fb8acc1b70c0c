//! Signing in and out. The session is a bearer token in an HTTP-only, same-site cookie;
//! repeated failures lock the name for a while (the use case decides).
//!
//! The sign-in form is protected from forgery (another site signing a till into the
//! attacker's account) by a double-submit token: the page sets a random value in an
//! HTTP-only cookie and in a hidden field, and a sign-in is only tried when the two match.

use aspk_app::AppError;
use aspk_i18n::{bilingual, t, t_args, Lang};
use axum::extract::{Form, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::frame::{escape, page_lang, redirect, LANG_COOKIE};
use super::Page;
use crate::extract::{cookie, ClientAddr, SESSION_COOKIE};
use crate::AppState;

fn sign_in_layout(lang: Lang, body: &str) -> String {
    let other = if lang == Lang::Uk { "en" } else { "uk" };
    let title = t(lang, "sign-in-title");
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · АСПК</title><link rel=\"stylesheet\" href=\"/static/staff.css\"></head>\
         <body><header><strong class=\"brand\">АСПК</strong><nav></nav>\
         <a class=\"lang\" href=\"?lang={other}\">{switch}</a></header>\
         <main class=\"narrow\"><h1>{title}</h1>{body}</main></body></html>",
        code = lang.code(),
        title = escape(&title),
        switch = escape(&t(lang, "language-switch")),
    )
}

/// What a person who tried to sign in too often in a short while sees (both languages: the
/// refusal comes before the request is read).
pub(crate) fn rate_limited_page(seconds: u64) -> String {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    let text: Vec<String> = Lang::ALL
        .iter()
        .map(|&lang| t_args(lang, "rate-limited", &[("seconds", seconds.into())]))
        .collect();
    let body = format!(
        "<p class=\"error\" role=\"alert\">{}</p><p><a href=\"/\">{}</a></p>",
        escape(&text.join(" / ")),
        escape(&bilingual("action-back")),
    );
    sign_in_layout(Lang::Uk, &body)
}

/// The anti-forgery cookie of the sign-in form.
const SIGN_IN_CSRF_COOKIE: &str = "aspk_sign_in";

/// The sign-in form's anti-forgery token: the one the browser holds, or a fresh one (with
/// the cookie that gives it to the browser).
fn sign_in_token(headers: &HeaderMap) -> (String, Option<String>) {
    let held = cookie(headers, SIGN_IN_CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    match held {
        Some(token) => (token, None),
        None => {
            let token = aspk_app::to_hex(&rand::random::<[u8; 32]>());
            let cookie = format!(
                "{SIGN_IN_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
                secure_attribute(headers)
            );
            (token, Some(cookie))
        }
    }
}

/// Whether the form's token is the one in the browser's cookie (compared in constant time).
fn sign_in_token_ok(headers: &HeaderMap, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    match cookie(headers, SIGN_IN_CSRF_COOKIE) {
        Some(held) if !held.is_empty() => bool::from(held.as_bytes().ct_eq(given.as_bytes())),
        _ => false,
    }
}

fn form(lang: Lang, csrf: &str, error: Option<String>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(&e)))
        .unwrap_or_default();
    format!(
        "{error}<form method=\"post\" action=\"/\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"username\">{u}</label><input id=\"username\" name=\"username\" autocomplete=\"username\" autofocus required>\
         <label for=\"password\">{p}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <div><button class=\"primary\" type=\"submit\">{s}</button></div></form>",
        u = escape(&t(lang, "sign-in-username")),
        p = escape(&t(lang, "sign-in-password")),
        s = escape(&t(lang, "sign-in-submit")),
        csrf = escape(csrf),
    )
}

fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(value) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// Where a member of staff starts: the box office, or the status page for controllers.
fn home(role: aspk_domain::Role) -> &'static str {
    match role {
        aspk_domain::Role::Controller => "/status",
        _ => "/box-office",
    }
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let (lang, set) = page_lang(&headers, uri.query());
    let session = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    if let Ok(who) = state.node.authenticate(&session) {
        return with_cookie(redirect(home(who.role)), set);
    }
    let (csrf, csrf_cookie) = sign_in_token(&headers);
    let response = Html(sign_in_layout(lang, &form(lang, &csrf, None))).into_response();
    with_cookie(with_cookie(response, set), csrf_cookie)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<SignInForm>,
) -> Response {
    let (lang, _) = page_lang(&headers, uri.query());
    if !sign_in_token_ok(&headers, &f.csrf) {
        // Not from our own page: try nothing, count nothing, offer a fresh form.
        let (csrf, csrf_cookie) = sign_in_token(&headers);
        let page = sign_in_layout(lang, &form(lang, &csrf, Some(t(lang, "error-csrf"))));
        return with_cookie(
            (StatusCode::FORBIDDEN, Html(page)).into_response(),
            csrf_cookie,
        );
    }
    match state.node.sign_in(&f.username, &f.password, source).await {
        Ok(issued) => {
            let cookie = session_cookie(&issued.token, &headers);
            let mut response = with_cookie(redirect(home(issued.role)), Some(cookie));
            let spent =
                format!("{SIGN_IN_CSRF_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
            response = with_cookie(response, Some(spent));
            // The person's own language follows them to any workstation.
            let chosen = aspk_domain::Username::parse(&f.username)
                .ok()
                .and_then(|u| state.node.language_of(&u));
            if let Some(lang) = chosen {
                let cookie =
                    format!("{LANG_COOKIE}={lang}; Path=/; Max-Age=31536000; SameSite=Lax");
                response = with_cookie(response, Some(cookie));
            }
            response
        }
        Err(e) => {
            let (status, key) = match e {
                AppError::LockedOut { .. } => (StatusCode::TOO_MANY_REQUESTS, "error-locked-out"),
                _ => (StatusCode::UNAUTHORIZED, "sign-in-failed"),
            };
            let page = sign_in_layout(lang, &form(lang, &f.csrf, Some(t(lang, key))));
            (status, Html(page)).into_response()
        }
    }
}

/// The session cookie for `token`; `Secure` when the app is reached over HTTPS (a TLS
/// proxy in front of it). It lasts as long as the token; pages in use renew it.
pub(crate) fn session_cookie(token: &str, headers: &HeaderMap) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        aspk_app::TOKEN_MINUTES * 60,
        secure_attribute(headers)
    )
}

/// `; Secure` when the app is reached over HTTPS (itself or through a TLS proxy).
fn secure_attribute(headers: &HeaderMap) -> &'static str {
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    if secure {
        "; Secure"
    } else {
        ""
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Signs out: the session ends on every node (an op), not only in this browser.
pub async fn sign_out(page: Page, Form(f): Form<CsrfOnly>) -> Response {
    if let Err(refused) = page.check_csrf(&f.csrf) {
        return *refused;
    }
    if let Err(e) = page.state.node.end_session(page.session_token()).await {
        return page.error(e);
    }
    with_cookie(
        redirect("/"),
        Some(format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        )),
    )
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// The language switch: remembers the choice for this browser (a cookie) and for the
/// person (an op, so it follows them to other nodes), then returns to the page.
pub async fn choose_language(page: Page, Form(f): Form<LanguageForm>) -> Response {
    if let Err(refused) = page.check_csrf(&f.csrf) {
        return *refused;
    }
    let lang = Lang::parse(&f.lang);
    let node = &page.state.node;
    if node.language_of(&page.who.username).as_deref() != Some(lang.code()) {
        if let Err(e) = node.set_language(&page.who, lang.code()).await {
            return page.error(e);
        }
    }
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    with_cookie(redirect(super::frame::local_path(&f.back)), Some(cookie))
}
