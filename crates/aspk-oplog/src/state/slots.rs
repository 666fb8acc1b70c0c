//! Seats: who sold how many of a slot, and who holds leases on it.

use std::collections::BTreeMap;

use aspk_domain::Slot;

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
}

impl SlotState {
    pub fn new(slot: Slot) -> Self {
        Self {
            slot,
            sold: 0,
            sold_by: BTreeMap::new(),
            leases: BTreeMap::new(),
            overbooked: 0,
        }
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
}
