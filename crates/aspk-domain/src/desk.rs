//! The box office's equipment and routines: printers, cash shifts, visitors' requests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Currency, Slug};

/// How a box office prints tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrinterKind {
    /// The browser's print dialog with a PDF (`a4` or `80mm`).
    Browser { paper: String },
    /// A network thermal printer spoken to in ESC/POS over raw TCP (port 9100).
    EscPos {
        /// `host:port` (port 9100 when omitted).
        address: String,
        /// Text in the printer's CP1125 code page (`ESC t codepage`) instead of raster images.
        #[serde(default)]
        cp1125: bool,
        #[serde(default = "default_codepage")]
        codepage: u8,
    },
}

fn default_codepage() -> u8 {
    17
}

/// A printer configured for box offices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Printer {
    pub id: Slug,
    pub name: String,
    pub kind: PrinterKind,
}

/// A cashier's cash shift: opened with a float, closed with the cash counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub id: String,
    pub venue: Slug,
    /// The cashier's actor, e.g. `user:olena`.
    pub cashier: String,
    pub float_minor: i64,
    pub currency: Currency,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub counted_minor: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// Where a visitor's request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    New,
    Answered,
    Closed,
}

impl RequestStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "new" => Some(Self::New),
            "answered" => Some(Self::Answered),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }
}

/// One message in a request's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestMessage {
    pub at: DateTime<Utc>,
    /// `visitor` or a staff actor.
    pub from: String,
    pub body: String,
}

/// A visitor's question and the staff's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorRequest {
    pub id: String,
    pub venue: Slug,
    pub name: String,
    pub email: String,
    pub subject: String,
    pub status: RequestStatus,
    pub assignee: Option<String>,
    pub messages: Vec<RequestMessage>,
    pub received_at: DateTime<Utc>,
}

/// An e-mail waiting in the durable outbox (or sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The venue the mail is about (none for mails queued before mails named one).
    #[serde(default)]
    pub venue: Option<Slug>,
    /// The order whose e-tickets go with the mail as attachments.
    #[serde(default)]
    pub order: Option<u64>,
    /// The mail's language (`uk` or `en`).
    #[serde(default)]
    pub lang: Option<String>,
    /// The receiving side returned it (a bounce reported by the mail provider): why.
    #[serde(default)]
    pub bounced: Option<String>,
}
