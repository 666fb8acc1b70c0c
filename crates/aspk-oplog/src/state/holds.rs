//! Online orders waiting for their payment: the seats they hold, and what became of them.
//!
//! A hold takes seats from what no lease covers until it expires. The fold keeps every
//! hold's seats per slot with their expiry; whether a hold still blocks a sale is decided
//! with the deciding node's clock ([`SlotState::held_at`]), so an expired hold never blocks
//! a sale even before the op that releases it is written.

use aspk_domain::{Currency, Slug};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::State;
use crate::op::{HeldSeat, OrderHeld};

/// Where a hold is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// Waiting for the payment.
    Pending,
    /// Paid: the order of the same number holds the tickets.
    Paid,
    /// Its seats went back on sale (expired, cancelled or the payment failed).
    Released,
    /// A payment came when the seats were gone: no tickets; the money goes back.
    Refused,
}

/// An online order waiting for (or past) its payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub number: u64,
    pub venue: Slug,
    pub seats: Vec<HeldSeat>,
    pub total_minor: i64,
    pub currency: Currency,
    pub expires_at: DateTime<Utc>,
    pub provider: String,
    pub lang: String,
    pub status: HoldStatus,
    /// Why it was released or refused.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The visitor's contact (`order_contact`), kept apart from the hold op.
    pub email: Option<aspk_domain::Email>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl Hold {
    /// Whether it still blocks seats at `now`.
    pub fn is_live_at(&self, now: DateTime<Utc>) -> bool {
        self.status == HoldStatus::Pending && self.expires_at > now
    }
}

impl State {
    pub fn holds(&self) -> &std::collections::BTreeMap<u64, Hold> {
        &self.holds
    }

    /// Whether serial `n` is sold or was ever held (never to be issued to anyone else).
    pub fn serial_taken(&self, n: u64) -> bool {
        self.tickets.contains_key(&n) || self.held_serials.contains(&n)
    }

    /// Whether order number `n` was ever used by an order or a hold.
    pub fn order_number_taken(&self, n: u64) -> bool {
        self.orders.contains_key(&n) || self.holds.contains_key(&n)
    }

    /// Holds still waiting for a payment (live or expired but not yet released).
    pub fn pending_holds(&self) -> impl Iterator<Item = &Hold> {
        self.holds
            .values()
            .filter(|h| h.status == HoldStatus::Pending)
    }

    pub(super) fn hold_order(&mut self, held: &OrderHeld, at: DateTime<Utc>) {
        if self.holds.contains_key(&held.number) || self.orders.contains_key(&held.number) {
            return;
        }
        for seat in &held.seats {
            if let Some(slot) = seat.slot.as_ref().and_then(|id| self.slots.get_mut(id)) {
                let entry = slot.held.entry(held.number).or_insert((0, held.expires_at));
                entry.0 += 1;
            }
        }
        self.holds.insert(
            held.number,
            Hold {
                number: held.number,
                venue: held.venue.clone(),
                seats: held.seats.clone(),
                total_minor: held.total_minor,
                currency: held.currency,
                expires_at: held.expires_at,
                provider: held.provider.clone(),
                lang: held.lang.clone(),
                status: HoldStatus::Pending,
                reason: None,
                created_at: at,
                email: None,
                name: None,
                phone: None,
            },
        );
        self.held_serials
            .extend(held.seats.iter().map(|seat| seat.serial));
    }

    /// The hold ends: `status` says how. Its seats stop counting as held.
    pub(super) fn end_hold(&mut self, number: u64, status: HoldStatus, reason: Option<&str>) {
        let Some(hold) = self.holds.get_mut(&number) else {
            return;
        };
        // Paid wins over anything; otherwise the first ending counts.
        if hold.status == HoldStatus::Paid
            || (hold.status != HoldStatus::Pending && status != HoldStatus::Paid)
        {
            return;
        }
        hold.status = status;
        hold.reason = reason.map(str::to_owned);
        let slots: Vec<String> = hold.seats.iter().filter_map(|s| s.slot.clone()).collect();
        for id in slots {
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.held.remove(&number);
            }
        }
    }
}
