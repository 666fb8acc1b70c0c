//! The catalog: venues, products and timed slots.

use aspk_domain::{Product, Slot, Slug, Venue};
use aspk_oplog::{OpBody, SlotState, State};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::access::Action;
use crate::{AppError, Node, Principal};

/// What a venue sells on one day.
#[derive(Debug, Clone)]
pub struct CatalogView {
    pub venue: Venue,
    pub date: NaiveDate,
    pub products: Vec<Product>,
    pub slots: Vec<SlotState>,
}

#[derive(Debug, Clone)]
pub struct NewSlot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: u32,
}

/// The UTC instants of a venue's local day `[start, end)`.
pub fn local_day_bounds(venue: &Venue, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let tz = venue.tz();
    let at_midnight = |d: NaiveDate| {
        let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
    };
    (
        at_midnight(date),
        at_midnight(date.succ_opt().unwrap_or(date)),
    )
}

/// The date `now` falls on in the venue's time zone.
pub fn local_today(venue: &Venue, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&venue.tz()).date_naive()
}

pub(crate) fn venue_of<'a>(state: &'a State, venue: &str) -> Result<&'a Venue, AppError> {
    Slug::parse("venue", venue)
        .ok()
        .and_then(|id| state.venues().get(&id))
        .ok_or_else(|| AppError::NotFound {
            what: "venue",
            id: venue.to_owned(),
        })
}

impl Node {
    /// One slot, with what is sold of it.
    pub fn slot(&self, id: &str) -> Option<SlotState> {
        self.read(|s| s.slots().get(id).cloned())
    }

    /// A venue by its id.
    pub fn venue(&self, id: &str) -> Option<Venue> {
        let id = Slug::parse("venue", id).ok()?;
        self.read(|s| s.venues().get(&id).cloned())
    }

    /// Today's date at `venue` (in its time zone); the UTC date for an unknown venue.
    pub fn today_at(&self, venue: &str) -> NaiveDate {
        let now = self.now();
        self.venue(venue)
            .map(|v| local_today(&v, now))
            .unwrap_or_else(|| now.date_naive())
    }

    /// The venue a till sells for: the one asked for if it exists, else the first.
    pub fn venue_or_first(&self, asked: Option<&str>) -> Option<String> {
        self.read(|s| {
            asked
                .and_then(|a| Slug::parse("venue", a).ok())
                .filter(|id| s.venues().contains_key(id))
                .or_else(|| s.venues().keys().next().cloned())
                .map(|id| id.as_str().to_owned())
        })
    }

    /// Products on sale and the slots running on `date` (default: today in the venue's zone),
    /// including one that began the evening before and is still on.
    pub fn catalog(&self, venue: &str, date: Option<NaiveDate>) -> Result<CatalogView, AppError> {
        self.read(|state| {
            let venue = venue_of(state, venue)?.clone();
            let date = date.unwrap_or_else(|| local_today(&venue, self.now()));
            let (from, to) = local_day_bounds(&venue, date);
            let products = state
                .products_of(&venue.id)
                .filter(|p| p.is_on_sale)
                .cloned()
                .collect();
            // Closed slots are not sold: the box office and the shop do not offer them.
            let slots = state
                .slots_overlapping(&venue.id, from, to)
                .filter(|s| s.is_on_sale())
                .cloned()
                .collect();
            Ok(CatalogView {
                venue,
                date,
                products,
                slots,
            })
        })
    }

    /// Adds a timed slot to a venue (admin or manager).
    pub async fn create_slot(
        &self,
        who: &Principal,
        venue: &str,
        new: NewSlot,
    ) -> Result<SlotState, AppError> {
        who.require_to(Action::CreateSlots)?;
        self.require_authority("create slots")?;
        let venue = venue.to_owned();
        let actor = who.actor();
        self.submit(move |batch| {
            let v = venue_of(batch.state(), &venue)?;
            let id = slot_id(batch.state(), v, new.starts_at);
            let slot = Slot {
                venue: v.id.clone(),
                id: id.clone(),
                starts_at: new.starts_at,
                ends_at: new.ends_at,
                capacity: new.capacity,
            };
            slot.validate()?;
            batch.record(&actor, vec![OpBody::SlotCreated(slot)]);
            batch
                .state()
                .slots()
                .get(&id)
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("slot vanished")))
        })
        .await
    }

    /// Creates or replaces a venue (admin). Its `no` is assigned on creation.
    pub async fn save_venue(&self, who: &Principal, mut venue: Venue) -> Result<Venue, AppError> {
        who.require_to(Action::ChangeVenues)?;
        self.require_authority("change venues")?;
        venue.validate()?;
        let actor = who.actor();
        self.submit(move |batch| {
            let state = batch.state();
            venue.no = match state.venues().get(&venue.id) {
                Some(existing) => existing.no,
                None => state
                    .venues()
                    .values()
                    .map(|v| v.no)
                    .max()
                    .unwrap_or(0)
                    .checked_add(1)
                    .ok_or_else(|| AppError::invalid("venue", "too many venues"))?,
            };
            batch.record(&actor, vec![OpBody::VenueSaved(venue.clone())]);
            Ok(venue)
        })
        .await
    }

    /// Creates or replaces a product of a venue (admin or manager). Its `no` is assigned on creation.
    pub async fn save_product(
        &self,
        who: &Principal,
        mut product: Product,
    ) -> Result<Product, AppError> {
        who.require_to(Action::ChangeProducts)?;
        self.require_authority("change products")?;
        product.validate()?;
        let actor = who.actor();
        self.submit(move |batch| {
            let state = batch.state();
            let venue = venue_of(state, product.venue.as_str())?;
            product.currency = venue.currency;
            let key = (product.venue.clone(), product.id.clone());
            product.no = match state.products().get(&key) {
                Some(existing) => existing.no,
                None => state
                    .products_of(&venue.id)
                    .map(|p| p.no)
                    .max()
                    .unwrap_or(0)
                    .checked_add(1)
                    .ok_or_else(|| AppError::invalid("product", "too many products"))?,
            };
            product.shortcut = shortcut_for(state, &product)?;
            batch.record(&actor, vec![OpBody::ProductSaved(product.clone())]);
            Ok(product)
        })
        .await
    }
}

/// The box-office digit of each product of a venue, in the order given: its own, or (for
/// a product saved before shortcuts existed) the lowest digit free, in the order products
/// were created. Digits run 1…9, then 0; the products beyond ten have none.
pub fn shortcuts(products: &[&Product]) -> Vec<Option<u8>> {
    let mut taken: Vec<u8> = products.iter().filter_map(|p| p.shortcut).collect();
    let mut keyless: Vec<(u16, usize)> = products
        .iter()
        .enumerate()
        .filter(|(_, p)| p.shortcut.is_none())
        .map(|(i, p)| (p.no, i))
        .collect();
    keyless.sort_unstable();
    let mut out: Vec<Option<u8>> = products.iter().map(|p| p.shortcut).collect();
    for (_, i) in keyless {
        let free = SHORTCUT_ORDER.into_iter().find(|d| !taken.contains(d));
        if let Some(digit) = free {
            taken.push(digit);
            out[i] = Some(digit);
        }
    }
    out
}

/// The order digits are given out in: the top row of the keyboard, left to right.
const SHORTCUT_ORDER: [u8; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];

/// The shortcut `product` keeps when saved: the one asked for (refused if another product
/// of the venue has it), else the one it had, else the lowest digit free.
fn shortcut_for(state: &State, product: &Product) -> Result<Option<u8>, AppError> {
    let others: Vec<&Product> = state
        .products_of(&product.venue)
        .filter(|p| p.id != product.id)
        .collect();
    let mut all = others.clone();
    let existing = state
        .products()
        .get(&(product.venue.clone(), product.id.clone()));
    if let Some(existing) = existing {
        all.push(existing);
    }
    let keys = shortcuts(&all);
    let taken: Vec<u8> = keys[..others.len()].iter().flatten().copied().collect();
    match product.shortcut {
        Some(digit) if taken.contains(&digit) => Err(AppError::invalid(
            "shortcut",
            format!("the key {digit} belongs to another product"),
        )),
        Some(digit) => Ok(Some(digit)),
        None => Ok(existing
            .is_some()
            .then(|| keys.last().copied().flatten())
            .flatten()
            .or_else(|| SHORTCUT_ORDER.into_iter().find(|d| !taken.contains(d)))),
    }
}

/// A readable, unique slot id: `demo-20261127-1000`, with a suffix if that start is taken.
pub(crate) fn slot_id(state: &State, venue: &Venue, starts_at: DateTime<Utc>) -> String {
    let local = starts_at.with_timezone(&venue.tz());
    let base = format!("{}-{}", venue.id, local.format("%Y%m%d-%H%M"));
    if !state.slots().contains_key(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !state.slots().contains_key(id))
        .unwrap_or(base)
}
