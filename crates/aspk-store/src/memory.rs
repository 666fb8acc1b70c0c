//! An in-memory store for simulations and tests: the same contract, no durability across
//! processes (it lives as long as the value; a simulated crash keeps it, like a disk would).

use std::collections::{BTreeMap, HashMap};

use aspk_oplog::Op;
use parking_lot::Mutex;

use crate::{classify, AppendReport, Store, StoreError, StoredOp};

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    ops: Vec<(Op, [u8; 32])>,
    index: HashMap<(String, u64), usize>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn append(&self, ops: &[Op]) -> Result<AppendReport, StoreError> {
        let mut inner = self.inner.lock();
        let existing: BTreeMap<(String, u64), Vec<u8>> = ops
            .iter()
            .filter_map(|op| {
                let key = (op.origin.clone(), op.seq);
                inner
                    .index
                    .get(&key)
                    .map(|i| (key, inner.ops[*i].1.to_vec()))
            })
            .collect();
        let (fresh, mut report) = classify(ops, &existing);
        for (op, hash) in fresh {
            let at = inner.ops.len();
            inner.index.insert((op.origin.clone(), op.seq), at);
            inner.ops.push((op, hash));
            report.inserted += 1;
        }
        Ok(report)
    }

    async fn get_op(&self, origin: &str, seq: u64) -> Result<Option<StoredOp>, StoreError> {
        let inner = self.inner.lock();
        Ok(inner
            .index
            .get(&(origin.to_owned(), seq))
            .map(|&i| StoredOp {
                cursor: i as i64 + 1,
                op: inner.ops[i].0.clone(),
            }))
    }

    async fn read_after(&self, cursor: i64, limit: u32) -> Result<Vec<StoredOp>, StoreError> {
        let inner = self.inner.lock();
        let start = usize::try_from(cursor.max(0)).unwrap_or(0);
        Ok(inner
            .ops
            .iter()
            .enumerate()
            .skip(start)
            .take(limit as usize)
            .map(|(i, (op, _))| StoredOp {
                cursor: i as i64 + 1,
                op: op.clone(),
            })
            .collect())
    }

    async fn version_vector(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let inner = self.inner.lock();
        let mut vv = BTreeMap::new();
        for (op, _) in &inner.ops {
            let seq = vv.entry(op.origin.clone()).or_insert(0);
            *seq = (*seq).max(op.seq);
        }
        Ok(vv)
    }

    async fn ops_mentioning(&self, needle: &str, limit: u32) -> Result<Vec<StoredOp>, StoreError> {
        let inner = self.inner.lock();
        Ok(inner
            .ops
            .iter()
            .enumerate()
            .filter(|(_, (op, _))| {
                serde_json::to_string(&op.body).is_ok_and(|b| b.contains(needle))
            })
            .take(limit as usize)
            .map(|(i, (op, _))| StoredOp {
                cursor: i as i64 + 1,
                op: op.clone(),
            })
            .collect())
    }

    async fn head(&self) -> Result<i64, StoreError> {
        Ok(self.inner.lock().ops.len() as i64)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
