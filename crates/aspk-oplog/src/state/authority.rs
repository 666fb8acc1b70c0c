//! Who may write which op: the capability table, and the fold's check of it.
//!
//! Every op is signed by the node that decided it (checked when it arrives, see
//! [`crate::sig`]); the fold then asks what that node is, by the certificates in the log,
//! and whether its kind of node may write this kind of op, for this venue, with this actor.
//! The answer depends only on ops, so every replica gives the same one:
//!
//! - **allowed**: the op is folded in;
//! - **denied**: it stays in the log but changes nothing, and becomes one
//!   `unauthorised_op` finding (its id names the op, so it is the same everywhere);
//! - **waiting**: it could become allowed when an op it depends on arrives (the account
//!   of the member of staff who acted, the certificate of its node, the lease it sold
//!   from). It is parked, with the finding, until then.
//!
//! A member of staff's role is taken from the log, never from a token: the op's actor must
//! name an account that held at least the role the kind needs, while active, at a moment
//! (hybrid logical clock) before the op. The check is monotone (a later demotion does not
//! undo what was done before it reached the node that did it), so every replica reaches
//! the same verdict once it holds the same ops. Demoted or locked accounts are stopped
//! where sessions are checked: at the node, which checks the role the account holds now.

use aspk_domain::{FindingKind, Role, Slug};
use chrono::Duration;

use super::capabilities::AuthorRole::{BoxOffice, Cloud, Gate, Scanner, SiteNode};
pub use super::capabilities::{capability, Author, AuthorRole, Capability, CAPABILITIES};
use super::parked::Subject;
use super::{Finding, State};
use crate::{Op, OpBody};

/// How far outside a ticket's validity (beyond the venue's early opening) a gate or phone
/// entry may lie and still count: clocks of devices that were offline drift.
pub const ENTRY_MARGIN_MINUTES: i64 = 30;

/// The holder a stock key is published for: it signs paper stock codes, never ops.
pub const STOCK_HOLDER: &str = "stock";

/// The fold's verdict on an op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    Allowed,
    Denied(String),
    /// Could become allowed when `Subject` arrives.
    Wait(Subject, String),
}

use Verdict::{Allowed, Denied, Wait};

impl Verdict {
    /// This verdict, or when it allows, the next check's.
    fn and(self, next: impl FnOnce() -> Verdict) -> Verdict {
        match self {
            Allowed => next(),
            other => other,
        }
    }
}

fn denied(reason: impl Into<String>) -> Verdict {
    Denied(reason.into())
}

impl State {
    /// The node that wrote `op`, by the key that signed it and the certificates in the log;
    /// `None` when the log holds no certificate for it (yet).
    pub fn author_of(&self, op: &Op) -> Option<Author> {
        let sig = op.sig?;
        let node = self.node_of_origin(&op.origin);
        let as_node = |role: AuthorRole| {
            Some(Author {
                role,
                venue: node.map(|n| n.venue.clone()),
            })
        };
        if sig.key_id == 0 {
            return match node {
                Some(n) if n.role == "gate" && n.public_key.is_some() => as_node(Gate),
                _ => None,
            };
        }
        if self.is_root_key(sig.key_id) {
            return match node {
                None => Some(Author {
                    role: Cloud,
                    venue: None,
                }),
                Some(n) if n.role == "scanner" => as_node(Scanner),
                Some(_) => None,
            };
        }
        let holder = self.key_meta.get(&sig.key_id)?.holder.as_ref()?;
        let node = node?;
        if holder == &op.origin {
            let role = match node.role.as_str() {
                "site_node" => SiteNode,
                "box_office" => BoxOffice,
                _ => return None,
            };
            return Some(Author {
                role,
                venue: Some(node.venue.clone()),
            });
        }
        let voucher = self.node_of_origin(holder)?;
        let vouches =
            node.role == "scanner" && voucher.role == "site_node" && voucher.venue == node.venue;
        vouches.then(|| Author {
            role: Scanner,
            venue: Some(node.venue.clone()),
        })
    }

    /// The author of an op by its origin alone, for an op that was checked when it arrived
    /// (an entry that waited for its ticket's sale): an enrolled node's role and venue,
    /// otherwise the cloud.
    pub(super) fn author_by_origin(&self, origin: &str) -> Author {
        let Some(node) = self.node_of_origin(origin) else {
            return Author {
                role: Cloud,
                venue: None,
            };
        };
        let role = match node.role.as_str() {
            "gate" => Gate,
            "scanner" => Scanner,
            "box_office" => BoxOffice,
            _ => SiteNode,
        };
        Author {
            role,
            venue: Some(node.venue.clone()),
        }
    }

    /// Whether key `key_id` is a root key of the organisation: a trust anchor, or a root key
    /// a root key published.
    pub fn is_root_key(&self, key_id: u16) -> bool {
        self.anchors.contains_key(&key_id)
            || self
                .key_meta
                .get(&key_id)
                .is_some_and(|m| m.holder.is_none())
    }

    /// Whether `op` may be folded in (see the module docs).
    pub(super) fn authorise(&self, op: &Op) -> Verdict {
        let kind = op.body.kind();
        let Some(cap) = capability(kind) else {
            return denied(format!("no capability is defined for {kind}"));
        };
        let Some(author) = self.author_of(op) else {
            return match self.certificate_may_come(op) {
                true => Wait(
                    Subject::Certificate(op.origin.clone()),
                    "the certificate of its origin has not arrived".into(),
                ),
                false => denied("no certificate of the organisation vouches for its signer"),
            };
        };
        if !cap.authors.contains(&author.role) {
            return denied(format!("a {} may not write {kind}", author.role.as_str()));
        }
        match self.check_actor(op, cap, &author) {
            Allowed => self.check_conditions(op, &author),
            other => other,
        }
    }

    /// Whether the certificate that would vouch for `op`'s signer may still arrive: its
    /// origin has none here yet, and its key is unknown here or bound to that origin.
    fn certificate_may_come(&self, op: &Op) -> bool {
        let Some(sig) = op.sig else { return false };
        if self.node_of_origin(&op.origin).is_some() {
            return false;
        }
        if sig.key_id == 0 {
            return true;
        }
        match self.key_meta.get(&sig.key_id) {
            None => !self.anchors.contains_key(&sig.key_id),
            Some(meta) => meta.holder.as_deref() == Some(op.origin.as_str()),
        }
    }

    fn check_actor(&self, op: &Op, cap: &Capability, author: &Author) -> Verdict {
        let Some(name) = op.actor.strip_prefix("user:") else {
            let matches = |o: &&&str| match o.strip_suffix(':') {
                Some(prefix) => op
                    .actor
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with(':')),
                None => op.actor == **o,
            };
            return match cap.others.iter().any(|o| matches(&o)) {
                true => Allowed,
                false => denied(format!("{} may not write {}", op.actor, cap.kind)),
            };
        };
        let Some(needed) = cap.staff else {
            return denied(format!("{} is not a staff action", cap.kind));
        };
        let needed = self.role_needed(op, needed);
        if let (Some(venue), Some(user_venue)) = (&author.venue, self.user_venue(name)) {
            if venue != user_venue {
                return denied(format!("{name} works at {user_venue}, not at {venue}"));
            }
        }
        match self.held_role_before(name, needed, op.hlc.0) {
            true => Allowed,
            false => Wait(
                Subject::User(name.to_owned()),
                format!("{name} did not hold the role {} before it", needed.as_str()),
            ),
        }
    }

    /// The role an op needs beyond its kind's: overbooking, and enrolments or revocations
    /// of site nodes and gates.
    fn role_needed(&self, op: &Op, base: Role) -> Role {
        match &op.body {
            OpBody::OrderPlaced(p) if p.is_overbooking => Role::Manager,
            OpBody::EnrolmentCreated { role, .. }
                if !matches!(role.as_str(), "scanner" | "box_office") =>
            {
                Role::Admin
            }
            OpBody::NodeRevoked { node_id, .. } => match self.nodes.get(node_id) {
                Some(n) if n.role == "scanner" => base,
                _ => Role::Admin,
            },
            _ => base,
        }
    }

    fn user_venue(&self, name: &str) -> Option<&Slug> {
        self.users.get(name).and_then(|user| user.venue.as_ref())
    }

    /// Whether `name` held `role` (or a stronger one), active, at some HLC reading before `hlc`.
    fn held_role_before(&self, name: &str, role: Role, hlc: u64) -> bool {
        self.role_since
            .get(name)
            .is_some_and(|since| since[role.rank()] < hlc)
    }

    /// Kind-specific conditions: venue scope, leases, serial blocks, whose sale or shift.
    fn check_conditions(&self, op: &Op, author: &Author) -> Verdict {
        let own = |venue: &Slug| author.venue.as_ref().is_none_or(|v| v == venue);
        let own_str = |venue: &str| author.venue.as_ref().is_none_or(|v| v.as_str() == venue);
        match &op.body {
            OpBody::KeyPublished {
                key_id, public_key, ..
            } => self.check_key_publication(*key_id, public_key),
            OpBody::KeyRevoked { key_id, .. } => {
                match op.sig.is_some_and(|s| s.key_id != *key_id) {
                    true => Allowed,
                    false => denied("a key may not revoke itself"),
                }
            }
            OpBody::PasswordSet { username, .. } => match self.users.contains_key(username) {
                true => Allowed,
                false => Wait(
                    Subject::User(username.as_str().to_owned()),
                    "no such account yet".into(),
                ),
            },
            OpBody::EnrolmentCreated { role, venue, .. }
            | OpBody::NodeEnrolled { role, venue, .. }
                if author.role == SiteNode =>
            {
                match own(venue) && matches!(role.as_str(), "gate" | "scanner") {
                    true => self.check_new_origin(op),
                    false => denied("a site node enrols only gates and phones of its venue"),
                }
            }
            OpBody::NodeEnrolled { .. } => self.check_new_origin(op),
            OpBody::NodeRevoked { node_id, .. } if author.role == SiteNode => {
                match self.nodes.get(node_id) {
                    Some(n) if own(&n.venue) && n.role != "site_node" => Allowed,
                    _ => denied("a site node revokes only its venue's gates and phones"),
                }
            }
            OpBody::SessionEnded { username, .. } => {
                let own_session = op.actor.strip_prefix("user:") == Some(username.as_str());
                match own_session || self.is_admin_actor(op) {
                    true => Allowed,
                    false => denied("only its holder or an admin ends a session"),
                }
            }
            OpBody::LanguageChosen { username, .. } => {
                match op.actor.strip_prefix("user:") == Some(username.as_str()) {
                    true => Allowed,
                    false => denied("one chooses only one's own language"),
                }
            }
            OpBody::OrderPlaced(placed) => self.check_sale(op, placed, author),
            OpBody::OrderHeld(held) => self.check_hold(held),
            OpBody::StockBatchCreated(batch) => self.check_stock_batch(batch),
            OpBody::StockMoved(movement) => match self.stock.batch(&movement.batch) {
                Some(b) if own(&b.venue) => Allowed,
                Some(_) => denied("the batch is another venue's"),
                None => Wait(
                    Subject::Stock(movement.batch.clone()),
                    "no such stock batch yet".into(),
                ),
            },
            OpBody::EntriesImported(import) => match own(&import.venue) {
                true => self.check_drill_of(import.drill.as_deref(), &import.venue, false),
                false => denied("another venue's"),
            },
            OpBody::DrillStarted { id, venue, .. } => {
                match own(venue) && self.venues.contains_key(venue) {
                    true if self.drills.get(id).is_none() => Allowed,
                    true => denied("a drill of that id exists"),
                    false => denied("no such venue, or another venue's"),
                }
            }
            OpBody::DrillEnded { id, .. } => match self.drills.get(id) {
                Some(d) if own(&d.venue) => Allowed,
                Some(_) => denied("another venue's drill"),
                None => Wait(Subject::Drill(id.clone()), "no such drill yet".into()),
            },
            OpBody::FindingResolved { id, .. } if op.actor == "system:payments" => {
                match id.starts_with("late_payment:") {
                    true => Allowed,
                    false => denied("system:payments resolves only late payments"),
                }
            }
            OpBody::MailAttempted { .. } if op.actor == "system:inbound" => {
                match author.role == Cloud {
                    true => Allowed,
                    false => denied("bounces are taken in at the cloud"),
                }
            }
            OpBody::RequestFollowedUp { id, .. } => match self.requests.contains_key(id) {
                true => Allowed,
                false => denied("no such request"),
            },
            OpBody::HoldReleased { number, .. } => match self.holds.contains_key(number) {
                true => Allowed,
                false => denied("no such hold"),
            },
            OpBody::PaymentRefused { number, .. } => match self.holds.get(number) {
                Some(h) if h.status != crate::state::HoldStatus::Paid => Allowed,
                _ => denied("no unpaid hold of that number"),
            },
            OpBody::OrderContact { number, .. } if author.role == BoxOffice => {
                self.check_own_sale(op, *number)
            }
            OpBody::OrderContact { number, .. } | OpBody::OrderPrinted { number, .. } => {
                match self.orders.venue_of(number).is_none_or(own_str) {
                    true => Allowed,
                    false => denied("the order is another venue's"),
                }
            }
            OpBody::OrderCancelled { number, .. } => self
                .check_cancel(op, *number, author)
                .and(|| match author.role {
                    BoxOffice => self.check_own_sale(op, *number),
                    _ => Allowed,
                })
                .and(|| self.check_refund(op)),
            OpBody::TicketVoided { serial, .. } => match self.tickets.order_of(serial) {
                Some(number) => self
                    .check_cancel(op, number, author)
                    .and(|| self.check_refund(op)),
                None => self.check_refund(op),
            },
            OpBody::EntryRecorded { serial, at, .. } => self.check_entry(*serial, *at, author),
            OpBody::ScanDenied { serial, .. } => match self.tickets.venue_of(serial) {
                Some(v) if !own_str(v) => denied("the ticket is another venue's"),
                _ => Allowed,
            },
            OpBody::LeaseGranted { holder, .. } => match self.node_of_origin(holder) {
                Some(n) if matches!(n.role.as_str(), "site_node" | "box_office") => Allowed,
                _ => denied("leases go to enrolled site nodes and box offices"),
            },
            OpBody::LeaseReturned { holder, .. } if matches!(author.role, SiteNode | BoxOffice) => {
                match holder == &op.origin {
                    true => Allowed,
                    false => denied("a node returns only its own lease"),
                }
            }
            OpBody::ShiftOpened { venue, .. } | OpBody::RequestReceived { venue, .. } => {
                match own(venue) {
                    true => Allowed,
                    false => denied("another venue's"),
                }
            }
            OpBody::ShiftClosed { shift_id, .. } => self.check_shift_close(op, shift_id),
            OpBody::SlotChanged { slot, capacity, .. } => self.check_slot_change(slot, *capacity),
            OpBody::SlotDeleted { slot } => self.check_slot_delete(slot),
            OpBody::RequestUpdated { id, .. } | OpBody::RequestReplied { id, .. } => {
                match self.requests.get(id).is_none_or(|r| own(&r.venue)) {
                    true => Allowed,
                    false => denied("the request is another venue's"),
                }
            }
            OpBody::MailQueued { venue, .. } if author.role == SiteNode => {
                match venue.as_ref().is_some_and(own) {
                    true => Allowed,
                    false => denied("a site node mails only about its venue"),
                }
            }
            _ => Allowed,
        }
    }

    fn is_admin_actor(&self, op: &Op) -> bool {
        op.actor
            .strip_prefix("user:")
            .is_some_and(|name| self.held_role_before(name, Role::Admin, op.hlc.0))
    }

    fn check_key_publication(&self, key_id: u16, public_key: &str) -> Verdict {
        let clashes = |known: Option<&String>| known.is_some_and(|k| k != public_key);
        if clashes(self.anchors.get(&key_id)) || clashes(self.keys.get(&key_id)) {
            return denied(format!("key {key_id} is already another key"));
        }
        Allowed
    }

    /// A node's certificate must name an origin nobody has written under yet.
    fn check_new_origin(&self, op: &Op) -> Verdict {
        let OpBody::NodeEnrolled {
            origin, node_id, ..
        } = &op.body
        else {
            return Allowed;
        };
        let taken = self
            .node_of_origin(origin)
            .is_some_and(|n| &n.node_id != node_id)
            || self.applied.get(origin).is_some_and(|seq| *seq > 0);
        match taken {
            true => denied(format!("origin {origin} is taken")),
            false => Allowed,
        }
    }

    fn check_sale(&self, op: &Op, placed: &crate::OrderPlaced, author: &Author) -> Verdict {
        if op.actor == "system:payments" {
            return self.check_paid_hold(placed, author);
        }
        if let Some(id) = &placed.drill {
            let staff = op.actor.starts_with("user:");
            if !staff || placed.channel == aspk_domain::Channel::Online {
                return denied("a drill's sale is a staff sale at the box office or on paper");
            }
            if let verdict @ (Denied(_) | Wait(..)) =
                self.check_drill_of(Some(id), &placed.venue, false)
            {
                return verdict;
            }
        }
        let at_box_office = placed.channel == aspk_domain::Channel::BoxOffice;
        if author.role == BoxOffice && (!at_box_office || placed.paper.is_some()) {
            return denied("a box office sells only at the box office");
        }
        if let Some(paper) = &placed.paper {
            return self.check_paper_sale(op, placed, paper, author);
        }
        if placed
            .tickets
            .iter()
            .any(|t| self.stock.of_serial(t.serial).is_some())
        {
            return denied("paper stock numbers are sold only as paper sales");
        }
        if !matches!(author.role, SiteNode | BoxOffice) {
            return Allowed;
        }
        if author.venue.as_ref() != Some(&placed.venue) {
            return denied(format!(
                "a {} sells only for its venue",
                author.role.as_str()
            ));
        }
        let block = op
            .sig
            .and_then(|s| self.key_meta.get(&s.key_id))
            .and_then(|m| m.serials);
        let within = |n: u64| block.is_some_and(|(from, to)| (from..to).contains(&n));
        if !within(placed.number) || !placed.tickets.iter().all(|t| within(t.serial)) {
            return denied("serials outside the seller's key's block");
        }
        if placed.is_overbooking {
            return Allowed;
        }
        let mut per_slot: Vec<(&str, u32)> = Vec::new();
        for ticket in &placed.tickets {
            let Some(slot) = ticket.slot.as_deref() else {
                continue;
            };
            if self.tickets.contains_key(&ticket.serial) {
                continue;
            }
            match per_slot.iter_mut().find(|(s, _)| *s == slot) {
                Some((_, n)) => *n += 1,
                None => per_slot.push((slot, 1)),
            }
        }
        for (slot, wanted) in per_slot {
            let left = self
                .slots
                .get(slot)
                .and_then(|s| s.lease_left(&op.origin))
                .unwrap_or(0);
            if left < wanted {
                return Wait(
                    Subject::Lease(op.origin.clone(), slot.to_owned()),
                    format!("beyond the seller's lease on slot {slot}"),
                );
            }
        }
        Allowed
    }

    /// A box office touches only the orders it placed itself.
    fn check_own_sale(&self, op: &Op, number: u64) -> Verdict {
        match self.orders.placement(&number) {
            Some((origin, _)) if origin == op.origin => Allowed,
            Some(_) => denied("a box office touches only the orders it sold"),
            None => Wait(Subject::Order(number), "no such order yet".into()),
        }
    }

    /// A paper sale: every number is of a listed batch of the order's venue, of the batch's
    /// product when it has one; a site node sells for its venue under its own order numbers.
    fn check_paper_sale(
        &self,
        op: &Op,
        placed: &crate::OrderPlaced,
        paper: &crate::PaperSale,
        author: &Author,
    ) -> Verdict {
        if placed.channel != aspk_domain::Channel::Paper || op.actor == "visitor" {
            return denied("a paper sale is entered by staff, on the paper channel");
        }
        if author.venue.as_ref().is_some_and(|v| v != &placed.venue) {
            return denied("a site node sells only for its venue");
        }
        for id in &paper.batches {
            if self.stock.batch(id).is_none() {
                return Wait(
                    Subject::Stock(id.clone()),
                    format!("stock batch {id} has not arrived"),
                );
            }
        }
        let fits = |t: &crate::TicketIssued| {
            self.stock.of_serial(t.serial).is_some_and(|(b, _)| {
                paper.batches.contains(&b.id)
                    && b.venue == placed.venue
                    && b.drill == placed.drill
                    && b.product.as_ref().is_none_or(|p| p == &t.product)
            })
        };
        match placed.tickets.iter().all(fits) {
            true => Allowed,
            false => denied("a number outside the listed batches, or of another product"),
        }
    }

    /// That `drill` (if any) is one at `venue` (and, if `running`, not ended).
    fn check_drill_of(&self, drill: Option<&str>, venue: &Slug, running: bool) -> Verdict {
        let Some(id) = drill else { return Allowed };
        match self.drills.get(id) {
            Some(d) if &d.venue != venue => denied("the drill is another venue's"),
            Some(d) if running && !d.is_running() => denied("the drill has ended"),
            Some(_) => Allowed,
            None => Wait(Subject::Drill(id.to_owned()), "no such drill yet".into()),
        }
    }

    /// A new batch: numbers that overlap no other batch of its series at its venue, serials
    /// inside its stock key's block that overlap no other batch's.
    fn check_stock_batch(&self, batch: &aspk_domain::StockBatch) -> Verdict {
        if self.stock.batch(&batch.id).is_some() || batch.first > batch.last {
            return denied("a batch id that exists, or an empty range");
        }
        if let verdict @ (Denied(_) | Wait(..)) =
            self.check_drill_of(batch.drill.as_deref(), &batch.venue, true)
        {
            return verdict;
        }
        let overlaps = self
            .stock
            .of_series(batch.venue.as_str(), &batch.series)
            .any(|b| b.first <= batch.last && batch.first <= b.last);
        if overlaps {
            return denied("the numbers overlap another batch of the series");
        }
        let (lo, hi) = (
            batch.serial_from,
            batch.serial_from + u64::from(batch.count()),
        );
        let in_block = self
            .key_meta
            .get(&batch.key_id)
            .filter(|m| m.holder.as_deref() == Some(STOCK_HOLDER))
            .and_then(|m| m.serials)
            .is_some_and(|(from, to)| from <= lo && hi <= to);
        let clashes = self.stock.batches().any(|b| {
            let (blo, bhi) = (b.serial_from, b.serial_from + u64::from(b.count()));
            blo < hi && lo < bhi
        });
        match in_block && !clashes {
            true => Allowed,
            false => denied("serials outside a stock key's block or taken by another batch"),
        }
    }

    fn check_cancel(&self, op: &Op, number: u64, author: &Author) -> Verdict {
        let Some(order) = self.orders.get(&number) else {
            return Allowed;
        };
        if author.venue.as_ref().is_some_and(|v| v != &order.venue) {
            return denied("the order is another venue's");
        }
        if op.actor == "visitor" {
            let unused = order.tickets.iter().all(|serial| {
                self.tickets
                    .get(serial)
                    .is_some_and(|t| t.entries.is_empty())
            });
            let online = order.channel == aspk_domain::Channel::Online;
            return match author.role == Cloud && online && unused {
                true => Allowed,
                false => denied("a visitor cancels only an unused online order, at the cloud"),
            };
        }
        let Some(name) = op.actor.strip_prefix("user:") else {
            return Allowed;
        };
        if self.held_role_before(name, Role::Manager, op.hlc.0) {
            return Allowed;
        }
        match order.created_by.as_deref() == Some(op.actor.as_str()) {
            true => Allowed,
            false => denied("a cashier cancels only their own sales"),
        }
    }

    /// A refund: paid back in the refunder's own shift when it names one, and, for a ticket
    /// its author knew had admitted someone, only by a manager, with a reason.
    fn check_refund(&self, op: &Op) -> Verdict {
        let (refunds, used, reason) = match &op.body {
            OpBody::OrderCancelled {
                refund,
                more_refunds,
                entries_seen,
                reason,
                ..
            } => (
                refund.iter().chain(more_refunds),
                !entries_seen.is_empty(),
                reason,
            ),
            OpBody::TicketVoided {
                refund,
                more_refunds,
                entries_seen,
                reason,
                ..
            } => (refund.iter().chain(more_refunds), *entries_seen > 0, reason),
            _ => return Allowed,
        };
        let refunds: Vec<&aspk_domain::Payment> = refunds.collect();
        if refunds.is_empty() {
            return Allowed;
        }
        for shift_id in refunds.iter().filter_map(|p| p.shift.as_deref()) {
            match self.shifts.get(shift_id) {
                None => {
                    return Wait(
                        Subject::Shift(shift_id.to_owned()),
                        "the refund's shift is not known yet".into(),
                    )
                }
                Some(shift) if shift.cashier != op.actor => {
                    return denied("a refund is paid back in the refunder's own shift")
                }
                Some(_) => {}
            }
        }
        let Some(name) = op.actor.strip_prefix("user:") else {
            return Allowed;
        };
        if !used {
            return Allowed;
        }
        if !self.held_role_before(name, Role::Manager, op.hlc.0) {
            return denied("only a manager refunds a ticket that was already used");
        }
        match reason.trim().is_empty() {
            true => denied("refunding a used ticket needs a reason"),
            false => Allowed,
        }
    }

    fn check_entry(
        &self,
        serial: u64,
        at: chrono::DateTime<chrono::Utc>,
        author: &Author,
    ) -> Verdict {
        let Some(ticket) = self.tickets.brief(&serial) else {
            // Sold elsewhere and not here yet: the entry waits, and is checked when the sale
            // arrives (`entry_allowed`).
            return Allowed;
        };
        self.entry_allowed(
            ticket.venue,
            ticket.valid_from,
            ticket.valid_until,
            at,
            author,
        )
    }

    /// Whether an entry by `author` of ticket `serial` at `at` would count (see
    /// [`State::entry_allowed`]); `None` when this replica does not know the ticket.
    pub fn entry_would_count(
        &self,
        serial: u64,
        at: chrono::DateTime<chrono::Utc>,
        author: &Author,
    ) -> Option<Result<(), String>> {
        let ticket = self.tickets.brief(&serial)?;
        Some(
            match self.entry_allowed(
                ticket.venue,
                ticket.valid_from,
                ticket.valid_until,
                at,
                author,
            ) {
                Denied(reason) | Wait(_, reason) => Err(reason),
                Allowed => Ok(()),
            },
        )
    }

    /// Whether an entry at `at` by `author` counts for a ticket of `venue` valid in
    /// `[from, until)`: every node but the cloud admits only its venue's tickets, and gates
    /// and phones only while the ticket is valid (give or take the venue's early opening
    /// and some clock drift).
    pub(super) fn entry_allowed(
        &self,
        venue: &str,
        from: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
        at: chrono::DateTime<chrono::Utc>,
        author: &Author,
    ) -> Verdict {
        if author.venue.as_ref().is_some_and(|v| v.as_str() != venue) {
            return denied("the ticket is another venue's");
        }
        if matches!(author.role, Gate | Scanner) {
            let early = self
                .venues
                .values()
                .find(|v| v.id.as_str() == venue)
                .map_or(0, |v| i64::from(v.early_entry_minutes));
            let margin = Duration::minutes(ENTRY_MARGIN_MINUTES);
            if at < from - Duration::minutes(early) - margin || at > until + margin {
                return denied("the entry lies outside the ticket's validity");
            }
        }
        Allowed
    }

    fn check_shift_close(&self, op: &Op, shift_id: &str) -> Verdict {
        let Some(name) = op.actor.strip_prefix("user:") else {
            return Allowed;
        };
        let Some(shift) = self.shifts.get(shift_id) else {
            return Allowed;
        };
        if shift.cashier == op.actor || self.held_role_before(name, Role::Manager, op.hlc.0) {
            return Allowed;
        }
        denied("a cashier closes only their own shift")
    }

    /// Records that `op` was not folded in (`waiting`: yet), as one finding about it.
    pub(super) fn note_unauthorised(&mut self, op: &Op, reason: &str, waiting: bool) {
        let id = unauthorised_id(&op.origin, op.seq);
        let ticket = match &op.body {
            OpBody::EntryRecorded { serial, .. } | OpBody::ScanDenied { serial, .. } => {
                Some(*serial)
            }
            _ => None,
        };
        let facts = serde_json::json!({
            "origin": op.origin,
            "seq": op.seq,
            "op": op.body.kind(),
            "actor": op.actor,
            "reason": reason,
            "waiting": waiting,
        });
        self.upsert(Finding {
            id,
            kind: FindingKind::UnauthorisedOp,
            ticket,
            slot: None,
            facts,
            resolution: None,
        });
    }

    /// An op that waited is being folded in again: its finding goes (and comes back if it
    /// still may not be).
    pub(super) fn forget_unauthorised(&mut self, op: &Op) {
        self.findings.remove(&unauthorised_id(&op.origin, op.seq));
    }
}

fn unauthorised_id(origin: &str, seq: u64) -> String {
    format!("unauthorised_op:{origin}:{seq}")
}

impl State {
    /// A hold takes a number and serials nobody has used.
    fn check_hold(&self, held: &crate::OrderHeld) -> Verdict {
        let taken = self.order_number_taken(held.number)
            || held.seats.iter().any(|s| self.serial_taken(s.serial));
        match taken {
            true => denied("a hold takes a number and serials nobody has used"),
            false => Allowed,
        }
    }

    /// A confirmed payment places exactly the order its hold described: the same venue,
    /// serials, products, slots and total, online, at the cloud.
    fn check_paid_hold(&self, placed: &crate::OrderPlaced, author: &Author) -> Verdict {
        let Some(hold) = self.holds.get(&placed.number) else {
            return denied("a payment places only a held order");
        };
        let same_tickets = hold.seats.len() == placed.tickets.len()
            && hold.seats.iter().zip(&placed.tickets).all(|(s, t)| {
                s.serial == t.serial
                    && s.product == t.product
                    && s.slot == t.slot
                    && s.price_minor == t.price_minor
            });
        let ok = author.role == Cloud
            && placed.channel == aspk_domain::Channel::Online
            && !placed.is_overbooking
            && placed.venue == hold.venue
            && placed.total_minor == hold.total_minor
            && placed.currency == hold.currency
            && same_tickets;
        match ok {
            true => Allowed,
            false => denied("a payment places exactly the order its hold described"),
        }
    }
}
