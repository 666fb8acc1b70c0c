use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use aspk_domain::Role;

use crate::dto::{
    number, FindingDto, FindingsQuery, LeaseDto, SigningKeyDto, StartedDto, StatusQuery,
    StatusResponse, UpstreamDto,
};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Staff};
use crate::{ApiError, AppState};

/// The node's role, replication health and open findings.
#[utoipa::path(get, path = "/api/v1/status", tag = "system", params(StatusQuery), responses((status = 200, body = StatusResponse)))]
pub async fn status(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Json<StatusResponse> {
    let (_, is_store_stalled) = state.node.writer_stats();
    let origin = state.node.origin().to_owned();
    let scope = state.node.scope();
    let digest_of = q.venue.or_else(|| scope.clone());
    let (ops_in_log, findings_open, leases, digest) = state.node.read(|s| {
        let leases = s
            .slots
            .values()
            .filter_map(|slot| {
                slot.lease_left(&origin).map(|left| LeaseDto {
                    slot: slot.slot.id.clone(),
                    left,
                    starts_at: slot.slot.starts_at,
                })
            })
            .collect::<Vec<_>>();
        let digest = s.digest_for(digest_of.as_deref());
        (s.op_count, s.open_findings() as u64, leases, digest)
    });
    let upstream = state.upstream.as_ref().map(|u| u.get());
    Json(StatusResponse {
        role: state.node.role().as_str().to_owned(),
        pending_ops: upstream.as_ref().map(|u| u.pending_ops).unwrap_or(0),
        upstream: upstream.map(|u| UpstreamDto {
            url: u.url,
            reachable: u.is_reachable,
            last_push: u.last_push,
            last_pull: u.last_pull,
            last_error: u.last_error,
        }),
        findings_open,
        origin,
        ops_in_log,
        is_store_stalled,
        digest,
        scope,
        leases,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started: StartedDto {
            from_snapshot: state.node.start_info().from_snapshot,
            ops_folded: state.node.start_info().folded,
        },
        trust_anchors: state.node.trust_anchor_count(),
        signing_key: SigningKeyDto {
            key_id: state.node.ticket_key_id(),
            valid_until: state.node.own_key().and_then(|k| k.valid_until),
        },
    })
}

/// Conflicts found when reconciling what happened in different places: each once, with
/// every fact, on every replica alike.
#[utoipa::path(get, path = "/api/v1/findings", tag = "system", params(FindingsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<FindingDto>), (status = 401, body = Problem)))]
pub async fn findings(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiQuery(q): ApiQuery<FindingsQuery>,
) -> Result<Json<Vec<FindingDto>>, ApiError> {
    who.require(&[Role::Admin, Role::Manager], "see findings")?;
    let want_open = match q.status.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("resolved") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("status '{other}': use 'open' or 'resolved'"),
            ))
        }
    };
    let list = state.node.read(|s| {
        s.findings
            .values()
            .filter(|f| want_open.is_none_or(|open| f.is_open() == open))
            .map(|f| FindingDto {
                id: f.id.clone(),
                kind: f.kind.to_owned(),
                ticket: f.ticket.map(number),
                facts: f.facts.clone(),
                status: if f.is_open() { "open" } else { "resolved" }.to_owned(),
                resolution: f.resolution.as_ref().map(|r| r.note.clone()),
            })
            .collect()
    });
    Ok(Json(list))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ResolveRequest {
    pub note: String,
}

/// Record what was done about a finding (manager or admin).
#[utoipa::path(post, path = "/api/v1/findings/{id}/resolve", tag = "system", request_body = ResolveRequest, params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
pub async fn resolve(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> Result<StatusCode, ApiError> {
    state.node.resolve_finding(&who, &id, &req.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 200 when the store answers.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200), (status = 503, body = Problem)))]
pub async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.node.store().ping().await.map(|()| "ok").map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        )
    })
}

/// This document.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}
