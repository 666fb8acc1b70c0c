//! The node's health for staff: role, link to the upstream, sync, leases and findings.

use axum::response::Response;

use super::{escape, Page};

pub async fn page(page: Page) -> Response {
    if let Err(refused) = page.require_section("/status") {
        return *refused;
    }
    let node = &page.state.node;
    let (_, stalled) = node.writer_stats();
    let (ops, findings) = node.read(|s| {
        let open = s
            .findings
            .values()
            .filter(|f| f.resolution.is_none())
            .count();
        (s.op_count, open)
    });
    let store = page.t(if stalled {
        "status-store-stalled"
    } else {
        "status-store-ok"
    });
    let mut rows = vec![
        ("status-role", node.role().as_str().to_owned()),
        ("status-ops", ops.to_string()),
        ("status-findings", findings.to_string()),
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
        rows.push(("status-leases", leases(&page)));
    }
    if let Some(until) = node.own_key().and_then(|k| k.valid_until) {
        rows.push(("status-key-until", page.time(until, None)));
    }
    let body: String = rows
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", page.e(k), escape(v)))
        .collect();
    page.html(&page.t("nav-status"), &format!("<dl>{body}</dl>"))
}

/// The seats this node holds for selling offline, per coming slot: "14:00 ×8, 15:00 ×10".
fn leases(page: &Page) -> String {
    let node = &page.state.node;
    let origin = node.origin().to_owned();
    let now = node.now();
    let mut held: Vec<(chrono::DateTime<chrono::Utc>, u32)> = node.read(|s| {
        s.slots
            .values()
            .filter(|slot| slot.slot.ends_at > now)
            .filter_map(|slot| {
                slot.lease_left(&origin)
                    .map(|left| (slot.slot.starts_at, left))
            })
            .collect()
    });
    if held.is_empty() {
        return "—".into();
    }
    held.sort();
    held.iter()
        .map(|(starts, left)| format!("{} ×{left}", page.time(*starts, None)))
        .collect::<Vec<_>>()
        .join(", ")
}
