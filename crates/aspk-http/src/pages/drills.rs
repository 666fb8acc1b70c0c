//! `/drills` (managers): rehearse an outage. Start a drill at a venue; while it runs every
//! staff page says so, and what is sold, entered and imported there is the drill's. The
//! review (`/drills/{id}`) shows what was done and what the drill brought to light; the
//! drill is then ended, which takes back everything done in it (the review stays).

use askama::Template;
use aspk_app::DrillReview;
use aspk_domain::Venue;
use aspk_oplog::Drill;
use axum::extract::Path;
use axum::response::Response;
use axum::Form;

use super::confirm::{self, Question};
use super::findings::{finding_row, Row as FindingRow};
use super::frame::{form_field, redirect};
use super::Page;
use crate::routes::drills::{drill_status, DrillStatus};

const SECTION: &str = "/drills";

/// One drill of the list.
pub struct DrillRow {
    id: String,
    name: String,
    venue: String,
    status: String,
    started: String,
}

#[derive(Template)]
#[template(path = "drills.html")]
struct DrillsView<'a> {
    page: &'a Page,
    title: String,
    /// (value, words).
    venues: Vec<(String, String)>,
    default_name: String,
    rows: Vec<DrillRow>,
}

#[derive(Template)]
#[template(path = "drill_review.html")]
struct ReviewView<'a> {
    page: &'a Page,
    title: String,
    id: String,
    status: String,
    running: bool,
    /// (what, value) lines of the review.
    facts: Vec<(String, String)>,
    /// (method in words, amount).
    takings: Vec<(String, String)>,
    findings: Vec<FindingRow>,
}

fn venue_of(page: &Page, id: &str) -> Option<Venue> {
    page.state.node.venue(id)
}

fn status_label(page: &Page, drill: &Drill) -> String {
    let key = match drill_status(drill) {
        DrillStatus::Running => "drill-status-running",
        DrillStatus::Ended => "drill-status-ended",
        DrillStatus::Undone => "drill-status-undone",
    };
    page.t(key)
}

pub async fn list(page: Page) -> Response {
    if let Err(refused) = page.require_section(SECTION) {
        return *refused;
    }
    let drills = match page.state.node.drills(&page.who, None) {
        Ok(d) => d,
        Err(e) => return page.error(e),
    };
    let lang = page.lang.code();
    let venues: Vec<Venue> = page.state.node.venues();
    let rows = drills
        .iter()
        .map(|d| {
            let venue = venues.iter().find(|v| v.id == d.venue);
            DrillRow {
                id: d.id.clone(),
                name: d.name.clone(),
                venue: venue.map_or_else(|| d.venue.to_string(), |v| v.name.get(lang).to_owned()),
                status: status_label(&page, d),
                started: page.time(d.started_at, venue),
            }
        })
        .collect();
    let today = page.time(page.state.node.now(), venues.first());
    let view = DrillsView {
        page: &page,
        title: page.t("drills-title"),
        venues: venues
            .iter()
            .map(|v| (v.id.as_str().to_owned(), v.name.get(lang).to_owned()))
            .collect(),
        default_name: format!("{} {}", page.t("drill-default-name"), &today[..10]),
        rows,
    };
    page.render(&view)
}

/// `POST /drills`: starts one, then shows it.
pub async fn start(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    if let Err(refused) = page.check_post(&form_field(&fields, "csrf"), SECTION) {
        return *refused;
    }
    let venue = form_field(&fields, "venue");
    let name = form_field(&fields, "name");
    match page.state.node.start_drill(&page.who, &venue, &name).await {
        Ok(drill) => redirect(&format!("/drills/{}", drill.id)),
        Err(e) => page.error(e),
    }
}

pub async fn review(page: Page, Path(id): Path<String>) -> Response {
    if let Err(refused) = page.require_section(SECTION) {
        return *refused;
    }
    let r = match page.state.node.drill_review(&page.who, &id) {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let venue = venue_of(&page, r.drill.venue.as_str());
    let view = ReviewView {
        page: &page,
        title: format!("{}: {}", page.t("drill-title"), r.drill.name),
        id: r.drill.id.clone(),
        status: status_label(&page, &r.drill),
        running: r.drill.is_running(),
        facts: facts(&page, &r, venue.as_ref()),
        takings: r
            .takings
            .iter()
            .map(|(method, minor)| {
                let amount = r
                    .currency
                    .map_or_else(|| minor.to_string(), |c| page.money(*minor, c));
                (page.t(&format!("payment-{method}")), amount)
            })
            .collect(),
        findings: r
            .findings
            .iter()
            .map(|f| finding_row(&page, f, venue.as_ref()))
            .collect(),
    };
    page.render(&view)
}

/// The review's lines: who started and ended it and when, and what was done in it.
fn facts(page: &Page, r: &DrillReview, venue: Option<&Venue>) -> Vec<(String, String)> {
    let d = &r.drill;
    let mut out = vec![(
        page.t("drill-started"),
        format!(
            "{} — {}",
            page.time(d.started_at, venue),
            page.actor_label(&d.started_by)
        ),
    )];
    if let (Some(at), Some(by)) = (d.ended_at, &d.ended_by) {
        out.push((
            page.t("drill-ended"),
            format!("{} — {}", page.time(at, venue), page.actor_label(by)),
        ));
    }
    if let (Some(at), Some(by)) = (d.undone_at, &d.undone_by) {
        out.push((
            page.t("drill-undone"),
            format!("{} — {}", page.time(at, venue), page.actor_label(by)),
        ));
    }
    out.push((page.t("drill-orders"), r.orders.to_string()));
    out.push((page.t("drill-paper-orders"), r.paper_orders.to_string()));
    out.push((page.t("drill-tickets"), r.tickets.to_string()));
    out.push((page.t("drill-admitted"), r.admitted.to_string()));
    if !r.batches.is_empty() {
        let ranges: Vec<&str> = r.batches.iter().map(|(_, label)| label.as_str()).collect();
        out.push((page.t("drill-stock"), ranges.join(", ")));
    }
    if let (Some(first), Some(last)) = (r.first_sale, r.last_sale) {
        out.push((
            page.t("drill-sales-between"),
            format!("{} – {}", page.time(first, venue), page.time(last, venue)),
        ));
    }
    out
}

/// `POST /drills/{id}/end`: asks first, then ends the drill and takes it all back.
pub async fn end(
    page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = page.check_post(&form_field(&fields, "csrf"), SECTION) {
        return *refused;
    }
    if !confirm::is_confirmed(Some(form_field(&fields, "confirmed").as_str())) {
        return ask_undo(&page, &id);
    }
    match page.state.node.end_drill(&page.who, &id).await {
        Ok(_) => redirect(&format!("/drills/{id}")),
        Err(e) => page.error(e),
    }
}

/// Undoing cannot be taken back: say what it does, with the drill's figures, and ask.
fn ask_undo(page: &Page, id: &str) -> Response {
    let r = match page.state.node.drill_review(&page.who, id) {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let count = aspk_i18n::Arg::from;
    confirm::ask(
        page,
        Question {
            question: page.t_args(
                "drill-undo-question",
                &[("name", r.drill.name.clone().into())],
            ),
            facts: vec![
                page.t_args(
                    "drill-undo-orders",
                    &[("count", count(r.orders)), ("tickets", count(r.tickets))],
                ),
                page.t_args(
                    "drill-undo-stock",
                    &[("count", count(r.batches.len() as u32))],
                ),
                page.t("drill-undo-explain"),
            ],
            action: format!("/drills/{id}/end"),
            fields: Vec::new(),
            yes: page.t("drill-undo"),
            back: format!("/drills/{id}"),
        },
    )
}
