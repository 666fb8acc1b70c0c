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

/// Who a pull is for: a replica of one venue, and what it may hold beyond the venue's
/// tickets. Every device gets the least it needs (see `docs/security.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience<'a> {
    pub venue: &'a str,
    pub kind: AudienceKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceKind {
    /// A site node: its venue in full; its venue's staff passwords only when they sign in
    /// there; enrolment codes only for its venue's gates and phones.
    SiteNode { local_sign_in: bool },
    /// A gate: what admitting needs (catalog, sales without the visitors' contacts, voids,
    /// entries, keys, certificates, staff accounts without passwords), nothing else.
    Gate,
}

impl State {
    /// Whether `audience` gets `op` in full (otherwise as an elision).
    pub fn shares(&self, op: &Op, audience: Audience<'_>) -> bool {
        if !self.concerns(op, audience.venue) {
            return false;
        }
        match audience.kind {
            AudienceKind::SiteNode { local_sign_in } => {
                self.shares_with_site(op, audience.venue, local_sign_in)
            }
            AudienceKind::Gate => shares_with_gate(op),
        }
    }

    fn shares_with_site(&self, op: &Op, venue: &str, local_sign_in: bool) -> bool {
        let works_here = |name: &aspk_domain::Username| {
            self.users
                .get(name)
                .and_then(|u| u.venue.as_ref())
                .is_some_and(|v| v.as_str() == venue)
        };
        match &op.body {
            OpBody::PasswordSet { username, .. } => local_sign_in && works_here(username),
            // Accounts saved before passwords were ops of their own carry the hash.
            OpBody::UserSaved(user) if !user.password_hash.is_empty() => {
                local_sign_in && user.venue.as_ref().is_some_and(|v| v.as_str() == venue)
            }
            OpBody::EnrolmentCreated { role, .. } => role != "site_node",
            _ => true,
        }
    }

    /// Whether `venue`'s replica needs `op` for its venue (what it is about).
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
            OpBody::LeaseGranted { slot, .. }
            | OpBody::LeaseReturned { slot, .. }
            | OpBody::SlotChanged { slot, .. }
            | OpBody::SlotDeleted { slot } => {
                self.slots.get(slot).is_none_or(|s| here(&s.slot.venue))
            }
            OpBody::ShiftOpened { venue: v, .. } | OpBody::RequestReceived { venue: v, .. } => {
                here(v)
            }
            OpBody::ShiftClosed { shift_id, .. } => {
                self.shifts.get(shift_id).is_none_or(|s| here(&s.venue))
            }
            OpBody::RequestUpdated { id, .. }
            | OpBody::RequestReplied { id, .. }
            | OpBody::RequestFollowedUp { id, .. } => {
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
            OpBody::OrderContact { number, .. } => {
                self.orders.venue_of(number).is_none_or(|v| v == venue)
                    && self.holds.get(number).is_none_or(|h| here(&h.venue))
            }
            OpBody::OrderHeld(held) => here(&held.venue),
            OpBody::StockBatchCreated(batch) => here(&batch.venue),
            OpBody::StockMoved(movement) => self
                .stock
                .batch(&movement.batch)
                .is_none_or(|b| here(&b.venue)),
            OpBody::EntriesImported(import) => here(&import.venue),
            OpBody::DrillStarted { venue, .. } => here(venue),
            OpBody::DrillEnded { id, .. } => self.drills.get(id).is_none_or(|d| here(&d.venue)),
            OpBody::HoldReleased { number, .. } | OpBody::PaymentRefused { number, .. } => {
                self.holds.get(number).is_none_or(|h| here(&h.venue))
            }
            OpBody::UserSaved(_)
            | OpBody::PasswordSet { .. }
            | OpBody::SessionKeyPublished { .. }
            | OpBody::SessionEnded { .. }
            | OpBody::KeyRevoked { .. }
            | OpBody::OpHeld { .. }
            | OpBody::LanguageChosen { .. }
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
        if let Some((batch, _)) = self.stock.of_serial(serial) {
            return batch.venue.as_str() == venue;
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

/// Whether a gate gets `op` in full: only what deciding a scan needs, never a password, a
/// visitor's contact, an enrolment code or mail.
fn shares_with_gate(op: &Op) -> bool {
    match &op.body {
        OpBody::UserSaved(user) => user.password_hash.is_empty(),
        OpBody::OrderPlaced(placed) => placed.email.is_none() && placed.name.is_none(),
        OpBody::VenueSaved(_)
        | OpBody::ProductSaved(_)
        | OpBody::SlotCreated(_)
        | OpBody::SlotChanged { .. }
        | OpBody::SlotDeleted { .. }
        | OpBody::KeyPublished { .. }
        | OpBody::KeyRevoked { .. }
        | OpBody::NodeEnrolled { .. }
        | OpBody::NodeRevoked { .. }
        | OpBody::OrderCancelled { .. }
        | OpBody::TicketVoided { .. }
        | OpBody::EntryRecorded { .. }
        | OpBody::ScanDenied { .. }
        | OpBody::PassNotUsed { .. }
        | OpBody::LeaseGranted { .. }
        | OpBody::LeaseReturned { .. }
        | OpBody::EquivocationDetected { .. }
        | OpBody::ForgedOpRefused { .. }
        | OpBody::RevokedPushRefused { .. }
        | OpBody::OpHeld { .. }
        | OpBody::FindingResolved { .. }
        | OpBody::StockBatchCreated(_)
        | OpBody::StockMoved(_)
        | OpBody::DrillStarted { .. }
        | OpBody::DrillEnded { .. }
        | OpBody::Elided { .. } => true,
        OpBody::PasswordSet { .. }
        | OpBody::OrderContact { .. }
        | OpBody::EnrolmentCreated { .. }
        | OpBody::SessionKeyPublished { .. }
        | OpBody::SessionEnded { .. }
        | OpBody::LanguageChosen { .. }
        | OpBody::ShiftOpened { .. }
        | OpBody::ShiftClosed { .. }
        | OpBody::OrderPrinted { .. }
        | OpBody::PrinterSaved(_)
        | OpBody::RequestReceived { .. }
        | OpBody::RequestUpdated { .. }
        | OpBody::RequestReplied { .. }
        | OpBody::MailQueued { .. }
        | OpBody::MailAttempted { .. }
        | OpBody::OrderHeld(_)
        | OpBody::HoldReleased { .. }
        | OpBody::PaymentRefused { .. }
        | OpBody::RequestFollowedUp { .. }
        | OpBody::EntriesImported(_) => false,
    }
}
