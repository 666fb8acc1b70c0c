//! Drills: rehearsed outages. What staff do while a drill runs (box-office and paper sales,
//! stock batches, imports) carries the drill's id, and everything derived from it (the
//! tickets, their entries, the findings about them) is the drill's too. Reports leave it
//! all out; undoing the drill cancels its orders and voids its stock, on every replica.

use std::collections::{BTreeMap, HashMap};

use aspk_domain::{Slug, StockMove, StockMoveKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Finding, State};
use crate::Op;

/// The reason a drill's tickets are void with once it is undone.
pub const DRILL_UNDONE: &str = "drill_undone";

/// One rehearsed outage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drill {
    pub id: String,
    pub venue: Slug,
    pub name: String,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by: Option<String>,
}

impl Drill {
    pub fn is_running(&self) -> bool {
        self.ended_at.is_none()
    }

    pub fn is_undone(&self) -> bool {
        self.undone_at.is_some()
    }
}

/// Every drill, and what belongs to each.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct DrillBook {
    drills: BTreeMap<String, Drill>,
    /// Orders sold in each drill.
    orders: BTreeMap<String, Vec<u64>>,
    /// Stock batches made for each drill.
    batches: BTreeMap<String, Vec<String>>,
    /// Ticket serial → its drill (sold in one, or a number of a drill's stock).
    serials: HashMap<u64, String>,
    /// Import id → its drill.
    imports: HashMap<String, String>,
    /// Finding id → the drill it is about.
    findings: HashMap<String, String>,
}

impl DrillBook {
    pub fn get(&self, id: &str) -> Option<&Drill> {
        self.drills.get(id)
    }

    /// Every drill, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &Drill> {
        let mut drills: Vec<&Drill> = self.drills.values().collect();
        drills.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
        drills.into_iter()
    }

    /// The drill running at `venue` (the earliest started, should two have begun at once).
    pub fn running(&self, venue: &str) -> Option<&Drill> {
        self.all()
            .filter(|d| d.venue.as_str() == venue && d.is_running())
            .min_by_key(|d| d.started_at)
    }

    pub fn orders_of(&self, id: &str) -> &[u64] {
        self.orders.get(id).map_or(&[], Vec::as_slice)
    }

    pub fn batches_of(&self, id: &str) -> &[String] {
        self.batches.get(id).map_or(&[], Vec::as_slice)
    }

    /// The drill a ticket belongs to.
    pub fn of_serial(&self, serial: u64) -> Option<&str> {
        self.serials.get(&serial).map(String::as_str)
    }

    pub fn of_import(&self, id: &str) -> Option<&str> {
        self.imports.get(id).map(String::as_str)
    }

    /// The drill a finding is about (none: a real one).
    pub fn of_finding(&self, id: &str) -> Option<&str> {
        self.findings.get(id).map(String::as_str)
    }
}

impl State {
    pub fn drills(&self) -> &DrillBook {
        &self.drills
    }

    pub(super) fn start_drill(&mut self, id: &str, venue: &Slug, name: &str, op: &Op) {
        self.drills
            .drills
            .entry(id.to_owned())
            .or_insert_with(|| Drill {
                id: id.to_owned(),
                venue: venue.clone(),
                name: name.to_owned(),
                started_at: op.hlc.to_datetime(),
                started_by: op.actor.clone(),
                ended_at: None,
                ended_by: None,
                undone_at: None,
                undone_by: None,
            });
    }

    /// Ends drill `id` (the first end counts), and undoes it if asked (once).
    pub(super) fn end_drill(&mut self, id: &str, undo: bool, op: &Op) {
        let at = op.hlc.to_datetime();
        let Some(drill) = self.drills.drills.get_mut(id) else {
            return;
        };
        if drill.ended_at.is_none_or(|t| at < t) {
            drill.ended_at = Some(at);
            drill.ended_by = Some(op.actor.clone());
        }
        if !undo || drill.is_undone() {
            return;
        }
        drill.undone_at = Some(at);
        drill.undone_by = Some(op.actor.clone());
        for number in self.drills.orders_of(id).to_vec() {
            self.undo_drill_order(number, op);
        }
        for batch in self.drills.batches_of(id).to_vec() {
            self.void_drill_batch(&batch, op);
        }
    }

    /// Notes an order sold in a drill; one that arrives after its drill was undone is
    /// undone at once, so the drill goes as a whole whatever the order of delivery.
    pub(super) fn note_drill_order(&mut self, drill: &str, number: u64, op: &Op) {
        let orders = self.drills.orders.entry(drill.to_owned()).or_default();
        if orders.contains(&number) {
            return;
        }
        orders.push(number);
        if self.drills.get(drill).is_some_and(Drill::is_undone) {
            self.undo_drill_order(number, op);
        }
    }

    pub(super) fn mark_drill_serials(&mut self, drill: &str, serials: impl Iterator<Item = u64>) {
        for serial in serials {
            self.drills.serials.insert(serial, drill.to_owned());
        }
    }

    pub(super) fn note_drill_batch(&mut self, batch: &aspk_domain::StockBatch, op: &Op) {
        let Some(drill) = &batch.drill else {
            return;
        };
        let batches = self.drills.batches.entry(drill.clone()).or_default();
        if batches.contains(&batch.id) {
            return;
        }
        batches.push(batch.id.clone());
        for n in batch.first..=batch.last {
            self.drills
                .serials
                .insert(batch.serial_of(n), drill.clone());
        }
        if self.drills.get(drill).is_some_and(Drill::is_undone) {
            self.void_drill_batch(&batch.id, op);
        }
    }

    pub(super) fn note_drill_import(&mut self, import: &crate::EntriesImported) {
        if let Some(drill) = &import.drill {
            self.drills.imports.insert(import.id.clone(), drill.clone());
        }
    }

    /// Cancels a drill's order with no refund (no money changed hands for real): its tickets
    /// are refused from now on and its seats are free again. The entries it had are known
    /// to the undo, so they are no `admitted_after_cancel`.
    fn undo_drill_order(&mut self, number: u64, op: &Op) {
        let Some(order) = self.orders.get(&number) else {
            return;
        };
        let seen: Vec<(u64, u32)> = order
            .tickets
            .iter()
            .map(|s| (*s, self.tickets.entry_count(*s) as u32))
            .collect();
        self.cancel_order(
            number,
            DRILL_UNDONE,
            &[],
            &seen,
            &(op.hlc.0, op.origin.clone()),
        );
    }

    fn void_drill_batch(&mut self, id: &str, op: &Op) {
        let Some(batch) = self.stock.batch(id).cloned() else {
            return;
        };
        let void = StockMove {
            batch: batch.id.clone(),
            first: batch.first,
            last: batch.last,
            kind: StockMoveKind::Voided,
            cashier: None,
            note: DRILL_UNDONE.to_owned(),
        };
        self.move_stock(&void, op);
    }

    /// The drill a finding is about: that of the import it came from, or of its ticket, or
    /// of an order its facts name.
    pub(super) fn note_drill_finding(&mut self, finding: &Finding) {
        if self.drills.drills.is_empty() {
            return;
        }
        let facts = &finding.facts;
        // A finding of an import is the import's (a real ticket named in a drill's import is
        // the drill's to look at); else its ticket's, whose drill every ticket carries.
        let of_import = facts["import"].as_str().map(|i| self.drills.of_import(i));
        let drill = match (of_import, finding.ticket) {
            (Some(drill), _) => drill,
            (None, Some(serial)) => self.drills.of_serial(serial),
            (None, None) => {
                let order_drill = |n: Option<u64>| {
                    let order = n.and_then(|n| self.orders.get(&n))?;
                    self.drills.of_serial(*order.tickets.first()?)
                };
                let orders = facts["orders"].as_array().into_iter().flatten();
                order_drill(facts["order"].as_u64())
                    .or_else(|| orders.filter_map(|o| order_drill(o.as_u64())).next())
            }
        }
        .map(str::to_owned);
        match drill {
            Some(drill) => self.drills.findings.insert(finding.id.clone(), drill),
            None => self.drills.findings.remove(&finding.id),
        };
    }
}
