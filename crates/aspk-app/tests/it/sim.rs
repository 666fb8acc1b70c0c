//! Deterministic simulation of replication: a cloud and two site nodes (real `Node`s on
//! in-memory stores, real decisions, real ingest) exchange ops over simulated links with
//! seeded partitions, message loss, truncation, duplication, reordering, crashes (a crash
//! stops the node's writer wherever it is, even mid-ingest), revocation, equivocation and a
//! relay forging another node's op, each node's clock off by up to 15 minutes either way
//! (its hybrid logical clock must still order causally). After healing, the checker
//! asserts: (a) no acknowledged op is lost; (b) replicas converge to the same state and
//! findings; (c) each double entry yields exactly one finding; (d) no slot is sold beyond
//! capacity; (e) a revoked node's later ops are refused; (f) equivocation is detected, even
//! when the receiving node dies while taking it in; (g) clocks never go back; (h) restarts
//! rebuild the same state; (i) a forged op is refused and recorded everywhere, and the op
//! its origin signed is the one kept; (j) the site nodes replicate their venue only: the
//! cloud also sells, admits and cancels for a second venue, which reaches the sites as
//! elisions, and each site's state equals the cloud's for its venue; (k) a Byzantine node
//! (an enrolled gate, holding its own key) sends forged, unsigned, unauthorised, replayed
//! and far-future ops: none is applied, each gives its finding on every replica that holds
//! what it is about, no honest op is refused, and honest replicas still converge.
//!
//! `ASPK_SIM_SEEDS` sets how many seeds run (CI: the default; nightly: thousands), and
//! `ASPK_SIM_SEED` replays one.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use aspk_app::{
    AppError, NewOrder, NewOrderItem, NewSlot, Node, NodeOptions, NodeRole, Principal, ScanInput,
    SnapshotOptions, CLOUD_SERIALS,
};
use aspk_domain::{Channel, PaymentMethod, Role, Username};
use aspk_oplog::{Op, OpBody};
use aspk_store::{MemoryStore, Store};
use aspk_ticket::IssuerKey;
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// The allocator the `aspk` binary uses. With glibc's, thousands of seeds of snapshots
/// every few ops fragment the heap to gigabytes (its mmap threshold rises after the first
/// large free); mimalloc stays flat, as it does in the server.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const STEPS: usize = 120;
/// The venue the site nodes replicate, and a second one only the cloud holds in full.
const VENUE: &str = "demo";
const ANNEX: &str = "annex";
const CAPACITY: u32 = 12;
/// What a site node of the venue is sent.
const SITE: aspk_oplog::Audience<'static> = aspk_oplog::Audience {
    venue: VENUE,
    kind: aspk_oplog::AudienceKind::SiteNode {
        local_sign_in: true,
    },
};

/// What a replica is, kept across crashes.
#[derive(Clone, Copy)]
struct Identity {
    key: [u8; 32],
    key_id: u16,
    role: NodeRole,
    serials: (u64, u64),
    /// How far this node's clock is off (seeded, up to 15 minutes either way).
    skew_ms: i64,
    /// The cloud's root key, the trust anchor it was given (none: the cloud itself).
    anchor: Option<[u8; 32]>,
}

/// Clocks here are off by up to 15 minutes either way, so two nodes may be 30 minutes
/// apart: the bound on skew leaves room for that (a real install uses 5 minutes).
const MAX_SKEW_MINUTES: i64 = 40;

/// A snapshot file of its own for each replica (in one directory for the whole run), so
/// crashes also restart from snapshots taken every few ops.
fn fresh_snapshot_path() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
    dir.path()
        .join(format!("{}.snapshot", NEXT.fetch_add(1, Ordering::Relaxed)))
}

struct Replica {
    name: String,
    node: Node,
    store: Arc<MemoryStore>,
    snapshot: std::path::PathBuf,
    origin: String,
    id: Identity,
    token: Option<String>,
}

impl Replica {
    async fn start(
        name: &str,
        store: Arc<MemoryStore>,
        snapshot: std::path::PathBuf,
        origin: &str,
        id: Identity,
    ) -> Replica {
        let node = Node::start(NodeOptions {
            store: store.clone(),
            origin: origin.to_owned(),
            ticket_key: IssuerKey::from_bytes(id.key_id, &id.key),
            token_secret: [7; 32],
            role: id.role,
            serials: id.serials,
            clock: aspk_domain::SystemClock::offset_by(id.skew_ms),
            snapshot: Some(SnapshotOptions {
                path: snapshot.clone(),
                every_ops: 7,
                min_interval: std::time::Duration::ZERO,
            }),
            trust_anchors: id.anchor.map(|a| vec![(1, a)]).unwrap_or_default(),
            max_clock_skew: Duration::minutes(MAX_SKEW_MINUTES),
        })
        .await
        .unwrap();
        Replica {
            name: name.to_owned(),
            node,
            store,
            snapshot,
            origin: origin.to_owned(),
            id,
            token: None,
        }
    }

    /// A crash: the process is gone (its writer stops wherever it is, work not yet durable
    /// is lost), the store (disk) stays; a new process folds the log.
    async fn restart(&mut self) {
        self.node.halt();
        let token = self.token.take();
        let (store, snapshot) = (self.store.clone(), self.snapshot.clone());
        *self = Replica::start(&self.name, store, snapshot, &self.origin, self.id).await;
        self.token = token;
    }
}

/// Opens the second venue (a copy of the demo venue and its adult ticket) with one slot.
async fn open_annex(cloud: &Node) -> String {
    let (mut venue, mut product) = cloud.inspect(|s| {
        let venue = s.venues().values().next().unwrap().clone();
        let product = s.products_of(&venue.id).next().unwrap().clone();
        (venue, product)
    });
    venue.id = aspk_domain::Slug::trusted(ANNEX);
    product.venue = venue.id.clone();
    product.id = aspk_domain::Slug::trusted("adult");
    cloud.save_venue(&admin(), venue).await.unwrap();
    cloud.save_product(&admin(), product).await.unwrap();
    let now = Utc::now();
    let new = NewSlot {
        starts_at: now - Duration::minutes(5),
        ends_at: now + Duration::hours(2),
        capacity: CAPACITY,
    };
    cloud
        .create_slot(&admin(), ANNEX, new)
        .await
        .unwrap()
        .slot
        .id
}

fn admin() -> Principal {
    Principal {
        username: Username::parse("admin").unwrap(),
        role: Role::Admin,
    }
}

/// What a link did to one delivery.
#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    Lost,
    Truncated,
    Duplicated,
    Reordered,
}

/// An enrolled gate that turned hostile: it holds its own key (id 0) and pushes to the
/// cloud whatever it likes.
struct Byzantine {
    origin: String,
    key: IssuerKey,
    /// The findings each of its attacks must leave, by id, and the op it is about when
    /// only the replicas that hold that op in full can find it.
    expected: Vec<(String, Option<(String, u64)>)>,
    /// Users and key ids its ops tried to create.
    planted_users: Vec<String>,
    planted_keys: Vec<u16>,
    log: Vec<String>,
}

struct Sim {
    rng: StdRng,
    byzantine: Byzantine,
    nodes: Vec<Replica>,
    /// Link between the cloud (0) and site `i` (index i) is up.
    up: Vec<bool>,
    /// Pull cursors per directed pair (from, to).
    cursors: std::collections::HashMap<(usize, usize), i64>,
    slots: Vec<String>,
    codes: Vec<String>,
    orders: Vec<String>,
    /// The second venue's slot, and what the cloud sold for it.
    annex_slot: String,
    annex_codes: Vec<String>,
    annex_orders: Vec<String>,
    revoked: Option<(usize, u64)>,
    equivocated: Option<(String, u64)>,
    /// An op a relay altered, and the op as its origin signed it.
    forged: Option<Op>,
    log: Vec<String>,
}

impl Sim {
    async fn new(seed: u64) -> Sim {
        let mut rng = StdRng::seed_from_u64(seed);
        let cloud_key: [u8; 32] = rng.gen();
        let skew = |rng: &mut StdRng| rng.gen_range(-900_000..=900_000);
        let cloud_id = Identity {
            key: cloud_key,
            key_id: 1,
            role: NodeRole::Cloud,
            serials: CLOUD_SERIALS,
            skew_ms: skew(&mut rng),
            anchor: None,
        };
        let cloud = Replica::start(
            "cloud",
            Arc::new(MemoryStore::new()),
            fresh_snapshot_path(),
            "cloud-origin-1",
            cloud_id,
        )
        .await;
        cloud.node.seed_demo().await.unwrap();
        let now = Utc::now();
        let mut slots = Vec::new();
        for i in 0..3 {
            let new = NewSlot {
                starts_at: now - Duration::minutes(10 + i),
                ends_at: now + Duration::hours(2),
                capacity: CAPACITY,
            };
            slots.push(
                cloud
                    .node
                    .create_slot(&admin(), "demo", new)
                    .await
                    .unwrap()
                    .slot
                    .id,
            );
        }
        let annex_slot = open_annex(&cloud.node).await;
        let byzantine = enrol_byzantine(&cloud.node, &mut rng).await;
        let mut nodes = vec![cloud];
        for i in 1..=2 {
            let code = nodes[0]
                .node
                .create_enrolment(&admin(), "site_node", "demo")
                .await
                .unwrap();
            let key: [u8; 32] = rng.gen();
            let origin = format!("site-origin-{i}");
            let public = IssuerKey::from_bytes(0, &key).public().to_bytes();
            let enrolled = nodes[0]
                .node
                .redeem_enrolment(&code.code, "site", &origin, Some(public))
                .await
                .unwrap();
            let id = Identity {
                key,
                key_id: enrolled.key_id.unwrap(),
                role: NodeRole::SiteNode,
                serials: enrolled.serials.unwrap(),
                skew_ms: skew(&mut rng),
                anchor: Some(IssuerKey::from_bytes(1, &cloud_key).public().to_bytes()),
            };
            let mut site = Replica::start(
                &format!("site{i}"),
                Arc::new(MemoryStore::new()),
                fresh_snapshot_path(),
                &origin,
                id,
            )
            .await;
            site.token = Some(enrolled.token);
            nodes.push(site);
        }
        let mut sim = Sim {
            rng,
            byzantine,
            nodes,
            up: vec![true; 3],
            cursors: Default::default(),
            slots,
            codes: vec![],
            orders: vec![],
            annex_slot,
            annex_codes: vec![],
            annex_orders: vec![],
            revoked: None,
            equivocated: None,
            forged: None,
            log: vec![],
        };
        for _ in 0..3 {
            sim.sync_all(false).await;
        }
        sim
    }

    fn is_revoked(&self, site: usize) -> bool {
        self.revoked.is_some_and(|(s, _)| s == site)
    }

    /// Delivers ops `from` has that `to` may lack, in `from`'s commit order, through `fault`.
    async fn transfer(&mut self, from: usize, to: usize, fault: Fault) -> usize {
        if from != 0 && to == 0 {
            // The cloud checks the pushing node's credential, as the HTTP layer does.
            let token = self.nodes[from].token.clone().unwrap();
            if self.nodes[0].node.authenticate_node(&token).is_err() {
                return 0;
            }
        }
        let cursor = self.cursors.get(&(from, to)).copied().unwrap_or(0);
        let vv = self.nodes[to].node.version_vector();
        let (mut ops, last) = if from == 0 {
            // A pull: the site's venue in full, the rest as elisions.
            let own = self.nodes[to].origin.clone();
            let page = self.nodes[0]
                .node
                .log_page(cursor, 40, Some(&own), Some(SITE))
                .await
                .unwrap();
            if page.next == cursor {
                return 0;
            }
            let lacked = |op: &Op| op.seq > vv.get(&op.origin).copied().unwrap_or(0);
            let ops: Vec<Op> = page.ops.into_iter().filter(lacked).collect();
            (ops, page.next)
        } else {
            // A push: what the cloud lacks, never an elision.
            let batch = self.nodes[from].store.read_after(cursor, 40).await.unwrap();
            let Some(last) = batch.last().map(|s| s.cursor) else {
                return 0;
            };
            let ops: Vec<Op> = batch.into_iter().map(|s| s.op).collect();
            let mut offer = aspk_app::Offer::default();
            let ops = offer.choose(ops, &vv, |op| (&op.origin, op.seq, op.is_elided()));
            assert!(
                offer.waiting.is_empty(),
                "the cloud lacks an op a site holds only as an elision; {:?}",
                self.log
            );
            (ops, last)
        };
        let moved = ops.len();
        let advance = match fault {
            Fault::Lost => return 0,
            Fault::None => Some(last),
            Fault::Truncated => {
                let keep = self.rng.gen_range(0..=ops.len());
                ops.truncate(keep);
                None
            }
            Fault::Duplicated => {
                let again = ops.clone();
                self.deliver(to, again).await;
                Some(last)
            }
            Fault::Reordered => {
                ops.shuffle(&mut self.rng);
                None
            }
        };
        if !ops.is_empty() {
            self.deliver(to, ops).await;
        }
        if let Some(c) = advance {
            self.cursors.insert((from, to), c);
        } else {
            // Resend from the same place next time; what arrived is deduplicated.
        }
        moved
    }

    /// Hands `ops` to replica `to`: a site takes them as pulled from its upstream (with
    /// elisions), the cloud as pushed.
    async fn deliver(&self, to: usize, ops: Vec<Op>) {
        let node = &self.nodes[to].node;
        match to {
            0 => node.ingest(ops, "peer").await.unwrap(),
            _ => node.ingest_pulled(ops, "upstream").await.unwrap(),
        };
    }

    fn fault(&mut self) -> Fault {
        match self.rng.gen_range(0..20) {
            0 => Fault::Lost,
            1 => Fault::Truncated,
            2 => Fault::Duplicated,
            3 => Fault::Reordered,
            _ => Fault::None,
        }
    }

    async fn sync_all(&mut self, faulty: bool) -> usize {
        let mut moved = 0;
        for site in 1..self.nodes.len() {
            if !self.up[site] {
                continue;
            }
            for (from, to) in [(site, 0), (0, site)] {
                let fault = if faulty { self.fault() } else { Fault::None };
                moved += self.transfer(from, to, fault).await;
            }
        }
        moved
    }

    async fn top_up_leases(&mut self, site: usize) {
        if !self.up[site] || self.is_revoked(site) {
            return;
        }
        let token = self.nodes[site].token.clone().unwrap();
        let Ok(cred) = self.nodes[0].node.authenticate_node(&token) else {
            return;
        };
        let slot = self.slots.choose(&mut self.rng).unwrap().clone();
        let seats = self.rng.gen_range(1..=4);
        let _ = self.nodes[0].node.grant_lease(&cred, &slot, seats).await;
    }

    async fn step(&mut self) {
        let who = self.rng.gen_range(0..self.nodes.len());
        match self.rng.gen_range(0..100) {
            0..=29 if who == 0 && self.rng.gen_bool(0.3) => self.sell_annex().await,
            0..=29 => {
                let slot = self.slots.choose(&mut self.rng).unwrap().clone();
                let quantity = self.rng.gen_range(1..=3);
                let channel = if who == 0 {
                    Channel::Online
                } else {
                    Channel::BoxOffice
                };
                let order = NewOrder {
                    venue: "demo".into(),
                    channel,
                    items: vec![NewOrderItem {
                        product: "adult".into(),
                        slot: Some(slot),
                        quantity,
                    }],
                    payment: PaymentMethod::Cash,
                    email: None,
                    is_overbooking: false,
                    mixed_cash_minor: None,
                    cash_received_minor: None,
                    name: None,
                    idempotency_key: None,
                };
                match self.nodes[who]
                    .node
                    .place_order(Some(&admin()), order)
                    .await
                {
                    Ok(placed) => {
                        self.orders.push(
                            aspk_ticket::HumanNumber::from_serial(placed.order.number).digits(),
                        );
                        let codes = &placed.codes;
                        self.codes.extend(
                            placed
                                .tickets
                                .iter()
                                .filter_map(|t| codes.get(&t.serial).cloned()),
                        );
                    }
                    Err(AppError::SoldOut { .. }) => {}
                    Err(e) => panic!("{}: selling failed: {e}", self.nodes[who].name),
                }
            }
            30..=54 if !self.codes.is_empty() => {
                // Now and then a visitor brings the other venue's ticket (the cloud knows
                // it; a site has it only as an elision and turns it away).
                let annex = !self.annex_codes.is_empty() && self.rng.gen_bool(0.2);
                let codes = if annex {
                    &self.annex_codes
                } else {
                    &self.codes
                };
                let code = codes.choose(&mut self.rng).unwrap().clone();
                let gate = format!("{}-gate", self.nodes[who].name);
                self.nodes[who]
                    .node
                    .scan(&admin(), ScanInput::Code(code), &gate, None)
                    .await
                    .unwrap();
            }
            55..=61 if !self.orders.is_empty() => {
                let annex = who == 0 && !self.annex_orders.is_empty() && self.rng.gen_bool(0.3);
                let orders = if annex {
                    &self.annex_orders
                } else {
                    &self.orders
                };
                let number = orders.choose(&mut self.rng).unwrap().clone();
                let req = aspk_app::CancelRequest {
                    reason: "sim".into(),
                    refund: false,
                };
                match self.nodes[who]
                    .node
                    .cancel_order(&admin(), &number, req)
                    .await
                {
                    Ok(_) | Err(AppError::NotFound { .. }) | Err(AppError::Conflict { .. }) => {}
                    Err(e) => panic!("cancel failed: {e}"),
                }
            }
            62..=71 => {
                let site = self.rng.gen_range(1..self.nodes.len());
                self.top_up_leases(site).await;
            }
            72..=79 => {
                let site = self.rng.gen_range(1..self.nodes.len());
                self.up[site] = !self.up[site];
                self.log.push(format!(
                    "link {site} {}",
                    if self.up[site] { "up" } else { "down" }
                ));
            }
            80..=82 => {
                self.log.push(format!("crash {}", self.nodes[who].name));
                self.nodes[who].restart().await;
            }
            83 if self.revoked.is_none() && self.rng.gen_bool(0.3) => {
                let site = self.rng.gen_range(1..self.nodes.len());
                let node_id = self.nodes[0]
                    .node
                    .nodes(None)
                    .into_iter()
                    .find(|n| n.origin == self.nodes[site].origin)
                    .unwrap()
                    .node_id;
                self.nodes[0]
                    .node
                    .revoke_node(&admin(), &node_id, "lost")
                    .await
                    .unwrap();
                let seen = self.nodes[0]
                    .node
                    .version_vector()
                    .get(&self.nodes[site].origin)
                    .copied()
                    .unwrap_or(0);
                self.revoked = Some((site, seen));
                self.log.push(format!("revoke site{site} at seq {seen}"));
            }
            84 if self.equivocated.is_none() => self.equivocate().await,
            85 if self.forged.is_none() => self.forge().await,
            86..=90 => self.attack().await,
            _ => {
                self.sync_all(true).await;
            }
        }
    }

    /// The cloud sells online for the second venue.
    async fn sell_annex(&mut self) {
        let order = NewOrder {
            venue: ANNEX.into(),
            channel: Channel::Online,
            items: vec![NewOrderItem {
                product: "adult".into(),
                slot: Some(self.annex_slot.clone()),
                quantity: self.rng.gen_range(1..=2),
            }],
            payment: PaymentMethod::Card,
            email: None,
            is_overbooking: false,
            mixed_cash_minor: None,
            cash_received_minor: None,
            name: None,
            idempotency_key: None,
        };
        match self.nodes[0].node.place_order(Some(&admin()), order).await {
            Ok(placed) => {
                let number = aspk_ticket::HumanNumber::from_serial(placed.order.number);
                self.annex_orders.push(number.digits());
                self.annex_codes.extend(placed.codes.into_values());
            }
            Err(AppError::SoldOut { .. }) => {}
            Err(e) => panic!("cloud: selling for {ANNEX} failed: {e}"),
        }
    }

    /// A cloned site node sends a different op under a sequence number already used.
    async fn equivocate(&mut self) {
        let site = 1;
        let ops = self.nodes[site].store.read_after(0, 10_000).await.unwrap();
        let own: Vec<Op> = ops
            .into_iter()
            .map(|s| s.op)
            .filter(|op| op.origin == self.nodes[site].origin)
            .collect();
        let known_at_cloud = self.nodes[0]
            .node
            .version_vector()
            .get(&self.nodes[site].origin)
            .copied()
            .unwrap_or(0);
        let Some(mut op) = own.into_iter().find(|op| op.seq <= known_at_cloud) else {
            return;
        };
        // A clone of the site holds its key, so its op is signed as the site's are.
        op.actor = "clone".into();
        let key = IssuerKey::from_bytes(self.nodes[site].id.key_id, &self.nodes[site].id.key);
        op.sign_with(key.key_id, |m| key.sign_detached(m));
        self.equivocated = Some((op.origin.clone(), op.seq));
        self.log
            .push(format!("equivocate {}:{}", op.origin, op.seq));
        let cloud = self.nodes[0].node.clone();
        let sent = op.clone();
        let delivery = tokio::spawn(async move { cloud.ingest(vec![sent], "clone").await });
        if self.rng.gen_bool(0.5) {
            // The cloud dies while taking it in, wherever its writer has got to.
            let turns = self.rng.gen_range(0..8);
            self.log.push(format!("crash cloud after {turns} turns"));
            for _ in 0..turns {
                tokio::task::yield_now().await;
            }
            self.nodes[0].restart().await;
        }
        if delivery.await.unwrap().is_err() {
            // Not acknowledged: the sender sends it again.
            self.log.push("equivocate again".into());
            self.nodes[0].node.ingest(vec![op], "clone").await.unwrap();
        }
    }

    /// Site 2 relays an op of site 1 with its content changed (or its signature dropped):
    /// whoever it reaches must refuse it, as a `forged_op` finding, and keep the real one.
    async fn forge(&mut self) {
        let ops = self.nodes[2].store.read_after(0, 10_000).await.unwrap();
        let origin = self.nodes[1].origin.clone();
        let Some(honest) = ops.into_iter().map(|s| s.op).find(|op| op.origin == origin) else {
            return;
        };
        let mut forged = honest.clone();
        if self.rng.gen_bool(0.5) {
            forged.actor = "user:forger".into();
        } else {
            forged.sig = None;
        }
        self.log
            .push(format!("forge {}:{} at site2", forged.origin, forged.seq));
        let report = self.nodes[0]
            .node
            .ingest(vec![forged], "site2")
            .await
            .unwrap();
        assert_eq!(report.refused, 1, "a forged op is refused; {:?}", self.log);
        self.forged = Some(honest);
    }

    async fn heal(&mut self) {
        self.up = vec![true; self.nodes.len()];
        self.settle().await;
        for _ in 0..10_000 {
            if self.sync_all(false).await == 0 {
                // A quiet round: nothing more to move (the revoked site's pushes excepted),
                // unless a node is still committing an op it recorded meanwhile (a commit
                // can wait for a state snapshot being written).
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                self.settle().await;
                if self.sync_all(false).await == 0 {
                    return;
                }
            }
        }
        panic!("replication did not quiesce");
    }

    /// Waits until every replica has committed what its writer was given so far.
    async fn settle(&self) {
        for replica in &self.nodes {
            let _ = replica.node.submit_raw(|_| Ok(())).await;
        }
    }

    fn check(&self, seed: u64) {
        let ctx = || format!("seed {seed}: {:?}", self.log);
        let cloud = &self.nodes[0].node;
        let live: Vec<&Replica> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.is_revoked(*i))
            .map(|(_, r)| r)
            .collect();
        // (a) + (b): the same ops (per-origin contiguous, so equal version vectors) and state.
        for r in &live {
            assert_eq!(
                r.node.inspect(|s| s.parked_ops()),
                0,
                "{}: an op still waits for its subject; {}",
                r.name,
                ctx()
            );
            assert_eq!(
                r.node.version_vector(),
                cloud.version_vector(),
                "{}: version vectors differ; {}",
                r.name,
                ctx()
            );
            let scoped = |n: &Node| n.inspect(|s| s.digest_for(Some(VENUE)));
            if scoped(&r.node) != scoped(cloud) {
                let explain = |n: &Node| {
                    n.inspect(|s| {
                        let mut t: Vec<String> = s
                            .tickets()
                            .values()
                            .filter(|t| t.venue.as_str() == VENUE)
                            .map(|t| {
                                format!(
                                    "{}:{:?}:{:?}",
                                    t.serial,
                                    t.status,
                                    t.entries
                                        .iter()
                                        .map(|e| (e.hlc, e.origin.clone()))
                                        .collect::<Vec<_>>()
                                )
                            })
                            .collect();
                        t.sort();
                        let mut sl: Vec<String> = s
                            .slots()
                            .values()
                            .filter(|x| x.slot.venue.as_str() == VENUE)
                            .map(|x| {
                                format!("{}:{}:{:?}:{:?}", x.slot.id, x.sold, x.sold_by, x.leases)
                            })
                            .collect();
                        sl.sort();
                        let mut o: Vec<String> = s
                            .orders()
                            .values()
                            .filter(|o| o.venue.as_str() == VENUE)
                            .map(|o| format!("{}:{:?}:{}", o.number, o.status, o.payments.len()))
                            .collect();
                        o.sort();
                        (t, sl, o, s.findings().keys().cloned().collect::<Vec<_>>())
                    })
                };
                let (a, b) = (explain(&r.node), explain(cloud));
                let diff = |x: &Vec<String>, y: &Vec<String>| {
                    x.iter()
                        .filter(|i| !y.contains(i))
                        .cloned()
                        .collect::<Vec<_>>()
                };
                panic!(
                    "{}: states differ; tickets {:?} vs {:?}; slots {:?} vs {:?}; orders {:?} vs {:?}; findings {:?} vs {:?}; {}",
                    r.name, diff(&a.0, &b.0), diff(&b.0, &a.0), diff(&a.1, &b.1), diff(&b.1, &a.1), diff(&a.2, &b.2), diff(&b.2, &a.2), a.3, b.3, ctx()
                );
            }
        }
        cloud.inspect(|s| {
            // (c) one double_entry finding per ticket entered more than once, none otherwise.
            for t in s.tickets().values() {
                let has = s
                    .findings()
                    .contains_key(&format!("double_entry:{}", t.serial));
                assert_eq!(
                    has,
                    t.entries.len() > 1,
                    "ticket {} with {} entries; {}",
                    t.serial,
                    t.entries.len(),
                    ctx()
                );
            }
            assert_eq!(
                s.findings()
                    .values()
                    .filter(|f| f.kind == "double_entry")
                    .count(),
                s.tickets().values().filter(|t| t.entries.len() > 1).count()
            );
            // (d) leases keep every slot within capacity.
            for slot in s.slots().values() {
                assert!(
                    slot.sold <= slot.slot.capacity,
                    "slot {} sold {} of {}; {}",
                    slot.slot.id,
                    slot.sold,
                    slot.slot.capacity,
                    ctx()
                );
            }
            assert!(
                s.findings().values().all(|f| f.kind != "oversell"),
                "{}",
                ctx()
            );
        });
        // (e) nothing the revoked site did after revocation reached the cloud.
        if let Some((site, seen)) = self.revoked {
            let now = cloud
                .version_vector()
                .get(&self.nodes[site].origin)
                .copied()
                .unwrap_or(0);
            assert_eq!(
                now,
                seen,
                "the revoked site's later ops were refused; {}",
                ctx()
            );
        }
        // (i) a forged op is refused everywhere; the op its origin signed is what is kept.
        if let Some(honest) = &self.forged {
            let id = format!("forged_op:{}:{}", honest.origin, honest.seq);
            for r in &live {
                assert!(
                    r.node.inspect(|s| s.findings().contains_key(&id)),
                    "{}: {id} found; {}",
                    r.name,
                    ctx()
                );
            }
        }
        // (f) equivocation found, on every live replica.
        if let Some((origin, seq)) = &self.equivocated {
            for r in &live {
                let found = r.node.inspect(|s| {
                    s.findings()
                        .contains_key(&format!("equivocation:{origin}:{seq}"))
                });
                assert!(
                    found,
                    "{}: equivocation {origin}:{seq} found; {}",
                    r.name,
                    ctx()
                );
            }
        }
    }
}

async fn run(seed: u64) {
    let mut sim = Sim::new(seed).await;
    for _ in 0..STEPS {
        sim.step().await;
    }
    sim.heal().await;
    sim.check(seed);
    sim.check_byzantine(seed).await;
    sim.check_scope(seed).await;
    sim.check_clocks(seed).await;
    sim.check_restarts(seed).await;
    sim.check_forgery_kept_out(seed).await;
}

impl Sim {
    /// (h) A replica restarted now (from its latest state snapshot and the ops after it)
    /// has the state it had before.
    async fn check_restarts(&mut self, seed: u64) {
        let mut from_snapshots = 0;
        for replica in &mut self.nodes {
            replica.node.submit_raw(|_| Ok(())).await.unwrap();
            let before = replica.node.inspect(|s| s.digest());
            replica.restart().await;
            from_snapshots += usize::from(replica.node.start_info().from_snapshot);
            let after = replica.node.inspect(|s| s.digest());
            assert_eq!(
                before, after,
                "seed {seed}: {} restarted differs",
                replica.name
            );
        }
        assert!(
            from_snapshots > 0,
            "seed {seed}: no replica restarted from a snapshot"
        );
    }

    /// (j) A site holds nothing of the second venue: no venue, product, slot, order,
    /// ticket, or finding about them; every op of it is there only as an elision.
    async fn check_scope(&self, seed: u64) {
        let ctx = format!("seed {seed}: {:?}", self.log);
        let annex_at_cloud = self.nodes[0].node.inspect(|s| {
            s.orders()
                .values()
                .filter(|o| o.venue.as_str() == ANNEX)
                .count()
        });
        assert_eq!(annex_at_cloud, self.annex_orders.len(), "{ctx}");
        for r in &self.nodes[1..] {
            r.node.inspect(|s| {
                let venues: Vec<&str> = s.venues().keys().map(|v| v.as_str()).collect();
                assert_eq!(venues, [VENUE], "{}: venues; {ctx}", r.name);
                assert!(
                    s.products().keys().all(|(v, _)| v.as_str() == VENUE),
                    "{}: products; {ctx}",
                    r.name
                );
                assert!(
                    s.slots().values().all(|x| x.slot.venue.as_str() == VENUE),
                    "{}: slots; {ctx}",
                    r.name
                );
                assert!(
                    s.orders().values().all(|o| o.venue.as_str() == VENUE),
                    "{}: orders; {ctx}",
                    r.name
                );
                assert!(
                    s.tickets().briefs().all(|t| t.venue == VENUE),
                    "{}: tickets; {ctx}",
                    r.name
                );
                assert!(
                    s.findings()
                        .values()
                        .all(|f| f.slot.as_deref() != Some(self.annex_slot.as_str())),
                    "{}: findings; {ctx}",
                    r.name
                );
            });
            let ops = r.store.read_after(0, 1_000_000).await.unwrap();
            let elided = ops.iter().filter(|o| o.op.is_elided()).count();
            assert!(
                elided > self.annex_orders.len(),
                "{}: {elided} elisions for {} orders of {ANNEX} and their venue, product and slot; {ctx}",
                r.name,
                self.annex_orders.len()
            );
        }
    }

    /// (i) Every replica holds the op its origin signed, not the forged one.
    async fn check_forgery_kept_out(&self, seed: u64) {
        let Some(honest) = &self.forged else { return };
        for r in &self.nodes {
            let held = r.store.get_op(&honest.origin, honest.seq).await.unwrap();
            if let Some(held) = held {
                assert_eq!(
                    held.op, *honest,
                    "seed {seed}: {} holds the forged op; {:?}",
                    r.name, self.log
                );
            }
        }
    }

    /// (g) Skewed clocks and restarts never make an origin's clock go back: within each
    /// origin, a later sequence number always carries a later HLC reading.
    async fn check_clocks(&self, seed: u64) {
        let ops = self.nodes[0].store.read_after(0, 1_000_000).await.unwrap();
        let mut last: std::collections::HashMap<&str, (u64, u64)> = Default::default();
        // (The Byzantine gate's clock readings are its own business.)
        for stored in ops.iter().filter(|s| s.op.origin != self.byzantine.origin) {
            let op = &stored.op;
            if let Some((seq, hlc)) = last.get(op.origin.as_str()) {
                assert!(
                    op.seq < *seq || op.hlc.0 > *hlc,
                    "seed {seed}: {}#{} has HLC {} not after #{seq}'s {hlc}",
                    op.origin,
                    op.seq,
                    op.hlc.0
                );
            }
            last.insert(op.origin.as_str(), (op.seq, op.hlc.0));
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn replicas_converge_without_loss_under_faults() {
    if let Ok(seed) = std::env::var("ASPK_SIM_SEED") {
        run(seed.parse().unwrap()).await;
        return;
    }
    let seeds: u64 = std::env::var("ASPK_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    for seed in 0..seeds {
        run(seed).await;
    }
}

/// Enrols a gate of the demo venue at the cloud, as any gate is, that will turn hostile.
async fn enrol_byzantine(cloud: &Node, rng: &mut StdRng) -> Byzantine {
    let code = cloud
        .create_enrolment(&admin(), "gate", VENUE)
        .await
        .unwrap();
    let seed: [u8; 32] = rng.gen();
    let key = IssuerKey::from_bytes(0, &seed);
    let origin = "byzantine-gate-1".to_owned();
    cloud
        .redeem_enrolment(&code.code, "north", &origin, Some(key.public().to_bytes()))
        .await
        .unwrap();
    Byzantine {
        origin,
        key,
        expected: Vec::new(),
        planted_users: Vec::new(),
        planted_keys: Vec::new(),
        log: Vec::new(),
    }
}

/// What a gate may never write (each is of the demo venue or the whole organisation, so
/// every replica holds it in full and finds it).
fn forbidden_for_a_gate(
    rng: &mut StdRng,
    slot: &str,
    n: u64,
) -> (OpBody, Option<String>, Option<u16>) {
    use aspk_oplog::OpBody as B;
    let name = format!("mallory{n}");
    match rng.gen_range(0..7) {
        0 => {
            let user = aspk_domain::User {
                username: Username::parse(&name).unwrap(),
                role: Role::Admin,
                password_hash: String::new(),
                is_active: true,
                generation: 1,
                lang: None,
                venue: None,
            };
            (B::UserSaved(user), Some(name), None)
        }
        1 => {
            let id = 90 + u16::try_from(n % 100).unwrap();
            let rogue = IssuerKey::from_bytes(id, &[n as u8; 32]);
            let body = B::KeyPublished {
                key_id: id,
                public_key: aspk_app::to_hex(&rogue.public().to_bytes()),
                holder: None,
                serials: Some(CLOUD_SERIALS),
                valid_from: None,
                valid_until: None,
            };
            (body, None, Some(id))
        }
        2 => (
            B::PasswordSet {
                username: Username::parse("admin").unwrap(),
                password_hash: "$argon2id$planted".into(),
            },
            None,
            None,
        ),
        3 => (
            B::LeaseGranted {
                holder: "byzantine-gate-1".into(),
                slot: slot.into(),
                seats: 50,
            },
            None,
            None,
        ),
        4 => (
            B::NodeEnrolled {
                node_id: format!("nbyz{n}"),
                code_hash: "forged".into(),
                role: "site_node".into(),
                venue: aspk_domain::Slug::trusted(VENUE),
                name: "rogue".into(),
                origin: format!("rogue-site-{n}"),
                token_hash: "t".into(),
                public_key: None,
                local_sign_in: None,
            },
            None,
            None,
        ),
        5 => (
            B::KeyRevoked {
                key_id: 1,
                since: Utc::now(),
                reason: "takeover".into(),
            },
            None,
            None,
        ),
        _ => (
            B::SessionKeyPublished {
                public_key: aspk_app::to_hex(&[n as u8; 32]),
            },
            None,
            None,
        ),
    }
}

impl Sim {
    /// The Byzantine gate attacks the cloud once (see [`Byzantine`]).
    async fn attack(&mut self) {
        let cloud = self.nodes[0].node.clone();
        let byz = self.byzantine.origin.clone();
        let next = cloud.version_vector().get(&byz).copied().unwrap_or(0) + 1;
        let n = self.byzantine.log.len() as u64;
        let key = self.byzantine.key.clone();
        let sign = |mut op: Op| {
            op.sign_with(0, |m| key.sign_detached(m));
            op
        };
        let fresh = |actor: &str, body: OpBody, hlc: aspk_oplog::Hlc| Op {
            origin: byz.clone(),
            seq: next,
            hlc,
            actor: actor.into(),
            body,
            sig: None,
        };
        let now =
            aspk_oplog::Hlc::from_parts(u64::try_from(Utc::now().timestamp_millis()).unwrap(), 0);
        let slot = self.slots[0].clone();
        let (kind, ops, expected) = match self.rng.gen_range(0..6) {
            // Someone's op, its content changed, its signature kept.
            0 => {
                let stored = cloud.store().read_after(0, 10_000).await.unwrap();
                let honest: Vec<Op> = stored
                    .into_iter()
                    .map(|s| s.op)
                    .filter(|op| op.origin != byz && !op.is_elided())
                    .collect();
                let mut forged = honest.choose(&mut self.rng).unwrap().clone();
                forged.actor = "user:mallory".into();
                let id = format!("forged_op:{}:{}", forged.origin, forged.seq);
                ("forged", vec![forged], Some(id))
            }
            // An unsigned op under its own origin, or under the cloud's own (a hijack).
            1 => {
                let (body, user, _) = forbidden_for_a_gate(&mut self.rng, &slot, n);
                let mut op = fresh("system", body, now);
                if self.rng.gen_bool(0.5) {
                    op.origin = cloud.origin().to_owned();
                    op.seq = cloud
                        .version_vector()
                        .get(cloud.origin())
                        .copied()
                        .unwrap_or(0)
                        + 1;
                }
                self.byzantine.planted_users.extend(user);
                let id = format!("forged_op:{}:{}", op.origin, op.seq);
                ("unsigned", vec![op], Some(id))
            }
            // Validly signed with its own key, but what a gate may never write.
            2 | 3 => {
                let (body, user, key_id) = forbidden_for_a_gate(&mut self.rng, &slot, n);
                self.byzantine.planted_users.extend(user);
                self.byzantine.planted_keys.extend(key_id);
                let op = sign(fresh("system:enrolment", body, now));
                let id = format!("unauthorised_op:{byz}:{next}");
                ("unauthorised", vec![op], Some(id))
            }
            // Its own earlier op again with other content (replayed under a used number),
            // or someone else's op replayed as it was (harmless: known).
            4 => {
                if next > 1 && self.rng.gen_bool(0.5) {
                    let (body, user, _) = forbidden_for_a_gate(&mut self.rng, &slot, n);
                    self.byzantine.planted_users.extend(user);
                    let mut op = sign(fresh("system", body, now));
                    op.seq = self.rng.gen_range(1..next);
                    let op = sign(op);
                    let stored = cloud.store().get_op(&byz, op.seq).await.unwrap().unwrap();
                    let id = (stored.op.hash() != op.hash())
                        .then(|| format!("equivocation:{byz}:{}", op.seq));
                    ("replayed", vec![op], id)
                } else {
                    let stored = cloud.store().read_after(0, 10_000).await.unwrap();
                    let op = stored.choose(&mut self.rng).unwrap().op.clone();
                    ("replayed verbatim", vec![op], None)
                }
            }
            // A clock reading a day ahead: held, never moving the cloud's clock.
            _ => {
                let ahead = aspk_oplog::Hlc::from_parts(now.millis() + 86_400_000, 0);
                let scan = OpBody::ScanDenied {
                    serial: 1,
                    gate: "north".into(),
                    at: Utc::now(),
                    reason: "expired".into(),
                };
                let op = sign(fresh(&format!("node:{byz}"), scan, ahead));
                (
                    "far-future",
                    vec![op],
                    Some(format!("held_op:{byz}:{next}")),
                )
            }
        };
        self.byzantine
            .log
            .push(format!("{kind} {}:{}", ops[0].origin, ops[0].seq));
        self.log.push(format!("byzantine {kind}"));
        let before = cloud.inspect(|s| s.max_hlc());
        match cloud.ingest(ops, &format!("node:{byz}")).await {
            Ok(_) => {}
            // The cloud crashed mid-way in an earlier step's aftermath: try next time.
            Err(e) => panic!("ingest of a byzantine op failed: {e}"),
        }
        if kind == "far-future" {
            let after = cloud.inspect(|s| s.max_hlc());
            assert!(
                after <= before.max(now.0 + (3_600_000 << 16)),
                "a far-future op moved the clock"
            );
        }
        let about = (kind == "unauthorised").then(|| (byz.clone(), next));
        self.byzantine
            .expected
            .extend(expected.map(|id| (id, about)));
    }

    /// (k) Nothing the Byzantine gate sent took effect; each attack left its finding on
    /// every replica; no honest op was refused or held back.
    async fn check_byzantine(&self, seed: u64) {
        let mut held_in_full: Vec<Vec<(String, u64)>> = Vec::new();
        for r in &self.nodes {
            let mut full = Vec::new();
            for (_, about) in &self.byzantine.expected {
                if let Some((origin, seq)) = about {
                    let op = r.store.get_op(origin, *seq).await.unwrap();
                    if op.is_some_and(|o| !o.op.is_elided()) {
                        full.push((origin.clone(), *seq));
                    }
                }
            }
            held_in_full.push(full);
        }
        let ctx = || format!("seed {seed}: {:?}", self.byzantine.log);
        let byz = &self.byzantine.origin;
        for (r, full) in self.nodes.iter().zip(&held_in_full) {
            r.node.inspect(|s| {
                for name in &self.byzantine.planted_users {
                    let planted = s.users().keys().any(|u| u.as_str() == name);
                    assert!(!planted, "{}: user {name} was planted; {}", r.name, ctx());
                }
                for id in &self.byzantine.planted_keys {
                    assert!(
                        !s.keys().contains_key(id),
                        "{}: key {id} was planted; {}",
                        r.name,
                        ctx()
                    );
                }
                assert!(
                    !s.is_root_key(99) && s.revoked_keys().is_empty(),
                    "{}: {}",
                    r.name,
                    ctx()
                );
                let admin = s.users().keys().find(|u| u.as_str() == "admin").unwrap();
                assert_ne!(
                    s.users()[admin].password_hash,
                    "$argon2id$planted",
                    "{}",
                    ctx()
                );
                assert!(
                    s.nodes()
                        .values()
                        .all(|n| !n.origin.starts_with("rogue-site")),
                    "{}: a rogue node was enrolled; {}",
                    r.name,
                    ctx()
                );
                if self.is_revoked(self.nodes.iter().position(|x| x.name == r.name).unwrap()) {
                    return;
                }
                for (id, about) in &self.byzantine.expected {
                    if about.as_ref().is_some_and(|a| !full.contains(a)) {
                        continue;
                    }
                    // A held op whose number the gate later used for another op: that is
                    // reported as equivocation instead.
                    let instead = id
                        .strip_prefix("held_op:")
                        .map(|rest| format!("equivocation:{rest}"));
                    assert!(
                        s.findings().contains_key(id)
                            || instead.is_some_and(|i| s.findings().contains_key(&i)),
                        "{}: no finding {id}; {:?}; {}",
                        r.name,
                        s.findings().keys().collect::<Vec<_>>(),
                        ctx()
                    );
                }
                // No honest op was refused or is waiting for authority.
                for f in s.findings().values() {
                    if f.kind == "unauthorised_op" || f.kind == "held_op" {
                        assert_eq!(
                            f.facts["origin"].as_str(),
                            Some(byz.as_str()),
                            "{}: an honest op was refused: {}; {}",
                            r.name,
                            f.facts,
                            ctx()
                        );
                    }
                }
            });
        }
    }
}
