//! The continuity console for staff: what fails now and the steps of the museum's
//! continuity plan for it, every part of the installation (this node, its upstream and UPS,
//! the site nodes, gates and phones of its venues), and the node's own health: role, sync,
//! ops waiting to go up, leases and findings.

use askama::Template;
use aspk_app::{Continuity, Failure, Part, PartKind, PartState};
use aspk_domain::Venue;
use axum::response::Response;

use super::Page;

#[derive(Template)]
#[template(path = "status.html")]
struct StatusView<'a> {
    page: &'a Page,
    title: String,
    failures: Vec<FailureView>,
    parts: Vec<PartView>,
    /// (message key of the label, value).
    rows: Vec<(&'static str, String)>,
    /// Admins may edit the plan's steps.
    can_edit_plan: bool,
    /// Open findings, linked to the reconciliation screen for those who may see it.
    findings_open: usize,
    can_see_findings: bool,
}

/// A failure happening now, with what to do.
struct FailureView {
    kind: &'static str,
    title: String,
    /// "since 14:02", "Gate 2, Phone 1", when known.
    facts: Vec<String>,
    steps: Vec<String>,
    is_museums_own: bool,
}

/// One row of the parts table.
struct PartView {
    kind: String,
    name: String,
    /// The CSS class of its state (`online`, `offline`, …).
    state_class: &'static str,
    state: String,
    last_contact: String,
    detail: String,
}

pub async fn page(page: Page) -> Response {
    if let Err(refused) = page.require_section("/status") {
        return *refused;
    }
    let node = &page.state.node;
    let link = page.state.upstream.as_ref().map(|u| u.get());
    let picture = match node.continuity(&page.who, link.as_ref()).await {
        Ok(picture) => picture,
        Err(e) => return page.error(e),
    };
    let venue = picture.scope.as_deref().and_then(|v| node.venue(v));
    let failures = picture
        .failures
        .iter()
        .map(|f| failure_view(&page, f, venue.as_ref()))
        .collect();
    let parts = picture
        .parts
        .iter()
        .map(|p| part_view(&page, p, venue.as_ref()))
        .collect();
    let rows = rows(&page, &picture, link.as_ref(), venue.as_ref());
    page.render(&StatusView {
        page: &page,
        title: page.t("nav-status"),
        failures,
        parts,
        rows,
        can_edit_plan: page.who.may(aspk_app::Action::ChangeVenues),
        findings_open: picture.health.open_findings,
        can_see_findings: page.who.may(aspk_app::Action::ReadFindings),
    })
}

fn failure_view(page: &Page, failure: &Failure, venue: Option<&Venue>) -> FailureView {
    let runbook = page
        .state
        .node
        .runbook(failure.kind, failure.venue.as_deref(), page.lang);
    let mut facts = Vec::new();
    if let Some(since) = failure.since {
        let time = page.time(since, venue);
        facts.push(page.t_args("continuity-since", &[("time", time.into())]));
    }
    if !failure.parts.is_empty() {
        let parts = failure.parts.join(", ");
        facts.push(page.t_args("continuity-concerns", &[("parts", parts.into())]));
    }
    FailureView {
        kind: failure.kind.as_str(),
        title: runbook.title,
        facts,
        steps: runbook.steps,
        is_museums_own: runbook.is_museums_own,
    }
}

fn part_view(page: &Page, part: &Part, venue: Option<&Venue>) -> PartView {
    let mut kind = page.t(&format!("part-kind-{}", part.kind.as_str()));
    if part.is_this_node {
        kind = page.t_args("part-this-node", &[("kind", kind.into())]);
    }
    let name = match (part.name.is_empty(), &part.venue) {
        (true, _) => "—".to_owned(),
        (false, Some(v)) if page.state.node.scope().is_none() => format!("{} ({v})", part.name),
        (false, _) => part.name.clone(),
    };
    PartView {
        kind,
        name,
        state_class: state_class(part.state),
        state: page.t(&format!("part-state-{}", part.state.as_str())),
        last_contact: part
            .last_contact
            .map(|at| page.time(at, venue))
            .unwrap_or_else(|| "—".into()),
        detail: match (&part.detail, part.kind) {
            // A printer's error in the page's language (it is logged in English).
            (Some(error), PartKind::Printer) => page.print_error_label(error),
            (detail, _) => detail.clone().unwrap_or_default(),
        },
    }
}

fn state_class(state: PartState) -> &'static str {
    match state {
        PartState::Online => "online",
        PartState::NotSeen | PartState::Revoked => "idle",
        PartState::Offline | PartState::OnBattery | PartState::Failing => "offline",
    }
}

/// The node's own figures: role, log, findings, store, link, ops waiting, leases, key.
fn rows(
    page: &Page,
    picture: &Continuity,
    link: Option<&aspk_app::UpstreamView>,
    venue: Option<&Venue>,
) -> Vec<(&'static str, String)> {
    let health = &picture.health;
    let store = page.t(if health.store_stalled {
        "status-store-stalled"
    } else {
        "status-store-ok"
    });
    let mut rows = vec![
        ("status-role", page.role_name(picture.role.as_str())),
        ("status-ops", health.op_count.to_string()),
        ("status-findings", health.open_findings.to_string()),
        ("status-store", store),
    ];
    if let Some(view) = link {
        let reachable = page.t(if view.is_reachable {
            "status-upstream-up"
        } else {
            "status-upstream-down"
        });
        rows.push(("status-upstream", format!("{} ({reachable})", view.url)));
        let pending = picture.pending.unwrap_or_default();
        rows.push(("status-pending", pending.count.to_string()));
        if let Some(oldest) = pending.oldest_at {
            rows.push(("status-oldest-pending", page.time(oldest, venue)));
        }
        let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
            at.map(|at| page.time(at, venue))
                .unwrap_or_else(|| "—".into())
        };
        rows.push(("status-last-push", time(view.last_push)));
        rows.push(("status-last-pull", time(view.last_pull)));
        rows.push(("status-leases", leases(page, &health.leases)));
    }
    if let Some(until) = health.key_valid_until {
        rows.push(("status-key-until", page.time(until, None)));
    }
    let paper = page.state.node.paper_left_per_cashier();
    if !paper.is_empty() {
        let text = paper
            .iter()
            .map(|(cashier, left)| format!("{cashier}: {left}"))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(("status-paper-left", text));
    }
    rows
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

#[cfg(test)]
mod tests {
    use aspk_i18n::{has_message, Lang};

    /// The part kinds and states are shown through keys built at run time.
    #[test]
    fn every_part_kind_and_state_has_words_in_both_languages() {
        let kinds = [
            "cloud",
            "site_node",
            "gate",
            "scanner",
            "box_office",
            "upstream",
            "ups",
        ];
        let states = [
            "online",
            "offline",
            "not_seen",
            "revoked",
            "on_battery",
            "failing",
        ];
        let keys = kinds
            .iter()
            .map(|k| format!("part-kind-{k}"))
            .chain(states.iter().map(|s| format!("part-state-{s}")));
        for key in keys {
            for lang in Lang::ALL {
                assert!(has_message(lang, &key), "{lang:?} lacks {key}");
            }
        }
    }
}
