//! Taking in ops decided on other nodes. Ops arrive in the sender's commit order, so each
//! comes after the ops it depends on; each origin's ops are taken strictly in sequence.

use std::collections::BTreeMap;

use aspk_oplog::{Op, OpBody, SigVerdict, Verifier};

use crate::datadir::to_hex;
use crate::{AppError, Batch, Ingested, Node};

/// Most ops taken in one call.
pub const MAX_INGEST: usize = 10_000;
/// Signatures checked on the caller's thread; more go to the blocking pool.
const CHECK_INLINE: usize = 16;
/// Ops checked, then handed to the writer, at a time.
const PART: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// New here: applied and stored.
    pub applied: usize,
    /// Already here.
    pub known: usize,
    /// Skipped because an earlier op of the same origin is missing (send those first).
    pub gaps: usize,
    /// Refused: signed by a key other than its origin's, or not at all though its origin
    /// has a key. Each is recorded as a `forged_op` finding.
    pub refused: usize,
    /// What this node holds now, per origin.
    pub vv: BTreeMap<String, u64>,
}

impl Node {
    /// Applies and stores ops from another node (`from`: who handed them over, for the
    /// findings), durably, before returning. Signatures are checked first, off the writer,
    /// a part at a time: while the writer stores one part the next is being checked.
    pub async fn ingest(&self, ops: Vec<Op>, from: &str) -> Result<IngestReport, AppError> {
        if ops.len() > MAX_INGEST {
            return Err(AppError::invalid(
                "ops",
                format!("send at most {MAX_INGEST} ops at a time"),
            ));
        }
        let has_keys = ops
            .iter()
            .any(|op| matches!(op.body, OpBody::KeyPublished { .. }));
        let anchors = self.trust_anchors();
        let mut verifier = self.read(Verifier::of).with_anchors(&anchors);
        let mut pending = Vec::new();
        let mut rest = ops;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(PART));
            let part = std::mem::replace(&mut rest, tail);
            let (part, verdicts, checked) = check_signatures(verifier, part).await?;
            verifier = checked;
            pending.push(
                self.enqueue(take_in(part, verdicts, from.to_owned()))
                    .await?,
            );
        }
        if pending.is_empty() {
            return Ok(IngestReport {
                vv: self.version_vector(),
                ..IngestReport::default()
            });
        }
        let mut report = IngestReport::default();
        for outcome in pending {
            let part = outcome
                .await
                .map_err(|_| AppError::Unavailable("the writer has stopped".into()))??;
            report.applied += part.applied;
            report.known += part.known;
            report.gaps += part.gaps;
            report.refused += part.refused;
            report.vv = part.vv;
        }
        if has_keys {
            self.refresh_keyring();
        }
        Ok(report)
    }

    /// What this node holds, per origin.
    pub fn version_vector(&self) -> BTreeMap<String, u64> {
        self.read(|s| s.applied.clone())
    }
}

/// Checks the signatures of `ops` with `verifier` (which learns the keys they publish),
/// on the blocking pool when there are many.
async fn check_signatures(
    mut verifier: Verifier,
    ops: Vec<Op>,
) -> Result<(Vec<Op>, Vec<SigVerdict>, Verifier), AppError> {
    if ops.len() <= CHECK_INLINE {
        let verdicts = verifier.check_all(&ops, 1);
        return Ok((ops, verdicts, verifier));
    }
    tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let verdicts = verifier.check_all(&ops, threads);
        (ops, verdicts, verifier)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))
}

/// The writer's part of taking in `ops`: each is applied if its signature holds and it is
/// the next of its origin; forged ones become `forged_op` findings.
fn take_in(
    ops: Vec<Op>,
    verdicts: Vec<SigVerdict>,
    from: String,
) -> impl FnOnce(&mut Batch<'_>) -> Result<IngestReport, AppError> + Send + 'static {
    move |batch| {
        let mut report = IngestReport::default();
        let mut forged = Vec::new();
        for (op, verdict) in ops.into_iter().zip(verdicts) {
            let (origin, seq) = (op.origin.clone(), op.seq);
            match batch.ingest(op, verdict) {
                Ingested::Applied => report.applied += 1,
                Ingested::Known => report.known += 1,
                Ingested::Gap => report.gaps += 1,
                Ingested::Refused(reason) => {
                    tracing::error!(%origin, seq, %from, reason, "refused a forged op");
                    report.refused += 1;
                    forged.push(OpBody::ForgedOpRefused {
                        origin,
                        seq,
                        from: from.clone(),
                        reason: reason.to_owned(),
                    });
                }
            }
        }
        if !forged.is_empty() {
            batch.record("system:replication", forged);
        }
        report.vv = batch.state().applied.clone();
        Ok(report)
    }
}

/// The finding recorded when `op` arrived under an `(origin, seq)` already stored with
/// other content.
pub(crate) fn equivocation_found(op: &Op) -> OpBody {
    OpBody::EquivocationDetected {
        origin: op.origin.clone(),
        seq: op.seq,
        kept_hash: String::new(),
        other_hash: to_hex(&op.hash()),
    }
}
