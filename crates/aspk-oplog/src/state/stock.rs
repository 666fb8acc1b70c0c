//! Paper stock in the state: the batches, the ledger of where each number went, the voided
//! ranges gates refuse, and the findings paper brings (admitted but never entered, entered
//! twice, voided stock presented).

use std::collections::BTreeMap;

use aspk_domain::{FindingKind, StockBatch, StockMove, StockMoveKind};
use serde::{Deserialize, Serialize};

use super::{Finding, State};
use crate::{EntriesImported, Op, PaperSale};

/// One line of a batch's ledger, with the clock reading that orders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub hlc: u64,
    pub by: String,
    pub movement: StockMove,
}

/// Every batch and its ledger.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct StockBook {
    batches: BTreeMap<String, StockBatch>,
    /// First serial → batch id.
    by_serial: BTreeMap<u64, String>,
    ledger: BTreeMap<String, Vec<LedgerLine>>,
    /// Voided serials: first → (last, the void's clock reading).
    voided: BTreeMap<u64, (u64, u64)>,
    imports: BTreeMap<String, EntriesImported>,
    /// What was entered for each paper order.
    sales: BTreeMap<u64, PaperSale>,
}

/// Where one number of a batch is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberState {
    /// In the safe: never issued, or returned.
    InStock,
    /// With a cashier (index into [`BatchReport::cashiers`]).
    WithCashier(usize),
    Sold,
    Spoilt,
    Voided,
}

/// Where every number of a batch is.
#[derive(Debug, Clone)]
pub struct BatchReport {
    pub batch: StockBatch,
    pub states: Vec<NumberState>,
    pub cashiers: Vec<String>,
}

impl StockBook {
    pub fn batches(&self) -> impl Iterator<Item = &StockBatch> {
        self.batches.values()
    }

    pub fn batch(&self, id: &str) -> Option<&StockBatch> {
        self.batches.get(id)
    }

    pub fn ledger(&self, id: &str) -> &[LedgerLine] {
        self.ledger.get(id).map_or(&[], Vec::as_slice)
    }

    /// The batch a serial belongs to, and its printed number.
    pub fn of_serial(&self, serial: u64) -> Option<(&StockBatch, u32)> {
        let (_, id) = self.by_serial.range(..=serial).next_back()?;
        let batch = self.batches.get(id)?;
        Some((batch, batch.number_of(serial)?))
    }

    /// The batches of `series` at `venue`, by first number.
    pub fn of_series<'a>(
        &'a self,
        venue: &'a str,
        series: &'a str,
    ) -> impl Iterator<Item = &'a StockBatch> + 'a {
        self.batches
            .values()
            .filter(move |b| b.venue.as_str() == venue && b.series == series)
    }

    /// When `serial` was voided (the void's clock reading), if it was.
    pub fn voided_at(&self, serial: u64) -> Option<u64> {
        let (_, (last, hlc)) = self.voided.range(..=serial).next_back()?;
        (serial <= *last).then_some(*hlc)
    }

    /// Every voided run of serials, `(first, last)` inclusive.
    pub fn voided_ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.voided.iter().map(|(first, (last, _))| (*first, *last))
    }

    pub fn import(&self, id: &str) -> Option<&EntriesImported> {
        self.imports.get(id)
    }

    pub fn imports(&self) -> impl Iterator<Item = &EntriesImported> {
        self.imports.values()
    }

    /// The highest serial any batch takes, plus one (none: no batch yet).
    pub fn next_serial(&self) -> Option<u64> {
        self.batches
            .values()
            .map(|b| b.serial_from + u64::from(b.count()))
            .max()
    }
}

impl State {
    pub fn stock(&self) -> &StockBook {
        &self.stock
    }

    /// What was entered for paper order `number`.
    pub fn paper_sale_of(&self, number: u64) -> Option<PaperSale> {
        self.stock.sales.get(&number).cloned()
    }

    pub(super) fn note_paper_sale(&mut self, number: u64, sale: &PaperSale) {
        self.stock
            .sales
            .entry(number)
            .or_insert_with(|| sale.clone());
    }

    pub(super) fn add_stock_batch(&mut self, batch: &StockBatch) {
        if self.stock.batches.contains_key(&batch.id) {
            return;
        }
        self.stock
            .by_serial
            .insert(batch.serial_from, batch.id.clone());
        self.stock.batches.insert(batch.id.clone(), batch.clone());
        // Entries that came before the batch (a gate admitted before this replica heard of it).
        let serials: Vec<u64> = self
            .pending_entry_serials()
            .filter(|s| batch.number_of(*s).is_some())
            .collect();
        for serial in serials {
            self.check_stock(serial);
        }
    }

    pub(super) fn move_stock(&mut self, movement: &StockMove, op: &Op) {
        let Some(batch) = self.stock.batches.get(&movement.batch).cloned() else {
            return;
        };
        let (lo, hi) = (
            movement.first.max(batch.first),
            movement.last.min(batch.last),
        );
        if lo > hi {
            return;
        }
        self.stock
            .ledger
            .entry(batch.id.clone())
            .or_default()
            .push(LedgerLine {
                hlc: op.hlc.0,
                by: op.actor.clone(),
                movement: movement.clone(),
            });
        if movement.kind == StockMoveKind::Voided {
            let (first, last) = (batch.serial_of(lo), batch.serial_of(hi));
            self.stock.voided.insert(first, (last, op.hlc.0));
            let touched: Vec<u64> = self
                .pending_entry_serials()
                .filter(|s| (first..=last).contains(s))
                .chain((first..=last).filter(|s| self.tickets.entry_count(*s) > 0))
                .collect();
            for serial in touched {
                self.check_stock(serial);
            }
        }
    }

    pub(super) fn note_import(&mut self, import: &EntriesImported) {
        self.stock
            .imports
            .entry(import.id.clone())
            .or_insert_with(|| import.clone());
        for what in &import.unreadable {
            self.upsert(Finding {
                id: format!("unreadable_photo:{}:{what}", import.id),
                kind: FindingKind::UnreadablePhoto,
                ticket: None,
                slot: None,
                facts: serde_json::json!({"import": import.id, "source": import.source, "item": what}),
                resolution: None,
            });
        }
        for what in &import.unknown {
            self.upsert(Finding {
                id: format!("imported_unknown:{}:{what}", import.id),
                kind: FindingKind::ImportedUnknown,
                ticket: None,
                slot: None,
                facts: serde_json::json!({"import": import.id, "source": import.source, "item": what}),
                resolution: None,
            });
        }
        for (serial, why) in &import.mismatched {
            let slot = self.tickets.get(serial).and_then(|t| t.slot);
            self.upsert(Finding {
                id: format!("imported_mismatch:{}:{serial}", import.id),
                kind: FindingKind::ImportedMismatch,
                ticket: Some(*serial),
                slot,
                facts: serde_json::json!({"import": import.id, "source": import.source, "reason": why}),
                resolution: None,
            });
        }
    }

    /// The findings about a stock serial, from its entries, sale and voiding now.
    pub(super) fn check_stock(&mut self, serial: u64) {
        let Some((batch, number)) = self.stock.of_serial(serial) else {
            return;
        };
        let label = batch.label(number);
        let venue = batch.venue.to_string();
        let pending: Vec<_> = self.pending_entries(serial).cloned().collect();
        let sold = self.tickets.contains_key(&serial);
        let not_entered = format!("stock_not_entered:{serial}");
        if !sold && !pending.is_empty() {
            let entries: Vec<_> = pending
                .iter()
                .map(|e| serde_json::json!({"at": e.at, "gate": e.gate, "by": e.by}))
                .collect();
            self.upsert(Finding {
                id: not_entered,
                kind: FindingKind::StockNotEntered,
                ticket: Some(serial),
                slot: None,
                facts: serde_json::json!({"stock": label, "venue": venue, "entries": entries}),
                resolution: None,
            });
        } else {
            self.findings.remove(&not_entered);
        }
        let voided_id = format!("voided_stock_presented:{serial}");
        let after_void: Vec<_> = match self.stock.voided_at(serial) {
            Some(void_hlc) => {
                let entries = match sold {
                    true => self.tickets.entries(serial),
                    false => pending,
                };
                entries.into_iter().filter(|e| e.hlc > void_hlc).collect()
            }
            None => Vec::new(),
        };
        if after_void.is_empty() {
            self.findings.remove(&voided_id);
        } else {
            let entries: Vec<_> = after_void
                .iter()
                .map(|e| serde_json::json!({"at": e.at, "gate": e.gate, "by": e.by}))
                .collect();
            self.upsert(Finding {
                id: voided_id,
                kind: FindingKind::VoidedStockPresented,
                ticket: Some(serial),
                slot: None,
                facts: serde_json::json!({"stock": label, "venue": venue, "entries": entries}),
                resolution: None,
            });
        }
    }

    /// A paper sale named a number another order had taken already: both orders stand and
    /// one finding lists them, for a manager to refund one.
    pub(super) fn note_stock_entered_twice(&mut self, serial: u64, number: u64) {
        let Some(first) = self.tickets.order_of(&serial) else {
            return;
        };
        if first == number {
            return;
        }
        let label = self
            .stock
            .of_serial(serial)
            .map(|(b, n)| b.label(n))
            .unwrap_or_default();
        let id = format!("stock_entered_twice:{serial}");
        let orders = self.fact_set_with(&id, "orders", [first, number].map(|n| n.to_string()));
        self.upsert(Finding {
            id,
            kind: FindingKind::StockEnteredTwice,
            ticket: Some(serial),
            slot: None,
            facts: serde_json::json!({"stock": label, "orders": orders}),
            resolution: None,
        });
    }

    /// Where every number of batch `id` is now (sold from the tickets, the rest from the
    /// ledger in clock order).
    pub fn stock_report(&self, id: &str) -> Option<BatchReport> {
        let batch = self.stock.batches.get(id)?.clone();
        let mut states = vec![NumberState::InStock; batch.count() as usize];
        let mut cashiers: Vec<String> = Vec::new();
        let mut lines = self.stock.ledger(id).to_vec();
        lines.sort_by_key(|l| l.hlc);
        for line in &lines {
            let m = &line.movement;
            let (lo, hi) = (m.first.max(batch.first), m.last.min(batch.last));
            if lo > hi {
                continue;
            }
            let to = match m.kind {
                StockMoveKind::Issued => {
                    let name = m
                        .cashier
                        .as_ref()
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_default();
                    let i = match cashiers.iter().position(|c| *c == name) {
                        Some(i) => i,
                        None => {
                            cashiers.push(name);
                            cashiers.len() - 1
                        }
                    };
                    NumberState::WithCashier(i)
                }
                StockMoveKind::Returned => NumberState::InStock,
                StockMoveKind::Spoilt => NumberState::Spoilt,
                StockMoveKind::Voided => NumberState::Voided,
            };
            for n in lo..=hi {
                let slot = &mut states[(n - batch.first) as usize];
                // Spoilt and voided numbers stay so.
                if !matches!(slot, NumberState::Spoilt | NumberState::Voided) {
                    *slot = to;
                }
            }
        }
        for n in batch.first..=batch.last {
            // Sold, even if refunded since: the number was used up.
            if self.tickets.contains_key(&batch.serial_of(n)) {
                states[(n - batch.first) as usize] = NumberState::Sold;
            }
        }
        Some(BatchReport {
            batch,
            states,
            cashiers,
        })
    }
}
