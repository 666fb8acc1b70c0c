//! Slot schedules: a weekly pattern (days of the week and start times) that generates the
//! slots of a date range, minus closed days; and the week view of a venue's slots, where an
//! admin changes a slot's capacity, closes or reopens it, or deletes one nothing was sold for.
//!
//! A pattern whose slots would overlap existing ones creates nothing: it reports the
//! overlaps (or, when asked, skips those slots and creates the rest). A slot that exists
//! already with the same start, end and capacity is left alone, so a pattern may be run
//! twice.

use std::collections::{HashMap, HashSet};

use aspk_domain::{ConflictCode, Slot, Venue};
use aspk_oplog::{OpBody, SlotState, State};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use crate::access::Action;
use crate::catalog::{local_day_bounds, slot_id, venue_of};
use crate::{AppError, Node, Principal};

/// Longest range one schedule run covers.
const MAX_DAYS: i64 = 400;

#[derive(Debug, Clone)]
pub struct WeeklyPattern {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub weekdays: Vec<Weekday>,
    /// Start times in the venue's zone.
    pub starts: Vec<NaiveTime>,
    pub minutes: u32,
    pub capacity: u32,
    pub closed_days: Vec<NaiveDate>,
    /// Create the slots that do not overlap and skip those that do (default: create
    /// nothing when any overlaps).
    pub skip_overlaps: bool,
}

impl WeeklyPattern {
    fn check(&self) -> Result<(), AppError> {
        if self.to < self.from || (self.to - self.from).num_days() >= MAX_DAYS {
            return Err(AppError::invalid(
                "to",
                format!("the range must run forwards and span at most {MAX_DAYS} days"),
            ));
        }
        if self.weekdays.is_empty() {
            return Err(AppError::invalid(
                "weekdays",
                "choose at least one day of the week",
            ));
        }
        if self.starts.is_empty() {
            return Err(AppError::invalid("starts", "give at least one start time"));
        }
        if !(5..=24 * 60).contains(&self.minutes) {
            return Err(AppError::invalid("minutes", "must be 5 to 1440"));
        }
        if self.capacity == 0 || self.capacity > Slot::MAX_CAPACITY {
            return Err(AppError::invalid(
                "capacity",
                "must be between 1 and 1000000",
            ));
        }
        Ok(())
    }

    /// Every slot the pattern stands for at `venue` (ids not yet given), in start order.
    fn planned(&self, venue: &Venue) -> Vec<Slot> {
        let tz = venue.tz();
        let mut starts = self.starts.clone();
        starts.sort_unstable();
        starts.dedup();
        let mut out = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            let open = self.weekdays.contains(&day.weekday()) && !self.closed_days.contains(&day);
            for start in starts.iter().filter(|_| open) {
                let Some(local) = tz.from_local_datetime(&day.and_time(*start)).earliest() else {
                    continue; // a time skipped by a clock change
                };
                let starts_at = local.with_timezone(&Utc);
                out.push(Slot {
                    venue: venue.id.clone(),
                    id: String::new(),
                    starts_at,
                    ends_at: starts_at + Duration::minutes(i64::from(self.minutes)),
                    capacity: self.capacity,
                });
            }
            day += Duration::days(1);
        }
        out
    }
}

/// A slot of the week view.
#[derive(Debug, Clone)]
pub struct WeekSlot {
    pub slot: SlotState,
    /// Tickets of the slot that were used to enter.
    pub entered: u32,
    /// Whether any ticket was ever issued for it (then it cannot be deleted).
    pub has_sales: bool,
}

/// A slot a pattern would create that overlaps one the venue has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: u32,
    /// The existing slot it overlaps.
    pub existing: Slot,
}

/// What a schedule run did.
#[derive(Debug, Clone, Default)]
pub struct ScheduleOutcome {
    /// Slots created.
    pub created: usize,
    /// Slots left out because they exist already, exactly so.
    pub existing: usize,
    /// Slots that overlap existing ones: none were created when any is listed, unless the
    /// pattern asked to skip them.
    pub overlaps: Vec<Overlap>,
}

/// How a planned slot meets the venue's existing ones.
enum Fit {
    Free,
    /// The same start, end and capacity: already there.
    Exists,
    Overlaps(Slot),
}

fn fit(state: &State, planned: &Slot) -> Fit {
    let venue = &planned.venue;
    let mut meeting = state
        .slots_overlapping(venue, planned.starts_at, planned.ends_at)
        .filter(|s| s.slot.starts_at < planned.ends_at && planned.starts_at < s.slot.ends_at);
    match meeting.next() {
        None => Fit::Free,
        Some(s)
            if s.slot.starts_at == planned.starts_at
                && s.slot.ends_at == planned.ends_at
                && s.slot.capacity == planned.capacity =>
        {
            Fit::Exists
        }
        Some(s) => Fit::Overlaps(s.slot.clone()),
    }
}

/// The Monday of the week `date` falls in.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The live (not deleted) slot `id`, or why there is none.
fn live_slot<'a>(state: &'a State, id: &str) -> Result<&'a SlotState, AppError> {
    state
        .slots()
        .get(id)
        .filter(|s| !s.is_deleted)
        .ok_or_else(|| AppError::NotFound {
            what: "slot",
            id: id.to_owned(),
        })
}

/// Why `slot` may not take `capacity`, in the use case's words.
fn capacity_refusal(slot: &SlotState, capacity: u32) -> Result<(), AppError> {
    if capacity == 0 || capacity > Slot::MAX_CAPACITY {
        return Err(AppError::invalid(
            "capacity",
            "must be between 1 and 1000000",
        ));
    }
    if capacity < slot.sold {
        return Err(AppError::Conflict {
            code: ConflictCode::BelowSold,
            detail: format!(
                "{} tickets are sold for slot {}: the capacity cannot drop below that",
                slot.sold, slot.slot.id
            ),
        });
    }
    Ok(())
}

impl Node {
    /// Creates the pattern's slots (managers and admins). When any would overlap a slot of
    /// the venue, nothing is created and the overlaps are returned (unless the pattern
    /// asks to skip them).
    pub async fn apply_schedule(
        &self,
        who: &Principal,
        venue: &str,
        pattern: WeeklyPattern,
    ) -> Result<ScheduleOutcome, AppError> {
        who.require_to(Action::CreateSlots)?;
        self.require_authority("create slots")?;
        pattern.check()?;
        let venue = venue.to_owned();
        let actor = who.actor();
        self.submit(move |batch| {
            let v = venue_of(batch.state(), &venue)?.clone();
            let mut outcome = ScheduleOutcome::default();
            let mut fresh: Vec<Slot> = Vec::new();
            for planned in pattern.planned(&v) {
                match fit(batch.state(), &planned) {
                    Fit::Free => fresh.push(planned),
                    Fit::Exists => outcome.existing += 1,
                    Fit::Overlaps(existing) => outcome.overlaps.push(Overlap {
                        starts_at: planned.starts_at,
                        ends_at: planned.ends_at,
                        capacity: planned.capacity,
                        existing,
                    }),
                }
            }
            if !outcome.overlaps.is_empty() && !pattern.skip_overlaps {
                return Ok(outcome);
            }
            for slot in &fresh {
                slot.validate()?;
            }
            for mut slot in fresh {
                // Recorded one by one, so that each id is new to the state the next sees.
                slot.id = slot_id(batch.state(), &v, slot.starts_at);
                batch.record(&actor, vec![OpBody::SlotCreated(slot)]);
                outcome.created += 1;
            }
            Ok(outcome)
        })
        .await
    }

    /// The venue's slots of the week (Monday to Sunday, the venue's time) that `monday`
    /// falls in, in start order, with what was sold and entered (admins).
    pub fn week_slots(
        &self,
        who: &Principal,
        venue: &str,
        monday: NaiveDate,
    ) -> Result<Vec<WeekSlot>, AppError> {
        who.require_to(Action::OpenSettings)?;
        self.read(|state| {
            let v = venue_of(state, venue)?;
            let monday = week_start(monday);
            let from = local_day_bounds(v, monday).0;
            let to = local_day_bounds(v, monday + Duration::days(7)).0;
            let slots: Vec<&SlotState> = state.slots_between(&v.id, from, to).collect();
            let mut entered: HashMap<&str, u32> = HashMap::new();
            let mut issued: HashSet<&str> = HashSet::new();
            if !slots.is_empty() {
                for ticket in state.tickets().briefs() {
                    let Some(slot) = ticket.slot else { continue };
                    issued.insert(slot);
                    if state.tickets().entry_count(ticket.serial) > 0 {
                        *entered.entry(slot).or_default() += 1;
                    }
                }
            }
            Ok(slots
                .into_iter()
                .map(|s| WeekSlot {
                    entered: entered.get(s.slot.id.as_str()).copied().unwrap_or(0),
                    has_sales: s.sold > 0 || issued.contains(s.slot.id.as_str()),
                    slot: s.clone(),
                })
                .collect())
        })
    }

    /// Changes a slot's capacity and/or closes or reopens it (admins). The capacity may not
    /// drop below the tickets sold (valid and used).
    pub async fn change_slot(
        &self,
        who: &Principal,
        slot: &str,
        capacity: Option<u32>,
        is_closed: Option<bool>,
    ) -> Result<SlotState, AppError> {
        who.require_to(Action::ChangeSlots)?;
        self.require_authority("change slots")?;
        let id = slot.to_owned();
        let actor = who.actor();
        self.submit(move |batch| {
            let current = live_slot(batch.state(), &id)?;
            if let Some(capacity) = capacity {
                capacity_refusal(current, capacity)?;
            }
            let body = OpBody::SlotChanged {
                slot: id.clone(),
                capacity,
                is_closed,
            };
            batch.record(&actor, vec![body]);
            live_slot(batch.state(), &id).cloned()
        })
        .await
    }

    /// Deletes a slot no ticket was ever issued for (admins).
    pub async fn delete_slot(&self, who: &Principal, slot: &str) -> Result<(), AppError> {
        who.require_to(Action::ChangeSlots)?;
        self.require_authority("delete slots")?;
        let id = slot.to_owned();
        let actor = who.actor();
        self.submit(move |batch| {
            live_slot(batch.state(), &id)?;
            if let Some(reason) = batch.state().slot_delete_refusal(&id) {
                return Err(AppError::Conflict {
                    code: ConflictCode::SlotSold,
                    detail: reason,
                });
            }
            batch.record(&actor, vec![OpBody::SlotDeleted { slot: id }]);
            Ok(())
        })
        .await
    }
}
