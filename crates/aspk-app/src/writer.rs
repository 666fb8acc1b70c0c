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

use aspk_oplog::{HlcClock, Op, OpBody, State};
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

/// The state as the writer sees it while deciding, plus the ops recorded so far.
pub struct Batch<'a> {
    state: &'a mut State,
    stamp: &'a mut Stamp,
    ops: Vec<Op>,
}

impl Batch<'_> {
    pub fn state(&self) -> &State {
        self.state
    }

    /// Stamps `bodies` with this node's origin, the next sequence numbers and HLC readings,
    /// and applies them to the state at once, so later jobs in the batch see them.
    /// Call it once, after every check has passed: applied ops cannot be taken back.
    pub fn record(&mut self, actor: &str, bodies: Vec<OpBody>) -> Vec<Op> {
        let mut out = Vec::with_capacity(bodies.len());
        for body in bodies {
            let op = Op {
                origin: self.stamp.origin.clone(),
                seq: self.stamp.next_seq,
                hlc: self.stamp.clock.now(),
                actor: actor.to_owned(),
                body,
            };
            self.stamp.next_seq += 1;
            self.state.apply(&op);
            out.push(op.clone());
            self.ops.push(op);
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
}

impl Batch<'_> {
    /// Takes in an op decided elsewhere, if it is the next one of its origin.
    pub fn ingest(&mut self, op: Op) -> Ingested {
        if self.state.is_next(&op) {
            self.stamp.clock.observe(op.hlc);
            self.state.apply(&op);
            self.ops.push(op);
            Ingested::Applied
        } else if op.seq <= self.state.applied.get(&op.origin).copied().unwrap_or(0) {
            // Stored again only so the store can compare contents (equivocation).
            self.ops.push(op);
            Ingested::Known
        } else {
            Ingested::Gap
        }
    }
}

pub(crate) struct Stamp {
    pub origin: String,
    pub next_seq: u64,
    pub clock: Arc<HlcClock>,
}

/// Counters the status page shows.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub ops: AtomicU64,
    pub is_stalled: AtomicBool,
}

/// Ops the store found under an id it holds with different content.
pub(crate) type Equivocations = mpsc::UnboundedSender<Vec<Op>>;

/// Where the commit task reports what became durable.
pub(crate) struct Signals {
    pub stats: Arc<WriterStats>,
    pub equivocations: Equivocations,
    pub committed: Arc<tokio::sync::Notify>,
    pub commits: Arc<tokio::sync::watch::Sender<u64>>,
}

/// `snapshots`: where to keep the state snapshot, and how many ops start-up folded
/// beyond the last one.
pub(crate) fn spawn(
    state: Arc<RwLock<State>>,
    stamp: Stamp,
    store: Arc<dyn Store>,
    signals: Signals,
    snapshots: Option<(crate::SnapshotOptions, u64)>,
) -> mpsc::Sender<Job> {
    let (job_tx, job_rx) = mpsc::channel::<Job>(4096);
    // One batch waits while one commits: the next batch grows instead of queueing.
    let (batch_tx, batch_rx) = mpsc::channel(1);
    let decided = Arc::new(AtomicU64::new(0));
    let snapshotter = snapshots
        .map(|(path, behind)| Snapshotter::new(path, state.clone(), decided.clone(), behind));
    tokio::spawn(decide_loop(state, stamp, job_rx, batch_tx, decided));
    tokio::spawn(commit_loop(store, batch_rx, signals, snapshotter));
    job_tx
}

async fn decide_loop(
    state: Arc<RwLock<State>>,
    mut stamp: Stamp,
    mut jobs: mpsc::Receiver<Job>,
    batches: mpsc::Sender<(Vec<Op>, Vec<Completion>)>,
    decided: Arc<AtomicU64>,
) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let mut completions = Vec::with_capacity(waiting.len());
        let ops = {
            let mut guard = state.write();
            let mut batch = Batch {
                state: &mut guard,
                stamp: &mut stamp,
                ops: Vec::new(),
            };
            for job in waiting.drain(..) {
                completions.push(job(&mut batch));
            }
            // Counted under the write lock: see `Snapshotter`.
            decided.fetch_add(1, Ordering::Release);
            batch.ops
        };
        if batches.send((ops, completions)).await.is_err() {
            break;
        }
    }
}

async fn commit_loop(
    store: Arc<dyn Store>,
    mut batches: mpsc::Receiver<(Vec<Op>, Vec<Completion>)>,
    signals: Signals,
    mut snapshotter: Option<Snapshotter>,
) {
    let Signals {
        stats,
        equivocations,
        committed,
        commits,
    } = signals;
    if let Some(snapshotter) = snapshotter.as_mut() {
        snapshotter.maybe_take(store.as_ref()).await;
    }
    while let Some((ops, completions)) = batches.recv().await {
        if !ops.is_empty() {
            let clashes = append_until_durable(store.as_ref(), &ops, &stats).await;
            if !clashes.is_empty() {
                let clashing = ops
                    .iter()
                    .filter(|op| clashes.contains(&(op.origin.clone(), op.seq)))
                    .cloned()
                    .collect();
                let _ = equivocations.send(clashing);
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
