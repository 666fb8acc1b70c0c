//! Paper as a channel: stock batches and their print-ready PDF, paper sales entered after an
//! outage, and admissions recorded by hand (lists, CSV, photos).

use aspk_app::{ImportSource, NewBatch, PaperEntry, PhotoFile};
use aspk_domain::PaymentMethod;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Staff};
use crate::routes::tickets::PdfFile;
use crate::{ApiError, AppState};

/// Most bytes one upload of photos or a CSV may hold.
pub const MAX_UPLOAD_BYTES: usize = 40 * 1024 * 1024;

#[derive(Deserialize, ToSchema)]
pub struct BatchRequest {
    pub venue: String,
    /// 1 to 4 letters.
    pub series: String,
    /// The first number, as printed (leading zeros set the width): "0001".
    pub first: String,
    pub last: String,
    /// What it admits; none: any category, priced at sale.
    #[serde(default)]
    pub product: Option<String>,
    /// Both or neither: none means the slot is chosen at sale.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchResponse {
    pub id: String,
    pub series: String,
    pub first: String,
    pub last: String,
    pub venue: String,
    pub product: Option<String>,
    pub total: u32,
    pub in_stock: u32,
    pub with_cashiers: u32,
    pub sold: u32,
    pub spoilt: u32,
    pub voided: u32,
    /// The drill the batch was made for (its tickets say so; no report counts it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

fn batch_response(s: &aspk_app::BatchSummary) -> BatchResponse {
    let b = &s.batch;
    let w = b.width as usize;
    BatchResponse {
        id: b.id.clone(),
        series: b.series.clone(),
        first: format!("{:0w$}", b.first),
        last: format!("{:0w$}", b.last),
        venue: b.venue.to_string(),
        product: b.product.as_ref().map(ToString::to_string),
        total: s.counts.total,
        in_stock: s.counts.in_stock,
        with_cashiers: s.counts.with_cashiers,
        sold: s.counts.sold,
        spoilt: s.counts.spoilt,
        voided: s.counts.voided,
        drill: b.drill.clone(),
    }
}

/// Number and sign a batch of paper stock (manager or admin, at the cloud).
#[utoipa::path(post, path = "/api/v1/stock/batches", tag = "paper", request_body = BatchRequest, security(("bearer" = [])),
    responses((status = 201, body = BatchResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "`stock_overlap`: the range overlaps another batch of the series", body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_batch(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Result<(StatusCode, Json<BatchResponse>), ApiError> {
    let made = state
        .node
        .create_stock_batch(
            &who,
            NewBatch {
                venue: req.venue,
                series: req.series,
                first: req.first,
                last: req.last,
                product: req.product.filter(|p| !p.trim().is_empty()),
                valid_from: req.valid_from,
                valid_until: req.valid_until,
            },
        )
        .await?;
    let summary = state
        .node
        .stock_batches(&who, Some(made.venue.as_str()))?
        .into_iter()
        .find(|s| s.batch.id == made.id)
        .ok_or_else(|| aspk_app::AppError::Internal(anyhow::anyhow!("batch vanished")))?;
    Ok((StatusCode::CREATED, Json(batch_response(&summary))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchesQuery {
    pub venue: Option<String>,
}

/// Every batch with where its numbers are (manager or admin).
#[utoipa::path(get, path = "/api/v1/stock/batches", tag = "paper", params(BatchesQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<BatchResponse>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_batches(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiQuery(q): ApiQuery<BatchesQuery>,
) -> Result<Json<Vec<BatchResponse>>, ApiError> {
    let list = state.node.stock_batches(&who, q.venue.as_deref())?;
    Ok(Json(list.iter().map(batch_response).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockPdfQuery {
    /// `sheet` (8 per A4 with cut marks, the default) or `page` (one per A4).
    pub layout: Option<StockLayoutName>,
}

/// How the paper tickets are laid out on A4.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockLayoutName {
    /// 8 per sheet, with cut marks.
    #[default]
    Sheet,
    /// One per page.
    Page,
}

/// The print-ready sheets of a batch: one signed QR code per paper ticket (manager or admin,
/// at the cloud).
#[utoipa::path(get, path = "/api/v1/stock/batches/{id}/pdf", tag = "paper", params(("id" = String, Path), StockPdfQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf", body = PdfFile), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn batch_pdf(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<StockPdfQuery>,
) -> Result<Response, ApiError> {
    let layout = match q.layout.unwrap_or_default() {
        StockLayoutName::Sheet => aspk_render::StockLayout::Sheet,
        StockLayoutName::Page => aspk_render::StockLayout::OnePerPage,
    };
    let bytes = state.node.stock_pdf(&who, &id, layout).await?;
    let name = format!(
        "attachment; filename=\"stock-{}.pdf\"",
        id.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct StockCodeDto {
    /// As printed: "0120".
    pub number: String,
    /// The ticket number for typing.
    pub ticket_number: String,
    /// The QR code's digits.
    pub code: String,
}

/// A batch's numbers with their signed codes, for a printing house that sets its own layout
/// (variable-data printing) (manager or admin, at the cloud).
#[utoipa::path(get, path = "/api/v1/stock/batches/{id}/codes", tag = "paper", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<StockCodeDto>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn batch_codes(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<StockCodeDto>>, ApiError> {
    let tickets = state.node.stock_tickets(&who, &id)?;
    let width = state
        .node
        .stock_batches(&who, None)?
        .into_iter()
        .find(|b| b.batch.id == id)
        .map_or(4, |b| b.batch.width as usize);
    Ok(Json(
        tickets
            .into_iter()
            .map(|t| StockCodeDto {
                number: format!("{:0width$}", t.number),
                ticket_number: crate::dto::number(t.serial),
                code: t.code,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct MoveRequest {
    /// "0001-0050, 0060".
    pub numbers: String,
    /// `issued`, `returned`, `spoilt` or `voided`.
    pub kind: String,
    /// The cashier (for `issued` and `returned`).
    #[serde(default)]
    pub cashier: Option<String>,
    /// Why (required for `voided`).
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct MoveResponse {
    pub moved: u32,
}

/// Record where numbers of a batch went (manager or admin): issued to or returned by a
/// cashier, spoilt, or voided (gates and phones refuse voided numbers from then on).
#[utoipa::path(post, path = "/api/v1/stock/batches/{id}/moves", tag = "paper", request_body = MoveRequest, params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = MoveResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn move_stock(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<MoveRequest>,
) -> Result<Json<MoveResponse>, ApiError> {
    let kind = aspk_domain::StockMoveKind::parse(&req.kind).ok_or_else(|| {
        aspk_app::AppError::invalid("kind", "must be issued, returned, spoilt or voided")
    })?;
    let moved = state
        .node
        .move_stock(
            &who,
            &id,
            &req.numbers,
            kind,
            req.cashier.as_deref(),
            &req.note,
        )
        .await?;
    Ok(Json(MoveResponse { moved }))
}

#[derive(Deserialize, ToSchema)]
pub struct PaymentDto {
    pub method: PaymentMethod,
}

#[derive(Deserialize, ToSchema)]
pub struct PaperSaleRequest {
    pub series: String,
    /// "0120-0187,0190": ranges, lists and single numbers.
    pub numbers: String,
    /// The category sold (the batch's own when it has one).
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub slot: Option<String>,
    /// The day the tickets were for, when no slot is given.
    #[serde(default)]
    pub day: Option<NaiveDate>,
    pub payment: PaymentDto,
    /// When they were really sold (default: when the range was issued, or now).
    #[serde(default)]
    pub sold_at: Option<DateTime<Utc>>,
    /// Needed only when the series is stocked at several venues.
    #[serde(default)]
    pub venue: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PaperSaleResponse {
    pub entered: u32,
    pub total_minor: i64,
    pub currency: String,
    pub order: String,
    pub numbers: String,
    /// The slot the tickets are for, with its capacity and seats sold after this entry.
    pub slot: Option<SlotFill>,
}

#[derive(Serialize, ToSchema)]
pub struct SlotFill {
    pub id: String,
    pub capacity: u32,
    pub sold: u32,
}

/// Enter paper tickets sold during an outage (staff). All or nothing; the same number again
/// is 409 naming the earlier entry. A slot pushed over capacity becomes an `oversell` finding.
#[utoipa::path(post, path = "/api/v1/stock/sales", tag = "paper", request_body = PaperSaleRequest, security(("bearer" = [])),
    responses((status = 201, body = PaperSaleResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "`stock_entered` (naming the earlier entry) or `stock_unavailable`", body = Problem), (status = 422, body = Problem)))]
pub async fn enter_sales(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiJson(req): ApiJson<PaperSaleRequest>,
) -> Result<(StatusCode, Json<PaperSaleResponse>), ApiError> {
    let done = state
        .node
        .enter_paper_sale(
            &who,
            PaperEntry {
                venue: req.venue,
                series: req.series,
                numbers: req.numbers,
                product: req.product,
                slot: req.slot.filter(|s| !s.trim().is_empty()),
                day: req.day,
                payment: req.payment.method,
                sold_at: req.sold_at,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PaperSaleResponse {
            entered: done.entered,
            total_minor: done.total_minor,
            currency: done.currency.as_str().to_owned(),
            order: crate::dto::number(done.order),
            numbers: done.numbers,
            slot: done
                .slot
                .map(|(id, capacity, sold)| SlotFill { id, capacity, sold }),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ImportRequest {
    /// "number or code[,time[,gate[,count]]]" per line.
    pub lines: Vec<String>,
    #[serde(default)]
    pub venue: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResponse {
    pub imported: u32,
    pub already_used: u32,
    pub unknown: u32,
    pub unreadable: u32,
    /// Findings this import opened.
    pub findings: u32,
    /// Entries an earlier import had recorded already.
    pub skipped: u32,
    /// The same import was made before: nothing changed.
    pub repeated: bool,
    pub unknown_items: Vec<String>,
    pub unreadable_items: Vec<String>,
    /// For photos: what was read in each file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PhotoReadDto>,
}

#[derive(Serialize, ToSchema)]
pub struct PhotoReadDto {
    pub name: String,
    pub codes: u32,
    pub problem: Option<String>,
}

fn import_response(s: aspk_app::ImportSummary, files: Vec<PhotoReadDto>) -> ImportResponse {
    ImportResponse {
        imported: s.imported,
        already_used: s.already_used,
        unknown: s.unknown,
        unreadable: s.unreadable,
        findings: s.findings,
        skipped: s.skipped,
        repeated: s.repeated,
        unknown_items: s.unknown_items,
        unreadable_items: s.unreadable_items,
        files,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    pub venue: Option<String>,
}

/// Import admissions recorded by hand during an outage (manager or admin): a JSON list of
/// lines, or a CSV (`text/csv`) with the columns number, time, gate, count. Each ticket is
/// marked used at the recorded time; conflicts become findings; the same import again
/// changes nothing.
#[utoipa::path(post, path = "/api/v1/entries/import", tag = "paper", params(ImportQuery), request_body(content(
        (ImportRequest = "application/json"), (String = "text/csv"))), security(("bearer" = [])),
    responses((status = 200, body = ImportResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, description = "no such venue", body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn import_entries(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<ImportResponse>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (source, text, venue) = if content_type.starts_with("text/csv") {
        let text = std::str::from_utf8(&body)
            .map_err(|_| aspk_app::AppError::invalid("lines", "the CSV is not UTF-8 text"))?;
        (ImportSource::Csv, text.to_owned(), q.venue)
    } else if content_type.starts_with("application/json") {
        let req: ImportRequest = serde_json::from_slice(&body)
            .map_err(|e| ApiError::unprocessable(format!("the JSON does not fit: {e}")))?;
        (
            ImportSource::List,
            req.lines.join("\n"),
            req.venue.or(q.venue),
        )
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            crate::error::ProblemCode::InvalidInput,
            "send application/json or text/csv",
        ));
    };
    let node = &state.node;
    let venue_id = node.import_venue_id(venue.as_deref())?;
    let (venue, today) = node.venue_and_today(&venue_id)?;
    let entries = aspk_app::parse_lines(&text, &venue, today)?;
    let summary = node
        .import_entries(
            &who,
            Some(&venue_id),
            source,
            text.as_bytes(),
            entries,
            Vec::new(),
        )
        .await?;
    Ok(Json(import_response(summary, Vec::new())))
}

/// Import the photos staff took of visitors' e-tickets (manager or admin): one or more JPEG
/// or PNG files as `multipart/form-data`. Every QR code found marks its ticket used; a photo
/// with none is reported (and becomes an `unreadable_photo` finding).
#[utoipa::path(post, path = "/api/v1/entries/photos", tag = "paper", params(ImportQuery), request_body(content_type = "multipart/form-data", content = String),
    security(("bearer" = [])),
    responses((status = 200, body = ImportResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, description = "no such venue", body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import_photos(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiQuery(q): ApiQuery<ImportQuery>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<ImportResponse>, ApiError> {
    let multipart = multipart.map_err(|e| {
        ApiError::bad_request(
            crate::error::ProblemCode::InvalidInput,
            format!("send the photos as multipart/form-data: {}", e.body_text()),
        )
    })?;
    let files = read_files(multipart).await?;
    let (summary, reads) = state
        .node
        .import_photos(&who, q.venue.as_deref(), files)
        .await?;
    let files = reads
        .into_iter()
        .map(|r| PhotoReadDto {
            name: r.name,
            codes: r.codes,
            problem: r.problem.map(str::to_owned),
        })
        .collect();
    Ok(Json(import_response(summary, files)))
}

/// The uploaded files of a multipart body; a body over the limit is a clear 413.
pub async fn read_files(mut multipart: Multipart) -> Result<Vec<PhotoFile>, ApiError> {
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            crate::error::ProblemCode::InvalidInput,
            format!(
                "the upload is larger than {} MB: send fewer photos at a time",
                MAX_UPLOAD_BYTES / (1024 * 1024)
            ),
        )
    };
    let mut files = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(e) => return Err(ApiError::unprocessable(format!("a malformed upload: {e}"))),
        };
        let name = field
            .file_name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("file-{}", files.len() + 1));
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(e) => return Err(ApiError::unprocessable(format!("a malformed upload: {e}"))),
        };
        files.push(PhotoFile {
            name: name.chars().filter(|c| !c.is_control()).take(200).collect(),
            bytes: bytes.to_vec(),
        });
    }
    Ok(files)
}
