//! What every staff page shares: the signed-in session, its language and anti-forgery token,
//! the role checks (from the app's access table), rendering a page's template into the one
//! layout, and the formatting of money and time.

use askama::Template;
use aspk_app::{Action, AppError, Principal};
use aspk_domain::{Currency, Money, Venue};
use aspk_i18n::{t, t_args, Arg, Lang};
use axum::extract::FromRequestParts;
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::Cookie;
use chrono::{DateTime, Utc};

use crate::cookies;
use crate::AppState;

/// A request from a signed-in member of staff.
pub struct Page {
    pub lang: Lang,
    pub who: Principal,
    pub csrf: String,
    session: String,
    /// Where this page may fail over to, this node first (see `handoff::endpoints`).
    endpoints: Vec<aspk_app::Endpoint>,
    /// A language cookie to set (the page was asked for with `?lang=`).
    set_lang: Option<Cookie<'static>>,
    /// This page's path and query without `lang`, where the language switch comes back to.
    here: String,
    pub state: AppState,
}

/// The page language: `?lang=` wins, then the cookie, then Ukrainian.
pub fn page_lang(headers: &HeaderMap, query: Option<&str>) -> (Lang, Option<Cookie<'static>>) {
    let asked = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    if let Some(raw) = asked {
        let lang = Lang::parse(&raw);
        return (lang, Some(cookies::language(lang.code())));
    }
    let lang = cookies::read(headers, cookies::LANGUAGE)
        .map(|c| Lang::parse(&c))
        .unwrap_or_default();
    (lang, None)
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (lang, set_lang) = page_lang(&parts.headers, parts.uri.query());
        let session = cookies::read(&parts.headers, cookies::SESSION).unwrap_or_default();
        let who = state
            .node
            .authenticate(&session)
            .map_err(|_| redirect("/"))?;
        // A GET never writes: `?lang=` sets this browser's cookie only. The switch in the
        // header posts to `/language`, which remembers the choice for the person too.
        Ok(Page {
            lang,
            csrf: state.node.csrf_token(&session),
            who,
            session,
            endpoints: super::handoff::endpoints(state, &parts.headers),
            set_lang,
            here: without_lang(parts.uri.path(), parts.uri.query()),
            state: state.clone(),
        })
    }
}

/// One field of a form read as a list of pairs (forms with repeated or open-ended names),
/// trimmed; empty when absent.
pub fn form_field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// `path?query` with any `lang` parameter left out.
fn without_lang(path: &str, query: Option<&str>) -> String {
    let mut kept = form_urlencoded::Serializer::new(String::new());
    let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes());
    for (k, v) in pairs.filter(|(k, _)| k != "lang") {
        kept.append_pair(&k, &v);
    }
    match kept.finish() {
        rest if rest.is_empty() => path.to_owned(),
        rest => format!("{path}?{rest}"),
    }
}

/// A path of this app to go back to, from a form: local paths only (never `//host`).
pub fn local_path(raw: &str) -> &str {
    let local = raw.starts_with('/') && !raw.starts_with("//") && !raw.contains('\\');
    if local {
        raw
    } else {
        "/"
    }
}

/// The page a form was posted from (its `Referer`), as a path of this app, when that path
/// starts with `prefix`: where to go back after the action. Never another site: only the
/// path and query of the address are kept.
pub fn came_from(headers: &HeaderMap, prefix: &str) -> Option<String> {
    let referer = headers.get(axum::http::header::REFERER)?.to_str().ok()?;
    let uri: axum::http::Uri = referer.parse().ok()?;
    let path = uri.path_and_query()?.as_str();
    let path = local_path(path);
    path.starts_with(prefix).then(|| path.to_owned())
}

pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// The sections of the staff app in the order of the navigation bar, each with the action
/// of the app's access table (`aspk_app::ACCESS`) that opens it: the navigation shows a
/// member of staff the sections the same table lets them use.
const SECTIONS: &[(&str, &str, Action)] = &[
    ("/box-office", "nav-box-office", Action::Sell),
    ("/orders", "nav-orders", Action::LookUpOrders),
    ("/shifts", "nav-shifts", Action::RunShifts),
    ("/requests", "nav-requests", Action::HandleRequests),
    ("/reports", "nav-reports", Action::ReadReports),
    ("/settings", "nav-settings", Action::OpenSettings),
    ("/scan", "nav-scan", Action::ScanTickets),
    ("/status", "nav-status", Action::ReadStatus),
];

/// The action that opens the section at `path` (an unknown section: the settings, which
/// only admins open).
fn section_action(path: &str) -> Action {
    SECTIONS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, _, action)| *action)
        .unwrap_or(Action::OpenSettings)
}

impl Page {
    pub fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }

    pub fn t_args(&self, key: &str, args: &[(&str, Arg)]) -> String {
        t_args(self.lang, key, args)
    }

    /// Refuses (403 page) unless the member of staff may use the section at `path`.
    pub fn require_section(&self, path: &str) -> Result<(), Box<Response>> {
        self.who
            .require_to(section_action(path))
            .map_err(|refused| Box::new(self.error(refused)))
    }

    /// Refuses a form post without this session's anti-forgery token.
    pub fn check_csrf(&self, given: &str) -> Result<(), Box<Response>> {
        if self.state.node.csrf_ok(&self.session, given) {
            Ok(())
        } else {
            let refused = self.failure(StatusCode::FORBIDDEN, self.t("error-csrf"), false);
            Err(Box::new(refused))
        }
    }

    /// A form post: this session's anti-forgery token, and a role allowed in `section`.
    pub fn check_post(&self, csrf: &str, section: &str) -> Result<(), Box<Response>> {
        self.check_csrf(csrf)?;
        self.require_section(section)
    }

    pub fn money(&self, minor: i64, currency: Currency) -> String {
        Money { minor, currency }.display(self.lang.code())
    }

    /// A moment in the venue's time zone.
    pub fn time(&self, at: DateTime<Utc>, venue: Option<&Venue>) -> String {
        let tz = venue.map(Venue::tz).unwrap_or(chrono_tz::Europe::Kyiv);
        at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
    }

    /// The message for an error of a use case, in the page's language.
    pub fn error_text(&self, err: &AppError) -> String {
        if let AppError::SoldOut {
            requested,
            available,
            local_time,
            offline,
            ..
        } = err
        {
            let key = if *offline {
                "error-sold-out-offline"
            } else {
                "error-sold-out"
            };
            return self.t_args(
                key,
                &[
                    ("time", local_time.as_str().into()),
                    ("requested", (*requested).into()),
                    ("available", (*available).into()),
                ],
            );
        }
        let key = match err {
            AppError::Forbidden(_) => "error-forbidden",
            AppError::LockedOut { .. } => "error-locked-out",
            AppError::Conflict { code, .. } => match code {
                aspk_domain::ConflictCode::ShiftOpen => "error-shift-open",
                aspk_domain::ConflictCode::NoOpenShift => "error-no-open-shift",
                aspk_domain::ConflictCode::AlreadyCancelled => "error-already-cancelled",
                aspk_domain::ConflictCode::BeyondKey => "error-beyond-key",
                _ => "",
            },
            AppError::Invalid(_) | AppError::UnknownReference { .. } => "error-invalid",
            AppError::NotFound { .. } => "error-not-found",
            _ => "",
        };
        let detail = err.to_string();
        if key.is_empty() {
            detail
        } else {
            format!("{} ({detail})", self.t(key))
        }
    }

    /// An error page for a failed action, with the right status.
    pub fn error(&self, err: AppError) -> Response {
        let text = self.error_text(&err);
        let status = crate::ApiError::from(err).status;
        self.failure(status, text, true)
    }

    /// An error page: the message, and a way back when `back`.
    fn failure(&self, status: StatusCode, message: String, back: bool) -> Response {
        let view = ErrorView {
            page: self,
            title: self.t("error-title"),
            message,
            back,
        };
        self.render_with(status, &view)
    }

    /// The sections this member of staff may open, in the order of the navigation bar:
    /// (path, label).
    pub fn nav(&self) -> Vec<(&'static str, String)> {
        SECTIONS
            .iter()
            .filter(|(_, _, action)| self.who.may(*action))
            .map(|(href, key, _)| (*href, self.t(key)))
            .collect()
    }

    /// The language the switch in the header changes to.
    pub fn other_lang(&self) -> &'static str {
        if self.lang == Lang::Uk {
            "en"
        } else {
            "uk"
        }
    }

    /// This page's path and query without `lang`: where the language switch comes back to.
    pub fn here(&self) -> &str {
        &self.here
    }

    /// The signed-in person's role, in words.
    pub fn role_label(&self) -> String {
        self.t(&format!("role-{}", self.who.role.as_str()))
    }

    /// A page rendered from its template, with status 200.
    pub fn render(&self, view: &impl Template) -> Response {
        self.render_with(StatusCode::OK, view)
    }

    /// A page rendered from its template, with `status`; setting the language cookie when
    /// the page was asked for in a language.
    pub fn render_with(&self, status: StatusCode, view: &impl Template) -> Response {
        match view.render() {
            Ok(html) => self.respond((status, Html(html)).into_response()),
            Err(err) => {
                tracing::error!(%err, "a page template failed to render");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }

    /// What `failover.js` needs: the endpoints in order of preference (see
    /// [`super::handoff::endpoints`]; it fetches the handoff codes for them itself). Never
    /// the session token.
    pub fn endpoints_json(&self) -> String {
        let endpoints: Vec<&str> = self.endpoints.iter().map(|e| e.url.as_str()).collect();
        serde_json::to_string(&endpoints).unwrap_or_default()
    }

    /// The session token of this request (for use cases that act on the session itself).
    pub fn session_token(&self) -> &str {
        &self.session
    }

    /// Which node this page comes from and, on a site node, whether its upstream is
    /// reachable: staff see at a glance that they work on the local path during an outage.
    /// (CSS class, words).
    pub fn path_badge(&self) -> (&'static str, String) {
        let role = self.state.node.role().as_str();
        let role_name = || self.t(&format!("path-role-{role}"));
        match &self.state.upstream {
            Some(up) if up.get().is_reachable => (
                "path-ok",
                self.t_args("path-via-upstream", &[("role", role_name().into())]),
            ),
            Some(_) => (
                "path-offline",
                self.t_args("path-offline", &[("role", role_name().into())]),
            ),
            None => ("path-ok", role_name()),
        }
    }

    /// `response` with the language cookie when the page was asked for in a language.
    pub fn respond(&self, response: Response) -> Response {
        cookies::with(response, self.set_lang.clone())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorView<'a> {
    page: &'a Page,
    title: String,
    message: String,
    back: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(referer: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::REFERER,
            referer.parse().expect("a header value"),
        );
        headers
    }

    #[test]
    fn going_back_keeps_the_path_of_this_app_only() {
        let back = |referer, prefix| came_from(&from(referer), prefix);
        assert_eq!(
            back(
                "http://till.local:8080/box-office?date=2026-12-05",
                "/box-office"
            )
            .as_deref(),
            Some("/box-office?date=2026-12-05")
        );
        // Another site's address leads to this app's path, never to that site.
        assert_eq!(
            back("https://evil.example/box-office", "/box-office").as_deref(),
            Some("/box-office")
        );
        assert_eq!(back("https://evil.example/", "/box-office"), None);
        assert_eq!(back("//evil.example/box-office", "/box-office"), None);
        assert_eq!(came_from(&HeaderMap::new(), "/box-office"), None);
    }
}
