//! Slot schedules: a weekly pattern (days of the week and start times) that generates the
//! slots of a date range, minus closed days. Slots that already exist are left alone.

use aspk_domain::Slot;
use aspk_oplog::OpBody;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};

use crate::access::Action;
use crate::catalog::{slot_id, venue_of};
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
}

impl WeeklyPattern {
    fn check(&self) -> Result<(), AppError> {
        if self.to < self.from || (self.to - self.from).num_days() >= MAX_DAYS {
            return Err(AppError::invalid(
                "to",
                format!("the range must run forwards and span at most {MAX_DAYS} days"),
            ));
        }
        if self.weekdays.is_empty() || self.starts.is_empty() {
            return Err(AppError::invalid(
                "weekdays",
                "choose at least one day of the week and one start time",
            ));
        }
        if !(5..=24 * 60).contains(&self.minutes) {
            return Err(AppError::invalid("minutes", "must be 5 to 1440"));
        }
        Ok(())
    }
}

impl Node {
    /// Creates the pattern's slots (managers and admins); returns how many were new.
    pub async fn apply_schedule(
        &self,
        who: &Principal,
        venue: &str,
        pattern: WeeklyPattern,
    ) -> Result<usize, AppError> {
        who.require_to(Action::CreateSlots)?;
        self.require_authority("create slots")?;
        pattern.check()?;
        let venue = venue.to_owned();
        let actor = who.actor();
        self.submit(move |batch| {
            let v = venue_of(batch.state(), &venue)?.clone();
            let tz = v.tz();
            let mut slots: Vec<Slot> = Vec::new();
            let mut starts = pattern.starts.clone();
            starts.sort_unstable();
            starts.dedup();
            let mut day = pattern.from;
            while day <= pattern.to {
                let open = pattern.weekdays.contains(&day.weekday())
                    && !pattern.closed_days.contains(&day);
                for start in starts.iter().filter(|_| open) {
                    let Some(local) = tz.from_local_datetime(&day.and_time(*start)).earliest()
                    else {
                        continue; // a time skipped by a clock change
                    };
                    let starts_at = local.with_timezone(&chrono::Utc);
                    let taken = batch
                        .state()
                        .slots_between(&v.id, starts_at, starts_at + Duration::seconds(1))
                        .next()
                        .is_some();
                    if taken {
                        continue;
                    }
                    let slot = Slot {
                        venue: v.id.clone(),
                        id: slot_id(batch.state(), &v, starts_at),
                        starts_at,
                        ends_at: starts_at + Duration::minutes(i64::from(pattern.minutes)),
                        capacity: pattern.capacity,
                    };
                    slot.validate()?;
                    slots.push(slot);
                }
                day += Duration::days(1);
            }
            let count = slots.len();
            batch.record(&actor, slots.into_iter().map(OpBody::SlotCreated).collect());
            Ok(count)
        })
        .await
    }
}
