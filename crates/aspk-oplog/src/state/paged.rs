//! An ordered map from `u64` keys to small records, kept in chunks of up to 64 sorted
//! entries (a B+-tree's leaves without the per-entry nodes). Ticket serials are random
//! within a node's range, so chunks split as they fill and stay about three-quarters
//! full; keys that come in order (a snapshot being read, a run of serials) fill chunks to
//! the brim. A record costs its own bytes and eight for its key, with no per-record
//! allocation, and a chunk's 64 records of 64 bytes are a 4 KiB block, which the allocator
//! packs tightly (measured: larger blocks cost a third more resident memory than they hold).

use std::collections::BTreeMap;

use bytemuck::Pod;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const CHUNK: usize = 64;

#[derive(Debug, Clone)]
struct Chunk<V> {
    /// Ascending; `vals[i]` belongs to `keys[i]`. Never empty.
    keys: Vec<u64>,
    vals: Vec<V>,
}

impl<V> Chunk<V> {
    fn new() -> Self {
        Self {
            keys: Vec::with_capacity(CHUNK),
            vals: Vec::with_capacity(CHUNK),
        }
    }

    fn find(&self, key: u64) -> Result<usize, usize> {
        // Keys in order are common: the end is checked first.
        match self.keys.last() {
            Some(&last) if last < key => Err(self.keys.len()),
            _ => self.keys.binary_search(&key),
        }
    }

    /// The upper half, moved to a new chunk.
    fn split_off_half(&mut self) -> Self {
        let mut upper = Self::new();
        upper.keys.extend(self.keys.drain(CHUNK / 2..));
        upper.vals.extend(self.vals.drain(CHUNK / 2..));
        upper
    }
}

/// Chunks by their first key.
#[derive(Debug, Clone)]
pub struct PagedMap<V> {
    chunks: BTreeMap<u64, Chunk<V>>,
    len: usize,
}

impl<V> Default for PagedMap<V> {
    fn default() -> Self {
        Self {
            chunks: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<V> PagedMap<V> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first key of the chunk `key` belongs in (the first chunk for a key below all).
    fn chunk_of(&self, key: u64) -> Option<u64> {
        self.chunks
            .range(..=key)
            .next_back()
            .or_else(|| self.chunks.iter().next())
            .map(|(&first, _)| first)
    }

    pub fn get(&self, key: u64) -> Option<&V> {
        let (_, chunk) = self.chunks.range(..=key).next_back()?;
        chunk.find(key).ok().map(|i| &chunk.vals[i])
    }

    pub fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        let (_, chunk) = self.chunks.range_mut(..=key).next_back()?;
        chunk.find(key).ok().map(|i| &mut chunk.vals[i])
    }

    pub fn contains_key(&self, key: u64) -> bool {
        self.get(key).is_some()
    }

    /// Puts `value` under `key`; returns the value it replaced.
    pub fn insert(&mut self, key: u64, value: V) -> Option<V> {
        let Some(first) = self.chunk_of(key) else {
            let mut chunk = Chunk::new();
            chunk.keys.push(key);
            chunk.vals.push(value);
            self.chunks.insert(key, chunk);
            self.len = 1;
            return None;
        };
        let Some(mut chunk) = self.chunks.remove(&first) else {
            return None; // `chunk_of` named a chunk that exists.
        };
        let replaced = match chunk.find(key) {
            Ok(i) => Some(std::mem::replace(&mut chunk.vals[i], value)),
            Err(i) if chunk.keys.len() < CHUNK => {
                chunk.keys.insert(i, key);
                chunk.vals.insert(i, value);
                None
            }
            Err(i) if i == CHUNK => {
                // Past the end of a full chunk: start the next one (keys in order fill
                // chunks completely).
                let mut next = Chunk::new();
                next.keys.push(key);
                next.vals.push(value);
                self.chunks.insert(key, next);
                None
            }
            Err(i) => {
                let mut upper = chunk.split_off_half();
                let (target, at) = match i <= CHUNK / 2 {
                    true => (&mut chunk, i),
                    false => (&mut upper, i - CHUNK / 2),
                };
                target.keys.insert(at, key);
                target.vals.insert(at, value);
                self.chunks.insert(upper.keys[0], upper);
                None
            }
        };
        self.chunks.insert(chunk.keys[0], chunk);
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    pub fn remove(&mut self, key: u64) -> Option<V> {
        let (&first, chunk) = self.chunks.range_mut(..=key).next_back()?;
        let i = chunk.find(key).ok()?;
        chunk.keys.remove(i);
        let value = chunk.vals.remove(i);
        self.len -= 1;
        if i == 0 {
            // The chunk's first key changed (or it is empty): file it anew.
            if let Some(chunk) = self.chunks.remove(&first) {
                if let Some(&new_first) = chunk.keys.first() {
                    self.chunks.insert(new_first, chunk);
                }
            }
        }
        Some(value)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &V)> + '_ {
        self.chunks
            .values()
            .flat_map(|c| c.keys.iter().copied().zip(&c.vals))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.chunks.values().flat_map(|c| c.vals.iter())
    }

    /// Repacks the entries into full chunks (after many scattered inserts, chunks are
    /// about three-quarters full). Chunk by chunk: memory grows by one chunk at most.
    pub fn compact(&mut self) {
        let old = std::mem::take(&mut self.chunks);
        self.len = 0;
        for (_, chunk) in old {
            for (key, value) in chunk.keys.into_iter().zip(chunk.vals) {
                self.push_last(key, value);
            }
        }
    }

    /// Adds an entry whose key is above every key held (a snapshot being read).
    fn push_last(&mut self, key: u64, value: V) -> bool {
        match self.chunks.iter_mut().next_back() {
            Some((_, last)) if last.keys.last().is_some_and(|&k| k >= key) => return false,
            Some((_, last)) if last.keys.len() < CHUNK => {
                last.keys.push(key);
                last.vals.push(value);
            }
            _ => {
                let mut chunk = Chunk::new();
                chunk.keys.push(key);
                chunk.vals.push(value);
                self.chunks.insert(key, chunk);
            }
        }
        self.len += 1;
        true
    }
}

/// Bump when the snapshot form below changes.
pub(crate) const FORMAT: u32 = 2;

/// A chunk as a snapshot holds it: its keys, then its records, as raw bytes in this
/// machine's layout (a snapshot says which layout it was written in).
#[derive(Serialize)]
struct ChunkOut<'a> {
    keys: &'a serde_bytes::Bytes,
    vals: &'a serde_bytes::Bytes,
}

#[derive(Deserialize)]
#[serde(bound = "V: Pod")]
struct ChunkIn<V> {
    keys: Pods<u64>,
    vals: Pods<V>,
}

/// Records read straight from the bytes the deserializer holds.
struct Pods<V>(Vec<V>);

/// Records back from bytes; `None` if the length is not a whole number of records.
fn pods<V: Pod>(bytes: &[u8]) -> Option<Vec<V>> {
    (bytes.len().is_multiple_of(std::mem::size_of::<V>()))
        .then(|| bytemuck::pod_collect_to_vec(bytes))
}

impl<'de, V: Pod> Deserialize<'de> for Pods<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<V: Pod> serde::de::Visitor<'_> for Visit<V> {
            type Value = Vec<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("whole records as bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<V>, E> {
                pods(v).ok_or_else(|| E::custom("the bytes are not whole records"))
            }
        }
        d.deserialize_bytes(Visit(std::marker::PhantomData))
            .map(Pods)
    }
}

impl<V: Pod> Serialize for PagedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.chunks.values().map(|c| ChunkOut {
            keys: serde_bytes::Bytes::new(bytemuck::cast_slice(&c.keys)),
            vals: serde_bytes::Bytes::new(bytemuck::cast_slice(&c.vals)),
        }))
    }
}

impl<'de, V: Pod> Deserialize<'de> for PagedMap<V> {
    /// Chunk by chunk, repacked full as they come (keys are in order).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: Pod> serde::de::Visitor<'de> for Visit<V> {
            type Value = PagedMap<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of chunks")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<PagedMap<V>, A::Error> {
                let mut map = PagedMap::default();
                while let Some(ChunkIn { keys, vals }) = seq.next_element::<ChunkIn<V>>()? {
                    if keys.0.len() != vals.0.len() {
                        return Err(A::Error::custom("keys and records differ in number"));
                    }
                    for (key, val) in keys.0.into_iter().zip(vals.0) {
                        if !map.push_last(key, val) {
                            return Err(A::Error::custom("keys out of order"));
                        }
                    }
                }
                Ok(map)
            }
        }
        d.deserialize_seq(Visit(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::PagedMap;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut paged = PagedMap::default();
        let mut model = BTreeMap::new();
        let mut x: u64 = 7;
        for step in 0..30_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = match step % 3 {
                0 => step,              // a run
                1 => (x >> 40) % 5_000, // near keys, out of order
                _ => x >> 3,            // anywhere
            };
            if x.is_multiple_of(7) {
                assert_eq!(paged.remove(key), model.remove(&key));
            } else {
                assert_eq!(paged.insert(key, step), model.insert(key, step));
            }
            assert_eq!(paged.len(), model.len());
        }
        let got: Vec<(u64, u64)> = paged.iter().map(|(k, v)| (k, *v)).collect();
        let want: Vec<(u64, u64)> = model.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(got, want);
        for (k, v) in &model {
            assert_eq!(paged.get(*k), Some(v));
        }
        assert_eq!(paged.get(u64::MAX), model.get(&u64::MAX));
        // Back from a snapshot, every entry is still there, in order.
        let bytes = rmp_serde::to_vec_named(&paged).unwrap();
        let back: PagedMap<u64> = rmp_serde::from_slice(&bytes).unwrap();
        let again: Vec<(u64, u64)> = back.iter().map(|(k, v)| (k, *v)).collect();
        assert_eq!(again, want);
    }

    #[test]
    fn compacting_keeps_every_entry_and_fills_chunks() {
        let mut paged = PagedMap::default();
        let mut x: u64 = 3;
        for i in 0..10_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            paged.insert(x >> 30, i);
        }
        let before: Vec<(u64, u64)> = paged.iter().map(|(k, v)| (k, *v)).collect();
        paged.compact();
        let after: Vec<(u64, u64)> = paged.iter().map(|(k, v)| (k, *v)).collect();
        assert_eq!(before, after);
        assert_eq!(paged.chunks.len(), before.len().div_ceil(super::CHUNK));
        assert_eq!(paged.get(before[5].0), Some(&before[5].1));
    }

    #[test]
    fn random_keys_keep_chunks_well_filled() {
        let mut paged = PagedMap::default();
        let mut x: u64 = 1;
        for _ in 0..100_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            paged.insert(x >> 20, 0u64);
        }
        let fill = paged.len() as f64 / (paged.chunks.len() * super::CHUNK) as f64;
        assert!(fill > 0.6, "chunks {:.0} % full", fill * 100.0);
    }
}
