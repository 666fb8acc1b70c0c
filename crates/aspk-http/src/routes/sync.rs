//! Replication between nodes: status (version vector), pull (ops in this node's commit
//! order, from a cursor), push (ops the caller has that this node lacks), leases.
//! Authenticated with a node token from enrolment. Bodies may be gzip-compressed.

use std::collections::BTreeMap;

use aspk_app::{AppError, NodeCredential};
use aspk_oplog::{Audience, AudienceKind, Op};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Problem;
use crate::extract::{ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Most ops one pull returns.
const MAX_PULL: u32 = 5_000;

/// An enrolled node (bearer token `n1.…`). A revoked node is refused with 403 and its
/// first attempt is recorded as a finding.
pub struct NodeAuth(pub NodeCredential);

fn node_token(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| AppError::Unauthenticated.into())
}

impl FromRequestParts<AppState> for NodeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = node_token(parts)?;
        let node = state.node.node_credential(token).await?;
        state.node.note_contact(&node.0.node_id);
        Ok(Self(node))
    }
}

/// A node that replicates the log: a site node or a gate. Phones get a ticket feed of
/// their own (the device API), never the log.
pub struct ReplicaAuth(pub NodeCredential);

impl FromRequestParts<AppState> for ReplicaAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let NodeAuth(node) = NodeAuth::from_request_parts(parts, state).await?;
        match node.0.role.as_str() {
            "site_node" | "gate" => Ok(Self(node)),
            _ => Err(AppError::Forbidden(
                "replicate the log: a phone uses the device API (its ticket feed)",
            )
            .into()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SyncStatus {
    pub origin: String,
    pub role: crate::dto::NodeRoleName,
    /// Highest sequence number held per origin.
    pub vv: BTreeMap<String, u64>,
    /// Cursor of the newest op in this node's log.
    pub head: i64,
    /// The id of this node's session key: what a staff page's handoff code for this node
    /// is bound to.
    pub session_key: String,
    /// Digest of the derived state (equal on replicas that hold the same ops), when asked
    /// for with `?digest=true`: it reads the whole state, so sync rounds leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Include the state digest.
    #[serde(default)]
    pub digest: bool,
}

/// This node's version vector and log head.
#[utoipa::path(get, path = "/api/v1/sync/status", tag = "replication", operation_id = "sync_status", security(("node" = [])), params(StatusQuery),
    responses((status = 200, body = SyncStatus), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn status(
    State(state): State<AppState>,
    ReplicaAuth(_node): ReplicaAuth,
    ApiQuery(query): ApiQuery<StatusQuery>,
) -> Result<Json<SyncStatus>, ApiError> {
    let head = state.node.store().head().await.map_err(AppError::from)?;
    let vv = state.node.version_vector();
    let digest = query.digest.then(|| state.node.digest());
    Ok(Json(SyncStatus {
        origin: state.node.origin().to_owned(),
        role: state.node.role().into(),
        vv,
        head,
        session_key: state.node.session_key_id(),
        digest,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// Cursor from the previous pull (0 at first).
    #[serde(default)]
    pub after: i64,
    /// Most ops to return (at most 5,000: more is taken as 5,000).
    #[param(minimum = 0, maximum = 4_294_967_295_u64)]
    pub limit: Option<u32>,
    /// Leave out ops of this origin (the caller's own: it has them all).
    pub exclude_origin: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PullResponse {
    /// The ops, each the op itself or, outside `scope`, its elision
    /// (`{"type": "elided", "hash"}`: it keeps the origin's sequence contiguous).
    #[schema(value_type = Vec<Object>)]
    pub ops: Vec<Op>,
    /// Pass as `after` next time.
    pub next: i64,
    /// More ops wait beyond `next`.
    pub more: bool,
    pub head: i64,
    /// The venue the caller replicates (from its enrolment): the ops outside it come as
    /// elisions. Absent for a caller that replicates the whole organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Ops after a cursor, in this node's commit order (each op after the ops it depends on);
/// the ops outside the caller's venue as elisions.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "replication", params(PullQuery), security(("node" = [])),
    responses((status = 200, body = PullResponse), (status = 401, body = Problem)))]
pub async fn pull(
    State(state): State<AppState>,
    ReplicaAuth(node): ReplicaAuth,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let limit = q.limit.unwrap_or(MAX_PULL).clamp(1, MAX_PULL);
    let scope = replica_scope(&node);
    let kind = match node.0.role.as_str() {
        "gate" => AudienceKind::Gate,
        _ => AudienceKind::SiteNode {
            local_sign_in: node.0.local_sign_in.unwrap_or(true),
        },
    };
    let audience = scope.as_deref().map(|venue| Audience { venue, kind });
    let page = state
        .node
        .log_page(q.after, limit, q.exclude_origin.as_deref(), audience)
        .await?;
    Ok(Json(PullResponse {
        ops: page.ops,
        next: page.next,
        more: page.more,
        head: page.head,
        scope,
    }))
}

/// The venue an enrolled node replicates: every node is enrolled for one.
fn replica_scope(node: &NodeCredential) -> Option<String> {
    Some(node.0.venue.as_str().to_owned()).filter(|v| !v.is_empty())
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PushRequest {
    #[schema(value_type = Vec<Object>)]
    pub ops: Vec<Op>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PushResponse {
    pub applied: usize,
    pub known: usize,
    /// Ops skipped because an earlier op of their origin is missing here: send from earlier.
    pub gaps: usize,
    /// Ops refused because their origin's key did not sign them (each becomes a
    /// `forged_op` finding).
    #[serde(default)]
    pub refused: usize,
    /// Ops held back: no certificate for their signer here yet, or a clock reading too far
    /// ahead. Offer them again later.
    #[serde(default)]
    pub held: usize,
    pub vv: BTreeMap<String, u64>,
}

/// Ops the caller holds and this node lacks (its own and relayed ones, unchanged).
/// Durable here when this returns.
#[utoipa::path(post, path = "/api/v1/sync/push", tag = "replication", request_body = PushRequest, security(("node" = [])),
    responses((status = 200, body = PushResponse), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn push(
    State(state): State<AppState>,
    ReplicaAuth(node): ReplicaAuth,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let report = state
        .node
        .ingest(req.ops, &format!("node:{}", node.0.node_id))
        .await?;
    Ok(Json(PushResponse {
        applied: report.applied,
        known: report.known,
        gaps: report.gaps,
        refused: report.refused,
        held: report.held,
        vv: report.vv,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct LeaseRequest {
    pub slot: String,
    #[serde(deserialize_with = "crate::dto::whole::number")]
    #[schema(minimum = 1, maximum = 10_000)]
    pub seats: u32,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LeaseResponse {
    pub granted: u32,
}

/// A site node asks the cloud for seats of a slot to sell while cut off.
#[utoipa::path(post, path = "/api/v1/sync/lease", tag = "replication", request_body = LeaseRequest, security(("node" = [])),
    responses((status = 200, body = LeaseResponse), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn lease(
    State(state): State<AppState>,
    NodeAuth(node): NodeAuth,
    ApiJson(req): ApiJson<LeaseRequest>,
) -> Result<(StatusCode, Json<LeaseResponse>), ApiError> {
    let granted = state.node.grant_lease(&node, &req.slot, req.seats).await?;
    Ok((StatusCode::OK, Json(LeaseResponse { granted })))
}

#[derive(Deserialize, ToSchema)]
pub struct RenewKeyRequest {
    /// The public half of the site node's new ticket key, 64 hex digits.
    #[schema(pattern = "^[0-9A-Fa-f]{64}$")]
    pub public_key: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RenewKeyResponse {
    pub key_id: u16,
    pub serials: (u64, u64),
    pub valid_from: Option<chrono::DateTime<chrono::Utc>>,
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A site node's new ticket key, delegated before its current one runs out: same serial
/// block, a new key id, valid from now. Asking again with the same key returns the same.
#[utoipa::path(post, path = "/api/v1/sync/renew-key", tag = "replication", request_body = RenewKeyRequest, security(("node" = [])),
    responses((status = 200, body = RenewKeyResponse), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn renew_key(
    State(state): State<AppState>,
    NodeAuth(node): NodeAuth,
    ApiJson(req): ApiJson<RenewKeyRequest>,
) -> Result<Json<RenewKeyResponse>, ApiError> {
    let public_key = aspk_app::parse_hex32(req.public_key.trim())
        .filter(|k| aspk_ticket::PublicKey::from_bytes(0, k).is_ok())
        .ok_or_else(|| {
            AppError::invalid(
                "public_key",
                "must be an Ed25519 public key in 64 hex digits",
            )
        })?;
    let key = state.node.renew_key(&node, public_key).await?;
    Ok(Json(RenewKeyResponse {
        key_id: key.key_id,
        serials: key.serials,
        valid_from: key.valid_from,
        valid_until: key.valid_until,
    }))
}
