//! `/findings` (managers): what the log found to look into (a ticket admitted twice, a
//! paper number entered twice, a photo that could not be read, …), open ones first,
//! filtered by kind and status; each open one is resolved with what was done and why.
//! `/findings.csv` is the same list as a file.

use askama::Template;
use aspk_app::{Action, AppError};
use aspk_domain::{FindingKind, Venue};
use aspk_oplog::Finding;
use aspk_ticket::HumanNumber;
use axum::extract::{Path, Query};
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::frame::{form_field, redirect};
use super::reports::{attachment, text_cell};
use super::Page;

/// What a manager did about a finding.
const ACTIONS: &[&str] = &["accept", "refund", "charge", "write_off"];

#[derive(Deserialize, Default)]
pub struct FindingsQuery {
    kind: Option<String>,
    /// `open`, `resolved` or `all` (default: all).
    status: Option<String>,
    resolved: Option<String>,
}

/// One finding, for the page (and a drill's review).
pub struct Row {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) ticket: Option<String>,
    /// The facts in words: (what, value).
    pub(super) facts: Vec<(String, String)>,
    /// The note and who wrote it, once resolved.
    pub(super) resolution: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsView<'a> {
    page: &'a Page,
    title: String,
    /// (value, words, chosen).
    kinds: Vec<(String, String, bool)>,
    statuses: Vec<(String, String, bool)>,
    actions: Vec<(String, String)>,
    rows: Vec<Row>,
    notice: Option<String>,
    query: String,
}

/// The findings asked for, open first, then by id.
fn chosen(page: &Page, q: &FindingsQuery) -> Result<Vec<Finding>, AppError> {
    let open = match q.status.as_deref() {
        Some("open") => Some(true),
        Some("resolved") => Some(false),
        _ => None,
    };
    let kind = q.kind.as_deref().filter(|k| !k.is_empty());
    let mut all: Vec<Finding> = page
        .state
        .node
        .findings(&page.who, open)?
        .into_iter()
        .filter(|f| kind.is_none_or(|k| f.kind.as_str() == k))
        .collect();
    all.sort_by(|a, b| (!a.is_open(), &a.id).cmp(&(!b.is_open(), &b.id)));
    Ok(all)
}

pub async fn page(page: Page, Query(q): Query<FindingsQuery>) -> Response {
    if let Err(refused) = page.require_section("/findings") {
        return *refused;
    }
    let findings = match chosen(&page, &q) {
        Ok(f) => f,
        Err(e) => return page.error(e),
    };
    let venue = first_venue(&page);
    let rows = findings
        .iter()
        .map(|f| finding_row(&page, f, venue.as_ref()))
        .collect();
    let kind = q.kind.clone().unwrap_or_default();
    let kinds = FindingKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_owned(),
                kind_label(&page, *k),
                kind == k.as_str(),
            )
        })
        .collect();
    let status = q.status.clone().unwrap_or_else(|| "all".into());
    let statuses = ["all", "open", "resolved"]
        .iter()
        .map(|s| {
            let label = page.t(&format!("findings-status-{s}"));
            (s.to_string(), label, status == *s)
        })
        .collect();
    let actions = ACTIONS
        .iter()
        .map(|a| (a.to_string(), page.t(&format!("finding-action-{a}"))))
        .collect();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("kind", &kind)
        .append_pair("status", &status);
    let view = FindingsView {
        page: &page,
        title: page.t("findings-title"),
        kinds,
        statuses,
        actions,
        rows,
        notice: q.resolved.is_some().then(|| page.t("findings-resolved")),
        query: query.finish(),
    };
    page.render(&view)
}

fn first_venue(page: &Page) -> Option<Venue> {
    let node = &page.state.node;
    node.venue_or_first(None).and_then(|id| node.venue(&id))
}

fn kind_label(page: &Page, kind: FindingKind) -> String {
    page.t(&format!("finding-kind-{}", kind.as_str()))
}

pub(super) fn finding_row(page: &Page, f: &Finding, venue: Option<&Venue>) -> Row {
    let mut facts = Vec::new();
    if let Some(slot) = &f.slot {
        facts.push((page.t("finding-fact-slot"), slot.clone()));
    }
    if let Value::Object(map) = &f.facts {
        for (key, value) in map {
            facts.push((fact_label(page, key), fact_value(page, key, value, venue)));
        }
    }
    Row {
        id: f.id.clone(),
        kind: kind_label(page, f.kind),
        ticket: f.ticket.map(|t| HumanNumber::from_serial(t).to_string()),
        facts,
        resolution: f
            .resolution
            .as_ref()
            .map(|r| (note_label(page, &r.note), page.actor_label(&r.by))),
    }
}

/// A resolution note with its action in words: "refund: …" → "Повернути гроші: …".
fn note_label(page: &Page, note: &str) -> String {
    match note.split_once(": ") {
        Some((action, reason)) if ACTIONS.contains(&action) => {
            format!("{}: {reason}", page.t(&format!("finding-action-{action}")))
        }
        _ => note.to_owned(),
    }
}

/// A fact's name in words (`finding-fact-<name>`), else the name itself.
fn fact_label(page: &Page, key: &str) -> String {
    let msg = format!("finding-fact-{}", key.replace('_', "-"));
    if aspk_i18n::has_message(page.lang, &msg) {
        page.t(&msg)
    } else {
        key.replace('_', " ")
    }
}

/// A fact's value in words: times in the venue's zone, people and nodes by name, lists and
/// records spelled out.
fn fact_value(page: &Page, key: &str, value: &Value, venue: Option<&Venue>) -> String {
    match value {
        Value::Null => "—".into(),
        Value::Bool(b) => page.t(if *b { "findings-yes" } else { "findings-no" }),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if let Ok(at) = s.parse::<DateTime<Utc>>() {
                page.time(at, venue)
            } else if matches!(key, "by" | "actor" | "issued_by" | "refused_by") {
                page.actor_label(s)
            } else if key == "problem" || key == "reason" {
                let msg = format!("paper-photo-{}", s.replace('_', "-"));
                if aspk_i18n::has_message(page.lang, &msg) {
                    page.t(&msg)
                } else {
                    s.clone()
                }
            } else {
                s.clone()
            }
        }
        Value::Array(items) => items
            .iter()
            .map(|v| fact_value(page, key, v, venue))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", fact_label(page, k), fact_value(page, k, v, venue)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `POST /findings/{id}/resolve`: `action` and `reason` become the note "action: reason".
pub async fn resolve(
    page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = page.check_post(&form_field(&fields, "csrf"), "/findings") {
        return *refused;
    }
    if let Err(e) = page.who.require_to(Action::ResolveFindings) {
        return page.error(e);
    }
    let action = form_field(&fields, "action");
    let reason = form_field(&fields, "reason");
    if !ACTIONS.contains(&action.as_str()) {
        return page.error(AppError::invalid("action", "choose what was done"));
    }
    if reason.is_empty() {
        return page.error(AppError::invalid("note", "say why"));
    }
    let note = format!("{action}: {reason}");
    match page.state.node.resolve_finding(&page.who, &id, &note).await {
        Ok(()) => {
            let back = form_field(&fields, "back");
            let back = if back.is_empty() { "all" } else { &back };
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("status", back).append_pair("resolved", "1");
            redirect(&format!("/findings?{}", q.finish()))
        }
        Err(e) => page.error(e),
    }
}

/// `GET /findings.csv`: id, kind, ticket, status, facts (JSON), resolution, by.
pub async fn csv(page: Page, Query(q): Query<FindingsQuery>) -> Response {
    if let Err(refused) = page.require_section("/findings") {
        return *refused;
    }
    let findings = match chosen(&page, &q) {
        Ok(f) => f,
        Err(e) => return page.error(e),
    };
    match csv_bytes(&findings) {
        Ok(bytes) => attachment("text/csv; charset=utf-8", "findings.csv", bytes),
        Err(e) => page.error(AppError::Internal(anyhow::anyhow!("writing CSV: {e}"))),
    }
}

/// A text cell a spreadsheet will not run as a formula.
fn cell(text: &str) -> String {
    text_cell(text).into_owned()
}

fn csv_bytes(findings: &[Finding]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record([
        "id",
        "kind",
        "ticket",
        "status",
        "facts",
        "resolution",
        "by",
    ])?;
    for f in findings {
        let (note, by) = f
            .resolution
            .as_ref()
            .map(|r| (r.note.as_str(), r.by.as_str()))
            .unwrap_or_default();
        out.write_record([
            cell(&f.id),
            f.kind.as_str().to_owned(),
            f.ticket
                .map(|t| HumanNumber::from_serial(t).to_string())
                .unwrap_or_default(),
            if f.is_open() { "open" } else { "resolved" }.to_owned(),
            cell(&f.facts.to_string()),
            cell(note),
            cell(by),
        ])?;
    }
    let rows = out.into_inner().map_err(|e| e.into_error())?;
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(rows);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_kind_and_action_has_words_in_both_languages() {
        let kinds = FindingKind::ALL
            .iter()
            .map(|k| format!("finding-kind-{}", k.as_str()));
        let actions = ACTIONS.iter().map(|a| format!("finding-action-{a}"));
        let statuses = ["all", "open", "resolved"]
            .iter()
            .map(|s| format!("findings-status-{s}"));
        for key in kinds.chain(actions).chain(statuses) {
            for lang in aspk_i18n::Lang::ALL {
                assert!(aspk_i18n::has_message(lang, &key), "{lang:?} lacks {key}");
            }
        }
    }

    #[test]
    fn the_csv_keeps_facts_as_json_and_defuses_formulas() {
        let finding = Finding {
            id: "=f1".into(),
            kind: FindingKind::UnreadablePhoto,
            ticket: None,
            slot: None,
            facts: serde_json::json!({ "item": "IMG_1.jpg" }),
            resolution: Some(aspk_oplog::Resolution {
                note: "accept: blurred".into(),
                by: "user:maria".into(),
                at: None,
            }),
        };
        let bytes = csv_bytes(&[finding]).expect("written");
        let text = String::from_utf8(bytes).expect("utf-8");
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "id,kind,ticket,status,facts,resolution,by");
        assert_eq!(
            lines[1],
            "'=f1,unreadable_photo,,resolved,\"{\"\"item\"\":\"\"IMG_1.jpg\"\"}\",accept: blurred,user:maria"
        );
    }
}
