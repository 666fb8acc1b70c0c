//! The live list of orders: search by number (a typo is corrected through the check
//! digit), e-mail and day, filter by channel and status; new orders stream in by
//! server-sent events (see /static/orders.js) with a visible and optional audible cue.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use aspk_app::OrderQuery;
use aspk_domain::{Order, OrderStatus};
use aspk_ticket::HumanNumber;
use axum::extract::Query;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::Page;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    day: String,
}

fn parse_status(raw: &str) -> Option<OrderStatus> {
    match raw {
        "paid" => Some(OrderStatus::Paid),
        "cancelled" => Some(OrderStatus::Cancelled),
        "refunded" => Some(OrderStatus::Refunded),
        _ => None,
    }
}

/// One row of the list, as the page and the event stream show it.
#[derive(Serialize)]
pub struct OrderRow {
    number: String,
    href: String,
    created: String,
    channel: String,
    email: String,
    tickets: usize,
    total: String,
    status: String,
    status_key: &'static str,
}

fn row(page: &Page, order: &Order) -> OrderRow {
    let venue = page.state.node.venue(order.venue.as_str());
    let channel = order.channel.as_str();
    let status = order.status.as_str();
    OrderRow {
        number: HumanNumber::from_serial(order.number).to_string(),
        href: format!("/orders/{}", order.number),
        created: page.time(order.created_at, venue.as_ref()),
        channel: page.t(&format!("channel-{channel}")),
        email: [
            order.name.clone().unwrap_or_default(),
            order
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" · "),
        tickets: order.tickets.len(),
        total: page.money(order.total_minor, order.currency),
        status: page.t(&format!("order-status-{status}")),
        status_key: status,
    }
}

/// The list page: the search form, the live state and the rows found.
#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersView<'a> {
    page: &'a Page,
    title: String,
    q: &'a ListQuery,
    channels: Vec<Choice>,
    statuses: Vec<Choice>,
    /// New orders stream in (nothing is searched for).
    live: bool,
    /// The number searched for was corrected through its check digit.
    corrected: bool,
    rows: Vec<OrderRow>,
}

/// One option of a filter.
struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

fn choices(page: &Page, current: &str, options: &[&'static str], prefix: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|option| Choice {
            value: option,
            label: page.t(&format!("{prefix}{option}")),
            selected: *option == current,
        })
        .collect()
}

pub async fn list(page: Page, Query(q): Query<ListQuery>) -> Response {
    if let Err(refused) = page.require_section("/orders") {
        return *refused;
    }
    let query = OrderQuery {
        text: q.q.clone(),
        channel: q.channel.parse().ok(),
        status: parse_status(&q.status),
        day: q.day.parse::<NaiveDate>().ok(),
        limit: 200,
    };
    let hits = match page.state.node.find_orders(&page.who, &query) {
        Ok(h) => h,
        Err(e) => return page.error(e),
    };
    let rows: Vec<OrderRow> = hits.orders.iter().map(|o| row(&page, o)).collect();
    let view = OrdersView {
        page: &page,
        title: page.t("nav-orders"),
        channels: choices(
            &page,
            &q.channel,
            &["box_office", "online", "paper"],
            "channel-",
        ),
        statuses: choices(
            &page,
            &q.status,
            &["paid", "cancelled", "refunded"],
            "order-status-",
        ),
        live: q.q.is_empty() && q.day.is_empty(),
        corrected: hits.corrected && !rows.is_empty(),
        rows,
        q: &q,
    };
    page.render(&view)
}

/// New orders as they are committed: one `order` event per order, oldest first.
pub async fn events(page: Page) -> Response {
    if let Err(refused) = page.require_section("/orders") {
        return *refused;
    }
    let start = page
        .state
        .node
        .newest_order()
        .unwrap_or((DateTime::<Utc>::MIN_UTC, 0));
    let commits = page.state.node.watch_commits();
    let stream = futures_util::stream::unfold(
        (page, start, commits),
        |(page, mut last, mut commits)| async move {
            loop {
                // Marked seen before reading, so a commit after the read wakes the wait below.
                commits.borrow_and_update();
                let fresh: Vec<Order> = page
                    .state
                    .node
                    .orders_after(&page.who, last, 100)
                    .unwrap_or_default();
                if let Some(newest) = fresh.last() {
                    last = (newest.created_at, newest.number);
                    let rows: Vec<OrderRow> = fresh.iter().map(|o| row(&page, o)).collect();
                    let event = Event::default()
                        .event("orders")
                        .json_data(&rows)
                        .unwrap_or_else(|_| Event::default().comment("unserialisable"));
                    return Some((Ok::<_, Infallible>(event), (page, last, commits)));
                }
                // Woken by the next commit; the timeout is a safety net.
                let _ = tokio::time::timeout(Duration::from_secs(5), commits.changed()).await;
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
