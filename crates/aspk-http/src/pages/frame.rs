//! What every staff page shares: the signed-in session, its language and anti-forgery token,
//! the role checks, the layout and the formatting of money and time.

use aspk_app::{AppError, Principal};
use aspk_domain::{Currency, Money, Role, Venue};
use aspk_i18n::{t, t_args, Arg, Lang};
use axum::extract::FromRequestParts;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::extract::{cookie, SESSION_COOKIE};
use crate::AppState;

pub const LANG_COOKIE: &str = "aspk_lang";

/// A request from a signed-in member of staff.
pub struct Page {
    pub lang: Lang,
    pub who: Principal,
    pub csrf: String,
    session: String,
    /// Where this page may fail over to, this node first (see `handoff::endpoints`).
    endpoints: Vec<aspk_app::Endpoint>,
    /// A language cookie to set (the page was asked for with `?lang=`).
    set_lang: Option<String>,
    /// This page's path and query without `lang`, where the language switch comes back to.
    here: String,
    pub state: AppState,
}

/// The page language: `?lang=` wins, then the cookie, then Ukrainian.
pub fn page_lang(headers: &HeaderMap, query: Option<&str>) -> (Lang, Option<String>) {
    let asked = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    if let Some(raw) = asked {
        let lang = Lang::parse(&raw);
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        );
        return (lang, Some(cookie));
    }
    let lang = cookie(headers, LANG_COOKIE)
        .map(|c| Lang::parse(&c))
        .unwrap_or_default();
    (lang, None)
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (lang, set_lang) = page_lang(&parts.headers, parts.uri.query());
        let session = cookie(&parts.headers, SESSION_COOKIE).unwrap_or_default();
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

pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who may open which section, in the order of the navigation bar.
const SECTIONS: &[(&str, &str, &[Role])] = &[
    (
        "/box-office",
        "nav-box-office",
        &[Role::Admin, Role::Manager, Role::Cashier],
    ),
    (
        "/orders",
        "nav-orders",
        &[Role::Admin, Role::Manager, Role::Cashier],
    ),
    (
        "/shifts",
        "nav-shifts",
        &[Role::Admin, Role::Manager, Role::Cashier],
    ),
    ("/requests", "nav-requests", &[Role::Admin, Role::Manager]),
    ("/reports", "nav-reports", &[Role::Admin, Role::Manager]),
    ("/settings", "nav-settings", &[Role::Admin]),
    (
        "/scan",
        "nav-scan",
        &[Role::Admin, Role::Manager, Role::Controller],
    ),
    (
        "/status",
        "nav-status",
        &[Role::Admin, Role::Manager, Role::Cashier, Role::Controller],
    ),
];

/// The roles allowed in the section at `path`.
pub fn section_roles(path: &str) -> &'static [Role] {
    SECTIONS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, _, roles)| *roles)
        .unwrap_or(&[Role::Admin])
}

impl Page {
    pub fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }

    /// Escaped message.
    pub fn e(&self, key: &str) -> String {
        escape(&t(self.lang, key))
    }

    pub fn t_args(&self, key: &str, args: &[(&str, Arg)]) -> String {
        t_args(self.lang, key, args)
    }

    /// Refuses (403 page) unless the member of staff may use the section at `path`.
    pub fn require_section(&self, path: &str) -> Result<(), Box<Response>> {
        if section_roles(path).contains(&self.who.role) {
            Ok(())
        } else {
            Err(Box::new(self.error(AppError::Forbidden("open this page"))))
        }
    }

    /// Refuses a form post without this session's anti-forgery token.
    pub fn check_csrf(&self, given: &str) -> Result<(), Box<Response>> {
        if self.state.node.csrf_ok(&self.session, given) {
            Ok(())
        } else {
            let body = format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                self.e("error-csrf")
            );
            Err(Box::new(
                (
                    StatusCode::FORBIDDEN,
                    Html(self.layout(&self.t("error-title"), &body)),
                )
                    .into_response(),
            ))
        }
    }

    /// A form post: this session's anti-forgery token, and a role allowed in `section`.
    pub fn check_post(&self, csrf: &str, section: &str) -> Result<(), Box<Response>> {
        self.check_csrf(csrf)?;
        self.require_section(section)
    }

    /// The hidden anti-forgery field for forms.
    pub fn csrf_field(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            escape(&self.csrf)
        )
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
            AppError::Conflict { code, .. } => match *code {
                "shift_open" => "error-shift-open",
                "no_open_shift" => "error-no-open-shift",
                "already_cancelled" => "error-already-cancelled",
                "beyond_key" => "error-beyond-key",
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
        let body = format!(
            "<p class=\"error\" role=\"alert\">{}</p><p><a href=\"/\" data-back>{}</a></p>",
            escape(&text),
            self.e("action-back")
        );
        self.respond((status, Html(self.layout(&self.t("error-title"), &body))).into_response())
    }

    /// A whole page with the navigation for this member of staff.
    pub fn layout(&self, title: &str, body: &str) -> String {
        let links: String = SECTIONS
            .iter()
            .filter(|(_, _, roles)| roles.contains(&self.who.role))
            .map(|(href, key, _)| format!("<a href=\"{href}\">{}</a>", self.e(key)))
            .collect();
        let other = if self.lang == Lang::Uk { "en" } else { "uk" };
        format!(
            "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{title} · АСПК</title><link rel=\"stylesheet\" href=\"/static/staff.css\"></head>\
             <body{failover}><header><strong class=\"brand\">АСПК</strong><nav aria-label=\"{nav}\">{links}</nav>\
             {path}<span class=\"who\">{user} · {role}</span>\
             <form method=\"post\" action=\"/language\" class=\"lang\">{csrf}\
             <input type=\"hidden\" name=\"lang\" value=\"{other}\">\
             <input type=\"hidden\" name=\"back\" value=\"{here}\">\
             <button type=\"submit\" class=\"lang\">{switch}</button></form>\
             <form method=\"post\" action=\"/sign-out\">{csrf}<button>{sign_out}</button></form></header>\
             <main><h1>{title}</h1>{body}</main>\
             <script type=\"module\" src=\"/static/failover.js\"></script>\
             <script type=\"module\" src=\"/static/page.js\"></script></body></html>",
            code = self.lang.code(),
            title = escape(title),
            failover = self.failover_data(),
            path = self.path_badge(),
            nav = self.e("nav-label"),
            user = escape(self.who.username.as_str()),
            role = self.e(&format!("role-{}", self.who.role.as_str())),
            switch = self.e("language-switch"),
            here = escape(&self.here),
            csrf = self.csrf_field(),
            sign_out = self.e("sign-out"),
        )
    }

    /// What `failover.js` needs: the endpoints in order of preference (see
    /// [`super::handoff::endpoints`]; it fetches the handoff codes for them itself), and
    /// the badge's words. Never the session token.
    fn failover_data(&self) -> String {
        let endpoints: Vec<String> = self.endpoints.iter().map(|e| e.url.clone()).collect();
        format!(
            " data-endpoints=\"{}\" data-fallback=\"{}\"",
            escape(&serde_json::to_string(&endpoints).unwrap_or_default()),
            self.e("path-fallback"),
        )
    }

    /// The session token of this request (for use cases that act on the session itself).
    pub fn session_token(&self) -> &str {
        &self.session
    }

    /// Which node this page comes from and, on a site node, whether its upstream is
    /// reachable: staff see at a glance that they work on the local path during an outage.
    fn path_badge(&self) -> String {
        let role = self.state.node.role().as_str();
        let (class, text) = match &self.state.upstream {
            Some(up) if up.get().is_reachable => (
                "path-ok",
                self.t_args(
                    "path-via-upstream",
                    &[("role", self.t(&format!("path-role-{role}")).into())],
                ),
            ),
            Some(_) => (
                "path-offline",
                self.t_args(
                    "path-offline",
                    &[("role", self.t(&format!("path-role-{role}")).into())],
                ),
            ),
            None => ("path-ok", self.t(&format!("path-role-{role}"))),
        };
        format!(
            "<a class=\"path {class}\" id=\"path\" href=\"/status\">{}</a>",
            escape(&text)
        )
    }

    /// A full HTML response, setting the language cookie when the page was asked in one.
    pub fn html(&self, title: &str, body: &str) -> Response {
        self.respond(Html(self.layout(title, body)).into_response())
    }

    pub fn respond(&self, mut response: Response) -> Response {
        if let Some(value) = self.set_lang.as_ref().and_then(|c| c.parse().ok()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
        response
    }
}
