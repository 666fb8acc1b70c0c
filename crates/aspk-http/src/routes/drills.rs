//! Drills (managers): start a rehearsed outage at a venue, review what was done in it, and
//! end it, keeping it for review or undoing it as a whole.

use std::collections::BTreeMap;

use aspk_oplog::Drill;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::dto::FindingDto;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Staff};
use crate::{ApiError, AppState};

#[derive(Deserialize, ToSchema)]
pub struct DrillRequest {
    pub venue: String,
    /// What is rehearsed, e.g. "Power cut, box office 1".
    pub name: String,
}

/// `running`, or `undone` once ended (everything in it taken back). `ended` is a drill a
/// node ended without taking it back (no node of this version does).
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum DrillStatus {
    Running,
    Ended,
    Undone,
}

#[derive(Serialize, ToSchema)]
pub struct DrillDto {
    pub id: String,
    pub venue: String,
    pub name: String,
    pub status: DrillStatus,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by: Option<String>,
}

pub fn drill_status(d: &Drill) -> DrillStatus {
    match (d.is_running(), d.is_undone()) {
        (_, true) => DrillStatus::Undone,
        (true, false) => DrillStatus::Running,
        (false, false) => DrillStatus::Ended,
    }
}

impl DrillDto {
    fn of(d: &Drill) -> Self {
        DrillDto {
            id: d.id.clone(),
            venue: d.venue.to_string(),
            name: d.name.clone(),
            status: drill_status(d),
            started_at: d.started_at,
            started_by: d.started_by.clone(),
            ended_at: d.ended_at,
            ended_by: d.ended_by.clone(),
            undone_at: d.undone_at,
            undone_by: d.undone_by.clone(),
        }
    }
}

/// What was done in a drill.
#[derive(Serialize, ToSchema)]
pub struct DrillReviewDto {
    pub drill: DrillDto,
    pub orders: u32,
    pub paper_orders: u32,
    pub tickets: u32,
    /// Tickets admitted at least once.
    pub admitted: u32,
    /// Takings by payment method, in minor units (none of it is in any report).
    pub takings: BTreeMap<String, i64>,
    pub currency: Option<String>,
    /// Stock batches made for the drill: ids.
    pub batches: Vec<String>,
    pub findings: Vec<FindingDto>,
    pub first_sale: Option<DateTime<Utc>>,
    pub last_sale: Option<DateTime<Utc>>,
}

/// Start a drill at a venue (manager or admin). Until it ends, the venue's box-office and
/// paper sales, new stock batches and imports are the drill's: marked, in no report.
#[utoipa::path(post, path = "/api/v1/drills", tag = "drills", request_body = DrillRequest, security(("bearer" = [])),
    responses((status = 201, body = DrillDto), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, description = "no such venue", body = Problem),
        (status = 409, description = "`drill_running`: a drill runs at the venue already", body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn start_drill(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiJson(req): ApiJson<DrillRequest>,
) -> Result<(StatusCode, Json<DrillDto>), ApiError> {
    let drill = state.node.start_drill(&who, &req.venue, &req.name).await?;
    Ok((StatusCode::CREATED, Json(DrillDto::of(&drill))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillsQuery {
    pub venue: Option<String>,
}

/// Every drill, newest first (manager or admin).
#[utoipa::path(get, path = "/api/v1/drills", tag = "drills", params(DrillsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<DrillDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_drills(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiQuery(q): ApiQuery<DrillsQuery>,
) -> Result<Json<Vec<DrillDto>>, ApiError> {
    let all = state.node.drills(&who, q.venue.as_deref())?;
    Ok(Json(all.iter().map(DrillDto::of).collect()))
}

/// What was done in a drill (manager or admin).
#[utoipa::path(get, path = "/api/v1/drills/{id}", tag = "drills", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = DrillReviewDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn drill_review(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DrillReviewDto>, ApiError> {
    let r = state.node.drill_review(&who, &id)?;
    Ok(Json(DrillReviewDto {
        drill: DrillDto::of(&r.drill),
        orders: r.orders,
        paper_orders: r.paper_orders,
        tickets: r.tickets,
        admitted: r.admitted,
        takings: r.takings,
        currency: r.currency.map(|c| c.as_str().to_owned()),
        batches: r.batches.into_iter().map(|(id, _)| id).collect(),
        findings: r.findings.iter().map(FindingDto::of).collect(),
        first_sale: r.first_sale,
        last_sale: r.last_sale,
    }))
}

/// End a drill (manager or admin), taking back everything done in it as a whole: its orders
/// are cancelled (their tickets refused at every gate and phone), its stock is voided, its
/// seats go back on sale. Its review stays.
#[utoipa::path(post, path = "/api/v1/drills/{id}/end", tag = "drills", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = DrillDto), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`drill_over`: it has ended already", body = Problem)))]
pub async fn end_drill(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DrillDto>, ApiError> {
    let drill = state.node.end_drill(&who, &id).await?;
    Ok(Json(DrillDto::of(&drill)))
}
