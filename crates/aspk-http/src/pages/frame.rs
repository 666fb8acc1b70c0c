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
    ("/paper", "nav-paper", Action::EnterPaperSales),
    ("/reports", "nav-reports", Action::ReadReports),
    ("/findings", "nav-findings", Action::ReadFindings),
    ("/drills", "nav-drills", Action::RunDrills),
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
        self.require(section_action(path))
    }

    /// Refuses (403 page) unless the member of staff may do `action`.
    pub fn require(&self, action: Action) -> Result<(), Box<Response>> {
        self.who
            .require_to(action)
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

    /// The message for an error of a use case, in the page's language: always from the
    /// catalogues (`conflict-<code>`, `invalid-<field>`, `not-found-<what>`, …), never the
    /// use case's English detail (the JSON API keeps that).
    pub fn error_text(&self, err: &AppError) -> String {
        error_message(self.lang, err)
    }

    /// Who did something, for staff: a person's name, a node's or device's name
    /// ("вузол «Каса 1»"), a visitor (online), or the system; never a raw `node:…` id.
    pub fn actor_label(&self, actor: &str) -> String {
        let Some((kind, id)) = actor.split_once(':') else {
            return match actor {
                "visitor" => self.t("actor-visitor"),
                _ => actor.to_owned(),
            };
        };
        match kind {
            "user" => id.to_owned(),
            "node" | "device" => self.node_label(id),
            "system" => self.t("actor-system"),
            _ => actor.to_owned(),
        }
    }

    /// An enrolled node or device by its id: its kind and name; this node itself by its
    /// role; another that is not known here, in general words.
    fn node_label(&self, id: &str) -> String {
        let node = &self.state.node;
        if id == node.origin() {
            let role = self.role_name(node.role().as_str());
            return self.t_args("actor-this-node", &[("role", role.into())]);
        }
        let known = node
            .nodes(None)
            .into_iter()
            .find(|n| n.node_id == id || n.origin == id);
        match known {
            Some(n) => {
                let role = self.role_name(&n.role);
                let args = [("role", role.into()), ("name", n.name.into())];
                self.t_args("actor-node", &args)
            }
            None => self.t("actor-node-unknown"),
        }
    }

    /// A printer by its id: its name (the browser's PDF printer too).
    pub fn printer_label(&self, id: &str) -> String {
        let browser = aspk_app::browser_printer();
        let named = self
            .state
            .node
            .printers()
            .into_iter()
            .chain(std::iter::once(browser))
            .find(|p| p.id.as_str() == id);
        match named {
            Some(p) if p.id.as_str() == aspk_app::browser_printer().id.as_str() => {
                self.t("printer-browser")
            }
            Some(p) => p.name,
            None => id.to_owned(),
        }
    }

    /// Why a print job failed, in the page's language: the printer is off or unreachable
    /// (the error starts with [`aspk_app::PRINTER_OFFLINE`]), or its settings are wrong.
    pub fn print_error_label(&self, error: &str) -> String {
        if error.starts_with(aspk_app::PRINTER_OFFLINE) {
            self.t("print-error-offline")
        } else {
            self.t("print-error-settings")
        }
    }

    /// A node's role in words: `cloud` → "хмара", `site_node`, `gate`, `scanner`.
    pub fn role_name(&self, role: &str) -> String {
        let key = format!("node-role-{role}");
        if aspk_i18n::has_message(self.lang, &key) {
            self.t(&key)
        } else {
            role.to_owned()
        }
    }

    /// The name of a scan result, as the log has it (`already_used`), in the catalogue's
    /// words ("вже використаний"); none for a text that names no result.
    pub fn scan_result_label(&self, name: &str) -> Option<String> {
        let result = name.parse::<aspk_domain::ScanResult>().ok()?;
        Some(self.t(&format!("scan-result-{}", result.as_str())))
    }

    /// Where an outbox mail stands: sent, failed with the last attempt's error, or waiting,
    /// and then why (no mail server configured, or the central server sends it).
    pub fn mail_state(&self, mail: &aspk_domain::Mail) -> String {
        let node = &self.state.node;
        if let Some(why) = &mail.bounced {
            return self.t_args("mail-bounced", &[("error", why.as_str().into())]);
        }
        match (&mail.sent_at, &mail.last_error) {
            (Some(at), _) => self.t_args("mail-sent", &[("time", self.time(*at, None).into())]),
            (None, Some(e)) => self.t_args("mail-failed", &[("error", e.as_str().into())]),
            (None, None) if node.role() != aspk_app::NodeRole::Cloud => {
                self.t("mail-queued-upstream")
            }
            (None, None) if !node.has_mail_sender() => self.t("mail-queued-no-server"),
            (None, None) => self.t("mail-queued"),
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

    /// The drills running now, for the banner on every page: (link to the drill, when this
    /// member of staff may open it; its name).
    pub fn running_drills(&self) -> Vec<(Option<String>, String)> {
        let may = self.who.may(Action::RunDrills);
        self.state
            .node
            .running_drills()
            .into_iter()
            .map(|d| (may.then(|| format!("/drills/{}", d.id)), d.name))
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

/// The message for an error of a use case in `lang`, from the catalogues only.
pub fn error_message(lang: Lang, err: &AppError) -> String {
    match err {
        AppError::SoldOut {
            requested,
            available,
            local_time,
            offline,
            ..
        } => sold_out_text(lang, *requested, *available, local_time, *offline),
        AppError::Invalid(invalid) => invalid_text(lang, invalid.field),
        AppError::UnknownReference { field, .. } => invalid_text(lang, field),
        AppError::NotFound { what, .. } => keyed_or(lang, "not-found", what, "not-found"),
        AppError::Conflict { code, .. } => {
            keyed_or(lang, "conflict", code.as_str(), "conflict-other")
        }
        AppError::BadCredentials => t(lang, "error-bad-credentials"),
        AppError::LockedOut { minutes } => t_args(
            lang,
            "error-locked-out-minutes",
            &[("minutes", (*minutes).into())],
        ),
        AppError::Unauthenticated => t(lang, "error-unauthenticated"),
        AppError::Forbidden(_) => t(lang, "error-forbidden"),
        AppError::Unavailable(_) => t(lang, "error-unavailable"),
        AppError::Internal(_) => t(lang, "error-internal"),
    }
}

fn sold_out_text(lang: Lang, requested: u32, available: u32, time: &str, offline: bool) -> String {
    let key = if offline {
        "error-sold-out-offline"
    } else {
        "error-sold-out"
    };
    let args = [
        ("time", time.into()),
        ("requested", requested.into()),
        ("available", available.into()),
    ];
    t_args(lang, key, &args)
}

/// `invalid-<field>`, or the generic message naming the field.
fn invalid_text(lang: Lang, field: &str) -> String {
    let key = format!("invalid-{field}");
    if aspk_i18n::has_message(lang, &key) {
        return t(lang, &key);
    }
    let words = field.replace('_', " ");
    t_args(lang, "invalid-field", &[("field", words.into())])
}

/// `<prefix>-<name>` when the catalogue has it, else the message `fallback`.
fn keyed_or(lang: Lang, prefix: &str, name: &str, fallback: &str) -> String {
    let key = format!("{prefix}-{name}");
    if aspk_i18n::has_message(lang, &key) {
        t(lang, &key)
    } else {
        t(lang, fallback)
    }
}

/// The form field an error is about, for forms that show the error next to the field.
pub fn error_field(err: &AppError) -> Option<&'static str> {
    match err {
        AppError::Invalid(invalid) => Some(invalid.field),
        AppError::UnknownReference { field, .. } => Some(field),
        AppError::SoldOut { .. } => Some("quantity"),
        _ => None,
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

    /// Every `.rs` file under `crates/*/src`.
    fn workspace_sources() -> Vec<String> {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(&crates)
            .expect("the crates folder")
            .map(|e| e.expect("a crate").path().join("src"))
            .filter(|p| p.is_dir())
            .collect();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a source folder") {
                let path = entry.expect("a source entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    files.push(std::fs::read_to_string(&path).expect("readable source"));
                }
            }
        }
        files
    }

    /// The string literal that opens `rest` (after blanks), when it is a snake_case name.
    fn leading_name(rest: &str) -> Option<&str> {
        let rest = rest.trim_start().strip_prefix('"')?;
        let name = &rest[..rest.find('"')?];
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        is_name.then_some(name)
    }

    /// The literal names after each of `openers` in the workspace's sources.
    fn names_after(openers: &[&str]) -> Vec<String> {
        let mut names = Vec::new();
        for source in workspace_sources() {
            for opener in openers {
                for (i, _) in source.match_indices(opener) {
                    if let Some(name) = leading_name(&source[i + opener.len()..]) {
                        names.push(name.to_owned());
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }

    fn missing_in_a_language(keys: &[String]) -> Vec<String> {
        Lang::ALL
            .iter()
            .flat_map(|lang| {
                keys.iter()
                    .filter(|k| !aspk_i18n::has_message(*lang, k))
                    .map(move |k| format!("{}: {k}", lang.code()))
            })
            .collect()
    }

    #[test]
    fn every_invalid_field_has_its_message_in_both_languages() {
        let openers = [
            "AppError::invalid(",
            "ValidationError::new(",
            "Slug::parse(",
            ".validate(",
        ];
        let fields = names_after(&openers);
        assert!(fields.len() > 30, "found only {fields:?}");
        let keys: Vec<String> = fields.iter().map(|f| format!("invalid-{f}")).collect();
        let missing = missing_in_a_language(&keys);
        assert!(missing.is_empty(), "messages missing: {missing:?}");
    }

    #[test]
    fn every_conflict_code_has_its_message_in_both_languages() {
        let keys: Vec<String> = aspk_domain::ConflictCode::ALL
            .iter()
            .map(|code| format!("conflict-{}", code.as_str()))
            .collect();
        let missing = missing_in_a_language(&keys);
        assert!(missing.is_empty(), "messages missing: {missing:?}");
    }

    #[test]
    fn every_thing_not_found_has_its_message_in_both_languages() {
        let whats = names_after(&["what: "]);
        assert!(whats.len() > 8, "found only {whats:?}");
        let keys: Vec<String> = whats.iter().map(|w| format!("not-found-{w}")).collect();
        let missing = missing_in_a_language(&keys);
        assert!(missing.is_empty(), "messages missing: {missing:?}");
    }

    /// No message of an error shows the use case's English detail on a Ukrainian page.
    #[test]
    fn errors_speak_the_page_language_only() {
        let unknown_field = "no_such_field_here";
        let errors = [
            AppError::invalid("amount", "type an amount such as 250"),
            AppError::Conflict {
                code: aspk_domain::ConflictCode::UserExists,
                detail: "user 'admin' already exists".into(),
            },
            AppError::Unavailable("printer is off or not connected".into()),
            AppError::NotFound {
                what: "order",
                id: "123".into(),
            },
            AppError::invalid(unknown_field, "english detail"),
            AppError::Internal(anyhow::anyhow!("boom")),
            AppError::LockedOut { minutes: 5 },
        ];
        for err in &errors {
            let text = error_message(Lang::Uk, err);
            let latin = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
            let allowed = err.to_string().contains(unknown_field);
            assert!(allowed || latin == 0, "{err:?} shows {text:?}");
            assert!(!text.contains(&err.to_string()), "{text:?}");
        }
        assert!(error_message(Lang::En, &errors[1]).contains("exists already"));
        assert_eq!(error_field(&errors[0]), Some("amount"));
        assert_eq!(error_field(&errors[1]), None);
    }

    #[test]
    fn every_code_shown_to_staff_has_words_in_both_languages() {
        let results = aspk_domain::ScanResult::ALL
            .iter()
            .map(|r| format!("scan-result-{}", r.as_str()));
        let roles = ["cloud", "site_node", "gate", "scanner", "box_office"]
            .iter()
            .map(|r| format!("node-role-{r}"));
        let keys: Vec<String> = results.chain(roles).collect();
        let missing = missing_in_a_language(&keys);
        assert!(missing.is_empty(), "messages missing: {missing:?}");
    }
}
