//! A venue's look in its shop: the accent colour as a tiny stylesheet (inline styles are
//! not allowed by the pages' policy) and the logo as an image of its own (cached by the
//! browser instead of riding along in every page).

use aspk_domain::Venue;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::AppState;

/// The accent when a venue has none: white on it has a contrast of 6.7:1.
const DEFAULT_ACCENT: &str = "#1d4ed8";

/// The contrast buttons' white text needs against the accent (WCAG AA, normal text).
const MIN_CONTRAST: f64 = 4.5;

/// The colour of the venue's buttons: its accent, darkened until white text on it is
/// readable (contrast at least 4.5:1).
pub fn accent_of(venue: &Venue) -> String {
    let configured = venue.shop.accent.as_deref().and_then(parse_hex);
    let Some(mut rgb) = configured else {
        return DEFAULT_ACCENT.to_owned();
    };
    while contrast_with_white(rgb) < MIN_CONTRAST {
        rgb = rgb.map(|c| (f64::from(c) * 0.9).floor() as u8);
    }
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

fn parse_hex(raw: &str) -> Option<[u8; 3]> {
    let hex = raw.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG relative luminance of an sRGB colour.
fn luminance(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    1.05 / (luminance(rgb) + 0.05)
}

/// `GET /shop/{venue}/theme.css`: the accent as a custom property.
pub async fn css(State(state): State<AppState>, Path(venue): Path<String>) -> Response {
    let Some(venue) = state.node.venue(&venue) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = format!(":root{{--accent:{}}}\n", accent_of(&venue));
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// `GET /shop/{venue}/logo`: the logo's bytes from its `data:` URL. An SVG logo is served
/// sandboxed, so opening it on its own runs nothing.
pub async fn logo(State(state): State<AppState>, Path(venue): Path<String>) -> Response {
    let logo = state.node.venue(&venue).and_then(|v| v.shop.logo);
    let Some((kind, bytes)) = logo.as_deref().and_then(decode_data_url) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The media type and bytes of a base64 `data:` URL of an image.
pub fn decode_data_url(url: &str) -> Option<(String, Vec<u8>)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let kind = meta.strip_suffix(";base64")?;
    if !["image/png", "image/jpeg", "image/svg+xml"].contains(&kind) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    Some((kind.to_owned(), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venue_with(accent: Option<&str>) -> Venue {
        Venue {
            id: aspk_domain::Slug::parse("id", "v").expect("a slug"),
            no: 1,
            name: aspk_domain::Localized::new("М", "M"),
            time_zone: "Europe/Kyiv".into(),
            currency: aspk_domain::Currency::UAH,
            early_entry_minutes: 0,
            shop: aspk_domain::ShopSettings {
                accent: accent.map(str::to_owned),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_light_accent_is_darkened_until_white_text_is_readable() {
        for configured in ["#ffff00", "#ffffff", "#7fb3ff", "#00ff00"] {
            let shown = accent_of(&venue_with(Some(configured)));
            let rgb = parse_hex(&shown).expect("a colour");
            assert!(
                contrast_with_white(rgb) >= MIN_CONTRAST,
                "{configured} → {shown}"
            );
        }
        // A dark accent is kept as it is.
        assert_eq!(accent_of(&venue_with(Some("#123456"))), "#123456");
        assert_eq!(accent_of(&venue_with(None)), DEFAULT_ACCENT);
        let default = parse_hex(DEFAULT_ACCENT).expect("a colour");
        assert!(contrast_with_white(default) >= MIN_CONTRAST);
    }

    #[test]
    fn a_logo_is_decoded_from_its_data_url() {
        let (kind, bytes) = decode_data_url("data:image/png;base64,iVBORw0K").expect("decoded");
        assert_eq!(kind, "image/png");
        assert_eq!(&bytes[..4], b"\x89PNG");
        assert!(decode_data_url("data:text/html;base64,PGI+").is_none());
        assert!(decode_data_url("https://example.com/logo.png").is_none());
    }
}
