//! The node's health for staff: role, link to the upstream, sync, leases and findings.

use askama::Template;
use axum::response::Response;

use super::Page;

#[derive(Template)]
#[template(path = "status.html")]
struct StatusView<'a> {
    page: &'a Page,
    title: String,
    /// (message key of the label, value).
    rows: Vec<(&'static str, String)>,
}

pub async fn page(page: Page) -> Response {
    if let Err(refused) = page.require_section("/status") {
        return *refused;
    }
    let node = &page.state.node;
    let health = match node.health(&page.who) {
        Ok(health) => health,
        Err(e) => return page.error(e),
    };
    let store = page.t(if health.store_stalled {
        "status-store-stalled"
    } else {
        "status-store-ok"
    });
    let mut rows = vec![
        ("status-role", page.role_name(node.role().as_str())),
        ("status-ops", health.op_count.to_string()),
        ("status-findings", health.open_findings.to_string()),
        ("status-store", store),
    ];
    if let Some(up) = &page.state.upstream {
        let view = up.get();
        let reachable = page.t(if view.is_reachable {
            "status-upstream-up"
        } else {
            "status-upstream-down"
        });
        rows.push(("status-upstream", format!("{} ({reachable})", view.url)));
        rows.push(("status-pending", view.pending_ops.to_string()));
        let last = view
            .last_push
            .map(|at| page.time(at, None))
            .unwrap_or_else(|| "—".into());
        rows.push(("status-last-push", last));
        let last = view
            .last_pull
            .map(|at| page.time(at, None))
            .unwrap_or_else(|| "—".into());
        rows.push(("status-last-pull", last));
        rows.push(("status-leases", leases(&page, &health.leases)));
    }
    if let Some(until) = health.key_valid_until {
        rows.push(("status-key-until", page.time(until, None)));
    }
    page.render(&StatusView {
        page: &page,
        title: page.t("nav-status"),
        rows,
    })
}

/// The seats this node holds for selling offline, per coming slot: "14:00 ×8, 15:00 ×10".
fn leases(page: &Page, held: &[(chrono::DateTime<chrono::Utc>, u32)]) -> String {
    if held.is_empty() {
        return "—".into();
    }
    held.iter()
        .map(|(starts, left)| format!("{} ×{left}", page.time(*starts, None)))
        .collect::<Vec<_>>()
        .join(", ")
}
