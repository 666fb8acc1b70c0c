//! Cancelling and refunding orders: tickets become void and their seats return.

use aspk_domain::{Order, OrderStatus, Payment, Role};
use aspk_oplog::OpBody;
use aspk_ticket::HumanNumber;
use chrono::Utc;

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

impl Node {
    /// Cancels a whole order. Managers and admins may cancel any order; a cashier only
    /// the box-office orders they sold themselves.
    pub async fn cancel_order(
        &self,
        who: &Principal,
        number: &str,
        request: CancelRequest,
    ) -> Result<Order, AppError> {
        who.require(
            &[Role::Admin, Role::Manager, Role::Cashier],
            "cancel orders",
        )?;
        let reason = request.reason.trim().to_owned();
        if reason.chars().count() > MAX_REASON_LEN || reason.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "reason",
                format!("must be at most {MAX_REASON_LEN} characters of text"),
            ));
        }
        let number_value = parse_number("order", number)?;
        let who = who.clone();
        self.submit(move |batch| {
            let order =
                batch
                    .state()
                    .orders
                    .get(&number_value)
                    .ok_or_else(|| AppError::NotFound {
                        what: "order",
                        id: number_value.to_string(),
                    })?;
            if who.role == Role::Cashier
                && order.created_by.as_deref() != Some(who.actor().as_str())
            {
                return Err(AppError::Forbidden("cancel another cashier's sale"));
            }
            if order.status != OrderStatus::Paid {
                return Err(AppError::Conflict {
                    code: "already_cancelled",
                    detail: "the order is already cancelled".into(),
                });
            }
            let refund = request.refund.then(|| {
                let paid: i64 = order.payments.iter().map(|p| p.amount_minor).sum();
                let method = order
                    .payments
                    .first()
                    .map(|p| p.method)
                    .unwrap_or(aspk_domain::PaymentMethod::Other);
                Payment {
                    method,
                    amount_minor: -paid,
                    at: Utc::now(),
                }
            });
            let state = batch.state();
            let entries_seen = order
                .tickets
                .iter()
                .filter_map(|s| state.tickets.get(s))
                .filter(|t| !t.entries.is_empty())
                .map(|t| (t.serial, u32::try_from(t.entries.len()).unwrap_or(u32::MAX)))
                .collect();
            batch.record(
                &who.actor(),
                vec![OpBody::OrderCancelled {
                    number: number_value,
                    reason,
                    refund,
                    entries_seen,
                }],
            );
            batch
                .state()
                .orders
                .get(&number_value)
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))
        })
        .await
    }
}
