//! JSON shapes of the API. Field names are the external contract (CONTRACT.md): add
//! fields freely, never rename or remove.

use aspk_domain::{
    Category, Channel, Entry, FindingKind, Order, OrderStatus, Payment, PaymentMethod, Product,
    Role, Ticket, TicketStatus, Venue,
};
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
    #[schema(max_length = 256)]
    pub username: String,
    #[schema(max_length = 1024)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub role: Role,
}

/// The language of names and texts in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LangParam {
    #[default]
    Uk,
    En,
}

impl LangParam {
    pub fn code(self) -> &'static str {
        match self {
            Self::Uk => "uk",
            Self::En => "en",
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Venue id, e.g. `demo`.
    #[param(pattern = r"^[a-z0-9_-]{1,40}$")]
    pub venue: String,
    /// Local date `YYYY-MM-DD` in the venue's zone; today when absent.
    pub date: Option<NaiveDate>,
    /// Names in Ukrainian (the default) or English.
    #[param(inline)]
    pub lang: Option<LangParam>,
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
    pub category: Category,
    /// The document to check at entry, if any.
    pub document: Option<String>,
    pub validity: Validity,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

/// When a product's tickets admit: in a slot (`timed`, sold for a slot), or on any day of
/// a period (`open_date`, from `valid_from` to `valid_until`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    Timed,
    OpenDate,
}

impl ProductDto {
    pub fn new(p: &Product, lang: &str) -> Self {
        let (validity, from, until) = match p.validity {
            aspk_domain::ProductValidity::Timed => (Validity::Timed, None, None),
            aspk_domain::ProductValidity::OpenDate { first, last } => {
                (Validity::OpenDate, Some(first), Some(last))
            }
        };
        Self {
            id: p.id.to_string(),
            name: p.name.get(lang).to_owned(),
            price_minor: p.price_minor,
            currency: p.currency.as_str().to_owned(),
            category: p.category,
            document: p.document.as_ref().map(|d| d.get(lang).to_owned()),
            validity,
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

/// A new slot: it ends after it starts, at most 31 days later.
#[derive(Deserialize, ToSchema)]
pub struct SlotRequest {
    /// RFC 3339 with offset.
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: DateTime<FixedOffset>,
    #[serde(deserialize_with = "whole::number")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub capacity: u32,
}

#[derive(Deserialize, ToSchema)]
pub struct OrderItemRequest {
    pub product: String,
    /// Required for timed products, absent for open-date ones.
    pub slot: Option<String>,
    #[serde(deserialize_with = "whole::number")]
    #[schema(minimum = 1, maximum = 50)]
    pub quantity: u32,
}

#[derive(Deserialize, ToSchema)]
pub struct PaymentRequest {
    pub method: PaymentMethod,
}

/// The channels an order is placed through: `box_office` (staff) or `online`. (Paper stock
/// is entered through the paper import, never as an order.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderChannel {
    BoxOffice,
    Online,
}

impl From<OrderChannel> for Channel {
    fn from(c: OrderChannel) -> Self {
        match c {
            OrderChannel::BoxOffice => Channel::BoxOffice,
            OrderChannel::Online => Channel::Online,
        }
    }
}

/// An order: at most 100 tickets in all.
#[derive(Deserialize, ToSchema)]
pub struct OrderRequest {
    pub venue: String,
    pub channel: OrderChannel,
    #[schema(min_items = 1, max_items = 20)]
    pub items: Vec<OrderItemRequest>,
    pub payment: PaymentRequest,
    /// Where the tickets go; blank is none.
    #[schema(
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?:[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^.\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+(?:\.[^.\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+)+[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$"
    )]
    pub email: Option<String>,
    /// The visitor's name (optional; helps staff find the order).
    #[serde(default)]
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
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
    /// The exact text of the QR code; absent while the order waits for its payment (no
    /// valid code exists before it is paid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub product: String,
    pub slot: Option<String>,
    pub status: TicketStatusDto,
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
            code: Some(code.to_owned()),
            product: t.product.to_string(),
            slot: t.slot.clone(),
            status: t.status.into(),
            valid_from: local(venue, t.valid_from),
            valid_until: local(venue, t.valid_until),
            price_minor: t.price_minor,
            entries: t.entries.iter().map(|e| EntryDto::new(e, venue)).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PaymentDto {
    pub method: PaymentMethod,
    pub amount_minor: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<FixedOffset>,
}

impl PaymentDto {
    fn new(p: &Payment, venue: Option<&Venue>) -> Self {
        Self {
            method: p.method,
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
    pub channel: Channel,
    pub status: OrderStatusDto,
    pub total_minor: i64,
    pub currency: String,
    /// Until when the seats of an order waiting for its payment are held.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub hold_expires_at: Option<DateTime<FixedOffset>>,
    /// Where the visitor pays an order waiting for its payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
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
    /// The drill it was sold in (staff only): it counts in no report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
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
            channel: o.channel,
            status: o.status.into(),
            total_minor: o.total_minor,
            currency: o.currency.as_str().to_owned(),
            hold_expires_at: None,
            payment_url: None,
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
            drill: o.drill.clone().filter(|_| is_staff),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CancelRequestDto {
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub reason: String,
    /// Record a refund of the amount paid.
    #[serde(default)]
    pub refund: bool,
}

/// A scan: exactly one of `code` and `number`.
#[derive(Deserialize, ToSchema)]
pub struct ScanRequest {
    /// The QR code's text.
    #[schema(max_length = 512)]
    pub code: Option<String>,
    /// Or the ticket number as typed (spaces and dashes ignored).
    #[schema(max_length = 512)]
    pub number: Option<String>,
    /// Which gate or device scanned (`api` when absent): 1 to 64 characters of text.
    #[schema(
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^\u0000-\u001f\u007f-\u009f]{0,62}[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
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
    pub status: TicketStatus,
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
    pub result: aspk_domain::ScanResult,
    pub ticket: Option<ScanTicketDto>,
    /// For `already_used`: the first admission.
    pub first_entry: Option<EntryDto>,
    /// A paper stock ticket whose sale has not been entered yet: `false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_entered: Option<bool>,
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
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Report the digest of what a replica of this venue holds (staff only).
    pub venue: Option<String>,
    /// The language of the failures' titles and steps: `uk` (the default) or `en`.
    pub lang: Option<String>,
}

/// What a node is: the cloud, a site node at a venue, or a turnstile agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeRoleName {
    Cloud,
    SiteNode,
    Gate,
}

impl From<aspk_app::NodeRole> for NodeRoleName {
    fn from(r: aspk_app::NodeRole) -> Self {
        match r {
            aspk_app::NodeRole::Cloud => Self::Cloud,
            aspk_app::NodeRole::SiteNode => Self::SiteNode,
            aspk_app::NodeRole::Gate => Self::Gate,
        }
    }
}

/// What a node says about itself. Anyone may read `role`, `version`, `pending_ops`,
/// `findings_open` and `upstream` (without its `last_error`); the rest needs a staff
/// token or session (any role) and is absent otherwise.
#[derive(Serialize, ToSchema)]
pub struct StatusResponse {
    pub role: NodeRoleName,
    pub upstream: Option<UpstreamDto>,
    pub pending_ops: u64,
    /// When the oldest op waiting to go up was made (by its hybrid logical clock); absent
    /// when nothing waits, and on a node without an upstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_pending_at: Option<DateTime<Utc>>,
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
    /// Staff only: every part of the installation as this node sees it: itself, its
    /// upstream, its UPS, and the site nodes, gates and phones enrolled for its venues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<PartDto>>,
    /// Staff only: the continuity plan's failures happening now, each with what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures: Option<Vec<FailureDto>>,
}

/// What a part of the installation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartKindName {
    Cloud,
    SiteNode,
    Gate,
    /// A paired phone with the scanner app.
    Scanner,
    /// A paired box-office device (the offline box-office app).
    BoxOffice,
    /// The node this one replicates with.
    Upstream,
    /// This node's uninterruptible power supply (`serve --ups-command`).
    Ups,
    /// A network ticket printer, by its last print job (online: taken; offline: failed).
    Printer,
}

impl From<aspk_app::PartKind> for PartKindName {
    fn from(kind: aspk_app::PartKind) -> Self {
        use aspk_app::PartKind as K;
        match kind {
            K::Cloud => Self::Cloud,
            K::SiteNode => Self::SiteNode,
            K::Gate => Self::Gate,
            K::Scanner => Self::Scanner,
            K::BoxOffice => Self::BoxOffice,
            K::Upstream => Self::Upstream,
            K::Ups => Self::Ups,
            K::Printer => Self::Printer,
        }
    }
}

/// How a part is doing, as this node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartStateName {
    /// Heard from within the last two minutes (this node: answering; the upstream:
    /// reachable; the UPS: on mains).
    Online,
    /// Heard from since this node started, but not lately; the upstream: unreachable.
    Offline,
    /// Not heard from since this node started (it may work with another node).
    NotSeen,
    Revoked,
    /// The UPS runs on battery: the power is out.
    OnBattery,
    /// This node's store refuses writes (they are retried).
    Failing,
}

impl From<aspk_app::PartState> for PartStateName {
    fn from(state: aspk_app::PartState) -> Self {
        use aspk_app::PartState as S;
        match state {
            S::Online => Self::Online,
            S::Offline => Self::Offline,
            S::NotSeen => Self::NotSeen,
            S::Revoked => Self::Revoked,
            S::OnBattery => Self::OnBattery,
            S::Failing => Self::Failing,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PartDto {
    pub kind: PartKindName,
    /// The node answering this call.
    pub is_this_node: bool,
    /// A node id; the upstream's URL; `ups`.
    pub id: String,
    /// The name given at enrolment (empty for this node when it has none).
    pub name: String,
    pub venue: Option<String>,
    pub state: PartStateName,
    /// When this node last heard from it (the upstream: its last good round; the UPS: the
    /// last reading).
    pub last_contact: Option<DateTime<Utc>>,
    /// The upstream's last error; what the UPS command said.
    pub detail: Option<String>,
}

impl From<aspk_app::Part> for PartDto {
    fn from(p: aspk_app::Part) -> Self {
        Self {
            kind: p.kind.into(),
            is_this_node: p.is_this_node,
            id: p.id,
            name: p.name,
            venue: p.venue,
            state: p.state.into(),
            last_contact: p.last_contact,
            detail: p.detail,
        }
    }
}

/// A failure of the continuity plan happening now, and what to do.
#[derive(Serialize, ToSchema)]
pub struct FailureDto {
    /// `power`, `internet` (the upstream cannot be reached), `validator` (a gate or phone
    /// silent for two minutes while another works), `cloud` (the upstream answers with
    /// errors).
    pub kind: aspk_domain::FailureKind,
    /// What happened, in the asked language.
    pub title: String,
    pub venue: Option<String>,
    /// Since when, as far as this node knows.
    pub since: Option<DateTime<Utc>>,
    /// The names of the parts concerned.
    pub parts: Vec<String>,
    /// What to do now, in order: the museum's own steps, else the seeded ones.
    pub steps: Vec<String>,
    /// The steps are the museum's own (edited at `/settings/continuity`).
    pub is_museums_own: bool,
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

/// Whether a finding still waits for someone to act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Open,
    Resolved,
}

#[derive(Serialize, ToSchema)]
pub struct FindingDto {
    pub id: String,
    pub kind: FindingKind,
    pub ticket: Option<String>,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    pub status: FindingStatus,
    pub resolution: Option<String>,
    /// Who resolved it (`user:NAME`), when resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    /// When it was resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
}

impl FindingDto {
    pub fn of(f: &aspk_oplog::Finding) -> Self {
        FindingDto {
            id: f.id.clone(),
            kind: f.kind,
            ticket: f.ticket.map(number),
            facts: f.facts.clone(),
            status: if f.is_open() {
                FindingStatus::Open
            } else {
                FindingStatus::Resolved
            },
            resolution: f.resolution.as_ref().map(|r| r.note.clone()),
            resolved_by: f.resolution.as_ref().map(|r| r.by.clone()),
            resolved_at: f.resolution.as_ref().and_then(|r| r.at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// Only the open or only the resolved ones; all when absent.
    #[param(inline)]
    pub status: Option<FindingStatus>,
}

#[derive(Deserialize, ToSchema)]
pub struct UserRequest {
    /// 1 to 64 characters, no spaces (spaces around it are dropped).
    #[schema(
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]{1,64}[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub username: String,
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    pub role: Role,
    /// The venue the person works at: they may then also sign in at its site node. Leave
    /// out for the organisation's own staff (they sign in at the cloud).
    #[serde(default)]
    pub venue: Option<String>,
}

/// The paper a ticket is printed on: an A4 e-ticket or an 80 mm receipt roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum PaperName {
    #[default]
    #[serde(rename = "a4")]
    A4,
    #[serde(rename = "80mm")]
    Roll80mm,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PdfQuery {
    /// `a4` when absent.
    #[param(inline)]
    pub paper: Option<PaperName>,
}

/// A text in Ukrainian (required, not blank) and English (optional), each at most 200
/// characters and none of them control characters.
#[derive(Deserialize, ToSchema)]
pub struct LocalizedDto {
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub uk: String,
    #[serde(default)]
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub en: String,
}

impl From<LocalizedDto> for aspk_domain::Localized {
    fn from(l: LocalizedDto) -> Self {
        aspk_domain::Localized::new(l.uk, l.en)
    }
}

#[derive(Deserialize, ToSchema)]
pub struct VenueRequest {
    #[schema(pattern = r"^[a-z0-9_-]{1,40}$")]
    pub id: String,
    pub name: LocalizedDto,
    /// IANA zone, e.g. `Europe/Kyiv`.
    #[schema(schema_with = time_zone_schema)]
    pub time_zone: String,
    /// ISO 4217, e.g. `UAH`.
    #[schema(pattern = r"^[A-Z]{3}$")]
    pub currency: String,
    /// How many minutes before a slot's start its tickets admit.
    #[serde(default, deserialize_with = "whole::number")]
    #[schema(minimum = 0, maximum = 240)]
    pub early_entry_minutes: u16,
}

/// Every IANA time zone name this build knows.
fn time_zone_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
        .build()
}

/// A product: a free one costs 0; an open-date one has both `valid_from` and `valid_until`
/// (at most ten years apart, the first not after the last), a timed one neither.
#[derive(Deserialize, ToSchema)]
pub struct ProductRequest {
    #[schema(pattern = r"^[a-z0-9_-]{1,40}$")]
    pub id: String,
    pub name: LocalizedDto,
    pub category: Category,
    #[serde(deserialize_with = "whole::number")]
    #[schema(minimum = 0, maximum = 100_000_000)]
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

/// Whole numbers in a request body. JSON does not tell `6800` from `6800.0`, and JSON Schema
/// calls both an integer: a whole number written with a fraction is taken, `6800.5` is not.
pub mod whole {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};

    pub fn number<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i128>,
    {
        let n = serde_json::Number::deserialize(d)?;
        let wide = match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Some(i128::from(i)),
            (_, Some(u), _) => Some(i128::from(u)),
            // Beyond 2^63 no integer field here has room anyway.
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i128),
            _ => None,
        };
        let wide =
            wide.ok_or_else(|| D::Error::custom(format!("expected a whole number, got {n}")))?;
        T::try_from(wide).map_err(|_| D::Error::custom(format!("{n} is out of range")))
    }

    #[cfg(test)]
    mod tests {
        #[derive(serde::Deserialize, Debug)]
        struct Whole {
            #[serde(deserialize_with = "super::number")]
            n: u32,
        }

        fn parse(json: &str) -> Option<u32> {
            serde_json::from_str::<Whole>(json).ok().map(|w| w.n)
        }

        #[test]
        fn a_whole_number_with_a_fraction_is_taken_and_no_other() {
            assert_eq!(parse(r#"{"n": 6800}"#), Some(6800));
            assert_eq!(parse(r#"{"n": 6800.0}"#), Some(6800));
            assert_eq!(parse(r#"{"n": 6800.5}"#), None);
            assert_eq!(parse(r#"{"n": -1}"#), None);
            assert_eq!(parse(r#"{"n": 1e300}"#), None);
            assert_eq!(parse(r#"{"n": "1"}"#), None);
        }
    }
}

/// Where an order is in its life, as the API tells it.
#[derive(Serialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatusDto {
    Paid,
    Cancelled,
    Refunded,
    /// An online order whose seats are held until `hold_expires_at`, waiting for its payment.
    PendingPayment,
    /// An online order that was not paid in time (or was cancelled before it was): its
    /// seats went back on sale and it has no tickets.
    Expired,
    /// A payment came when the seats were gone: no tickets; the money goes back.
    PaymentRefused,
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::Paid => Self::Paid,
            OrderStatus::Cancelled => Self::Cancelled,
            OrderStatus::Refunded => Self::Refunded,
        }
    }
}

/// Whether a ticket admits, as the API tells it.
#[derive(Serialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatusDto {
    Valid,
    Used,
    Void,
    /// Its order waits for the payment: it has a number but no code yet.
    PendingPayment,
}

impl From<TicketStatus> for TicketStatusDto {
    fn from(s: TicketStatus) -> Self {
        match s {
            TicketStatus::Valid => Self::Valid,
            TicketStatus::Used => Self::Used,
            TicketStatus::Void => Self::Void,
        }
    }
}

/// A slot's start and end.
pub type SlotWindow = (DateTime<Utc>, DateTime<Utc>);

impl OrderResponse {
    /// An online order still waiting for (or past) its payment: tickets with numbers and
    /// no codes.
    pub fn held(
        held: &aspk_app::HeldOrder,
        venue: Option<&Venue>,
        slots: &dyn Fn(&str) -> Option<SlotWindow>,
        payment_url: Option<String>,
        is_staff: bool,
    ) -> Self {
        use aspk_oplog::HoldStatus;
        let status = match held.status {
            HoldStatus::Pending | HoldStatus::Paid => OrderStatusDto::PendingPayment,
            HoldStatus::Released => OrderStatusDto::Expired,
            HoldStatus::Refused => OrderStatusDto::PaymentRefused,
        };
        let tickets = held
            .seats
            .iter()
            .map(|seat| {
                let (from, until) = seat
                    .slot
                    .as_deref()
                    .and_then(slots)
                    .unwrap_or((held.created_at, held.expires_at));
                TicketDto {
                    number: number(seat.serial),
                    number_display: number_display(seat.serial),
                    code: None,
                    product: seat.product.to_string(),
                    slot: seat.slot.clone(),
                    status: match status {
                        OrderStatusDto::PendingPayment => TicketStatusDto::PendingPayment,
                        _ => TicketStatusDto::Void,
                    },
                    valid_from: local(venue, from),
                    valid_until: local(venue, until),
                    price_minor: seat.price_minor,
                    entries: Vec::new(),
                }
            })
            .collect();
        Self {
            number: number(held.number),
            number_display: number_display(held.number),
            venue: held.venue.to_string(),
            channel: Channel::Online,
            status,
            total_minor: held.total_minor,
            currency: held.currency.as_str().to_owned(),
            hold_expires_at: (status == OrderStatusDto::PendingPayment)
                .then(|| local(venue, held.expires_at)),
            payment_url: payment_url.filter(|_| status == OrderStatusDto::PendingPayment),
            email: held
                .email
                .as_ref()
                .filter(|_| is_staff)
                .map(|e| e.as_str().to_owned()),
            created_at: local(venue, held.created_at),
            created_by: None,
            cancel_reason: held.reason.clone(),
            tickets,
            payments: Vec::new(),
            entries: Vec::new(),
            drill: None,
        }
    }
}
