//! Entering paper sales after an outage: "series А, 0120–0187, adult, cash" becomes one
//! paper order with the tickets' real time, in the cashier's shift. The visitors are inside
//! already, so capacity never refuses it (a slot pushed over becomes an `oversell` finding);
//! a number entered before is refused, naming the earlier entry.

use aspk_domain::{
    format_ranges, parse_numbers, parse_series, Channel, ConflictCode, Payment, PaymentMethod,
    ProductValidity, Slug, StockBatch,
};
use aspk_oplog::{OpBody, OrderPlaced, PaperSale, State, TicketIssued};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::access::Action;
use crate::catalog::local_day_bounds;
use crate::sell::fresh_serial;
use crate::{AppError, Node, NodeRole, Principal};

/// What the cashier typed.
#[derive(Debug, Clone)]
pub struct PaperEntry {
    /// Needed only when the series exists at several venues.
    pub venue: Option<String>,
    pub series: String,
    pub numbers: String,
    pub product: Option<String>,
    pub slot: Option<String>,
    /// The day the tickets were for, when no slot is given (default: the day sold).
    pub day: Option<NaiveDate>,
    pub payment: PaymentMethod,
    /// When they were sold (default: when the numbers were issued to the cashier, or now).
    pub sold_at: Option<DateTime<Utc>>,
}

/// What was entered.
#[derive(Debug, Clone)]
pub struct PaperEntered {
    pub order: u64,
    pub entered: u32,
    pub total_minor: i64,
    pub currency: aspk_domain::Currency,
    pub numbers: String,
    /// The slot and its figures after the entry (capacity, sold), when there is one.
    pub slot: Option<(String, u32, u32)>,
}

/// A paper sale that took a number before: what a refusal names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierEntry {
    /// The number asked for again, as printed ("А 0005").
    pub label: String,
    pub order: u64,
    /// What that entry named ("А 0001–0010").
    pub numbers: String,
    pub sold_at: DateTime<Utc>,
    /// Who entered it (`user:NAME`).
    pub by: String,
}

impl EarlierEntry {
    /// The sale that took number `n` of `batch`, if one did.
    fn of(state: &State, batch: &StockBatch, n: u32) -> Option<EarlierEntry> {
        let order = state.tickets().order_of(&batch.serial_of(n))?;
        let o = state.orders().get(&order)?;
        Some(EarlierEntry {
            label: batch.label(n),
            order,
            numbers: state
                .paper_sale_of(order)
                .map_or_else(|| order.to_string(), |p| p.numbers),
            sold_at: o.created_at,
            by: o.created_by.unwrap_or_default(),
        })
    }
}

/// How far ahead of this node's clock a sale time may lie (clocks drift).
const FUTURE_MARGIN_MINUTES: i64 = 5;

impl Node {
    /// Enters a paper sale. All or nothing: a number outside the series' batches, voided,
    /// spoilt or entered before refuses the whole entry.
    pub async fn enter_paper_sale(
        &self,
        who: &Principal,
        entry: PaperEntry,
    ) -> Result<PaperEntered, AppError> {
        who.require_to(Action::EnterPaperSales)?;
        if self.role() == NodeRole::Gate {
            return Err(AppError::Forbidden("sell at a gate"));
        }
        self.require_certificate()?;
        let series = parse_series(&entry.series)?;
        let ranges = parse_numbers(&entry.numbers)?;
        let now = self.now();
        if entry
            .sold_at
            .is_some_and(|t| t > now + Duration::minutes(FUTURE_MARGIN_MINUTES))
        {
            return Err(AppError::invalid("sold_at", "lies in the future"));
        }
        let actor = who.actor();
        let node = self.clone();
        self.submit(move |batch| {
            let placed = node.decide_paper(batch.state(), &entry, &series, &ranges, &actor, now)?;
            let entered = PaperEntered {
                order: placed.number,
                entered: placed.tickets.len() as u32,
                total_minor: placed.total_minor,
                currency: placed.currency,
                numbers: placed
                    .paper
                    .as_ref()
                    .map(|p| p.numbers.clone())
                    .unwrap_or_default(),
                slot: None,
            };
            let slot_id = placed.tickets.first().and_then(|t| t.slot.clone());
            batch.record(&actor, vec![OpBody::OrderPlaced(placed)]);
            let slot = slot_id.and_then(|id| {
                let s = batch.state().slots().get(&id)?;
                Some((id, s.slot.capacity, s.sold))
            });
            Ok(PaperEntered { slot, ..entered })
        })
        .await
    }

    /// The first of `numbers` of `series` a sale took before (for a refusal to name it).
    pub fn earlier_paper_entry(
        &self,
        venue: Option<&str>,
        series: &str,
        numbers: &str,
    ) -> Option<EarlierEntry> {
        let series = parse_series(series).ok()?;
        let ranges = parse_numbers(numbers).ok()?;
        self.read(|state| {
            let batches = series_batches(state, venue, &series).ok()?;
            ranges.iter().flat_map(|&(lo, hi)| lo..=hi).find_map(|n| {
                let batch = batches.iter().find(|b| b.contains(n))?;
                EarlierEntry::of(state, batch, n)
            })
        })
    }

    fn decide_paper(
        &self,
        state: &State,
        entry: &PaperEntry,
        series: &str,
        ranges: &[(u32, u32)],
        seller: &str,
        now: DateTime<Utc>,
    ) -> Result<OrderPlaced, AppError> {
        let batches = series_batches(state, entry.venue.as_deref(), series)?;
        let venue_id = batches[0].venue.clone();
        let venue = state
            .venues()
            .get(&venue_id)
            .ok_or_else(|| AppError::NotFound {
                what: "venue",
                id: venue_id.to_string(),
            })?;
        // Every number: its batch, unsold, not voided or spoilt.
        let mut numbered: Vec<(&StockBatch, u32)> = Vec::new();
        for &(lo, hi) in ranges {
            for n in lo..=hi {
                let batch =
                    batches
                        .iter()
                        .find(|b| b.contains(n))
                        .ok_or_else(|| AppError::Conflict {
                            code: ConflictCode::StockUnavailable,
                            detail: format!("{series} {n} is in no batch of series {series}"),
                        })?;
                numbered.push((batch, n));
            }
        }
        let drill = state
            .drills()
            .running(venue_id.as_str())
            .map(|d| d.id.clone());
        check_drill_stock(&numbered, drill.as_deref())?;
        check_unsold(state, &numbered)?;
        let product = paper_product(state, &venue_id, entry, &numbered)?;
        let sold_at = entry
            .sold_at
            .or_else(|| issued_at(state, &numbered))
            .unwrap_or(now);
        let (slot, valid_from, valid_until, valid_days) = match (&product.validity, &entry.slot) {
            (_, Some(id)) => {
                let slot = state
                    .slots()
                    .get(id)
                    .filter(|s| s.slot.venue == venue_id)
                    .ok_or_else(|| AppError::UnknownReference {
                        field: "slot",
                        what: "slot",
                        id: id.clone(),
                    })?;
                (
                    Some(id.clone()),
                    slot.slot.starts_at,
                    slot.slot.ends_at,
                    None,
                )
            }
            (ProductValidity::OpenDate { first, last }, None) => {
                let (from, _) = local_day_bounds(venue, *first);
                let (_, until) = local_day_bounds(venue, *last);
                (None, from, until, Some((*first, *last)))
            }
            (ProductValidity::Timed, None) => {
                let day = entry
                    .day
                    .unwrap_or_else(|| sold_at.with_timezone(&venue.tz()).date_naive());
                let (from, until) = local_day_bounds(venue, day);
                (None, from, until, Some((day, day)))
            }
        };
        let tickets: Vec<TicketIssued> = numbered
            .iter()
            .map(|(batch, n)| TicketIssued {
                serial: batch.serial_of(*n),
                product: product.id.clone(),
                slot: slot.clone(),
                valid_from,
                valid_until,
                valid_days,
                price_minor: product.price_minor,
                // Paper tickets carry the code printed on them (signed with the stock key);
                // gates check it by its signature.
                code: String::new(),
            })
            .collect();
        let total_minor = product.price_minor * tickets.len() as i64;
        let shift = state.open_shift(seller).map(|s| s.id.clone());
        let mut rng = rand::thread_rng();
        let number = fresh_serial(&mut rng, self.issuer().serials, |n| {
            state.order_number_taken(n)
        });
        let mut ids: Vec<String> = numbered.iter().map(|(b, _)| b.id.clone()).collect();
        ids.dedup();
        let width = numbered.first().map_or(4, |(b, _)| b.width);
        Ok(OrderPlaced {
            number,
            venue: venue_id.clone(),
            channel: Channel::Paper,
            email: None,
            tickets,
            payments: vec![Payment {
                method: entry.payment,
                amount_minor: total_minor,
                at: sold_at,
                shift: None,
                reference: None,
            }],
            total_minor,
            currency: venue.currency,
            is_overbooking: false,
            shift,
            name: None,
            idempotency_key: None,
            paper: Some(PaperSale {
                batches: ids,
                series: series.to_owned(),
                numbers: format!("{series} {}", format_ranges(ranges, width)),
                sold_at,
            }),
            drill,
        })
    }
}

/// In a drill only the drill's stock is sold, and outside one no drill's stock.
fn check_drill_stock(numbered: &[(&StockBatch, u32)], drill: Option<&str>) -> Result<(), AppError> {
    match numbered.iter().find(|(b, _)| b.drill.as_deref() != drill) {
        None => Ok(()),
        Some((batch, n)) => Err(AppError::Conflict {
            code: ConflictCode::DrillStock,
            detail: match drill {
                Some(_) => format!(
                    "{} is real stock: a drill sells only its own",
                    batch.label(*n)
                ),
                None => format!(
                    "{} is a drill's stock: it is not sold for real",
                    batch.label(*n)
                ),
            },
        }),
    }
}

/// The batches of `series`, at `venue` when given; the series must be at one venue.
fn series_batches<'a>(
    state: &'a State,
    venue: Option<&str>,
    series: &str,
) -> Result<Vec<&'a StockBatch>, AppError> {
    let all: Vec<&StockBatch> = state
        .stock()
        .batches()
        .filter(|b| b.series == series && venue.is_none_or(|v| b.venue.as_str() == v))
        .collect();
    let Some(first) = all.first() else {
        return Err(AppError::Conflict {
            code: ConflictCode::StockUnavailable,
            detail: format!("there is no paper stock of series {series}"),
        });
    };
    if all.iter().any(|b| b.venue != first.venue) {
        return Err(AppError::invalid(
            "venue",
            format!("series {series} is stocked at several venues: name the venue"),
        ));
    }
    Ok(all)
}

/// Refuses numbers sold before (naming the earlier entry), voided or spoilt.
fn check_unsold(state: &State, numbered: &[(&StockBatch, u32)]) -> Result<(), AppError> {
    let mut reports = std::collections::HashMap::new();
    for (batch, n) in numbered {
        if let Some(e) = EarlierEntry::of(state, batch, *n) {
            return Err(AppError::Conflict {
                code: ConflictCode::StockEntered,
                detail: format!(
                    "{} was entered before: order {} ({}), sold {} by {}",
                    e.label,
                    aspk_ticket::HumanNumber::from_serial(e.order).digits(),
                    e.numbers,
                    e.sold_at.format("%d.%m.%Y %H:%M UTC"),
                    e.by.trim_start_matches("user:"),
                ),
            });
        }
        let report = reports
            .entry(batch.id.clone())
            .or_insert_with(|| state.stock_report(&batch.id));
        let st = report
            .as_ref()
            .map(|r| r.states[(*n - batch.first) as usize]);
        let why = match st {
            Some(aspk_oplog::NumberState::Voided) => Some("is voided (lost or stolen)"),
            Some(aspk_oplog::NumberState::Spoilt) => Some("is spoilt"),
            _ => None,
        };
        if let Some(why) = why {
            return Err(AppError::Conflict {
                code: ConflictCode::StockUnavailable,
                detail: format!("{} {why}: it cannot be sold", batch.label(*n)),
            });
        }
    }
    Ok(())
}

/// The product sold: the batch's own, or the one the cashier chose (any category).
fn paper_product<'a>(
    state: &'a State,
    venue: &Slug,
    entry: &PaperEntry,
    numbered: &[(&StockBatch, u32)],
) -> Result<&'a aspk_domain::Product, AppError> {
    let fixed = numbered.iter().find_map(|(b, _)| b.product.clone());
    let asked = entry
        .product
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let id = match (asked, &fixed) {
        (Some(a), Some(f)) if a != f.as_str() => {
            return Err(AppError::invalid(
                "product",
                format!("these numbers admit '{f}' only"),
            ))
        }
        (Some(a), _) => a.to_owned(),
        (None, Some(f)) => f.to_string(),
        (None, None) => return Err(AppError::invalid("product", "choose the category sold")),
    };
    let slug = Slug::parse("product", &id)?;
    if numbered
        .iter()
        .any(|(b, _)| b.product.as_ref().is_some_and(|p| p != &slug))
    {
        return Err(AppError::invalid(
            "numbers",
            "the numbers are of batches for different products: enter them apart",
        ));
    }
    state
        .products()
        .get(&(venue.clone(), slug))
        .ok_or_else(|| AppError::UnknownReference {
            field: "product",
            what: "product",
            id,
        })
}

/// When the first number was issued to a cashier (the sale cannot be earlier).
fn issued_at(state: &State, numbered: &[(&StockBatch, u32)]) -> Option<DateTime<Utc>> {
    let (batch, n) = numbered.first()?;
    state
        .stock()
        .ledger(&batch.id)
        .iter()
        .filter(|l| {
            l.movement.kind == aspk_domain::StockMoveKind::Issued
                && (l.movement.first..=l.movement.last).contains(n)
        })
        .map(|l| aspk_oplog::Hlc(l.hlc).to_datetime())
        .max()
}
