//! The box-office device's API (`/api/v1/device/box-office/sync`), authenticated with the
//! node token the device got when it paired. One call uploads the device's own signed ops
//! and brings back what it needs to sell with no server (see `aspk_app::box_device`).

use aspk_app::DeviceSync;
use aspk_oplog::Op;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::devices::{FeedProduct, FeedVenue};
use super::sync::NodeAuth;
use crate::error::Problem;
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceSyncRequest {
    /// The device's own ops not yet acknowledged, in sequence order (at most 2,000).
    #[schema(value_type = Vec<Object>)]
    #[serde(default)]
    pub ops: Vec<Op>,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceSlotDto {
    pub id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: u32,
    /// Seats of it the device holds and has not sold, as this node knows.
    pub lease_left: u32,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceProductDto {
    #[serde(flatten)]
    pub product: FeedProduct,
    pub price_minor: i64,
    pub currency: String,
    /// A visitor shows a document at entry (reduced and free tickets).
    pub needs_document_check: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceKeyDto {
    pub key_id: u16,
    /// Serials `[from, to)` the key may sign (order numbers are taken from them too).
    pub serials: (u64, u64),
    /// No ticket the key signs may be usable after this.
    pub valid_until: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceSyncResponse {
    /// Ops taken in now, and ops held here before (a retry).
    pub applied: usize,
    pub known: usize,
    /// Skipped: an earlier op of the device is missing here; send from `durable_seq + 1`.
    pub gaps: usize,
    /// Refused as forged (a signature that does not hold, or a key revoked before the op).
    pub refused: usize,
    /// The device's ops held durably here, up to this sequence number.
    pub durable_seq: u64,
    pub venue: FeedVenue,
    pub currency: String,
    pub products: Vec<DeviceProductDto>,
    pub slots: Vec<DeviceSlotDto>,
    /// The key the device signs with; none once it is revoked or ran out.
    pub key: Option<DeviceKeyDto>,
    /// The seats per slot and days ahead the device holds.
    pub lease_seats: u16,
    pub lease_days: u16,
    /// Whether this node tops up leases (the cloud); a site node only takes the ops in.
    pub grants_leases: bool,
    pub server_time: DateTime<Utc>,
    /// Where this device may sync, in order of preference: this node, then its upstreams.
    pub endpoints: Vec<String>,
}

impl From<DeviceSync> for DeviceSyncResponse {
    fn from(s: DeviceSync) -> Self {
        Self {
            applied: s.report.applied,
            known: s.report.known,
            gaps: s.report.gaps,
            refused: s.report.refused,
            durable_seq: s.durable_seq,
            currency: s.venue.currency.as_str().to_owned(),
            venue: s.venue.into(),
            products: s
                .products
                .into_iter()
                .map(|p| DeviceProductDto {
                    price_minor: p.price_minor,
                    currency: p.currency.as_str().to_owned(),
                    needs_document_check: p.needs_document_check(),
                    product: p.into(),
                })
                .collect(),
            slots: s
                .slots
                .into_iter()
                .map(|slot| DeviceSlotDto {
                    id: slot.id,
                    starts_at: slot.starts_at,
                    ends_at: slot.ends_at,
                    capacity: slot.capacity,
                    lease_left: slot.lease_left,
                })
                .collect(),
            key: s.key.map(|k| DeviceKeyDto {
                key_id: k.key_id,
                serials: k.serials,
                valid_until: k.valid_until,
            }),
            lease_seats: s.lease.seats,
            lease_days: s.lease.days,
            grants_leases: s.grants_leases,
            server_time: Utc::now(),
            endpoints: Vec::new(),
        }
    }
}

/// A box-office device's sync: its own signed ops in (durable here when this answers; a
/// retry is taken once), leases topped up at the cloud, and what it needs to sell alone
/// back. Ops of another origin refuse the whole upload (422). A revoked device gets 403.
#[utoipa::path(post, path = "/api/v1/device/box-office/sync", tag = "devices", operation_id = "box_device_sync", request_body = DeviceSyncRequest, security(("node" = [])),
    responses((status = 200, body = DeviceSyncResponse), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn box_device_sync(
    State(state): State<AppState>,
    NodeAuth(device): NodeAuth,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<DeviceSyncRequest>,
) -> Result<Json<DeviceSyncResponse>, ApiError> {
    let sync = state.node.box_device_sync(&device, req.ops).await?;
    let mut response: DeviceSyncResponse = sync.into();
    response.server_time = state.node.now();
    response.endpoints = std::iter::once(crate::extract::base_url(&headers))
        .chain(state.upstream.iter().flat_map(|u| u.get().urls))
        .filter(|u| !u.is_empty())
        .collect();
    Ok(Json(response))
}
