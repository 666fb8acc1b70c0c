//! What every shop page shares: the visitor's language (`?lang=`, then the cookie, then
//! Ukrainian), the venue the shop belongs to, the frame around each page (name, logo,
//! accent colour, language switch, links), and formatting money and times in the venue's
//! zone.

use askama::Template;
use aspk_domain::{Currency, Money, Venue};
use aspk_i18n::{t, t_args, Arg, Lang};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::Cookie;
use chrono::{DateTime, Utc};

use super::super::frame::page_lang;
use crate::cookies;
use crate::AppState;

/// A request from a visitor (nobody signs in to the shop).
pub struct Visitor {
    pub lang: Lang,
    set_lang: Option<Cookie<'static>>,
    /// This page's path and query without `lang` (where the language switch leads).
    here: String,
    /// This site's address for links a payment provider sends the visitor back to.
    pub base_url: String,
    /// The visitor's address (for the limit of unpaid orders per client).
    pub client: Option<std::net::IpAddr>,
    pub state: AppState,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (lang, set_lang) = page_lang(&parts.headers, parts.uri.query());
        Ok(Visitor {
            lang,
            set_lang,
            here: without_lang(parts.uri.path(), parts.uri.query()),
            base_url: state.payments.base_url(&parts.headers),
            client: crate::payments::client_of(&parts.extensions),
            state: state.clone(),
        })
    }
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

/// What the frame around every shop page shows.
pub struct Shell {
    pub title: String,
    pub venue_id: String,
    pub venue_name: String,
    pub has_logo: bool,
    /// The accent's stylesheet, versioned by the colour (browsers may cache it).
    pub theme_href: String,
    /// The same page in the other language.
    pub switch_href: String,
    pub switch_label: String,
    pub switch_lang: &'static str,
}

impl Visitor {
    pub fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }

    pub fn t_args(&self, key: &str, args: &[(&str, Arg)]) -> String {
        t_args(self.lang, key, args)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The venue's name in the page's language.
    pub fn name_of(&self, venue: &Venue) -> String {
        venue.name.get(self.code()).to_owned()
    }

    pub fn money(&self, minor: i64, currency: Currency) -> String {
        Money { minor, currency }.display(self.code())
    }

    /// A moment's wall-clock time at the venue, `HH:MM`.
    pub fn clock(&self, at: DateTime<Utc>, venue: &Venue) -> String {
        at.with_timezone(&venue.tz()).format("%H:%M").to_string()
    }

    /// A moment at the venue, `DD.MM.YYYY HH:MM`.
    pub fn when(&self, at: DateTime<Utc>, venue: &Venue) -> String {
        at.with_timezone(&venue.tz())
            .format("%d.%m.%Y %H:%M")
            .to_string()
    }

    /// The venue of the shop at `/shop/{id}`; a page saying there is no such shop when
    /// there is none.
    pub fn venue(&self, id: &str) -> Result<Venue, Box<Response>> {
        self.state
            .node
            .venue(id)
            .ok_or_else(|| Box::new(self.not_found()))
    }

    /// The frame of a page of `venue`'s shop titled `title`.
    pub fn shell(&self, venue: &Venue, title: String) -> Shell {
        let other = if self.lang == Lang::Uk {
            Lang::En
        } else {
            Lang::Uk
        };
        let sep = if self.here.contains('?') { '&' } else { '?' };
        let accent = super::theme::accent_of(venue);
        Shell {
            title,
            venue_id: venue.id.as_str().to_owned(),
            venue_name: self.name_of(venue),
            has_logo: venue.shop.logo.is_some(),
            theme_href: format!(
                "/shop/{}/theme.css?v={}",
                venue.id,
                accent.trim_start_matches('#')
            ),
            switch_href: format!("{}{sep}lang={}", self.here, other.code()),
            switch_label: t(self.lang, "language-switch"),
            switch_lang: other.code(),
        }
    }

    /// A page rendered from its template with `status`, setting the language cookie when
    /// the page was asked for in a language.
    pub fn render_with(&self, status: StatusCode, view: &impl Template) -> Response {
        match view.render() {
            Ok(html) => cookies::with((status, Html(html)).into_response(), self.set_lang.clone()),
            Err(err) => {
                tracing::error!(%err, "a shop template failed to render");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }

    pub fn render(&self, view: &impl Template) -> Response {
        self.render_with(StatusCode::OK, view)
    }

    /// A plain page with a heading and one message, inside `venue`'s frame when known.
    pub fn message(
        &self,
        status: StatusCode,
        venue: Option<&Venue>,
        title: String,
        text: String,
    ) -> Response {
        let shell = match venue {
            Some(v) => self.shell(v, title),
            None => Shell {
                title,
                venue_id: String::new(),
                venue_name: String::new(),
                has_logo: false,
                theme_href: String::new(),
                switch_href: format!("{}?lang={}", self.here, self.other_code()),
                switch_label: self.t("language-switch"),
                switch_lang: self.other_code(),
            },
        };
        let view = MessageView {
            v: self,
            shell,
            text,
        };
        self.render_with(status, &view)
    }

    fn other_code(&self) -> &'static str {
        if self.lang == Lang::Uk {
            "en"
        } else {
            "uk"
        }
    }

    /// 404: no such shop, or no such order.
    pub fn not_found(&self) -> Response {
        self.message(
            StatusCode::NOT_FOUND,
            None,
            self.t("shop-not-found-title"),
            self.t("shop-not-found"),
        )
    }
}

#[derive(Template)]
#[template(path = "shop_message.html")]
struct MessageView<'a> {
    v: &'a Visitor,
    shell: Shell,
    text: String,
}
