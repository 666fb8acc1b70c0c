//! Reading an order back: staff see any order; anyone else needs the order's number *and*
//! its e-mail, since the order holds the ticket codes that get people in.

use std::collections::HashMap;

use aspk_domain::{Order, Ticket, Venue};
use aspk_ticket::HumanNumber;

use crate::{AppError, Node, Principal};

/// An order with what it is shown with.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order: Order,
    pub tickets: Vec<Ticket>,
    /// The tickets' codes by serial.
    pub codes: HashMap<u64, String>,
    pub venue: Option<Venue>,
}

/// Whether `given` is the order's e-mail (trimmed, any case).
fn same_email(order: &Order, given: Option<&str>) -> bool {
    match (&order.email, given) {
        (Some(stored), Some(given)) => {
            let given = given.trim();
            !given.is_empty() && stored.as_str().trim().to_lowercase() == given.to_lowercase()
        }
        _ => false,
    }
}

impl Node {
    /// Order `number` (its digits with the check digit; spaces and dashes are ignored).
    /// Staff (`who`, any role) may read any order. Anyone else must give the order's
    /// `email`; an order without one cannot be read anonymously. Every refusal is the same
    /// `NotFound` as for a number that has no order, so guessing numbers learns nothing.
    pub async fn order_view(
        &self,
        who: Option<&Principal>,
        number: &str,
        email: Option<&str>,
    ) -> Result<OrderView, AppError> {
        let not_found = || AppError::NotFound {
            what: "order",
            id: number.trim().to_owned(),
        };
        let serial = HumanNumber::parse(number)
            .map_err(|_| not_found())?
            .serial();
        let found = self.read(|s| {
            let order = s.orders().get(&serial)?;
            let tickets: Vec<Ticket> = order
                .tickets
                .iter()
                .filter_map(|t| s.tickets().get(t))
                .collect();
            let venue = s.venues().get(&order.venue).cloned();
            Some((order, tickets, venue))
        });
        let (order, tickets, venue) = found.ok_or_else(not_found)?;
        if who.is_none() && !same_email(&order, email) {
            return Err(not_found());
        }
        let codes = self.ticket_codes(&order.tickets).await?;
        Ok(OrderView {
            order,
            tickets,
            codes,
            venue,
        })
    }
}

impl Node {
    /// An online order that has not become a paid order (it waits for its payment, or
    /// expired), for staff, or for whoever gives its e-mail or its access token.
    pub fn held_view(
        &self,
        who: Option<&Principal>,
        number: &str,
        email: Option<&str>,
        token: Option<&str>,
    ) -> Option<crate::HeldOrder> {
        let serial = HumanNumber::parse(number).ok()?.serial();
        if self.read(|s| s.orders().contains_key(&serial)) {
            return None;
        }
        let held = self.held_order(serial)?;
        let by_email = match (&held.email, email) {
            (Some(known), Some(given)) => known.as_str().eq_ignore_ascii_case(given.trim()),
            _ => false,
        };
        let by_token = token.is_some_and(|t| self.check_order_access(serial, t));
        (who.is_some() || by_email || by_token).then_some(held)
    }
}
