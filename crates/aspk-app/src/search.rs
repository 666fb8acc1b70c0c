//! Finding orders: by order or ticket number (a mistyped digit or two swapped neighbours
//! are found through the check digit), by e-mail, by day, channel and status.

use aspk_domain::{Channel, Order, OrderStatus};
use aspk_oplog::State;
use aspk_ticket::{verhoeff_is_valid, HumanNumber};
use chrono::NaiveDate;

use crate::access::Action;
use crate::catalog::local_day_bounds;
use crate::{AppError, Node, Principal};

#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// An order or ticket number, or part of an e-mail address or of the visitor's name.
    pub text: String,
    pub channel: Option<Channel>,
    pub status: Option<OrderStatus>,
    /// The venue-local day the order was placed.
    pub day: Option<NaiveDate>,
    pub limit: usize,
}

/// What a search found: the orders, newest first, and whether the number was corrected.
#[derive(Debug, Clone, Default)]
pub struct OrderHits {
    pub orders: Vec<Order>,
    /// The number as typed was not valid; these are the orders of the valid numbers one
    /// typo away from it.
    pub corrected: bool,
}

/// Numbers one typo away from `digits` (one digit changed, or two neighbours swapped)
/// that pass the check digit.
pub fn typo_candidates(digits: &str) -> Vec<u64> {
    let bytes = digits.as_bytes();
    let mut out = Vec::new();
    let mut consider = |candidate: Vec<u8>| {
        let text = String::from_utf8(candidate).unwrap_or_default();
        if verhoeff_is_valid(&text) {
            if let Ok(n) = HumanNumber::parse(&text) {
                out.push(n.serial());
            }
        }
    };
    for i in 0..bytes.len() {
        for d in b'0'..=b'9' {
            if d != bytes[i] {
                let mut c = bytes.to_vec();
                c[i] = d;
                consider(c);
            }
        }
        if i + 1 < bytes.len() && bytes[i] != bytes[i + 1] {
            let mut c = bytes.to_vec();
            c.swap(i, i + 1);
            consider(c);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The order a number names: an order number, or the number of one of its tickets.
fn order_for_serial(state: &State, serial: u64) -> Option<Order> {
    state.orders().get(&serial).or_else(|| {
        state
            .tickets()
            .order_of(&serial)
            .and_then(|order| state.orders().get(&order))
    })
}

impl OrderQuery {
    fn keeps(&self, state: &State, order: &Order) -> bool {
        if self.channel.is_some_and(|c| c != order.channel)
            || self.status.is_some_and(|s| s != order.status)
        {
            return false;
        }
        match (self.day, state.venues().get(&order.venue)) {
            (Some(day), Some(venue)) => {
                let (from, until) = local_day_bounds(venue, day);
                (from..until).contains(&order.created_at)
            }
            _ => true,
        }
    }
}

impl Node {
    /// The (time, number) of the newest order: where a live list of new orders starts.
    pub fn newest_order(&self) -> Option<(chrono::DateTime<chrono::Utc>, u64)> {
        self.read(|s| s.orders_by_time().last())
    }

    /// Up to `limit` orders placed after `after` (time, number), oldest first: what a live
    /// list of new orders adds.
    pub fn orders_after(
        &self,
        who: &Principal,
        after: (chrono::DateTime<chrono::Utc>, u64),
        limit: usize,
    ) -> Result<Vec<Order>, AppError> {
        who.require_to(Action::LookUpOrders)?;
        Ok(self.read(|s| {
            s.orders_by_time()
                .after(after)
                .take(limit)
                .filter_map(|(_, n)| s.orders().get(&n))
                .collect()
        }))
    }

    /// Orders matching `query`, newest first. Staff who sell or manage only.
    pub fn find_orders(&self, who: &Principal, query: &OrderQuery) -> Result<OrderHits, AppError> {
        who.require_to(Action::LookUpOrders)?;
        let limit = query.limit.clamp(1, 500);
        let text = query.text.trim();
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        Ok(self.read(|state| {
            if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                return by_number(state, &digits, query);
            }
            let needle = text.to_lowercase();
            let orders = state
                .orders_by_time()
                .iter()
                .rev()
                .filter(|(_, n)| {
                    let (email, name) = state.orders().contact(n);
                    needle.is_empty()
                        || email.is_some_and(|e| e.as_str().to_lowercase().contains(&needle))
                        || name.is_some_and(|n| n.to_lowercase().contains(&needle))
                })
                .filter_map(|(_, n)| state.orders().get(&n))
                .filter(|o| query.keeps(state, o))
                .take(limit)
                .collect();
            OrderHits {
                orders,
                corrected: false,
            }
        }))
    }
}

fn by_number(state: &State, digits: &str, query: &OrderQuery) -> OrderHits {
    let exact = HumanNumber::parse(digits)
        .ok()
        .and_then(|n| order_for_serial(state, n.serial()));
    let (mut orders, corrected): (Vec<Order>, bool) = match exact {
        Some(order) => (vec![order], false),
        None if digits.len() == aspk_ticket::HUMAN_NUMBER_LEN => {
            let found = typo_candidates(digits)
                .into_iter()
                .filter_map(|s| order_for_serial(state, s))
                .collect();
            (found, true)
        }
        None => (Vec::new(), false),
    };
    orders.retain(|o| query.keeps(state, o));
    orders.sort_by_key(|o| std::cmp::Reverse(o.created_at));
    orders.dedup_by_key(|o| o.number);
    OrderHits { orders, corrected }
}
