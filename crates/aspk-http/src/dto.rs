//! JSON shapes of the API. Field names are the external contract (CONTRACT.md): add
//! fields freely, never rename or remove.

use aspk_domain::{Entry, Order, Payment, Product, Ticket, Venue};
use aspk_oplog::SlotState;
use aspk_ticket::HumanNumber;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Digits only, with the check digit: what the contract calls a `number`.
pub fn number(serial: u64) -> String {
    HumanNumber::from_serial(serial).digits()
}

/// The same, grouped in fours for people: `4821 0937 5526`.
pub fn number_display(serial: u64) -> String {
    HumanNumber::from_serial(serial).to_string()
}

pub fn local(venue: Option<&Venue>, at: DateTime<Utc>) -> DateTime<FixedOffset> {
    match venue {
        Some(v) => at.with_timezone(&v.tz()).fixed_offset(),
        None => at.fixed_offset(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub role: String,
}

#[derive(Deserialize, IntoParams)]
pub struct CatalogQuery {
    /// Venue id, e.g. `demo`.
    pub venue: String,
    /// Local date `YYYY-MM-DD` in the venue's zone; today when absent.
    pub date: Option<NaiveDate>,
    /// `uk` (default) or `en` for names.
    pub lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct VenueDto {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProductDto {
    pub id: String,
    pub name: String,
    pub price_minor: i64,
    pub currency: String,
    /// `full`, `reduced` or `free`.
    pub category: String,
    /// The document to check at entry, if any.
    pub document: Option<String>,
    /// `timed` (sold for a slot) or `open_date`.
    pub validity: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

impl ProductDto {
    pub fn new(p: &Product, lang: &str) -> Self {
        let (validity, from, until) = match p.validity {
            aspk_domain::ProductValidity::Timed => ("timed", None, None),
            aspk_domain::ProductValidity::OpenDate { first, last } => {
                ("open_date", Some(first), Some(last))
            }
        };
        Self {
            id: p.id.to_string(),
            name: p.name.get(lang).to_owned(),
            price_minor: p.price_minor,
            currency: p.currency.as_str().to_owned(),
            category: enum_name(&p.category),
            document: p.document.as_ref().map(|d| d.get(lang).to_owned()),
            validity: validity.to_owned(),
            valid_from: from,
            valid_until: until,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SlotDto {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: DateTime<FixedOffset>,
    pub capacity: u32,
    pub available: u32,
    pub sold: u32,
}

impl SlotDto {
    /// `available` is what the answering node may sell (a site node: its own lease).
    pub fn new(s: &SlotState, venue: Option<&Venue>, available: u32) -> Self {
        Self {
            id: s.slot.id.clone(),
            starts_at: local(venue, s.slot.starts_at),
            ends_at: local(venue, s.slot.ends_at),
            capacity: s.slot.capacity,
            available,
            sold: s.sold,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CatalogResponse {
    pub venue: VenueDto,
    pub date: NaiveDate,
    pub products: Vec<ProductDto>,
    pub slots: Vec<SlotDto>,
}

#[derive(Deserialize, ToSchema)]
pub struct SlotRequest {
    /// RFC 3339 with offset.
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: DateTime<FixedOffset>,
    pub capacity: u32,
}

#[derive(Deserialize, ToSchema)]
pub struct OrderItemRequest {
    pub product: String,
    /// Required for timed products, absent for open-date ones.
    pub slot: Option<String>,
    pub quantity: u32,
}

#[derive(Deserialize, ToSchema)]
pub struct PaymentRequest {
    /// `cash`, `card` or `other`.
    pub method: String,
}

#[derive(Deserialize, ToSchema)]
pub struct OrderRequest {
    pub venue: String,
    /// `box_office` (staff) or `online`.
    pub channel: String,
    pub items: Vec<OrderItemRequest>,
    pub payment: PaymentRequest,
    pub email: Option<String>,
    /// The visitor's name (optional; helps staff find the order).
    #[serde(default)]
    pub name: Option<String>,
    /// Sell beyond capacity on purpose (manager or admin); recorded as overbooking.
    #[serde(default)]
    pub overbook: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EntryDto {
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<FixedOffset>,
    pub gate: String,
    pub by: String,
}

impl EntryDto {
    pub fn new(e: &Entry, venue: Option<&Venue>) -> Self {
        Self {
            at: local(venue, e.at),
            gate: e.gate.clone(),
            by: e.by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TicketDto {
    /// Digits only, check digit last.
    pub number: String,
    /// Grouped for people: `4821 0937 5526`.
    pub number_display: String,
    /// The exact text of the QR code.
    pub code: String,
    pub product: String,
    pub slot: Option<String>,
    /// `valid`, `used` or `void`.
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub valid_from: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub valid_until: DateTime<FixedOffset>,
    pub price_minor: i64,
    pub entries: Vec<EntryDto>,
}

impl TicketDto {
    pub fn new(t: &Ticket, code: &str, venue: Option<&Venue>) -> Self {
        Self {
            number: number(t.serial),
            number_display: number_display(t.serial),
            code: code.to_owned(),
            product: t.product.to_string(),
            slot: t.slot.clone(),
            status: enum_name(&t.status),
            valid_from: local(venue, t.valid_from),
            valid_until: local(venue, t.valid_until),
            price_minor: t.price_minor,
            entries: t.entries.iter().map(|e| EntryDto::new(e, venue)).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PaymentDto {
    pub method: String,
    pub amount_minor: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<FixedOffset>,
}

impl PaymentDto {
    fn new(p: &Payment, venue: Option<&Venue>) -> Self {
        Self {
            method: enum_name(&p.method),
            amount_minor: p.amount_minor,
            at: local(venue, p.at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrderResponse {
    pub number: String,
    pub number_display: String,
    pub venue: String,
    pub channel: String,
    /// `paid`, `cancelled` or `refunded`.
    pub status: String,
    pub total_minor: i64,
    pub currency: String,
    /// Shown to staff only.
    pub email: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
    pub created_by: Option<String>,
    pub cancel_reason: Option<String>,
    pub tickets: Vec<TicketDto>,
    pub payments: Vec<PaymentDto>,
    /// Every entry of every ticket, in time order.
    pub entries: Vec<TicketEntryDto>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketEntryDto {
    pub ticket: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<FixedOffset>,
    pub gate: String,
}

impl OrderResponse {
    /// `is_staff` decides whether personal data (e-mail, who sold) is included.
    /// `codes`: the tickets' codes by serial.
    pub fn new(
        o: &Order,
        tickets: &[Ticket],
        codes: &std::collections::HashMap<u64, String>,
        venue: Option<&Venue>,
        is_staff: bool,
    ) -> Self {
        let mut entries: Vec<TicketEntryDto> = tickets
            .iter()
            .flat_map(|t| t.entries.iter().map(move |e| (t.serial, e)))
            .map(|(serial, e)| TicketEntryDto {
                ticket: number(serial),
                at: local(venue, e.at),
                gate: e.gate.clone(),
            })
            .collect();
        entries.sort_by_key(|e| e.at);
        Self {
            number: number(o.number),
            number_display: number_display(o.number),
            venue: o.venue.to_string(),
            channel: enum_name(&o.channel),
            status: enum_name(&o.status),
            total_minor: o.total_minor,
            currency: o.currency.as_str().to_owned(),
            email: o
                .email
                .as_ref()
                .filter(|_| is_staff)
                .map(|e| e.as_str().to_owned()),
            created_at: local(venue, o.created_at),
            created_by: o.created_by.clone().filter(|_| is_staff),
            cancel_reason: o.cancel_reason.clone(),
            tickets: tickets
                .iter()
                .map(|t| {
                    let code = codes.get(&t.serial).map_or("", String::as_str);
                    TicketDto::new(t, code, venue)
                })
                .collect(),
            payments: o
                .payments
                .iter()
                .map(|p| PaymentDto::new(p, venue))
                .collect(),
            entries,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CancelRequestDto {
    #[serde(default)]
    pub reason: String,
    /// Record a refund of the amount paid.
    #[serde(default)]
    pub refund: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct ScanRequest {
    /// The QR code's text.
    pub code: Option<String>,
    /// Or the ticket number as typed (spaces and dashes ignored).
    pub number: Option<String>,
    /// Which gate or device scanned.
    pub gate: Option<String>,
    /// The venue the gate stands at; checked against the ticket's.
    pub venue: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ScanTicketDto {
    pub number: String,
    pub number_display: String,
    pub order: String,
    pub venue: String,
    pub product: String,
    pub product_name: Option<String>,
    pub slot: Option<String>,
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub valid_from: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub valid_until: DateTime<FixedOffset>,
    /// Staff must check a document (reduced or free ticket).
    pub needs_document_check: bool,
    pub document: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ScanResponse {
    /// `admit`, `already_used`, `void`, `not_valid_yet`, `expired`, `wrong_venue`, `invalid` or `unknown`.
    pub result: String,
    pub ticket: Option<ScanTicketDto>,
    /// For `already_used`: the first admission.
    pub first_entry: Option<EntryDto>,
}

#[derive(Serialize, ToSchema)]
pub struct UpstreamDto {
    pub url: String,
    pub reachable: bool,
    pub last_push: Option<DateTime<Utc>>,
    pub last_pull: Option<DateTime<Utc>>,
    /// Staff only: why the last round failed (`null` when it did not).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub last_error: Option<Option<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct LeaseDto {
    pub slot: String,
    /// Leased seats this node has not sold yet.
    pub left: u32,
    pub starts_at: DateTime<Utc>,
}

#[derive(Deserialize, IntoParams, Serialize, ToSchema)]
pub struct StatusQuery {
    /// Report the digest of what a replica of this venue holds.
    pub venue: Option<String>,
}

/// What a node says about itself. Anyone may read `role`, `version`, `pending_ops`,
/// `findings_open` and `upstream` (without its `last_error`); the rest needs a staff
/// token or session (any role) and is absent otherwise.
#[derive(Serialize, ToSchema)]
pub struct StatusResponse {
    /// `cloud` or `site_node`.
    pub role: String,
    pub upstream: Option<UpstreamDto>,
    pub pending_ops: u64,
    pub findings_open: u64,
    pub version: String,
    /// Staff only: the origin this process writes ops under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops_in_log: Option<u64>,
    /// Staff only: whether writes to the store are failing right now (they are retried).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_store_stalled: Option<bool>,
    /// Staff only: digest of the derived state: replicas holding the same ops report the
    /// same digest. A replica of one venue reports the digest of what it replicates; ask a
    /// node that holds more for `?venue=` to compare with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Staff only: the venue this node replicates; absent when it holds the whole
    /// organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Staff only: capacity leases this node holds (site nodes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leases: Option<Vec<LeaseDto>>,
    /// Staff only: how this process built its state at start-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<StartedDto>,
    /// Staff only: root keys this node was given at enrolment and trusts (0 on the cloud,
    /// and on a node enrolled before trust anchors existed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_anchors: Option<usize>,
    /// Staff only: the key this node signs tickets and its ops with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<SigningKeyDto>,
}

#[derive(Serialize, ToSchema)]
pub struct SigningKeyDto {
    pub key_id: u16,
    /// A delegated key's end: tickets it signs are usable until that day at the latest, and
    /// the site node renews it with half its time left. Absent for the root key.
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct StartedDto {
    /// Read from the state snapshot in the data folder (then only later ops were folded).
    pub from_snapshot: bool,
    /// Ops folded from the log.
    pub ops_folded: u64,
}

#[derive(Serialize, ToSchema)]
pub struct FindingDto {
    pub id: String,
    /// `double_entry`, `admitted_after_cancel`, `oversell` or `equivocation`.
    pub kind: String,
    pub ticket: Option<String>,
    pub facts: serde_json::Value,
    /// `open` or `resolved`.
    pub status: String,
    pub resolution: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct FindingsQuery {
    /// `open` or `resolved`.
    pub status: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct UserRequest {
    pub username: String,
    pub password: String,
    /// `admin`, `manager`, `cashier` or `controller`.
    pub role: String,
    /// The venue the person works at: they may then also sign in at its site node. Leave
    /// out for the organisation's own staff (they sign in at the cloud).
    #[serde(default)]
    pub venue: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct PdfQuery {
    /// `a4` (default) or `80mm`.
    pub paper: Option<String>,
}

/// The serde name of a unit enum variant, e.g. `box_office`.
pub fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LocalizedDto {
    pub uk: String,
    #[serde(default)]
    pub en: String,
}

impl From<LocalizedDto> for aspk_domain::Localized {
    fn from(l: LocalizedDto) -> Self {
        aspk_domain::Localized::new(l.uk, l.en)
    }
}

#[derive(Deserialize, ToSchema)]
pub struct VenueRequest {
    pub id: String,
    pub name: LocalizedDto,
    /// IANA zone, e.g. `Europe/Kyiv`.
    pub time_zone: String,
    /// ISO 4217, e.g. `UAH`.
    pub currency: String,
    #[serde(default)]
    pub early_entry_minutes: u16,
}

#[derive(Deserialize, ToSchema)]
pub struct ProductRequest {
    pub id: String,
    pub name: LocalizedDto,
    /// `full`, `reduced` or `free`.
    pub category: String,
    pub price_minor: i64,
    /// The document to check at entry (reduced and free tickets).
    pub document: Option<LocalizedDto>,
    /// Open-date products: first and last valid day. Absent: a timed product sold per slot.
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    #[serde(default = "default_true")]
    pub is_on_sale: bool,
}

fn default_true() -> bool {
    true
}
