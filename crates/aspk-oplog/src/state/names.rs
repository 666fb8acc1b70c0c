//! Interned strings: the few distinct venue, product, slot, gate, node and staff names that
//! a million records repeat, each kept once and referred to by a number.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Id 0 is "none"; names are numbered from 1 in the order they were first seen.
#[derive(Debug, Clone, Default)]
pub struct Names {
    list: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

impl Names {
    /// The id of `name`, adding it if new.
    pub fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let name: Arc<str> = Arc::from(name);
        self.list.push(name.clone());
        let id = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.index.insert(name, id);
        id
    }

    /// The id of an optional name (0 for none).
    pub fn opt_id(&mut self, name: Option<&str>) -> u32 {
        name.map_or(0, |n| self.id(n))
    }

    /// The id of `name` if it was ever seen.
    pub fn find(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// The name with this id ("" for 0 or an unknown id).
    pub fn get(&self, id: u32) -> &str {
        self.opt(id).unwrap_or("")
    }

    pub fn opt(&self, id: u32) -> Option<&str> {
        let i = usize::try_from(id).ok()?.checked_sub(1)?;
        self.list.get(i).map(|s| &**s)
    }
}

impl Serialize for Names {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list: Vec<Arc<str>> = Vec::deserialize(d)?;
        let index = list
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), u32::try_from(i + 1).unwrap_or(u32::MAX)))
            .collect();
        Ok(Self { list, index })
    }
}

#[cfg(test)]
mod tests {
    use super::Names;

    #[test]
    fn ids_are_stable_and_zero_is_none() {
        let mut names = Names::default();
        let a = names.id("north");
        let b = names.id("south");
        assert_eq!(names.id("north"), a);
        assert_ne!(a, b);
        assert_eq!(names.get(a), "north");
        assert_eq!(names.opt(0), None);
        assert_eq!(names.opt_id(None), 0);
        assert_eq!(names.find("south"), Some(b));
        assert_eq!(names.find("east"), None);
    }
}
