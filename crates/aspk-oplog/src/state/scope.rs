//! Replication scope. A site node or gate is a replica of its venue: it holds that venue's
//! catalog, sales, entries, leases, shifts, visitors' requests and mail in full, and the
//! organisation's directory (staff accounts, keys, nodes, enrolments, printers, findings
//! about nodes and ops). Every other op reaches it as an elision ([`OpBody::Elided`]),
//! which keeps each origin's sequence contiguous without the content.
//!
//! The node that sends decides, from its own state. When it does not know what an op is
//! about (a cancel that arrived before its sale), it sends the op: an op sent to a replica
//! that does not need it is harmless, one withheld from a replica that does is lost to it.

use aspk_domain::Slug;

use super::{Finding, State};
use crate::{Op, OpBody};

impl State {
    /// Whether a replica of `venue` needs `op` in full.
    pub fn concerns(&self, op: &Op, venue: &str) -> bool {
        let here = |v: &Slug| v.as_str() == venue;
        match &op.body {
            OpBody::VenueSaved(v) => here(&v.id),
            OpBody::ProductSaved(p) => here(&p.venue),
            OpBody::SlotCreated(s) => here(&s.venue),
            OpBody::OrderPlaced(placed) => here(&placed.venue),
            OpBody::OrderCancelled { number, .. } | OpBody::OrderPrinted { number, .. } => {
                self.orders.venue_of(number).is_none_or(|v| v == venue)
            }
            OpBody::TicketVoided { serial, .. }
            | OpBody::EntryRecorded { serial, .. }
            | OpBody::ScanDenied { serial, .. }
            | OpBody::PassNotUsed { serial, .. } => self.ticket_concerns(*serial, op, venue),
            OpBody::LeaseGranted { slot, .. } | OpBody::LeaseReturned { slot, .. } => {
                self.slots.get(slot).is_none_or(|s| here(&s.slot.venue))
            }
            OpBody::ShiftOpened { venue: v, .. } | OpBody::RequestReceived { venue: v, .. } => {
                here(v)
            }
            OpBody::ShiftClosed { shift_id, .. } => {
                self.shifts.get(shift_id).is_none_or(|s| here(&s.venue))
            }
            OpBody::RequestUpdated { id, .. } | OpBody::RequestReplied { id, .. } => {
                self.requests.get(id).is_none_or(|r| here(&r.venue))
            }
            // A mail from before mails named their venue goes to no venue's replica.
            OpBody::MailQueued { venue: v, .. } => v.as_ref().is_some_and(here),
            OpBody::MailAttempted { id, .. } => self
                .outbox
                .get(id)
                .is_none_or(|m| m.venue.as_ref().is_some_and(here)),
            OpBody::FindingResolved { id, .. } => self
                .findings
                .get(id)
                .is_none_or(|f| self.finding_concerns(f, venue)),
            OpBody::UserSaved(_)
            | OpBody::KeyPublished { .. }
            | OpBody::EnrolmentCreated { .. }
            | OpBody::NodeEnrolled { .. }
            | OpBody::NodeRevoked { .. }
            | OpBody::PrinterSaved(_)
            | OpBody::EquivocationDetected { .. }
            | OpBody::RevokedPushRefused { .. }
            | OpBody::ForgedOpRefused { .. }
            | OpBody::Elided { .. } => true,
        }
    }

    /// Whether a finding is about `venue` (its ticket's or slot's), or about the whole
    /// organisation (equivocation, a revoked node, a forged op).
    pub fn finding_concerns(&self, finding: &Finding, venue: &str) -> bool {
        if let Some(serial) = finding.ticket {
            return self.tickets.venue_of(&serial).is_none_or(|v| v == venue);
        }
        if let Some(slot) = &finding.slot {
            return self
                .slots
                .get(slot)
                .is_none_or(|s| s.slot.venue.as_str() == venue);
        }
        true
    }

    /// Whether an op about ticket `serial` concerns `venue`: the ticket's venue when the
    /// ticket is known here; otherwise (sold offline elsewhere, not arrived yet) the venue
    /// of the node that wrote the op or of the node whose key issued the serial.
    fn ticket_concerns(&self, serial: u64, op: &Op, venue: &str) -> bool {
        if let Some(v) = self.tickets.venue_of(&serial) {
            return v == venue;
        }
        let writer = self.venue_of_origin(&op.origin);
        let issuer = self
            .key_meta
            .values()
            .find(|m| {
                m.serials
                    .is_some_and(|(from, to)| (from..to).contains(&serial))
            })
            .and_then(|m| m.holder.as_deref())
            .and_then(|holder| self.venue_of_origin(holder));
        match (writer, issuer) {
            (None, None) => true,
            (w, i) => w == Some(venue) || i == Some(venue),
        }
    }

    /// The venue of the enrolled node whose origin this is (none for the cloud).
    fn venue_of_origin(&self, origin: &str) -> Option<&str> {
        self.nodes
            .values()
            .find(|n| n.origin == origin)
            .map(|n| n.venue.as_str())
    }
}
