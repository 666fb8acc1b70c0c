//! The live list of orders: search by number (a typo is corrected through the check
//! digit), e-mail and day, filter by channel and status; new orders stream in by
//! server-sent events (see /static/orders.js) with a visible and optional audible cue.

use std::convert::Infallible;
use std::time::Duration;

use aspk_app::OrderQuery;
use aspk_domain::{Order, OrderStatus};
use aspk_ticket::HumanNumber;
use axum::extract::Query;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{escape, Page};

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
    let venue = page
        .state
        .node
        .read(|s| s.venues.get(&order.venue).cloned());
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

fn row_html(r: &OrderRow) -> String {
    format!(
        "<tr data-number=\"{n}\"><td><a href=\"{href}\" class=\"number\">{n}</a></td><td>{created}</td><td>{channel}</td><td>{email}</td><td class=\"num\">{tickets}</td><td class=\"num\">{total}</td><td class=\"status-{sk}\">{status}</td></tr>",
        n = escape(&r.number),
        href = escape(&r.href),
        created = escape(&r.created),
        channel = escape(&r.channel),
        email = escape(&r.email),
        tickets = r.tickets,
        total = escape(&r.total),
        sk = r.status_key,
        status = escape(&r.status),
    )
}

fn select(page: &Page, name: &str, current: &str, options: &[&str], prefix: &str) -> String {
    let mut html = format!(
        "<select id=\"{name}\" name=\"{name}\"><option value=\"\">{}</option>",
        page.e("filter-any")
    );
    for option in options {
        let selected = if *option == current { " selected" } else { "" };
        html.push_str(&format!(
            "<option value=\"{option}\"{selected}>{}</option>",
            page.e(&format!("{prefix}{option}"))
        ));
    }
    html.push_str("</select>");
    html
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
    let rows: String = hits
        .orders
        .iter()
        .map(|o| row_html(&row(&page, o)))
        .collect();
    let corrected = if hits.corrected && !hits.orders.is_empty() {
        format!(
            "<p class=\"note\" id=\"corrected\">{}</p>",
            page.e("orders-corrected")
        )
    } else {
        String::new()
    };
    let empty = if hits.orders.is_empty() {
        format!("<p id=\"no-orders\">{}</p>", page.e("orders-none"))
    } else {
        String::new()
    };
    let filtered = !(q.q.is_empty() && q.day.is_empty());
    let body = format!(
        "<form method=\"get\" action=\"/orders\" class=\"filters\" role=\"search\">\
         <label for=\"q\">{search_l}</label><input id=\"q\" name=\"q\" value=\"{qv}\" placeholder=\"{search_ph}\" autofocus>\
         <label for=\"channel\">{channel_l}</label>{channel}\
         <label for=\"status\">{status_l}</label>{status}\
         <label for=\"day\">{day_l}</label><input id=\"day\" name=\"day\" type=\"date\" value=\"{day}\">\
         <button type=\"submit\">{find_l}</button></form>\
         <p class=\"live\"><span id=\"live-state\" data-live=\"{live}\">{live_l}</span> \
         <label class=\"check\"><input type=\"checkbox\" id=\"sound\"> {sound_l}</label></p>{corrected}\
         <table id=\"orders\" data-channel=\"{chv}\" data-status=\"{stv}\"><thead><tr><th>{number_l}</th><th>{time_l}</th><th>{channel_l}</th><th>{email_l}</th><th>{tickets_l}</th><th>{total_l}</th><th>{status_l}</th></tr></thead>\
         <tbody>{rows}</tbody></table>{empty}<script type=\"module\" src=\"/static/orders.js\"></script>",
        search_l = page.e("orders-search"),
        search_ph = page.e("orders-search-hint"),
        qv = escape(&q.q),
        channel_l = page.e("orders-channel"),
        channel = select(&page, "channel", &q.channel, &["box_office", "online", "paper"], "channel-"),
        status_l = page.e("orders-status"),
        status = select(&page, "status", &q.status, &["paid", "cancelled", "refunded"], "order-status-"),
        day_l = page.e("orders-day"),
        day = escape(&q.day),
        find_l = page.e("orders-find"),
        live = !filtered,
        live_l = page.e(if filtered { "orders-live-paused" } else { "orders-live" }),
        sound_l = page.e("orders-sound"),
        chv = escape(&q.channel),
        stv = escape(&q.status),
        number_l = page.e("orders-number"),
        time_l = page.e("orders-time"),
        email_l = page.e("orders-email"),
        tickets_l = page.e("report-tickets"),
        total_l = page.e("box-total"),
    );
    page.html(&page.t("nav-orders"), &body)
}

/// New orders as they are committed: one `order` event per order, oldest first.
pub async fn events(page: Page) -> Response {
    if let Err(refused) = page.require_section("/orders") {
        return *refused;
    }
    let start = page
        .state
        .node
        .read(|s| s.orders_by_time.last())
        .unwrap_or((DateTime::<Utc>::MIN_UTC, 0));
    let commits = page.state.node.watch_commits();
    let stream = futures_util::stream::unfold(
        (page, start, commits),
        |(page, mut last, mut commits)| async move {
            loop {
                // Marked seen before reading, so a commit after the read wakes the wait below.
                commits.borrow_and_update();
                let fresh: Vec<Order> = page.state.node.read(|s| {
                    s.orders_by_time
                        .after(last)
                        .take(100)
                        .filter_map(|(_, n)| s.orders.get(&n))
                        .collect()
                });
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
