//! The single writer: every change is decided here, one job at a time, against the current
//! state, and acknowledged only after the ops it produced are durable.
//!
//! Two tasks form a pipeline. The *decider* takes all waiting jobs, runs each against the
//! state (stamping and applying the ops it records), and hands the batch on. The *committer*
//! appends the batch in one transaction and then completes the jobs, in order. While one
//! batch commits the next is being decided, so one fsync serves many requests (group commit).
//! A failed append is retried until it succeeds: a decided op is never dropped, and no job is
//! acknowledged before its ops (and all ops decided before them) are durable.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::issuer::Issuer;
use aspk_oplog::{HlcClock, Op, OpBody, OpSig, SigVerdict, State, Verifier};
use aspk_store::Store;
use parking_lot::RwLock;
use tokio::sync::mpsc;

use crate::snapshot::Snapshotter;
use crate::AppError;

/// Called once the batch holding a job's ops is durable (or can never be).
pub(crate) type Completion = Box<dyn FnOnce(Result<(), AppError>) + Send>;
/// Decides one change against the state and returns what to do once it is durable.
pub(crate) type Job = Box<dyn FnOnce(&mut Batch<'_>) -> Completion + Send>;

const MAX_BATCH: usize = 1024;

/// A decided batch: its ops, and which of them this node wrote.
type Decided = (Vec<Op>, Vec<bool>);

/// The state as the writer sees it while deciding, plus the ops recorded so far.
pub struct Batch<'a> {
    state: &'a mut State,
    stamp: &'a mut Stamp,
    ops: Vec<Op>,
    /// Which of `ops` this node decided (it signs those, and only those).
    own: Vec<bool>,
    /// Checks ops that could not be checked before the batch (built when first needed).
    verifier: Option<Verifier>,
}

impl Batch<'_> {
    pub fn state(&self) -> &State {
        self.state
    }

    /// Stamps `bodies` with this node's origin, the next sequence numbers and HLC readings,
    /// and applies them to the state at once, so later jobs in the batch see them.
    /// Call it once, after every check has passed: applied ops cannot be taken back.
    pub fn record(&mut self, actor: &str, bodies: Vec<OpBody>) -> Vec<Op> {
        let key_id = self.stamp.issuer.read().key.key_id;
        let mut out = Vec::with_capacity(bodies.len());
        for body in bodies {
            let op = Op {
                origin: self.stamp.origin.clone(),
                seq: self.stamp.next_seq,
                hlc: self.stamp.clock.now(),
                actor: actor.to_owned(),
                body,
                // The key that will sign it, so the fold knows its author now; the
                // committer signs it outside the lock.
                sig: Some(OpSig {
                    key_id,
                    bytes: [0; 64],
                }),
            };
            self.stamp.next_seq += 1;
            self.state.apply(&op);
            out.push(op.clone());
            self.ops.push(op);
            self.own.push(true);
        }
        out
    }
}

/// What became of one op received from another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// New here: applied and stored.
    Applied,
    /// Already here (or a different op under a known id: the store flags that).
    Known,
    /// An earlier op of its origin is missing; not taken.
    Gap,
    /// No certificate vouches for its signer here yet, or its clock is too far ahead; not
    /// taken (offered again later). With the op's content hash, for the report.
    Held {
        reason: &'static str,
        hash: [u8; 32],
    },
    /// Its origin's key did not sign it, or it claims this node's own origin; not taken.
    Refused(&'static str),
}

impl Batch<'_> {
    /// Takes in an op decided elsewhere, if its signature holds (`checked`: what a check
    /// made before the batch found) and it is the next one of its origin.
    pub fn ingest(&mut self, op: Op, checked: SigVerdict) -> Ingested {
        // Nobody else writes under this node's origin: a new op claiming it is forged,
        // however it is signed.
        if op.origin == self.stamp.origin && op.seq >= self.stamp.next_seq {
            return Ingested::Refused("it claims the receiving node's own origin");
        }
        // An op from a clock far ahead waits until this node's clock catches up; it never
        // drags this node's clock along.
        if self.stamp.clock.is_too_far_ahead(op.hlc) && !matches!(checked, SigVerdict::Forged(_)) {
            return Ingested::Held {
                reason: CLOCK_AHEAD,
                hash: op.hash(),
            };
        }
        let verdict = match checked {
            // Its certificate may have arrived since the check (earlier in this batch).
            SigVerdict::Held(_) => {
                let state = &*self.state;
                self.verifier
                    .get_or_insert_with(|| Verifier::of(state))
                    .check(&op)
            }
            verdict => verdict,
        };
        match verdict {
            SigVerdict::Forged(reason) => return Ingested::Refused(reason),
            // This node can check its own ops: one under its origin that does not check
            // is not one of them.
            SigVerdict::Held(_) if op.origin == self.stamp.origin => {
                return Ingested::Refused("it claims the receiving node's own origin")
            }
            SigVerdict::Held(reason) => {
                return Ingested::Held {
                    reason,
                    hash: op.hash(),
                }
            }
            SigVerdict::Valid => {}
        }
        if op.origin == self.stamp.origin {
            // One it wrote itself, echoed back, is known (the store compares the contents:
            // a different one is reported as equivocation).
            self.ops.push(op);
            self.own.push(false);
            return Ingested::Known;
        }
        if self.state.is_next(&op) {
            self.stamp.clock.observe(op.hlc);
            self.state.apply(&op);
            if teaches(&op) {
                // Later held ops of this batch are checked against what it taught.
                self.verifier = None;
            }
            self.ops.push(op);
            self.own.push(false);
            Ingested::Applied
        } else if op.seq <= self.state.applied().get(&op.origin).copied().unwrap_or(0) {
            // Stored again only so the store can compare contents (equivocation).
            self.ops.push(op);
            self.own.push(false);
            Ingested::Known
        } else {
            Ingested::Gap
        }
    }
}

/// Why an op from a clock too far ahead is held back.
const CLOCK_AHEAD: &str =
    "its clock reading is ahead of this node's clock by more than the allowed skew";

/// Whether folding `op` may change what the verifier knows.
fn teaches(op: &Op) -> bool {
    matches!(
        op.body,
        OpBody::KeyPublished { .. } | OpBody::KeyRevoked { .. } | OpBody::NodeEnrolled { .. }
    )
}

pub(crate) struct Stamp {
    pub origin: String,
    pub next_seq: u64,
    pub clock: Arc<HlcClock>,
    /// The key this node signs with now (its id goes on each op it records).
    pub issuer: Arc<RwLock<Issuer>>,
}

/// Signs the ops this node decided (ingested ones carry their origin's signature).
#[derive(Clone)]
pub(crate) struct Signer {
    pub origin: String,
    /// Shared with the node: a renewed key signs from the next batch on.
    pub issuer: Arc<RwLock<Issuer>>,
}

/// Ops signed on the committer's own thread; more go to a blocking thread.
const SIGN_INLINE: usize = 32;

impl Signer {
    /// Signs the ops this node decided (`own`), never one it took in.
    fn sign_own(&self, ops: &mut [Op], own: &[bool]) {
        let key = self.issuer.read().key.clone();
        for (op, _) in ops.iter_mut().zip(own).filter(|(_, own)| **own) {
            debug_assert_eq!(op.origin, self.origin);
            op.sign_with(key.key_id, |m| key.sign_detached(m));
        }
    }

    async fn sign(&self, mut ops: Vec<Op>, own: Vec<bool>) -> Vec<Op> {
        let count = own.iter().filter(|o| **o).count();
        if count <= SIGN_INLINE {
            self.sign_own(&mut ops, &own);
            return ops;
        }
        let signer = self.clone();
        tokio::task::spawn_blocking(move || {
            signer.sign_own(&mut ops, &own);
            ops
        })
        .await
        .expect("signing ops does not panic")
    }
}

/// Counters the status page shows.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub ops: AtomicU64,
    pub is_stalled: AtomicBool,
}

/// Where the commit task reports what became durable.
pub(crate) struct Signals {
    pub stats: Arc<WriterStats>,
    pub signer: Signer,
    pub committed: Arc<tokio::sync::Notify>,
    pub commits: Arc<tokio::sync::watch::Sender<u64>>,
}

/// The running writer: where jobs go, and its two tasks.
pub(crate) struct Writer {
    pub jobs: mpsc::Sender<Job>,
    tasks: [tokio::task::AbortHandle; 2],
}

impl Writer {
    /// Stops both tasks at their next await, as if the process died there.
    pub fn halt(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// `snapshots`: where to keep the state snapshot, and how many ops start-up folded
/// beyond the last one.
pub(crate) fn spawn(
    state: Arc<RwLock<State>>,
    stamp: Stamp,
    store: Arc<dyn Store>,
    signals: Signals,
    snapshots: Option<(crate::SnapshotOptions, u64)>,
) -> Writer {
    let (job_tx, job_rx) = mpsc::channel::<Job>(4096);
    // Jobs the committer itself raises; unbounded, so the committer never waits on the
    // decider that waits on it.
    let (own_tx, own_rx) = mpsc::unbounded_channel::<Job>();
    // One batch waits while one commits: the next batch grows instead of queueing.
    let (batch_tx, batch_rx) = mpsc::channel(1);
    let decided = Arc::new(AtomicU64::new(0));
    let snapshotter = snapshots
        .map(|(path, behind)| Snapshotter::new(path, state.clone(), decided.clone(), behind));
    let queues = Queues {
        jobs: job_rx,
        own: Some(own_rx),
    };
    let decider = tokio::spawn(decide_loop(state, stamp, queues, batch_tx, decided));
    let committer = tokio::spawn(commit_loop(store, batch_rx, own_tx, signals, snapshotter));
    Writer {
        jobs: job_tx,
        tasks: [decider.abort_handle(), committer.abort_handle()],
    }
}

/// Where the decider takes jobs from: the committer's own first, then everyone else's.
struct Queues {
    jobs: mpsc::Receiver<Job>,
    own: Option<mpsc::UnboundedReceiver<Job>>,
}

impl Queues {
    /// Waits for jobs and moves up to `MAX_BATCH` into `into`; 0 when no more can come.
    async fn take(&mut self, into: &mut Vec<Job>) -> usize {
        loop {
            let Some(own) = self.own.as_mut() else {
                return self.jobs.recv_many(into, MAX_BATCH).await;
            };
            tokio::select! {
                biased;
                job = own.recv() => match job {
                    None => self.own = None,
                    Some(job) => {
                        into.push(job);
                        return 1;
                    }
                },
                n = self.jobs.recv_many(into, MAX_BATCH) => return n,
            }
        }
    }
}

async fn decide_loop(
    state: Arc<RwLock<State>>,
    mut stamp: Stamp,
    mut queues: Queues,
    batches: mpsc::Sender<(Decided, Vec<Completion>)>,
    decided: Arc<AtomicU64>,
) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while queues.take(&mut waiting).await > 0 {
        let mut completions = Vec::with_capacity(waiting.len());
        let ops = {
            let mut guard = state.write();
            let mut batch = Batch {
                state: &mut guard,
                stamp: &mut stamp,
                ops: Vec::new(),
                own: Vec::new(),
                verifier: None,
            };
            for job in waiting.drain(..) {
                completions.push(job(&mut batch));
            }
            // Counted under the write lock: see `Snapshotter`.
            decided.fetch_add(1, Ordering::Release);
            (batch.ops, batch.own)
        };
        if batches.send((ops, completions)).await.is_err() {
            break;
        }
    }
}

async fn commit_loop(
    store: Arc<dyn Store>,
    mut batches: mpsc::Receiver<(Decided, Vec<Completion>)>,
    own_jobs: mpsc::UnboundedSender<Job>,
    signals: Signals,
    mut snapshotter: Option<Snapshotter>,
) {
    let Signals {
        stats,
        signer,
        committed,
        commits,
    } = signals;
    if let Some(snapshotter) = snapshotter.as_mut() {
        snapshotter.maybe_take(store.as_ref()).await;
    }
    while let Some(((ops, own), mut completions)) = batches.recv().await {
        let ops = signer.sign(ops, own).await;
        if !ops.is_empty() {
            let clashes = append_until_durable(store.as_ref(), &ops, &stats).await;
            if !clashes.is_empty() {
                // The conflicting ops were not stored: until the finding is, nobody is told
                // their ops arrived, so a sender that hears nothing sends them again.
                let held = std::mem::take(&mut completions);
                let _ = own_jobs.send(record_equivocations(&ops, &clashes, held));
            }
        }
        for complete in completions {
            complete(Ok(()));
        }
        if !ops.is_empty() {
            committed.notify_one();
            commits.send_modify(|n| *n += 1);
        }
        if let Some(snapshotter) = snapshotter.as_mut() {
            snapshotter.after_commit(store.as_ref(), ops.len()).await;
        }
    }
}

/// A job that records an `EquivocationDetected` op for each op in `ops` that `clashes` names,
/// and completes `held` once that is durable.
fn record_equivocations(ops: &[Op], clashes: &[(String, u64)], held: Vec<Completion>) -> Job {
    let bodies: Vec<OpBody> = ops
        .iter()
        .filter(|op| clashes.iter().any(|(o, s)| *o == op.origin && *s == op.seq))
        .map(crate::replicate::equivocation_found)
        .collect();
    Box::new(move |batch| {
        batch.record("system:replication", bodies);
        Box::new(move |done| {
            for complete in held {
                complete(match &done {
                    Ok(()) => Ok(()),
                    Err(e) => Err(AppError::Unavailable(e.to_string())),
                });
            }
        })
    })
}

/// Returns the `(origin, seq)` of ops that clash with stored ones.
async fn append_until_durable(
    store: &dyn Store,
    ops: &[Op],
    stats: &WriterStats,
) -> Vec<(String, u64)> {
    let mut delay = Duration::from_millis(20);
    loop {
        match store.append(ops).await {
            Ok(report) => {
                if !report.equivocations.is_empty() {
                    tracing::error!(?report.equivocations, "ops clash with stored ones under the same (origin, seq)");
                }
                stats.is_stalled.store(false, Ordering::Relaxed);
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats
                    .ops
                    .fetch_add(report.inserted as u64, Ordering::Relaxed);
                return report.equivocations;
            }
            Err(e) => {
                stats.is_stalled.store(true, Ordering::Relaxed);
                tracing::error!(error = %e, ops = ops.len(), "cannot store ops; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
