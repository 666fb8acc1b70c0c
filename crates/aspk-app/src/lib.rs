//! The use cases of aspk: sell, cancel, admit, manage the catalog and staff, on top of the
//! operation log. A [`Node`] owns the derived state of one store and the single writer that
//! decides every change, so capacity and admission are decided in one place, in order, and
//! acknowledged only once durable (group commit). Knows nothing of HTTP.
//!
//! Must not depend on `aspk-http` or any web framework.

mod access;
mod admit;
mod auth;
mod box_device;
mod cancel;
mod catalog;
mod codes;
mod continuity;
mod datadir;
mod demo;
mod desk;
mod device;
mod drill;
mod enrol;
mod error;
mod findings;
mod health;
mod hold;
mod import;
mod issuer;
mod keys;
mod lease;
pub mod lockout;
mod lookup;
mod node;
mod paper;
mod print;
mod printer;
mod receipt;
mod replicate;
mod report;
mod reservation;
mod roots;
mod schedule;
mod search;
mod sell;
mod session;
mod settings;
mod shift;
mod snapshot;
mod stock;
mod ticket_mail;
mod upstream;
pub mod webhooks;
mod writer;

pub use access::{grant, Action, Grant, ACCESS};
pub use admit::{ScanInput, ScanOutcome, ScanResult};
pub use auth::{hash_password, Principal};
pub use box_device::{DeviceKey, DeviceSlot, DeviceSync, MAX_DEVICE_OPS};
pub use cancel::{CancelRequest, CancelRights};
pub use catalog::{local_day_bounds, local_today, shortcuts, CatalogView, NewSlot};
pub use continuity::{
    seeded_steps, typed_steps, Contacts, Continuity, Failure, Part, PartKind, PartState,
    PendingOps, PowerReading, Runbook, Watch, ONLINE_WITHIN_SECS,
};
pub use datadir::{
    parse_hex32, store_ticket_key, ticket_key_path, to_hex, write_private, DataDir, DataDirError,
    RootKeys,
};
pub use demo::{DEMO_PASSWORD, DEMO_USER};
pub use desk::{HistoryEntry, OrderEvent, RequestThread};
pub use device::{
    DeviceFeed, DeviceScan, FeedKey, FeedTicket, UploadReport, FEED_DAYS, MAX_UPLOAD,
};
pub use drill::DrillReview;
pub use enrol::{Enrolled, EnrolmentCode, NodeCredential};
pub use error::AppError;
pub use health::{Health, HeldLease, LogSummary};
pub use hold::{HeldOrder, HoldRequest, PayOutcome, ProviderPayment};
pub use import::{
    parse_lines, ImportSource, ImportSummary, PhotoFile, PhotoRead, RecordedEntry, MAX_IMPORT_LINES,
};
pub use keys::{key_allows, DelegatedKey};
pub use lookup::OrderView;
pub use node::{
    delegated_serials, Issuer, Node, NodeOptions, NodeRole, StartInfo, CLOUD_SERIALS,
    DEFAULT_MAX_CLOCK_SKEW_MINUTES,
};
pub use paper::{EarlierEntry, PaperEntered, PaperEntry};
pub use print::{browser_printer, ticket_doc, ticket_when};
pub use printer::{send_to_printer, PrintError, DEFAULT_PRINTER_PORT, PRINTER_OFFLINE};
pub use receipt::{OrderRecord, Receipt, ReceiptLine};
pub use replicate::{IngestReport, LogPage, Offer};
pub use report::{ProductSales, Report, Sales, SlotAttendance, MAX_REPORT_DAYS};
pub use schedule::WeeklyPattern;
pub use search::{typo_candidates, OrderHits, OrderQuery};
pub use sell::{NewOrder, NewOrderItem, PlacedOrder};
pub use session::{Endpoint, HandedOff, Session, TokenIssued, MAX_SESSION_HOURS, TOKEN_MINUTES};
pub use settings::Settings;
pub use shift::{z_report, ProductLine, RefundLine, ZReport};
pub use snapshot::SnapshotOptions;
pub use stock::{BatchSummary, CashierStock, NewBatch, StockCounts, StockTicket};
pub use upstream::{UpstreamStatus, UpstreamView};
pub use writer::{Batch, Ingested};
