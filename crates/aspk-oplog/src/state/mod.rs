//! The derived state: a deterministic fold over the op log. Given the same set of ops,
//! delivered in any causal order (each origin's ops in sequence, and every op after the
//! ops its origin had seen), every replica reaches the same state and the same findings.

mod authority;
mod capabilities;
mod desk;
mod drills;
mod findings;
mod holds;
mod names;
mod orders;
mod paged;
mod parked;
mod scope;
mod slots;
mod snapshot;
mod stock;
mod tickets;
mod time_index;
mod trust;

use std::collections::{BTreeMap, HashMap};

use aspk_domain::{
    Entry, FindingKind, Mail, Order, OrderStatus, Payment, Printer, Product, Shift, Slot, Slug,
    TicketStatus, User, Username, Venue, VisitorRequest,
};
use chrono::{DateTime, Utc};

pub use authority::{
    capability, Author, AuthorRole, Capability, CAPABILITIES, ENTRY_MARGIN_MINUTES, STOCK_HOLDER,
};
pub use desk::PrintRecord;
pub use drills::{Drill, DrillBook, DRILL_UNDONE};
pub use findings::{Finding, Resolution, KINDS as FINDING_KINDS};
pub use holds::{Hold, HoldStatus};
pub use orders::{OrderTable, Placement};
pub use paged::PagedMap;
pub use scope::{Audience, AudienceKind};
pub use slots::SlotState;
pub use snapshot::SnapshotError;
pub use stock::{BatchReport, LedgerLine, NumberState, StockBook};
pub use tickets::{code_hash, TicketBrief, TicketTable};
pub use time_index::TimeIndex;
pub use trust::{session_key_id, SessionKey};

use crate::{Op, OpBody, OrderPlaced, TicketIssued};

/// The reason a node records when a device reported an admission it could not verify (a
/// serial never sold, another venue's ticket, one outside its validity): it marks nothing
/// used, and becomes an `unverified_entry` finding.
pub const UNVERIFIED_ENTRY: &str = "unverified_entry";

/// The identity that orders concurrent ops deterministically: `(hlc, origin)`.
fn stamp(op: &Op) -> (u64, String) {
    (op.hlc.0, op.origin.clone())
}

/// Payments are kept in time order, whatever order they arrived in.
fn add_payment(order: &mut Order, payment: Payment) {
    let key = |p: &Payment| (p.at, p.amount_minor);
    let pos = order.payments.partition_point(|p| key(p) <= key(&payment));
    order.payments.insert(pos, payment);
}

/// A node that joined with an enrolment code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeRecord {
    pub node_id: String,
    /// `site_node`, `gate` or `scanner`.
    pub role: String,
    pub venue: Slug,
    pub name: String,
    pub origin: String,
    pub token_hash: String,
    pub revoked: Option<String>,
    /// The key it signs its ops with, when it is not a delegated ticket key.
    #[serde(default)]
    pub public_key: Option<String>,
    /// A site node: whether its venue's staff sign in there (see `node_enrolled`).
    #[serde(default)]
    pub local_sign_in: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Enrolment {
    pub role: String,
    pub venue: Slug,
    pub expires_at: DateTime<Utc>,
    pub used_by: Option<String>,
    #[serde(default)]
    pub local_sign_in: Option<bool>,
}

/// What the log says about a ticket-signing key beyond its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct KeyMeta {
    pub holder: Option<String>,
    /// Serials `[from, to)` the key may sign.
    pub serials: Option<(u64, u64)>,
    /// When the key was made valid, and after when no ticket it signs may be usable.
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
}

/// Everything derived from the log. Built only by [`State::apply`].
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub(crate) venues: BTreeMap<Slug, Venue>,
    pub(crate) products: BTreeMap<(Slug, Slug), Product>,
    pub(crate) slots: HashMap<String, SlotState>,
    /// (venue, start, slot id) for range queries by day.
    pub(crate) slots_by_time: BTreeMap<(Slug, DateTime<Utc>, String), ()>,
    pub(crate) orders: OrderTable,
    /// (created, number): orders in time order, for lists and reports.
    pub(crate) orders_by_time: TimeIndex,
    pub(crate) tickets: TicketTable,
    pub(crate) users: BTreeMap<Username, User>,
    /// Ticket-signing public keys by key id (hex).
    pub(crate) keys: BTreeMap<u16, String>,
    pub(crate) key_meta: BTreeMap<u16, KeyMeta>,
    pub(crate) nodes: BTreeMap<String, NodeRecord>,
    /// Enrolment codes by their hash.
    pub(crate) enrolments: BTreeMap<String, Enrolment>,
    pub(crate) findings: BTreeMap<String, Finding>,
    pub(crate) shifts: BTreeMap<String, Shift>,
    /// The open shift of each cashier (actor → shift id).
    open_shifts: BTreeMap<String, String>,
    pub(crate) printers: BTreeMap<Slug, Printer>,
    /// Print jobs per order number.
    pub(crate) prints: HashMap<u64, Vec<PrintRecord>>,
    pub(crate) requests: BTreeMap<String, VisitorRequest>,
    pub(crate) outbox: BTreeMap<String, Mail>,
    /// Online orders waiting for (or past) their payment, by order number.
    #[serde(default)]
    pub(crate) holds: BTreeMap<u64, Hold>,
    /// Every serial a hold ever took: never issued to another order.
    #[serde(default)]
    pub(crate) held_serials: std::collections::HashSet<u64>,
    /// Ops that arrived before the order, ticket, slot or request they are about.
    parked: HashMap<parked::Subject, Vec<Op>>,
    resolutions: BTreeMap<String, Resolution>,
    /// For void tickets: how many entries the canceller knew of.
    voids_seen: HashMap<u64, u32>,
    /// Entries for tickets this replica has not seen sold yet (issued offline elsewhere),
    /// with the sequence numbers of the ops that recorded them.
    pending_entries: HashMap<u64, Vec<(Entry, u64)>>,
    /// Orders by the 64-bit digest of the key their sale attempt carried (the lowest
    /// number when a repeated attempt made two): a repeat finds the order instead of
    /// selling again. About 20 bytes an order.
    #[serde(default)]
    sale_keys: HashMap<u64, u64>,
    /// Highest sequence number applied per origin: the version vector.
    pub(crate) applied: BTreeMap<String, u64>,
    pub(crate) op_count: u64,
    /// The highest HLC reading of any op applied: a node restarted from a snapshot makes
    /// its clock observe it, as if it had folded every op again.
    pub(crate) max_hlc: u64,
    /// Decisions per (gate, hour since the epoch, UTC): admitted, refused by reason, unused.
    pub(crate) gate_counts: BTreeMap<(String, i64), GateCount>,
    /// The organisation's trust anchors this replica was given (key id → hex): the root
    /// keys every certificate chain starts from. Set at start, not by ops.
    #[serde(default)]
    anchors: BTreeMap<u16, String>,
    /// Per member of staff: the earliest HLC reading from which they held each role rank
    /// (or a stronger one) while active (`u64::MAX`: never). See `authority`.
    #[serde(default)]
    role_since: HashMap<String, [u64; 4]>,
    /// Origin → the node id of the enrolled node writing under it.
    #[serde(default)]
    node_by_origin: HashMap<String, String>,
    /// Keys that sign staff sessions, by their id (see [`session_key_id`]).
    #[serde(default)]
    pub(crate) session_keys: BTreeMap<String, SessionKey>,
    /// Sessions signed out of, by session id.
    #[serde(default)]
    ended_sessions: std::collections::HashSet<String>,
    /// Withdrawn keys: key id → from when ops and tickets it signs no longer count.
    #[serde(default)]
    pub(crate) revoked_keys: BTreeMap<u16, DateTime<Utc>>,
    /// Ops some node held back, by `(origin, seq)`: the content hash of each (its `op_held`
    /// finding stands until this replica holds that very op).
    #[serde(default)]
    held: HashMap<(String, u64), String>,
    /// Paper stock: batches, their ledger, voided ranges, imports of hand-recorded entries.
    #[serde(default)]
    pub(crate) stock: stock::StockBook,
    /// Rehearsed outages, and what was done in each.
    #[serde(default)]
    pub(crate) drills: drills::DrillBook,
    #[serde(skip)]
    digest_cache: DigestCache,
}

/// Read access for the rest of the system: only the fold (this crate) changes the state.
impl State {
    /// A copy of this state without finding `id`: what it would be had the op behind the
    /// finding never arrived (the property tests compare digests with it).
    pub fn without_finding(&self, id: &str) -> State {
        let mut copy = self.clone();
        copy.findings.remove(id);
        copy
    }

    pub fn venues(&self) -> &BTreeMap<Slug, Venue> {
        &self.venues
    }

    pub fn products(&self) -> &BTreeMap<(Slug, Slug), Product> {
        &self.products
    }

    pub fn slots(&self) -> &HashMap<String, SlotState> {
        &self.slots
    }

    pub fn slots_by_time(&self) -> &BTreeMap<(Slug, DateTime<Utc>, String), ()> {
        &self.slots_by_time
    }

    pub fn orders(&self) -> &OrderTable {
        &self.orders
    }

    pub fn orders_by_time(&self) -> &TimeIndex {
        &self.orders_by_time
    }

    pub fn tickets(&self) -> &TicketTable {
        &self.tickets
    }

    pub fn users(&self) -> &BTreeMap<Username, User> {
        &self.users
    }

    pub fn keys(&self) -> &BTreeMap<u16, String> {
        &self.keys
    }

    pub fn key_meta(&self) -> &BTreeMap<u16, KeyMeta> {
        &self.key_meta
    }

    pub fn nodes(&self) -> &BTreeMap<String, NodeRecord> {
        &self.nodes
    }

    pub fn enrolments(&self) -> &BTreeMap<String, Enrolment> {
        &self.enrolments
    }

    pub fn findings(&self) -> &BTreeMap<String, Finding> {
        &self.findings
    }

    pub fn shifts(&self) -> &BTreeMap<String, Shift> {
        &self.shifts
    }

    pub fn printers(&self) -> &BTreeMap<Slug, Printer> {
        &self.printers
    }

    pub fn prints(&self) -> &HashMap<u64, Vec<PrintRecord>> {
        &self.prints
    }

    pub fn requests(&self) -> &BTreeMap<String, VisitorRequest> {
        &self.requests
    }

    pub fn outbox(&self) -> &BTreeMap<String, Mail> {
        &self.outbox
    }

    pub fn applied(&self) -> &BTreeMap<String, u64> {
        &self.applied
    }

    pub fn op_count(&self) -> u64 {
        self.op_count
    }

    pub fn max_hlc(&self) -> u64 {
        self.max_hlc
    }

    pub fn gate_counts(&self) -> &BTreeMap<(String, i64), GateCount> {
        &self.gate_counts
    }

    pub fn session_keys(&self) -> &BTreeMap<String, SessionKey> {
        &self.session_keys
    }

    pub fn revoked_keys(&self) -> &BTreeMap<u16, DateTime<Utc>> {
        &self.revoked_keys
    }
}

/// Feeds formatted text into a hash without building strings.
struct HashWriter<'a>(&'a mut blake3::Hasher);

impl std::fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// The last digest and the op count it was taken at (not part of the state).
#[derive(Debug, Default)]
struct DigestCache(std::sync::Mutex<Option<(u64, Option<String>, String)>>);

impl Clone for DigestCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// What one gate decided in one hour.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GateCount {
    pub admitted: u32,
    /// Passes granted but not walked through (withdrawn).
    pub unused: u32,
    pub denied: BTreeMap<String, u32>,
}

fn hour_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}

impl State {
    /// Whether `op` is the next op of its origin (earlier ones applied, this one not).
    pub fn is_next(&self, op: &Op) -> bool {
        op.seq == self.applied.get(&op.origin).copied().unwrap_or(0) + 1
    }

    /// Folds one op in. Ops at or below the origin's applied sequence number are ignored,
    /// so delivering an op twice changes nothing.
    pub fn apply(&mut self, op: &Op) {
        let seen = self.applied.entry(op.origin.clone()).or_insert(0);
        if op.seq <= *seen {
            return;
        }
        *seen = op.seq;
        self.op_count += 1;
        self.max_hlc = self.max_hlc.max(op.hlc.0);
        if !self.held.is_empty() {
            self.release_held(op);
        }
        if op.is_elided() {
            return;
        }
        self.apply_body(op);
    }

    /// Folds in what `op` says (its place in the version vector already taken), if its
    /// author may write it (see `authority`).
    fn apply_body(&mut self, op: &Op) {
        if let Some(subject) = self.missing_subject(op) {
            self.park(subject, op);
            return;
        }
        match self.authorise(op) {
            authority::Verdict::Allowed => {}
            authority::Verdict::Denied(reason) => {
                self.note_unauthorised(op, &reason, false);
                return;
            }
            authority::Verdict::Wait(subject, reason) => {
                self.note_unauthorised(op, &reason, true);
                self.park(subject, op);
                return;
            }
        }
        let at = op.hlc.to_datetime();
        if !self.apply_desk(op, at) {
            self.apply_core(op, at);
        }
        self.unpark_after(op);
    }

    fn apply_core(&mut self, op: &Op, at: DateTime<Utc>) {
        match &op.body {
            OpBody::VenueSaved(venue) => {
                self.venues.insert(venue.id.clone(), venue.clone());
            }
            OpBody::ProductSaved(product) => {
                let key = (product.venue.clone(), product.id.clone());
                self.products.insert(key, product.clone());
            }
            OpBody::SlotCreated(slot) => self.add_slot(slot),
            OpBody::UserSaved(user) => self.save_user(user, op.hlc.0),
            OpBody::KeyPublished {
                key_id,
                public_key,
                holder,
                serials,
                valid_from,
                valid_until,
            } => {
                self.keys.insert(*key_id, public_key.clone());
                self.key_meta.insert(
                    *key_id,
                    KeyMeta {
                        holder: holder.clone(),
                        serials: *serials,
                        valid_from: *valid_from,
                        valid_until: *valid_until,
                    },
                );
            }
            OpBody::OrderPlaced(placed) => self.place_order(placed, at, op),
            OpBody::OrderCancelled {
                number,
                reason,
                refund,
                more_refunds,
                entries_seen,
            } => {
                let refunds: Vec<&Payment> = refund.iter().chain(more_refunds).collect();
                self.cancel_order(*number, reason, &refunds, entries_seen, &stamp(op));
            }
            OpBody::TicketVoided {
                serial,
                reason,
                refund,
                more_refunds,
                entries_seen,
            } => {
                self.void_ticket(*serial, reason, *entries_seen, &stamp(op));
                if let Some(number) = self.tickets.order_of(serial) {
                    self.orders.update(number, |order| {
                        for refund in refund.iter().chain(more_refunds) {
                            add_payment(order, refund.clone());
                        }
                    });
                }
            }
            OpBody::EntryRecorded { serial, gate, at } => {
                // A drill's admissions are not counted at the gates either.
                if self.drills.of_serial(*serial).is_none() {
                    self.gate_counts
                        .entry((gate.clone(), hour_of(*at)))
                        .or_default()
                        .admitted += 1;
                }
                self.record_entry(*serial, gate, *at, op);
            }
            OpBody::PassNotUsed {
                serial, entry_hlc, ..
            } => self.withdraw_entry(*serial, &op.origin, *entry_hlc),
            OpBody::ScanDenied {
                serial,
                gate,
                at,
                reason,
            } => {
                if self.drills.of_serial(*serial).is_none() {
                    let count = self
                        .gate_counts
                        .entry((gate.clone(), hour_of(*at)))
                        .or_default();
                    *count.denied.entry(reason.clone()).or_default() += 1;
                }
                if reason == UNVERIFIED_ENTRY {
                    self.note_unverified_entry(op, *serial, gate, *at);
                }
            }
            OpBody::EnrolmentCreated {
                code_hash,
                role,
                venue,
                expires_at,
                local_sign_in,
            } => {
                let e = Enrolment {
                    role: role.clone(),
                    venue: venue.clone(),
                    expires_at: *expires_at,
                    used_by: None,
                    local_sign_in: *local_sign_in,
                };
                self.enrolments.entry(code_hash.clone()).or_insert(e);
            }
            OpBody::NodeEnrolled {
                node_id,
                code_hash,
                role,
                venue,
                name,
                origin,
                token_hash,
                public_key,
                local_sign_in,
            } => {
                if let Some(e) = self.enrolments.get_mut(code_hash) {
                    e.used_by.get_or_insert_with(|| node_id.clone());
                }
                let record = NodeRecord {
                    node_id: node_id.clone(),
                    role: role.clone(),
                    venue: venue.clone(),
                    name: name.clone(),
                    origin: origin.clone(),
                    token_hash: token_hash.clone(),
                    revoked: None,
                    public_key: public_key.clone(),
                    local_sign_in: *local_sign_in,
                };
                self.node_by_origin
                    .entry(origin.clone())
                    .or_insert_with(|| node_id.clone());
                self.nodes.entry(node_id.clone()).or_insert(record);
            }
            OpBody::NodeRevoked { node_id, reason } => {
                if let Some(node) = self.nodes.get_mut(node_id) {
                    node.revoked.get_or_insert_with(|| reason.clone());
                }
            }
            OpBody::LeaseGranted {
                holder,
                slot,
                seats,
            } => self.change_lease(holder, slot, i64::from(*seats)),
            OpBody::LeaseReturned {
                holder,
                slot,
                seats,
            } => self.change_lease(holder, slot, -i64::from(*seats)),
            OpBody::EquivocationDetected {
                origin,
                seq,
                kept_hash,
                other_hash,
            } => {
                self.note_equivocation(origin, *seq, kept_hash, other_hash);
            }
            OpBody::FindingResolved { id, note } => {
                let resolution = Resolution {
                    note: note.clone(),
                    by: op.actor.clone(),
                    at: Some(at),
                };
                self.resolutions.insert(id.clone(), resolution.clone());
                if let Some(f) = self.findings.get_mut(id) {
                    f.resolution = Some(resolution);
                }
            }
            OpBody::RevokedPushRefused { node_id, ops } => self.note_revoked_push(node_id, *ops),
            OpBody::ForgedOpRefused {
                origin,
                seq,
                from,
                reason,
            } => self.note_forged_op(origin, *seq, from, reason),
            // Folded by `apply_desk`.
            OpBody::ShiftOpened { .. }
            | OpBody::ShiftClosed { .. }
            | OpBody::OrderPrinted { .. }
            | OpBody::PrinterSaved(_)
            | OpBody::RequestReceived { .. }
            | OpBody::RequestUpdated { .. }
            | OpBody::RequestReplied { .. }
            | OpBody::RequestFollowedUp { .. }
            | OpBody::MailQueued { .. }
            | OpBody::MailAttempted { .. }
            | OpBody::Elided { .. } => {}
            OpBody::PasswordSet {
                username,
                password_hash,
            } => {
                if let Some(user) = self.users.get_mut(username) {
                    user.password_hash = password_hash.clone();
                }
            }
            OpBody::OrderContact {
                number,
                email,
                name,
                phone,
            } => {
                if let Some(hold) = self.holds.get_mut(number) {
                    hold.email = email.clone();
                    hold.name = name.clone();
                    hold.phone = phone.clone();
                }
                self.orders.update(*number, |order| {
                    order.email = email.clone();
                    order.name = name.clone();
                });
            }
            OpBody::SessionKeyPublished { public_key } => {
                let key = SessionKey {
                    origin: op.origin.clone(),
                    public_key: public_key.trim().to_ascii_lowercase(),
                };
                self.session_keys
                    .entry(session_key_id(public_key))
                    .or_insert(key);
            }
            OpBody::SessionEnded { session, .. } => {
                self.ended_sessions.insert(session.clone());
            }
            OpBody::KeyRevoked { key_id, since, .. } => {
                let at = self.revoked_keys.entry(*key_id).or_insert(*since);
                *at = (*at).min(*since);
            }
            OpBody::OpHeld {
                origin,
                seq,
                hash,
                from,
                reason,
            } => self.note_held(origin, *seq, hash, from, reason),
            OpBody::LanguageChosen { username, lang } => {
                if let Some(user) = self.users.get_mut(username) {
                    user.lang = Some(lang.clone());
                }
            }
            OpBody::SlotChanged {
                slot,
                capacity,
                is_closed,
            } => self.change_slot(slot, *capacity, *is_closed),
            OpBody::SlotDeleted { slot } => self.delete_slot(slot),
            OpBody::OrderHeld(held) => self.hold_order(held, at),
            OpBody::StockBatchCreated(batch) => {
                self.add_stock_batch(batch);
                self.note_drill_batch(batch, op);
            }
            OpBody::StockMoved(movement) => self.move_stock(movement, op),
            OpBody::EntriesImported(import) => {
                self.note_drill_import(import);
                self.note_import(import);
            }
            OpBody::DrillStarted { id, venue, name } => self.start_drill(id, venue, name, op),
            OpBody::DrillEnded { id, undo } => self.end_drill(id, *undo, op),
            OpBody::HoldReleased { number, reason } => {
                self.end_hold(*number, HoldStatus::Released, Some(reason));
            }
            OpBody::PaymentRefused {
                number,
                provider,
                reference,
                amount_minor,
                currency,
                reason,
                refunded,
            } => {
                let slot = self
                    .holds
                    .get(number)
                    .and_then(|h| h.seats.iter().find_map(|s| s.slot.clone()));
                self.end_hold(*number, HoldStatus::Refused, Some(reason));
                self.upsert(Finding {
                    id: format!("late_payment:{number}"),
                    kind: aspk_domain::FindingKind::LatePayment,
                    ticket: None,
                    slot,
                    facts: serde_json::json!({
                        "order": number,
                        "provider": provider,
                        "reference": reference,
                        "amount_minor": amount_minor,
                        "currency": currency,
                        "reason": reason,
                        "refunded": refunded,
                    }),
                    resolution: None,
                });
            }
        }
    }

    fn add_slot(&mut self, slot: &Slot) {
        let key = (slot.venue.clone(), slot.starts_at, slot.id.clone());
        self.slots_by_time.insert(key, ());
        self.slots
            .entry(slot.id.clone())
            .and_modify(|s| s.slot = slot.clone())
            .or_insert_with(|| SlotState::new(slot.clone()));
        self.check_oversell(&slot.id);
    }

    fn place_order(&mut self, placed: &OrderPlaced, at: DateTime<Utc>, op: &Op) {
        // Paying a hold: its seats stop counting as held as they are sold.
        self.end_hold(placed.number, HoldStatus::Paid, None);
        let mut touched = Vec::new();
        if let Some(drill) = &placed.drill {
            // Before the tickets go in: findings their entries bring are the drill's.
            self.mark_drill_serials(drill, placed.tickets.iter().map(|t| t.serial));
        }
        let at = placed.paper.as_ref().map_or(at, |p| p.sold_at);
        if let Some(paper) = &placed.paper {
            self.note_paper_sale(placed.number, paper);
        }
        for issued in &placed.tickets {
            if self.tickets.contains_key(&issued.serial) {
                // A serial is issued once; a second claim to it never takes a seat.
                if placed.paper.is_some() {
                    self.note_stock_entered_twice(issued.serial, placed.number);
                }
                continue;
            }
            if let Some(slot) = issued.slot.as_ref().and_then(|id| self.slots.get_mut(id)) {
                slot.take(&op.origin);
                if placed.is_overbooking {
                    slot.overbooked += 1;
                }
                touched.push(slot.slot.id.clone());
            }
            self.tickets.insert(tickets::NewTicket {
                issued,
                order: placed.number,
                venue: placed.venue.as_str(),
                issued_by: &op.origin,
            });
            for (entry, seq) in self
                .pending_entries
                .remove(&issued.serial)
                .unwrap_or_default()
            {
                self.insert_pending_entry(issued, placed.venue.as_str(), entry, seq);
            }
            if placed.paper.is_some() {
                self.check_stock(issued.serial);
            }
        }
        // A paid hold's contact came with the hold.
        let hold = self.holds.get(&placed.number);
        let email = placed
            .email
            .clone()
            .or_else(|| hold.and_then(|h| h.email.clone()));
        let name = placed
            .name
            .clone()
            .or_else(|| hold.and_then(|h| h.name.clone()));
        let order = Order {
            number: placed.number,
            venue: placed.venue.clone(),
            channel: placed.channel,
            email,
            tickets: placed.tickets.iter().map(|t| t.serial).collect(),
            payments: placed.payments.clone(),
            total_minor: placed.total_minor,
            currency: placed.currency,
            status: OrderStatus::Paid,
            created_at: at,
            created_by: Some(op.actor.clone()),
            cancel_reason: None,
            cancelled_by: None,
            shift: placed.shift.clone(),
            name,
            drill: placed.drill.clone(),
        };
        if !self.orders.contains_key(&placed.number) {
            self.orders_by_time.insert(at, placed.number);
            self.orders.put(&order, (&op.origin, op.seq));
            if let Some(key) = &placed.idempotency_key {
                self.note_sale_key(key, placed.number);
            }
            if let Some(drill) = &placed.drill {
                self.note_drill_order(drill, placed.number, op);
            }
        }
        touched.dedup();
        for slot in touched {
            self.check_oversell(&slot);
        }
    }

    fn cancel_order(
        &mut self,
        number: u64,
        reason: &str,
        refunds: &[&Payment],
        seen: &[(u64, u32)],
        by: &(u64, String),
    ) {
        let serials = self.orders.update(number, |order| {
            // Concurrent cancellations: the earliest gives the reason; a refund is a fact
            // either way.
            if order.cancelled_by.as_ref().is_none_or(|first| by < first) {
                order.cancelled_by = Some(by.clone());
                order.cancel_reason = Some(reason.to_owned());
            }
            if !refunds.is_empty() {
                order.status = OrderStatus::Refunded;
            } else if order.status == OrderStatus::Paid {
                order.status = OrderStatus::Cancelled;
            }
            for refund in refunds {
                add_payment(order, (*refund).clone());
            }
            order.tickets.clone()
        });
        for serial in serials.unwrap_or_default() {
            let known = seen
                .iter()
                .find(|(s, _)| *s == serial)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            self.void_ticket(serial, reason, known, by);
        }
    }

    /// Voids a ticket and returns its seat. Of concurrent voids the earliest gives the
    /// reason; an entry counts as admitted after cancel only if no canceller knew of it.
    fn void_ticket(&mut self, serial: u64, reason: &str, entries_seen: u32, by: &(u64, String)) {
        let Some(status) = self.tickets.status(&serial) else {
            return;
        };
        let seen = self.voids_seen.entry(serial).or_insert(0);
        *seen = (*seen).max(entries_seen);
        if self
            .tickets
            .voided_by(serial)
            .is_none_or(|first| by < first)
        {
            self.tickets.set_void(serial, reason, by);
        }
        if status != TicketStatus::Void {
            self.tickets.set_status(serial, TicketStatus::Void);
            let (slot, issuer) = self.tickets.seat(serial).unwrap_or_default();
            if let Some(id) = slot {
                if let Some(s) = self.slots.get_mut(&id) {
                    s.release(&issuer);
                }
                self.check_oversell(&id);
            }
        }
        self.check_ticket(serial);
    }

    fn record_entry(&mut self, serial: u64, gate: &str, at: DateTime<Utc>, op: &Op) {
        let entry = Entry {
            at,
            gate: gate.to_owned(),
            by: op.actor.clone(),
            origin: op.origin.clone(),
            hlc: op.hlc.0,
        };
        if self.tickets.contains_key(&serial) {
            self.insert_entry(serial, entry);
        } else {
            let pending = self.pending_entries.entry(serial).or_default();
            pending.push((entry, op.seq));
        }
        self.check_stock(serial);
    }

    /// Serials with entries waiting for their sale.
    pub(super) fn pending_entry_serials(&self) -> impl Iterator<Item = u64> + '_ {
        self.pending_entries.keys().copied()
    }

    /// Entries of a ticket sold offline elsewhere that this replica has not seen sold yet.
    pub fn pending_entries(&self, serial: u64) -> impl Iterator<Item = &Entry> {
        self.pending_entries
            .get(&serial)
            .into_iter()
            .flatten()
            .map(|(entry, _)| entry)
    }

    /// An entry that waited for its ticket's sale: it counts if its author may admit this
    /// ticket at that time (see `authority`); otherwise it is taken back from the gate's
    /// count and becomes an `unauthorised_op` finding.
    fn insert_pending_entry(&mut self, issued: &TicketIssued, venue: &str, entry: Entry, seq: u64) {
        let author = self.author_by_origin(&entry.origin);
        let verdict = self.entry_allowed(
            venue,
            issued.valid_from,
            issued.valid_until,
            entry.at,
            &author,
        );
        if let authority::Verdict::Denied(reason) = verdict {
            let count = self
                .gate_counts
                .entry((entry.gate.clone(), hour_of(entry.at)))
                .or_default();
            count.admitted = count.admitted.saturating_sub(1);
            let op = Op {
                origin: entry.origin.clone(),
                seq,
                hlc: crate::Hlc(entry.hlc),
                actor: entry.by.clone(),
                body: OpBody::EntryRecorded {
                    serial: issued.serial,
                    gate: entry.gate.clone(),
                    at: entry.at,
                },
                sig: None,
            };
            self.note_unauthorised(&op, &reason, false);
            return;
        }
        self.insert_entry(issued.serial, entry);
    }

    fn insert_entry(&mut self, serial: u64, entry: Entry) {
        let Some(status) = self.tickets.status(&serial) else {
            return;
        };
        self.tickets.add_entry(serial, &entry);
        if status == TicketStatus::Valid {
            self.tickets.set_status(serial, TicketStatus::Used);
        }
        self.check_ticket(serial);
    }

    /// Removes the entry `origin` recorded at `hlc` (a pass nobody used).
    fn withdraw_entry(&mut self, serial: u64, origin: &str, hlc: u64) {
        let is_it = |e: &Entry| e.origin == origin && e.hlc == hlc;
        let pending = self
            .pending_entries
            .get(&serial)
            .and_then(|entries| entries.iter().find(|(e, _)| is_it(e)))
            .map(|(e, _)| e.clone());
        let withdrawn = match pending {
            Some(entry) => Some(entry),
            None => self.tickets.remove_entry(serial, origin, hlc),
        }
        .map(|e| (e.gate, hour_of(e.at)));
        if let Some(key) = withdrawn {
            let count = self.gate_counts.entry(key).or_default();
            count.admitted = count.admitted.saturating_sub(1);
            count.unused += 1;
        }
        if let Some(pending) = self.pending_entries.get_mut(&serial) {
            pending.retain(|(e, _)| !is_it(e));
        }
        self.check_stock(serial);
        let Some(status) = self.tickets.status(&serial) else {
            return;
        };
        let left = self.tickets.entry_count(serial);
        if left == 0 && status == TicketStatus::Used {
            self.tickets.set_status(serial, TicketStatus::Valid);
        }
        if left < 2 {
            self.findings.remove(&format!("double_entry:{serial}"));
        }
        self.check_ticket(serial);
    }

    fn change_lease(&mut self, holder: &str, slot: &str, delta: i64) {
        if let Some(s) = self.slots.get_mut(slot) {
            *s.leases.entry(holder.to_owned()).or_default() += delta;
        }
        self.check_oversell(slot);
    }

    /// Recomputes the ticket's findings from its current entries and status.
    fn check_ticket(&mut self, serial: u64) {
        let Some(status) = self.tickets.status(&serial) else {
            return;
        };
        let entries = self.tickets.entry_count(serial);
        let seen = self.voids_seen.get(&serial).copied();
        // Most tickets (no second entry, never voided) need no closer look.
        let suspect = entries > 1 || (status == TicketStatus::Void && seen.is_some());
        let ticket = match suspect {
            true => self.tickets.get(&serial),
            false => None,
        };
        let double = ticket.as_ref().and_then(findings::double_entry);
        let after_cancel = ticket
            .as_ref()
            .zip(seen)
            .and_then(|(ticket, seen)| findings::admitted_after_cancel(ticket, seen));
        // A later void that knew of the entries can clear an earlier suspicion.
        if after_cancel.is_none() {
            self.findings
                .remove(&format!("admitted_after_cancel:{serial}"));
        }
        for finding in [double, after_cancel].into_iter().flatten() {
            self.upsert(finding);
        }
    }

    fn check_oversell(&mut self, slot_id: &str) {
        let Some(slot) = self.slots.get(slot_id) else {
            return;
        };
        let id = format!("oversell:{slot_id}");
        if slot.is_oversold() || slot.overbooked > 0 {
            let facts = serde_json::json!({
                "capacity": slot.slot.capacity,
                "sold": slot.sold,
                "declared_overbooking": slot.overbooked,
                "sold_by": slot.sold_by,
                "leases": slot.leases,
                "starts_at": slot.slot.starts_at,
            });
            let finding = Finding {
                id,
                kind: FindingKind::Oversell,
                ticket: None,
                slot: Some(slot_id.to_owned()),
                facts,
                resolution: None,
            };
            self.upsert(finding);
        } else {
            self.findings.remove(&id);
        }
    }

    fn note_equivocation(&mut self, origin: &str, seq: u64, kept: &str, other: &str) {
        let id = format!("equivocation:{origin}:{seq}");
        let hashes = self.fact_set_with(&id, "hashes", [kept.to_owned(), other.to_owned()]);
        let facts = serde_json::json!({"origin": origin, "seq": seq, "hashes": hashes});
        self.upsert(Finding {
            id,
            kind: FindingKind::Equivocation,
            ticket: None,
            slot: None,
            facts,
            resolution: None,
        });
    }

    fn note_revoked_push(&mut self, node_id: &str, ops: u32) {
        let id = format!("revoked_push:{node_id}");
        let before = self
            .findings
            .get(&id)
            .and_then(|f| f.facts["ops_refused"].as_u64())
            .unwrap_or(0);
        let facts = serde_json::json!({"node_id": node_id, "ops_refused": before + u64::from(ops)});
        self.upsert(Finding {
            id,
            kind: FindingKind::RevokedPush,
            ticket: None,
            slot: None,
            facts,
            resolution: None,
        });
    }

    /// The order a sale attempt with `key` made, if it reached this replica.
    pub fn order_by_sale_key(&self, key: &str) -> Option<u64> {
        self.sale_keys.get(&code_hash(key)).copied()
    }

    /// A sale attempt repeated at a node that had not heard of the first one (the page
    /// failed over while the first node was cut off) made a second order. Both stand; one
    /// `duplicate_sale` finding lists them so that a manager refunds one.
    fn note_sale_key(&mut self, key: &str, number: u64) {
        // The same 64-bit BLAKE3 digest ticket codes are recognised by.
        let digest = code_hash(key);
        let Some(previous) = self.sale_keys.get(&digest).copied() else {
            self.sale_keys.insert(digest, number);
            return;
        };
        let first = previous.min(number);
        self.sale_keys.insert(digest, first);
        let id = format!("duplicate_sale:{key}");
        let orders = self.fact_set_with(&id, "orders", [previous, number].map(|n| n.to_string()));
        // About the earliest order's first ticket: the finding belongs to that venue.
        let ticket = self
            .orders
            .get(&first)
            .and_then(|o| o.tickets.first().copied());
        let facts = serde_json::json!({"key": key, "orders": orders});
        self.upsert(Finding {
            id,
            kind: FindingKind::DuplicateSale,
            ticket,
            slot: None,
            facts,
            resolution: None,
        });
    }

    fn note_forged_op(&mut self, origin: &str, seq: u64, from: &str, reason: &str) {
        // Several nodes may refuse the same op, in any order: the reports are a sorted set.
        let id = format!("forged_op:{origin}:{seq}");
        let reports = self.fact_set_with(&id, "refused_by", [format!("{from}: {reason}")]);
        let facts = serde_json::json!({"origin": origin, "seq": seq, "refused_by": reports});
        self.upsert(Finding {
            id,
            kind: FindingKind::ForgedOp,
            ticket: None,
            slot: None,
            facts,
            resolution: None,
        });
    }

    /// Fact `field` of finding `id` (a set of strings) with `more` added, sorted: the same
    /// whatever order the ops that add to it are folded in.
    fn fact_set_with(
        &self,
        id: &str,
        field: &str,
        more: impl IntoIterator<Item = String>,
    ) -> Vec<String> {
        let mut set: Vec<String> = self
            .findings
            .get(id)
            .and_then(|f| f.facts[field].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .chain(more)
            .collect();
        set.sort();
        set.dedup();
        set
    }

    fn upsert(&mut self, mut finding: Finding) {
        finding.resolution = self.resolutions.get(&finding.id).cloned();
        self.note_drill_finding(&finding);
        self.findings.insert(finding.id.clone(), finding);
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

    /// Slots of a venue running at some time in `[from, to)`: those starting in it and those
    /// that started earlier and are still on (a night opening past midnight), in start order.
    pub fn slots_overlapping(
        &self,
        venue: &Slug,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = &SlotState> {
        let earliest = from - chrono::Duration::days(aspk_domain::Slot::MAX_LENGTH_DAYS);
        self.slots_between(venue, earliest, to)
            .filter(move |s| s.slot.ends_at > from)
    }

    pub fn products_of<'a>(&'a self, venue: &'a Slug) -> impl Iterator<Item = &'a Product> + 'a {
        self.products.values().filter(move |p| &p.venue == venue)
    }

    pub fn venue_by_no(&self, no: u16) -> Option<&Venue> {
        self.venues.values().find(|v| v.no == no)
    }

    /// Open findings about real business (a drill's are the drill's to review).
    pub fn open_findings(&self) -> usize {
        self.findings
            .values()
            .filter(|f| f.is_open() && self.drills.of_finding(&f.id).is_none())
            .count()
    }

    /// Open findings, a drill's included.
    pub fn open_findings_all(&self) -> usize {
        self.findings.values().filter(|f| f.is_open()).count()
    }

    /// Repacks the big tables after a long fold (at start-up without a snapshot): the state
    /// then takes as little memory as one read from a snapshot. Changes nothing else.
    pub fn compact(&mut self) {
        self.tickets.compact();
        self.orders.compact();
        self.orders_by_time.compact();
    }

    /// A hash of everything replicas must agree on; equal digests mean converged state.
    /// Written straight from the compact tables (a million tickets in a fraction of a
    /// second) and kept until the next op changes the state.
    pub fn digest(&self) -> String {
        self.digest_for(None)
    }

    /// [`State::digest`] of what a replica of `venue` holds (see [`State::concerns`]): a
    /// full replica's digest for a venue equals the digest of that venue's replica once
    /// both hold the same ops.
    pub fn digest_for(&self, venue: Option<&str>) -> String {
        let mut cached = self
            .digest_cache
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let fresh = |(n, v, _): &&(u64, Option<String>, String)| {
            *n == self.op_count && v.as_deref() == venue
        };
        if let Some((_, _, digest)) = cached.as_ref().filter(fresh) {
            return digest.clone();
        }
        let digest = self.compute_digest(venue);
        *cached = Some((self.op_count, venue.map(str::to_owned), digest.clone()));
        digest
    }

    fn compute_digest(&self, venue: Option<&str>) -> String {
        let mut hasher = blake3::Hasher::new();
        let mut out = HashWriter(&mut hasher);
        self.tickets.digest_into(&mut out, venue);
        self.orders.digest_into(&mut out, venue);
        let mut slots: Vec<&SlotState> = self
            .slots
            .values()
            .filter(|s| venue.is_none_or(|v| s.slot.venue.as_str() == v))
            .collect();
        slots.sort_by(|a, b| a.slot.id.cmp(&b.slot.id));
        for s in slots {
            hasher.update(
                format!("s{}:{}:{:?}:{:?}\n", s.slot.id, s.sold, s.sold_by, s.leases).as_bytes(),
            );
        }
        // A venue's replica judges only the ops it holds in full: findings about ops it may
        // have as elisions (refused or held back elsewhere) are not part of its digest.
        let in_scope = |f: &&Finding| match venue {
            None => true,
            Some(v) => {
                !matches!(f.kind, FindingKind::UnauthorisedOp | FindingKind::HeldOp)
                    && self.finding_concerns(f, v)
            }
        };
        for f in self.findings.values().filter(in_scope) {
            hasher.update(format!("f{}:{}:{}\n", f.id, f.facts, f.is_open()).as_bytes());
        }
        hasher.update(
            format!(
                "n{:?}u{}\n",
                self.nodes.keys().collect::<Vec<_>>(),
                self.users.len()
            )
            .as_bytes(),
        );
        hasher.finalize().to_hex().to_string()
    }
}
