//! Paper stock: a manager numbers a batch of pre-printed tickets, aspk signs their codes
//! with a stock key (only the cloud holds its secret; gates and phones verify with its
//! public key), prints them for the printing house, and keeps the ledger of every number:
//! issued to a cashier, returned, spoilt, voided, sold.

use aspk_domain::{
    parse_numbers, parse_series, ConflictCode, Slug, StockBatch, StockMove, StockMoveKind,
    Username, MAX_BATCH,
};
use aspk_oplog::{BatchReport, NumberState, OpBody, State, STOCK_HOLDER};
use aspk_ticket::{issue, IssuerKey, TicketClaims, Validity};
use chrono::NaiveDate;

use crate::access::Action;
use crate::catalog::venue_of;
use crate::node::free_serial_block;
use crate::sell::epoch_day;
use crate::{to_hex, AppError, Node, NodeRole, Principal};

/// What a manager asks for.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub venue: String,
    pub series: String,
    /// As typed: the width (leading zeros) is kept for printing.
    pub first: String,
    pub last: String,
    pub product: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

/// One printed ticket of a batch.
#[derive(Debug, Clone)]
pub struct StockTicket {
    pub number: u32,
    pub serial: u64,
    pub code: String,
}

/// A batch's figures: where its numbers are.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StockCounts {
    pub total: u32,
    pub in_stock: u32,
    pub with_cashiers: u32,
    pub sold: u32,
    pub spoilt: u32,
    pub voided: u32,
}

/// One cashier's paper stock: issued to them and not yet sold, returned, spoilt or voided
/// is what they must account for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CashierStock {
    pub batch: String,
    pub series: String,
    pub cashier: String,
    /// The numbers still with them, as ranges.
    pub in_hand: Vec<(u32, u32)>,
    pub in_hand_count: u32,
}

/// A batch with its figures.
#[derive(Debug, Clone)]
pub struct BatchSummary {
    pub batch: StockBatch,
    pub counts: StockCounts,
    pub cashiers: Vec<CashierStock>,
}

/// What signing a batch's codes needs from the state.
struct SigningFacts {
    batch: StockBatch,
    venue_no: u16,
    product_no: u16,
    needs_check: bool,
    published: Option<String>,
}

fn parse_number_text(field: &'static str, raw: &str) -> Result<(u32, u8), AppError> {
    let raw = raw.trim();
    let ok = (1..=9).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_digit());
    let n = raw.parse::<u32>().ok().filter(|_| ok);
    let n = n.ok_or_else(|| AppError::invalid(field, "must be a number of 1 to 9 digits"))?;
    Ok((n, raw.len() as u8))
}

impl NewBatch {
    fn check(&self) -> Result<(String, u32, u32, u8), AppError> {
        let series = parse_series(&self.series)?;
        let (first, w1) = parse_number_text("first", &self.first)?;
        let (last, w2) = parse_number_text("last", &self.last)?;
        if last < first {
            return Err(AppError::invalid(
                "last",
                "must not be below the first number",
            ));
        }
        if last - first >= MAX_BATCH {
            return Err(AppError::invalid(
                "last",
                format!("a batch holds at most {MAX_BATCH} numbers"),
            ));
        }
        match (self.valid_from, self.valid_until) {
            (Some(a), Some(b)) if b < a => {
                return Err(AppError::invalid(
                    "valid_until",
                    "must not be before valid_from",
                ))
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(AppError::invalid(
                    "valid_until",
                    "give both valid_from and valid_until, or neither (the slot is chosen at sale)",
                ))
            }
            _ => {}
        }
        Ok((series, first, last, w1.max(w2)))
    }
}

/// The stock key `key_id`: derived from this node's secret, so the same key signs a batch
/// again when it is printed again.
fn stock_key(secret: &[u8; 32], key_id: u16) -> IssuerKey {
    let mut input = secret.to_vec();
    input.extend_from_slice(&key_id.to_be_bytes());
    IssuerKey::from_bytes(
        key_id,
        &blake3::derive_key("aspk paper stock key v1", &input),
    )
}

/// The validity a batch's codes carry: its days, or any day (the slot is chosen at sale).
pub(crate) fn batch_validity(batch: &StockBatch) -> Validity {
    match (batch.valid_from, batch.valid_until) {
        (Some(a), Some(b)) => Validity::Days {
            first_day: epoch_day(a),
            last_day: epoch_day(b),
        },
        // The widest range a code can carry (to 2149).
        _ => Validity::Days {
            first_day: 0,
            last_day: i32::from(u16::MAX),
        },
    }
}

/// Where a new batch's serials go: its stock key, its first serial, and the block of a new
/// key to publish first (none: an existing key has room).
struct Placement {
    key_id: u16,
    serial_from: u64,
    new_block: Option<(u64, u64)>,
}

/// After the last batch in a stock key's block with room, or at the start of a new block
/// (and key) when none has room.
fn place_batch(state: &State, count: u32) -> Result<Placement, AppError> {
    let book = state.stock();
    for (key_id, meta) in state.key_meta() {
        if meta.holder.as_deref() != Some(STOCK_HOLDER) {
            continue;
        }
        let Some((lo, hi)) = meta.serials else {
            continue;
        };
        let next = book
            .batches()
            .filter(|b| b.key_id == *key_id)
            .map(|b| b.serial_from + u64::from(b.count()))
            .max()
            .unwrap_or(lo);
        if next + u64::from(count) <= hi {
            return Ok(Placement {
                key_id: *key_id,
                serial_from: next,
                new_block: None,
            });
        }
    }
    let block = free_serial_block(state).ok_or_else(|| AppError::Conflict {
        code: ConflictCode::NoKeysLeft,
        detail: "no serial blocks left for paper stock".into(),
    })?;
    let key_id = state.keys().keys().max().copied().unwrap_or(1).max(1) + 1;
    Ok(Placement {
        key_id,
        serial_from: block.0,
        new_block: Some(block),
    })
}

impl Node {
    /// Numbers and signs a new batch of paper stock (at the cloud: only it holds stock keys).
    pub async fn create_stock_batch(
        &self,
        who: &Principal,
        new: NewBatch,
    ) -> Result<StockBatch, AppError> {
        who.require_to(Action::ManageStock)?;
        if self.role() != NodeRole::Cloud {
            return Err(AppError::Conflict {
                code: ConflictCode::NotAuthority,
                detail: "paper stock is created at the cloud, which holds the stock keys".into(),
            });
        }
        let (series, first, last, width) = new.check()?;
        let secret = *self.token_secret();
        let actor = who.actor();
        let batch = self
            .submit(move |batch| {
                let state = batch.state();
                let venue = venue_of(state, &new.venue)?.id.clone();
                let product = match &new.product {
                    Some(p) => Some(stock_product(state, &venue, p)?),
                    None => None,
                };
                if let Some(other) = state
                    .stock()
                    .of_series(venue.as_str(), &series)
                    .find(|b| b.first <= last && first <= b.last)
                {
                    return Err(AppError::Conflict {
                        code: ConflictCode::StockOverlap,
                        detail: format!(
                            "numbers {first}–{last} overlap batch {}–{} of series {series}",
                            other.label(other.first),
                            other.label(other.last),
                        ),
                    });
                }
                let count = last - first + 1;
                // While a drill runs, new stock is the drill's (printed as such).
                let drill = state.drills().running(venue.as_str()).map(|d| d.id.clone());
                let Placement {
                    key_id,
                    serial_from,
                    new_block,
                } = place_batch(state, count)?;
                let mut ops = Vec::new();
                if let Some(block) = new_block {
                    let key = stock_key(&secret, key_id);
                    ops.push((
                        "system:stock".to_owned(),
                        OpBody::KeyPublished {
                            key_id,
                            public_key: to_hex(&key.public().to_bytes()),
                            holder: Some(STOCK_HOLDER.to_owned()),
                            serials: Some(block),
                            valid_from: None,
                            valid_until: None,
                        },
                    ));
                }
                let made = StockBatch {
                    id: uuid::Uuid::now_v7().simple().to_string(),
                    venue,
                    series: series.clone(),
                    first,
                    last,
                    width,
                    serial_from,
                    product,
                    valid_from: new.valid_from,
                    valid_until: new.valid_until,
                    key_id,
                    drill,
                };
                ops.push((actor.clone(), OpBody::StockBatchCreated(made.clone())));
                for (by, op) in ops {
                    batch.record(&by, vec![op]);
                }
                Ok(made)
            })
            .await?;
        self.refresh_keyring();
        Ok(batch)
    }

    /// The signed tickets of batch `id`, in number order (at the cloud).
    pub fn stock_tickets(&self, who: &Principal, id: &str) -> Result<Vec<StockTicket>, AppError> {
        who.require_to(Action::ManageStock)?;
        let found = self.read(|s| {
            let batch = s.stock().batch(id).cloned()?;
            let product = batch
                .product
                .as_ref()
                .and_then(|p| s.products().get(&(batch.venue.clone(), p.clone())));
            Some(SigningFacts {
                venue_no: s.venues().get(&batch.venue).map_or(0, |v| v.no),
                product_no: product.map_or(0, |p| p.no),
                needs_check: product.is_some_and(|p| p.needs_document_check()),
                published: s.keys().get(&batch.key_id).cloned(),
                batch,
            })
        });
        let SigningFacts {
            batch,
            venue_no,
            product_no,
            needs_check,
            published,
        } = found.ok_or_else(|| AppError::NotFound {
            what: "batch",
            id: id.to_owned(),
        })?;
        let key = stock_key(self.token_secret(), batch.key_id);
        if published.as_deref() != Some(to_hex(&key.public().to_bytes()).as_str()) {
            return Err(AppError::Conflict {
                code: ConflictCode::NotAuthority,
                detail: "this node does not hold the stock key of the batch: print it at the cloud"
                    .into(),
            });
        }
        let validity = batch_validity(&batch);
        (batch.first..=batch.last)
            .map(|number| {
                let serial = batch.serial_of(number);
                let claims = TicketClaims {
                    serial,
                    venue: venue_no,
                    product: product_no,
                    validity,
                    needs_document_check: needs_check,
                };
                let code = issue(&claims, &key)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("signing stock: {e}")))?;
                Ok(StockTicket {
                    number,
                    serial,
                    code,
                })
            })
            .collect()
    }

    /// Records where numbers of a batch went: issued to or returned by a cashier, spoilt,
    /// voided (gates and phones refuse voided numbers from then on).
    pub async fn move_stock(
        &self,
        who: &Principal,
        batch_id: &str,
        numbers: &str,
        kind: StockMoveKind,
        cashier: Option<&str>,
        note: &str,
    ) -> Result<u32, AppError> {
        who.require_to(Action::ManageStock)?;
        let ranges = parse_numbers(numbers)?;
        let note = note.trim().to_owned();
        if note.chars().count() > 500 || note.chars().any(char::is_control) {
            return Err(AppError::invalid("note", "at most 500 characters of text"));
        }
        if kind == StockMoveKind::Voided && note.is_empty() {
            return Err(AppError::invalid("note", "say why the numbers are voided"));
        }
        let cashier = match (kind, cashier.map(str::trim).filter(|c| !c.is_empty())) {
            (StockMoveKind::Issued | StockMoveKind::Returned, None) => {
                return Err(AppError::invalid("cashier", "name the cashier"))
            }
            (_, Some(name)) => Some(Username::parse(name)?),
            (_, None) => None,
        };
        let (batch_id, actor) = (batch_id.to_owned(), who.actor());
        self.submit(move |batch| {
            let state = batch.state();
            let stock =
                state
                    .stock()
                    .batch(&batch_id)
                    .cloned()
                    .ok_or_else(|| AppError::NotFound {
                        what: "batch",
                        id: batch_id.clone(),
                    })?;
            if let Some(name) = &cashier {
                if !state.users().contains_key(name) {
                    return Err(AppError::UnknownReference {
                        field: "cashier",
                        what: "user",
                        id: name.as_str().to_owned(),
                    });
                }
            }
            let report = state.stock_report(&batch_id);
            let mut count = 0;
            let mut ops = Vec::new();
            for (lo, hi) in ranges {
                if !stock.contains(lo) || !stock.contains(hi) {
                    return Err(AppError::Conflict {
                        code: ConflictCode::StockUnavailable,
                        detail: format!(
                            "numbers {lo}–{hi} are not all in batch {}–{}",
                            stock.label(stock.first),
                            stock.label(stock.last)
                        ),
                    });
                }
                if let Some(report) = &report {
                    check_movable(report, lo, hi, kind)?;
                }
                count += hi - lo + 1;
                ops.push(OpBody::StockMoved(StockMove {
                    batch: batch_id.clone(),
                    first: lo,
                    last: hi,
                    kind,
                    cashier: cashier.clone(),
                    note: note.clone(),
                }));
            }
            batch.record(&actor, ops);
            Ok(count)
        })
        .await
    }

    /// Every batch of `venue` (all venues: `None`) with its figures: the real ones, and
    /// those of a drill while it runs (marked by `batch.drill`; an ended drill's are in its
    /// review).
    pub fn stock_batches(
        &self,
        who: &Principal,
        venue: Option<&str>,
    ) -> Result<Vec<BatchSummary>, AppError> {
        who.require_to(Action::ReadReports)?;
        Ok(self.read(|s| {
            let mut out: Vec<BatchSummary> = s
                .stock()
                .batches()
                .filter(|b| venue.is_none_or(|v| b.venue.as_str() == v))
                .filter(|b| {
                    let drill = b.drill.as_deref().and_then(|d| s.drills().get(d));
                    b.drill.is_none() || drill.is_some_and(|d| d.is_running())
                })
                .filter_map(|b| s.stock_report(&b.id))
                .map(|r| summarise(&r))
                .collect();
            out.sort_by(|a, b| {
                (&a.batch.series, a.batch.first).cmp(&(&b.batch.series, b.batch.first))
            });
            out
        }))
    }

    /// Paper stock still with each cashier, over every batch (for the status console).
    pub fn paper_left_per_cashier(&self) -> Vec<(String, u64)> {
        self.read(|s| {
            let mut per: std::collections::BTreeMap<String, u64> = Default::default();
            for b in s.stock().batches().filter(|b| b.drill.is_none()) {
                if let Some(r) = s.stock_report(&b.id) {
                    for c in summarise(&r).cashiers {
                        *per.entry(c.cashier).or_default() += u64::from(c.in_hand_count);
                    }
                }
            }
            per.into_iter().collect()
        })
    }
}

/// Refuses moving numbers that are sold, spoilt or voided (they stay so), and issuing
/// numbers a cashier holds already.
fn check_movable(
    report: &BatchReport,
    lo: u32,
    hi: u32,
    kind: StockMoveKind,
) -> Result<(), AppError> {
    let batch = &report.batch;
    for n in lo..=hi {
        let state = report.states[(n - batch.first) as usize];
        let refused = match state {
            NumberState::Sold => Some("was sold"),
            NumberState::Spoilt => Some("is spoilt"),
            NumberState::Voided => Some("is voided"),
            NumberState::WithCashier(_) if kind == StockMoveKind::Issued => {
                Some("is with a cashier already")
            }
            NumberState::InStock if kind == StockMoveKind::Returned => Some("is not issued"),
            _ => None,
        };
        if let Some(why) = refused {
            return Err(AppError::Conflict {
                code: ConflictCode::StockUnavailable,
                detail: format!("{} {why}", batch.label(n)),
            });
        }
    }
    Ok(())
}

fn stock_product(state: &State, venue: &Slug, raw: &str) -> Result<Slug, AppError> {
    let unknown = || AppError::UnknownReference {
        field: "product",
        what: "product",
        id: raw.to_owned(),
    };
    let id = Slug::parse("product", raw).map_err(|_| unknown())?;
    state
        .products()
        .get(&(venue.clone(), id.clone()))
        .map(|_| id)
        .ok_or_else(unknown)
}

/// Counts and per-cashier ranges from where every number is.
pub(crate) fn summarise(report: &BatchReport) -> BatchSummary {
    let batch = &report.batch;
    let mut counts = StockCounts {
        total: batch.count(),
        ..Default::default()
    };
    let mut hands: Vec<Vec<(u32, u32)>> = vec![Vec::new(); report.cashiers.len()];
    for (i, state) in report.states.iter().enumerate() {
        let n = batch.first + i as u32;
        match state {
            NumberState::InStock => counts.in_stock += 1,
            NumberState::Sold => counts.sold += 1,
            NumberState::Spoilt => counts.spoilt += 1,
            NumberState::Voided => counts.voided += 1,
            NumberState::WithCashier(c) => {
                counts.with_cashiers += 1;
                let ranges = &mut hands[*c];
                match ranges.last_mut() {
                    Some((_, hi)) if *hi + 1 == n => *hi = n,
                    _ => ranges.push((n, n)),
                }
            }
        }
    }
    let cashiers = report
        .cashiers
        .iter()
        .zip(hands)
        .filter(|(_, r)| !r.is_empty())
        .map(|(name, in_hand)| CashierStock {
            batch: batch.id.clone(),
            series: batch.series.clone(),
            cashier: name.clone(),
            in_hand_count: in_hand.iter().map(|(a, b)| b - a + 1).sum(),
            in_hand,
        })
        .collect();
    BatchSummary {
        batch: batch.clone(),
        counts,
        cashiers,
    }
}

impl Node {
    /// The print-ready PDF of batch `id` (at the cloud), in both languages.
    pub async fn stock_pdf(
        &self,
        who: &Principal,
        id: &str,
        layout: aspk_render::StockLayout,
    ) -> Result<Vec<u8>, AppError> {
        let tickets = self.stock_tickets(who, id)?;
        let docs = self.read(|s| {
            let batch = s.stock().batch(id)?;
            let venue = s.venues().get(&batch.venue)?;
            Some(stock_docs(s, batch, venue, &tickets))
        });
        let docs = docs.ok_or_else(|| AppError::NotFound {
            what: "batch",
            id: id.to_owned(),
        })?;
        tokio::task::spawn_blocking(move || aspk_render::stock_pdf(&docs, layout))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering paper stock: {e}")))
    }
}

/// What is printed on each paper ticket of a batch.
fn stock_docs(
    state: &State,
    batch: &StockBatch,
    venue: &aspk_domain::Venue,
    tickets: &[StockTicket],
) -> Vec<aspk_render::StockTicketDoc> {
    use crate::print::both;
    use aspk_i18n::bilingual;
    let category = match batch
        .product
        .as_ref()
        .and_then(|p| state.products().get(&(batch.venue.clone(), p.clone())))
    {
        Some(p) => both(&p.name.uk, &p.name.en),
        None => bilingual("stock-any-category"),
    };
    let validity = match (batch.valid_from, batch.valid_until) {
        (Some(a), Some(b)) if a == b => a.format("%d.%m.%Y").to_string(),
        (Some(a), Some(b)) => format!("{} – {}", a.format("%d.%m.%Y"), b.format("%d.%m.%Y")),
        _ => bilingual("stock-slot-at-sale"),
    };
    let lines = vec![
        (bilingual("ticket-category"), category),
        (bilingual("stock-valid"), validity),
    ];
    // A drill's stock says so on every ticket: it is never taken for a real one.
    let title_key = match batch.drill {
        Some(_) => "stock-drill-title",
        None => "ticket-title",
    };
    let (title, venue_name, stamp) = (
        bilingual(title_key),
        both(&venue.name.uk, &venue.name.en),
        bilingual("stock-stamp"),
    );
    tickets
        .iter()
        .map(|t| aspk_render::StockTicketDoc {
            code: t.code.clone(),
            series: batch.series.clone(),
            number: format!("{:0w$}", t.number, w = batch.width as usize),
            ticket_number: aspk_ticket::HumanNumber::from_serial(t.serial).to_string(),
            title: title.clone(),
            venue: venue_name.clone(),
            lines: lines.clone(),
            stamp_label: stamp.clone(),
        })
        .collect()
}
