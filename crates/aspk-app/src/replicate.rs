//! Taking in ops decided on other nodes. Ops arrive in the sender's commit order, so each
//! comes after the ops it depends on; each origin's ops are taken strictly in sequence.

use std::collections::BTreeMap;

use aspk_oplog::{Audience, Op, OpBody, SigVerdict, Verifier};

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
    /// Refused: unsigned, signed by a key other than its origin's, or claiming this node's
    /// own origin. Each is recorded as a `forged_op` finding.
    pub refused: usize,
    /// Held back: no certificate for its signer here yet, or its clock reading too far
    /// ahead of this node's. Not taken; offer them again later (an `op_held` finding
    /// stands meanwhile).
    pub held: usize,
    /// What this node holds now, per origin.
    pub vv: BTreeMap<String, u64>,
}

/// One page of this node's log as a peer receives it.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub ops: Vec<Op>,
    /// The cursor to ask from next time.
    pub next: i64,
    /// More ops wait beyond `next`.
    pub more: bool,
    /// The cursor of this node's newest op.
    pub head: i64,
}

impl Node {
    /// Up to `limit` ops after cursor `after`, in this node's commit order, for a peer:
    /// without the ops of `exclude_origin` (the peer's own), and with every op the peer
    /// must not hold (`audience`: its venue and kind, when it replicates one venue) as an
    /// elision.
    pub async fn log_page(
        &self,
        after: i64,
        limit: u32,
        exclude_origin: Option<&str>,
        audience: Option<Audience<'_>>,
    ) -> Result<LogPage, AppError> {
        let after = after.max(0);
        let stored = self.store().read_after(after, limit).await?;
        let head = self.store().head().await?;
        let next = stored.last().map_or(after, |s| s.cursor);
        let mut ops: Vec<Op> = stored
            .into_iter()
            .map(|s| s.op)
            .filter(|op| Some(op.origin.as_str()) != exclude_origin)
            .collect();
        if let Some(audience) = audience {
            let keep: Vec<bool> =
                self.read(|s| ops.iter().map(|op| s.shares(op, audience)).collect());
            for (op, keep) in ops.iter_mut().zip(keep) {
                if !keep {
                    *op = op.elided();
                }
            }
        }
        Ok(LogPage {
            ops,
            next,
            more: next < head,
            head,
        })
    }

    /// Applies and stores ops a peer pushed (`from`: who handed them over, for the
    /// findings), durably, before returning. An elision is not taken from a push: this
    /// node would hold a gap where the peer's upstream has the op (see [`Offer`]).
    /// Signatures are checked first, off the writer, a part at a time: while the writer
    /// stores one part the next is being checked.
    pub async fn ingest(&self, ops: Vec<Op>, from: &str) -> Result<IngestReport, AppError> {
        self.ingest_with(ops, from, false).await
    }

    /// [`Node::ingest`] of ops pulled from this node's upstream, which sends the ops
    /// outside this node's scope as elisions.
    pub async fn ingest_pulled(&self, ops: Vec<Op>, from: &str) -> Result<IngestReport, AppError> {
        self.ingest_with(ops, from, true).await
    }

    async fn ingest_with(
        &self,
        ops: Vec<Op>,
        from: &str,
        elisions: bool,
    ) -> Result<IngestReport, AppError> {
        if ops.len() > MAX_INGEST {
            return Err(AppError::invalid(
                "ops",
                format!("send at most {MAX_INGEST} ops at a time"),
            ));
        }
        let has_keys = ops
            .iter()
            .any(|op| matches!(op.body, OpBody::KeyPublished { .. }));
        let mut verifier = self.read(Verifier::of);
        let mut pending = Vec::new();
        let mut rest = ops;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(PART));
            let part = std::mem::replace(&mut rest, tail);
            let (part, verdicts, checked) = check_signatures(verifier, part).await?;
            verifier = checked;
            pending.push(
                self.enqueue(take_in(part, verdicts, from.to_owned(), elisions))
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
            report.held += part.held;
            report.vv = part.vv;
        }
        if has_keys {
            self.refresh_keyring();
        }
        Ok(report)
    }

    /// What this node holds, per origin.
    pub fn version_vector(&self) -> BTreeMap<String, u64> {
        self.read(|s| s.applied().clone())
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
/// the next of its origin; forged ones become `forged_op` findings. Elisions count as
/// gaps unless `elisions` (the op itself must come).
fn take_in(
    ops: Vec<Op>,
    verdicts: Vec<SigVerdict>,
    from: String,
    elisions: bool,
) -> impl FnOnce(&mut Batch<'_>) -> Result<IngestReport, AppError> + Send + 'static {
    move |batch| {
        let mut report = IngestReport::default();
        let mut forged = Vec::new();
        // Per origin held back: its highest op (seq, hash) and why.
        let mut held: BTreeMap<String, (u64, String, &'static str)> = BTreeMap::new();
        for (op, verdict) in ops.into_iter().zip(verdicts) {
            let (origin, seq) = (op.origin.clone(), op.seq);
            if op.is_elided() && !elisions {
                let held = batch.state().applied().get(&origin).copied().unwrap_or(0);
                match seq <= held {
                    true => report.known += 1,
                    false => report.gaps += 1,
                }
                continue;
            }
            // An op held back here earlier, and now another one under its number? (Hashing
            // costs: only then.)
            let held_as = batch
                .state()
                .held_hash(&origin, seq)
                .map(|held| (held.to_owned(), to_hex(&op.hash())));
            match batch.ingest(op, verdict) {
                Ingested::Applied => {
                    report.applied += 1;
                    if let Some((other, hash)) = held_as.filter(|(held, hash)| held != hash) {
                        forged.push(OpBody::EquivocationDetected {
                            origin,
                            seq,
                            kept_hash: hash,
                            other_hash: other,
                        });
                    }
                }
                Ingested::Known => report.known += 1,
                Ingested::Gap => report.gaps += 1,
                Ingested::Held { reason, hash } => {
                    tracing::warn!(%origin, seq, %from, reason, "held back an op");
                    report.held += 1;
                    let entry = held.entry(origin).or_insert((seq, String::new(), reason));
                    if seq >= entry.0 {
                        *entry = (seq, to_hex(&hash), reason);
                    }
                }
                Ingested::Refused(reason) => {
                    tracing::error!(%origin, seq, %from, reason, "refused a forged op");
                    report.refused += 1;
                    // A sender that offers it again is refused again, but reported once.
                    if !batch.state().reported_forged(&origin, seq, &from) {
                        forged.push(OpBody::ForgedOpRefused {
                            origin,
                            seq,
                            from: from.clone(),
                            reason: reason.to_owned(),
                        });
                    }
                }
            }
        }
        // One report per origin held back, naming the highest sequence number (unless one
        // is on record already: a sender offers held ops again every round).
        let state = batch.state();
        let held: Vec<OpBody> = held
            .into_iter()
            .filter(|(origin, (seq, _, _))| !state.held_reported(origin, *seq))
            .map(|(origin, (seq, hash, reason))| OpBody::OpHeld {
                origin,
                seq,
                hash,
                from: from.clone(),
                reason: reason.to_owned(),
            })
            .collect();
        forged.extend(held);
        if !forged.is_empty() {
            batch.record("system:replication", forged);
        }
        report.vv = batch.state().applied().clone();
        Ok(report)
    }
}

/// Chooses, from a node's log in commit order, the ops to offer a peer (a push). Never an
/// elision: the peer needs the op itself, which this node does not hold; nor, after one,
/// a later op of the same origin, which would only be a gap there. Those wait until the
/// peer has the op from elsewhere ([`Offer::waiting`]).
#[derive(Debug, Default)]
pub struct Offer {
    /// Per origin: the first sequence number the peer lacks that this node holds only as
    /// an elision.
    pub waiting: BTreeMap<String, u64>,
}

impl Offer {
    /// The ops of `ops` (described by `id`: origin, seq, is an elision) to send to a peer
    /// that holds `held` of each origin.
    pub fn choose<T>(
        &mut self,
        ops: Vec<T>,
        held: &BTreeMap<String, u64>,
        id: impl Fn(&T) -> (&str, u64, bool),
    ) -> Vec<T> {
        ops.into_iter()
            .filter(|op| {
                let (origin, seq, elided) = id(op);
                if seq <= held.get(origin).copied().unwrap_or(0) {
                    return false;
                }
                if self.waiting.contains_key(origin) {
                    return false;
                }
                if elided {
                    self.waiting.insert(origin.to_owned(), seq);
                }
                !elided
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::Offer;

    /// Ops in commit order as (origin, seq, is an elision).
    fn choose(offer: &mut Offer, ops: &[(&str, u64, bool)], held: &[(&str, u64)]) -> Vec<String> {
        let held: BTreeMap<String, u64> = held.iter().map(|(o, s)| ((*o).into(), *s)).collect();
        offer
            .choose(ops.to_vec(), &held, |op| (op.0, op.1, op.2))
            .into_iter()
            .map(|(o, s, _)| format!("{o}{s}"))
            .collect()
    }

    #[test]
    fn a_push_never_carries_an_elision_nor_what_follows_it_of_that_origin() {
        let mut offer = Offer::default();
        let ops = [
            ("a", 1, false),
            ("c", 4, false),
            ("c", 5, true),
            ("a", 2, false),
            ("c", 6, false),
            ("c", 7, true),
        ];
        // The peer holds c up to 3: c5 is only an elision here, so c6 waits with it.
        assert_eq!(choose(&mut offer, &ops, &[("c", 3)]), ["a1", "c4", "a2"]);
        assert_eq!(offer.waiting, BTreeMap::from([("c".to_owned(), 5)]));
        // Later batches of the same push keep c back too.
        assert_eq!(
            choose(&mut offer, &[("c", 8, false)], &[("c", 4)]),
            Vec::<String>::new()
        );
        // A peer that holds everything up to c7 is offered nothing of c, and nothing waits.
        let mut offer = Offer::default();
        assert_eq!(choose(&mut offer, &ops, &[("c", 7), ("a", 1)]), ["a2"]);
        assert!(offer.waiting.is_empty());
    }
}
