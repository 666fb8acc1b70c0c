//! Signing in and out. The session is a bearer token in an HTTP-only, same-site cookie;
//! repeated failures lock the name for a while (the use case decides).
//!
//! The sign-in form is protected from forgery (another site signing a till into the
//! attacker's account) by a double-submit token: the page sets a random value in an
//! HTTP-only cookie and in a hidden field, and a sign-in is only tried when the two match.

use askama::Template;
use aspk_app::AppError;
use aspk_i18n::{bilingual, t, t_args, Lang};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::frame::{page_lang, redirect};
use super::Page;
use crate::cookies;
use crate::extract::ClientAddr;
use crate::AppState;

/// The sign-in page: the form (with this browser's anti-forgery token), or a refusal
/// with a way back (`csrf` is `None`).
#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInView {
    lang: Lang,
    title: String,
    other_lang: &'static str,
    switch: String,
    error: Option<String>,
    csrf: Option<String>,
    /// The name typed last time: a failed attempt keeps it.
    username: String,
    back: String,
}

impl SignInView {
    fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }

    fn form(lang: Lang, csrf: &str, username: &str, error: Option<String>) -> Self {
        SignInView {
            lang,
            title: t(lang, "sign-in-title"),
            other_lang: if lang == Lang::Uk { "en" } else { "uk" },
            switch: t(lang, "language-switch"),
            error,
            csrf: Some(csrf.to_owned()),
            username: username.to_owned(),
            back: String::new(),
        }
    }

    fn html(&self) -> Html<String> {
        Html(self.render().unwrap_or_else(|err| {
            tracing::error!(%err, "the sign-in template failed to render");
            String::new()
        }))
    }
}

/// What a person who tried to sign in too often in a short while sees (both languages: the
/// refusal comes before the request is read).
pub(crate) fn rate_limited_page(seconds: u64) -> String {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    let text: Vec<String> = Lang::ALL
        .iter()
        .map(|&lang| t_args(lang, "rate-limited", &[("seconds", seconds.into())]))
        .collect();
    let view = SignInView {
        error: Some(text.join(" / ")),
        csrf: None,
        back: bilingual("action-back"),
        ..SignInView::form(Lang::Uk, "", "", None)
    };
    view.html().0
}

/// The sign-in form's anti-forgery token: the one the browser holds, or a fresh one (with
/// the cookie that gives it to the browser).
fn sign_in_token(headers: &HeaderMap) -> (String, Option<Cookie<'static>>) {
    let held = cookies::read(headers, cookies::SIGN_IN_FORM)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    match held {
        Some(token) => (token, None),
        None => {
            let token = aspk_app::to_hex(&rand::random::<[u8; 32]>());
            let cookie = cookies::sign_in_form(&token, headers);
            (token, Some(cookie))
        }
    }
}

/// Whether the form's token is the one in the browser's cookie (compared in constant time).
fn sign_in_token_ok(headers: &HeaderMap, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    match cookies::read(headers, cookies::SIGN_IN_FORM) {
        Some(held) if !held.is_empty() => bool::from(held.as_bytes().ct_eq(given.as_bytes())),
        _ => false,
    }
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
    let session = cookies::read(&headers, cookies::SESSION).unwrap_or_default();
    if let Ok(who) = state.node.authenticate(&session) {
        return cookies::with(redirect(home(who.role)), set);
    }
    let (csrf, csrf_cookie) = sign_in_token(&headers);
    let response = SignInView::form(lang, &csrf, "", None)
        .html()
        .into_response();
    cookies::with(response, set.into_iter().chain(csrf_cookie))
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
        let view = SignInView::form(lang, &csrf, &f.username, Some(t(lang, "error-csrf")));
        return cookies::with(
            (StatusCode::FORBIDDEN, view.html()).into_response(),
            csrf_cookie,
        );
    }
    match state.node.sign_in(&f.username, &f.password, source).await {
        Ok(issued) => {
            let mut response = cookies::with(
                redirect(home(issued.role)),
                [
                    session_cookie(&issued.token, &headers),
                    cookies::spent(cookies::SIGN_IN_FORM, SameSite::Strict),
                ],
            );
            // The person's own language follows them to any workstation.
            let chosen = aspk_domain::Username::parse(&f.username)
                .ok()
                .and_then(|u| state.node.language_of(&u));
            if let Some(lang) = chosen {
                cookies::set(&mut response, cookies::language(&lang));
            }
            response
        }
        Err(e) => {
            let (status, key) = match e {
                AppError::LockedOut { .. } => (StatusCode::TOO_MANY_REQUESTS, "error-locked-out"),
                _ => (StatusCode::UNAUTHORIZED, "sign-in-failed"),
            };
            let view = SignInView::form(lang, &f.csrf, &f.username, Some(t(lang, key)));
            (status, view.html()).into_response()
        }
    }
}

/// The session cookie for `token`; `Secure` when the app is reached over HTTPS (a TLS
/// proxy in front of it). It lasts as long as the token; pages in use renew it.
pub(crate) fn session_cookie(token: &str, headers: &HeaderMap) -> Cookie<'static> {
    cookies::session(token, aspk_app::TOKEN_MINUTES, headers)
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
    cookies::with(
        redirect("/"),
        [cookies::spent(cookies::SESSION, SameSite::Strict)],
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
    cookies::with(
        redirect(super::frame::local_path(&f.back)),
        [cookies::language(lang.code())],
    )
}
