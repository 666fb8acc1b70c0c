//! Managers' figures: sales by day, product, channel, payment method and cashier, and
//! attendance by slot (sold against entered), over a range of venue-local days.

use std::collections::{BTreeMap, HashMap};

use aspk_domain::{Category, Localized, TicketStatus, Venue};
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
    /// Received (positive payments).
    pub amount_minor: i64,
    /// Paid back (a positive amount).
    pub refunds_minor: i64,
}

impl Sales {
    pub fn net_minor(&self) -> i64 {
        self.amount_minor - self.refunds_minor
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
    pub attendance: Vec<SlotAttendance>,
    /// Decisions per gate (phones, turnstiles, API scans) in the range.
    pub by_gate: BTreeMap<String, aspk_oplog::GateCount>,
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

fn build(state: &State, venue: Venue, from: NaiveDate, to: NaiveDate) -> Report {
    let (start, _) = local_day_bounds(&venue, from);
    let (_, end) = local_day_bounds(&venue, to);
    let tz = venue.tz();
    let mut report = Report {
        venue: venue.clone(),
        from,
        to,
        total: Sales::default(),
        by_day: BTreeMap::new(),
        by_product: Vec::new(),
        by_channel: BTreeMap::new(),
        by_method: BTreeMap::new(),
        by_cashier: BTreeMap::new(),
        attendance: Vec::new(),
        by_gate: BTreeMap::new(),
    };
    let mut products: BTreeMap<String, ProductSales> = BTreeMap::new();
    let orders = state
        .orders_by_time()
        .between(start, end)
        .filter_map(|(_, n)| state.orders().get(&n))
        .filter(|o| o.venue == venue.id);
    for order in orders {
        let live: Vec<_> = order
            .tickets
            .iter()
            .filter_map(|s| state.tickets().get(s))
            .filter(|t| t.status != TicketStatus::Void)
            .collect();
        let received: i64 = order.payments.iter().map(|p| p.amount_minor.max(0)).sum();
        let refunded: i64 = order
            .payments
            .iter()
            .map(|p| (-p.amount_minor).max(0))
            .sum();
        let row = Sales {
            orders: 1,
            tickets: u32::try_from(live.len()).unwrap_or(u32::MAX),
            amount_minor: received,
            refunds_minor: refunded,
        };
        let day = order.created_at.with_timezone(&tz).date_naive();
        let cashier = order.created_by.clone().unwrap_or_else(|| "visitor".into());
        for sales in [
            &mut report.total,
            report.by_day.entry(day).or_default(),
            report.by_channel.entry(order.channel.as_str()).or_default(),
            report.by_cashier.entry(cashier).or_default(),
        ] {
            add(sales, &row);
        }
        for payment in &order.payments {
            let sales = report.by_method.entry(payment.method.as_str()).or_default();
            if payment.amount_minor >= 0 {
                sales.orders += 1;
                sales.amount_minor += payment.amount_minor;
            } else {
                sales.refunds_minor -= payment.amount_minor;
            }
        }
        let mut products_in_order: Vec<String> = Vec::new();
        for ticket in live {
            let product = state
                .products()
                .get(&(ticket.venue.clone(), ticket.product.clone()));
            let line = products
                .entry(ticket.product.as_str().to_owned())
                .or_insert_with(|| ProductSales {
                    name: product.map(|p| p.name.clone()).unwrap_or_default(),
                    category: product.map(|p| p.category).unwrap_or(Category::Full),
                    sales: Sales::default(),
                });
            line.sales.tickets += 1;
            line.sales.amount_minor += ticket.price_minor;
            if !products_in_order
                .iter()
                .any(|p| p == ticket.product.as_str())
            {
                products_in_order.push(ticket.product.as_str().to_owned());
                line.sales.orders += 1;
            }
        }
    }
    report.by_product = products.into_values().collect();
    report.attendance = attendance(state, &venue, start, end);
    report.by_gate = gate_counts(state, start, end);
    report
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

fn add(sales: &mut Sales, row: &Sales) {
    sales.orders += row.orders;
    sales.tickets += row.tickets;
    sales.amount_minor += row.amount_minor;
    sales.refunds_minor += row.refunds_minor;
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
    if !slots.is_empty() {
        for ticket in state.tickets().briefs() {
            let has_entry = || state.tickets().entry_count(ticket.serial) > 0;
            if let Some(slot) = ticket.slot.filter(|_| has_entry()) {
                *entered.entry(slot).or_default() += 1;
            }
        }
    }
    slots
        .into_iter()
        .map(|s| SlotAttendance {
            slot: s.slot.id.clone(),
            starts_at: s.slot.starts_at,
            capacity: s.slot.capacity,
            sold: s.sold,
            entered: entered.get(s.slot.id.as_str()).copied().unwrap_or(0),
        })
        .collect()
}
