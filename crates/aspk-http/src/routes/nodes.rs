//! Enrolment of site nodes, gates and phones, and their revocation.

use aspk_app::AppError;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Problem;
use crate::extract::{base_url, ApiJson, ApiPath, Staff};
use crate::{ApiError, AppState};

/// What an enrolment code enrols: a site node, a turnstile agent or a phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentRole {
    SiteNode,
    Gate,
    Scanner,
    /// A box-office device (the offline box-office app in a browser).
    BoxOffice,
}

impl EnrolmentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SiteNode => "site_node",
            Self::Gate => "gate",
            Self::Scanner => "scanner",
            Self::BoxOffice => "box_office",
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct EnrolmentRequest {
    pub role: EnrolmentRole,
    pub venue: String,
}

#[derive(Serialize, ToSchema)]
pub struct EnrolmentResponse {
    /// One-time code, digits only.
    pub code: String,
    /// Opens the scanner app's pairing for phones, the box-office app's for box offices.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Create a one-time enrolment code (admin).
#[utoipa::path(post, path = "/api/v1/enrolments", tag = "devices", operation_id = "create_enrolment", request_body = EnrolmentRequest, security(("bearer" = [])),
    responses((status = 201, body = EnrolmentResponse), (status = 403, body = Problem), (status = 404, description = "`not_found`: no such venue", body = Problem),
        (status = 409, description = "`not_authority`: site nodes are enrolled at the cloud", body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(who): Staff,
    headers: HeaderMap,
    ApiJson(req): ApiJson<EnrolmentRequest>,
) -> Result<(StatusCode, Json<EnrolmentResponse>), ApiError> {
    let code = state
        .node
        .create_enrolment(&who, req.role.as_str(), &req.venue)
        .await?;
    let app = match req.role {
        EnrolmentRole::BoxOffice => "box-office/device/",
        _ => "scan",
    };
    let url = format!("{}/{app}#pair={}", base_url(&headers), code.code);
    Ok((
        StatusCode::CREATED,
        Json(EnrolmentResponse {
            code: code.code,
            url,
            expires_at: code.expires_at,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct RedeemRequest {
    pub code: String,
    /// A name people recognise, e.g. "Каса 2" or "North gate".
    #[serde(default)]
    pub name: String,
    /// The new node's origin id in the op log (it generates one).
    #[schema(pattern = "^[A-Za-z0-9-]{8,64}$")]
    pub origin: String,
    /// Site nodes and gates: the public half of their key, 64 hex digits (a site node's
    /// becomes its delegated ticket key; a gate signs its ops with it).
    #[schema(pattern = "^[0-9A-Fa-f]{64}$")]
    pub public_key: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RedeemResponse {
    pub node_id: String,
    pub token: String,
    #[schema(value_type = EnrolmentRole)]
    pub role: String,
    pub venue: String,
    pub key_id: Option<u16>,
    pub serials: Option<(u64, u64)>,
    /// The organisation's root keys: the new node trusts these (and root keys they sign)
    /// and no others.
    pub trust_anchors: Vec<TrustAnchor>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TrustAnchor {
    pub key_id: u16,
    /// 64 hex digits.
    pub public_key: String,
}

fn parse_key(hex: &str) -> Result<[u8; 32], AppError> {
    aspk_app::parse_hex32(hex)
        .ok_or_else(|| AppError::invalid("public_key", "must be 64 hex digits"))
}

/// A new node presents its enrolment code and gets its identity (the code works once).
#[utoipa::path(post, path = "/api/v1/enrolments/redeem", tag = "devices", request_body = RedeemRequest,
    responses((status = 201, body = RedeemResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn redeem(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RedeemRequest>,
) -> Result<(StatusCode, Json<RedeemResponse>), ApiError> {
    let key = req.public_key.as_deref().map(parse_key).transpose()?;
    let e = state
        .node
        .redeem_enrolment(&req.code, &req.name, &req.origin, key)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RedeemResponse {
            node_id: e.node_id,
            token: e.token,
            role: e.role,
            venue: e.venue,
            key_id: e.key_id,
            serials: e.serials,
            trust_anchors: e
                .trust_anchors
                .into_iter()
                .map(|(key_id, public_key)| TrustAnchor { key_id, public_key })
                .collect(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct NodeDto {
    pub node_id: String,
    #[schema(value_type = EnrolmentRole)]
    pub role: String,
    pub venue: String,
    pub name: String,
    pub origin: String,
    pub revoked: Option<String>,
}

/// Enrolled nodes and devices (admin, manager).
#[utoipa::path(get, path = "/api/v1/nodes", tag = "devices", security(("bearer" = [])),
    responses((status = 200, body = Vec<NodeDto>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(who): Staff,
) -> Result<Json<Vec<NodeDto>>, ApiError> {
    who.require_to(aspk_app::Action::ListDevices)?;
    let nodes = state.node.nodes(None);
    Ok(Json(
        nodes
            .into_iter()
            .map(|n| NodeDto {
                node_id: n.node_id,
                role: n.role,
                venue: n.venue.to_string(),
                name: n.name,
                origin: n.origin,
                revoked: n.revoked,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct RevokeRequest {
    #[serde(default)]
    pub reason: String,
}

/// Revoke a node or device (admin): its later pushes are refused and flagged.
#[utoipa::path(post, path = "/api/v1/nodes/{node_id}/revoke", tag = "devices", request_body = Option<RevokeRequest>, params(("node_id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(node_id): ApiPath<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    // No body, or `null`, is no reason.
    let req: RevokeRequest = super::optional_object(&body)?;
    state.node.revoke_node(&who, &node_id, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
