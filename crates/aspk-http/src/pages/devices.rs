//! Devices (admins): the site nodes, gates and phones enrolled, "add device" with a one-time
//! code shown as a QR (a phone opens the scanner app's pairing link), and revocation.

use askama::Template;
use aspk_render::{text_qr_matrix, QrMatrix};
use axum::extract::{Form, Path};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::frame::redirect;
use super::Page;

const ROLES: [&str; 4] = ["scanner", "box_office", "gate", "site_node"];

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesView<'a> {
    page: &'a Page,
    title: String,
    roles: Vec<Choice>,
    venues: Vec<Choice>,
    devices: Vec<DeviceRow>,
}

/// An option of a select: its value and its words.
struct Choice {
    value: String,
    label: String,
}

struct DeviceRow {
    node_id: String,
    name: String,
    role: String,
    venue: String,
    /// "active", or "revoked: lost".
    state: String,
    /// Not revoked yet: the row has the form that revokes it.
    revocable: bool,
}

pub async fn list(page: Page) -> Response {
    if let Err(refused) = page.require_section("/settings") {
        return *refused;
    }
    let nodes = page.state.node.nodes(None);
    let venues: Vec<Choice> = page
        .state
        .node
        .venues()
        .into_iter()
        .map(|v| Choice {
            value: v.id.as_str().to_owned(),
            label: v.name.get(page.lang.code()).to_owned(),
        })
        .collect();
    let devices = nodes
        .iter()
        .map(|n| DeviceRow {
            node_id: n.node_id.clone(),
            name: n.name.clone(),
            role: page.t(&format!("device-role-{}", n.role)),
            venue: venues
                .iter()
                .find(|v| v.value == n.venue.as_str())
                .map(|v| v.label.clone())
                .unwrap_or_else(|| n.venue.as_str().to_owned()),
            state: match &n.revoked {
                Some(reason) => format!("{}: {}", page.t("device-revoked"), reason),
                None => page.t("device-active"),
            },
            revocable: n.revoked.is_none(),
        })
        .collect();
    let roles = ROLES
        .iter()
        .map(|r| Choice {
            value: (*r).to_owned(),
            label: page.t(&format!("device-role-{r}")),
        })
        .collect();
    page.render(&DevicesView {
        page: &page,
        title: page.t("nav-devices"),
        roles,
        venues,
        devices,
    })
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    role: String,
    venue: String,
}

#[derive(Template)]
#[template(path = "devices_add.html")]
struct DeviceAddView<'a> {
    page: &'a Page,
    title: String,
    code: String,
    how: Pairing,
    /// "Valid until 04.12.2026 15:00".
    expires: String,
}

/// How the new device uses its code.
enum Pairing {
    /// A phone (or a box-office device) opens the link, or scans its QR (`None` when the
    /// link does not fit one); `hint` says what it becomes.
    Scanner {
        link: String,
        qr: Option<QrImage>,
        hint: String,
    },
    /// A gate or a site node is started with this command.
    Command(String),
}

/// A QR code drawn as SVG: `side` modules with the quiet zone, shown `size` pixels wide,
/// the dark modules as one path (the same drawing as [`aspk_render::qr_svg`]).
struct QrImage {
    side: usize,
    size: u32,
    path: String,
}

impl QrImage {
    fn new(matrix: &QrMatrix, size: u32) -> QrImage {
        QrImage {
            side: matrix.width_with_quiet_zone(),
            size,
            path: super::shop::svg_path(matrix),
        }
    }
}

/// A fresh one-time code: as digits, as a link and as a QR for phones.
pub async fn add(page: Page, headers: HeaderMap, Form(f): Form<AddForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/settings") {
        return *refused;
    }
    let code = match page
        .state
        .node
        .create_enrolment(&page.who, &f.role, &f.venue)
        .await
    {
        Ok(c) => c,
        Err(e) => return page.error(e),
    };
    let base = crate::extract::base_url(&headers);
    let how = if f.role == "scanner" {
        let link = format!("{base}/scan#pair={}", code.code);
        let qr = text_qr_matrix(&link).ok().map(|m| QrImage::new(&m, 280));
        let hint = page.t("device-scan-hint");
        Pairing::Scanner { link, qr, hint }
    } else if f.role == "box_office" {
        let link = format!("{base}/box-office/device/#pair={}", code.code);
        let qr = text_qr_matrix(&link).ok().map(|m| QrImage::new(&m, 280));
        let hint = page.t("device-box-office-hint");
        Pairing::Scanner { link, qr, hint }
    } else if f.role == "gate" {
        Pairing::Command(format!("aspk gate --upstream {base} --enrol {}", code.code))
    } else {
        Pairing::Command(format!(
            "aspk serve --upstream {base} --enrol {}",
            code.code
        ))
    };
    page.render(&DeviceAddView {
        page: &page,
        title: page.t("device-add"),
        expires: page.t_args(
            "device-expires",
            &[("time", page.time(code.expires_at, None).into())],
        ),
        code: code.code,
        how,
    })
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
    reason: String,
}

pub async fn revoke(
    page: Page,
    Path(node_id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/settings") {
        return *refused;
    }
    match page
        .state
        .node
        .revoke_node(&page.who, &node_id, &f.reason)
        .await
    {
        Ok(()) => redirect("/settings/devices"),
        Err(e) => page.error(e),
    }
}

#[cfg(test)]
mod tests {
    use aspk_render::{qr_svg, text_qr_matrix};

    use super::QrImage;

    /// The pairing QR on the page is the drawing `aspk_render` makes.
    #[test]
    fn the_pairing_qr_is_the_one_the_render_crate_draws() {
        let matrix = text_qr_matrix("https://museum.example/scan#pair=0123456789").unwrap();
        let image = QrImage::new(&matrix, 280);
        let svg = qr_svg(&matrix, 280);
        let side = image.side;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{svg}"
        );
        assert!(svg.contains(&format!(" d=\"{}\"", image.path)), "{svg}");
    }
}
