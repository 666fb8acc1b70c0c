//! The web app's cookies, defined once: what each holds, who may read it and how long it
//! lasts. Read with axum-extra's cookie jar, written with the `cookie` crate's builder.

use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use cookie::time::Duration;

/// The staff session's bearer token (HTTP-only, same-site strict).
pub(crate) const SESSION: &str = "aspk_session";
/// The page language chosen in this browser.
pub(crate) const LANGUAGE: &str = "aspk_lang";
/// The box office workstation's printer.
pub(crate) const PRINTER: &str = "aspk_printer";
/// The sign-in form's double-submit anti-forgery token.
pub(crate) const SIGN_IN_FORM: &str = "aspk_sign_in";
/// The route a page arrived along after a failover (signed by this node).
pub(crate) const ROUTE: &str = "aspk_route";

const A_YEAR: Duration = Duration::days(365);
/// A shift and then some: the route of a page that failed over is kept this long.
const ROUTE_LIFETIME: Duration = Duration::hours(14);

/// The value of the cookie `name` the browser sent.
pub(crate) fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(name)
        .map(|c| c.value().to_owned())
}

/// Whether the app is reached over HTTPS (itself or through a TLS proxy): then cookies
/// carrying secrets are `Secure`.
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn secret(
    name: &'static str,
    value: String,
    same_site: SameSite,
    max_age: Duration,
    headers: &HeaderMap,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .max_age(max_age)
        .secure(is_https(headers))
        .build()
}

/// The session cookie for `token`. It lasts as long as the token; pages in use renew it.
pub(crate) fn session(token: &str, minutes: i64, headers: &HeaderMap) -> Cookie<'static> {
    secret(
        SESSION,
        token.to_owned(),
        SameSite::Strict,
        Duration::minutes(minutes),
        headers,
    )
}

/// A cookie that tells the browser to forget `name` (it was set with path `/`).
pub(crate) fn spent(name: &'static str, same_site: SameSite) -> Cookie<'static> {
    Cookie::build((name, ""))
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .max_age(Duration::ZERO)
        .build()
}

/// The browser's language (a plain preference: readable, not secret).
pub(crate) fn language(code: &str) -> Cookie<'static> {
    Cookie::build((LANGUAGE, code.to_owned()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(A_YEAR)
        .build()
}

/// The workstation's printer.
pub(crate) fn printer(id: &str) -> Cookie<'static> {
    Cookie::build((PRINTER, id.to_owned()))
        .path("/")
        .same_site(SameSite::Strict)
        .max_age(A_YEAR)
        .build()
}

/// The sign-in form's anti-forgery token (a session cookie of the browser).
pub(crate) fn sign_in_form(token: &str, headers: &HeaderMap) -> Cookie<'static> {
    let mut cookie = Cookie::build((SIGN_IN_FORM, token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    cookie.set_secure(is_https(headers));
    cookie
}

/// The route a page arrived along, with this node's MAC.
pub(crate) fn route(value: String, headers: &HeaderMap) -> Cookie<'static> {
    secret(ROUTE, value, SameSite::Lax, ROUTE_LIFETIME, headers)
}

/// Adds `Set-Cookie` for `cookie` to `response`.
pub(crate) fn set(response: &mut Response, cookie: Cookie<'static>) {
    if let Ok(value) = cookie.to_string().parse() {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// `response` with `Set-Cookie` for each cookie.
pub(crate) fn with(
    mut response: Response,
    cookies: impl IntoIterator<Item = Cookie<'static>>,
) -> Response {
    for cookie in cookies {
        set(&mut response, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn https() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", "https".parse().expect("header"));
        headers
    }

    #[test]
    fn the_session_cookie_is_http_only_strict_and_secure_behind_https() {
        let plain = session("abc", 30, &HeaderMap::new()).to_string();
        assert_eq!(
            plain,
            "aspk_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=1800"
        );
        let secure = session("abc", 30, &https()).to_string();
        assert!(secure.contains("; Secure"), "{secure}");
    }

    #[test]
    fn a_spent_cookie_expires_at_once() {
        let gone = spent(SESSION, SameSite::Strict).to_string();
        assert!(gone.starts_with("aspk_session=;"), "{gone}");
        assert!(gone.contains("Max-Age=0"), "{gone}");
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append("cookie", "a=1; aspk_lang=en".parse().expect("header"));
        headers.append("cookie", "aspk_session=tok".parse().expect("header"));
        assert_eq!(read(&headers, LANGUAGE).as_deref(), Some("en"));
        assert_eq!(read(&headers, SESSION).as_deref(), Some("tok"));
        assert_eq!(read(&headers, PRINTER), None);
    }
}
