//! Orders held compactly, like tickets: a 64-byte record per order (the common box-office
//! order: one payment of the whole total, a run of ticket serials, no e-mail) and the
//! rest aside. Each record
//! remembers the op that placed the order, where the tickets' codes stay.

use std::collections::HashMap;

use aspk_domain::{Channel, Currency, Email, Order, OrderStatus, Payment, PaymentMethod, Slug};
use bytemuck::{Pod, Zeroable};
use serde::{Deserialize, Serialize};

use super::names::Names;
use super::paged::PagedMap;
use super::tickets::{from_micros, micros};

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct OrderRec {
    total_minor: i64,
    first_ticket: u64,
    created_at: i64,
    placed_seq: u64,
    /// The inline payment's time, in microseconds after `created_at`.
    pay_delta: i32,
    venue: u32,
    created_by: u32,
    shift: u32,
    placed_origin: u32,
    ticket_count: u16,
    currency: [u8; 3],
    channel: u8,
    status: u8,
    /// 0: the payments are in the extra part; else the method (+ 1) of the one payment,
    /// of the whole total.
    pay_method: u8,
    has_extra: u8,
    _pad: [u8; 3],
}

/// What does not fit the record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OrderExtra {
    email: Option<Email>,
    name: Option<String>,
    cancel_reason: Option<String>,
    cancelled_by: Option<(u64, String)>,
    payments: Vec<Payment>,
    /// Serials when they are not one run.
    tickets: Option<Vec<u64>>,
    #[serde(default)]
    drill: Option<String>,
}

impl OrderExtra {
    fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.name.is_none()
            && self.cancel_reason.is_none()
            && self.cancelled_by.is_none()
            && self.payments.is_empty()
            && self.tickets.is_none()
            && self.drill.is_none()
    }
}

/// Where the op that placed an order is: `(origin, seq)`.
pub type Placement = (String, u64);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrderTable {
    recs: PagedMap<OrderRec>,
    extras: HashMap<u64, OrderExtra>,
    names: Names,
}

fn channel_byte(c: Channel) -> u8 {
    match c {
        Channel::BoxOffice => 0,
        Channel::Online => 1,
        Channel::Paper => 2,
    }
}

fn channel_of(b: u8) -> Channel {
    match b {
        0 => Channel::BoxOffice,
        1 => Channel::Online,
        _ => Channel::Paper,
    }
}

fn status_byte(s: OrderStatus) -> u8 {
    match s {
        OrderStatus::Paid => 0,
        OrderStatus::Cancelled => 1,
        OrderStatus::Refunded => 2,
    }
}

fn status_of(b: u8) -> OrderStatus {
    match b {
        0 => OrderStatus::Paid,
        1 => OrderStatus::Cancelled,
        _ => OrderStatus::Refunded,
    }
}

fn method_byte(m: PaymentMethod) -> u8 {
    match m {
        PaymentMethod::Cash => 1,
        PaymentMethod::Card => 2,
        PaymentMethod::Other => 3,
    }
}

fn method_of(b: u8) -> Option<PaymentMethod> {
    match b {
        1 => Some(PaymentMethod::Cash),
        2 => Some(PaymentMethod::Card),
        3 => Some(PaymentMethod::Other),
        _ => None,
    }
}

/// Whether serials run `first, first + 1, …`.
fn is_run(serials: &[u64]) -> bool {
    serials
        .windows(2)
        .all(|w| w[0].checked_add(1) == Some(w[1]))
}

impl OrderTable {
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn contains_key(&self, number: &u64) -> bool {
        self.recs.contains_key(*number)
    }

    pub fn get(&self, number: &u64) -> Option<Order> {
        let rec = self.recs.get(*number)?;
        Some(self.build(*number, rec))
    }

    pub fn status(&self, number: &u64) -> Option<OrderStatus> {
        self.recs.get(*number).map(|r| status_of(r.status))
    }

    /// The visitor's e-mail and name, without building the order.
    pub fn contact(&self, number: &u64) -> (Option<&Email>, Option<&str>) {
        match self.extras.get(number) {
            Some(e) => (e.email.as_ref(), e.name.as_deref()),
            None => (None, None),
        }
    }

    /// The venue of order `number`, when this replica has it.
    pub fn venue_of(&self, number: &u64) -> Option<&str> {
        self.recs.get(*number).map(|rec| self.names.get(rec.venue))
    }

    /// Each order's number, status and payment count, for the state digest; only
    /// `venue`'s orders when one is named.
    pub(crate) fn digest_into(&self, out: &mut impl std::fmt::Write, venue: Option<&str>) {
        let only = venue.map(|v| self.names.find(v));
        for (number, rec) in self.recs.iter() {
            if only.is_some_and(|id| id != Some(rec.venue)) {
                continue;
            }
            let payments = match rec.pay_method {
                0 => self.extras.get(&number).map_or(0, |e| e.payments.len()),
                _ => 1,
            };
            let _ = writeln!(out, "o{number}:{:?}:{payments}", status_of(rec.status));
        }
    }

    /// Repacks the table (see [`PagedMap::compact`]).
    pub(crate) fn compact(&mut self) {
        self.recs.compact();
    }

    /// The op that placed the order (its tickets' codes are in it).
    pub fn placement(&self, number: &u64) -> Option<Placement> {
        let rec = self.recs.get(*number)?;
        Some((self.names.get(rec.placed_origin).to_owned(), rec.placed_seq))
    }

    /// Every order, by number.
    pub fn values(&self) -> impl Iterator<Item = Order> + '_ {
        self.recs.iter().map(|(n, rec)| self.build(n, rec))
    }

    fn build(&self, number: u64, rec: &OrderRec) -> Order {
        let extra = self.extras.get(&number);
        let tickets = match extra.and_then(|e| e.tickets.clone()) {
            Some(list) => list,
            None => (0..u64::from(rec.ticket_count))
                .map(|i| rec.first_ticket + i)
                .collect(),
        };
        let mut payments: Vec<Payment> = method_of(rec.pay_method)
            .map(|method| Payment {
                method,
                amount_minor: rec.total_minor,
                at: from_micros(rec.created_at + i64::from(rec.pay_delta)),
                shift: None,
                reference: None,
            })
            .into_iter()
            .collect();
        payments.extend(extra.map(|e| e.payments.clone()).unwrap_or_default());
        Order {
            number,
            venue: Slug::trusted(self.names.get(rec.venue)),
            channel: channel_of(rec.channel),
            email: extra.and_then(|e| e.email.clone()),
            tickets,
            payments,
            total_minor: rec.total_minor,
            currency: Currency::from_bytes(rec.currency),
            status: status_of(rec.status),
            created_at: from_micros(rec.created_at),
            created_by: self.names.opt(rec.created_by).map(str::to_owned),
            cancel_reason: extra.and_then(|e| e.cancel_reason.clone()),
            cancelled_by: extra.and_then(|e| e.cancelled_by.clone()),
            shift: self.names.opt(rec.shift).map(str::to_owned),
            name: extra.and_then(|e| e.name.clone()),
            drill: extra.and_then(|e| e.drill.clone()),
        }
    }

    /// Stores `order`, placed by the op at `placement`.
    pub(crate) fn put(&mut self, order: &Order, placement: (&str, u64)) {
        let mut extra = OrderExtra {
            email: order.email.clone(),
            name: order.name.clone(),
            cancel_reason: order.cancel_reason.clone(),
            cancelled_by: order.cancelled_by.clone(),
            drill: order.drill.clone(),
            ..OrderExtra::default()
        };
        let count = u16::try_from(order.tickets.len()).ok();
        let (first_ticket, ticket_count) = match (order.tickets.first(), count) {
            (Some(&first), Some(count)) if is_run(&order.tickets) => (first, count),
            _ => {
                extra.tickets = Some(order.tickets.clone());
                (0, 0)
            }
        };
        let created_at = micros(order.created_at);
        let inline = match order.payments.as_slice() {
            [only]
                if only.amount_minor == order.total_minor
                    && only.shift.is_none()
                    && only.reference.is_none() =>
            {
                i32::try_from(micros(only.at) - created_at)
                    .ok()
                    .map(|delta| (method_byte(only.method), delta))
            }
            _ => None,
        };
        let (pay_method, pay_delta) = inline.unwrap_or_else(|| {
            extra.payments = order.payments.clone();
            (0, 0)
        });
        let rec = OrderRec {
            total_minor: order.total_minor,
            first_ticket,
            created_at,
            placed_seq: placement.1,
            pay_delta,
            venue: self.names.id(order.venue.as_str()),
            created_by: self.names.opt_id(order.created_by.as_deref()),
            shift: self.names.opt_id(order.shift.as_deref()),
            placed_origin: self.names.id(placement.0),
            ticket_count,
            currency: order.currency.bytes(),
            channel: channel_byte(order.channel),
            status: status_byte(order.status),
            pay_method,
            has_extra: u8::from(!extra.is_empty()),
            _pad: [0; 3],
        };
        if extra.is_empty() {
            self.extras.remove(&order.number);
        } else {
            self.extras.insert(order.number, extra);
        }
        self.recs.insert(order.number, rec);
    }

    /// Changes an order in place; returns what `f` returned, or `None` if there is no order.
    pub(crate) fn update<R>(&mut self, number: u64, f: impl FnOnce(&mut Order) -> R) -> Option<R> {
        let mut order = self.get(&number)?;
        let placement = self.placement(&number)?;
        let out = f(&mut order);
        self.put(&order, (&placement.0, placement.1));
        Some(out)
    }
}
