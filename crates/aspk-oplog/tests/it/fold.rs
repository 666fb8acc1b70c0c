//! Property tests of the fold: delivering ops twice, or interleaving origins differently,
//! gives the same state.

#![allow(clippy::unwrap_used)]

use aspk_domain::{
    Channel, Currency, Localized, PaymentMethod, Role, Slot, Slug, User, Username, Venue,
};
use aspk_oplog::{Hlc, Op, OpBody, OpSig, OrderPlaced, State, TicketIssued};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

fn slug(s: &str) -> Slug {
    Slug::parse("id", s).unwrap()
}

/// The root key's id: the anchor every replica in these tests is given.
const ROOT: u16 = 1;
/// Its public key (the fold never checks signatures: that happens when ops arrive).
const ROOT_HEX: &str = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";

/// `op` as signed by key `key_id` (the fold reads only which key signed it).
fn signed_by(mut op: Op, key_id: u16) -> Op {
    op.sig = Some(OpSig {
        key_id,
        bytes: [0; 64],
    });
    op
}

fn fresh_state() -> State {
    let mut state = State::default();
    state.set_anchors([(ROOT, ROOT_HEX.to_owned())]);
    state
}

fn base_ops() -> Vec<Op> {
    let at = Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap();
    let venue = Venue {
        id: slug("v"),
        no: 1,
        name: Localized::new("Музей", ""),
        time_zone: "Europe/Kyiv".into(),
        currency: Currency::UAH,
        early_entry_minutes: 0,
        shop: Default::default(),
    };
    let slot = |venue: &str, id: &str| Slot {
        venue: slug(venue),
        id: id.into(),
        starts_at: at,
        ends_at: at + chrono::Duration::hours(1),
        capacity: 100,
    };
    let other = Venue {
        id: slug("w"),
        no: 2,
        ..venue.clone()
    };
    let admin = User {
        username: Username::parse("admin").unwrap(),
        role: Role::Admin,
        password_hash: String::new(),
        is_active: true,
        generation: 1,
        lang: None,
        venue: None,
    };
    let gate = |n: u64, origin: &str| OpBody::NodeEnrolled {
        node_id: format!("gate{n}"),
        code_hash: format!("c{n}"),
        role: "gate".into(),
        venue: slug("v"),
        name: format!("gate {n}"),
        origin: origin.into(),
        token_hash: format!("t{n}"),
        public_key: Some(ROOT_HEX.into()),
        local_sign_in: None,
    };
    vec![
        (
            "system",
            OpBody::KeyPublished {
                key_id: ROOT,
                public_key: ROOT_HEX.into(),
                holder: None,
                serials: None,
                valid_from: None,
                valid_until: None,
            },
        ),
        ("system:cli", OpBody::UserSaved(admin)),
        ("system:demo", OpBody::VenueSaved(venue)),
        ("system:demo", OpBody::SlotCreated(slot("v", "s1"))),
        ("system:demo", OpBody::VenueSaved(other)),
        ("system:demo", OpBody::SlotCreated(slot("w", "s2"))),
        // Two turnstiles of venue `v` (for withdrawn passes).
        ("system:enrolment", gate(1, "gate-1")),
        ("system:enrolment", gate(2, "gate-2")),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (actor, body))| {
        signed_by(
            Op {
                origin: "cloud".into(),
                seq: i as u64 + 1,
                hlc: Hlc(i as u64 + 1),
                actor: actor.into(),
                body,
                sig: None,
            },
            ROOT,
        )
    })
    .collect()
}

/// Serials from this one on are sold for the second venue (`w`, slot `s2`).
const OTHER_VENUE_FROM: u64 = 15;

/// A random action by one of three origins: sell (order n), cancel, admit.
#[derive(Debug, Clone)]
enum Action {
    Sell {
        origin: usize,
        serial: u64,
    },
    Cancel {
        origin: usize,
        serial: u64,
    },
    Admit {
        origin: usize,
        serial: u64,
        gate: u8,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0..3usize, 1..20u64).prop_map(|(origin, serial)| Action::Sell { origin, serial }),
        (0..3usize, 1..20u64).prop_map(|(origin, serial)| Action::Cancel { origin, serial }),
        (0..3usize, 1..20u64, 0..4u8).prop_map(|(origin, serial, gate)| Action::Admit {
            origin,
            serial,
            gate
        }),
    ]
}

fn venue_of(serial: u64) -> &'static str {
    if serial < OTHER_VENUE_FROM {
        "v"
    } else {
        "w"
    }
}

fn slot_of(serial: u64) -> &'static str {
    if serial < OTHER_VENUE_FROM {
        "s1"
    } else {
        "s2"
    }
}

fn to_ops(actions: &[Action]) -> Vec<Op> {
    let mut seqs = [0u64; 3];
    let at = Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap();
    actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (origin, body) = match a {
                Action::Sell { origin, serial } => (
                    *origin,
                    OpBody::OrderPlaced(OrderPlaced {
                        number: 10_000_000_000
                            + serial
                            + 1000 * *origin as u64
                            + 100_000 * i as u64,
                        venue: slug(venue_of(*serial)),
                        channel: Channel::BoxOffice,
                        email: None,
                        tickets: vec![TicketIssued {
                            serial: 10_000_000_000 + serial,
                            product: slug("p"),
                            slot: Some(slot_of(*serial).into()),
                            valid_from: at,
                            valid_until: at,
                            valid_days: None,
                            price_minor: 100,
                            code: "1".into(),
                        }],
                        payments: vec![aspk_domain::Payment {
                            method: PaymentMethod::Cash,
                            amount_minor: 100,
                            at,
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
                    }),
                ),
                Action::Cancel { origin, serial } => (
                    *origin,
                    OpBody::TicketVoided {
                        serial: 10_000_000_000 + serial,
                        reason: "r".into(),
                        refund: None,
                        more_refunds: vec![],
                        entries_seen: 0,
                    },
                ),
                Action::Admit {
                    origin,
                    serial,
                    gate,
                } => (
                    *origin,
                    OpBody::EntryRecorded {
                        serial: 10_000_000_000 + serial,
                        gate: format!("g{gate}"),
                        at,
                    },
                ),
            };
            seqs[origin] += 1;
            // Three incarnations of the cloud, acting for the admin.
            signed_by(
                Op {
                    origin: format!("o{origin}"),
                    seq: seqs[origin],
                    hlc: Hlc(100 + i as u64),
                    actor: "user:admin".into(),
                    body,
                    sig: None,
                },
                ROOT,
            )
        })
        .collect()
}

fn fold(ops: &[Op]) -> State {
    let mut state = fresh_state();
    for op in base_ops().iter().chain(ops) {
        state.apply(op);
    }
    // Every op here is one its author may write: none is held back or refused.
    assert!(
        state
            .findings()
            .values()
            .all(|f| f.kind != "unauthorised_op"),
        "{:?}",
        state.findings()
    );
    state
}

fn digest(state: &State) -> String {
    let mut tickets: Vec<_> = state
        .tickets()
        .values()
        .map(|t| format!("{}:{:?}:{}", t.serial, t.status, t.entries.len()))
        .collect();
    tickets.sort();
    format!(
        "{tickets:?} sold={} ops={} vv={:?}",
        state.slots()["s1"].sold,
        state.op_count(),
        state.applied()
    )
}

/// The state digest as computed from readable tickets and orders.
fn reference_digest(state: &State) -> String {
    let mut hasher = blake3::Hasher::new();
    for t in state.tickets().values() {
        let entries: Vec<(u64, &str, &str)> = t
            .entries
            .iter()
            .map(|e| (e.hlc, e.origin.as_str(), e.gate.as_str()))
            .collect();
        hasher.update(format!("t{}:{:?}:{entries:?}\n", t.serial, t.status).as_bytes());
    }
    for o in state.orders().values() {
        hasher.update(format!("o{}:{:?}:{}\n", o.number, o.status, o.payments.len()).as_bytes());
    }
    let mut slots: Vec<_> = state.slots().values().collect();
    slots.sort_by(|a, b| a.slot.id.cmp(&b.slot.id));
    for s in slots {
        hasher.update(
            format!("s{}:{}:{:?}:{:?}\n", s.slot.id, s.sold, s.sold_by, s.leases).as_bytes(),
        );
    }
    for f in state.findings().values() {
        hasher.update(format!("f{}:{}:{}\n", f.id, f.facts, f.is_open()).as_bytes());
    }
    hasher.update(
        format!(
            "n{:?}u{}\n",
            state.nodes().keys().collect::<Vec<_>>(),
            state.users().len()
        )
        .as_bytes(),
    );
    hasher.finalize().to_hex().to_string()
}

/// Everything a reader can see of the state, in a stable order.
fn full_view(state: &State) -> String {
    let tickets: Vec<_> = state.tickets().values().collect();
    let orders: Vec<_> = state.orders().values().collect();
    let mut slots: Vec<_> = state.slots().values().collect();
    slots.sort_by(|a, b| a.slot.id.cmp(&b.slot.id));
    format!(
        "{tickets:?}\n{orders:?}\n{slots:?}\n{:?}\n{:?}\n{:?}\n{} {} {:?}",
        state.findings(),
        state.orders_by_time(),
        state.gate_counts(),
        state.op_count(),
        state.max_hlc(),
        state.applied(),
    )
}

proptest! {
    #[test]
    fn delivering_every_op_twice_changes_nothing(actions in prop::collection::vec(action(), 0..40)) {
        let ops = to_ops(&actions);
        let once = fold(&ops);
        let twice: Vec<Op> = ops.iter().flat_map(|op| [op.clone(), op.clone()]).collect();
        prop_assert_eq!(digest(&once), digest(&fold(&twice)));
        let replayed: Vec<Op> = ops.iter().chain(ops.iter()).cloned().collect();
        prop_assert_eq!(digest(&once), digest(&fold(&replayed)));
    }

    /// Replication keeps each origin's ops in order but not the order between origins: a
    /// void from one node may arrive before the sale it voids. Every such interleaving
    /// gives the same state.
    #[test]
    fn any_interleaving_of_origins_gives_the_same_state(
        actions in prop::collection::vec(action(), 0..40),
        picks in prop::collection::vec(0..3usize, 0..200),
    ) {
        let ops = to_ops(&actions);
        let mut queues: Vec<std::collections::VecDeque<Op>> = vec![Default::default(); 3];
        for op in &ops {
            let i = op.origin[1..].parse::<usize>().unwrap();
            queues[i].push_back(op.clone());
        }
        let mut merged = Vec::with_capacity(ops.len());
        let mut picks = picks.into_iter();
        while queues.iter().any(|q| !q.is_empty()) {
            let start = picks.next().unwrap_or(0);
            let i = (0..3).map(|k| (start + k) % 3).find(|i| !queues[*i].is_empty()).unwrap();
            merged.push(queues[i].pop_front().unwrap());
        }
        prop_assert_eq!(digest(&fold(&ops)), digest(&fold(&merged)));
    }

    /// A node restarted from a snapshot taken after any op, folding the rest, reaches the
    /// same state as one that folded every op.
    #[test]
    fn a_snapshot_at_any_point_restores_the_same_state(
        actions in prop::collection::vec(action(), 0..50),
        cut in 0..50usize,
    ) {
        let ops = to_ops(&actions);
        let cut = cut.min(ops.len());
        let before = fold(&ops[..cut]);
        let mut bytes = Vec::new();
        before.write_snapshot(&mut bytes, 7, ("o0".into(), 1)).unwrap();
        let (mut restored, header) = State::read_snapshot(bytes.as_slice()).unwrap();
        prop_assert_eq!(header.cursor, 7);
        prop_assert_eq!(full_view(&before), full_view(&restored));
        for op in &ops[cut..] {
            restored.apply(op);
        }
        let whole = fold(&ops);
        prop_assert_eq!(full_view(&whole), full_view(&restored));
        prop_assert_eq!(whole.digest(), restored.digest());
        // Repacking the tables changes nothing a reader sees.
        let mut compacted = fold(&ops[..cut]);
        compacted.compact();
        for op in &ops[cut..] {
            compacted.apply(op);
        }
        prop_assert_eq!(full_view(&whole), full_view(&compacted));
    }

    /// The digest, written from the compact tables, is the one the readable state gives
    /// (the form replicas of earlier builds computed), and is cached only per op count.
    #[test]
    fn the_digest_is_the_readable_states(actions in prop::collection::vec(action(), 0..50)) {
        let ops = to_ops(&actions);
        let mut state = fold(&ops[..ops.len() / 2]);
        prop_assert_eq!(state.digest(), reference_digest(&state));
        for op in &ops[ops.len() / 2..] {
            state.apply(op);
        }
        prop_assert_eq!(state.digest(), reference_digest(&state));
    }

    #[test]
    fn sold_seats_match_live_tickets(actions in prop::collection::vec(action(), 0..60)) {
        let state = fold(&to_ops(&actions));
        let live = state.tickets().values().filter(|t| t.status != aspk_domain::TicketStatus::Void).count() as u32;
        prop_assert_eq!(state.slots()["s1"].sold + state.slots()["s2"].sold, live);
    }

    /// A replica of venue `v` is sent the other venue's ops as elisions, each decided by
    /// its upstream as it passes the op on (knowing the ops before it): it ends with the
    /// full replica's state for `v`, the same version vector, and nothing of `w`.
    #[test]
    fn a_venue_replica_has_the_full_state_of_its_venue(actions in prop::collection::vec(action(), 0..60)) {
        let ops = to_ops(&actions);
        let (mut full, mut replica) = (fresh_state(), fresh_state());
        for op in base_ops().iter().chain(&ops) {
            full.apply(op);
            let sent = if full.concerns(op, "v") { op.clone() } else { op.elided() };
            prop_assert_eq!(sent.hash(), op.hash());
            replica.apply(&sent);
        }
        prop_assert_eq!(replica.digest_for(Some("v")), full.digest_for(Some("v")));
        prop_assert_eq!(&replica.applied(), &full.applied());
        prop_assert!(replica.tickets().briefs().all(|t| t.venue == "v"));
        prop_assert!(replica.orders().values().all(|o| o.venue.as_str() == "v"));
        prop_assert!(!replica.slots().contains_key("s2") && !replica.venues().contains_key(&slug("w")));
        // The other venue's slot is outside the digest for `v`.
        prop_assert_ne!(full.digest_for(Some("v")), full.digest());
    }
}

/// Fields added to ops later are left out when empty, so an op written by an older version
/// serialises (and hashes) the same after an upgrade: no false equivocation.
#[test]
fn ops_from_before_new_fields_keep_their_json() {
    let old = r#"{"origin":"o","seq":1,"hlc":5,"actor":"a","body":{"type":"order_placed","number":1,"venue":"v","channel":"online","email":null,"tickets":[],"payments":[],"total_minor":0,"currency":"UAH","is_overbooking":false}}"#;
    let op: Op = serde_json::from_str(old).unwrap();
    assert_eq!(serde_json::to_string(&op).unwrap(), old);
    let user = r#"{"origin":"o","seq":2,"hlc":6,"actor":"a","body":{"type":"user_saved","username":"anna","role":"cashier","password_hash":"x","is_active":true,"generation":1}}"#;
    let op: Op = serde_json::from_str(user).unwrap();
    assert_eq!(serde_json::to_string(&op).unwrap(), user);
}

/// An entry at turnstile `gate_origin` (an enrolled gate, signing with its own key 0).
fn gate_entry(gate_origin: &str, seq: u64, hlc: u64, serial: u64, gate: &str) -> Op {
    signed_by(
        Op {
            origin: gate_origin.into(),
            seq,
            hlc: Hlc(hlc),
            actor: format!("node:{gate_origin}"),
            body: OpBody::EntryRecorded {
                serial,
                gate: gate.into(),
                at: Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap(),
            },
            sig: None,
        },
        0,
    )
}

fn pass_not_used(gate_origin: &str, seq: u64, serial: u64, gate: &str, entry_hlc: u64) -> Op {
    signed_by(
        Op {
            origin: gate_origin.into(),
            seq,
            hlc: Hlc(10_000 + seq),
            actor: format!("node:{gate_origin}"),
            body: OpBody::PassNotUsed {
                serial,
                gate: gate.into(),
                entry_hlc,
            },
            sig: None,
        },
        0,
    )
}

/// A pass nobody used: the entry is withdrawn, the ticket is valid again, the gate's counts
/// move the decision from admitted to unused, and the double entry it caused is gone.
#[test]
fn an_unused_pass_is_withdrawn() {
    let mut ops = to_ops(&[Action::Sell {
        origin: 0,
        serial: 1,
    }]);
    let serial = 10_000_000_001;
    ops.push(gate_entry("gate-1", 1, 500, serial, "g1"));
    ops.push(gate_entry("gate-2", 1, 501, serial, "g2"));
    let mut state = fold(&ops);
    assert!(
        state
            .findings()
            .contains_key(&format!("double_entry:{serial}")),
        "{:?}",
        state.findings()
    );
    state.apply(&pass_not_used("gate-2", 2, serial, "g2", 501));
    let ticket = state.tickets().get(&serial).unwrap();
    assert_eq!(ticket.entries.len(), 1, "the unused pass's entry is gone");
    assert!(!state
        .findings()
        .contains_key(&format!("double_entry:{serial}")));
    let g2: (u32, u32) = state
        .gate_counts()
        .iter()
        .filter(|((gate, _), _)| gate == "g2")
        .map(|(_, c)| (c.admitted, c.unused))
        .fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
    assert_eq!(g2, (0, 1));
    // The other gate's entry alone: withdrawing it too makes the ticket valid again.
    state.apply(&pass_not_used("gate-1", 2, serial, "g1", 500));
    assert_eq!(
        state.tickets().get(&serial).unwrap().status,
        aspk_domain::TicketStatus::Valid
    );
    // A gate cannot withdraw another gate's entry, nor sell.
    let mut state = fold(&ops);
    state.apply(&pass_not_used("gate-2", 2, serial, "g1", 500));
    assert_eq!(state.tickets().get(&serial).unwrap().entries.len(), 2);
    assert_eq!(
        state.open_findings(),
        1,
        "only the double entry: {:?}",
        state.findings()
    );
}
