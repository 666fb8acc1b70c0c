//! The fold enforces the capability table: over every op kind, every kind of author and
//! every kind of actor, an op is folded in if and only if its row allows it (and is
//! otherwise one `unauthorised_op` finding, named after the op).
//!
//! Each op is built so that its kind's further conditions hold for its author (its own
//! venue's tickets, its own lease and serial block, a cashier's own sale), so what decides
//! is the row: who may author it, which staff role may act, which other actors may.

#![allow(clippy::unwrap_used)]

use aspk_domain::{
    Category, Channel, Currency, Localized, Payment, PaymentMethod, Printer, PrinterKind, Product,
    ProductValidity, Role, Slot, Slug, StockBatch, StockMove, StockMoveKind, User, Username, Venue,
};
use aspk_oplog::{
    capability, EntriesImported, Hlc, Op, OpBody, OpSig, OrderPlaced, State, TicketIssued,
    CAPABILITIES,
};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

pub(crate) const ROOT_HEX: &str =
    "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
pub(crate) const SITE_KEY_HEX: &str =
    "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const OTHER_KEY_HEX: &str = "d759793bbc13a2819a827c76adb6fba8a49aee007f49f2d0992d99b825ad2c48";
/// The site node's serial block.
const SITE_BLOCK: (u64, u64) = (20_000_000_000, 21_000_000_000);
const STOCK_BLOCK: (u64, u64) = (30_000_000_000, 31_000_000_000);
const CLOUD_BLOCK: (u64, u64) = (10_000_000_000, 20_000_000_000);
/// The box-office device's serial block, and the key delegated to it (RFC 8032's first).
const TILL_BLOCK: (u64, u64) = (40_000_000_000, 41_000_000_000);
const TILL_KEY_HEX: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// A ticket the box-office device sold, in the base state.
const TILL_ORDER: u64 = 40_000_000_100;
const TILL_TICKET: u64 = 40_000_000_200;
/// A ticket the cloud sold (for venue `demo`, slot `s1`) to a cashier's order.
const ORDER: u64 = 10_000_000_100;
const TICKET: u64 = 10_000_000_200;
/// An online order waiting for its payment in the base state.
const HOLD: u64 = 10_000_000_300;
const HOLD_TICKET: u64 = 10_000_000_400;

fn hold(number: u64, serial: u64) -> aspk_oplog::OrderHeld {
    aspk_oplog::OrderHeld {
        number,
        venue: slug("demo"),
        seats: vec![aspk_oplog::HeldSeat {
            serial,
            product: slug("adult"),
            slot: Some("s1".into()),
            price_minor: 100,
        }],
        total_minor: 100,
        currency: Currency::UAH,
        expires_at: at() + chrono::Duration::minutes(10),
        provider: "test".into(),
        lang: "uk".into(),
    }
}

/// The order a confirmed payment of the base state's hold places.
fn paid_hold() -> OrderPlaced {
    let mut placed = sale(HOLD, HOLD_TICKET, true);
    placed.payments[0].method = PaymentMethod::Card;
    placed.payments[0].reference = Some("test:1".into());
    placed
}

pub(crate) fn slug(s: &str) -> Slug {
    Slug::parse("id", s).unwrap()
}

pub(crate) fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap()
}

pub(crate) fn user(name: &str, role: Role) -> User {
    User {
        username: Username::parse(name).unwrap(),
        role,
        password_hash: String::new(),
        is_active: true,
        generation: 1,
        lang: None,
        venue: None,
    }
}

pub(crate) fn venue(id: &str, no: u16) -> Venue {
    Venue {
        id: slug(id),
        no,
        name: Localized::new("Музей", ""),
        time_zone: "Europe/Kyiv".into(),
        currency: Currency::UAH,
        early_entry_minutes: 0,
        shop: Default::default(),
    }
}

fn slot(id: &str) -> Slot {
    Slot {
        venue: slug("demo"),
        id: id.into(),
        starts_at: at(),
        ends_at: at() + chrono::Duration::hours(1),
        capacity: 100,
    }
}

fn product(id: &str) -> Product {
    Product {
        venue: slug("demo"),
        id: slug(id),
        no: 1,
        name: Localized::new("Дорослий", "Adult"),
        category: Category::Full,
        price_minor: 100,
        currency: Currency::UAH,
        document: None,
        validity: ProductValidity::Timed,
        is_on_sale: true,
        shortcut: None,
    }
}

fn enrolled(n: u32, role: &str, origin: &str, public_key: Option<&str>) -> OpBody {
    OpBody::NodeEnrolled {
        node_id: format!("n{n}"),
        code_hash: format!("c{n}"),
        role: role.into(),
        venue: slug("demo"),
        name: origin.into(),
        origin: origin.into(),
        token_hash: format!("t{n}"),
        public_key: public_key.map(str::to_owned),
        local_sign_in: None,
    }
}

fn sale(number: u64, serial: u64, actor_is_visitor: bool) -> OrderPlaced {
    OrderPlaced {
        number,
        venue: slug("demo"),
        channel: if actor_is_visitor {
            Channel::Online
        } else {
            Channel::BoxOffice
        },
        email: None,
        tickets: vec![TicketIssued {
            serial,
            product: slug("adult"),
            slot: Some("s1".into()),
            valid_from: at(),
            valid_until: at() + chrono::Duration::hours(1),
            valid_days: None,
            price_minor: 100,
            code: "1".into(),
        }],
        payments: vec![Payment {
            method: PaymentMethod::Cash,
            amount_minor: 100,
            at: at(),
            shift: None,
            reference: None,
        }],
        total_minor: 100,
        currency: Currency::UAH,
        is_overbooking: false,
        shift: None,
        name: None,
        idempotency_key: None,
        paper: None,
        drill: None,
    }
}

fn op(origin: &str, seq: u64, hlc: u64, actor: &str, key_id: u16, body: OpBody) -> Op {
    Op {
        origin: origin.into(),
        seq,
        hlc: Hlc(hlc),
        actor: actor.into(),
        body,
        sig: Some(OpSig {
            key_id,
            bytes: [0; 64],
        }),
    }
}

/// The organisation the candidate ops arrive at: the cloud's root key (the anchor), staff
/// of every role, venue `demo` with a slot, a site node (key 2, with a lease on the slot),
/// a gate, a phone, a box-office device (key 4, with a lease on the slot and a sale of its
/// own), a cashier's sale, a cashier's open shift and a visitor's request.
fn base() -> State {
    let mut state = State::default();
    state.set_anchors([(1, ROOT_HEX.to_owned())]);
    let bodies: Vec<(&str, OpBody)> = vec![
        (
            "system",
            OpBody::KeyPublished {
                key_id: 1,
                public_key: ROOT_HEX.into(),
                holder: None,
                serials: Some(CLOUD_BLOCK),
                valid_from: None,
                valid_until: None,
            },
        ),
        ("system:cli", OpBody::UserSaved(user("admin", Role::Admin))),
        (
            "system:cli",
            OpBody::UserSaved(user("manager", Role::Manager)),
        ),
        (
            "system:cli",
            OpBody::UserSaved(user("cashier", Role::Cashier)),
        ),
        (
            "system:cli",
            OpBody::UserSaved(user("controller", Role::Controller)),
        ),
        ("system:demo", OpBody::VenueSaved(venue("demo", 1))),
        ("system:demo", OpBody::ProductSaved(product("adult"))),
        ("system:demo", OpBody::SlotCreated(slot("s1"))),
        ("system:demo", OpBody::SlotCreated(slot("s3"))),
        (
            "system:enrolment",
            OpBody::KeyPublished {
                key_id: 2,
                public_key: SITE_KEY_HEX.into(),
                holder: Some("site".into()),
                serials: Some(SITE_BLOCK),
                valid_from: None,
                valid_until: None,
            },
        ),
        ("system:enrolment", enrolled(1, "site_node", "site", None)),
        (
            "system:stock",
            OpBody::KeyPublished {
                key_id: 3,
                public_key: OTHER_KEY_HEX.into(),
                holder: Some("stock".into()),
                serials: Some(STOCK_BLOCK),
                valid_from: None,
                valid_until: None,
            },
        ),
        (
            "user:manager",
            OpBody::StockBatchCreated(stock_batch("b0", "А", STOCK_BLOCK.0)),
        ),
        (
            "user:manager",
            OpBody::DrillStarted {
                id: "d0".into(),
                venue: slug("demo"),
                name: "rehearsal".into(),
            },
        ),
        (
            "system:enrolment",
            enrolled(2, "gate", "gate", Some(OTHER_KEY_HEX)),
        ),
        ("system:enrolment", enrolled(3, "scanner", "phone", None)),
        (
            "system:enrolment",
            OpBody::KeyPublished {
                key_id: 4,
                public_key: TILL_KEY_HEX.into(),
                holder: Some("till".into()),
                serials: Some(TILL_BLOCK),
                valid_from: None,
                valid_until: None,
            },
        ),
        ("system:enrolment", enrolled(4, "box_office", "till", None)),
        (
            "node:n4",
            OpBody::LeaseGranted {
                holder: "till".into(),
                slot: "s1".into(),
                seats: 10,
            },
        ),
        (
            "node:n1",
            OpBody::LeaseGranted {
                holder: "site".into(),
                slot: "s1".into(),
                seats: 10,
            },
        ),
        (
            "user:cashier",
            OpBody::OrderPlaced(sale(ORDER, TICKET, false)),
        ),
        ("visitor", OpBody::OrderHeld(hold(HOLD, HOLD_TICKET))),
        (
            "user:cashier",
            OpBody::ShiftOpened {
                shift_id: "shift-1".into(),
                venue: slug("demo"),
                float_minor: 0,
                currency: Currency::UAH,
            },
        ),
        (
            "visitor",
            OpBody::RequestReceived {
                id: "r1".into(),
                venue: slug("demo"),
                name: "V".into(),
                email: "v@example.org".into(),
                subject: "?".into(),
                body: "?".into(),
            },
        ),
    ];
    for (i, (actor, body)) in bodies.into_iter().enumerate() {
        let seq = i as u64 + 1;
        state.apply(&op("cloud", seq, seq, actor, 1, body));
    }
    // The box-office device's own sale, from its lease.
    let till_sale = OpBody::OrderPlaced(sale(TILL_ORDER, TILL_TICKET, false));
    state.apply(&op("till", 1, 900, "user:cashier", 4, till_sale));
    assert_eq!(state.open_findings(), 0, "{:?}", state.findings());
    state
}

/// The kinds of author, as the op's origin and signing key make them.
#[derive(Debug, Clone, Copy)]
enum Author {
    Cloud,
    SiteNode,
    Gate,
    Scanner,
    BoxOffice,
    /// No certificate vouches for it.
    Stranger,
}

impl Author {
    fn origin_and_key(self) -> (&'static str, u16) {
        match self {
            Self::Cloud => ("cloud-2", 1),
            Self::SiteNode => ("site", 2),
            Self::Gate => ("gate", 0),
            Self::Scanner => ("phone", 2),
            Self::BoxOffice => ("till", 4),
            Self::Stranger => ("stranger", 7),
        }
    }

    fn role(self) -> Option<aspk_oplog::AuthorRole> {
        use aspk_oplog::AuthorRole as R;
        match self {
            Self::Cloud => Some(R::Cloud),
            Self::SiteNode => Some(R::SiteNode),
            Self::Gate => Some(R::Gate),
            Self::Scanner => Some(R::Scanner),
            Self::BoxOffice => Some(R::BoxOffice),
            Self::Stranger => None,
        }
    }
}

const ACTORS: &[&str] = &[
    "user:admin",
    "user:manager",
    "user:cashier",
    "user:controller",
    "user:nobody",
    "system",
    "system:demo",
    "system:cli",
    "system:enrolment",
    "system:key-renewal",
    "system:replication",
    "system:mailer",
    "system:stock",
    "system:lease",
    "system:payments",
    "system:holds",
    "system:inbound",
    "visitor",
    "node:n9",
    "somebody",
];

/// One op of `kind` that `author` (its own venue, lease and serial block) could write,
/// acting as `actor`.
fn body_of(kind: &str, author: Author, actor: &str) -> OpBody {
    let actor_user = actor.strip_prefix("user:").unwrap_or("admin");
    let own_user = Username::parse(actor_user).unwrap();
    let serials = match author {
        Author::SiteNode => SITE_BLOCK.0,
        Author::BoxOffice => TILL_BLOCK.0,
        _ => CLOUD_BLOCK.0,
    };
    // A box office touches only its own sales and lease.
    let (order, lease_holder) = match author {
        Author::BoxOffice => (TILL_ORDER, "till"),
        _ => (ORDER, "site"),
    };
    match kind {
        "venue_saved" => OpBody::VenueSaved(venue("annex", 2)),
        "product_saved" => OpBody::ProductSaved(product("reduced")),
        "slot_created" => OpBody::SlotCreated(slot("s2")),
        "slot_changed" => OpBody::SlotChanged {
            slot: "s1".into(),
            capacity: Some(200),
            is_closed: Some(true),
        },
        "slot_deleted" => OpBody::SlotDeleted { slot: "s3".into() },
        "user_saved" => OpBody::UserSaved(user("newbie", Role::Cashier)),
        "password_set" => OpBody::PasswordSet {
            username: Username::parse("cashier").unwrap(),
            password_hash: "$argon2id$x".into(),
        },
        "key_published" => OpBody::KeyPublished {
            key_id: 9,
            public_key: "11".repeat(32),
            holder: None,
            serials: None,
            valid_from: None,
            valid_until: None,
        },
        "key_revoked" => OpBody::KeyRevoked {
            key_id: 5,
            since: at(),
            reason: "r".into(),
        },
        "enrolment_created" => OpBody::EnrolmentCreated {
            code_hash: "h".into(),
            role: "scanner".into(),
            venue: slug("demo"),
            expires_at: at(),
            local_sign_in: None,
        },
        "node_enrolled" => enrolled(9, "scanner", "new-phone", None),
        "node_revoked" => OpBody::NodeRevoked {
            node_id: "n3".into(),
            reason: "lost".into(),
        },
        "session_key_published" => OpBody::SessionKeyPublished {
            public_key: "22".repeat(32),
        },
        "session_ended" => OpBody::SessionEnded {
            session: "s".into(),
            username: own_user,
        },
        "language_chosen" => OpBody::LanguageChosen {
            username: own_user,
            lang: "en".into(),
        },
        "order_placed" if actor == "system:payments" => OpBody::OrderPlaced(paid_hold()),
        "order_placed" => OpBody::OrderPlaced(sale(serials + 50, serials + 60, actor == "visitor")),
        "order_held" => OpBody::OrderHeld(hold(serials + 70, serials + 80)),
        "stock_batch_created" => {
            OpBody::StockBatchCreated(stock_batch("b1", "Я", STOCK_BLOCK.0 + 1_000))
        }
        "stock_moved" => OpBody::StockMoved(StockMove {
            batch: "b0".into(),
            first: 1,
            last: 2,
            kind: StockMoveKind::Spoilt,
            cashier: None,
            note: String::new(),
        }),
        "entries_imported" => OpBody::EntriesImported(EntriesImported {
            id: "i1".into(),
            venue: slug("demo"),
            source: "list".into(),
            imported: 0,
            already_used: 0,
            unknown: vec!["123".into()],
            unreadable: Vec::new(),
            mismatched: Vec::new(),
            drill: None,
        }),
        "drill_started" => OpBody::DrillStarted {
            id: "d1".into(),
            venue: slug("demo"),
            name: "another".into(),
        },
        "drill_ended" => OpBody::DrillEnded {
            id: "d0".into(),
            undo: false,
        },
        "request_followed_up" => OpBody::RequestFollowedUp {
            id: "r1".into(),
            body: "and one more thing".into(),
        },
        "hold_released" => OpBody::HoldReleased {
            number: HOLD,
            reason: "expired".into(),
        },
        "payment_refused" => OpBody::PaymentRefused {
            number: HOLD,
            provider: "test".into(),
            reference: "1".into(),
            amount_minor: 100,
            currency: Currency::UAH,
            reason: "sold out".into(),
            refunded: false,
        },
        "order_contact" => OpBody::OrderContact {
            number: order,
            email: None,
            name: Some("N".into()),
            phone: None,
        },
        "order_cancelled" => OpBody::OrderCancelled {
            number: order,
            reason: "r".into(),
            refund: None,
            more_refunds: vec![],
            entries_seen: vec![],
        },
        "ticket_voided" => OpBody::TicketVoided {
            serial: TICKET,
            reason: "r".into(),
            refund: None,
            more_refunds: vec![],
            entries_seen: 0,
        },
        "order_printed" => OpBody::OrderPrinted {
            number: ORDER,
            printer: "p".into(),
            reprint: false,
            error: String::new(),
        },
        "entry_recorded" => OpBody::EntryRecorded {
            serial: TICKET,
            gate: "g".into(),
            at: at(),
        },
        "scan_denied" => OpBody::ScanDenied {
            serial: TICKET,
            gate: "g".into(),
            at: at(),
            reason: "expired".into(),
        },
        "pass_not_used" => OpBody::PassNotUsed {
            serial: TICKET,
            gate: "g".into(),
            entry_hlc: 1,
        },
        "lease_granted" => OpBody::LeaseGranted {
            holder: "site".into(),
            slot: "s1".into(),
            seats: 1,
        },
        "lease_returned" => OpBody::LeaseReturned {
            holder: lease_holder.into(),
            slot: "s1".into(),
            seats: 1,
        },
        "shift_opened" => OpBody::ShiftOpened {
            shift_id: "shift-2".into(),
            venue: slug("demo"),
            float_minor: 0,
            currency: Currency::UAH,
        },
        "shift_closed" => OpBody::ShiftClosed {
            shift_id: "shift-1".into(),
            counted_minor: 0,
            note: String::new(),
        },
        "printer_saved" => OpBody::PrinterSaved(Printer {
            id: slug("p"),
            name: "P".into(),
            kind: PrinterKind::Browser { paper: "a4".into() },
        }),
        "request_received" => OpBody::RequestReceived {
            id: "r2".into(),
            venue: slug("demo"),
            name: "V".into(),
            email: "v@example.org".into(),
            subject: "?".into(),
            body: "?".into(),
        },
        "request_updated" => OpBody::RequestUpdated {
            id: "r1".into(),
            assignee: None,
            status: None,
        },
        "request_replied" => OpBody::RequestReplied {
            id: "r1".into(),
            body: "!".into(),
            mail_id: "m1".into(),
        },
        "mail_queued" => OpBody::MailQueued {
            id: "m2".into(),
            to: "v@example.org".into(),
            subject: "s".into(),
            body: "b".into(),
            venue: Some(slug("demo")),
            order: None,
            lang: None,
        },
        "mail_attempted" => OpBody::MailAttempted {
            id: "m2".into(),
            error: None,
        },
        "finding_resolved" => OpBody::FindingResolved {
            id: "x".into(),
            note: "n".into(),
        },
        "equivocation_detected" => OpBody::EquivocationDetected {
            origin: "o".into(),
            seq: 1,
            kept_hash: String::new(),
            other_hash: "h".into(),
        },
        "forged_op_refused" => OpBody::ForgedOpRefused {
            origin: "o".into(),
            seq: 1,
            from: "f".into(),
            reason: "r".into(),
        },
        "revoked_push_refused" => OpBody::RevokedPushRefused {
            node_id: "n9".into(),
            ops: 1,
        },
        "op_held" => OpBody::OpHeld {
            origin: "o".into(),
            seq: 1,
            hash: "h".into(),
            from: "f".into(),
            reason: "r".into(),
        },
        other => panic!("no sample op for {other}"),
    }
}

/// Every kind of op must have a sample above: this match fails to compile when a kind is
/// added, and the sample list must then grow too.
fn kind_is_sampled(body: &OpBody) -> bool {
    match body {
        OpBody::Elided { .. } => false,
        OpBody::VenueSaved(_)
        | OpBody::ProductSaved(_)
        | OpBody::SlotCreated(_)
        | OpBody::UserSaved(_)
        | OpBody::KeyPublished { .. }
        | OpBody::OrderPlaced(_)
        | OpBody::OrderCancelled { .. }
        | OpBody::TicketVoided { .. }
        | OpBody::EntryRecorded { .. }
        | OpBody::ScanDenied { .. }
        | OpBody::EnrolmentCreated { .. }
        | OpBody::NodeEnrolled { .. }
        | OpBody::NodeRevoked { .. }
        | OpBody::LeaseGranted { .. }
        | OpBody::LeaseReturned { .. }
        | OpBody::EquivocationDetected { .. }
        | OpBody::FindingResolved { .. }
        | OpBody::RevokedPushRefused { .. }
        | OpBody::ShiftOpened { .. }
        | OpBody::ShiftClosed { .. }
        | OpBody::OrderPrinted { .. }
        | OpBody::PrinterSaved(_)
        | OpBody::RequestReceived { .. }
        | OpBody::RequestUpdated { .. }
        | OpBody::RequestReplied { .. }
        | OpBody::MailQueued { .. }
        | OpBody::MailAttempted { .. }
        | OpBody::PassNotUsed { .. }
        | OpBody::ForgedOpRefused { .. }
        | OpBody::PasswordSet { .. }
        | OpBody::OrderContact { .. }
        | OpBody::SessionKeyPublished { .. }
        | OpBody::SessionEnded { .. }
        | OpBody::KeyRevoked { .. }
        | OpBody::OpHeld { .. }
        | OpBody::LanguageChosen { .. }
        | OpBody::SlotChanged { .. }
        | OpBody::SlotDeleted { .. }
        | OpBody::OrderHeld(_)
        | OpBody::HoldReleased { .. }
        | OpBody::PaymentRefused { .. }
        | OpBody::RequestFollowedUp { .. }
        | OpBody::StockBatchCreated(_)
        | OpBody::StockMoved(_)
        | OpBody::EntriesImported(_)
        | OpBody::DrillStarted { .. }
        | OpBody::DrillEnded { .. } => true,
    }
}

/// A batch of ten numbers of `series` at the demo venue, from serial `from`.
fn stock_batch(id: &str, series: &str, from: u64) -> StockBatch {
    StockBatch {
        id: id.into(),
        venue: slug("demo"),
        series: series.into(),
        first: 1,
        last: 10,
        width: 4,
        serial_from: from,
        product: None,
        valid_from: None,
        valid_until: None,
        key_id: 3,
        drill: None,
    }
}

fn rank(role: Role) -> usize {
    role.rank()
}

/// What the table says of `kind` written by `author` for `actor`.
fn table_allows(kind: &str, author: Author, actor: &str) -> bool {
    let cap = capability(kind).unwrap();
    let Some(role) = author.role() else {
        return false;
    };
    if !cap.authors.contains(&role) {
        return false;
    }
    let actor_ok = match actor.strip_prefix("user:") {
        Some(name) => {
            let held = match name {
                "admin" => Some(Role::Admin),
                "manager" => Some(Role::Manager),
                "cashier" => Some(Role::Cashier),
                "controller" => Some(Role::Controller),
                _ => None,
            };
            // Enrolling a phone or revoking one needs a manager (the row's least role);
            // the samples are for phones.
            matches!((held, cap.staff), (Some(held), Some(needed)) if rank(held) <= rank(needed))
        }
        None => cap.others.iter().any(|o| match o.strip_suffix(':') {
            Some(prefix) => actor
                .strip_prefix(prefix)
                .is_some_and(|r| r.starts_with(':')),
            None => actor == *o,
        }),
    };
    // The conditions of rows that depend on the actor alone: a confirmed payment places
    // its hold's order at the cloud, and bounces are taken in there; a visitor cancels only an online order (the sample
    // cancels a box-office sale); system:payments resolves only late payments (the sample
    // is another finding).
    let actor_condition = match (kind, actor) {
        ("order_placed", "system:payments") | ("mail_attempted", "system:inbound") => {
            matches!(author, Author::Cloud)
        }
        ("order_cancelled", "visitor") | ("finding_resolved", "system:payments") => false,
        _ => true,
    };
    actor_ok && actor_condition
}

fn kinds() -> Vec<&'static str> {
    CAPABILITIES
        .iter()
        .map(|c| c.kind)
        .filter(|k| *k != "elided")
        .collect()
}

#[test]
fn every_kind_has_a_row_and_a_sample() {
    for kind in kinds() {
        let body = body_of(kind, Author::Cloud, "user:admin");
        assert_eq!(body.kind(), kind);
        assert!(kind_is_sampled(&body));
    }
    assert_eq!(kinds().len() + 1, CAPABILITIES.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_fold_applies_an_op_iff_the_capability_table_allows_it(
        kind in prop::sample::select(kinds()),
        author in prop::sample::select(vec![Author::Cloud, Author::SiteNode, Author::Gate, Author::Scanner, Author::BoxOffice, Author::Stranger]),
        actor in prop::sample::select(ACTORS.to_vec()),
    ) {
        let mut state = base();
        let (origin, key_id) = author.origin_and_key();
        let seq = state.applied().get(origin).copied().unwrap_or(0) + 1;
        let candidate = op(origin, seq, 1_000, actor, key_id, body_of(kind, author, actor));
        let before = state.digest();
        state.apply(&candidate);
        let finding = format!("unauthorised_op:{origin}:{seq}");
        let refused = state.findings().contains_key(&finding);
        let allowed = table_allows(kind, author, actor);
        prop_assert_eq!(!refused, allowed, "{} by {:?} as {}: {:?}", kind, author, actor, state.findings().get(&finding));
        if refused {
            // Not folded in: only the finding is new.
            prop_assert_eq!(state.without_finding(&finding).digest(), before);
        }
    }
}

/// The capability table as `docs/security.md` prints it.
fn table_markdown() -> String {
    let mut out = String::from(
        "| op kind | written by | staff role, at least | other actors | conditions |\n|---|---|---|---|---|\n",
    );
    for c in CAPABILITIES {
        let authors: Vec<&str> = c.authors.iter().map(|a| a.as_str()).collect();
        let authors = match authors.is_empty() {
            true => "nobody".to_owned(),
            false => authors.join(", "),
        };
        let staff = c.staff.map_or("—".to_owned(), |r| r.as_str().to_owned());
        let others: Vec<String> = c.others.iter().map(|o| format!("`{o}`")).collect();
        let others = match others.is_empty() {
            true => "—".to_owned(),
            false => others.join(", "),
        };
        let conditions = match c.conditions {
            "" => "—",
            text => text,
        };
        out.push_str(&format!(
            "| `{}` | {authors} | {staff} | {others} | {conditions} |\n",
            c.kind
        ));
    }
    out
}

/// The threat model shows the table the fold enforces, exactly.
#[test]
fn the_threat_model_prints_the_capability_table() {
    let table = table_markdown();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md");
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    if std::env::var_os("ASPK_PRINT_TABLE").is_some() {
        println!("{table}");
    }
    assert!(
        doc.contains(&table),
        "docs/security.md must hold the capability table as the code has it:\n{table}"
    );
}

/// A refund of ticket [`TICKET`] by `actor` into `shift`, by an author that knew of
/// `entries_seen` entries.
fn refund_of_ticket(reason: &str, shift: Option<&str>, entries_seen: u32) -> OpBody {
    OpBody::TicketVoided {
        serial: TICKET,
        reason: reason.into(),
        refund: Some(Payment {
            method: PaymentMethod::Cash,
            amount_minor: -100,
            at: at(),
            shift: shift.map(str::to_owned),
            reference: None,
        }),
        more_refunds: Vec::new(),
        entries_seen,
    }
}

/// Whether every replica would fold `body` in, written at the cloud by `actor` after the
/// base state and a manager's own open shift.
fn refund_folds(actor: &str, body: OpBody) -> bool {
    let mut state = base();
    let seq = state.applied().get("cloud").copied().unwrap_or(0) + 1;
    state.apply(&op(
        "cloud",
        seq,
        seq,
        "user:manager",
        1,
        OpBody::ShiftOpened {
            shift_id: "shift-2".into(),
            venue: slug("demo"),
            float_minor: 0,
            currency: Currency::UAH,
        },
    ));
    let candidate = op("cloud", seq + 1, 1_000, actor, 1, body);
    state.apply(&candidate);
    let refused = format!("unauthorised_op:cloud:{}", seq + 1);
    !state.findings().contains_key(&refused)
}

#[test]
fn a_cashier_may_not_refund_a_used_ticket_even_by_writing_the_op() {
    assert!(
        !refund_folds("user:cashier", refund_of_ticket("", Some("shift-1"), 1)),
        "a cashier's refund of a used ticket"
    );
    assert!(
        !refund_folds("user:manager", refund_of_ticket(" ", Some("shift-2"), 1)),
        "a manager's refund of a used ticket needs a reason"
    );
    assert!(refund_folds(
        "user:manager",
        refund_of_ticket("hall closed", Some("shift-2"), 1)
    ));
    assert!(refund_folds(
        "user:cashier",
        refund_of_ticket("", Some("shift-1"), 0)
    ));
}

#[test]
fn a_refund_is_paid_only_into_the_refunders_own_shift() {
    assert!(
        !refund_folds("user:cashier", refund_of_ticket("", Some("shift-2"), 0)),
        "into another person's shift"
    );
    assert!(
        !refund_folds("user:manager", refund_of_ticket("why", Some("shift-1"), 0)),
        "a manager into the cashier's shift"
    );
    assert!(refund_folds(
        "user:manager",
        refund_of_ticket("why", Some("shift-2"), 0)
    ));
}

/// Writes `body` as `actor` at the cloud; whether the fold refused it.
fn refused_at_cloud(state: &mut State, actor: &str, body: OpBody) -> bool {
    refused_from(state, Author::Cloud, actor, body)
}

/// `body` written by `author` (its origin and key) as `actor`: whether it was refused (an
/// `unauthorised_op` finding, changing nothing else).
fn refused_from(state: &mut State, author: Author, actor: &str, body: OpBody) -> bool {
    let (origin, key_id) = author.origin_and_key();
    let seq = state.applied().get(origin).copied().unwrap_or(0) + 1;
    state.apply(&op(origin, seq, 2_000, actor, key_id, body));
    state
        .findings()
        .contains_key(&format!("unauthorised_op:{origin}:{seq}"))
}

#[test]
fn a_visitor_cannot_write_a_paid_order_even_online_at_the_cloud() {
    let mut state = base();
    let free = sale(CLOUD_BLOCK.0 + 500, CLOUD_BLOCK.0 + 600, true);
    assert!(refused_at_cloud(
        &mut state,
        "visitor",
        OpBody::OrderPlaced(free)
    ));
    assert!(!state.orders().contains_key(&(CLOUD_BLOCK.0 + 500)));
}

#[test]
fn a_payment_places_only_exactly_the_order_its_hold_described() {
    let mut state = base();
    // No hold of that number.
    let unheld = sale(CLOUD_BLOCK.0 + 700, CLOUD_BLOCK.0 + 800, true);
    assert!(refused_at_cloud(
        &mut state,
        "system:payments",
        OpBody::OrderPlaced(unheld)
    ));
    // The hold's number with a cheaper total, or another ticket.
    let mut cheaper = paid_hold();
    cheaper.total_minor = 1;
    assert!(refused_at_cloud(
        &mut state,
        "system:payments",
        OpBody::OrderPlaced(cheaper)
    ));
    let mut more = paid_hold();
    more.tickets.push(more.tickets[0].clone());
    more.tickets[1].serial += 1;
    assert!(refused_at_cloud(
        &mut state,
        "system:payments",
        OpBody::OrderPlaced(more)
    ));
    assert!(!state.orders().contains_key(&HOLD));
    // The exact one is placed, and the hold is paid.
    assert!(!refused_at_cloud(
        &mut state,
        "system:payments",
        OpBody::OrderPlaced(paid_hold())
    ));
    assert!(state.orders().contains_key(&HOLD));
    assert_eq!(state.holds()[&HOLD].status, aspk_oplog::HoldStatus::Paid);
}

/// A paper sale of `serial` (number 1 of batch b0 is `STOCK_BLOCK.0`) listing `batches`.
fn paper_sale(serial: u64, batches: &[&str]) -> OpBody {
    let mut placed = sale(CLOUD_BLOCK.0 + 700, serial, false);
    placed.channel = Channel::Paper;
    placed.paper = Some(aspk_oplog::PaperSale {
        batches: batches.iter().map(|b| (*b).to_owned()).collect(),
        series: "А".into(),
        numbers: "А 0001".into(),
        sold_at: at(),
    });
    OpBody::OrderPlaced(placed)
}

#[test]
fn paper_is_sold_only_from_the_stock_it_names() {
    // A number outside the batches the sale lists, or outside any batch: refused.
    let mut state = base();
    assert!(refused_at_cloud(
        &mut state,
        "user:cashier",
        paper_sale(STOCK_BLOCK.0 + 50, &["b0"])
    ));
    assert!(refused_at_cloud(
        &mut state,
        "user:cashier",
        paper_sale(CLOUD_BLOCK.0 + 800, &["b0"])
    ));
    // Stock sold as if it were a box-office sale (no paper entry): refused.
    let mut as_box_office = sale(CLOUD_BLOCK.0 + 701, STOCK_BLOCK.0 + 1, false);
    as_box_office.paper = None;
    assert!(refused_at_cloud(
        &mut state,
        "user:cashier",
        OpBody::OrderPlaced(as_box_office)
    ));
    // A visitor may not enter paper; a cashier may, from the batch it names.
    assert!(refused_at_cloud(
        &mut state,
        "visitor",
        paper_sale(STOCK_BLOCK.0, &["b0"])
    ));
    assert!(!refused_at_cloud(
        &mut state,
        "user:cashier",
        paper_sale(STOCK_BLOCK.0, &["b0"])
    ));
    assert!(state.tickets().contains_key(&STOCK_BLOCK.0));
}

#[test]
fn a_stock_batch_takes_only_free_numbers_and_serials_of_a_stock_key() {
    let mut state = base();
    // The numbers of batch b0's series again, serials of another batch, serials of no
    // stock key: each refused.
    assert!(refused_at_cloud(
        &mut state,
        "user:manager",
        OpBody::StockBatchCreated(stock_batch("x1", "А", STOCK_BLOCK.0 + 5_000))
    ));
    assert!(refused_at_cloud(
        &mut state,
        "user:manager",
        OpBody::StockBatchCreated(stock_batch("x2", "Б", STOCK_BLOCK.0 + 5))
    ));
    assert!(refused_at_cloud(
        &mut state,
        "user:manager",
        OpBody::StockBatchCreated(stock_batch("x3", "В", SITE_BLOCK.0))
    ));
    assert!(!refused_at_cloud(
        &mut state,
        "user:manager",
        OpBody::StockBatchCreated(stock_batch("x4", "Г", STOCK_BLOCK.0 + 10))
    ));
}

#[test]
fn a_hold_cannot_take_a_number_or_serial_already_used() {
    let mut state = base();
    assert!(refused_at_cloud(
        &mut state,
        "visitor",
        OpBody::OrderHeld(hold(ORDER, CLOUD_BLOCK.0 + 900))
    ));
    assert!(refused_at_cloud(
        &mut state,
        "visitor",
        OpBody::OrderHeld(hold(CLOUD_BLOCK.0 + 901, TICKET))
    ));
    assert!(refused_at_cloud(
        &mut state,
        "visitor",
        OpBody::OrderHeld(hold(CLOUD_BLOCK.0 + 902, HOLD_TICKET))
    ));
}

fn in_drill(body: OpBody, drill: &str) -> OpBody {
    match body {
        OpBody::OrderPlaced(mut placed) => {
            placed.drill = Some(drill.into());
            OpBody::OrderPlaced(placed)
        }
        other => other,
    }
}

fn drill_batch(id: &str, from: u64) -> StockBatch {
    StockBatch {
        drill: Some("d0".into()),
        ..stock_batch(id, "Н", from)
    }
}

#[test]
fn a_drill_stays_inside_its_drill_and_goes_as_a_whole() {
    let mut state = base();
    // A visitor's online order cannot claim to be a drill's.
    let online = sale(CLOUD_BLOCK.0 + 710, CLOUD_BLOCK.0 + 720, true);
    let online = in_drill(OpBody::OrderPlaced(online), "d0");
    assert!(refused_at_cloud(&mut state, "visitor", online));
    // A drill names a drill that exists: a sale in an unknown one waits, and is no order.
    let unknown = in_drill(
        OpBody::OrderPlaced(sale(CLOUD_BLOCK.0 + 711, CLOUD_BLOCK.0 + 721, false)),
        "nope",
    );
    refused_at_cloud(&mut state, "user:cashier", unknown);
    assert!(!state.orders().contains_key(&(CLOUD_BLOCK.0 + 711)));
    // A drill's paper sale of real stock, and a real paper sale of a drill's stock: refused.
    let real_stock = in_drill(paper_sale(STOCK_BLOCK.0 + 2, &["b0"]), "d0");
    assert!(refused_at_cloud(&mut state, "user:cashier", real_stock));
    let batch = drill_batch("dr", STOCK_BLOCK.0 + 2_000);
    let body = OpBody::StockBatchCreated(batch);
    assert!(!refused_at_cloud(&mut state, "user:manager", body));
    let real_sale = paper_sale(STOCK_BLOCK.0 + 2_000, &["dr"]);
    assert!(refused_at_cloud(&mut state, "user:cashier", real_sale));
    let drill_sale = in_drill(paper_sale(STOCK_BLOCK.0 + 2_000, &["dr"]), "d0");
    assert!(!refused_at_cloud(&mut state, "user:cashier", drill_sale));
    let drill_order = CLOUD_BLOCK.0 + 700;
    assert_eq!(state.drills().orders_of("d0"), [drill_order]);
    assert_eq!(state.drills().of_serial(STOCK_BLOCK.0 + 2_000), Some("d0"));
    // A cashier cannot end a drill; a manager can, and undo it.
    let end = |undo| OpBody::DrillEnded {
        id: "d0".into(),
        undo,
    };
    assert!(refused_at_cloud(&mut state, "user:cashier", end(true)));
    assert!(!refused_at_cloud(&mut state, "user:manager", end(false)));
    // A batch for a drill that has ended: refused.
    let late = OpBody::StockBatchCreated(drill_batch("late", STOCK_BLOCK.0 + 3_000));
    assert!(refused_at_cloud(&mut state, "user:manager", late));
    assert_eq!(
        state.orders().get(&drill_order).unwrap().status,
        aspk_domain::OrderStatus::Paid
    );
    assert!(!refused_at_cloud(&mut state, "user:manager", end(true)));
    let drill = state.drills().get("d0").unwrap();
    assert!(drill.is_undone() && !drill.is_running());
    let order = state.orders().get(&drill_order).unwrap();
    assert_eq!(order.status, aspk_domain::OrderStatus::Cancelled);
    assert_eq!(
        order.cancel_reason.as_deref(),
        Some(aspk_oplog::DRILL_UNDONE)
    );
    // Its stock is void, sold or not; the real batch is untouched.
    assert!(state.stock().voided_at(STOCK_BLOCK.0 + 2_000).is_some());
    assert!(state.stock().voided_at(STOCK_BLOCK.0 + 2_009).is_some());
    assert!(state.stock().voided_at(STOCK_BLOCK.0).is_none());
}

/// `body` written at the box-office device (origin `till`, key 4) by `actor`.
fn refused_at_till(state: &mut State, actor: &str, body: OpBody) -> bool {
    refused_from(state, Author::BoxOffice, actor, body)
}

/// A box-office device sells at the box office, for its venue, from its own serial block
/// and lease; only a manager sells beyond the lease, and that is an oversell finding. It
/// touches only the orders it sold. (The attacks a stolen or buggy device would try.)
#[test]
fn a_box_office_device_sells_only_within_its_lease_and_block() {
    let mut state = base();
    let n = |k: u64| TILL_BLOCK.0 + k;
    // Not at the box office: online, or as paper.
    let online = sale(n(1_000), n(1_001), true);
    assert!(refused_at_till(
        &mut state,
        "user:cashier",
        OpBody::OrderPlaced(online)
    ));
    assert!(refused_at_till(
        &mut state,
        "user:cashier",
        paper_sale(STOCK_BLOCK.0 + 5, &["b0"])
    ));
    // Another venue's sale, or serials outside its block (the cloud's, the site node's).
    let mut elsewhere = sale(n(1_010), n(1_011), false);
    elsewhere.venue = slug("annex");
    assert!(refused_at_till(
        &mut state,
        "user:cashier",
        OpBody::OrderPlaced(elsewhere)
    ));
    let foreign = sale(CLOUD_BLOCK.0 + 900, CLOUD_BLOCK.0 + 901, false);
    assert!(refused_at_till(
        &mut state,
        "user:cashier",
        OpBody::OrderPlaced(foreign)
    ));
    let mixed = sale(n(1_020), SITE_BLOCK.0 + 5, false);
    assert!(refused_at_till(
        &mut state,
        "user:cashier",
        OpBody::OrderPlaced(mixed)
    ));
    for refused in [n(1_000), n(1_010), CLOUD_BLOCK.0 + 900, n(1_020)] {
        assert!(!state.orders().contains_key(&refused));
    }
    // Its lease on s1 is 10 seats, one sold in the base state: nine more sell.
    for k in 0..9 {
        let body = OpBody::OrderPlaced(sale(n(2_000 + k), n(3_000 + k), false));
        assert!(
            !refused_at_till(&mut state, "user:cashier", body),
            "sale {k}"
        );
    }
    assert_eq!(state.slots()["s1"].lease_left("till"), Some(0));
    // The tenth is beyond the lease: it waits for more lease and sells nothing meanwhile.
    let beyond = OpBody::OrderPlaced(sale(n(2_100), n(3_100), false));
    assert!(refused_at_till(&mut state, "user:cashier", beyond));
    assert!(!state.orders().contains_key(&n(2_100)));
    // A cashier cannot override; a manager can, and it is an oversell finding.
    let mut over = sale(n(2_200), n(3_200), false);
    over.is_overbooking = true;
    assert!(refused_at_till(
        &mut state,
        "user:cashier",
        OpBody::OrderPlaced(over.clone())
    ));
    over.number = n(2_201);
    assert!(!refused_at_till(
        &mut state,
        "user:manager",
        OpBody::OrderPlaced(over)
    ));
    assert!(state.orders().contains_key(&n(2_201)));
    let finding = state
        .findings()
        .get("oversell:s1")
        .expect("an oversell finding");
    assert_eq!(finding.facts["declared_overbooking"], 1);
    // It cancels and annotates only what it sold.
    let cancel = |number| OpBody::OrderCancelled {
        number,
        reason: "r".into(),
        refund: None,
        more_refunds: vec![],
        entries_seen: vec![],
    };
    assert!(refused_at_till(&mut state, "user:manager", cancel(ORDER)));
    assert_ne!(
        state.orders().get(&ORDER).unwrap().status,
        aspk_domain::OrderStatus::Cancelled
    );
    assert!(!refused_at_till(
        &mut state,
        "user:cashier",
        cancel(TILL_ORDER)
    ));
    // It returns only its own lease, and writes nothing a site node alone may.
    let lease = |holder: &str| OpBody::LeaseReturned {
        holder: holder.into(),
        slot: "s1".into(),
        seats: 1,
    };
    assert!(refused_at_till(&mut state, "system:lease", lease("site")));
    assert!(!refused_at_till(&mut state, "system:lease", lease("till")));
    let entry = OpBody::EntryRecorded {
        serial: TILL_TICKET,
        gate: "g".into(),
        at: at(),
    };
    assert!(refused_at_till(&mut state, "user:cashier", entry));
}
