use aspk_app::{AppError, CancelRequest, NewOrder, NewOrderItem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::dto::{CancelRequestDto, OrderRequest, OrderResponse};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery, MaybeStaff, Staff};
use crate::{ApiError, AppState};

/// Place an order. All items are issued or none: 409 `sold_out` when a slot is short.
/// Box-office orders need a cashier, manager or admin; online orders need no sign-in.
/// With an `Idempotency-Key` header, the same request again (a retry after a lost answer,
/// or at another node after a failover) answers 200 with the order the first one made.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = OrderRequest,
    security((), ("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[A-Za-z0-9_-]{1,64}$", description = "1 to 64 letters, digits, '-' or '_' naming this sale attempt")),
    responses((status = 201, body = OrderResponse, links(
            ("GetOrder" = (operation_id = "get", parameters(("number" = "$response.body#/number")))),
            ("CancelOrder" = (operation_id = "cancel", parameters(("number" = "$response.body#/number")))),
            ("TicketPdf" = (operation_id = "pdf", parameters(("number" = "$response.body#/tickets/0/number")))))),
        (status = 200, description = "the order an earlier request with the same Idempotency-Key made", body = OrderResponse), (status = 401, description = "a box-office order without a staff credential, or a credential that is not valid", body = Problem),
        (status = 403, description = "`forbidden`: the caller's role may not sell, or not overbook", body = Problem), (status = 404, description = "`not_found`: no such venue", body = Problem),
        (status = 409, description = "`sold_out`, `slot_over`, `not_on_sale` or `beyond_key`", body = Problem),
        (status = 422, description = "`invalid_input`, or `unknown_reference`: no such product or slot", body = Problem)))]
pub async fn place(
    State(state): State<AppState>,
    MaybeStaff(who): MaybeStaff,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<OrderRequest>,
) -> Result<(StatusCode, Json<OrderResponse>), ApiError> {
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(v.to_str().map(str::to_owned).map_err(|_| {
            AppError::invalid(
                "idempotency_key",
                "must be 1 to 64 letters, digits, '-' or '_'",
            )
        })?),
    };
    let new = NewOrder {
        venue: req.venue,
        channel: req.channel.into(),
        items: req
            .items
            .into_iter()
            .map(|i| NewOrderItem {
                product: i.product,
                slot: i.slot,
                quantity: i.quantity,
            })
            .collect(),
        payment: req.payment.method,
        email: req.email.filter(|e| !e.trim().is_empty()),
        is_overbooking: req.overbook,
        mixed_cash_minor: None,
        cash_received_minor: None,
        name: req.name.filter(|n| !n.trim().is_empty()),
        idempotency_key,
    };
    let placed = state.node.place_order(who.as_ref(), new).await?;
    let venue = state.node.venue(placed.order.venue.as_str());
    let body = OrderResponse::new(
        &placed.order,
        &placed.tickets,
        &placed.codes,
        venue.as_ref(),
        who.is_some(),
    );
    let status = match placed.is_replay {
        true => StatusCode::OK,
        false => StatusCode::CREATED,
    };
    Ok((status, Json(body)))
}

/// The order as `who` may see it (see [`aspk_app::Node::order_view`]).
async fn order_view(
    state: &AppState,
    who: Option<&aspk_app::Principal>,
    number: &str,
    email: Option<&str>,
) -> Result<OrderResponse, ApiError> {
    let view = state.node.order_view(who, number, email).await?;
    Ok(OrderResponse::new(
        &view.order,
        &view.tickets,
        &view.codes,
        view.venue.as_ref(),
        who.is_some(),
    ))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderLookupQuery {
    /// The e-mail the order was placed with (any case): needed without a staff credential.
    pub email: Option<String>,
}

/// An order with its tickets, payments and entries. Staff (any role) may read any order.
/// Anyone else must give the order's `email` as well as its number, and gets 404, as for
/// an unknown number, when it does not match or the order has no e-mail; the e-mail and
/// the seller are left out for them.
#[utoipa::path(get, path = "/api/v1/orders/{number}", tag = "orders",
    params(("number" = String, Path, description = "order number, digits with check digit"), OrderLookupQuery),
    security((), ("bearer" = [])),
    responses((status = 200, body = OrderResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    MaybeStaff(who): MaybeStaff,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<OrderLookupQuery>,
) -> Result<Json<OrderResponse>, ApiError> {
    let view = order_view(&state, who.as_ref(), &number, q.email.as_deref()).await?;
    Ok(Json(view))
}

/// Cancel a whole order: its tickets become void and their seats return.
#[utoipa::path(post, path = "/api/v1/orders/{number}/cancel", tag = "orders", request_body = Option<CancelRequestDto>,
    params(("number" = String, Path, description = "order number")), security(("bearer" = [])),
    responses((status = 200, body = OrderResponse), (status = 404, body = Problem), (status = 409, body = Problem), (status = 403, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    Staff(who): Staff,
    ApiPath(number): ApiPath<String>,
    body: axum::body::Bytes,
) -> Result<Json<OrderResponse>, ApiError> {
    // No body, or `null`, is no reason and no refund.
    let req: CancelRequestDto = super::optional_object(&body)?;
    state
        .node
        .cancel_order(
            &who,
            &number,
            CancelRequest {
                reason: req.reason,
                refund: req.refund,
            },
        )
        .await?;
    Ok(Json(order_view(&state, Some(&who), &number, None).await?))
}
