//! A map from `u64` keys to small records, kept in pages of 64 consecutive keys. Ticket
//! serials and order numbers are handed out in runs, so pages fill densely: a record costs
//! its own bytes and two more for its place, with no hash table and no per-record
//! allocation. Iteration is in key order.

use std::collections::BTreeMap;

use bytemuck::Pod;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// 64 keys a page: a page of 64-byte records is 4 KiB, which the allocator packs tightly
/// (measured: larger blocks cost a third more resident memory than they hold).
pub(crate) const PAGE_BITS: u32 = 6;
const LOW_MASK: u64 = (1 << PAGE_BITS) - 1;

#[derive(Debug, Clone)]
struct Page<V> {
    /// The low bits of each key, ascending; `vals[i]` belongs to `lows[i]`.
    lows: Vec<u16>,
    vals: Vec<V>,
}

#[derive(Debug, Clone)]
pub struct PagedMap<V> {
    pages: BTreeMap<u64, Page<V>>,
    len: usize,
}

impl<V> Default for PagedMap<V> {
    fn default() -> Self {
        Self {
            pages: BTreeMap::new(),
            len: 0,
        }
    }
}

fn split(key: u64) -> (u64, u16) {
    // The mask keeps the low bits within u16.
    (key >> PAGE_BITS, (key & LOW_MASK) as u16)
}

fn join(page: u64, low: u16) -> u64 {
    (page << PAGE_BITS) | u64::from(low)
}

impl<V> Page<V> {
    fn find(&self, low: u16) -> Result<usize, usize> {
        // Runs are appended in order, so the last place is the common answer.
        match self.lows.last() {
            Some(&last) if last < low => Err(self.lows.len()),
            _ => self.lows.binary_search(&low),
        }
    }
}

impl<V> PagedMap<V> {
    fn from_pages(pages: BTreeMap<u64, Page<V>>) -> Self {
        let len = pages.values().map(|p| p.vals.len()).sum();
        Self { pages, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, key: u64) -> Option<&V> {
        let (page, low) = split(key);
        let page = self.pages.get(&page)?;
        page.find(low).ok().map(|i| &page.vals[i])
    }

    pub fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        let (page, low) = split(key);
        let page = self.pages.get_mut(&page)?;
        page.find(low).ok().map(|i| &mut page.vals[i])
    }

    pub fn contains_key(&self, key: u64) -> bool {
        self.get(key).is_some()
    }

    /// Puts `value` under `key`; returns the value it replaced.
    pub fn insert(&mut self, key: u64, value: V) -> Option<V> {
        let (page_no, low) = split(key);
        let page = self.pages.entry(page_no).or_insert_with(|| Page {
            lows: Vec::new(),
            vals: Vec::new(),
        });
        match page.find(low) {
            Ok(i) => Some(std::mem::replace(&mut page.vals[i], value)),
            Err(i) => {
                page.lows.insert(i, low);
                page.vals.insert(i, value);
                self.len += 1;
                None
            }
        }
    }

    pub fn remove(&mut self, key: u64) -> Option<V> {
        let (page_no, low) = split(key);
        let page = self.pages.get_mut(&page_no)?;
        let i = page.find(low).ok()?;
        page.lows.remove(i);
        let value = page.vals.remove(i);
        if page.lows.is_empty() {
            self.pages.remove(&page_no);
        }
        self.len -= 1;
        Some(value)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &V)> + '_ {
        self.pages.iter().flat_map(|(&page_no, page)| {
            page.lows
                .iter()
                .zip(&page.vals)
                .map(move |(&low, v)| (join(page_no, low), v))
        })
    }

    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.pages.values().flat_map(|p| p.vals.iter())
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.pages.values_mut().flat_map(|p| p.vals.iter_mut())
    }
}

/// A page as a snapshot holds it: the keys' low bits and the records, as raw bytes in this
/// machine's layout (a snapshot says which layout it was written in).
#[derive(Serialize)]
struct PageOut<'a> {
    page: u64,
    lows: &'a serde_bytes::Bytes,
    vals: &'a serde_bytes::Bytes,
}

#[derive(Deserialize)]
#[serde(bound = "V: Pod")]
struct PageIn<V> {
    page: u64,
    lows: Pods<u16>,
    vals: Pods<V>,
}

/// Records read straight from the bytes the deserializer holds: one copy, no buffer.
struct Pods<V>(Vec<V>);

impl<'de, V: Pod> Deserialize<'de> for Pods<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<V: Pod> serde::de::Visitor<'_> for Visit<V> {
            type Value = Vec<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("whole records as bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<V>, E> {
                pods(v).ok_or_else(|| E::custom("a page's bytes are not whole records"))
            }
        }
        d.deserialize_bytes(Visit(std::marker::PhantomData))
            .map(Pods)
    }
}

/// Records back from bytes; `None` if the length is not a whole number of records.
fn pods<V: Pod>(bytes: &[u8]) -> Option<Vec<V>> {
    (bytes.len().is_multiple_of(std::mem::size_of::<V>()))
        .then(|| bytemuck::pod_collect_to_vec(bytes))
}

impl<V: Pod> Serialize for PagedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.pages.iter().map(|(&page, p)| PageOut {
            page,
            lows: serde_bytes::Bytes::new(bytemuck::cast_slice(&p.lows)),
            vals: serde_bytes::Bytes::new(bytemuck::cast_slice(&p.vals)),
        }))
    }
}

impl<'de, V: Pod> Deserialize<'de> for PagedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let images: Vec<PageIn<V>> = Vec::deserialize(d)?;
        let mut pages = BTreeMap::new();
        for image in images {
            let (lows, vals) = (image.lows.0, image.vals.0);
            if lows.len() != vals.len() || !lows.windows(2).all(|w| w[0] < w[1]) {
                return Err(D::Error::custom("bad page"));
            }
            pages.insert(image.page, Page { lows, vals });
        }
        Ok(Self::from_pages(pages))
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
        for step in 0..20_000u64 {
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
    }
}
