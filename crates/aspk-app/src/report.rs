//! Managers' figures: sales by day, product, channel, payment method and cashier, and
//! attendance by slot (sold against entered), over a range of venue-local days.
//!
//! Every table shows gross (money received), refunds (money paid back) and net, and the
//! tables agree: each one's net total is the headline net. Sales count by the time the
//! order was placed, refunds by the time they were paid back (`Payment.at`), so a refund
//! made today of last week's order is in today's refunds.
//!
//! - Tickets are the tickets still valid or used: cancelled (void) tickets are not sold.
//!   Orders are the orders placed in the range that still hold such a ticket.
//! - By payment method: each positive payment counts its order under its method with its
//!   amount (a mixed payment counts its order under each of its methods, so the orders
//!   column may add up to more than the orders placed); the tickets of an order count under
//!   the method that received the most of it (the first such on a tie), so the tickets
//!   column adds up. Each refund payment counts under its own method.
//! - By ticket type: an order's money is split over its tickets by their prices, and each
//!   refund over the cancelled tickets it paid back (a refund equal to one cancelled
//!   ticket's price is that ticket's; otherwise the cancelled tickets are paid back in the
//!   order they were cancelled, then the rest).
//! - By cashier: sales under who sold, refunds under who paid them back (the cashier of
//!   the refund's shift), or under the seller when the refund names no shift.
//! - Refunds of used tickets (tickets that admitted someone) are also counted on their own.

use std::collections::{BTreeMap, HashMap};

use aspk_domain::{Category, Localized, Order, Payment, Ticket, TicketStatus, Venue};
use aspk_oplog::State;
use chrono::{DateTime, NaiveDate, Utc};

use crate::access::Action;
use crate::catalog::{local_day_bounds, venue_of};
use crate::{AppError, Node, Principal};

/// Longest range one report covers.
pub const MAX_REPORT_DAYS: i64 = 366;

/// Money and tickets of one row of a sales table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sales {
    pub orders: u32,
    pub tickets: u32,
    /// Gross: received (positive payments) for orders placed in the range.
    pub amount_minor: i64,
    /// Paid back in the range (a positive amount).
    pub refunds_minor: i64,
}

impl Sales {
    /// Gross minus refunds.
    pub fn net_minor(&self) -> i64 {
        self.amount_minor - self.refunds_minor
    }

    fn add(&mut self, row: &Sales) {
        self.orders += row.orders;
        self.tickets += row.tickets;
        self.amount_minor += row.amount_minor;
        self.refunds_minor += row.refunds_minor;
    }

    fn refund(refunds_minor: i64) -> Sales {
        Sales {
            refunds_minor,
            ..Sales::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSales {
    pub name: Localized,
    pub category: Category,
    pub sales: Sales,
}

/// Sold and entered for one slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotAttendance {
    pub slot: String,
    pub starts_at: DateTime<Utc>,
    pub capacity: u32,
    pub sold: u32,
    pub entered: u32,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub venue: Venue,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Sales,
    pub by_day: BTreeMap<NaiveDate, Sales>,
    pub by_product: Vec<ProductSales>,
    pub by_channel: BTreeMap<&'static str, Sales>,
    pub by_method: BTreeMap<&'static str, Sales>,
    pub by_cashier: BTreeMap<String, Sales>,
    /// Refunds in the range of tickets that had admitted someone: `orders` and `tickets`
    /// count the orders and tickets, `refunds_minor` the money paid back for them.
    pub used_refunds: Sales,
    pub attendance: Vec<SlotAttendance>,
    /// Decisions per gate (phones, turnstiles, API scans) in the range.
    pub by_gate: BTreeMap<String, aspk_oplog::GateCount>,
}

impl Report {
    /// The seller, in `by_cashier`, of orders placed by visitors themselves (online).
    pub const VISITOR: &'static str = "visitor";
}

impl Node {
    /// The report for `venue` over the venue-local days `from..=to` (managers and admins).
    pub fn report(
        &self,
        who: &Principal,
        venue: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Report, AppError> {
        who.require_to(Action::ReadReports)?;
        if to < from || (to - from).num_days() >= MAX_REPORT_DAYS {
            return Err(AppError::invalid(
                "to",
                format!("the range must run forwards and span at most {MAX_REPORT_DAYS} days"),
            ));
        }
        self.read(|state| {
            let venue = venue_of(state, venue)?.clone();
            Ok(build(state, venue, from, to))
        })
    }
}

/// One refund as it was paid back: its payments (one per method), the total and how it
/// splits over the order's tickets (index into the order's tickets, amount).
struct RefundEvent<'a> {
    at: DateTime<Utc>,
    payments: Vec<&'a Payment>,
    amount_minor: i64,
    parts: Vec<(usize, i64)>,
}

/// What the report gathers while it walks the orders.
struct Tally<'s> {
    state: &'s State,
    report: Report,
    products: BTreeMap<String, ProductSales>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn build(state: &State, venue: Venue, from: NaiveDate, to: NaiveDate) -> Report {
    let (start, _) = local_day_bounds(&venue, from);
    let (_, end) = local_day_bounds(&venue, to);
    let mut tally = Tally {
        state,
        report: Report {
            venue: venue.clone(),
            from,
            to,
            total: Sales::default(),
            by_day: BTreeMap::new(),
            by_product: Vec::new(),
            by_channel: BTreeMap::new(),
            by_method: BTreeMap::new(),
            by_cashier: BTreeMap::new(),
            used_refunds: Sales::default(),
            attendance: Vec::new(),
            by_gate: BTreeMap::new(),
        },
        products: BTreeMap::new(),
        start,
        end,
    };
    for order in state
        .orders()
        .values()
        .filter(|o| o.venue == venue.id && crate::drill::is_real(o))
    {
        tally.add_order(&order);
    }
    let mut report = tally.report;
    report.by_product = tally.products.into_values().collect();
    report.attendance = attendance(state, &venue, start, end);
    report.by_gate = gate_counts(state, start, end);
    report
}

impl Tally<'_> {
    fn in_range(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    fn local_day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.report.venue.tz()).date_naive()
    }

    fn add_order(&mut self, order: &Order) {
        let sold_here = self.in_range(order.created_at);
        let refunded_here = order
            .payments
            .iter()
            .any(|p| p.amount_minor < 0 && self.in_range(p.at));
        if !sold_here && !refunded_here {
            return;
        }
        let tickets: Vec<Ticket> = order
            .tickets
            .iter()
            .filter_map(|s| self.state.tickets().get(s))
            .collect();
        if sold_here {
            self.add_sale(order, &tickets);
        }
        self.add_refunds(order, &tickets);
    }

    /// An order placed in the range: its money received and its tickets still sold.
    fn add_sale(&mut self, order: &Order, tickets: &[Ticket]) {
        let live = tickets.iter().filter(|t| is_sold(t)).count();
        let live = u32::try_from(live).unwrap_or(u32::MAX);
        let row = Sales {
            orders: u32::from(live > 0),
            tickets: live,
            amount_minor: received(order),
            refunds_minor: 0,
        };
        let day = self.local_day(order.created_at);
        let report = &mut self.report;
        for sales in [
            &mut report.total,
            report.by_day.entry(day).or_default(),
            report.by_channel.entry(order.channel.as_str()).or_default(),
            report.by_cashier.entry(seller(order)).or_default(),
        ] {
            sales.add(&row);
        }
        self.add_sale_by_method(order, &row);
        self.add_sale_by_product(tickets, row.amount_minor);
    }

    fn add_sale_by_method(&mut self, order: &Order, row: &Sales) {
        let mut seen = Vec::new();
        for p in order.payments.iter().filter(|p| p.amount_minor >= 0) {
            let line = self.report.by_method.entry(p.method.as_str()).or_default();
            line.amount_minor += p.amount_minor;
            if !seen.contains(&p.method) {
                seen.push(p.method);
                line.orders += row.orders;
            }
        }
        let primary = main_method(order);
        self.report.by_method.entry(primary).or_default().tickets += row.tickets;
    }

    /// The order's money split over its tickets by price (what the prices do not cover,
    /// if anything, goes with the first ticket).
    fn add_sale_by_product(&mut self, tickets: &[Ticket], gross: i64) {
        let priced: i64 = tickets.iter().map(|t| t.price_minor).sum();
        let mut counted: Vec<&str> = Vec::new();
        for (i, ticket) in tickets.iter().enumerate() {
            let extra = if i == 0 { gross - priced } else { 0 };
            let first_in_order = is_sold(ticket) && !counted.contains(&ticket.product.as_str());
            if first_in_order {
                counted.push(ticket.product.as_str());
            }
            let line = &mut self.product_line(ticket).sales;
            line.amount_minor += ticket.price_minor + extra;
            line.tickets += u32::from(is_sold(ticket));
            line.orders += u32::from(first_in_order);
        }
    }

    fn product_line(&mut self, ticket: &Ticket) -> &mut ProductSales {
        let state = self.state;
        self.products
            .entry(ticket.product.as_str().to_owned())
            .or_insert_with(|| {
                let product = state
                    .products()
                    .get(&(ticket.venue.clone(), ticket.product.clone()));
                ProductSales {
                    name: product.map(|p| p.name.clone()).unwrap_or_default(),
                    category: product.map(|p| p.category).unwrap_or(Category::Full),
                    sales: Sales::default(),
                }
            })
    }

    /// The order's refunds paid back in the range, in every table.
    fn add_refunds(&mut self, order: &Order, tickets: &[Ticket]) {
        let mut used: Vec<u64> = Vec::new();
        for event in refund_events(order, tickets) {
            if !self.in_range(event.at) {
                continue;
            }
            let row = Sales::refund(event.amount_minor);
            let day = self.local_day(event.at);
            let refunder = self.refunder(order, &event);
            let report = &mut self.report;
            for sales in [
                &mut report.total,
                report.by_day.entry(day).or_default(),
                report.by_channel.entry(order.channel.as_str()).or_default(),
                report.by_cashier.entry(refunder).or_default(),
            ] {
                sales.add(&row);
            }
            for p in &event.payments {
                let line = report.by_method.entry(p.method.as_str()).or_default();
                line.refunds_minor -= p.amount_minor;
            }
            for &(i, part) in &event.parts {
                let ticket = &tickets[i];
                self.product_line(ticket).sales.refunds_minor += part;
                if !ticket.entries.is_empty() {
                    self.report.used_refunds.refunds_minor += part;
                    if !used.contains(&ticket.serial) {
                        used.push(ticket.serial);
                    }
                }
            }
        }
        if !used.is_empty() {
            self.report.used_refunds.orders += 1;
            self.report.used_refunds.tickets += u32::try_from(used.len()).unwrap_or(u32::MAX);
        }
    }

    /// Who paid a refund back: the cashier of the shift it names, else the seller.
    fn refunder(&self, order: &Order, event: &RefundEvent<'_>) -> String {
        event
            .payments
            .iter()
            .find_map(|p| p.shift.as_ref())
            .and_then(|id| self.state.shifts().get(id))
            .map(|s| s.cashier.clone())
            .unwrap_or_else(|| seller(order))
    }
}

/// A ticket still sold: valid or used, not cancelled.
fn is_sold(ticket: &Ticket) -> bool {
    ticket.status != TicketStatus::Void
}

fn received(order: &Order) -> i64 {
    order.payments.iter().map(|p| p.amount_minor.max(0)).sum()
}

/// Who sold the order: the member of staff, or `visitor` for an online order.
fn seller(order: &Order) -> String {
    order
        .created_by
        .clone()
        .unwrap_or_else(|| Report::VISITOR.to_owned())
}

/// The method that received the most of the order (the first such on a tie; `other` for an
/// order paid nothing): its tickets count under it in the by-method table.
fn main_method(order: &Order) -> &'static str {
    let mut per_method: Vec<(&'static str, i64)> = Vec::new();
    for p in order.payments.iter().filter(|p| p.amount_minor >= 0) {
        match per_method.iter_mut().find(|(m, _)| *m == p.method.as_str()) {
            Some((_, sum)) => *sum += p.amount_minor,
            None => per_method.push((p.method.as_str(), p.amount_minor)),
        }
    }
    let mut best: Option<(&'static str, i64)> = None;
    for (method, sum) in per_method {
        if best.is_none_or(|(_, b)| sum > b) {
            best = Some((method, sum));
        }
    }
    best.map_or("other", |(m, _)| m)
}

/// The order's refunds, one per cancellation (its payments share the moment they were
/// paid back), each split over the tickets it paid back.
fn refund_events<'a>(order: &'a Order, tickets: &[Ticket]) -> Vec<RefundEvent<'a>> {
    let mut refunds: Vec<&Payment> = order
        .payments
        .iter()
        .filter(|p| p.amount_minor < 0)
        .collect();
    refunds.sort_by_key(|p| p.at);
    let mut events: Vec<RefundEvent<'a>> = Vec::new();
    for p in refunds {
        match events.last_mut() {
            Some(e) if e.at == p.at => {
                e.payments.push(p);
                e.amount_minor -= p.amount_minor;
            }
            _ => events.push(RefundEvent {
                at: p.at,
                payments: vec![p],
                amount_minor: -p.amount_minor,
                parts: Vec::new(),
            }),
        }
    }
    let mut left: Vec<i64> = tickets.iter().map(|t| t.price_minor).collect();
    let mut order_of_payback: Vec<usize> = (0..tickets.len())
        .filter(|&i| !is_sold(&tickets[i]))
        .collect();
    order_of_payback.sort_by_key(|&i| tickets[i].voided_by.as_ref().map(|v| v.0));
    order_of_payback.extend((0..tickets.len()).filter(|&i| is_sold(&tickets[i])));
    for event in &mut events {
        event.parts = split_refund(event.amount_minor, tickets, &mut left, &order_of_payback);
    }
    events
}

/// Splits `amount` over tickets: the one cancelled ticket whose whole price it is, else
/// the tickets in `order` up to what each still holds; any rest goes with the first ticket.
fn split_refund(
    amount: i64,
    tickets: &[Ticket],
    left: &mut [i64],
    order: &[usize],
) -> Vec<(usize, i64)> {
    if tickets.is_empty() {
        return Vec::new();
    }
    let whole = order
        .iter()
        .copied()
        .filter(|&i| !is_sold(&tickets[i]))
        .find(|&i| left[i] == amount && left[i] == tickets[i].price_minor);
    if let Some(i) = whole {
        left[i] = 0;
        return vec![(i, amount)];
    }
    let mut rest = amount;
    let mut parts = Vec::new();
    for &i in order {
        let part = rest.min(left[i]);
        if part > 0 {
            left[i] -= part;
            rest -= part;
            parts.push((i, part));
        }
    }
    if rest > 0 {
        parts.push((0, rest));
    }
    parts
}

/// Decisions per gate in `[start, end)` (whole hours; the venue's days start on the hour).
fn gate_counts(
    state: &State,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> BTreeMap<String, aspk_oplog::GateCount> {
    let (from, to) = (
        start.timestamp().div_euclid(3600),
        end.timestamp().div_euclid(3600),
    );
    let mut out: BTreeMap<String, aspk_oplog::GateCount> = BTreeMap::new();
    for ((gate, hour), count) in state.gate_counts() {
        if !(from..to).contains(hour) {
            continue;
        }
        let total = out.entry(gate.clone()).or_default();
        total.admitted += count.admitted;
        total.unused += count.unused;
        for (reason, n) in &count.denied {
            *total.denied.entry(reason.clone()).or_default() += n;
        }
    }
    out
}

fn attendance(
    state: &State,
    venue: &Venue,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<SlotAttendance> {
    let slots: Vec<_> = state
        .slots_by_time()
        .range((venue.id.clone(), start, String::new())..(venue.id.clone(), end, String::new()))
        .filter_map(|((_, _, id), _)| state.slots().get(id))
        .collect();
    let mut entered: HashMap<&str, u32> = HashMap::new();
    // Seats a drill holds (until it is undone): taken, but no real sale.
    let mut rehearsed: HashMap<&str, u32> = HashMap::new();
    if !slots.is_empty() {
        for ticket in state.tickets().briefs() {
            let Some(slot) = ticket.slot else { continue };
            if state.drills().of_serial(ticket.serial).is_some() {
                if ticket.status != TicketStatus::Void {
                    *rehearsed.entry(slot).or_default() += 1;
                }
            } else if state.tickets().entry_count(ticket.serial) > 0 {
                *entered.entry(slot).or_default() += 1;
            }
        }
    }
    let count = |map: &HashMap<&str, u32>, slot: &str| map.get(slot).copied().unwrap_or(0);
    slots
        .into_iter()
        .map(|s| SlotAttendance {
            slot: s.slot.id.clone(),
            starts_at: s.slot.starts_at,
            capacity: s.slot.capacity,
            sold: s.sold.saturating_sub(count(&rehearsed, &s.slot.id)),
            entered: count(&entered, &s.slot.id),
        })
        .collect()
}
