use aspk_app::{AppError, CancelRequest, NewOrder, NewOrderItem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::dto::{CancelRequestDto, OrderRequest, OrderResponse};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery, MaybeStaff, Staff};
use crate::{ApiError, AppState};

/// Place an order. All items are issued or none: 409 `sold_out` when a slot is short.
/// Box-office orders need a cashier, manager or admin, and are paid at once. A caller
/// without a staff credential may only place an online order, which is a hold: `status`
/// `pending_payment`, `hold_expires_at`, `payment_url`, and tickets without `code` until the
/// payment provider confirms the payment.
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
    extensions: axum::http::Extensions,
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
    if who.is_none() && new.channel == aspk_domain::Channel::Online {
        let client = crate::payments::client_of(&extensions);
        return hold(&state, client, &headers, new).await;
    }
    let placed = state.node.place_order(who.as_ref(), new).await?;
    if placed.order.email.is_some() && !placed.is_replay {
        // A paid order with an e-mail gets its e-tickets by e-mail.
        let actor = who
            .as_ref()
            .map_or_else(|| "system".to_owned(), |w| w.actor());
        let lang = accept_lang(&headers);
        let number = placed.order.number;
        if let Err(e) = state
            .node
            .queue_tickets_mail(number, None, lang, &actor)
            .await
        {
            tracing::error!(order = number, error = %e, "e-tickets not queued");
        }
    }
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

/// A visitor's online order: seats held until it is paid through the payment provider.
async fn hold(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    new: NewOrder,
) -> Result<(StatusCode, Json<OrderResponse>), ApiError> {
    let lang = accept_lang(headers);
    let request = aspk_app::HoldRequest {
        order: new,
        provider: state.payments.default_provider().to_owned(),
        lang: lang.to_owned(),
        phone: None,
    };
    let held = crate::payments::hold_for_client(state, client, request).await?;
    let venue = state.node.venue(held.venue.as_str());
    let url = format!(
        "{}{}",
        state.payments.base_url(headers),
        crate::payments::order_page(state, held.venue.as_str(), held.number)
    );
    let body = OrderResponse::held(&held, venue.as_ref(), &slot_window(state), Some(url), false);
    Ok((StatusCode::CREATED, Json(body)))
}

/// `en` when the caller's `Accept-Language` prefers English, else `uk`.
fn accept_lang(headers: &axum::http::HeaderMap) -> &'static str {
    let first = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .unwrap_or("");
    match first.trim().to_ascii_lowercase().starts_with("en") {
        true => "en",
        false => "uk",
    }
}

/// A slot's window by id, for the tickets of a hold.
fn slot_window(state: &AppState) -> impl Fn(&str) -> Option<crate::dto::SlotWindow> + '_ {
    |id| {
        state
            .node
            .slot(id)
            .map(|s| (s.slot.starts_at, s.slot.ends_at))
    }
}

/// The order as `who` may see it (see [`aspk_app::Node::order_view`]); an online order
/// waiting for its payment as a hold.
async fn order_view(
    state: &AppState,
    who: Option<&aspk_app::Principal>,
    number: &str,
    email: Option<&str>,
) -> Result<OrderResponse, ApiError> {
    if let Some(held) = state.node.held_view(who, number, email, None) {
        let venue = state.node.venue(held.venue.as_str());
        return Ok(OrderResponse::held(
            &held,
            venue.as_ref(),
            &slot_window(state),
            None,
            who.is_some(),
        ));
    }
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
