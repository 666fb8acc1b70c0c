//! The phone scanner's API (`/api/v1/device/…`), authenticated with the node token the
//! phone got when it paired. A revoked phone gets 403 and wipes its data. gzip both ways.

use aspk_app::{DeviceFeed, DeviceScan, FeedTicket};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::sync::NodeAuth;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Largest upload (1,000 scans are about 100 kB; 2,000 box-office ops about 3 MB).
const MAX_DEVICE_BODY: usize = 4 * 1024 * 1024;

pub fn device_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(feed))
        .routes(routes!(upload))
        .routes(routes!(super::box_device::box_device_sync))
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
        .layer(tower_http::decompression::RequestDecompressionLayer::new().gzip(true))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_DEVICE_BODY))
        // A phone loaded from one node syncs with the next one when the first is down.
        .layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::CONTENT_TYPE,
                ]),
        )
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `cursor` of the previous answer, as it was given; leave out (or blank) for a full
    /// download.
    #[param(
        pattern = r"^\s*(?:f\.[+-]?[0-9]+\.[+-]?[0-9]+\.\+?[0-9]+|d\.[+-]?[0-9]+\.[+-]?[0-9]+)?\s*$"
    )]
    pub cursor: Option<String>,
    /// Most tickets per page (default and maximum 10,000: more is taken as 10,000).
    #[param(minimum = 0, maximum = 18_446_744_073_709_551_615_u64)]
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct FeedEntry {
    pub at: DateTime<Utc>,
    pub gate: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeedTicketDto {
    pub serial: u64,
    /// The QR code's text.
    pub code: String,
    /// Product number (as in the code).
    pub product: u16,
    #[schema(value_type = aspk_domain::TicketStatus)]
    pub state: &'static str,
    pub entries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_entry: Option<FeedEntry>,
}

impl From<FeedTicket> for FeedTicketDto {
    fn from(t: FeedTicket) -> Self {
        Self {
            serial: t.serial,
            code: t.code,
            product: t.product,
            state: t.state,
            entries: t.entries,
            first_entry: t.first_entry.map(|e| FeedEntry {
                at: e.at,
                gate: e.gate,
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FeedVenue {
    pub id: String,
    pub no: u16,
    pub name: String,
    pub name_en: String,
    pub time_zone: String,
    pub early_entry_minutes: u16,
}

#[derive(Serialize, ToSchema)]
pub struct FeedProduct {
    pub no: u16,
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// The document to check at entry (reduced and free tickets), if any.
    pub document: Option<String>,
    pub document_en: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FeedKeyDto {
    pub key_id: u16,
    /// 64 hex digits.
    pub public_key: String,
    /// Serials `[from, to)` a delegated key may sign.
    pub serials: Option<(u64, u64)>,
    /// A delegated key's end: no ticket it signs may be usable after that day (UTC).
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Serials it signed that are voided (lost or stolen paper stock), `[first, last]`:
    /// refused from then on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub voided: Vec<(u64, u64)>,
    /// Withdrawn: the tickets of the feed stay valid; any other code it signed is refused.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub revoked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct FeedResponse {
    /// Pass back as `cursor` next time.
    pub cursor: String,
    /// Another page waits: ask again at once.
    pub more: bool,
    /// The first page of a full download: forget the tickets held before.
    pub reset: bool,
    pub venue: FeedVenue,
    pub products: Vec<FeedProduct>,
    pub keys: Vec<FeedKeyDto>,
    pub tickets: Vec<FeedTicketDto>,
    /// This device's scans held by the server, up to this sequence number.
    pub held: u64,
    pub server_time: DateTime<Utc>,
    /// Where this phone may sync, in order of preference: this node, then its upstreams.
    /// The phone switches along the list when one does not answer.
    pub endpoints: Vec<String>,
}

fn or_uk(en: &str, uk: &str) -> String {
    if en.is_empty() { uk } else { en }.to_owned()
}

impl From<aspk_domain::Venue> for FeedVenue {
    fn from(v: aspk_domain::Venue) -> Self {
        Self {
            id: v.id.to_string(),
            no: v.no,
            name_en: or_uk(&v.name.en, &v.name.uk),
            name: v.name.uk,
            time_zone: v.time_zone,
            early_entry_minutes: v.early_entry_minutes,
        }
    }
}

impl From<aspk_domain::Product> for FeedProduct {
    fn from(p: aspk_domain::Product) -> Self {
        Self {
            no: p.no,
            id: p.id.to_string(),
            name_en: or_uk(&p.name.en, &p.name.uk),
            name: p.name.uk,
            document_en: p.document.as_ref().map(|d| or_uk(&d.en, &d.uk)),
            document: p.document.map(|d| d.uk),
        }
    }
}

impl From<DeviceFeed> for FeedResponse {
    fn from(f: DeviceFeed) -> Self {
        Self {
            cursor: f.cursor,
            more: f.more,
            reset: f.reset,
            venue: f.venue.into(),
            products: f.products.into_iter().map(Into::into).collect(),
            keys: f
                .keys
                .into_iter()
                .map(|k| FeedKeyDto {
                    key_id: k.key_id,
                    public_key: k.public_key,
                    serials: k.serials,
                    valid_until: k.valid_until,
                    voided: k.voided,
                    revoked: k.revoked,
                })
                .collect(),
            tickets: f.tickets.into_iter().map(Into::into).collect(),
            held: f.held,
            server_time: f.server_time,
            endpoints: Vec::new(),
        }
    }
}

/// What a paired phone needs to decide offline, a page at a time (see docs/scanner.md).
#[utoipa::path(get, path = "/api/v1/device/feed", tag = "devices", params(FeedQuery), security(("node" = [])),
    responses((status = 200, body = FeedResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn feed(
    State(state): State<AppState>,
    NodeAuth(device): NodeAuth,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Json<FeedResponse>, ApiError> {
    let feed = state
        .node
        .device_feed(&device, q.cursor.as_deref(), q.limit)
        .await?;
    let mut response: FeedResponse = feed.into();
    response.endpoints = std::iter::once(crate::extract::base_url(&headers))
        .chain(state.upstream.iter().flat_map(|u| u.get().urls))
        .filter(|u| !u.is_empty())
        .collect();
    Ok(Json(response))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanUpload {
    /// The phone's own sequence number, contiguous from 1.
    #[serde(deserialize_with = "crate::dto::whole::number")]
    #[schema(minimum = 1, maximum = 18_446_744_073_709_551_615_u64)]
    pub seq: u64,
    /// When, by the phone's clock (Unix milliseconds): from 2020 on, and not ahead of the
    /// server's clock by more than the clock skew it allows.
    #[serde(deserialize_with = "crate::dto::whole::number")]
    #[schema(minimum = 1_577_836_800_000_i64)]
    pub at_ms: i64,
    /// Orders scans within one millisecond.
    #[serde(default, deserialize_with = "crate::dto::whole::number")]
    #[schema(minimum = 0, maximum = 65_535)]
    pub counter: u16,
    /// The ticket's serial.
    #[serde(deserialize_with = "crate::dto::whole::number")]
    #[schema(minimum = 1, maximum = 99_999_999_999_u64)]
    pub serial: u64,
    pub result: DeviceVerdict,
    /// The QR code's text the phone read (digits). An admission of a ticket the server
    /// does not know yet (sold offline elsewhere) counts only with it; without it, or when
    /// it does not verify, the scan is recorded as `unverified_entry` and marks nothing used.
    #[serde(default)]
    pub code: Option<String>,
}

/// What the phone decided about a scan: a [`aspk_domain::ScanResult`] a phone may
/// record (a code it could not read or does not know is never uploaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceVerdict {
    Admit,
    AlreadyUsed,
    Void,
    NotValidYet,
    Expired,
    WrongVenue,
}

impl From<DeviceVerdict> for aspk_domain::ScanResult {
    fn from(verdict: DeviceVerdict) -> Self {
        match verdict {
            DeviceVerdict::Admit => Self::Admit,
            DeviceVerdict::AlreadyUsed => Self::AlreadyUsed,
            DeviceVerdict::Void => Self::Void,
            DeviceVerdict::NotValidYet => Self::NotValidYet,
            DeviceVerdict::Expired => Self::Expired,
            DeviceVerdict::WrongVenue => Self::WrongVenue,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct UploadRequest {
    #[schema(max_items = 1000)]
    pub scans: Vec<ScanUpload>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct UploadResponse {
    /// New here: recorded.
    pub applied: usize,
    /// Recorded before (a retry).
    pub known: usize,
    /// Skipped: an earlier scan is missing; send from `held + 1`.
    pub gaps: usize,
    /// This device's scans are held here up to this sequence number.
    pub held: u64,
}

/// Scans decided on the phone, recorded as its own ops; durable when this answers. A retry
/// is recorded once; one bad scan refuses the whole upload (422) and records nothing.
#[utoipa::path(post, path = "/api/v1/device/scans", tag = "devices", request_body = UploadRequest, security(("node" = [])),
    responses((status = 200, body = UploadResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    NodeAuth(device): NodeAuth,
    ApiJson(req): ApiJson<UploadRequest>,
) -> Result<Json<UploadResponse>, ApiError> {
    let scans = req
        .scans
        .into_iter()
        .map(|s| DeviceScan {
            seq: s.seq,
            at_ms: s.at_ms,
            counter: s.counter,
            serial: s.serial,
            result: aspk_domain::ScanResult::from(s.result).as_str().to_owned(),
            code: s.code.filter(|c| !c.trim().is_empty()),
        })
        .collect();
    let report = state.node.device_upload(&device, scans).await?;
    Ok(Json(UploadResponse {
        applied: report.applied,
        known: report.known,
        gaps: report.gaps,
        held: report.held,
    }))
}
