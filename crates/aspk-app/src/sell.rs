//! Selling: an order of one or more items becomes signed tickets, all or nothing.

use std::collections::BTreeMap;

use aspk_domain::{
    Channel, ConflictCode, Email, Order, Payment, PaymentMethod, Product, ProductValidity, Slug,
    Ticket, Venue,
};
use aspk_oplog::{OpBody, OrderPlaced, State, TicketIssued};
use aspk_ticket::{issue, IssuerKey, TicketClaims, Validity};
use chrono::{DateTime, NaiveDate, Utc};

use crate::access::Action;
use crate::catalog::{local_day_bounds, venue_of};
use crate::keys::check_key_covers;
use crate::{AppError, Node, NodeRole, Principal};

pub const MAX_ITEMS: usize = 20;
pub const MAX_QUANTITY: u32 = 50;
pub const MAX_TICKETS_PER_ORDER: u32 = 100;

#[derive(Debug, Clone)]
pub struct NewOrderItem {
    pub product: String,
    pub slot: Option<String>,
    pub quantity: u32,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub venue: String,
    pub channel: Channel,
    pub items: Vec<NewOrderItem>,
    pub payment: PaymentMethod,
    pub email: Option<String>,
    /// Sell beyond capacity on purpose (managers only); recorded as such.
    pub is_overbooking: bool,
    /// A mixed payment: this much in cash, the rest by card (`payment` is then ignored).
    pub mixed_cash_minor: Option<i64>,
    /// The cash the visitor handed over, when the cashier typed it: it must cover the cash
    /// due (the whole total, or a mixed payment's cash part). Card takes the exact amount.
    pub cash_received_minor: Option<i64>,
    /// The visitor's name, when the shop asks for it (for finding the order later).
    pub name: Option<String>,
    /// Identifies this sale attempt (1 to 64 letters, digits, `-` or `_`): the same
    /// attempt again finds the order it made instead of selling twice.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PlacedOrder {
    pub order: Order,
    pub tickets: Vec<Ticket>,
    /// The tickets' codes by serial.
    pub codes: std::collections::HashMap<u64, String>,
    /// The order an earlier attempt with the same idempotency key made: nothing was sold now.
    pub is_replay: bool,
}

/// What deciding a sale came to.
enum Sale {
    New(Box<PlacedOrder>),
    /// The attempt was made before and made this order.
    Replay(u64),
}

fn check_idempotency_key(key: &str) -> Result<(), AppError> {
    let ok = (1..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "idempotency_key",
            "must be 1 to 64 letters, digits, '-' or '_'",
        ))
    }
}

impl NewOrder {
    pub(crate) fn check_shape(&self) -> Result<Option<Email>, AppError> {
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(AppError::invalid(
                "items",
                format!("must hold 1 to {MAX_ITEMS} items"),
            ));
        }
        let mut total = 0u32;
        for item in &self.items {
            if item.quantity == 0 || item.quantity > MAX_QUANTITY {
                return Err(AppError::invalid(
                    "quantity",
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            }
            total += item.quantity;
        }
        if total > MAX_TICKETS_PER_ORDER {
            return Err(AppError::invalid(
                "items",
                format!("an order may hold at most {MAX_TICKETS_PER_ORDER} tickets"),
            ));
        }
        if self.channel == Channel::Paper {
            return Err(AppError::invalid(
                "channel",
                "paper stock is entered through the paper import, not as an order",
            ));
        }
        if let Some(key) = &self.idempotency_key {
            check_idempotency_key(key)?;
        }
        if let Some(name) = &self.name {
            if name.trim().chars().count() > 200 || name.chars().any(char::is_control) {
                return Err(AppError::invalid(
                    "name",
                    "must be at most 200 characters of text",
                ));
            }
        }
        self.email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(AppError::from)
    }
}

/// Who may sell through which channel: the box office needs a cashier, manager or admin;
/// overbooking needs a manager or admin; online orders need nobody.
fn check_seller(who: Option<&Principal>, order: &NewOrder) -> Result<(), AppError> {
    if order.channel == Channel::BoxOffice {
        who.ok_or(AppError::Unauthenticated)?
            .require_to(Action::Sell)?;
    }
    if order.is_overbooking {
        who.ok_or(AppError::Forbidden("overbook a slot"))?
            .require_to(Action::Overbook)?;
    }
    Ok(())
}

/// One ticket to issue, resolved against the catalog.
pub(crate) struct Line<'a> {
    pub(crate) product: &'a Product,
    pub(crate) slot: Option<&'a aspk_oplog::SlotState>,
}

impl Node {
    /// Seats of `slot` this node may sell now. A site node may be cut off at any moment, so
    /// it sells only from its lease; the cloud sells what no lease covers; a gate never sells.
    pub fn seats_for_sale(&self, slot: &aspk_oplog::SlotState) -> u32 {
        match self.role() {
            NodeRole::SiteNode => slot.lease_left(self.origin()).unwrap_or(0),
            // Seats held for online orders waiting for payment are not for sale.
            NodeRole::Cloud => slot.available_at(self.origin(), self.now(), None),
            NodeRole::Gate => 0,
        }
    }

    /// Places an order: checks everything, takes the seats, signs the tickets, and returns
    /// once the order is durable. Either every ticket is issued or none (409 when short).
    pub async fn place_order(
        &self,
        who: Option<&Principal>,
        new: NewOrder,
    ) -> Result<PlacedOrder, AppError> {
        if self.role() == NodeRole::Gate {
            return Err(AppError::Forbidden("sell at a gate"));
        }
        self.require_certificate()?;
        let email = new.check_shape()?;
        check_seller(who, &new)?;
        let actor = who
            .map(Principal::actor)
            .unwrap_or_else(|| "visitor".to_owned());
        let node = self.clone();
        let sale = self
            .submit(move |batch| {
                let key = new.idempotency_key.as_deref();
                if let Some(number) = key.and_then(|k| batch.state().order_by_sale_key(k)) {
                    return Ok(Sale::Replay(number));
                }
                let mut placed = node.decide_order(batch.state(), &new, email, &actor)?;
                placed.idempotency_key = new.idempotency_key.clone();
                let number = placed.number;
                let codes = placed
                    .tickets
                    .iter()
                    .map(|t| (t.serial, t.code.clone()))
                    .collect();
                // The visitor's contact travels apart from the sale: gates get the sale only.
                let (email, name) = (placed.email.take(), placed.name.take());
                let mut ops = vec![OpBody::OrderPlaced(placed)];
                if email.is_some() || name.is_some() {
                    ops.push(OpBody::OrderContact {
                        number,
                        email,
                        name,
                        phone: None,
                    });
                }
                batch.record(&actor, ops);
                let state = batch.state();
                let order = state
                    .orders()
                    .get(&number)
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))?;
                let tickets = order
                    .tickets
                    .iter()
                    .filter_map(|s| state.tickets().get(s))
                    .collect();
                Ok(Sale::New(Box::new(PlacedOrder {
                    order,
                    tickets,
                    codes,
                    is_replay: false,
                })))
            })
            .await?;
        match sale {
            Sale::New(placed) => Ok(*placed),
            Sale::Replay(number) => self.placed_order(number).await,
        }
    }

    /// An order already placed, as [`Node::place_order`] returns one.
    pub(crate) async fn placed_order(&self, number: u64) -> Result<PlacedOrder, AppError> {
        let found = self.read(|s| {
            let order = s.orders().get(&number)?;
            let tickets: Vec<Ticket> = order
                .tickets
                .iter()
                .filter_map(|t| s.tickets().get(t))
                .collect();
            Some((order, tickets))
        });
        let (order, tickets) = found.ok_or_else(|| AppError::NotFound {
            what: "order",
            id: number.to_string(),
        })?;
        let codes = self.ticket_codes(&order.tickets).await?;
        Ok(PlacedOrder {
            order,
            tickets,
            codes,
            is_replay: true,
        })
    }

    fn decide_order(
        &self,
        state: &State,
        new: &NewOrder,
        email: Option<Email>,
        seller: &str,
    ) -> Result<OrderPlaced, AppError> {
        let venue = venue_of(state, &new.venue)?;
        let now = self.now();
        let mut lines = Vec::new();
        let mut per_slot: BTreeMap<&str, u32> = BTreeMap::new();
        for item in &new.items {
            let line = resolve_line(state, venue, item, now)?;
            if let Some(slot) = line.slot {
                *per_slot.entry(slot.slot.id.as_str()).or_default() += item.quantity;
            }
            lines.extend(std::iter::repeat_n(line, item.quantity as usize));
        }
        if !new.is_overbooking {
            for (id, requested) in &per_slot {
                let slot = &state.slots()[*id];
                // A site node may be cut off at any moment: it sells only from its lease.
                let available = self.seats_for_sale(slot);
                if *requested > available {
                    let starts = slot.slot.starts_at.with_timezone(&venue.tz());
                    let is_lease = self.role() == NodeRole::SiteNode;
                    return Err(AppError::sold_out(
                        id,
                        &starts.format("%d.%m %H:%M").to_string(),
                        *requested,
                        available,
                        is_lease,
                    ));
                }
            }
        }
        // The payment is checked before any ticket is signed (signing is the costly part).
        let total_minor: i64 = lines.iter().map(|l| l.product.price_minor).sum();
        let payments = payments_for(new, total_minor, now)?;
        check_cash_received(new, &payments)?;
        let mut rng = rand::thread_rng();
        // One key and serial block for the whole order (a renewal may swap them meanwhile).
        let issuer = self.issuer();
        let range = issuer.serials;
        let number = fresh_serial(&mut rng, range, |n| state.order_number_taken(n));
        // An order's tickets take a run of serials from a random start: as hard to guess as
        // one random serial, and the order keeps "first serial and count" instead of a list.
        let first = fresh_run(&mut rng, range, lines.len() as u64, |n| {
            state.serial_taken(n)
        });
        let mut tickets: Vec<TicketIssued> = Vec::with_capacity(lines.len());
        for (serial, line) in (first..).zip(&lines) {
            tickets.push(issue_ticket(state, &issuer.key, venue, line, serial)?);
        }
        let name = new
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        // A box-office sale belongs to the seller's open cash shift, when there is one.
        let shift = (new.channel == Channel::BoxOffice)
            .then(|| state.open_shift(seller))
            .flatten()
            .map(|s| s.id.clone());
        // While a drill runs at the venue, the box office sells in it.
        let drill = (new.channel == Channel::BoxOffice)
            .then(|| state.drills().running(venue.id.as_str()))
            .flatten()
            .map(|d| d.id.clone());
        Ok(OrderPlaced {
            number,
            venue: venue.id.clone(),
            channel: new.channel,
            email,
            tickets,
            payments,
            total_minor,
            currency: venue.currency,
            is_overbooking: new.is_overbooking,
            shift,
            name,
            idempotency_key: None,
            paper: None,
            drill,
        })
    }
}

/// One ticket of an order: its claims, signed with `key` (if the key covers them).
pub(crate) fn issue_ticket(
    state: &State,
    key: &IssuerKey,
    venue: &Venue,
    line: &Line<'_>,
    serial: u64,
) -> Result<TicketIssued, AppError> {
    let (valid_from, valid_until, valid_days, validity) = match (line.product.validity, line.slot) {
        (ProductValidity::OpenDate { first, last }, _) => {
            let (from, _) = local_day_bounds(venue, first);
            let (_, until) = local_day_bounds(venue, last);
            let days = Validity::Days {
                first_day: epoch_day(first),
                last_day: epoch_day(last),
            };
            (from, until, Some((first, last)), days)
        }
        (ProductValidity::Timed, Some(slot)) => {
            let (from, until) = (slot.slot.starts_at, slot.slot.ends_at);
            (
                from,
                until,
                None,
                Validity::Window {
                    from_unix: from.timestamp(),
                    until_unix: until.timestamp(),
                },
            )
        }
        (ProductValidity::Timed, None) => {
            return Err(AppError::invalid("slot", "a timed product needs a slot"))
        }
    };
    check_key_covers(state, key.key_id, &validity)?;
    let claims = TicketClaims {
        serial,
        venue: venue.no,
        product: line.product.no,
        validity,
        needs_document_check: line.product.needs_document_check(),
    };
    let code = issue(&claims, key)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("signing a ticket: {e}")))?;
    Ok(TicketIssued {
        serial,
        product: line.product.id.clone(),
        slot: line.slot.map(|s| s.slot.id.clone()),
        valid_from,
        valid_until,
        valid_days,
        price_minor: line.product.price_minor,
        code,
    })
}

/// The payments for `total_minor`: one by `new.payment`, or cash and card for a mixed one.
fn payments_for(
    new: &NewOrder,
    total_minor: i64,
    at: DateTime<Utc>,
) -> Result<Vec<Payment>, AppError> {
    let pay = |method, amount_minor| Payment {
        method,
        amount_minor,
        at,
        shift: None,
        reference: None,
    };
    match new.mixed_cash_minor {
        None => Ok(vec![pay(new.payment, total_minor)]),
        Some(cash) if cash <= 0 || cash >= total_minor => Err(AppError::invalid(
            "cash",
            "a mixed payment's cash part must be more than zero and less than the total",
        )),
        Some(cash) => Ok(vec![
            pay(PaymentMethod::Cash, cash),
            pay(PaymentMethod::Card, total_minor - cash),
        ]),
    }
}

/// Refuses cash handed over that does not cover the cash due: the drawer would be short.
fn check_cash_received(new: &NewOrder, payments: &[Payment]) -> Result<(), AppError> {
    let Some(received) = new.cash_received_minor else {
        return Ok(());
    };
    let due: i64 = payments
        .iter()
        .filter(|p| p.method == PaymentMethod::Cash)
        .map(|p| p.amount_minor)
        .sum();
    if due > 0 && received < due {
        return Err(AppError::invalid(
            "tendered",
            format!("the cash handed over ({received}) is less than the cash due ({due})"),
        ));
    }
    Ok(())
}

pub(crate) fn resolve_line<'a>(
    state: &'a State,
    venue: &Venue,
    item: &NewOrderItem,
    now: DateTime<Utc>,
) -> Result<Line<'a>, AppError> {
    let unknown_product = || AppError::UnknownReference {
        field: "product",
        what: "product",
        id: item.product.clone(),
    };
    let product_id = Slug::parse("product", &item.product).map_err(|_| unknown_product())?;
    let product = state
        .products()
        .get(&(venue.id.clone(), product_id))
        .filter(|p| p.is_on_sale)
        .ok_or_else(unknown_product)?;
    let slot = match (&product.validity, item.slot.as_deref()) {
        (ProductValidity::Timed, None) => {
            return Err(AppError::invalid(
                "slot",
                format!("product '{}' is sold for a slot: give one", product.id),
            ))
        }
        (ProductValidity::OpenDate { .. }, Some(_)) => {
            return Err(AppError::invalid(
                "slot",
                format!(
                    "product '{}' is an open-date ticket: give no slot",
                    product.id
                ),
            ))
        }
        (ProductValidity::OpenDate { last, .. }, None) => {
            if local_day_bounds(venue, *last).1 <= now {
                return Err(AppError::Conflict {
                    code: ConflictCode::NotOnSale,
                    detail: format!("product '{}' is no longer valid", product.id),
                });
            }
            None
        }
        (ProductValidity::Timed, Some(id)) => {
            let slot = state
                .slots()
                .get(id)
                .filter(|s| s.slot.venue == venue.id)
                .ok_or_else(|| AppError::UnknownReference {
                    field: "slot",
                    what: "slot",
                    id: id.to_owned(),
                })?;
            if slot.slot.ends_at <= now {
                return Err(AppError::Conflict {
                    code: ConflictCode::SlotOver,
                    detail: format!("slot '{id}' has already ended"),
                });
            }
            if !slot.is_on_sale() {
                return Err(AppError::Conflict {
                    code: ConflictCode::SlotClosed,
                    detail: format!("slot '{id}' is closed to sales"),
                });
            }
            Some(slot)
        }
    };
    Ok(Line { product, slot })
}

impl Clone for Line<'_> {
    fn clone(&self) -> Self {
        Line {
            product: self.product,
            slot: self.slot,
        }
    }
}

/// The first of `len` consecutive serials in this node's range `[lo, hi)`, from a random
/// start, none of which `taken` knows.
pub(crate) fn fresh_run(
    rng: &mut impl rand::Rng,
    (lo, hi): (u64, u64),
    len: u64,
    taken: impl Fn(u64) -> bool,
) -> u64 {
    let last_start = hi.saturating_sub(len.max(1)).max(lo);
    loop {
        let start = rng.gen_range(lo..=last_start);
        if !(start..start + len).any(&taken) {
            return start;
        }
    }
}

/// A random serial in this node's range `[lo, hi)` that `taken` does not know.
pub(crate) fn fresh_serial(
    rng: &mut impl rand::Rng,
    (lo, hi): (u64, u64),
    taken: impl Fn(u64) -> bool,
) -> u64 {
    loop {
        let n = rng.gen_range(lo..hi);
        if !taken(n) {
            return n;
        }
    }
}

pub(crate) fn epoch_day(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}
