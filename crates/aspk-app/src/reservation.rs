//! "Pay at the box office": a visitor's online reservation (a hold with the `box_office`
//! provider) is paid at the till. The cashier takes the money in their open shift, and the
//! hold becomes the order, with its number and tickets signed now.

use aspk_domain::{Channel, ConflictCode, PaymentMethod};
use aspk_oplog::{HoldStatus, OpBody, OrderPlaced};

use crate::access::Action;
use crate::sell::PlacedOrder;
use crate::{AppError, Node, Principal, ProviderPayment};

impl Node {
    /// Takes the payment of reservation `number` at the till (cash or card), in the
    /// cashier's open shift. Refused when it is not a reservation waiting for payment, or
    /// when it expired and its seats were sold meanwhile (then nothing changes).
    pub async fn pay_reservation(
        &self,
        who: &Principal,
        number: u64,
        method: PaymentMethod,
    ) -> Result<PlacedOrder, AppError> {
        who.require_to(Action::Sell)?;
        self.require_certificate()?;
        if !matches!(method, PaymentMethod::Cash | PaymentMethod::Card) {
            return Err(AppError::invalid("payment", "use cash or card"));
        }
        let actor = who.actor();
        let node = self.clone();
        let number = self
            .submit(move |batch| {
                let state = batch.state();
                let not_found = || AppError::NotFound {
                    what: "reservation",
                    id: number.to_string(),
                };
                let hold = state.holds().get(&number).ok_or_else(not_found)?;
                if hold.provider != "box_office" || hold.status != HoldStatus::Pending {
                    return Err(AppError::Conflict {
                        code: ConflictCode::NotOnSale,
                        detail: format!("{number} is not a reservation waiting for payment"),
                    });
                }
                let shift =
                    state
                        .open_shift(&actor)
                        .map(|s| s.id.clone())
                        .ok_or(AppError::Conflict {
                            code: ConflictCode::NoOpenShift,
                            detail: "open a cash shift to take a payment".into(),
                        })?;
                let paid = ProviderPayment {
                    number,
                    provider: "box_office".into(),
                    reference: format!("till-{number}"),
                    amount_minor: hold.total_minor,
                    currency: hold.currency.as_str().to_owned(),
                };
                if let Some(reason) = node.payment_refusal(state, hold, &paid) {
                    return Err(AppError::Conflict {
                        code: ConflictCode::NotOnSale,
                        detail: reason,
                    });
                }
                let placed = node.order_of_hold(state, hold, &paid)?;
                let placed = OrderPlaced {
                    channel: Channel::Online,
                    payments: placed
                        .payments
                        .into_iter()
                        .map(|mut p| {
                            p.method = method;
                            p.reference = None;
                            p
                        })
                        .collect(),
                    shift: Some(shift),
                    ..placed
                };
                batch.record(&actor, vec![OpBody::OrderPlaced(placed)]);
                Ok(number)
            })
            .await?;
        let mut placed = self.placed_order(number).await?;
        placed.is_replay = false;
        Ok(placed)
    }
}
