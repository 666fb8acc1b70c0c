//! The operation log: every change to aspk is an [`Op`] with an origin and a per-origin
//! sequence number, stamped with a hybrid logical clock. Current state ([`State`]) is a
//! deterministic fold over the log. Pure: no I/O; storage lives in `aspk-store`.
//!
//! Ops are facts that were already decided by the node that wrote them; applying one never
//! fails, and applying the same op twice is a no-op.

mod hlc;
mod op;
pub mod sig;
mod state;

pub use hlc::{Hlc, HlcClock};
pub use op::{
    EntriesImported, HeldSeat, Op, OpBody, OpId, OrderHeld, OrderPlaced, PaperSale, TicketIssued,
};
pub use sig::{OpSig, SigVerdict, Verifier};
pub use state::{
    capability, code_hash, session_key_id, Audience, AudienceKind, Author, AuthorRole, Capability,
    Drill, DrillBook, Enrolment, Finding, GateCount, Hold, HoldStatus, KeyMeta, NodeRecord,
    OrderTable, PagedMap, Placement, PrintRecord, Resolution, SessionKey, SlotState, SnapshotError,
    State, TicketBrief, TicketTable, TimeIndex, CAPABILITIES, DRILL_UNDONE, ENTRY_MARGIN_MINUTES,
    FINDING_KINDS, STOCK_HOLDER, UNVERIFIED_ENTRY,
};
pub use state::{BatchReport, LedgerLine, NumberState, StockBook};
