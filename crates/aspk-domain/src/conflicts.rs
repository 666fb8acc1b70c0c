//! The two closed lists of "something is in the way": the kinds of finding replication brings
//! to light, and the codes of a request refused because of the state it met. Their names are
//! in `names.rs`, like every domain enum's; they are part of the op log (findings) and of the
//! API (`kind` of a finding, `code` of a 409 problem), so a name never changes.

use serde::{Deserialize, Serialize};

/// What kind of conflict a finding reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A ticket admitted more than once, at places that could not know of each other.
    DoubleEntry,
    /// A cancelled ticket admitted where the cancellation had not arrived yet.
    AdmittedAfterCancel,
    /// More seats of a slot sold than it holds.
    Oversell,
    /// One origin signed two different ops with the same sequence number.
    Equivocation,
    /// A revoked node tried to push ops.
    RevokedPush,
    /// An op whose signature does not chain to the organisation's root.
    ForgedOp,
    /// One sale attempt made two orders (repeated at a node that had not heard of the
    /// first).
    DuplicateSale,
    /// An op its author may not write (not folded in).
    UnauthorisedOp,
    /// Ops a node could not check yet (an unknown signer, a clock too far ahead).
    HeldOp,
    /// A device reported admitting a ticket that could not be verified.
    UnverifiedEntry,
    /// A visitor paid for a hold that could no longer be sold (it expired and its seats
    /// were sold): no ticket was issued; the money goes back.
    LatePayment,
    /// A paper stock ticket was admitted but its sale was never entered.
    StockNotEntered,
    /// The sale of one paper stock number was entered twice (at places that could not
    /// know of each other).
    StockEnteredTwice,
    /// A voided (lost or stolen) paper stock ticket was presented and admitted.
    VoidedStockPresented,
    /// A photo staff took during an outage could not be read.
    UnreadablePhoto,
    /// A hand-recorded entry names no ticket aspk knows.
    ImportedUnknown,
    /// A hand-recorded entry is for a ticket of another day, or one that was cancelled.
    ImportedMismatch,
}

/// Why a request conflicts with the state it met (HTTP 409, the problem's `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConflictCode {
    /// The order or ticket is cancelled already.
    AlreadyCancelled,
    /// A ticket would be valid beyond the end of this node's signing key.
    BeyondKey,
    /// The enrolment code is unknown, used or expired.
    EnrolmentInvalid,
    /// This node's ticket key is not in its log yet.
    KeyNotPublished,
    /// The key id or public key belongs to another key or holder.
    KeyTaken,
    /// The node holds no delegated key to renew.
    NoDelegatedKey,
    /// No key ids or serial blocks are left.
    NoKeysLeft,
    /// The cashier has no open shift.
    NoOpenShift,
    /// Only the cloud may do this.
    NotAuthority,
    /// The product is no longer on sale.
    NotOnSale,
    /// A node with this origin is enrolled already.
    OriginTaken,
    /// The cashier has an open shift already.
    ShiftOpen,
    /// The slot has already ended.
    SlotOver,
    /// A user of that name exists already.
    UserExists,
    /// Tickets were issued for the slot: it cannot be deleted.
    SlotSold,
    /// The capacity asked for is below the tickets sold for the slot.
    BelowSold,
    /// The slot is closed to sales.
    SlotClosed,
    /// Slots of the schedule asked for overlap existing ones: nothing was created.
    SlotsOverlap,
    /// This client already holds as many unpaid online orders as one may.
    TooManyHolds,
    /// The order can no longer be cancelled online (used, past the venue's deadline, or not
    /// an online order).
    NotCancellable,
    /// The number range overlaps another batch of the same series.
    StockOverlap,
    /// Some of the numbers were entered (sold) before.
    StockEntered,
    /// Some of the numbers are voided, spoilt or not in any batch.
    StockUnavailable,
    /// A drill runs at the venue already.
    DrillRunning,
    /// The drill has ended (or been undone) already.
    DrillOver,
    /// In a drill only the drill's paper stock is used, and outside one no drill's.
    DrillStock,
}
