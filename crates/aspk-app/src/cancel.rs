//! Cancelling and refunding orders: tickets become void and their seats return.

use aspk_domain::{ConflictCode, Order, OrderStatus, Payment, Role, Ticket};
use aspk_oplog::{OpBody, State};
use aspk_ticket::HumanNumber;
use chrono::{DateTime, Utc};

use crate::access::Action;
use crate::{AppError, Node, Principal};

pub const MAX_REASON_LEN: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct CancelRequest {
    pub reason: String,
    /// Pay the money back (recorded as a negative payment by the original method).
    pub refund: bool,
}

/// Parses an order or ticket number as a person typed it.
pub(crate) fn parse_number(what: &'static str, raw: &str) -> Result<u64, AppError> {
    HumanNumber::parse(raw)
        .map(|n| n.serial())
        .map_err(|e| AppError::NotFound {
            what,
            id: format!("{raw} ({e})"),
        })
}

/// A cashier may cancel only their own sales, and only while the shift they were sold in is
/// open; managers and admins may cancel any order.
fn check_cashier_may_cancel(
    state: &aspk_oplog::State,
    who: &Principal,
    order: &Order,
) -> Result<(), AppError> {
    if who.role != Role::Cashier {
        return Ok(());
    }
    if order.created_by.as_deref() != Some(who.actor().as_str()) {
        return Err(AppError::Forbidden("cancel another cashier's sale"));
    }
    let shift_closed = order
        .shift
        .as_ref()
        .and_then(|id| state.shifts().get(id))
        .is_some_and(|s| s.closed_at.is_some());
    if shift_closed {
        return Err(AppError::Forbidden(
            "cancel a sale after its shift was closed",
        ));
    }
    Ok(())
}

/// Pays `amount` back by the methods it was paid with: each method gives back at most what
/// it still holds for the order, the last-used method first (a mixed payment's card part,
/// then its cash). Negative payments, one per method, paid in `shift`.
fn refund_payments(
    order: &Order,
    amount: i64,
    at: DateTime<Utc>,
    shift: Option<&str>,
) -> Vec<Payment> {
    let mut held: Vec<(aspk_domain::PaymentMethod, i64)> = Vec::new();
    for p in &order.payments {
        match held.iter_mut().find(|(m, _)| *m == p.method) {
            Some((_, sum)) => *sum += p.amount_minor,
            None => held.push((p.method, p.amount_minor)),
        }
    }
    let mut left = amount;
    let mut out = Vec::new();
    for (method, sum) in held.into_iter().rev() {
        let part = left.min(sum);
        if part > 0 {
            out.push(Payment {
                method,
                amount_minor: -part,
                at,
                shift: shift.map(str::to_owned),
                reference: None,
            });
            left -= part;
        }
    }
    out
}

/// The shift a refund is paid back in: the refunder's open shift. Money taken in a cash
/// shift goes back across a counter, so refunding an order sold in a shift needs an open
/// shift (the closed shift it was sold in never changes); an order sold in none (online, or
/// through the API by someone without a shift) is refunded into the refunder's shift when
/// they have one open, else into none.
fn refund_shift(state: &State, who: &Principal, order: &Order) -> Result<Option<String>, AppError> {
    let open = state.open_shift(&who.actor()).map(|s| s.id.clone());
    if open.is_none() && order.shift.is_some() {
        return Err(AppError::Conflict {
            code: ConflictCode::NoOpenShift,
            detail:
                "open a cash shift to pay money back: a refund goes into the shift that makes it"
                    .into(),
        });
    }
    Ok(open)
}

/// Refunding a ticket that already admitted someone is a manager's decision, with a reason.
fn check_used_refund(who: &Principal, used: bool, reason: &str) -> Result<(), AppError> {
    if !used {
        return Ok(());
    }
    who.require_to(Action::RefundUsedTickets)?;
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why a ticket that was already used is refunded",
        ));
    }
    Ok(())
}

fn is_used(ticket: &Ticket) -> bool {
    !ticket.entries.is_empty()
}

fn check_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim().to_owned();
    if reason.chars().count() > MAX_REASON_LEN || reason.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "reason",
            format!("must be at most {MAX_REASON_LEN} characters of text"),
        ));
    }
    Ok(reason)
}

/// What a member of staff may do to an order now, for the page to offer only that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CancelRights {
    /// Cancel the order or its tickets (the order is paid, and it is theirs to cancel).
    pub cancel: bool,
    /// Pay money back: the order is paid and, when it was sold in a cash shift, they have a
    /// shift open.
    pub refund: bool,
    /// Refund a ticket that was already used (a manager's decision).
    pub refund_used: bool,
}

impl Node {
    /// What `who` may do to `order` now (see [`CancelRights`]).
    pub fn cancel_rights(&self, who: &Principal, order: &Order) -> CancelRights {
        if !who.may(Action::CancelTickets) || order.status != OrderStatus::Paid {
            return CancelRights::default();
        }
        self.read(|state| {
            let cancel = check_cashier_may_cancel(state, who, order).is_ok();
            CancelRights {
                cancel,
                refund: cancel && refund_shift(state, who, order).is_ok(),
                refund_used: cancel && who.may(Action::RefundUsedTickets),
            }
        })
    }

    /// One ticket, for staff who may look up orders.
    pub fn ticket_of(&self, who: &Principal, serial: u64) -> Option<Ticket> {
        who.may(Action::LookUpOrders)
            .then(|| self.read(|state| state.tickets().get(&serial)))
            .flatten()
    }

    /// Voids one ticket of an order (refunding its price when asked): its seat returns.
    pub async fn void_ticket(
        &self,
        who: &Principal,
        number: &str,
        request: CancelRequest,
    ) -> Result<Order, AppError> {
        who.require_to(Action::CancelTickets)?;
        let reason = check_reason(&request.reason)?;
        let serial = parse_number("ticket", number)?;
        let who = who.clone();
        let now = self.now();
        self.submit(move |batch| {
            let state = batch.state();
            let ticket = state
                .tickets()
                .get(&serial)
                .ok_or_else(|| AppError::NotFound {
                    what: "ticket",
                    id: serial.to_string(),
                })?;
            let order = state
                .orders()
                .get(&ticket.order)
                .ok_or_else(|| AppError::NotFound {
                    what: "order",
                    id: ticket.order.to_string(),
                })?;
            check_cashier_may_cancel(state, &who, &order)?;
            if ticket.status == aspk_domain::TicketStatus::Void || order.status != OrderStatus::Paid
            {
                return Err(AppError::Conflict {
                    code: ConflictCode::AlreadyCancelled,
                    detail: "the ticket is already cancelled".into(),
                });
            }
            let mut refunds = if request.refund {
                check_used_refund(&who, is_used(&ticket), &reason)?;
                let shift = refund_shift(state, &who, &order)?;
                refund_payments(&order, ticket.price_minor, now, shift.as_deref())
            } else {
                Vec::new()
            };
            let refund = (!refunds.is_empty()).then(|| refunds.remove(0));
            let entries_seen = u32::try_from(ticket.entries.len()).unwrap_or(u32::MAX);
            let order_number = order.number;
            batch.record(
                &who.actor(),
                vec![OpBody::TicketVoided {
                    serial,
                    reason,
                    refund,
                    more_refunds: refunds,
                    entries_seen,
                }],
            );
            batch
                .state()
                .orders()
                .get(&order_number)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))
        })
        .await
    }

    /// Cancels a whole order. Managers and admins may cancel any order; a cashier only
    /// the box-office orders they sold themselves.
    pub async fn cancel_order(
        &self,
        who: &Principal,
        number: &str,
        request: CancelRequest,
    ) -> Result<Order, AppError> {
        who.require_to(Action::CancelTickets)?;
        let reason = check_reason(&request.reason)?;
        let number_value = parse_number("order", number)?;
        let who = who.clone();
        let now = self.now();
        self.submit(move |batch| {
            let order =
                batch
                    .state()
                    .orders()
                    .get(&number_value)
                    .ok_or_else(|| AppError::NotFound {
                        what: "order",
                        id: number_value.to_string(),
                    })?;
            check_cashier_may_cancel(batch.state(), &who, &order)?;
            if order.status != OrderStatus::Paid {
                return Err(AppError::Conflict {
                    code: ConflictCode::AlreadyCancelled,
                    detail: "the order is already cancelled".into(),
                });
            }
            let state = batch.state();
            let mut refunds = if request.refund {
                let used = order
                    .tickets
                    .iter()
                    .filter_map(|s| state.tickets().get(s))
                    .any(|t| is_used(&t));
                check_used_refund(&who, used, &reason)?;
                let shift = refund_shift(state, &who, &order)?;
                let paid: i64 = order.payments.iter().map(|p| p.amount_minor).sum();
                refund_payments(&order, paid, now, shift.as_deref())
            } else {
                Vec::new()
            };
            let refund = (!refunds.is_empty()).then(|| refunds.remove(0));
            let entries_seen = order
                .tickets
                .iter()
                .filter_map(|s| state.tickets().get(s))
                .filter(|t| !t.entries.is_empty())
                .map(|t| (t.serial, u32::try_from(t.entries.len()).unwrap_or(u32::MAX)))
                .collect();
            batch.record(
                &who.actor(),
                vec![OpBody::OrderCancelled {
                    number: number_value,
                    reason,
                    refund,
                    more_refunds: refunds,
                    entries_seen,
                }],
            );
            batch
                .state()
                .orders()
                .get(&number_value)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))
        })
        .await
    }
}
