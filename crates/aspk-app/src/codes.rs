//! Ticket codes. The derived state keeps a digest of each code, not the code (a million
//! codes would be 200 MB); the code is read back from the op that issued it.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aspk_oplog::OpBody;

use crate::{AppError, Node};

/// How long to wait for a sale that is decided but not yet durable.
const COMMIT_WAIT: Duration = Duration::from_secs(2);

impl Node {
    /// The codes of these tickets, by serial; a ticket unknown here is left out. A sale
    /// decided but not yet durable (its op not in the store yet) is waited for, briefly.
    pub async fn ticket_codes(&self, serials: &[u64]) -> Result<HashMap<u64, String>, AppError> {
        let mut commits = self.watch_commits();
        let (codes, all_stored) = self.read_codes(serials).await?;
        if all_stored {
            return Ok(codes);
        }
        let _ = tokio::time::timeout(COMMIT_WAIT, commits.changed()).await;
        Ok(self.read_codes(serials).await?.0)
    }

    /// One ticket's code.
    pub async fn ticket_code(&self, serial: u64) -> Result<Option<String>, AppError> {
        Ok(self.ticket_codes(&[serial]).await?.remove(&serial))
    }

    /// The codes found, and whether every placing op was in the store.
    async fn read_codes(&self, serials: &[u64]) -> Result<(HashMap<u64, String>, bool), AppError> {
        let by_op: BTreeMap<(String, u64), Vec<u64>> = self.read(|s| {
            let mut by_op: BTreeMap<(String, u64), Vec<u64>> = BTreeMap::new();
            for serial in serials {
                let placement = s
                    .tickets()
                    .order_of(serial)
                    .and_then(|order| s.orders().placement(&order));
                if let Some(placement) = placement {
                    by_op.entry(placement).or_default().push(*serial);
                }
            }
            by_op
        });
        let mut codes = HashMap::with_capacity(serials.len());
        let mut all_stored = true;
        for ((origin, seq), wanted) in by_op {
            let Some(stored) = self.store().get_op(&origin, seq).await? else {
                all_stored = false;
                continue;
            };
            if let OpBody::OrderPlaced(placed) = &stored.op.body {
                for issued in &placed.tickets {
                    if wanted.contains(&issued.serial) {
                        codes.insert(issued.serial, issued.code.clone());
                    }
                }
            }
        }
        Ok((codes, all_stored))
    }
}
