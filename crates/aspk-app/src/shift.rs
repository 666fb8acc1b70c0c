//! Cash shifts: a cashier opens one with a float, sells, and closes it with the cash
//! counted; the close (Z) report compares the cash expected with the cash counted.

use std::collections::BTreeMap;

use aspk_domain::{Category, ConflictCode, Localized, PaymentMethod, Role, Shift};
use aspk_oplog::{OpBody, State};
use chrono::{DateTime, Utc};
use rand::Rng;

use crate::access::Action;
use crate::catalog::venue_of;
use crate::{AppError, Node, Principal};

/// Largest float or counted amount accepted: a million hryvnias.
const MAX_CASH_MINOR: i64 = 100_000_000;

/// Sales of one product in a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLine {
    pub name: Localized,
    pub category: Category,
    pub tickets: u32,
    pub amount_minor: i64,
}

/// One refund paid back in a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLine {
    pub order: u64,
    pub at: DateTime<Utc>,
    pub method: PaymentMethod,
    /// The amount paid back (positive).
    pub amount_minor: i64,
    /// The order was sold in another shift (or online): a correction made in this one.
    pub is_from_elsewhere: bool,
}

/// The report of a shift: the X report while it is open, the Z (close) report once it is
/// closed. What was sold in it, how it was paid, what was paid back in it, and the cash.
/// A closed shift's report never changes: it counts the sales of its orders and the refunds
/// paid back in it while it was open; a refund made later goes into the shift that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZReport {
    pub shift: Shift,
    pub orders: u32,
    /// Tickets sold in the shift, as sold (a later refund is in `refunds`, not here).
    pub by_product: Vec<ProductLine>,
    /// Received per payment method (refunds not subtracted).
    pub by_method: BTreeMap<&'static str, i64>,
    pub refunds: Vec<RefundLine>,
    /// Money paid back (a positive amount), and how much of it in cash.
    pub refunds_minor: i64,
    pub cash_refunds_minor: i64,
    /// Float + cash received − cash refunded.
    pub expected_cash_minor: i64,
}

impl ZReport {
    /// Counted − expected, once the shift is closed.
    pub fn difference_minor(&self) -> Option<i64> {
        self.shift
            .counted_minor
            .map(|c| c - self.expected_cash_minor)
    }

    /// Everything received in the shift (refunds not subtracted).
    pub fn sales_minor(&self) -> i64 {
        self.by_method.values().sum()
    }

    /// Received minus paid back.
    pub fn net_minor(&self) -> i64 {
        self.sales_minor() - self.refunds_minor
    }

    /// Whether this is the final (Z) report of a closed shift, not an interim (X) one.
    pub fn is_final(&self) -> bool {
        self.shift.closed_at.is_some()
    }
}

fn check_cash(field: &'static str, minor: i64) -> Result<(), AppError> {
    if (0..=MAX_CASH_MINOR).contains(&minor) {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            "must be an amount from 0 to 1 000 000",
        ))
    }
}

/// Whether something done at `at` falls in `shift` while it was open.
fn while_open(shift: &Shift, at: DateTime<Utc>) -> bool {
    shift.closed_at.is_none_or(|closed| at <= closed)
}

/// Builds the report of `shift`: its orders' sales, and the refunds paid back in it.
pub fn z_report(state: &State, shift: &Shift) -> ZReport {
    let mut report = ZReport {
        shift: shift.clone(),
        orders: 0,
        by_product: Vec::new(),
        by_method: BTreeMap::new(),
        refunds: Vec::new(),
        refunds_minor: 0,
        cash_refunds_minor: 0,
        expected_cash_minor: shift.float_minor,
    };
    let mut lines: BTreeMap<String, ProductLine> = BTreeMap::new();
    // A drill's sales are rehearsal: no cash changed hands, so no shift counts them.
    for order in state.orders().values().filter(crate::drill::is_real) {
        let sold_here = order.shift.as_deref() == Some(shift.id.as_str())
            && while_open(shift, order.created_at);
        if sold_here {
            add_sale(state, &mut report, &mut lines, &order);
        }
        add_refunds(&mut report, shift, &order, sold_here);
    }
    report.by_product = lines.into_values().collect();
    report.refunds.sort_by_key(|r| r.at);
    report
}

/// An order sold in the shift: its payments received and its tickets as sold.
fn add_sale(
    state: &State,
    report: &mut ZReport,
    lines: &mut BTreeMap<String, ProductLine>,
    order: &aspk_domain::Order,
) {
    report.orders += 1;
    for payment in order.payments.iter().filter(|p| p.amount_minor >= 0) {
        *report.by_method.entry(payment.method.as_str()).or_default() += payment.amount_minor;
        if payment.method == PaymentMethod::Cash {
            report.expected_cash_minor += payment.amount_minor;
        }
    }
    for ticket in order.tickets.iter().filter_map(|s| state.tickets().get(s)) {
        let product = state
            .products()
            .get(&(ticket.venue.clone(), ticket.product.clone()));
        let line = lines
            .entry(ticket.product.as_str().to_owned())
            .or_insert_with(|| ProductLine {
                name: product
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| Localized {
                        uk: ticket.product.as_str().to_owned(),
                        en: String::new(),
                    }),
                category: product.map(|p| p.category).unwrap_or(Category::Full),
                tickets: 0,
                amount_minor: 0,
            });
        line.tickets += 1;
        line.amount_minor += ticket.price_minor;
    }
}

/// The refunds of `order` paid back in `shift` while it was open. A refund names the shift
/// it was paid in; one made before refunds named a shift counts in the order's own.
fn add_refunds(report: &mut ZReport, shift: &Shift, order: &aspk_domain::Order, sold_here: bool) {
    let refunds = order.payments.iter().filter(|p| p.amount_minor < 0);
    for refund in refunds {
        let paid_in = refund.shift.as_deref().or(order.shift.as_deref());
        if paid_in != Some(shift.id.as_str()) || !while_open(shift, refund.at) {
            continue;
        }
        let amount = -refund.amount_minor;
        report.refunds_minor += amount;
        if refund.method == PaymentMethod::Cash {
            report.cash_refunds_minor += amount;
            report.expected_cash_minor -= amount;
        }
        report.refunds.push(RefundLine {
            order: order.number,
            at: refund.at,
            method: refund.method,
            amount_minor: amount,
            is_from_elsewhere: !sold_here,
        });
    }
}

impl Node {
    /// Opens a cash shift for the signed-in cashier with `float_minor` in the drawer.
    pub async fn open_shift(
        &self,
        who: &Principal,
        venue: &str,
        float_minor: i64,
    ) -> Result<Shift, AppError> {
        who.require_to(Action::RunShifts)?;
        check_cash("float", float_minor)?;
        let actor = who.actor();
        let venue = venue.to_owned();
        self.submit(move |batch| {
            let state = batch.state();
            let venue = venue_of(state, &venue)?.clone();
            if state.open_shift(&actor).is_some() {
                return Err(AppError::Conflict {
                    code: ConflictCode::ShiftOpen,
                    detail: "you already have an open shift: close it first".into(),
                });
            }
            let shift_id = format!("{:016x}", rand::thread_rng().gen::<u64>());
            batch.record(
                &actor,
                vec![OpBody::ShiftOpened {
                    shift_id: shift_id.clone(),
                    venue: venue.id,
                    float_minor,
                    currency: venue.currency,
                }],
            );
            batch
                .state()
                .shifts()
                .get(&shift_id)
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("shift vanished")))
        })
        .await
    }

    /// Closes the signed-in cashier's open shift with the cash counted; returns its Z report.
    pub async fn close_shift(
        &self,
        who: &Principal,
        counted_minor: i64,
        note: &str,
    ) -> Result<ZReport, AppError> {
        check_cash("counted", counted_minor)?;
        let note = note.trim().to_owned();
        if note.chars().count() > 500 || note.chars().any(char::is_control) {
            return Err(AppError::invalid("note", "must be at most 500 characters"));
        }
        let actor = who.actor();
        self.submit(move |batch| {
            let shift =
                batch
                    .state()
                    .open_shift(&actor)
                    .cloned()
                    .ok_or_else(|| AppError::Conflict {
                        code: ConflictCode::NoOpenShift,
                        detail: "you have no open shift".into(),
                    })?;
            batch.record(
                &actor,
                vec![OpBody::ShiftClosed {
                    shift_id: shift.id.clone(),
                    counted_minor,
                    note,
                }],
            );
            let state = batch.state();
            let closed = state.shifts().get(&shift.id).cloned().unwrap_or(shift);
            Ok(z_report(state, &closed))
        })
        .await
    }

    /// The Z report of a shift: its cashier sees their own, managers every one.
    pub fn shift_report(&self, who: &Principal, shift_id: &str) -> Result<ZReport, AppError> {
        self.read(|state| {
            let shift = state
                .shifts()
                .get(shift_id)
                .filter(|s| s.cashier == who.actor() || is_manager(who))
                .ok_or_else(|| AppError::NotFound {
                    what: "shift",
                    id: shift_id.to_owned(),
                })?;
            Ok(z_report(state, shift))
        })
    }

    /// The cash shift this member of staff has open, if any.
    pub fn open_shift_of(&self, who: &Principal) -> Option<Shift> {
        self.read(|state| state.open_shift(&who.actor()).cloned())
    }

    /// Shifts newest first: a cashier's own, or everyone's for managers.
    pub fn shifts(&self, who: &Principal, limit: usize) -> Vec<Shift> {
        self.read(|state| {
            let mut shifts: Vec<Shift> = state
                .shifts()
                .values()
                .filter(|s| s.cashier == who.actor() || is_manager(who))
                .cloned()
                .collect();
            shifts.sort_by_key(|s| std::cmp::Reverse(s.opened_at));
            shifts.truncate(limit);
            shifts
        })
    }
}

pub(crate) fn is_manager(who: &Principal) -> bool {
    matches!(who.role, Role::Admin | Role::Manager)
}
