//! Start-up from a snapshot of the derived state, and taking snapshots as the log grows.
//!
//! A snapshot is written only when the state holds exactly what the store holds (every
//! decided batch committed), between two commits of the single writer, so the store's head
//! is the position it covers. It goes to a temporary file that is synced and then renamed
//! over the old one: a crash leaves the old snapshot or the new one, never half of one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aspk_oplog::State;
use aspk_store::Store;
use parking_lot::RwLock;

use crate::AppError;

/// Where and how often to take snapshots.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    pub path: PathBuf,
    /// Ops committed since the last snapshot before the next is taken.
    pub every_ops: u64,
    /// And at least this long after the last one.
    pub min_interval: Duration,
}

impl SnapshotOptions {
    /// A snapshot at `path` every 50,000 ops, at most once a minute: start-up then folds
    /// at most about that many ops beyond the snapshot.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            every_ops: 50_000,
            min_interval: Duration::from_secs(60),
        }
    }
}

/// Reads the snapshot at `path` if it matches `store`: the op at its cursor must be the
/// one it names. Any mismatch or damage means "no snapshot" (the caller folds the log).
pub(crate) async fn load(store: &dyn Store, path: &Path) -> Result<Option<(State, i64)>, AppError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot open the state snapshot; folding the log");
            return Ok(None);
        }
    };
    let read = tokio::task::spawn_blocking(move || {
        State::read_snapshot(std::io::BufReader::with_capacity(1 << 20, file))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let (state, header) = match read {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring the state snapshot; folding the log");
            return Ok(None);
        }
    };
    let at_cursor = store.read_after(header.cursor - 1, 1).await?;
    let matches = at_cursor.first().is_some_and(|s| {
        s.cursor == header.cursor
            && (s.op.origin.as_str(), s.op.seq) == (header.last_op.0.as_str(), header.last_op.1)
    });
    if !matches {
        tracing::warn!(
            cursor = header.cursor,
            "the state snapshot does not match the store (restored from a backup?); folding the log"
        );
        return Ok(None);
    }
    Ok(Some((state, header.cursor)))
}

/// Decides when to take a snapshot; owned by the writer's commit task.
pub(crate) struct Snapshotter {
    options: SnapshotOptions,
    state: Arc<RwLock<State>>,
    /// Batches the decider has applied to the state, and batches committed.
    decided: Arc<AtomicU64>,
    committed: u64,
    ops_since: u64,
    last: Instant,
    /// When a due snapshot was last found not possible (the state ahead of the store).
    tried: Option<Instant>,
}

/// Pause after a due snapshot could not be taken: each try reads the store's version
/// vector, a scan of the whole log index.
const RETRY: Duration = Duration::from_secs(1);

impl Snapshotter {
    /// `ops_behind`: ops folded at start-up after the snapshot (or all of them without one);
    /// many of them make the first snapshot due at once.
    pub(crate) fn new(
        options: SnapshotOptions,
        state: Arc<RwLock<State>>,
        decided: Arc<AtomicU64>,
        ops_behind: u64,
    ) -> Self {
        let last = Instant::now()
            .checked_sub(options.min_interval)
            .unwrap_or_else(Instant::now);
        Self {
            options,
            state,
            decided,
            committed: 0,
            ops_since: ops_behind,
            last,
            tried: None,
        }
    }

    /// Called by the commit task after each committed batch of `ops` ops.
    pub(crate) async fn after_commit(&mut self, store: &dyn Store, ops: usize) {
        self.committed += 1;
        self.ops_since += ops as u64;
        self.maybe_take(store).await;
    }

    /// Takes a snapshot if one is due (also called once at start-up: a start that folded
    /// many ops leaves a snapshot for the next).
    pub(crate) async fn maybe_take(&mut self, store: &dyn Store) {
        if self.ops_since < self.options.every_ops
            || self.last.elapsed() < self.options.min_interval
            || self.tried.is_some_and(|t| t.elapsed() < RETRY)
        {
            return;
        }
        // Under load the decider is usually a batch ahead of the commits: no snapshot can
        // be taken now, and asking the store would cost a scan of the log for nothing.
        if self.decided.load(Ordering::Acquire) != self.committed {
            return;
        }
        match self.take(store).await {
            Ok(true) => {
                self.ops_since = 0;
                self.last = Instant::now();
            }
            // The state is ahead of the store: try again after a commit a moment later.
            Ok(false) => self.tried = Some(Instant::now()),
            Err(e) => {
                tracing::warn!(error = %e, "cannot write the state snapshot");
                self.last = Instant::now();
            }
        }
    }

    async fn take(&self, store: &dyn Store) -> Result<bool, AppError> {
        let head = store.head().await?;
        // The state must hold exactly the store's ops (checked again under the lock): a
        // second writer on the same store (which the data folder's lock prevents, but a
        // process that lingers after a crash could be) would make the snapshot stale.
        let stored = store.version_vector().await?;
        let Some(last) = store.read_after(head - 1, 1).await?.into_iter().next() else {
            return Ok(false);
        };
        let last_op = (last.op.origin.clone(), last.op.seq);
        let (state, decided, committed) =
            (self.state.clone(), self.decided.clone(), self.committed);
        let path = self.options.path.clone();
        let covered = Coverage {
            committed,
            stored,
            cursor: head,
            last_op,
        };
        tokio::task::spawn_blocking(move || write(&path, &state, &decided, covered))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
    }
}

/// What a snapshot is to cover: the batches committed, the store's version vector, and its
/// head and the op there.
struct Coverage {
    committed: u64,
    stored: std::collections::BTreeMap<String, u64>,
    cursor: i64,
    last_op: (String, u64),
}

fn write(
    path: &Path,
    state: &RwLock<State>,
    decided: &AtomicU64,
    covered: Coverage,
) -> Result<bool, AppError> {
    let Coverage {
        committed,
        stored,
        cursor,
        last_op,
    } = covered;
    let started = Instant::now();
    let tmp = path.with_extension("tmp");
    let out = {
        let guard = state.read();
        // The decider counts a batch while it holds the write lock, so under this read
        // lock an equal count means the state holds only committed ops.
        if decided.load(Ordering::Acquire) != committed || *guard.applied() != stored {
            return Ok(false);
        }
        // Private like the rest of the data folder: it holds the staff's password hashes.
        let file =
            crate::datadir::create_private(&tmp).map_err(|e| AppError::Internal(e.into()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        guard
            .write_snapshot(&mut out, cursor, last_op)
            .map_err(|e| AppError::Internal(e.into()))?;
        out
    };
    let file = out
        .into_inner()
        .map_err(|e| AppError::Internal(e.into_error().into()))?;
    file.sync_all().map_err(|e| AppError::Internal(e.into()))?;
    std::fs::rename(&tmp, path).map_err(|e| AppError::Internal(e.into()))?;
    if let Some(dir) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = dir.sync_all();
    }
    tracing::info!(
        cursor,
        took_ms = started.elapsed().as_millis() as u64,
        "state snapshot written"
    );
    Ok(true)
}
