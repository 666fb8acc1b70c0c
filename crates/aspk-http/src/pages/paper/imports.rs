//! Admissions recorded by hand during an outage (managers): a pasted list or a CSV
//! (`POST /paper/entries`) and photos of visitors' e-tickets (`POST /paper/photos`; the
//! page's script sends them a few at a time and gets JSON back, a form without script
//! sends them all and gets the page). Each request holds at most [`MAX_UPLOAD`] bytes: a
//! bigger one is refused with a message and changes nothing.

use askama::Template;
use aspk_app::{AppError, ImportSource, ImportSummary, PhotoFile, PhotoRead};
use aspk_domain::Venue;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::super::Page;
use super::{chosen_venue, render, sales::SaleForm, Notes};
use crate::pages::multipart::{self, Part};

/// The largest body `/paper/entries` and `/paper/photos` take.
pub const MAX_UPLOAD: usize = 40 * 1024 * 1024;

/// What an import did, for the page: the figures of every part imported, added up.
#[derive(Default)]
pub struct Imported {
    pub imported: u32,
    pub already_used: u32,
    pub unknown: u32,
    pub findings: u32,
    pub skipped: u32,
    pub repeated: bool,
    pub unknown_items: Vec<String>,
    /// Unreadable items: name, why.
    pub unreadable: Vec<(String, String)>,
}

impl Imported {
    fn add(&mut self, s: &ImportSummary) {
        self.imported += s.imported;
        self.already_used += s.already_used;
        self.unknown += s.unknown;
        self.findings += s.findings;
        self.skipped += s.skipped;
        self.repeated |= s.repeated;
        self.unknown_items.extend(s.unknown_items.iter().cloned());
    }

    fn add_photos(&mut self, page: &Page, s: &ImportSummary, reads: &[PhotoRead]) {
        self.add(s);
        for r in reads {
            if let Some(problem) = r.problem {
                let why = page.t(&format!("paper-photo-{}", problem.replace('_', "-")));
                self.unreadable.push((r.name.clone(), why));
            }
        }
    }
}

/// The body of an upload, or the page refusing it (too big, not a form).
async fn read_form(
    page: &Page,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<Part>, Box<Response>> {
    let too_big = || {
        let text = page.t_args(
            "paper-upload-too-big",
            &[("mb", ((MAX_UPLOAD >> 20) as u32).into())],
        );
        Box::new(answer(page, headers, StatusCode::PAYLOAD_TOO_LARGE, text))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD) {
        return Err(too_big());
    }
    let bytes: Bytes = axum::body::to_bytes(body, MAX_UPLOAD)
        .await
        .map_err(|_| too_big())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let parts = multipart::parse(content_type, &bytes).ok_or_else(|| {
        let err = AppError::invalid("form", "not a form upload");
        Box::new(answer(
            page,
            headers,
            StatusCode::BAD_REQUEST,
            page.error_text(&err),
        ))
    })?;
    page.check_csrf(&multipart::text(&parts, "csrf"))?;
    Ok(parts)
}

/// Whether the page's script asked (it wants JSON).
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// A refusal: JSON `{"error": …}` for the script, the error page for a form.
fn answer(page: &Page, headers: &HeaderMap, status: StatusCode, text: String) -> Response {
    if wants_json(headers) {
        return (status, Json(serde_json::json!({ "error": text }))).into_response();
    }
    let view = Refused {
        page,
        title: page.t("error-title"),
        message: text,
        back: true,
    };
    page.render_with(status, &view)
}

#[derive(Template)]
#[template(path = "error.html")]
struct Refused<'a> {
    page: &'a Page,
    title: String,
    message: String,
    back: bool,
}

/// The page with what was imported, or with the refusal.
fn show(page: &Page, venue: &Venue, imported: Result<Imported, AppError>) -> Response {
    let mut notes = Notes::default();
    let status = match imported {
        Ok(done) => {
            notes.imported = Some(done);
            StatusCode::OK
        }
        Err(e @ (AppError::Forbidden(_) | AppError::Unauthenticated)) => return page.error(e),
        Err(e) => {
            notes.stock_note = Some((page.error_text(&e), true));
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let form = SaleForm {
        payment: "cash".into(),
        ..SaleForm::default()
    };
    render(page, venue, None, form, notes, status)
}

fn import_allowed(page: &Page) -> Result<(), Box<Response>> {
    page.require_section("/paper")?;
    page.require(aspk_app::Action::ImportEntries)
}

/// `POST /paper/entries`: a pasted list (`lines`) and/or a CSV file (`csv`).
pub async fn entries(page: Page, headers: HeaderMap, body: Body) -> Response {
    if let Err(refused) = import_allowed(&page) {
        return *refused;
    }
    let parts = match read_form(&page, &headers, body).await {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let Some(venue) = chosen_venue(&page, Some(&multipart::text(&parts, "venue"))) else {
        return page.error(AppError::NotFound {
            what: "venue",
            id: multipart::text(&parts, "venue"),
        });
    };
    let lines = multipart::text(&parts, "lines");
    let mut sources: Vec<(ImportSource, Vec<u8>)> = Vec::new();
    if !lines.is_empty() {
        sources.push((ImportSource::List, lines.into_bytes()));
    }
    for file in multipart::files(&parts, "csv") {
        sources.push((ImportSource::Csv, file.data.clone()));
    }
    let imported = import_texts(&page, &venue, sources).await;
    show(&page, &venue, imported)
}

async fn import_texts(
    page: &Page,
    venue: &Venue,
    sources: Vec<(ImportSource, Vec<u8>)>,
) -> Result<Imported, AppError> {
    if sources.is_empty() {
        return Err(AppError::invalid("lines", "paste a list or choose a file"));
    }
    let node = &page.state.node;
    let today = node.today_at(venue.id.as_str());
    let mut done = Imported::default();
    for (source, content) in sources {
        let text = String::from_utf8_lossy(&content);
        let lines = aspk_app::parse_lines(&text, venue, today)?;
        let summary = node
            .import_entries(
                &page.who,
                Some(venue.id.as_str()),
                source,
                &content,
                lines,
                vec![],
            )
            .await?;
        done.add(&summary);
    }
    Ok(done)
}

/// `POST /paper/photos`: photos of e-tickets (`photos`, several).
pub async fn photos(page: Page, headers: HeaderMap, body: Body) -> Response {
    if let Err(refused) = import_allowed(&page) {
        return *refused;
    }
    let parts = match read_form(&page, &headers, body).await {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let Some(venue) = chosen_venue(&page, Some(&multipart::text(&parts, "venue"))) else {
        let err = AppError::NotFound {
            what: "venue",
            id: multipart::text(&parts, "venue"),
        };
        return answer(
            &page,
            &headers,
            StatusCode::NOT_FOUND,
            page.error_text(&err),
        );
    };
    let files: Vec<PhotoFile> = multipart::files(&parts, "photos")
        .map(|p| PhotoFile {
            name: p.filename.clone().unwrap_or_default(),
            bytes: p.data.clone(),
        })
        .collect();
    drop(parts);
    let read = page
        .state
        .node
        .import_photos(&page.who, Some(venue.id.as_str()), files)
        .await;
    if wants_json(&headers) {
        return match read {
            Ok((summary, files)) => {
                Json(serde_json::json!({ "summary": summary, "files": files })).into_response()
            }
            Err(e) => {
                let text = page.error_text(&e);
                let status = crate::ApiError::from(e).status;
                answer(&page, &headers, status, text)
            }
        };
    }
    let imported = read.map(|(summary, reads)| {
        let mut done = Imported::default();
        done.add_photos(&page, &summary, &reads);
        done
    });
    show(&page, &venue, imported)
}
