//! Taking in ops decided on other nodes. Ops arrive in the sender's commit order, so each
//! comes after the ops it depends on; each origin's ops are taken strictly in sequence.

use std::collections::BTreeMap;

use aspk_oplog::{Op, OpBody};
use tokio::sync::mpsc;

use crate::datadir::to_hex;
use crate::{AppError, Ingested, Node};

/// Most ops taken in one call.
pub const MAX_INGEST: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// New here: applied and stored.
    pub applied: usize,
    /// Already here.
    pub known: usize,
    /// Skipped because an earlier op of the same origin is missing (send those first).
    pub gaps: usize,
    /// What this node holds now, per origin.
    pub vv: BTreeMap<String, u64>,
}

impl Node {
    /// Applies and stores ops from another node, durably, before returning.
    pub async fn ingest(&self, ops: Vec<Op>) -> Result<IngestReport, AppError> {
        if ops.len() > MAX_INGEST {
            return Err(AppError::invalid(
                "ops",
                format!("send at most {MAX_INGEST} ops at a time"),
            ));
        }
        let has_keys = ops
            .iter()
            .any(|op| matches!(op.body, OpBody::KeyPublished { .. }));
        let report = self
            .submit(move |batch| {
                let mut report = IngestReport::default();
                for op in ops {
                    match batch.ingest(op) {
                        Ingested::Applied => report.applied += 1,
                        Ingested::Known => report.known += 1,
                        Ingested::Gap => report.gaps += 1,
                    }
                }
                report.vv = batch.state().applied.clone();
                Ok(report)
            })
            .await?;
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

/// Records an `EquivocationDetected` op for each clash the store reports.
pub(crate) async fn record_equivocations(
    node: Node,
    mut clashes: mpsc::UnboundedReceiver<Vec<Op>>,
) {
    while let Some(ops) = clashes.recv().await {
        let bodies: Vec<OpBody> = ops
            .iter()
            .map(|op| OpBody::EquivocationDetected {
                origin: op.origin.clone(),
                seq: op.seq,
                kept_hash: String::new(),
                other_hash: to_hex(&op.hash()),
            })
            .collect();
        let result = node
            .submit(move |batch| {
                batch.record("system:replication", bodies);
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "cannot record an equivocation");
        }
    }
}
