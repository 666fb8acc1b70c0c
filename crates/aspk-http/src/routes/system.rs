use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::dto::{
    FailureDto, FindingDto, FindingStatus, FindingsQuery, LeaseDto, SigningKeyDto, StartedDto,
    StatusQuery, StatusResponse, UpstreamDto,
};
use crate::error::{Problem, ProblemCode};
use crate::extract::{ApiJson, ApiPath, ApiQuery, MaybeStaff, Staff};
use crate::{ApiError, AppState};

/// The node's role, replication health and open findings. Anyone may ask; the origin, op
/// count, digest, scope, leases, keys, start-up figures, parts and failures (with the steps
/// of the continuity plan, in `?lang=`) are for staff (any role), and `?venue=` needs a
/// staff credential too (computing a digest holds the state).
#[utoipa::path(get, path = "/api/v1/status", tag = "system", params(StatusQuery), security((), ("bearer" = [])),
    responses((status = 200, body = StatusResponse),
        (status = 401, description = "`?venue=` without a staff credential, or a credential that is not valid", body = Problem)))]
pub async fn status(
    State(state): State<AppState>,
    MaybeStaff(who): MaybeStaff,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<StatusResponse>, ApiError> {
    let is_staff = who.is_some();
    if q.venue.is_some() && !is_staff {
        return Err(aspk_app::AppError::Unauthenticated.into());
    }
    let upstream = state.upstream.as_ref().map(|u| u.get());
    let picture = match &who {
        Some(who) => Some(state.node.continuity(who, upstream.as_ref()).await?),
        None => None,
    };
    let pending = match (&picture, &upstream) {
        (Some(picture), _) => picture.pending,
        (None, Some(link)) => Some(state.node.pending_ops(link).await),
        (None, None) => None,
    };
    let mut response = StatusResponse {
        role: state.node.role().into(),
        pending_ops: pending.map_or(0, |p| p.count),
        oldest_pending_at: pending.and_then(|p| p.oldest_at),
        upstream: upstream.map(|u| UpstreamDto {
            url: u.url,
            reachable: u.is_reachable,
            last_push: u.last_push,
            last_pull: u.last_pull,
            last_error: is_staff.then_some(u.last_error),
        }),
        findings_open: state.node.open_finding_count() as u64,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        origin: None,
        ops_in_log: None,
        is_store_stalled: None,
        digest: None,
        scope: None,
        leases: None,
        started: None,
        trust_anchors: None,
        signing_key: None,
        parts: None,
        failures: None,
    };
    let Some(picture) = picture else {
        return Ok(Json(response));
    };
    let lang = aspk_i18n::Lang::parse(q.lang.as_deref().unwrap_or_default());
    response.failures = Some(
        picture
            .failures
            .into_iter()
            .map(|f| {
                let runbook = state.node.runbook(f.kind, f.venue.as_deref(), lang);
                FailureDto {
                    kind: f.kind,
                    title: runbook.title,
                    venue: f.venue,
                    since: f.since,
                    parts: f.parts,
                    steps: runbook.steps,
                    is_museums_own: runbook.is_museums_own,
                }
            })
            .collect(),
    );
    response.parts = Some(picture.parts.into_iter().map(Into::into).collect());
    let (_, is_store_stalled) = state.node.writer_stats();
    let origin = state.node.origin().to_owned();
    let scope = state.node.scope();
    let digest_of = q.venue.or_else(|| scope.clone());
    let summary = state.node.log_summary(digest_of.as_deref());
    let (ops_in_log, digest) = (summary.op_count, summary.digest);
    let leases = summary
        .leases
        .into_iter()
        .map(|l| LeaseDto {
            slot: l.slot,
            left: l.left,
            starts_at: l.starts_at,
        })
        .collect::<Vec<_>>();
    response.origin = Some(origin);
    response.ops_in_log = Some(ops_in_log);
    response.is_store_stalled = Some(is_store_stalled);
    response.digest = Some(digest);
    response.scope = scope;
    response.leases = Some(leases);
    response.started = Some(StartedDto {
        from_snapshot: state.node.start_info().from_snapshot,
        ops_folded: state.node.start_info().folded,
    });
    response.trust_anchors = Some(state.node.trust_anchor_count());
    response.signing_key = Some(SigningKeyDto {
        key_id: state.node.ticket_key_id(),
        valid_until: state.node.own_key().and_then(|k| k.valid_until),
    });
    Ok(Json(response))
}

/// Conflicts found when reconciling what happened in different places: each once, with
/// every fact, on every replica alike.
#[utoipa::path(get, path = "/api/v1/findings", tag = "system", params(FindingsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<FindingDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn findings(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiQuery(q): ApiQuery<FindingsQuery>,
) -> Result<Json<Vec<FindingDto>>, ApiError> {
    who.require_to(aspk_app::Action::ReadFindings)?;
    let want_open = q.status.map(|s| s == FindingStatus::Open);
    let list = state
        .node
        .findings(&who, want_open)?
        .into_iter()
        .map(|f| FindingDto::of(&f))
        .collect::<Vec<_>>();
    Ok(Json(list))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ResolveRequest {
    pub action: ResolveAction,
    /// Why: not blank, at most 980 characters.
    #[schema(
        max_length = 980,
        pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub reason: String,
}

/// What was done about a finding.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolveAction {
    Accept,
    Refund,
    Charge,
    WriteOff,
}

impl ResolveAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Refund => "refund",
            Self::Charge => "charge",
            Self::WriteOff => "write_off",
        }
    }
}

/// Record what was done about a finding, with the reason (manager or admin): the finding,
/// resolved, with who and when.
#[utoipa::path(post, path = "/api/v1/findings/{id}/resolve", tag = "system", request_body = ResolveRequest, params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = FindingDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn resolve(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> Result<Json<FindingDto>, ApiError> {
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 980 {
        return Err(
            aspk_app::AppError::invalid("reason", "say why, in at most 980 characters").into(),
        );
    }
    let note = format!("{}: {reason}", req.action.as_str());
    state.node.resolve_finding(&who, &id, &note).await?;
    let resolved = state
        .node
        .findings(&who, None)?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| aspk_app::AppError::NotFound {
            what: "finding",
            id: id.clone(),
        })?;
    Ok(Json(FindingDto::of(&resolved)))
}

/// 200 when the store answers.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, content_type = "text/plain", body = String, example = "ok"), (status = 503, body = Problem)))]
pub async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.node.store().ping().await.map(|()| "ok").map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::Unavailable,
            e.to_string(),
        )
    })
}
