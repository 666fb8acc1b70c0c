//! Snapshots of the derived state, so a node with a long log starts by reading one file
//! instead of folding every op again. A snapshot says which store position it covers; the
//! node folds only the ops after it. It is a cache: when it is missing, unreadable, from
//! another build layout, or ahead of the store (a store restored from an older backup),
//! the node folds the whole log as before.
//!
//! Format: 8 magic bytes, then a MessagePack header and the state (structs as maps, so
//! optional fields skipped in JSON stay readable). Big tables go as raw record bytes.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use super::State;

const MAGIC: &[u8; 8] = b"ASPKSNAP";
/// Bump when the meaning of a state field changes (added fields need a serde default).
const FORMAT: u32 = 5;

#[derive(Debug, thiserror::Error)]
#[error("state snapshot: {0}")]
pub struct SnapshotError(String);

/// What a snapshot covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotHeader {
    format: u32,
    layout: String,
    /// The store's commit position of the last op folded in.
    pub cursor: i64,
    /// That op's `(origin, seq)`, to recognise the same store.
    pub last_op: (String, u64),
}

/// Record sizes and byte order: raw records are only read back on a machine that lays them
/// out the same way.
fn layout() -> String {
    format!(
        "{}:m{}:t{}:e{}:o{}",
        if cfg!(target_endian = "little") {
            "le"
        } else {
            "be"
        },
        super::paged::FORMAT,
        std::mem::size_of::<super::tickets::TicketRec>(),
        std::mem::size_of::<super::tickets::EntryRec>(),
        std::mem::size_of::<super::orders::OrderRec>(),
    )
}

fn err(e: impl std::fmt::Display) -> SnapshotError {
    SnapshotError(e.to_string())
}

impl State {
    /// Writes the state as of store position `cursor` (whose op is `last_op`).
    pub fn write_snapshot(
        &self,
        mut out: impl Write,
        cursor: i64,
        last_op: (String, u64),
    ) -> Result<(), SnapshotError> {
        let header = SnapshotHeader {
            format: FORMAT,
            layout: layout(),
            cursor,
            last_op,
        };
        out.write_all(MAGIC).map_err(err)?;
        let mut ser = rmp_serde::Serializer::new(&mut out).with_struct_map();
        header.serialize(&mut ser).map_err(err)?;
        self.serialize(&mut ser).map_err(err)?;
        out.flush().map_err(err)
    }

    /// Reads a snapshot written by [`State::write_snapshot`] by this build layout.
    pub fn read_snapshot(mut input: impl Read) -> Result<(State, SnapshotHeader), SnapshotError> {
        let mut magic = [0u8; 8];
        input.read_exact(&mut magic).map_err(err)?;
        if &magic != MAGIC {
            return Err(err("not a snapshot"));
        }
        let mut de = rmp_serde::Deserializer::new(&mut input);
        let header = SnapshotHeader::deserialize(&mut de).map_err(err)?;
        if header.format != FORMAT || header.layout != layout() {
            return Err(err(format!(
                "written as format {} / {}, this build reads {FORMAT} / {}",
                header.format,
                header.layout,
                layout()
            )));
        }
        let state = State::deserialize(&mut de).map_err(err)?;
        Ok((state, header))
    }
}

#[cfg(test)]
mod tests {
    use super::State;

    #[test]
    fn damaged_snapshots_are_refused() {
        let mut bytes = Vec::new();
        State::default()
            .write_snapshot(&mut bytes, 3, ("o".into(), 3))
            .unwrap();
        let (_, header) = State::read_snapshot(bytes.as_slice()).unwrap();
        assert_eq!(header.last_op, ("o".to_owned(), 3));
        assert!(
            State::read_snapshot(&bytes[..bytes.len() - 1]).is_err(),
            "truncated"
        );
        let mut foreign = bytes.clone();
        foreign[0] = b'X';
        assert!(
            State::read_snapshot(foreign.as_slice()).is_err(),
            "not a snapshot"
        );
        assert!(State::read_snapshot(&[][..]).is_err(), "empty");
    }
}
