use aspk_domain::{
    Channel, Currency, Email, Payment, Printer, Product, RequestStatus, Slot, Slug, StockBatch,
    StockMove, User, Username, Venue,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Hlc;

/// One entry of the append-only log. `(origin, seq)` is its identity everywhere: a node
/// never reuses a sequence number, and replicas relay ops unchanged.
/// Serialised as JSON into the log; field order is part of the content hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// The node (and incarnation) that decided this op.
    pub origin: String,
    /// Contiguous per origin, from 1.
    pub seq: u64,
    pub hlc: Hlc,
    /// The person or device that acted, e.g. `user:anna` or `device:gate-2`.
    pub actor: String,
    pub body: OpBody,
    /// The origin's signature over the rest (see [`crate::sig`]); relays keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<crate::OpSig>,
}

/// An op without its signature, serialised exactly as an unsigned [`Op`] is.
#[derive(Serialize)]
struct Content<'a> {
    origin: &'a str,
    seq: u64,
    hlc: Hlc,
    actor: &'a str,
    body: &'a OpBody,
}

/// `(origin, seq)`: an op's identity on every node.
pub type OpId = (String, u64);

impl Op {
    pub fn id(&self) -> OpId {
        (self.origin.clone(), self.seq)
    }

    /// Content hash: the same `(origin, seq)` with a different hash is an equivocation.
    /// The signature is not part of it.
    pub fn hash(&self) -> [u8; 32] {
        if let OpBody::Elided { hash } = &self.body {
            // An elision stands for an op it does not carry: it answers with that op's
            // hash, so the origin's signature still checks and the same op arriving in
            // full is recognised as the same. A malformed one hashes as itself (and so no
            // signature can hold for it).
            if let Some(hash) = crate::sig::from_hex(hash) {
                return hash;
            }
        }
        let content = Content {
            origin: &self.origin,
            seq: self.seq,
            hlc: self.hlc,
            actor: &self.actor,
            body: &self.body,
        };
        let bytes = serde_json::to_vec(&content).unwrap_or_default();
        *blake3::hash(&bytes).as_bytes()
    }

    /// This op as an elision: what a replica outside its scope holds in its place (see
    /// [`OpBody::Elided`]). The actor is left out; origin, sequence number, clock reading
    /// and signature stay, so the elision is checked as the op itself would be.
    pub fn elided(&self) -> Op {
        if self.is_elided() {
            return self.clone();
        }
        Op {
            origin: self.origin.clone(),
            seq: self.seq,
            hlc: self.hlc,
            actor: String::new(),
            body: OpBody::Elided {
                hash: crate::sig::to_hex(&self.hash()),
            },
            sig: self.sig,
        }
    }

    pub fn is_elided(&self) -> bool {
        matches!(self.body, OpBody::Elided { .. })
    }
}

/// What happened. Variants are never removed or renamed; new ones are added at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OpBody {
    VenueSaved(Venue),
    ProductSaved(Product),
    SlotCreated(Slot),
    UserSaved(User),
    /// A ticket-signing public key that every verifier must know. A key delegated to a
    /// site node or device names its holder, the serials `[from, to)` it may issue and the
    /// time it is valid for: no ticket it signs may be usable after `valid_until`. A holder
    /// may have several keys (each renewal publishes one); its ops verify with any of them.
    KeyPublished {
        key_id: u16,
        public_key: String,
        #[serde(default)]
        holder: Option<String>,
        #[serde(default)]
        serials: Option<(u64, u64)>,
        /// Absent in keys published before validity windows (and left out of the JSON
        /// then, so the ops' hashes stay what they were).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        valid_from: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        valid_until: Option<DateTime<Utc>>,
    },
    OrderPlaced(OrderPlaced),
    /// The whole order is cancelled (and refunded when `refund_minor` is non-zero):
    /// its tickets become void and their seats return to the slots.
    OrderCancelled {
        number: u64,
        reason: String,
        #[serde(default)]
        refund: Option<Payment>,
        /// The rest of a refund split over several payment methods (a mixed payment).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more_refunds: Vec<Payment>,
        /// Entries per ticket the cancelling node knew of: later ones were admitted after cancel.
        #[serde(default)]
        entries_seen: Vec<(u64, u32)>,
    },
    /// One ticket of an order is voided; its seat returns to the slot.
    TicketVoided {
        serial: u64,
        reason: String,
        #[serde(default)]
        refund: Option<Payment>,
        /// The rest of a refund split over several payment methods (a mixed payment).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more_refunds: Vec<Payment>,
        #[serde(default)]
        entries_seen: u32,
    },
    EntryRecorded {
        serial: u64,
        gate: String,
        at: DateTime<Utc>,
    },
    ScanDenied {
        serial: u64,
        gate: String,
        at: DateTime<Utc>,
        reason: String,
    },
    /// A one-time code that lets a site node, gate or phone join (`code_hash`: a salted
    /// argon2id hash of it; BLAKE3 hex in codes made before).
    EnrolmentCreated {
        code_hash: String,
        role: String,
        venue: Slug,
        expires_at: DateTime<Utc>,
        /// For a site node: whether its venue's staff will sign in there (absent: yes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        local_sign_in: Option<bool>,
    },
    /// A node joined with an enrolment code. Its requests carry a token whose hash is here.
    NodeEnrolled {
        node_id: String,
        code_hash: String,
        role: String,
        venue: Slug,
        name: String,
        origin: String,
        token_hash: String,
        /// The key a gate signs its ops with (a site node's is its delegated ticket key).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_key: Option<String>,
        /// A site node: whether its venue's staff may sign in there (it then holds their
        /// password hashes). Absent: yes, as before the option existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        local_sign_in: Option<bool>,
    },
    /// A node may no longer replicate; its later pushes are refused.
    NodeRevoked {
        node_id: String,
        reason: String,
    },
    /// Seats of a slot set aside for `holder` (a node's origin) to sell while cut off.
    LeaseGranted {
        holder: String,
        slot: String,
        seats: u32,
    },
    /// Unused leased seats handed back.
    LeaseReturned {
        holder: String,
        slot: String,
        seats: u32,
    },
    /// Two different ops were seen under one `(origin, seq)`.
    EquivocationDetected {
        origin: String,
        seq: u64,
        kept_hash: String,
        other_hash: String,
    },
    /// A manager has looked at a finding and recorded what was done.
    FindingResolved {
        id: String,
        note: String,
    },
    /// A node refused a push from a revoked node.
    RevokedPushRefused {
        node_id: String,
        ops: u32,
    },
    /// A cashier opened a cash shift with a float.
    ShiftOpened {
        shift_id: String,
        venue: Slug,
        float_minor: i64,
        currency: Currency,
    },
    /// A cashier closed their shift with the cash counted in the drawer.
    ShiftClosed {
        shift_id: String,
        counted_minor: i64,
        #[serde(default)]
        note: String,
    },
    /// An order's tickets were sent to a printer (a reprint when not the first time).
    OrderPrinted {
        number: u64,
        printer: String,
        reprint: bool,
        /// Empty when the printer took the job; otherwise what went wrong.
        #[serde(default)]
        error: String,
    },
    PrinterSaved(Printer),
    /// A visitor's question arrived (contact form or e-mail).
    RequestReceived {
        id: String,
        venue: Slug,
        name: String,
        email: String,
        subject: String,
        body: String,
    },
    /// A request was assigned to a person or its status changed.
    RequestUpdated {
        id: String,
        #[serde(default)]
        assignee: Option<String>,
        #[serde(default)]
        status: Option<RequestStatus>,
    },
    /// A member of staff answered; the answer is in the outbox as `mail_id`.
    RequestReplied {
        id: String,
        body: String,
        mail_id: String,
    },
    /// An e-mail is put in the durable outbox.
    MailQueued {
        id: String,
        to: String,
        subject: String,
        body: String,
        /// The venue the mail is about (the request's or the order's), so that only that
        /// venue's replicas hold it. Absent in mails queued before replication had scopes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        venue: Option<Slug>,
        /// The order whose e-tickets go with the mail (a PDF attachment and the QR codes
        /// inline), rendered when it is sent. Absent: a plain text mail.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order: Option<u64>,
        /// The language the mail is written in (`uk` or `en`), for its attachments' labels.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<String>,
    },
    /// The mail server took the e-mail, or refused it for now.
    MailAttempted {
        id: String,
        #[serde(default)]
        error: Option<String>,
    },
    /// A gate granted a pass but nobody walked through (the turnstile's passage sensor
    /// stayed quiet): the entry this gate recorded at `entry_hlc` is withdrawn and the
    /// ticket stays usable.
    PassNotUsed {
        serial: u64,
        gate: String,
        entry_hlc: u64,
    },
    /// A node refused an op that claims an origin whose key did not sign it.
    ForgedOpRefused {
        origin: String,
        seq: u64,
        /// Who handed it over: a node id, or `upstream` for a pull.
        from: String,
        reason: String,
    },
    /// Stands for an op outside a replica's scope (another venue's sale, say): it keeps
    /// the origin's sequence contiguous without carrying the content. `hash` is the
    /// content hash of the op it stands for (hex), which the origin's signature covers.
    /// Never written by a node as its own op; it only travels down to scoped replicas.
    Elided {
        hash: String,
    },
    /// A member of staff's password (argon2id PHC string). Kept apart from the account
    /// (`user_saved`) so that only the replicas where the person may sign in hold it.
    PasswordSet {
        username: Username,
        password_hash: String,
    },
    /// The visitor's contact details for an order, kept apart from the sale so that the
    /// replicas that only admit (gates) never hold them.
    OrderContact {
        number: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<Email>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// A phone number the visitor gave the shop (optional).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<String>,
    },
    /// The key a node signs staff sessions with (hex). Bound to the op's origin: what the
    /// origin may vouch for (its venue's staff, or the whole organisation's for the cloud)
    /// is what its sessions are accepted for elsewhere.
    SessionKeyPublished {
        public_key: String,
    },
    /// A staff session ended (sign-out): its tokens stop working on every node.
    SessionEnded {
        session: String,
        username: Username,
    },
    /// A signing key (a root key or a delegated one) is withdrawn: ops it signed at or
    /// after `since` are refused, and tickets it signed admit only when sold before then.
    KeyRevoked {
        key_id: u16,
        since: DateTime<Utc>,
        reason: String,
    },
    /// A node held back ops of `origin` up to `seq` (whose content hash is `hash`) that it
    /// could not take yet: no certificate for their signer, or a clock reading too far
    /// ahead of its own.
    OpHeld {
        origin: String,
        seq: u64,
        hash: String,
        /// Who handed them over: a node id, or an upstream's address for a pull.
        from: String,
        reason: String,
    },
    /// A member of staff chose the interface language (`uk` or `en`).
    LanguageChosen {
        username: Username,
        lang: String,
    },
    /// A slot's capacity was changed, or it was closed to sales or reopened (absent:
    /// unchanged). Refused by the fold when the capacity would drop below the tickets sold.
    SlotChanged {
        slot: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capacity: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_closed: Option<bool>,
    },
    /// A slot was taken off the schedule. Refused by the fold when any ticket was ever
    /// issued for it or a lease on it is outstanding.
    SlotDeleted {
        slot: String,
    },
    /// A visitor's online order waits for its payment: its seats are held until
    /// `expires_at`, and no ticket code exists yet (the payment places the order, with the
    /// same number and serials, as an `order_placed`).
    OrderHeld(OrderHeld),
    /// A hold's seats went back on sale: it expired unpaid, the visitor or staff cancelled
    /// it, or the payment failed.
    HoldReleased {
        number: u64,
        reason: String,
    },
    /// A payment arrived for a hold that can no longer be sold (it expired and its seats
    /// were sold meanwhile): no ticket is issued, the money is refunded or a manager sees a
    /// finding.
    PaymentRefused {
        number: u64,
        provider: String,
        reference: String,
        amount_minor: i64,
        currency: Currency,
        reason: String,
        /// Whether the provider took the refund back already.
        refunded: bool,
    },
    /// The visitor answered in a request's thread (an e-mail reply to the staff's answer).
    RequestFollowedUp {
        id: String,
        body: String,
    },
    /// A batch of paper stock was numbered and signed (its codes are signed with a stock
    /// key only the cloud holds; gates and phones verify them with its public key).
    StockBatchCreated(StockBatch),
    /// Numbers of a batch were issued to a cashier, returned, spoilt or voided.
    StockMoved(StockMove),
    /// Entries recorded by hand during an outage were imported (the entries themselves are
    /// `entry_recorded` ops of the same batch): what could not be matched.
    EntriesImported(EntriesImported),
    /// Staff began rehearsing an outage at a venue. Box-office and paper sales, stock
    /// batches and imports made while it runs carry its id; they count in no report.
    DrillStarted {
        id: String,
        venue: Slug,
        name: String,
    },
    /// A drill ended. `undo`: everything done in it is taken back as a whole (its orders
    /// cancelled, so their tickets are refused; its stock voided). A drill ended without
    /// undoing may be undone later by another `drill_ended`.
    DrillEnded {
        id: String,
        undo: bool,
    },
}

impl OpBody {
    /// A short stable name for the log's `kind` column and for people reading the audit trail.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VenueSaved(_) => "venue_saved",
            Self::ProductSaved(_) => "product_saved",
            Self::SlotCreated(_) => "slot_created",
            Self::UserSaved(_) => "user_saved",
            Self::KeyPublished { .. } => "key_published",
            Self::OrderPlaced(_) => "order_placed",
            Self::OrderCancelled { .. } => "order_cancelled",
            Self::TicketVoided { .. } => "ticket_voided",
            Self::EntryRecorded { .. } => "entry_recorded",
            Self::ScanDenied { .. } => "scan_denied",
            Self::EnrolmentCreated { .. } => "enrolment_created",
            Self::NodeEnrolled { .. } => "node_enrolled",
            Self::NodeRevoked { .. } => "node_revoked",
            Self::LeaseGranted { .. } => "lease_granted",
            Self::LeaseReturned { .. } => "lease_returned",
            Self::EquivocationDetected { .. } => "equivocation_detected",
            Self::FindingResolved { .. } => "finding_resolved",
            Self::RevokedPushRefused { .. } => "revoked_push_refused",
            Self::ShiftOpened { .. } => "shift_opened",
            Self::ShiftClosed { .. } => "shift_closed",
            Self::OrderPrinted { .. } => "order_printed",
            Self::PrinterSaved(_) => "printer_saved",
            Self::RequestReceived { .. } => "request_received",
            Self::RequestUpdated { .. } => "request_updated",
            Self::RequestReplied { .. } => "request_replied",
            Self::MailQueued { .. } => "mail_queued",
            Self::MailAttempted { .. } => "mail_attempted",
            Self::PassNotUsed { .. } => "pass_not_used",
            Self::ForgedOpRefused { .. } => "forged_op_refused",
            Self::Elided { .. } => "elided",
            Self::PasswordSet { .. } => "password_set",
            Self::OrderContact { .. } => "order_contact",
            Self::SessionKeyPublished { .. } => "session_key_published",
            Self::SessionEnded { .. } => "session_ended",
            Self::KeyRevoked { .. } => "key_revoked",
            Self::OpHeld { .. } => "op_held",
            Self::LanguageChosen { .. } => "language_chosen",
            Self::SlotChanged { .. } => "slot_changed",
            Self::SlotDeleted { .. } => "slot_deleted",
            Self::OrderHeld(_) => "order_held",
            Self::HoldReleased { .. } => "hold_released",
            Self::PaymentRefused { .. } => "payment_refused",
            Self::RequestFollowedUp { .. } => "request_followed_up",
            Self::StockBatchCreated(_) => "stock_batch_created",
            Self::StockMoved(_) => "stock_moved",
            Self::EntriesImported(_) => "entries_imported",
            Self::DrillStarted { .. } => "drill_started",
            Self::DrillEnded { .. } => "drill_ended",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub number: u64,
    pub venue: Slug,
    pub channel: Channel,
    pub email: Option<Email>,
    pub tickets: Vec<TicketIssued>,
    pub payments: Vec<Payment>,
    pub total_minor: i64,
    pub currency: Currency,
    /// A manager sold beyond capacity on purpose.
    #[serde(default)]
    pub is_overbooking: bool,
    /// The cash shift of a box-office sale. (Absent fields are left out of the JSON, so ops
    /// written before a field existed keep their content hash.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<String>,
    /// The visitor's name, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The key the seller's page (or an API client) gave this sale attempt: the attempt
    /// repeated, at this node or another after a failover, finds this order instead of
    /// selling again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// A sale of pre-printed paper stock, entered after the fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper: Option<PaperSale>,
    /// The drill it was made in (see [`OpBody::DrillStarted`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

/// What a cashier entered for paper stock sold during an outage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperSale {
    /// The batches the numbers are from.
    pub batches: Vec<String>,
    pub series: String,
    /// The numbers as entered, normalised ("0120–0187, 0190").
    pub numbers: String,
    /// When the tickets were really sold: the order takes this time, not the entry's.
    pub sold_at: DateTime<Utc>,
}

/// The parts of a hand-recorded import that matched no usable ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntriesImported {
    /// Content hash of what was imported: the same import again is recognised.
    pub id: String,
    pub venue: Slug,
    /// `list`, `csv` or `photos`.
    pub source: String,
    pub imported: u32,
    pub already_used: u32,
    /// Lines or numbers that name no ticket.
    #[serde(default)]
    pub unknown: Vec<String>,
    /// Files or lines that could not be read.
    #[serde(default)]
    pub unreadable: Vec<String>,
    /// Tickets that were not marked used: cancelled, or for another day (serial, why).
    #[serde(default)]
    pub mismatched: Vec<(u64, String)>,
    /// The drill it was made in: it marks only that drill's tickets used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketIssued {
    pub serial: u64,
    pub product: Slug,
    pub slot: Option<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    #[serde(default)]
    pub valid_days: Option<(NaiveDate, NaiveDate)>,
    pub price_minor: i64,
    /// The signed, digits-only QR text.
    pub code: String,
}

/// An online order waiting for its payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderHeld {
    pub number: u64,
    pub venue: Slug,
    pub seats: Vec<HeldSeat>,
    pub total_minor: i64,
    pub currency: Currency,
    pub expires_at: DateTime<Utc>,
    /// The payment provider the visitor pays through (`liqpay`, `monobank`, `box_office`,
    /// `test`).
    pub provider: String,
    /// The visitor's language (`uk` or `en`), for the mail that follows the payment.
    pub lang: String,
}

/// One ticket of a hold: its serial is fixed (so its number can be shown), its code is
/// signed only when the payment arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldSeat {
    pub serial: u64,
    pub product: Slug,
    pub slot: Option<String>,
    pub price_minor: i64,
}
