use aspk_app::{AppError, NewSlot};
use aspk_domain::{Currency, Product, ProductValidity, Slug, Venue};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::dto::{
    CatalogQuery, CatalogResponse, ProductDto, ProductRequest, SlotDto, SlotRequest, VenueDto,
    VenueRequest,
};
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
    let lang = q.lang.unwrap_or_default().code();
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
            .map(|s| SlotDto::new(s, Some(venue), state.node.seats_for_sale(s)))
            .collect(),
    }))
}

/// Add a timed-entry slot (admin or manager).
#[utoipa::path(post, path = "/api/v1/venues/{venue}/slots", tag = "catalog", request_body = SlotRequest,
    params(("venue" = String, Path, description = "venue id")), security(("bearer" = [])),
    responses((status = 201, body = SlotDto), (status = 403, body = Problem), (status = 404, description = "`not_found`: no such venue", body = Problem),
        (status = 409, description = "`not_authority`: slots are created at the cloud", body = Problem), (status = 422, body = Problem)))]
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
    let v = state.node.venue(slot.slot.venue.as_str());
    Ok((
        StatusCode::CREATED,
        Json(SlotDto::new(
            &slot,
            v.as_ref(),
            state.node.seats_for_sale(&slot),
        )),
    ))
}

/// Create or replace a venue (admin).
#[utoipa::path(post, path = "/api/v1/venues", tag = "catalog", request_body = VenueRequest, security(("bearer" = [])),
    responses((status = 201, body = VenueDto), (status = 403, body = Problem),
        (status = 409, description = "`not_authority`: venues are changed at the cloud", body = Problem), (status = 422, body = Problem)))]
pub async fn save_venue(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiJson(req): ApiJson<VenueRequest>,
) -> Result<(StatusCode, Json<VenueDto>), ApiError> {
    let id = Slug::parse("id", &req.id)?;
    // The shop's settings are kept: this call does not carry them.
    let shop = state
        .node
        .venue(id.as_str())
        .map(|v| v.shop)
        .unwrap_or_default();
    let venue = Venue {
        id,
        no: 0,
        name: req.name.into(),
        time_zone: req.time_zone,
        currency: Currency::parse(&req.currency)?,
        early_entry_minutes: req.early_entry_minutes,
        shop,
    };
    let saved = state.node.save_venue(&who, venue).await?;
    Ok((
        StatusCode::CREATED,
        Json(VenueDto {
            id: saved.id.to_string(),
            name: saved.name.uk.clone(),
            time_zone: saved.time_zone.clone(),
            currency: saved.currency.as_str().to_owned(),
        }),
    ))
}

/// Create or replace a product of a venue (admin or manager).
#[utoipa::path(post, path = "/api/v1/venues/{venue}/products", tag = "catalog", request_body = ProductRequest,
    params(("venue" = String, Path, description = "venue id")), security(("bearer" = [])),
    responses((status = 201, body = ProductDto), (status = 403, body = Problem), (status = 404, description = "`not_found`: no such venue", body = Problem),
        (status = 409, description = "`not_authority`: products are changed at the cloud", body = Problem), (status = 422, body = Problem)))]
pub async fn save_product(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(venue): ApiPath<String>,
    ApiJson(req): ApiJson<ProductRequest>,
) -> Result<(StatusCode, Json<ProductDto>), ApiError> {
    let validity = match (req.valid_from, req.valid_until) {
        (None, None) => ProductValidity::Timed,
        (Some(first), Some(last)) => ProductValidity::OpenDate { first, last },
        _ => {
            return Err(AppError::invalid(
                "valid_until",
                "give both valid_from and valid_until, or neither",
            )
            .into())
        }
    };
    let venue_id = Slug::parse("venue", &venue).map_err(|_| AppError::NotFound {
        what: "venue",
        id: venue.clone(),
    })?;
    let product = Product {
        venue: venue_id,
        id: Slug::parse("id", &req.id)?,
        no: 0,
        name: req.name.into(),
        category: req.category,
        price_minor: req.price_minor,
        currency: Currency::UAH,
        document: req.document.map(Into::into),
        validity,
        is_on_sale: req.is_on_sale,
        shortcut: None,
    };
    let saved = state.node.save_product(&who, product).await?;
    Ok((StatusCode::CREATED, Json(ProductDto::new(&saved, "uk"))))
}
