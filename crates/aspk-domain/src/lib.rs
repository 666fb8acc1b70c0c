//! The museum's vocabulary: venues, products, slots, orders, tickets, users and roles,
//! money and the validated values they are built from. Pure: no I/O, no storage, no HTTP.
//! Everything here is serialised into the operation log, so field names are part of the
//! wire format: add fields with `#[serde(default)]`, never rename.

mod catalog;
mod clock;
mod code;
mod conflicts;
mod desk;
mod money;
mod names;
mod order;
mod scan;
mod stock;
mod text;
mod user;

pub use catalog::{
    Category, ContinuityPlan, DeviceLease, FailureKind, Product, ProductValidity, ShopSettings,
    Slot, Venue,
};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use code::TicketCode;
pub use conflicts::{ConflictCode, FindingKind};
pub use desk::{Mail, Printer, PrinterKind, RequestMessage, RequestStatus, Shift, VisitorRequest};
pub use money::{parse_amount_minor, Currency, Money};
pub use names::UnknownName;
pub use order::{Channel, Entry, Order, OrderStatus, Payment, PaymentMethod, Ticket, TicketStatus};
pub use scan::ScanResult;
pub use stock::{
    format_ranges, parse_numbers, parse_series, StockBatch, StockMove, StockMoveKind, MAX_BATCH,
    MAX_NUMBERS,
};
pub use text::{Email, Localized, Slug, ValidationError};
pub use user::{Role, User, Username};
