//! Orders in time order: `(created, number)` pairs in a B-tree of 16-byte keys (created in
//! microseconds). A snapshot stores the pairs as a list and reads them back into a tree
//! built full, half the size of one grown by inserts.

use std::collections::BTreeSet;
use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::tickets::{from_micros, micros};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeIndex(BTreeSet<(i64, u64)>);

fn key(at: DateTime<Utc>, number: u64) -> (i64, u64) {
    (micros(at), number)
}

fn entry(&(us, number): &(i64, u64)) -> (DateTime<Utc>, u64) {
    (from_micros(us), number)
}

impl TimeIndex {
    pub fn insert(&mut self, at: DateTime<Utc>, number: u64) {
        self.0.insert(key(at, number));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every order, oldest first (`.rev()` for newest first).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (DateTime<Utc>, u64)> + '_ {
        self.0.iter().map(entry)
    }

    /// Orders created in `[start, end)`.
    pub fn between(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> impl DoubleEndedIterator<Item = (DateTime<Utc>, u64)> + '_ {
        let (lo, hi) = (key(start, 0), key(end, 0));
        self.0.range(lo.min(hi)..hi).map(entry)
    }

    /// Orders after `last` (a pair this index gave out), oldest first.
    pub fn after(
        &self,
        last: (DateTime<Utc>, u64),
    ) -> impl DoubleEndedIterator<Item = (DateTime<Utc>, u64)> + '_ {
        let from = Bound::Excluded(key(last.0, last.1));
        self.0.range((from, Bound::Unbounded)).map(entry)
    }

    /// Rebuilds the tree with full nodes (one grown by inserts is about half full).
    pub(crate) fn compact(&mut self) {
        let pairs: Vec<(i64, u64)> = std::mem::take(&mut self.0).into_iter().collect();
        self.0 = pairs.into_iter().collect();
    }

    pub fn last(&self) -> Option<(DateTime<Utc>, u64)> {
        self.0.last().map(entry)
    }
}

impl Serialize for TimeIndex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for TimeIndex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(i64, u64)> = Vec::deserialize(d)?;
        // Built from a sorted list, the tree's nodes are full.
        Ok(Self(pairs.into_iter().collect()))
    }
}
