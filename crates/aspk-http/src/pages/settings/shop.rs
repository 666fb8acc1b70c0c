//! `/settings/shop`: a venue's online shop (admins and managers): the accent colour, the
//! logo (uploaded, kept as a `data:` URL of at most 64 KB), the terms in both languages,
//! how long seats are held while a visitor pays, online cancellation, the most tickets per
//! order and how long a "pay at the box office" reservation is kept. Saved through the
//! venue-saving use case. The form is `multipart/form-data` (it carries the logo file),
//! and works without JavaScript.

use askama::Template;
use aspk_app::{Action, AppError};
use aspk_domain::{Localized, ShopSettings, Venue};
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde::Deserialize;

use super::super::frame::{error_field, redirect};
use super::super::multipart;
use super::super::Page;

/// The largest form accepted: the logo and the texts (the logo is checked on its own).
pub const MAX_FORM: usize = 160 * 1024;

#[derive(Deserialize, Default)]
pub struct ShopQuery {
    venue: Option<String>,
    saved: Option<String>,
}

/// The fields of the form, as stored or as typed.
struct Fields {
    venue: String,
    accent: String,
    has_logo: bool,
    terms_uk: String,
    terms_en: String,
    hold_minutes: String,
    cancel_online: bool,
    cancel_hours: String,
    max_tickets: String,
    box_office_hold_hours: String,
    device_lease_seats: String,
    device_lease_days: String,
}

impl Fields {
    fn of(venue: &Venue) -> Fields {
        let s = &venue.shop;
        let terms = s.terms.clone().unwrap_or_default();
        Fields {
            venue: venue.id.as_str().to_owned(),
            accent: s.accent.clone().unwrap_or_default(),
            has_logo: s.logo.is_some(),
            terms_uk: terms.uk,
            terms_en: terms.en,
            hold_minutes: s.hold_minutes.to_string(),
            cancel_online: s.cancel_hours.is_some(),
            cancel_hours: s.cancel_hours.unwrap_or(24).to_string(),
            max_tickets: s.max_tickets.to_string(),
            box_office_hold_hours: s.box_office_hold_hours.to_string(),
            device_lease_seats: s.device_lease.unwrap_or_default().seats.to_string(),
            device_lease_days: s.device_lease.unwrap_or_default().days.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "settings_shop.html")]
struct ShopSettingsView<'a> {
    page: &'a Page,
    title: String,
    /// The venues to choose from (id, name, chosen).
    venues: Vec<(String, String, bool)>,
    fields: Option<Fields>,
    saved: Option<String>,
    /// The field a refusal is about, and its message.
    error: Option<(String, String)>,
}

impl ShopSettingsView<'_> {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// A refusal about none of the form's fields.
    fn general_error(&self) -> Option<&str> {
        const FIELDS: [&str; 9] = [
            "accent",
            "logo",
            "terms",
            "hold_minutes",
            "cancel_hours",
            "max_tickets",
            "box_office_hold_hours",
            "device_lease_seats",
            "device_lease_days",
        ];
        self.error
            .as_ref()
            .filter(|(f, _)| !FIELDS.contains(&f.as_str()))
            .map(|(_, m)| m.as_str())
    }
}

pub async fn shop_page(page: Page, Query(q): Query<ShopQuery>) -> Response {
    // Admins set up the shop (it is part of the venue, which only admins change).
    if let Err(refused) = page.require(Action::ChangeVenues) {
        return *refused;
    }
    let venue = page
        .state
        .node
        .venue_or_first(q.venue.as_deref())
        .and_then(|id| page.state.node.venue(&id));
    let saved = q.saved.is_some().then(|| page.t("settings-shop-saved"));
    render(
        &page,
        venue.as_ref(),
        venue.as_ref().map(Fields::of),
        saved,
        None,
    )
}

fn render(
    page: &Page,
    venue: Option<&Venue>,
    fields: Option<Fields>,
    saved: Option<String>,
    error: Option<(String, String)>,
) -> Response {
    let lang = page.lang.code();
    let venues = page
        .state
        .node
        .venues()
        .into_iter()
        .map(|v| {
            let chosen = venue.is_some_and(|c| c.id == v.id);
            (
                v.id.as_str().to_owned(),
                v.name.get(lang).to_owned(),
                chosen,
            )
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = ShopSettingsView {
        page,
        title: page.t("settings-shop-title"),
        venues,
        fields,
        saved,
        error,
    };
    page.render_with(status, &view)
}

pub async fn save_shop(page: Page, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = page.require(Action::ChangeVenues) {
        return *refused;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(parts) = multipart::parse(content_type, &body) else {
        let err = AppError::invalid("form", "not a form upload");
        return page.error(err);
    };
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .unwrap_or_default()
    };
    if let Err(refused) = page.check_csrf(&text("csrf")) {
        return *refused;
    }
    let Some(mut venue) = page.state.node.venue(&text("venue")) else {
        return page.error(AppError::NotFound {
            what: "venue",
            id: text("venue"),
        });
    };
    let typed = Fields {
        venue: venue.id.as_str().to_owned(),
        accent: text("accent"),
        has_logo: venue.shop.logo.is_some() && text("remove_logo") != "1",
        terms_uk: text("terms_uk"),
        terms_en: text("terms_en"),
        hold_minutes: text("hold_minutes"),
        cancel_online: text("cancel_online") == "1",
        cancel_hours: text("cancel_hours"),
        max_tickets: text("max_tickets"),
        box_office_hold_hours: text("box_office_hold_hours"),
        device_lease_seats: text("device_lease_seats"),
        device_lease_days: text("device_lease_days"),
    };
    let logo = parts
        .iter()
        .find(|p| p.name == "logo" && p.filename.is_some() && !p.data.is_empty());
    let settings = settings_from(&typed, &venue.shop, logo);
    let result = match settings {
        Ok(shop) => {
            venue.shop = shop;
            let id = venue.id.as_str().to_owned();
            page.state
                .node
                .save_venue(&page.who, venue.clone())
                .await
                .map(|_| id)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("venue", &id).append_pair("saved", "1");
            redirect(&format!("/settings/shop?{}", query.finish()))
        }
        Err(e @ (AppError::Invalid(_) | AppError::UnknownReference { .. })) => {
            let field = error_field(&e).unwrap_or_default().to_owned();
            let error = Some((field, page.error_text(&e)));
            render(&page, Some(&venue), Some(typed), None, error)
        }
        Err(e) => page.error(e),
    }
}

/// The settings from the typed form and an uploaded logo (else the stored one, unless it
/// was removed); checked by the domain's rules.
fn settings_from(
    typed: &Fields,
    stored: &ShopSettings,
    logo: Option<&multipart::Part>,
) -> Result<ShopSettings, AppError> {
    let number = |field: &'static str, raw: &str| {
        raw.parse::<u16>()
            .map_err(|_| AppError::invalid(field, "must be a whole number"))
    };
    let logo = match logo {
        Some(part) => Some(data_url(part)?),
        None if typed.has_logo => stored.logo.clone(),
        None => None,
    };
    let terms = Localized::new(typed.terms_uk.clone(), typed.terms_en.clone());
    let settings = ShopSettings {
        accent: Some(typed.accent.to_lowercase()).filter(|a| !a.is_empty()),
        logo,
        terms: (!terms.uk.is_empty() || !terms.en.is_empty()).then_some(terms),
        hold_minutes: number("hold_minutes", &typed.hold_minutes)?,
        cancel_hours: match typed.cancel_online {
            true => Some(number("cancel_hours", &typed.cancel_hours)?),
            false => None,
        },
        max_tickets: number("max_tickets", &typed.max_tickets)?,
        box_office_hold_hours: number("box_office_hold_hours", &typed.box_office_hold_hours)?,
        // The continuity plan has its own page: saving the shop keeps it.
        continuity: stored.continuity.clone(),
        device_lease: Some(aspk_domain::DeviceLease {
            seats: number("device_lease_seats", &typed.device_lease_seats)?,
            days: number("device_lease_days", &typed.device_lease_days)?,
        })
        .filter(|lease| *lease != aspk_domain::DeviceLease::default()),
    };
    settings.validate()?;
    Ok(settings)
}

/// An uploaded image as a `data:` URL: PNG, JPEG or SVG by its content, not its name.
fn data_url(part: &multipart::Part) -> Result<String, AppError> {
    let bad = || AppError::invalid("logo", "must be a PNG, JPEG or SVG image of at most 64 KB");
    let data = &part.data;
    let kind = if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if data.starts_with(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if std::str::from_utf8(data).is_ok_and(|s| s.contains("<svg")) {
        "image/svg+xml"
    } else {
        return Err(bad());
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let url = format!("data:{kind};base64,{encoded}");
    if url.len() > ShopSettings::MAX_LOGO {
        return Err(bad());
    }
    Ok(url)
}
