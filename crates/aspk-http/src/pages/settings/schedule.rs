//! The schedule: a week view of a venue's slots, where an admin changes a slot's capacity,
//! closes or reopens it, deletes an unsold one (after confirming), and creates slots from a
//! weekly pattern (overlaps with existing slots are listed and nothing is created).

use askama::Template;
use aspk_app::{AppError, WeeklyPattern};
use aspk_domain::Venue;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;

use super::{
    field_of, is_about_input, refused_status, saved_url, venue_choices, Choice, Echo, SavedQuery,
    WEEKDAYS,
};
use crate::pages::frame::{form_field, redirect};
use crate::pages::Page;

#[derive(Template)]
#[template(path = "settings_schedule.html")]
struct ScheduleView<'a> {
    page: &'a Page,
    title: String,
    saved: Option<String>,
    echo: Echo,
    venue: String,
    venue_options: Vec<Choice>,
    /// The Monday shown (`YYYY-MM-DD`), and the weeks before and after.
    week: String,
    prev_week: String,
    next_week: String,
    /// "03.03.2031 – 09.03.2031".
    week_label: String,
    days: Vec<DayRow>,
    /// The pattern's slots that overlap existing ones, in words (nothing was created).
    overlaps: Vec<String>,
    weekdays: Vec<Choice>,
}

struct DayRow {
    /// "Пн 03.03".
    label: String,
    slots: Vec<SlotRow>,
}

struct SlotRow {
    form: String,
    id: String,
    /// "10:00–11:00".
    time: String,
    capacity: String,
    sold: u32,
    left: u32,
    entered: u32,
    closed: bool,
    /// Sold ever: deleting it is refused (the button stays, the fold would refuse too).
    has_sales: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct WeekQuery {
    #[serde(default)]
    venue: Option<String>,
    #[serde(default)]
    week: Option<String>,
    #[serde(flatten)]
    saved: SavedQuery,
}

/// Where the week view stands: the venue and the Monday.
struct WeekAt {
    venue: Venue,
    monday: NaiveDate,
}

impl WeekAt {
    fn find(page: &Page, venue: Option<&str>, week: Option<&str>) -> Option<Self> {
        let node = &page.state.node;
        let venue = node.venue(&node.venue_or_first(venue)?)?;
        let date = week
            .and_then(|w| w.parse::<NaiveDate>().ok())
            .unwrap_or_else(|| node.today_at(venue.id.as_str()));
        Some(Self {
            monday: week_start(date),
            venue,
        })
    }

    fn url(&self, monday: NaiveDate) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("venue", self.venue.id.as_str());
        query.append_pair("week", &monday.to_string());
        format!("/settings/schedule?{}", query.finish())
    }

    /// A slot's start and end in the venue's time: "10:00–11:00".
    fn hours(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
        let tz = self.venue.tz();
        format!(
            "{}–{}",
            from.with_timezone(&tz).format("%H:%M"),
            to.with_timezone(&tz).format("%H:%M")
        )
    }

    fn date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.venue.tz()).date_naive()
    }
}

pub async fn schedule_page(page: Page, Query(q): Query<WeekQuery>) -> Response {
    if let Err(refused) = page.require_section("/settings") {
        return *refused;
    }
    let Some(at) = WeekAt::find(&page, q.venue.as_deref(), q.week.as_deref()) else {
        return page.error(AppError::NotFound {
            what: "venue",
            id: q.venue.unwrap_or_default(),
        });
    };
    let saved = q.saved.status(&page, |name| slot_label(&page, &at, name));
    render_schedule(
        &page,
        &at,
        saved,
        Echo::default(),
        Vec::new(),
        StatusCode::OK,
    )
}

/// Slot `id` as people read it ("03.03 10:00–11:00"), or the id when it is gone.
fn slot_label(page: &Page, at: &WeekAt, id: &str) -> String {
    let week = page
        .state
        .node
        .week_slots(&page.who, at.venue.id.as_str(), at.monday);
    week.ok()
        .and_then(|slots| slots.into_iter().find(|s| s.slot.slot.id == id))
        .map(|s| {
            let slot = &s.slot.slot;
            let day = at.date(slot.starts_at).format("%d.%m");
            format!("{day} {}", at.hours(slot.starts_at, slot.ends_at))
        })
        .unwrap_or_else(|| id.to_owned())
}

fn render_schedule(
    page: &Page,
    at: &WeekAt,
    saved: Option<String>,
    echo: Echo,
    overlaps: Vec<String>,
    status: StatusCode,
) -> Response {
    let slots = match page
        .state
        .node
        .week_slots(&page.who, at.venue.id.as_str(), at.monday)
    {
        Ok(slots) => slots,
        Err(e) => return page.error(e),
    };
    let days = (0..7)
        .map(|n| {
            let day = at.monday + Duration::days(n);
            let weekday = WEEKDAYS[day.weekday().num_days_from_monday() as usize].1;
            let rows = slots
                .iter()
                .filter(|s| at.date(s.slot.slot.starts_at) == day)
                .map(|s| {
                    let form = format!("slot:{}", s.slot.slot.id);
                    let capacity = s.slot.slot.capacity.to_string();
                    SlotRow {
                        capacity: echo.value(&form, "capacity", &capacity),
                        form,
                        id: s.slot.slot.id.clone(),
                        time: at.hours(s.slot.slot.starts_at, s.slot.slot.ends_at),
                        sold: s.slot.sold,
                        left: s.slot.slot.capacity.saturating_sub(s.slot.sold),
                        entered: s.entered,
                        closed: s.slot.is_closed,
                        has_sales: s.has_sales,
                    }
                })
                .collect();
            DayRow {
                label: format!(
                    "{} {}",
                    page.t(&format!("weekday-{weekday}")),
                    day.format("%d.%m")
                ),
                slots: rows,
            }
        })
        .collect();
    let venues = page.state.node.venues();
    let sunday = at.monday + Duration::days(6);
    let view = ScheduleView {
        page,
        title: page.t("settings-schedule"),
        saved,
        venue: at.venue.id.as_str().to_owned(),
        venue_options: venue_choices(page, &venues),
        week: at.monday.to_string(),
        prev_week: at.url(at.monday - Duration::days(7)),
        next_week: at.url(at.monday + Duration::days(7)),
        week_label: format!(
            "{} – {}",
            at.monday.format("%d.%m.%Y"),
            sunday.format("%d.%m.%Y")
        ),
        days,
        overlaps,
        weekdays: WEEKDAYS
            .iter()
            .map(|(_, d)| Choice {
                value: (*d).to_owned(),
                label: page.t(&format!("weekday-{d}")),
            })
            .collect(),
        echo,
    };
    page.render_with(status, &view)
}

/// Creates the slots of a weekly pattern; shows the overlaps (and creates nothing) when any
/// would overlap an existing slot.
pub async fn schedule(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
        return *refused;
    }
    let venue = field("venue");
    let Some(at) = WeekAt::find(&page, Some(&venue), Some(&field("from"))) else {
        return page.error(AppError::NotFound {
            what: "venue",
            id: venue,
        });
    };
    let outcome = match pattern_from(&fields, &field) {
        Ok(pattern) => {
            let venue = at.venue.id.as_str();
            page.state
                .node
                .apply_schedule(&page.who, venue, pattern)
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(done) if done.overlaps.is_empty() || field("skip") == "1" => {
            let count = done.created.to_string();
            let back = [("venue", venue.as_str()), ("week", &at.monday.to_string())];
            redirect(&saved_url("/settings/schedule", "pattern", &count, &back))
        }
        Ok(done) => {
            let lines = done
                .overlaps
                .iter()
                .map(|o| {
                    let planned = (o.starts_at, o.ends_at, o.capacity);
                    overlap_line(&page, &at, planned, &o.existing)
                })
                .collect();
            let message = page.t_args(
                "settings-overlaps",
                &[(
                    "count",
                    u32::try_from(done.overlaps.len())
                        .unwrap_or(u32::MAX)
                        .into(),
                )],
            );
            let echo = Echo::new("pattern", "", message, &fields);
            render_schedule(&page, &at, None, echo, lines, StatusCode::CONFLICT)
        }
        Err(e) if !is_about_input(&e) => page.error(e),
        Err(e) => {
            let echo = Echo::new("pattern", pattern_field(&e), page.error_text(&e), &fields);
            render_schedule(&page, &at, None, echo, Vec::new(), refused_status(&e))
        }
    }
}

/// The pattern form's field an error is about (the use case says `starts` for `times`).
fn pattern_field(err: &AppError) -> &'static str {
    match field_of(err) {
        "starts" => "times",
        "weekdays" => "day",
        other => other,
    }
}

/// One overlap in words: "03.03.2031 12:30–13:30 (30) — є сеанс 12:00–13:00 (50)".
fn overlap_line(
    page: &Page,
    at: &WeekAt,
    (starts_at, ends_at, capacity): (DateTime<Utc>, DateTime<Utc>, u32),
    existing: &aspk_domain::Slot,
) -> String {
    let date = at.date(starts_at).format("%d.%m.%Y").to_string();
    page.t_args(
        "settings-overlap",
        &[
            ("date", date.into()),
            ("time", at.hours(starts_at, ends_at).into()),
            ("capacity", capacity.into()),
            (
                "existing",
                at.hours(existing.starts_at, existing.ends_at).into(),
            ),
            ("existing_capacity", existing.capacity.into()),
        ],
    )
}

/// The Monday of the week `date` falls in.
fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

fn pattern_from(
    fields: &[(String, String)],
    field: &dyn Fn(&str) -> String,
) -> Result<WeeklyPattern, AppError> {
    let date = |name: &'static str| {
        field(name)
            .parse::<NaiveDate>()
            .map_err(|_| AppError::invalid(name, "must be a date YYYY-MM-DD"))
    };
    let weekdays = fields
        .iter()
        .filter(|(k, _)| k == "day")
        .filter_map(|(_, v)| WEEKDAYS.iter().find(|(_, d)| d == v).map(|(w, _)| *w))
        .collect();
    let starts = field("times")
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(|t| {
            NaiveTime::parse_from_str(t, "%H:%M")
                .map_err(|_| AppError::invalid("times", "times look like 10:00 12:30"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let closed_days = field("closed")
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<NaiveDate>()
                .map_err(|_| AppError::invalid("closed", "closed days look like 2026-12-31"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let number = |name: &'static str| {
        field(name)
            .trim()
            .parse::<u32>()
            .map_err(|_| AppError::invalid(name, "must be a whole number"))
    };
    Ok(WeeklyPattern {
        from: date("from")?,
        to: date("to")?,
        weekdays,
        starts,
        minutes: number("minutes")?,
        capacity: number("capacity")?,
        closed_days,
        skip_overlaps: field("skip") == "1",
    })
}

/// "Delete the slot of 05.12 10:00–11:00?": Enter deletes, Esc goes back to the week.
fn ask_to_delete(page: &Page, at: &WeekAt, id: &str) -> Response {
    let week = at.monday.to_string();
    let back = format!(
        "/settings/schedule?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("venue", at.venue.id.as_str())
            .append_pair("week", &week)
            .finish()
    );
    let when = page
        .state
        .node
        .slot(id)
        .map(|s| {
            let tz = at.venue.tz();
            format!(
                "{}–{}",
                s.slot.starts_at.with_timezone(&tz).format("%d.%m.%Y %H:%M"),
                s.slot.ends_at.with_timezone(&tz).format("%H:%M")
            )
        })
        .unwrap_or_else(|| id.to_owned());
    crate::pages::confirm::ask(
        page,
        crate::pages::confirm::Question {
            question: page.t_args("confirm-delete-slot", &[("slot", when.into())]),
            facts: vec![page.t("confirm-delete-slot-fact")],
            action: format!("/settings/slots/{id}"),
            fields: vec![
                ("venue".to_owned(), at.venue.id.as_str().to_owned()),
                ("week".to_owned(), week),
                ("action".to_owned(), "delete".to_owned()),
            ],
            yes: page.t("confirm-delete-slot-yes"),
            back,
        },
    )
}

/// One slot of the week view: change its capacity, close or reopen it, or delete it
/// (`action`: `capacity`, `close`, `reopen`, `delete`).
pub async fn change_slot(
    page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
        return *refused;
    }
    let Some(at) = WeekAt::find(&page, Some(&field("venue")), Some(&field("week"))) else {
        return page.error(AppError::NotFound {
            what: "venue",
            id: field("venue"),
        });
    };
    let node = &page.state.node;
    let action = field("action");
    // A slot with tickets is refused at once (below); an unsold one is asked about first.
    let is_sold = node.slot(&id).is_some_and(|s| s.sold > 0);
    if action == "delete"
        && !is_sold
        && !crate::pages::confirm::is_confirmed(Some(&field("confirmed")))
    {
        return ask_to_delete(&page, &at, &id);
    }
    let done = match action.as_str() {
        "close" => node
            .change_slot(&page.who, &id, None, Some(true))
            .await
            .map(|_| "closed"),
        "reopen" => node
            .change_slot(&page.who, &id, None, Some(false))
            .await
            .map(|_| "reopened"),
        "delete" => node.delete_slot(&page.who, &id).await.map(|()| "deleted"),
        _ => match field("capacity").trim().parse::<u32>() {
            Ok(capacity) => node
                .change_slot(&page.who, &id, Some(capacity), None)
                .await
                .map(|_| "slot"),
            Err(_) => Err(AppError::invalid("capacity", "must be a whole number")),
        },
    };
    match done {
        Ok(kind) => {
            let back = [
                ("venue", at.venue.id.as_str()),
                ("week", &at.monday.to_string()),
            ];
            redirect(&saved_url("/settings/schedule", kind, &id, &back))
        }
        Err(e) if !is_about_input(&e) => page.error(e),
        Err(e) => {
            let message = page.error_text(&e);
            let echo = Echo::new(format!("slot:{id}"), field_of(&e), message, &fields);
            render_schedule(&page, &at, None, echo, Vec::new(), refused_status(&e))
        }
    }
}
