use std::sync::Arc;

use aspk_domain::ConflictCode;
use aspk_oplog::{HlcClock, OpBody, State};
use aspk_store::Store;
use aspk_ticket::{IssuerKey, KeyRing, PublicKey};

pub use crate::issuer::Issuer;
use parking_lot::RwLock;
use tokio::sync::{mpsc, oneshot};

use crate::datadir::{parse_hex32, to_hex};
use crate::writer::{self, Batch, Completion, Job, Stamp, WriterStats};
use crate::AppError;

/// What a node is started with.
pub struct NodeOptions {
    pub store: Arc<dyn Store>,
    /// This node's identity in the op log.
    pub origin: String,
    /// The key this node signs tickets with.
    pub ticket_key: IssuerKey,
    /// Signs staff bearer tokens.
    pub token_secret: [u8; 32],
    pub role: NodeRole,
    /// Serials `[from, to)` this node issues tickets and orders in.
    pub serials: (u64, u64),
    /// Where this node's "now" comes from: the host's clock in real use
    /// (`SystemClock::shared()`); simulations skew it, tests move a `ManualClock`.
    pub clock: aspk_domain::SharedClock,
    /// Where to keep snapshots of the derived state for a quick start (none: fold the
    /// whole log at every start).
    pub snapshot: Option<crate::SnapshotOptions>,
    /// The organisation's root keys (id, key bytes) every certificate chain starts from: a
    /// replica's from its enrolment; the cloud's own root key when empty.
    pub trust_anchors: Vec<(u16, [u8; 32])>,
    /// How far ahead of this node's clock an op's HLC may be: later ones are held back
    /// until the clock catches up, and no op moves the clock further ahead than this.
    pub max_clock_skew: chrono::Duration,
}

/// The default bound on clock skew between nodes.
pub const DEFAULT_MAX_CLOCK_SKEW_MINUTES: i64 = 5;

/// What a node is in the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRole {
    /// The organisation's authority: publishes its own key, grants leases.
    Cloud,
    /// A replica at the venue: its key is delegated by the cloud at enrolment.
    SiteNode,
    /// A turnstile agent: a replica that admits, and never sells.
    Gate,
}

impl NodeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloud => "cloud",
            Self::SiteNode => "site_node",
            Self::Gate => "gate",
        }
    }
}

/// Serials the cloud's own key issues in; delegated keys get blocks above it.
pub const CLOUD_SERIALS: (u64, u64) = (10_000_000_000, 20_000_000_000);
const DELEGATED_BLOCK: u64 = 1_000_000_000;

/// The serial block `index` (0, 1, …) for delegated keys, or `None` past the last block.
pub fn delegated_serials(index: u64) -> Option<(u64, u64)> {
    let lo = CLOUD_SERIALS
        .1
        .checked_add(index.checked_mul(DELEGATED_BLOCK)?)?;
    (lo + DELEGATED_BLOCK <= aspk_ticket::SERIAL_LIMIT).then_some((lo, lo + DELEGATED_BLOCK))
}

/// The first serial block no key holds yet (a renewed key keeps its holder's block).
pub fn free_serial_block(state: &State) -> Option<(u64, u64)> {
    (0..)
        .map_while(delegated_serials)
        .find(|block| !state.key_meta().values().any(|m| m.serials == Some(*block)))
}

/// One running aspk node: the derived state of its store and the writer that changes it.
/// Cheap to clone; all clones share the same state.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    state: Arc<RwLock<State>>,
    writer: writer::Writer,
    origin: String,
    issuer: Arc<RwLock<Issuer>>,
    keyring: RwLock<KeyRing>,
    token_secret: [u8; 32],
    stats: Arc<WriterStats>,
    committed: Arc<tokio::sync::Notify>,
    /// Counts commits; any number of watchers (e.g. live order lists) see each change.
    commits: Arc<tokio::sync::watch::Sender<u64>>,
    role: NodeRole,
    sign_in_failures: crate::lockout::Lockout,
    sessions: crate::session::SessionCache,
    /// Signs the staff sessions this node opens (derived from its token secret).
    session_key: IssuerKey,
    /// Handoff codes already redeemed here (each works once).
    handoffs: crate::session::UsedHandoffs,
    max_clock_skew: chrono::Duration,
    /// Where "now" comes from (see [`NodeOptions::clock`]).
    wall_clock: aspk_domain::SharedClock,
    /// The venue this node replicates, when it is a replica of one venue (a site node or
    /// gate); none for the cloud, which holds the whole organisation.
    scope: RwLock<Option<String>>,
    /// How long a key delegated by this node (the cloud) stays valid, in seconds.
    delegated_key_secs: std::sync::atomic::AtomicI64,
    /// A mail sender (an SMTP server) works this node's outbox.
    mail_sender: std::sync::atomic::AtomicBool,
    /// The webhook deliveries made from this node.
    deliveries: crate::webhooks::DeliveryLog,
    /// When enrolled nodes last called, and what the UPS said (the continuity console).
    watch: crate::continuity::Watch,
    start: StartInfo,
}

/// How a node's state was built at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartInfo {
    /// Read from a state snapshot (then only the ops after it were folded).
    pub from_snapshot: bool,
    /// Ops folded from the store.
    pub folded: u64,
}

const LOAD_CHUNK: u32 = 10_000;

impl Node {
    /// Folds the whole log into memory, starts the writer and makes sure this node's
    /// ticket key is published in the log.
    pub async fn start(options: NodeOptions) -> Result<Node, AppError> {
        let NodeOptions {
            store,
            origin,
            ticket_key,
            token_secret,
            role,
            serials,
            clock: wall_clock,
            snapshot,
            trust_anchors,
            max_clock_skew,
        } = options;
        let skew_ms = max_clock_skew.num_milliseconds().max(0);
        let clock = Arc::new(HlcClock::on(wall_clock.clone()).bounded(skew_ms));
        let anchors = match (trust_anchors.is_empty(), role) {
            (true, NodeRole::Cloud) => vec![(ticket_key.key_id, ticket_key.public().to_bytes())],
            _ => trust_anchors,
        };
        let anchors_hex: Vec<(u16, String)> =
            anchors.iter().map(|(id, key)| (*id, to_hex(key))).collect();
        let path = snapshot.as_ref().map(|s| s.path.as_path());
        let (state, start) = load_state(&store, &clock, path, &anchors_hex).await?;
        let next_seq = store
            .version_vector()
            .await?
            .get(&origin)
            .copied()
            .unwrap_or(0)
            + 1;
        let keyring = keyring_of(&state);
        let state = Arc::new(RwLock::new(state));
        let stats = Arc::new(WriterStats::default());
        let issuer = Arc::new(RwLock::new(Issuer {
            key: ticket_key,
            serials,
        }));
        let stamp = Stamp {
            origin: origin.clone(),
            next_seq,
            clock,
            issuer: issuer.clone(),
        };
        let committed = Arc::new(tokio::sync::Notify::new());
        let commits = Arc::new(tokio::sync::watch::Sender::new(0u64));
        let session_key = crate::session::session_key(&token_secret);
        let signals = writer::Signals {
            stats: stats.clone(),
            signer: writer::Signer {
                origin: origin.clone(),
                issuer: issuer.clone(),
            },
            committed: committed.clone(),
            commits: commits.clone(),
        };
        let snapshots = snapshot.map(|options| (options, start.folded));
        let writer = writer::spawn(state.clone(), stamp, store.clone(), signals, snapshots);
        let inner = Inner {
            store,
            state,
            writer,
            origin,
            issuer,
            keyring: RwLock::new(keyring),
            token_secret,
            stats,
            committed,
            commits,
            role,
            sign_in_failures: Default::default(),
            sessions: Default::default(),
            session_key,
            handoffs: Default::default(),
            max_clock_skew,
            wall_clock,
            scope: Default::default(),
            delegated_key_secs: crate::keys::DEFAULT_LIFETIME_SECS.into(),
            mail_sender: Default::default(),
            deliveries: Default::default(),
            watch: Default::default(),
            start,
        };
        let node = Node {
            inner: Arc::new(inner),
        };
        if role == NodeRole::Cloud {
            node.publish_own_key().await?;
            node.ensure_session_key().await?;
        }
        Ok(node)
    }

    async fn publish_own_key(&self) -> Result<(), AppError> {
        let public = self.ticket_key().public();
        let key_id = public.key_id;
        let hex = to_hex(&public.to_bytes());
        let known = self.read(|s| s.keys().get(&key_id).cloned());
        match known {
            Some(existing) if existing == hex => {}
            Some(_) => {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "the log holds a different public key for ticket key {key_id}: wrong data folder for this database?"
                )))
            }
            None => {
                self.submit(move |batch| {
                    let body = OpBody::KeyPublished {
                        key_id,
                        public_key: hex,
                        holder: None,
                        serials: Some(CLOUD_SERIALS),
                        valid_from: None,
                        valid_until: None,
                    };
                    batch.record("system", vec![body]);
                    Ok(())
                })
                .await?;
                self.refresh_keyring();
            }
        }
        Ok(())
    }

    /// Rebuilds the verification key ring from the log (after keys arrive by replication).
    pub fn refresh_keyring(&self) {
        *self.inner.keyring.write() = self.read(keyring_of);
    }

    /// Wakes a waiter (the sync worker) after ops were stored; a permit is kept if none waits.
    pub async fn committed(&self) {
        self.inner.committed.notified().await;
    }

    /// Sees every commit (unlike [`Node::committed`], which wakes one waiter).
    pub fn watch_commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.commits.subscribe()
    }

    pub fn start_info(&self) -> StartInfo {
        self.inner.start
    }

    pub fn role(&self) -> NodeRole {
        self.inner.role
    }

    /// Runs `f` against the current state (shared lock; keep it short). Only the use cases
    /// and queries of this crate read the state: they are the door to it.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.inner.state.read())
    }

    /// The state as it is, for tests, the simulator and the replication benchmark only
    /// (feature `inspect`): everything else reads through the use cases and queries.
    #[cfg(feature = "inspect")]
    pub fn inspect<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        self.read(f)
    }

    /// A change decided outside the use cases, for tests and the replication benchmark
    /// only (feature `inspect`).
    #[cfg(feature = "inspect")]
    pub async fn submit_raw<T: Send + 'static>(
        &self,
        decide: impl FnOnce(&mut Batch<'_>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.submit(decide).await
    }

    /// Decides a change in the single writer and waits until it is durable.
    /// `decide` must check everything before it calls [`Batch::record`], once.
    pub(crate) async fn submit<T: Send + 'static>(
        &self,
        decide: impl FnOnce(&mut Batch<'_>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.enqueue(decide)
            .await?
            .await
            .map_err(|_| AppError::Unavailable("the writer has stopped".into()))?
    }

    /// Hands a change to the writer and returns where its outcome will arrive, once
    /// durable: changes are decided in the order they were enqueued.
    pub(crate) async fn enqueue<T: Send + 'static>(
        &self,
        decide: impl FnOnce(&mut Batch<'_>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<oneshot::Receiver<Result<T, AppError>>, AppError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |batch| -> Completion {
            match decide(batch) {
                Ok(value) => Box::new(move |done| {
                    let _ = tx.send(done.map(|()| value));
                }),
                Err(e) => Box::new(move |_| {
                    let _ = tx.send(Err(e));
                }),
            }
        });
        self.inner
            .writer
            .jobs
            .send(job)
            .await
            .map_err(|_| AppError::Unavailable("the writer has stopped".into()))?;
        Ok(rx)
    }

    /// Stops this node's writer where it is, as `kill -9` would stop the process: ops not
    /// yet durable are gone and their submitters hear that the writer stopped. For
    /// simulations, which run many "processes" in one.
    pub fn halt(&self) {
        self.inner.writer.halt();
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The key this node signs tickets (and its own ops) with now.
    pub fn ticket_key(&self) -> IssuerKey {
        self.inner.issuer.read().key.clone()
    }

    /// The id of that key (without copying the key).
    pub fn ticket_key_id(&self) -> u16 {
        self.inner.issuer.read().key.key_id
    }

    /// The key and serial block this node issues with now.
    pub(crate) fn issuer(&self) -> Issuer {
        self.inner.issuer.read().clone()
    }

    /// Signs from now on with `issuer` (a renewed delegated key). Its public key must be
    /// published in this node's log already, so every replica that gets the ops it signs
    /// can get the key with them.
    pub fn switch_issuer(&self, issuer: Issuer) -> Result<(), AppError> {
        let public = issuer.key.public();
        let hex = to_hex(&public.to_bytes());
        let published = self.read(|s| s.keys().get(&public.key_id) == Some(&hex));
        if !published {
            return Err(AppError::Conflict {
                code: ConflictCode::KeyNotPublished,
                detail: format!("ticket key {} is not in this node's log yet", public.key_id),
            });
        }
        *self.inner.issuer.write() = issuer;
        self.refresh_keyring();
        Ok(())
    }

    /// Refuses to decide anything while this node's own certificate (a site node's or
    /// gate's enrolment, which comes from the cloud) is not in its log: every replica would
    /// hold its ops back until it arrives.
    pub(crate) fn require_certificate(&self) -> Result<(), AppError> {
        if self.role() == NodeRole::Cloud
            || self.read(|s| s.node_of_origin(self.origin()).is_some())
        {
            return Ok(());
        }
        Err(AppError::Unavailable(
            "this node has not received its certificate from the cloud yet: it can sell once it has synced".into(),
        ))
    }

    /// How long keys this node delegates (at enrolment and renewal) stay valid.
    pub fn delegated_key_lifetime(&self) -> chrono::Duration {
        let secs = self
            .inner
            .delegated_key_secs
            .load(std::sync::atomic::Ordering::Relaxed);
        chrono::Duration::seconds(secs)
    }

    /// Sets how long delegated keys stay valid (the cloud's `--delegated-key-lifetime`).
    pub fn set_delegated_key_lifetime(&self, lifetime: chrono::Duration) {
        self.inner.delegated_key_secs.store(
            lifetime.num_seconds().max(1),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Records that a mail sender (an SMTP server) works this node's outbox.
    pub fn set_mail_sender(&self) {
        self.inner
            .mail_sender
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a mail sender works this node's outbox: without one, mail waits forever.
    pub fn has_mail_sender(&self) -> bool {
        self.inner
            .mail_sender
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn lockout(&self) -> &crate::lockout::Lockout {
        &self.inner.sign_in_failures
    }

    /// Makes this node a replica of one venue (see [`aspk_oplog::State::concerns`]): its
    /// upstream sends other venues' ops as elisions, and its digest covers its venue.
    pub fn set_scope(&self, venue: Option<String>) {
        *self.inner.scope.write() = venue;
    }

    /// The venue this node replicates; none when it holds the whole organisation.
    pub fn scope(&self) -> Option<String> {
        self.inner.scope.read().clone()
    }

    /// The digest of this node's state over what it replicates ([`aspk_oplog::State::digest_for`]).
    pub fn digest(&self) -> String {
        let scope = self.scope();
        self.read(|s| s.digest_for(scope.as_deref()))
    }

    pub fn trust_anchor_count(&self) -> usize {
        self.read(|s| s.anchors().len())
    }

    pub(crate) fn inner_sessions(&self) -> &crate::session::SessionCache {
        &self.inner.sessions
    }

    pub(crate) fn session_key(&self) -> &IssuerKey {
        &self.inner.session_key
    }

    pub(crate) fn used_handoffs(&self) -> &crate::session::UsedHandoffs {
        &self.inner.handoffs
    }

    /// The current time by this node's clock: every rule that depends on time asks here.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.wall_clock.now()
    }

    /// How far ahead of this node's clock an incoming op may be.
    pub fn max_clock_skew(&self) -> chrono::Duration {
        self.inner.max_clock_skew
    }

    pub(crate) fn delivery_log(&self) -> &crate::webhooks::DeliveryLog {
        &self.inner.deliveries
    }

    pub(crate) fn watch(&self) -> &crate::continuity::Watch {
        &self.inner.watch
    }

    pub(crate) fn token_secret(&self) -> &[u8; 32] {
        &self.inner.token_secret
    }

    pub fn with_keyring<R>(&self, f: impl FnOnce(&KeyRing) -> R) -> R {
        f(&self.inner.keyring.read())
    }

    /// Ops stored by this node since it started, and whether storing is failing now.
    pub fn writer_stats(&self) -> (u64, bool) {
        let s = &self.inner.stats;
        (
            s.ops.load(std::sync::atomic::Ordering::Relaxed),
            s.is_stalled.load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}

/// The log after `cursor` in chunks, read and decoded by a task of its own, so decoding
/// the next chunk overlaps folding this one.
fn read_ahead(
    store: Arc<dyn Store>,
    mut cursor: i64,
) -> mpsc::Receiver<Result<Vec<aspk_store::StoredOp>, aspk_store::StoreError>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        loop {
            let chunk = store.read_after(cursor, LOAD_CHUNK).await;
            let last = chunk.as_ref().map(|c| c.last().map(|s| s.cursor));
            match last {
                Ok(None) => break,
                Ok(Some(last)) => cursor = last,
                Err(_) => {}
            }
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    rx
}

/// A start that folds this many ops repacks the state afterwards.
const COMPACT_AFTER: u64 = 10_000;

/// The state from the snapshot (if any, and if it matches the store) and the ops after it;
/// also how many ops were folded.
async fn load_state(
    store: &Arc<dyn Store>,
    clock: &HlcClock,
    snapshot: Option<&std::path::Path>,
    anchors: &[(u16, String)],
) -> Result<(State, StartInfo), AppError> {
    let started = std::time::Instant::now();
    let loaded = match snapshot {
        Some(path) => crate::snapshot::load(store.as_ref(), path).await?,
        None => None,
    };
    // A snapshot folded with other trust anchors is of no use.
    let loaded = loaded.filter(|(state, _)| {
        state
            .anchors()
            .iter()
            .eq(anchors.iter().map(|(id, hex)| (id, hex)))
    });
    let from_snapshot = loaded.is_some();
    let (mut state, cursor) = loaded.unwrap_or_default();
    state.set_anchors(anchors.iter().cloned());
    clock.observe(aspk_oplog::Hlc(state.max_hlc()));
    let mut folded = 0;
    let mut chunks = read_ahead(store.clone(), cursor);
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk?;
        for stored in &chunk {
            clock.observe(stored.op.hlc);
            state.apply(&stored.op);
        }
        folded += chunk.len() as u64;
    }
    tracing::info!(
        from_snapshot,
        folded,
        took_ms = started.elapsed().as_millis() as u64,
        "state loaded"
    );
    if folded >= COMPACT_AFTER {
        state.compact();
    }
    let start = StartInfo {
        from_snapshot,
        folded,
    };
    Ok((state, start))
}

fn keyring_of(state: &State) -> KeyRing {
    let mut ring = KeyRing::new();
    for (key_id, hex) in state.keys() {
        let key = parse_hex32(hex).and_then(|bytes| PublicKey::from_bytes(*key_id, &bytes).ok());
        match key {
            Some(key) => {
                ring.insert(key);
            }
            None => tracing::warn!(key_id, "ignoring a malformed public key in the log"),
        }
    }
    ring
}
