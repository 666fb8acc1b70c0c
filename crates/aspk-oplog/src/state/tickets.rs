//! Tickets held compactly: a fixed 64-byte record per ticket in a [`PagedMap`], names
//! interned, times in microseconds, entries in a table of their own (most tickets have none
//! or one), and the rare void details aside. The code itself stays in the log: the record
//! keeps a 64-bit BLAKE3 digest of it, enough to recognise a code this node has seen.
//! Readers get whole [`Ticket`]s built on demand.

use std::collections::HashMap;

use aspk_domain::{Entry, Slug, Ticket, TicketStatus};
use bytemuck::{Pod, Zeroable};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::names::Names;
use super::paged::PagedMap;
use crate::TicketIssued;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct TicketRec {
    order: u64,
    code_hash: u64,
    valid_from: i64,
    valid_until: i64,
    /// The price, unless it does not fit (then it is in `big_prices`).
    price_minor: i32,
    days_from: i32,
    days_to: i32,
    venue: u32,
    product: u32,
    slot: u32,
    issued_by: u32,
    status: u8,
    flags: u8,
    _pad: [u8; 2],
}

const HAS_DAYS: u8 = 1;
const BIG_PRICE: u8 = 2;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, Serialize, Deserialize)]
pub(crate) struct EntryRec {
    hlc: u64,
    at: i64,
    gate: u32,
    by: u32,
    origin: u32,
    _pad: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct VoidInfo {
    reason: Option<String>,
    by: Option<(u64, String)>,
}

pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// The digest a ticket's code is recognised by.
pub fn code_hash(code: &str) -> u64 {
    let digest = blake3::hash(code.trim().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

fn status_byte(status: TicketStatus) -> u8 {
    match status {
        TicketStatus::Valid => 0,
        TicketStatus::Used => 1,
        TicketStatus::Void => 2,
    }
}

fn status_of(byte: u8) -> TicketStatus {
    match byte {
        0 => TicketStatus::Valid,
        1 => TicketStatus::Used,
        _ => TicketStatus::Void,
    }
}

/// A name validated before it was interned.
fn slug(name: &str) -> Slug {
    Slug::trusted(name)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TicketTable {
    recs: PagedMap<TicketRec>,
    first_entries: PagedMap<EntryRec>,
    more_entries: HashMap<u64, Vec<EntryRec>>,
    voids: HashMap<u64, VoidInfo>,
    /// Prices beyond ±21 million hryvnias, by serial.
    big_prices: HashMap<u64, i64>,
    names: Names,
}

/// The common facts of a ticket, borrowed from the table: for scans over many tickets,
/// which should not build each one.
#[derive(Debug, Clone, Copy)]
pub struct TicketBrief<'a> {
    pub serial: u64,
    pub order: u64,
    pub venue: &'a str,
    pub product: &'a str,
    pub slot: Option<&'a str>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub status: TicketStatus,
    pub price_minor: i64,
}

/// What the fold tells the table about a new ticket.
pub(crate) struct NewTicket<'a> {
    pub issued: &'a TicketIssued,
    pub order: u64,
    pub venue: &'a str,
    pub issued_by: &'a str,
}

impl TicketTable {
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn contains_key(&self, serial: &u64) -> bool {
        self.recs.contains_key(*serial)
    }

    /// The ticket, built from its record.
    pub fn get(&self, serial: &u64) -> Option<Ticket> {
        let rec = self.recs.get(*serial)?;
        Some(self.build(*serial, rec))
    }

    pub fn status(&self, serial: &u64) -> Option<TicketStatus> {
        self.recs.get(*serial).map(|r| status_of(r.status))
    }

    pub fn order_of(&self, serial: &u64) -> Option<u64> {
        self.recs.get(*serial).map(|r| r.order)
    }

    /// Whether `code` is, digit for digit, the code this ticket was issued with.
    pub fn code_matches(&self, serial: &u64, code: &str) -> bool {
        self.recs
            .get(*serial)
            .is_some_and(|r| r.code_hash == code_hash(code))
    }

    /// Whether the ticket was issued with a code of its own (a paper ticket's code is the
    /// one printed on it, checked by its stock key's signature instead).
    pub fn has_code(&self, serial: &u64) -> bool {
        self.recs
            .get(*serial)
            .is_some_and(|r| r.code_hash != code_hash(""))
    }

    /// Every ticket, in serial order.
    pub fn values(&self) -> impl Iterator<Item = Ticket> + '_ {
        self.recs
            .iter()
            .map(|(serial, rec)| self.build(serial, rec))
    }

    /// Every ticket's common facts, in serial order.
    pub fn briefs(&self) -> impl Iterator<Item = TicketBrief<'_>> + '_ {
        self.recs
            .iter()
            .map(|(serial, rec)| self.brief_of(serial, rec))
    }

    fn brief_of<'a>(&'a self, serial: u64, rec: &TicketRec) -> TicketBrief<'a> {
        TicketBrief {
            serial,
            order: rec.order,
            venue: self.names.get(rec.venue),
            product: self.names.get(rec.product),
            slot: self.names.opt(rec.slot),
            valid_from: from_micros(rec.valid_from),
            valid_until: from_micros(rec.valid_until),
            status: status_of(rec.status),
            price_minor: self.price(serial, rec),
        }
    }

    /// The common facts of ticket `serial`, when this replica has it.
    pub fn brief(&self, serial: &u64) -> Option<TicketBrief<'_>> {
        self.recs
            .get(*serial)
            .map(|rec| self.brief_of(*serial, rec))
    }

    /// The venue of ticket `serial`, when this replica has it.
    pub fn venue_of(&self, serial: &u64) -> Option<&str> {
        self.recs.get(*serial).map(|rec| self.names.get(rec.venue))
    }

    /// Each ticket's serial, status and entries `(hlc, origin, gate)`, for the state digest
    /// (the same text the digest always hashed); only `venue`'s tickets when one is named.
    pub(crate) fn digest_into(&self, out: &mut impl std::fmt::Write, venue: Option<&str>) {
        let only = venue.map(|v| self.names.find(v));
        for (serial, rec) in self.recs.iter() {
            if only.is_some_and(|id| id != Some(rec.venue)) {
                continue;
            }
            let _ = write!(out, "t{serial}:{:?}:[", status_of(rec.status));
            for (i, e) in self.entry_recs(serial).iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let entry = (e.hlc, self.names.get(e.origin), self.names.get(e.gate));
                let _ = write!(out, "{sep}{entry:?}");
            }
            let _ = out.write_str("]\n");
        }
    }

    /// Repacks the tables (see [`PagedMap::compact`]).
    pub(crate) fn compact(&mut self) {
        self.recs.compact();
        self.first_entries.compact();
    }

    fn price(&self, serial: u64, rec: &TicketRec) -> i64 {
        match rec.flags & BIG_PRICE {
            0 => i64::from(rec.price_minor),
            _ => self.big_prices.get(&serial).copied().unwrap_or_default(),
        }
    }

    fn build(&self, serial: u64, rec: &TicketRec) -> Ticket {
        let void = self.voids.get(&serial);
        let days = |d: i32| NaiveDate::from_num_days_from_ce_opt(d).unwrap_or_default();
        Ticket {
            serial,
            order: rec.order,
            venue: slug(self.names.get(rec.venue)),
            product: slug(self.names.get(rec.product)),
            slot: self.names.opt(rec.slot).map(str::to_owned),
            valid_from: from_micros(rec.valid_from),
            valid_until: from_micros(rec.valid_until),
            valid_days: (rec.flags & HAS_DAYS != 0)
                .then(|| (days(rec.days_from), days(rec.days_to))),
            price_minor: self.price(serial, rec),
            status: status_of(rec.status),
            entries: self.entries(serial),
            void_reason: void.and_then(|v| v.reason.clone()),
            issued_by: self.names.get(rec.issued_by).to_owned(),
            voided_by: void.and_then(|v| v.by.clone()),
        }
    }

    /// The ticket's entries in `(hlc, origin)` order.
    pub fn entries(&self, serial: u64) -> Vec<Entry> {
        self.entry_recs(serial)
            .iter()
            .map(|e| Entry {
                at: from_micros(e.at),
                gate: self.names.get(e.gate).to_owned(),
                by: self.names.get(e.by).to_owned(),
                origin: self.names.get(e.origin).to_owned(),
                hlc: e.hlc,
            })
            .collect()
    }

    fn entry_recs(&self, serial: u64) -> Vec<EntryRec> {
        let Some(first) = self.first_entries.get(serial) else {
            return Vec::new();
        };
        let mut all = vec![*first];
        all.extend(self.more_entries.get(&serial).into_iter().flatten());
        all
    }

    pub fn entry_count(&self, serial: u64) -> usize {
        match self.first_entries.get(serial) {
            None => 0,
            Some(_) => 1 + self.more_entries.get(&serial).map_or(0, Vec::len),
        }
    }

    pub(crate) fn insert(&mut self, new: NewTicket<'_>) {
        let issued = new.issued;
        let (mut flags, (days_from, days_to)) = match issued.valid_days {
            Some((a, b)) => (HAS_DAYS, (a.num_days_from_ce(), b.num_days_from_ce())),
            None => (0, (0, 0)),
        };
        let price_minor = match i32::try_from(issued.price_minor) {
            Ok(price) => price,
            Err(_) => {
                flags |= BIG_PRICE;
                self.big_prices.insert(issued.serial, issued.price_minor);
                0
            }
        };
        let rec = TicketRec {
            order: new.order,
            price_minor,
            code_hash: code_hash(&issued.code),
            valid_from: micros(issued.valid_from),
            valid_until: micros(issued.valid_until),
            days_from,
            days_to,
            venue: self.names.id(new.venue),
            product: self.names.id(issued.product.as_str()),
            slot: self.names.opt_id(issued.slot.as_deref()),
            issued_by: self.names.id(new.issued_by),
            status: status_byte(TicketStatus::Valid),
            flags,
            _pad: [0; 2],
        };
        self.recs.insert(issued.serial, rec);
    }

    pub(crate) fn set_status(&mut self, serial: u64, status: TicketStatus) {
        if let Some(rec) = self.recs.get_mut(serial) {
            rec.status = status_byte(status);
        }
    }

    /// The slot and issuer a ticket's seat belongs to.
    pub(crate) fn seat(&self, serial: u64) -> Option<(Option<String>, String)> {
        let rec = self.recs.get(serial)?;
        Some((
            self.names.opt(rec.slot).map(str::to_owned),
            self.names.get(rec.issued_by).to_owned(),
        ))
    }

    pub(crate) fn voided_by(&self, serial: u64) -> Option<&(u64, String)> {
        self.voids.get(&serial).and_then(|v| v.by.as_ref())
    }

    pub(crate) fn set_void(&mut self, serial: u64, reason: &str, by: &(u64, String)) {
        let info = self.voids.entry(serial).or_default();
        info.reason = Some(reason.to_owned());
        info.by = Some(by.clone());
    }

    /// Adds an entry in `(hlc, origin)` order.
    pub(crate) fn add_entry(&mut self, serial: u64, entry: &Entry) {
        let rec = EntryRec {
            hlc: entry.hlc,
            at: micros(entry.at),
            gate: self.names.id(&entry.gate),
            by: self.names.id(&entry.by),
            origin: self.names.id(&entry.origin),
            _pad: 0,
        };
        let mut all = self.entry_recs(serial);
        let key = |e: &EntryRec| (e.hlc, self.names.get(e.origin));
        let pos = all.partition_point(|e| key(e) < (entry.hlc, entry.origin.as_str()));
        all.insert(pos, rec);
        self.put_entries(serial, all);
    }

    /// Removes the entry `origin` recorded at `hlc`; returns it.
    pub(crate) fn remove_entry(&mut self, serial: u64, origin: &str, hlc: u64) -> Option<Entry> {
        let origin_id = self.names.find(origin)?;
        let entries = self.entries(serial);
        let mut all = self.entry_recs(serial);
        let i = all
            .iter()
            .position(|e| e.origin == origin_id && e.hlc == hlc)?;
        all.remove(i);
        self.put_entries(serial, all);
        entries.into_iter().nth(i)
    }

    fn put_entries(&mut self, serial: u64, all: Vec<EntryRec>) {
        let mut it = all.into_iter();
        match it.next() {
            None => {
                self.first_entries.remove(serial);
                self.more_entries.remove(&serial);
            }
            Some(first) => {
                self.first_entries.insert(serial, first);
                let rest: Vec<EntryRec> = it.collect();
                if rest.is_empty() {
                    self.more_entries.remove(&serial);
                } else {
                    self.more_entries.insert(serial, rest);
                }
            }
        }
    }
}
