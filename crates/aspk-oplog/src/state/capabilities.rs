//! The capability table: which kinds of node may write which kinds of op, which staff role
//! or other actor may act, and on what further conditions (in words; the checks are in
//! `authority`). `docs/security.md` prints it, and a test keeps the two the same.

use aspk_domain::{Role, Slug};

/// What kind of node wrote an op, by the certificate the log holds for its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorRole {
    /// A cloud incarnation: signed with a root key of the organisation.
    Cloud,
    /// A site node: signed with the key the cloud delegated to it for its venue.
    SiteNode,
    /// A turnstile agent: signed with the key it enrolled with.
    Gate,
    /// A paired phone, whose scans the node that took them in signs for it.
    Scanner,
    /// A paired box-office device (a browser on a laptop, tablet or phone): signed with the
    /// key the cloud delegated to it, like a site node's, but it only sells and keeps its
    /// cash shift.
    BoxOffice,
}

impl AuthorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloud => "cloud",
            Self::SiteNode => "site_node",
            Self::Gate => "gate",
            Self::Scanner => "scanner",
            Self::BoxOffice => "box_office",
        }
    }
}

/// The author of an op: its kind of node and the venue it is enrolled for (none: the
/// cloud, which acts for the whole organisation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub role: AuthorRole,
    pub venue: Option<Slug>,
}

/// One row of the capability table.
#[derive(Debug, Clone, Copy)]
pub struct Capability {
    /// The op kind ([`OpBody::kind`]).
    pub kind: &'static str,
    /// The kinds of node that may write it.
    pub authors: &'static [AuthorRole],
    /// The least staff role an acting member of staff must hold (`user:NAME` actors);
    /// none: it is never a staff action.
    pub staff: Option<Role>,
    /// Other actors that may write it: exact names, or prefixes ending in `:`.
    pub others: &'static [&'static str],
    /// The further conditions the fold checks, in words (for the threat model).
    pub conditions: &'static str,
}

use AuthorRole::{BoxOffice, Cloud, Gate, Scanner, SiteNode};

const CLOUD: &[AuthorRole] = &[Cloud];
const VENUE_NODES: &[AuthorRole] = &[Cloud, SiteNode];
const SELLERS: &[AuthorRole] = &[Cloud, SiteNode, BoxOffice];
const REPLICAS: &[AuthorRole] = &[Cloud, SiteNode, Gate];
const SCANNING: &[AuthorRole] = &[Cloud, SiteNode, Gate, Scanner];
const REPORTER: &[&str] = &["system:replication"];

/// Every op kind, who may write it and on what conditions. The fold enforces it on every
/// replica; `docs/security.md` prints it (a test keeps the two the same).
pub const CAPABILITIES: &[Capability] = &[
    Capability {
        kind: "venue_saved",
        authors: CLOUD,
        staff: Some(Role::Admin),
        others: &["system:demo"],
        conditions: "",
    },
    Capability {
        kind: "product_saved",
        authors: CLOUD,
        staff: Some(Role::Manager),
        others: &["system:demo"],
        conditions: "",
    },
    Capability {
        kind: "slot_created",
        authors: CLOUD,
        staff: Some(Role::Manager),
        others: &["system:demo"],
        conditions: "",
    },
    Capability {
        kind: "slot_changed",
        authors: CLOUD,
        staff: Some(Role::Admin),
        others: &[],
        conditions: "the capacity never drops below the tickets sold (valid and used)",
    },
    Capability {
        kind: "slot_deleted",
        authors: CLOUD,
        staff: Some(Role::Admin),
        others: &[],
        conditions: "no ticket was ever issued for the slot and no lease on it is outstanding",
    },
    Capability {
        kind: "user_saved",
        authors: CLOUD,
        staff: Some(Role::Admin),
        others: &["system:demo", "system:cli"],
        conditions: "",
    },
    Capability {
        kind: "password_set",
        authors: CLOUD,
        staff: Some(Role::Admin),
        others: &["system:demo", "system:cli"],
        conditions: "the account exists",
    },
    Capability {
        kind: "key_published",
        authors: CLOUD,
        staff: Some(Role::Admin),
        others: &[
            "system",
            "system:enrolment",
            "system:key-renewal",
            "system:cli",
            "system:stock",
        ],
        conditions: "a root key may not change the bytes of a trust anchor or of a key id already published",
    },
    Capability {
        kind: "key_revoked",
        authors: CLOUD,
        staff: Some(Role::Admin),
        others: &["system:cli"],
        conditions: "signed by a root key other than the one revoked",
    },
    Capability {
        kind: "enrolment_created",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "site nodes and gates need an admin (phones and box offices a manager); a site node only for gates and phones of its venue",
    },
    Capability {
        kind: "node_enrolled",
        authors: VENUE_NODES,
        staff: None,
        others: &["system:enrolment"],
        conditions: "a new origin; a site node only gates and phones of its venue",
    },
    Capability {
        kind: "node_revoked",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "a site node or gate needs an admin; a site node only its venue's gates and phones",
    },
    Capability {
        kind: "session_key_published",
        authors: VENUE_NODES,
        staff: None,
        others: &["system"],
        conditions: "",
    },
    Capability {
        kind: "session_ended",
        authors: VENUE_NODES,
        staff: Some(Role::Controller),
        others: &[],
        conditions: "one's own session, or an admin",
    },
    Capability {
        kind: "language_chosen",
        authors: VENUE_NODES,
        staff: Some(Role::Controller),
        others: &[],
        conditions: "one's own account",
    },
    Capability {
        kind: "order_placed",
        authors: SELLERS,
        staff: Some(Role::Cashier),
        others: &["system:payments"],
        conditions: "overbooking needs a manager; a sale in a drill is a staff sale at the drill's venue, and a paper sale in one uses only that drill's stock (and a real one no drill's); a paper sale names only numbers of the venue's stock batches it lists (of the batch's product when it has one); a confirmed payment (system:payments) places only the online order of a hold of the same number, venue, tickets and total, at the cloud; a site node sells for its venue, within its lease and its key's serial block; a box office sells only on the box-office channel, for its venue, within its lease and its key's serial block (beyond the lease only a manager's overbooking, which is a finding)",
    },
    Capability {
        kind: "order_held",
        authors: CLOUD,
        staff: Some(Role::Cashier),
        others: &["visitor"],
        conditions: "at the cloud only; a number and serials nobody has used",
    },
    Capability {
        kind: "hold_released",
        authors: CLOUD,
        staff: Some(Role::Cashier),
        others: &["visitor", "system:holds", "system:payments"],
        conditions: "at the cloud only; a hold that exists",
    },
    Capability {
        kind: "payment_refused",
        authors: CLOUD,
        staff: None,
        others: &["system:payments"],
        conditions: "at the cloud only; a hold that exists and was not paid",
    },
    Capability {
        kind: "order_contact",
        authors: SELLERS,
        staff: Some(Role::Cashier),
        others: &["visitor"],
        conditions: "a site node for its venue's orders; a box office only for the orders it sold",
    },
    Capability {
        kind: "order_cancelled",
        authors: SELLERS,
        staff: Some(Role::Cashier),
        others: &["visitor"],
        conditions: "a cashier only their own sales; a visitor only an unused, paid online order, at the cloud; a site node only its venue's orders; a refund goes into the refunder's own shift; refunding a used ticket needs a manager and a reason; a box office only the orders it sold",
    },
    Capability {
        kind: "ticket_voided",
        authors: VENUE_NODES,
        staff: Some(Role::Cashier),
        others: &[],
        conditions: "a cashier only their own sales; a site node only its venue's tickets; a refund goes into the refunder's own shift; refunding a used ticket needs a manager and a reason",
    },
    Capability {
        kind: "order_printed",
        authors: VENUE_NODES,
        staff: Some(Role::Cashier),
        others: &["system"],
        conditions: "a site node only its venue's orders",
    },
    Capability {
        kind: "entry_recorded",
        authors: SCANNING,
        staff: Some(Role::Controller),
        others: &["node:"],
        conditions: "all but the cloud only for tickets of their venue; gates and phones only within the ticket's validity",
    },
    Capability {
        kind: "scan_denied",
        authors: SCANNING,
        staff: Some(Role::Controller),
        others: &["node:"],
        conditions: "all but the cloud only for tickets of their venue",
    },
    Capability {
        kind: "pass_not_used",
        authors: &[Gate],
        staff: None,
        others: &["node:"],
        conditions: "withdraws only an entry the same gate recorded",
    },
    Capability {
        kind: "lease_granted",
        authors: CLOUD,
        staff: None,
        others: &["node:"],
        conditions: "to an enrolled site node or box office",
    },
    Capability {
        kind: "lease_returned",
        authors: SELLERS,
        staff: None,
        others: &["system:lease"],
        conditions: "a site node only its own lease; a box office only its own lease",
    },
    Capability {
        kind: "shift_opened",
        authors: SELLERS,
        staff: Some(Role::Cashier),
        others: &[],
        conditions: "a site node only at its venue; a box office only at its venue",
    },
    Capability {
        kind: "shift_closed",
        authors: SELLERS,
        staff: Some(Role::Cashier),
        others: &[],
        conditions: "a cashier only their own shift",
    },
    Capability {
        kind: "printer_saved",
        authors: VENUE_NODES,
        staff: Some(Role::Admin),
        others: &[],
        conditions: "",
    },
    Capability {
        kind: "request_received",
        authors: VENUE_NODES,
        staff: None,
        others: &["visitor"],
        conditions: "a site node only for its venue",
    },
    Capability {
        kind: "request_updated",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "a site node only its venue's requests",
    },
    Capability {
        kind: "request_replied",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "a site node only its venue's requests",
    },
    Capability {
        kind: "request_followed_up",
        authors: CLOUD,
        staff: None,
        others: &["system:inbound"],
        conditions: "a request that exists",
    },
    Capability {
        kind: "mail_queued",
        authors: VENUE_NODES,
        staff: Some(Role::Cashier),
        others: &["system", "visitor"],
        conditions: "a site node only mail about its venue",
    },
    Capability {
        kind: "mail_attempted",
        authors: VENUE_NODES,
        staff: None,
        others: &["system:mailer", "system:inbound"],
        conditions: "system:inbound (a bounce) only at the cloud",
    },
    Capability {
        kind: "finding_resolved",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &["system:payments"],
        conditions: "system:payments only a late_payment finding, once the provider refunded it",
    },
    Capability {
        kind: "stock_batch_created",
        authors: CLOUD,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "at the cloud only; a drill's batch only while that drill runs at the batch's venue; a new batch whose numbers overlap no other batch of its series at the venue, and whose serials lie in the block of a stock key and overlap no other batch's",
    },
    Capability {
        kind: "stock_moved",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "a batch that exists; a site node only its venue's",
    },
    Capability {
        kind: "entries_imported",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "a site node only for its venue; a drill's import only for that drill's venue",
    },
    Capability {
        kind: "drill_started",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "a venue that exists (a site node only its own) and an id not used before",
    },
    Capability {
        kind: "drill_ended",
        authors: VENUE_NODES,
        staff: Some(Role::Manager),
        others: &[],
        conditions: "a drill that exists; a site node only its venue's",
    },
    Capability {
        kind: "equivocation_detected",
        authors: REPLICAS,
        staff: None,
        others: REPORTER,
        conditions: "",
    },
    Capability {
        kind: "forged_op_refused",
        authors: REPLICAS,
        staff: None,
        others: REPORTER,
        conditions: "",
    },
    Capability {
        kind: "revoked_push_refused",
        authors: REPLICAS,
        staff: None,
        others: REPORTER,
        conditions: "",
    },
    Capability {
        kind: "op_held",
        authors: REPLICAS,
        staff: None,
        others: REPORTER,
        conditions: "",
    },
    Capability {
        kind: "elided",
        authors: &[],
        staff: None,
        others: &[],
        conditions: "never written: it stands for an op outside a replica's scope",
    },
];

/// The row of `kind` (looked up on every op folded in: by a map built once).
pub fn capability(kind: &str) -> Option<&'static Capability> {
    static ROWS: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static Capability>> =
        std::sync::OnceLock::new();
    ROWS.get_or_init(|| CAPABILITIES.iter().map(|c| (c.kind, c)).collect())
        .get(kind)
        .copied()
}
