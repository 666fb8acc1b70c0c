//! Cancelling and refunding orders: tickets become void and their seats return.

use aspk_domain::{ConflictCode, Order, OrderStatus, Payment, Role};
use aspk_oplog::OpBody;
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
/// then its cash). Negative payments, one per method.
fn refund_payments(order: &Order, amount: i64, at: DateTime<Utc>) -> Vec<Payment> {
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
            });
            left -= part;
        }
    }
    out
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

impl Node {
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
                refund_payments(&order, ticket.price_minor, now)
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
            let mut refunds = if request.refund {
                let paid: i64 = order.payments.iter().map(|p| p.amount_minor).sum();
                refund_payments(&order, paid, now)
            } else {
                Vec::new()
            };
            let refund = (!refunds.is_empty()).then(|| refunds.remove(0));
            let state = batch.state();
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
