use aspk_app::NewSlot;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::dto::{CatalogQuery, CatalogResponse, ProductDto, SlotDto, SlotRequest, VenueDto};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Staff};
use crate::{ApiError, AppState};

/// Products on sale and the slots of one day, with seats available.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog", params(CatalogQuery),
    responses((status = 200, body = CatalogResponse), (status = 404, body = Problem)))]
pub async fn catalog(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CatalogQuery>,
) -> Result<Json<CatalogResponse>, ApiError> {
    let view = state.node.catalog(&q.venue, q.date)?;
    let lang = aspk_i18n::Lang::parse(q.lang.as_deref().unwrap_or("uk")).code();
    let venue = &view.venue;
    Ok(Json(CatalogResponse {
        venue: VenueDto {
            id: venue.id.to_string(),
            name: venue.name.get(lang).to_owned(),
            time_zone: venue.time_zone.clone(),
            currency: venue.currency.as_str().to_owned(),
        },
        date: view.date,
        products: view
            .products
            .iter()
            .map(|p| ProductDto::new(p, lang))
            .collect(),
        slots: view
            .slots
            .iter()
            .map(|s| SlotDto::new(s, Some(venue)))
            .collect(),
    }))
}

/// Add a timed-entry slot (admin or manager).
#[utoipa::path(post, path = "/api/v1/venues/{venue}/slots", tag = "catalog", request_body = SlotRequest,
    params(("venue" = String, Path, description = "venue id")), security(("bearer" = [])),
    responses((status = 201, body = SlotDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_slot(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(venue): ApiPath<String>,
    ApiJson(req): ApiJson<SlotRequest>,
) -> Result<(StatusCode, Json<SlotDto>), ApiError> {
    let new = NewSlot {
        starts_at: req.starts_at.to_utc(),
        ends_at: req.ends_at.to_utc(),
        capacity: req.capacity,
    };
    let slot = state.node.create_slot(&who, &venue, new).await?;
    let v = state.node.read(|s| s.venues.get(&slot.slot.venue).cloned());
    Ok((StatusCode::CREATED, Json(SlotDto::new(&slot, v.as_ref()))))
}
