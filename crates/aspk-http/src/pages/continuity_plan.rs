//! `/settings/continuity`: the museum's own steps for each failure of its continuity plan
//! (admins), per venue, in Ukrainian and English, one step a line. A failure left empty
//! shows the steps aspk is seeded with (shown as the placeholder). Saved with the venue
//! (a `venue_saved` op), so every replica of the venue shows the same steps.

use askama::Template;
use aspk_app::{seeded_steps, typed_steps, Action, AppError};
use aspk_domain::{ContinuityPlan, FailureKind};
use aspk_i18n::Lang;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::frame::{error_field, form_field, redirect};
use super::Page;

/// The largest form accepted: eight texts of at most 4,000 characters, percent-encoded.
pub const MAX_FORM: usize = 256 * 1024;

#[derive(Deserialize, Default)]
pub struct PlanQuery {
    venue: Option<String>,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "settings_continuity.html")]
struct PlanView<'a> {
    page: &'a Page,
    title: String,
    /// The venues to choose from (id, name, chosen).
    venues: Vec<(String, String, bool)>,
    /// The venue whose plan this is; none when there is no venue yet.
    venue: Option<String>,
    failures: Vec<FailureFields>,
    saved: Option<String>,
    /// The field a refusal is about, and its message.
    error: Option<(String, String)>,
}

/// One failure's text areas, as stored or as typed.
struct FailureFields {
    kind: &'static str,
    title: String,
    uk: String,
    en: String,
    /// The seeded steps, shown when the museum has written none (uk, en).
    seeded_uk: String,
    seeded_en: String,
}

impl PlanView<'_> {
    fn error_for(&self, kind: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f.strip_prefix("steps_") == Some(kind))
            .map(|(_, m)| m.as_str())
    }

    /// A refusal about none of the text areas.
    fn general_error(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| !f.starts_with("steps_"))
            .map(|(_, m)| m.as_str())
    }
}

pub async fn plan_page(page: Page, Query(q): Query<PlanQuery>) -> Response {
    // Admins write the plan (it is part of the venue, which only admins change).
    if let Err(refused) = page.require(Action::ChangeVenues) {
        return *refused;
    }
    let node = &page.state.node;
    let venue = node.venue_or_first(q.venue.as_deref());
    let plan = match venue.as_deref().map(|v| node.continuity_plan(&page.who, v)) {
        Some(Ok(plan)) => plan,
        Some(Err(e)) => return page.error(e),
        None => ContinuityPlan::default(),
    };
    let failures = FailureKind::ALL
        .iter()
        .map(|kind| {
            let steps = plan.steps(*kind).cloned().unwrap_or_default();
            fields(&page, *kind, steps.uk, steps.en)
        })
        .collect();
    let saved = q.saved.is_some().then(|| page.t("continuity-plan-saved"));
    render(&page, venue, failures, saved, None)
}

pub async fn save_plan(page: Page, Form(form): Form<Vec<(String, String)>>) -> Response {
    if let Err(refused) = page.require(Action::ChangeVenues) {
        return *refused;
    }
    if let Err(refused) = page.check_csrf(&form_field(&form, "csrf")) {
        return *refused;
    }
    let venue = form_field(&form, "venue");
    // Text areas keep their line breaks and inner blanks: read them untrimmed.
    let raw = |name: String| {
        form.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut plan = ContinuityPlan::default();
    let mut typed = Vec::new();
    for kind in FailureKind::ALL {
        let uk = raw(format!("steps_{}_uk", kind.as_str()));
        let en = raw(format!("steps_{}_en", kind.as_str()));
        plan.set_steps(kind, typed_steps(&uk, &en));
        typed.push(fields(&page, kind, uk, en));
    }
    match page
        .state
        .node
        .save_continuity_plan(&page.who, &venue, plan)
        .await
    {
        Ok(()) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("venue", &venue).append_pair("saved", "1");
            redirect(&format!("/settings/continuity?{}", query.finish()))
        }
        Err(e @ (AppError::Invalid(_) | AppError::UnknownReference { .. })) => {
            let field = error_field(&e).unwrap_or_default().to_owned();
            let error = Some((field, page.error_text(&e)));
            render(&page, Some(venue), typed, None, error)
        }
        Err(e) => page.error(e),
    }
}

fn fields(page: &Page, kind: FailureKind, uk: String, en: String) -> FailureFields {
    let seeded = |lang| seeded_steps(kind, lang).join("\n");
    FailureFields {
        kind: kind.as_str(),
        title: page.t(&format!("runbook-title-{}", kind.as_str())),
        uk,
        en,
        seeded_uk: seeded(Lang::Uk),
        seeded_en: seeded(Lang::En),
    }
}

fn render(
    page: &Page,
    venue: Option<String>,
    failures: Vec<FailureFields>,
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
            let id = v.id.as_str().to_owned();
            let chosen = venue.as_deref() == Some(id.as_str());
            (id, v.name.get(lang).to_owned(), chosen)
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = PlanView {
        page,
        title: page.t("continuity-plan-title"),
        venues,
        venue,
        failures,
        saved,
        error,
    };
    page.render_with(status, &view)
}
