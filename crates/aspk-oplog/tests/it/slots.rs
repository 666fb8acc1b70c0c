//! Attack tests of the slot rules the fold enforces on every replica: an op written
//! directly (past the app's checks) that deletes a slot with sales, shrinks a slot below
//! what is sold, or comes from someone who may not change slots, is not folded in.

#![allow(clippy::unwrap_used)]

use aspk_domain::{Channel, Currency, Payment, PaymentMethod, Role, Slot};
use aspk_oplog::{Hlc, Op, OpBody, OpSig, OrderPlaced, State, TicketIssued};

use crate::authority::{at, slug, user, venue, ROOT_HEX, SITE_KEY_HEX};

fn slot(id: &str, hour: u32) -> Slot {
    let starts_at = at() + chrono::Duration::hours(i64::from(hour));
    Slot {
        venue: slug("demo"),
        id: id.into(),
        starts_at,
        ends_at: starts_at + chrono::Duration::hours(1),
        capacity: 10,
    }
}

fn sale(number: u64, serials: &[u64]) -> OpBody {
    let tickets = serials
        .iter()
        .map(|serial| TicketIssued {
            serial: *serial,
            product: slug("adult"),
            slot: Some("sold".into()),
            valid_from: at(),
            valid_until: at() + chrono::Duration::hours(1),
            valid_days: None,
            price_minor: 100,
            code: "1".into(),
        })
        .collect::<Vec<_>>();
    let total = 100 * tickets.len() as i64;
    OpBody::OrderPlaced(OrderPlaced {
        number,
        venue: slug("demo"),
        channel: Channel::BoxOffice,
        email: None,
        tickets,
        payments: vec![Payment {
            method: PaymentMethod::Card,
            amount_minor: total,
            at: at(),
            shift: None,
            reference: None,
        }],
        total_minor: total,
        currency: Currency::UAH,
        is_overbooking: false,
        shift: None,
        name: None,
        idempotency_key: None,
        paper: None,
        drill: None,
    })
}

/// Replays ops as one origin, signed by `key_id` (the fold reads only which key signed).
struct Writer {
    origin: &'static str,
    key_id: u16,
    seq: u64,
}

impl Writer {
    fn cloud() -> Self {
        Self {
            origin: "cloud",
            key_id: 1,
            seq: 0,
        }
    }

    fn op(&mut self, actor: &str, body: OpBody) -> Op {
        self.seq += 1;
        Op {
            origin: self.origin.into(),
            seq: self.seq,
            hlc: Hlc(self.seq * 10),
            actor: actor.into(),
            body,
            sig: Some(OpSig {
                key_id: self.key_id,
                bytes: [0; 64],
            }),
        }
    }
}

/// Venue `demo` with staff, slot `sold` (3 tickets sold, one of them later voided) and
/// slot `free` (nothing sold).
fn base(cloud: &mut Writer) -> State {
    let mut state = State::default();
    state.set_anchors([(1, ROOT_HEX.to_owned())]);
    let venue = venue("demo", 1);
    let bodies = vec![
        (
            "system",
            OpBody::KeyPublished {
                key_id: 1,
                public_key: ROOT_HEX.into(),
                holder: None,
                serials: Some((10_000_000_000, 20_000_000_000)),
                valid_from: None,
                valid_until: None,
            },
        ),
        ("system:cli", OpBody::UserSaved(user("admin", Role::Admin))),
        (
            "system:cli",
            OpBody::UserSaved(user("manager", Role::Manager)),
        ),
        ("system:demo", OpBody::VenueSaved(venue)),
        ("system:demo", OpBody::SlotCreated(slot("sold", 0))),
        ("system:demo", OpBody::SlotCreated(slot("free", 2))),
        ("system:demo", OpBody::SlotCreated(slot("voided", 4))),
        (
            "user:admin",
            sale(10_000_000_001, &[10_000_000_011, 10_000_000_012]),
        ),
    ];
    for (actor, body) in bodies {
        state.apply(&cloud.op(actor, body));
    }
    assert_eq!(state.open_findings(), 0, "{:?}", state.findings());
    assert_eq!(state.slots()["sold"].sold, 2);
    state
}

fn refused(state: &State, op: &Op) -> bool {
    let id = format!("unauthorised_op:{}:{}", op.origin, op.seq);
    state.findings().contains_key(&id)
}

#[test]
fn deleting_a_slot_with_sales_is_not_folded_in() {
    let mut cloud = Writer::cloud();
    let mut state = base(&mut cloud);
    let attack = cloud.op(
        "user:admin",
        OpBody::SlotDeleted {
            slot: "sold".into(),
        },
    );
    state.apply(&attack);
    assert!(refused(&state, &attack));
    assert!(!state.slots()["sold"].is_deleted);
    assert_eq!(
        state
            .slots_between(&slug("demo"), at(), at() + chrono::Duration::hours(1))
            .count(),
        1
    );
}

#[test]
fn deleting_a_slot_whose_only_ticket_was_voided_is_not_folded_in() {
    let mut cloud = Writer::cloud();
    let mut state = base(&mut cloud);
    let mut placed = sale(10_000_000_002, &[10_000_000_021]);
    if let OpBody::OrderPlaced(p) = &mut placed {
        p.tickets[0].slot = Some("voided".into());
    }
    state.apply(&cloud.op("user:admin", placed));
    let void = cloud.op(
        "user:admin",
        OpBody::TicketVoided {
            serial: 10_000_000_021,
            reason: "test".into(),
            refund: None,
            more_refunds: vec![],
            entries_seen: 0,
        },
    );
    state.apply(&void);
    assert!(!refused(&state, &void), "{:?}", state.findings());
    assert_eq!(state.slots()["voided"].sold, 0);
    let attack = cloud.op(
        "user:admin",
        OpBody::SlotDeleted {
            slot: "voided".into(),
        },
    );
    state.apply(&attack);
    assert!(refused(&state, &attack));
    assert!(!state.slots()["voided"].is_deleted);
}

#[test]
fn shrinking_a_slot_below_what_is_sold_is_not_folded_in() {
    let mut cloud = Writer::cloud();
    let mut state = base(&mut cloud);
    let attack = cloud.op(
        "user:admin",
        OpBody::SlotChanged {
            slot: "sold".into(),
            capacity: Some(1),
            is_closed: None,
        },
    );
    state.apply(&attack);
    assert!(refused(&state, &attack));
    assert_eq!(state.slots()["sold"].slot.capacity, 10);
    // Down to exactly what is sold is fine.
    let fine = cloud.op(
        "user:admin",
        OpBody::SlotChanged {
            slot: "sold".into(),
            capacity: Some(2),
            is_closed: None,
        },
    );
    state.apply(&fine);
    assert!(!refused(&state, &fine));
    assert_eq!(state.slots()["sold"].slot.capacity, 2);
}

#[test]
fn an_admin_closes_reopens_and_deletes_an_unsold_slot() {
    let mut cloud = Writer::cloud();
    let mut state = base(&mut cloud);
    let close = OpBody::SlotChanged {
        slot: "free".into(),
        capacity: Some(30),
        is_closed: Some(true),
    };
    state.apply(&cloud.op("user:admin", close));
    let free = &state.slots()["free"];
    assert!(free.is_closed && !free.is_on_sale());
    assert_eq!(free.slot.capacity, 30);
    let reopen = OpBody::SlotChanged {
        slot: "free".into(),
        capacity: None,
        is_closed: Some(false),
    };
    state.apply(&cloud.op("user:admin", reopen));
    assert!(state.slots()["free"].is_on_sale());
    assert_eq!(state.slots()["free"].slot.capacity, 30);
    state.apply(&cloud.op(
        "user:admin",
        OpBody::SlotDeleted {
            slot: "free".into(),
        },
    ));
    assert!(state.slots()["free"].is_deleted);
    let day = state
        .slots_between(&slug("demo"), at(), at() + chrono::Duration::days(1))
        .map(|s| s.slot.id.clone())
        .collect::<Vec<_>>();
    assert_eq!(day, ["sold", "voided"]);
    assert_eq!(state.open_findings(), 0, "{:?}", state.findings());
}

#[test]
fn a_managers_slot_op_is_not_folded_in() {
    let mut cloud = Writer::cloud();
    let mut state = base(&mut cloud);
    let change = cloud.op(
        "user:manager",
        OpBody::SlotChanged {
            slot: "free".into(),
            capacity: None,
            is_closed: Some(true),
        },
    );
    state.apply(&change);
    assert!(refused(&state, &change));
    assert!(!state.slots()["free"].is_closed);
    let delete = cloud.op(
        "user:manager",
        OpBody::SlotDeleted {
            slot: "free".into(),
        },
    );
    state.apply(&delete);
    assert!(refused(&state, &delete));
    assert!(!state.slots()["free"].is_deleted);
}

#[test]
fn a_site_nodes_slot_op_is_not_folded_in() {
    let mut cloud = Writer::cloud();
    let mut state = base(&mut cloud);
    let bodies = vec![
        OpBody::KeyPublished {
            key_id: 2,
            public_key: SITE_KEY_HEX.into(),
            holder: Some("site".into()),
            serials: Some((20_000_000_000, 21_000_000_000)),
            valid_from: None,
            valid_until: None,
        },
        OpBody::NodeEnrolled {
            node_id: "n1".into(),
            code_hash: "c1".into(),
            role: "site_node".into(),
            venue: slug("demo"),
            name: "site".into(),
            origin: "site".into(),
            token_hash: "t1".into(),
            public_key: None,
            local_sign_in: None,
        },
    ];
    for body in bodies {
        state.apply(&cloud.op("system:enrolment", body));
    }
    let mut site = Writer {
        origin: "site",
        key_id: 2,
        seq: 0,
    };
    let delete = site.op(
        "user:admin",
        OpBody::SlotDeleted {
            slot: "free".into(),
        },
    );
    state.apply(&delete);
    assert!(refused(&state, &delete));
    assert!(!state.slots()["free"].is_deleted);
}
