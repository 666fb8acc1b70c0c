//! Devices (admins): the site nodes, gates and phones enrolled, "add device" with a one-time
//! code shown as a QR (a phone opens the scanner app's pairing link), and revocation.

use aspk_render::{qr_svg, text_qr_matrix};
use axum::extract::{Form, Path};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::frame::redirect;
use super::{escape, Page};

const ROLES: [&str; 3] = ["scanner", "gate", "site_node"];

pub async fn list(page: Page) -> Response {
    if let Err(refused) = page.require_section("/settings") {
        return *refused;
    }
    let nodes = page.state.node.nodes(None);
    let venues: Vec<(String, String)> = page.state.node.read(|s| {
        s.venues
            .values()
            .map(|v| {
                (
                    v.id.as_str().to_owned(),
                    v.name.get(page.lang.code()).to_owned(),
                )
            })
            .collect()
    });
    let rows: String = nodes
        .iter()
        .map(|n| {
            let state = match &n.revoked {
                Some(reason) => format!("{}: {}", page.t("device-revoked"), reason),
                None => page.t("device-active"),
            };
            let revoke = if n.revoked.is_none() {
                format!(
                    "<form method=\"post\" action=\"/settings/devices/{id}/revoke\" class=\"inline danger\">{csrf}\
                     <input name=\"reason\" required aria-label=\"{reason_l}\" placeholder=\"{reason_l}\"><button type=\"submit\">{revoke_l}</button></form>",
                    id = escape(&n.node_id),
                    csrf = page.csrf_field(),
                    reason_l = page.e("order-reason"),
                    revoke_l = page.e("device-revoke"),
                )
            } else {
                String::new()
            };
            format!(
                "<tr data-node=\"{id}\"><td>{name}</td><td>{role}</td><td>{venue}</td><td>{state}</td><td>{revoke}</td></tr>",
                id = escape(&n.node_id),
                name = escape(&n.name),
                role = page.e(&format!("device-role-{}", n.role)),
                venue = escape(n.venue.as_str()),
                state = escape(&state),
            )
        })
        .collect();
    let role_options: String = ROLES
        .iter()
        .map(|r| {
            format!(
                "<option value=\"{r}\">{}</option>",
                page.e(&format!("device-role-{r}"))
            )
        })
        .collect();
    let venue_options: String = venues
        .iter()
        .map(|(id, name)| format!("<option value=\"{}\">{}</option>", escape(id), escape(name)))
        .collect();
    let body = format!(
        "<form method=\"post\" action=\"/settings/devices\">{csrf}<h2>{add_l}</h2>\
         <label for=\"device-role\">{role_l}</label><select id=\"device-role\" name=\"role\">{role_options}</select>\
         <label for=\"device-venue\">{venue_l}</label><select id=\"device-venue\" name=\"venue\">{venue_options}</select>\
         <div><button class=\"primary\" type=\"submit\" id=\"add-device\">{create_l}</button></div></form>\
         <h2>{list_l}</h2><table id=\"devices\"><tbody>{rows}</tbody></table>",
        csrf = page.csrf_field(),
        add_l = page.e("device-add"),
        role_l = page.e("settings-role"),
        venue_l = page.e("settings-venue"),
        create_l = page.e("device-create-code"),
        list_l = page.e("device-list"),
    );
    page.html(&page.t("nav-devices"), &body)
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    role: String,
    venue: String,
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
    let link = format!("{base}/scan#pair={}", code.code);
    let how = if f.role == "scanner" {
        let qr = text_qr_matrix(&link)
            .map(|m| qr_svg(&m, 280))
            .unwrap_or_default();
        format!(
            "<figure class=\"pairing\" id=\"pairing-qr\">{qr}<figcaption>{}</figcaption></figure><p><a id=\"pairing-link\" href=\"{l}\">{l}</a></p>",
            page.e("device-scan-hint"),
            l = escape(&link)
        )
    } else {
        let command = if f.role == "gate" {
            format!("aspk gate --upstream {base} --enrol {}", code.code)
        } else {
            format!("aspk serve --upstream {base} --enrol {}", code.code)
        };
        format!(
            "<p>{}</p><pre id=\"enrol-command\">{}</pre>",
            page.e("device-command-hint"),
            escape(&command)
        )
    };
    let body = format!(
        "<p class=\"big-code\">{label}: <strong id=\"enrol-code\">{code}</strong></p>{how}\
         <p>{expires}</p><p><a href=\"/settings/devices\">{back}</a></p>",
        label = page.e("device-code"),
        code = escape(&code.code),
        expires = escape(&page.t_args(
            "device-expires",
            &[("time", page.time(code.expires_at, None).into())]
        )),
        back = page.e("action-back"),
    );
    page.html(&page.t("device-add"), &body)
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
