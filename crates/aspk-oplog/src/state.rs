use std::collections::{BTreeMap, HashMap};

use aspk_domain::{
    Entry, Order, OrderStatus, Product, Slot, Slug, Ticket, TicketStatus, User, Username, Venue,
};
use chrono::{DateTime, Utc};

use crate::{Op, OpBody, OrderPlaced};

/// A slot and the seats taken from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotState {
    pub slot: Slot,
    /// Tickets sold for the slot and not voided.
    pub sold: u32,
}

impl SlotState {
    pub fn available(&self) -> u32 {
        self.slot.capacity.saturating_sub(self.sold)
    }
}

/// Everything derived from the log. Built only by [`State::apply`].
#[derive(Debug, Default, Clone)]
pub struct State {
    pub venues: BTreeMap<Slug, Venue>,
    pub products: BTreeMap<(Slug, Slug), Product>,
    pub slots: HashMap<String, SlotState>,
    /// (venue, start, slot id) for range queries by day.
    pub slots_by_time: BTreeMap<(Slug, DateTime<Utc>, String), ()>,
    pub orders: HashMap<u64, Order>,
    pub tickets: HashMap<u64, Ticket>,
    pub users: BTreeMap<Username, User>,
    /// Ticket-signing public keys by key id (hex).
    pub keys: BTreeMap<u16, String>,
    /// Highest sequence number applied per origin: the version vector.
    pub applied: BTreeMap<String, u64>,
    pub op_count: u64,
}

impl State {
    /// Folds one op in. Ops at or below the origin's applied sequence number are ignored,
    /// so delivering an op twice changes nothing.
    pub fn apply(&mut self, op: &Op) {
        let seen = self.applied.entry(op.origin.clone()).or_insert(0);
        if op.seq <= *seen {
            return;
        }
        *seen = op.seq;
        self.op_count += 1;
        let at = op.hlc.to_datetime();
        match &op.body {
            OpBody::VenueSaved(venue) => {
                self.venues.insert(venue.id.clone(), venue.clone());
            }
            OpBody::ProductSaved(product) => {
                let key = (product.venue.clone(), product.id.clone());
                self.products.insert(key, product.clone());
            }
            OpBody::SlotCreated(slot) => self.add_slot(slot),
            OpBody::UserSaved(user) => {
                self.users.insert(user.username.clone(), user.clone());
            }
            OpBody::KeyPublished { key_id, public_key } => {
                self.keys.insert(*key_id, public_key.clone());
            }
            OpBody::OrderPlaced(placed) => self.place_order(placed, at, &op.actor),
            OpBody::OrderCancelled {
                number,
                reason,
                refund,
            } => {
                self.cancel_order(*number, reason, refund.as_ref());
            }
            OpBody::TicketVoided {
                serial,
                reason,
                refund,
            } => {
                self.void_ticket(*serial, reason);
                if let (Some(refund), Some(order)) =
                    (refund, self.tickets.get(serial).map(|t| t.order))
                {
                    if let Some(order) = self.orders.get_mut(&order) {
                        order.payments.push(refund.clone());
                    }
                }
            }
            OpBody::EntryRecorded { serial, gate, at } => {
                if let Some(ticket) = self.tickets.get_mut(serial) {
                    let by = op.actor.clone();
                    ticket.entries.push(Entry {
                        at: *at,
                        gate: gate.clone(),
                        by,
                    });
                    if ticket.status == TicketStatus::Valid {
                        ticket.status = TicketStatus::Used;
                    }
                }
            }
            OpBody::ScanDenied { .. } => {}
        }
    }

    fn add_slot(&mut self, slot: &Slot) {
        let key = (slot.venue.clone(), slot.starts_at, slot.id.clone());
        self.slots_by_time.insert(key, ());
        self.slots
            .entry(slot.id.clone())
            .and_modify(|s| s.slot = slot.clone())
            .or_insert_with(|| SlotState {
                slot: slot.clone(),
                sold: 0,
            });
    }

    fn place_order(&mut self, placed: &OrderPlaced, at: DateTime<Utc>, actor: &str) {
        for issued in &placed.tickets {
            if self.tickets.contains_key(&issued.serial) {
                // A serial is issued once; a second claim to it never takes a seat.
                // TODO(issue 3): report it as a finding.
                continue;
            }
            if let Some(slot) = issued.slot.as_ref().and_then(|id| self.slots.get_mut(id)) {
                slot.sold += 1;
            }
            let ticket = Ticket {
                serial: issued.serial,
                order: placed.number,
                venue: placed.venue.clone(),
                product: issued.product.clone(),
                slot: issued.slot.clone(),
                valid_from: issued.valid_from,
                valid_until: issued.valid_until,
                valid_days: issued.valid_days,
                price_minor: issued.price_minor,
                code: issued.code.clone(),
                status: TicketStatus::Valid,
                entries: Vec::new(),
                void_reason: None,
            };
            self.tickets.insert(issued.serial, ticket);
        }
        let order = Order {
            number: placed.number,
            venue: placed.venue.clone(),
            channel: placed.channel,
            email: placed.email.clone(),
            tickets: placed.tickets.iter().map(|t| t.serial).collect(),
            payments: placed.payments.clone(),
            total_minor: placed.total_minor,
            currency: placed.currency,
            status: OrderStatus::Paid,
            created_at: at,
            created_by: Some(actor.to_owned()),
            cancel_reason: None,
        };
        self.orders.insert(placed.number, order);
    }

    fn cancel_order(&mut self, number: u64, reason: &str, refund: Option<&aspk_domain::Payment>) {
        let Some(order) = self.orders.get_mut(&number) else {
            return;
        };
        order.status = if refund.is_some() {
            OrderStatus::Refunded
        } else {
            OrderStatus::Cancelled
        };
        order.cancel_reason = Some(reason.to_owned());
        if let Some(refund) = refund {
            order.payments.push(refund.clone());
        }
        let serials = order.tickets.clone();
        for serial in serials {
            self.void_ticket(serial, reason);
        }
    }

    /// Voids a ticket and returns its seat; a ticket already void is left alone.
    fn void_ticket(&mut self, serial: u64, reason: &str) {
        let Some(ticket) = self.tickets.get_mut(&serial) else {
            return;
        };
        if ticket.status == TicketStatus::Void {
            return;
        }
        ticket.status = TicketStatus::Void;
        ticket.void_reason = Some(reason.to_owned());
        if let Some(slot) = ticket.slot.as_ref().and_then(|id| self.slots.get_mut(id)) {
            slot.sold = slot.sold.saturating_sub(1);
        }
    }

    /// Slots of a venue starting in `[from, to)`, in start order.
    pub fn slots_between(
        &self,
        venue: &Slug,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = &SlotState> {
        let lo = (venue.clone(), from, String::new());
        let hi = (venue.clone(), to, String::new());
        self.slots_by_time
            .range(lo..hi)
            .filter_map(|((_, _, id), ())| self.slots.get(id))
    }

    pub fn products_of<'a>(&'a self, venue: &'a Slug) -> impl Iterator<Item = &'a Product> + 'a {
        self.products.values().filter(move |p| &p.venue == venue)
    }

    pub fn venue_by_no(&self, no: u16) -> Option<&Venue> {
        self.venues.values().find(|v| v.no == no)
    }
}
