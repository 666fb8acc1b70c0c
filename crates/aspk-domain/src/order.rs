use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Currency, Email, Slug};

/// Where an order was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    BoxOffice,
    Online,
    /// Pre-printed paper stock entered after the fact.
    Paper,
}

/// How an order was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    Other,
}

/// Money received (positive) or refunded (negative) for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub method: PaymentMethod,
    pub amount_minor: i64,
    pub at: DateTime<Utc>,
    /// The cash shift a refund was paid back in (the refunder's open shift); absent for
    /// sales (they belong to the order's shift) and for refunds made before refunds named
    /// one (left out of the JSON then, so old ops keep their hashes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<String>,
    /// The payment provider's reference (`liqpay:…`, `monobank:…`) of an online payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Paid,
    Cancelled,
    Refunded,
}

/// Whether a ticket still admits: `used` once it has admitted, `void` once cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Valid,
    Used,
    Void,
}

/// An admission through a gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub gate: String,
    /// Who or what admitted: user name or device.
    pub by: String,
    /// The node that recorded the entry, and its clock reading: entries sort by `(hlc, origin)`.
    #[serde(default)]
    pub origin: String,
    #[serde(default)]
    pub hlc: u64,
}

/// A ticket as the derived state knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub serial: u64,
    pub order: u64,
    pub venue: Slug,
    pub product: Slug,
    pub slot: Option<String>,
    /// Validity in UTC: the slot's window, or the open-date product's days.
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    #[serde(default)]
    pub valid_days: Option<(NaiveDate, NaiveDate)>,
    pub price_minor: i64,
    pub status: TicketStatus,
    pub entries: Vec<Entry>,
    #[serde(default)]
    pub void_reason: Option<String>,
    /// The node that issued the ticket (it sold the seat, from its lease if it holds one).
    #[serde(default)]
    pub issued_by: String,
    /// `(hlc, origin)` of the void that counts (the earliest, when several were concurrent).
    #[serde(default)]
    pub voided_by: Option<(u64, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub number: u64,
    pub venue: Slug,
    pub channel: Channel,
    pub email: Option<Email>,
    pub tickets: Vec<u64>,
    pub payments: Vec<Payment>,
    pub total_minor: i64,
    pub currency: Currency,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    #[serde(default)]
    pub cancel_reason: Option<String>,
    /// `(hlc, origin)` of the cancellation that counts (the earliest).
    #[serde(default)]
    pub cancelled_by: Option<(u64, String)>,
    /// The cash shift a box-office sale belongs to.
    #[serde(default)]
    pub shift: Option<String>,
    /// The visitor's name, when given.
    #[serde(default)]
    pub name: Option<String>,
    /// The drill (a rehearsed outage) it was sold in: it counts in no report, and undoing
    /// the drill cancels it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}
