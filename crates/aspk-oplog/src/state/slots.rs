//! Seats: who sold how many of a slot, and who holds leases on it.

use std::collections::BTreeMap;

use aspk_domain::Slot;

use super::authority::Verdict;
use super::State;

/// A slot and the seats taken from it.
///
/// Seats are partitioned: each lease holder (a site node or device that may sell while cut
/// off) sells only from its own lease; everyone else shares what no lease covers. So nodes
/// that cannot reach each other never sell the same seat.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlotState {
    pub slot: Slot,
    /// Tickets sold for the slot and not voided.
    pub sold: u32,
    /// Live tickets per issuing origin.
    pub sold_by: BTreeMap<String, u32>,
    /// Seats granted minus returned, per holder origin.
    pub leases: BTreeMap<String, i64>,
    /// Tickets sold beyond capacity on purpose.
    pub overbooked: u32,
    /// Closed to sales (`slot_changed`); reopening sells again.
    #[serde(default)]
    pub is_closed: bool,
    /// Taken off the schedule (`slot_deleted`): kept as a tombstone so that ops about it
    /// still find it, but no longer listed by time.
    #[serde(default)]
    pub is_deleted: bool,
    /// Seats held for online orders waiting for their payment: order number → (seats,
    /// expiry). Held seats come out of what no lease covers.
    #[serde(default)]
    pub held: BTreeMap<u64, (u32, chrono::DateTime<chrono::Utc>)>,
}

impl SlotState {
    pub fn new(slot: Slot) -> Self {
        Self {
            slot,
            sold: 0,
            sold_by: BTreeMap::new(),
            leases: BTreeMap::new(),
            overbooked: 0,
            is_closed: false,
            is_deleted: false,
            held: BTreeMap::new(),
        }
    }

    /// Whether the slot may be sold now: neither closed nor deleted.
    pub fn is_on_sale(&self) -> bool {
        !self.is_closed && !self.is_deleted
    }

    /// Seats not sold, counting leased seats as taken.
    pub fn available(&self) -> u32 {
        self.available_for("")
    }

    /// Seats `origin` may still sell: from its lease if it holds one, else from the seats
    /// no lease covers.
    pub fn available_for(&self, origin: &str) -> u32 {
        if let Some(lease) = self.leases.get(origin) {
            let own = i64::from(self.sold_by.get(origin).copied().unwrap_or(0));
            return u32::try_from((lease - own).max(0)).unwrap_or(0);
        }
        u32::try_from(self.unleased_free().max(0)).unwrap_or(0)
    }

    /// Capacity minus sales outside leases minus what each lease covers (or its sales, if more).
    pub fn unleased_free(&self) -> i64 {
        let mut taken = 0i64;
        for (origin, sold) in &self.sold_by {
            if !self.leases.contains_key(origin) {
                taken += i64::from(*sold);
            }
        }
        for (holder, lease) in &self.leases {
            let sold = i64::from(self.sold_by.get(holder).copied().unwrap_or(0));
            taken += (*lease).max(sold);
        }
        i64::from(self.slot.capacity) - taken
    }

    /// Seats held at `now` for online orders waiting for payment, leaving out `except`'s
    /// own hold (the order being paid).
    pub fn held_at(&self, now: chrono::DateTime<chrono::Utc>, except: Option<u64>) -> u32 {
        self.held
            .iter()
            .filter(|(number, (_, until))| Some(**number) != except && *until > now)
            .map(|(_, (seats, _))| *seats)
            .sum()
    }

    /// Seats `origin` may sell at `now`: [`SlotState::available_for`], less the seats live
    /// holds keep (holds come out of what no lease covers, so a lease holder is not
    /// affected).
    pub fn available_at(
        &self,
        origin: &str,
        now: chrono::DateTime<chrono::Utc>,
        except: Option<u64>,
    ) -> u32 {
        let free = self.available_for(origin);
        if self.leases.contains_key(origin) {
            return free;
        }
        free.saturating_sub(self.held_at(now, except))
    }

    /// Seats of `holder`'s lease not yet sold.
    pub fn lease_left(&self, holder: &str) -> Option<u32> {
        self.leases.get(holder).map(|_| self.available_for(holder))
    }

    pub(crate) fn take(&mut self, origin: &str) {
        self.sold += 1;
        *self.sold_by.entry(origin.to_owned()).or_default() += 1;
    }

    pub(crate) fn release(&mut self, origin: &str) {
        self.sold = self.sold.saturating_sub(1);
        if let Some(n) = self.sold_by.get_mut(origin) {
            *n = n.saturating_sub(1);
        }
    }

    pub fn is_oversold(&self) -> bool {
        self.sold > self.slot.capacity
    }

    /// Why changing this slot (to `capacity`, when given) is refused, when it is: the rule
    /// the fold enforces on every replica, and the app checks first to say so clearly.
    pub fn change_refusal(&self, capacity: Option<u32>) -> Option<String> {
        if self.is_deleted {
            return Some(format!("slot {} was deleted", self.slot.id));
        }
        match capacity {
            Some(0) => Some("a slot's capacity must be at least 1".into()),
            Some(c) if c > Slot::MAX_CAPACITY => Some("capacity beyond the maximum".into()),
            Some(c) if c < self.sold => Some(format!(
                "capacity {c} is below the {} tickets sold for slot {}",
                self.sold, self.slot.id
            )),
            _ => None,
        }
    }
}

impl State {
    /// Whether any ticket (even a voided one) was ever issued for slot `id`.
    pub fn slot_has_sales(&self, id: &str) -> bool {
        self.slots.get(id).is_some_and(|s| s.sold > 0)
            || self.tickets.briefs().any(|t| t.slot == Some(id))
    }

    /// Why deleting slot `id` is refused, when it is.
    pub fn slot_delete_refusal(&self, id: &str) -> Option<String> {
        let slot = self.slots.get(id)?;
        if slot.is_deleted {
            return Some(format!("slot {id} was deleted"));
        }
        if self.slot_has_sales(id) {
            return Some(format!("tickets were issued for slot {id}"));
        }
        if slot.leases.values().any(|seats| *seats > 0) {
            return Some(format!("seats of slot {id} are leased to a site node"));
        }
        None
    }

    /// The fold's check of `slot_changed`.
    pub(super) fn check_slot_change(&self, id: &str, capacity: Option<u32>) -> Verdict {
        match self.slots.get(id).and_then(|s| s.change_refusal(capacity)) {
            Some(reason) => Verdict::Denied(reason),
            None => Verdict::Allowed,
        }
    }

    /// The fold's check of `slot_deleted`.
    pub(super) fn check_slot_delete(&self, id: &str) -> Verdict {
        match self.slot_delete_refusal(id) {
            Some(reason) => Verdict::Denied(reason),
            None => Verdict::Allowed,
        }
    }

    pub(super) fn change_slot(&mut self, id: &str, capacity: Option<u32>, closed: Option<bool>) {
        if let Some(slot) = self.slots.get_mut(id) {
            if let Some(capacity) = capacity {
                slot.slot.capacity = capacity;
            }
            if let Some(closed) = closed {
                slot.is_closed = closed;
            }
        }
    }

    pub(super) fn delete_slot(&mut self, id: &str) {
        if let Some(slot) = self.slots.get_mut(id) {
            slot.is_deleted = true;
            let key = (slot.slot.venue.clone(), slot.slot.starts_at, id.to_owned());
            self.slots_by_time.remove(&key);
        }
    }
}
