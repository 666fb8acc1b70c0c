//! The shop's month calendar and a day's slots with live availability.

use aspk_app::CatalogView;
use aspk_domain::Venue;
use aspk_oplog::SlotState;
use chrono::{Datelike, Days, Months, NaiveDate};

use super::Visitor;

/// How far ahead the shop looks for the first day with seats when no day was chosen.
const LOOK_AHEAD_DAYS: u64 = 60;

/// How full a slot is, as a visitor sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Seats {
    SoldOut,
    /// At most 10 % of the slot, or at most 5 seats, left.
    FewLeft(u32),
    Left(u32),
}

impl Seats {
    pub fn of(left: u32, capacity: u32) -> Seats {
        match left {
            0 => Seats::SoldOut,
            n if n <= 5 || u64::from(n) * 10 <= u64::from(capacity) => Seats::FewLeft(n),
            n => Seats::Left(n),
        }
    }
}

/// One slot of the chosen day.
pub struct SlotRow {
    pub id: String,
    pub time: String,
    pub seats: Seats,
    /// "Sold out", "Few left: 3", "42 seats left".
    pub label: String,
    pub href: String,
    pub chosen: bool,
}

/// One cell of the month grid.
pub struct DayCell {
    /// Day of the month; 0 for the blanks before the 1st and after the last.
    pub day: u32,
    pub href: Option<String>,
    pub sold_out: bool,
    pub chosen: bool,
    pub today: bool,
}

pub struct Month {
    pub caption: String,
    pub weekdays: Vec<String>,
    pub weeks: Vec<Vec<DayCell>>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// The slots of `date` a visitor may still buy for (on sale, not over yet), with what is
/// left of each.
pub fn open_slots(v: &Visitor, venue: &Venue, date: NaiveDate) -> Vec<(SlotState, u32)> {
    let now = v.state.node.now();
    let Ok(view) = v.state.node.catalog(venue.id.as_str(), Some(date)) else {
        return Vec::new();
    };
    let CatalogView { slots, .. } = view;
    let tz = venue.tz();
    slots
        .into_iter()
        .filter(|s| s.slot.ends_at > now)
        .filter(|s| s.slot.starts_at.with_timezone(&tz).date_naive() == date)
        .map(|s| {
            let left = v.state.node.seats_for_sale(&s);
            (s, left)
        })
        .collect()
}

/// The first day from `today` with a seat left, within [`LOOK_AHEAD_DAYS`].
pub fn first_open_day(v: &Visitor, venue: &Venue, today: NaiveDate) -> Option<NaiveDate> {
    (0..LOOK_AHEAD_DAYS)
        .filter_map(|d| today.checked_add_days(Days::new(d)))
        .find(|&d| open_slots(v, venue, d).iter().any(|(_, left)| *left > 0))
}

/// The slots of a day as rows, `chosen` marked.
pub fn slot_rows(
    v: &Visitor,
    venue: &Venue,
    date: NaiveDate,
    slots: &[(SlotState, u32)],
    chosen: Option<&str>,
) -> Vec<SlotRow> {
    slots
        .iter()
        .map(|(s, left)| {
            let seats = Seats::of(*left, s.slot.capacity);
            let label = match seats {
                Seats::SoldOut => v.t("shop-sold-out"),
                Seats::FewLeft(n) => v.t_args("shop-few-left", &[("count", n.into())]),
                Seats::Left(n) => v.t_args("shop-seats-left", &[("count", n.into())]),
            };
            SlotRow {
                id: s.slot.id.clone(),
                time: format!(
                    "{}–{}",
                    v.clock(s.slot.starts_at, venue),
                    v.clock(s.slot.ends_at, venue)
                ),
                seats,
                label,
                href: day_href(venue, date, Some(&s.slot.id)),
                chosen: chosen == Some(s.slot.id.as_str()),
            }
        })
        .collect()
}

/// The shop's address for `date` (and a slot of it).
pub fn day_href(venue: &Venue, date: NaiveDate, slot: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("date", &date.to_string());
    if let Some(slot) = slot {
        query.append_pair("slot", slot);
    }
    format!("/shop/{}?{}", venue.id, query.finish())
}

/// The catalogues' short name of a weekday (`mon`, …).
pub fn weekday_key(day: chrono::Weekday) -> &'static str {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    NAMES[day.num_days_from_monday() as usize % 7]
}

const WEEKDAY_KEYS: [&str; 7] = [
    "weekday-mon",
    "weekday-tue",
    "weekday-wed",
    "weekday-thu",
    "weekday-fri",
    "weekday-sat",
    "weekday-sun",
];

/// The month holding `first` (its 1st), Monday first: open days are links, days whose
/// slots are all sold out are marked; no way back before this month.
pub fn month(
    v: &Visitor,
    venue: &Venue,
    first: NaiveDate,
    today: NaiveDate,
    chosen: Option<NaiveDate>,
) -> Month {
    let next_first = first.checked_add_months(Months::new(1)).unwrap_or(first);
    let mut cells: Vec<DayCell> = (0..first.weekday().num_days_from_monday())
        .map(|_| blank())
        .collect();
    let mut day = first;
    while day < next_first {
        let slots = if day >= today {
            open_slots(v, venue, day)
        } else {
            Vec::new()
        };
        let open = slots.iter().any(|(_, left)| *left > 0);
        cells.push(DayCell {
            day: day.day(),
            href: open.then(|| day_href(venue, day, None)),
            sold_out: !slots.is_empty() && !open,
            chosen: chosen == Some(day),
            today: day == today,
        });
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    while !cells.len().is_multiple_of(7) {
        cells.push(blank());
    }
    let mut weeks = Vec::new();
    while !cells.is_empty() {
        let rest = cells.split_off(7.min(cells.len()));
        weeks.push(std::mem::replace(&mut cells, rest));
    }
    let this_month = today.with_day(1).unwrap_or(today);
    let month_href = |d: NaiveDate| format!("/shop/{}?month={}", venue.id, d.format("%Y-%m"));
    Month {
        caption: format!(
            "{} {}",
            v.t(&format!("shop-month-{}", first.month())),
            first.year()
        ),
        weekdays: WEEKDAY_KEYS.iter().map(|k| v.t(k)).collect(),
        weeks,
        prev: first
            .checked_sub_months(Months::new(1))
            .filter(|p| *p >= this_month)
            .map(month_href),
        next: (next_first <= this_month + Months::new(12)).then(|| month_href(next_first)),
    }
}

fn blank() -> DayCell {
    DayCell {
        day: 0,
        href: None,
        sold_out: false,
        chosen: false,
        today: false,
    }
}

/// `YYYY-MM` as the 1st of that month.
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_left_is_ten_percent_or_five_seats() {
        assert!(Seats::of(0, 100) == Seats::SoldOut);
        assert!(Seats::of(5, 1000) == Seats::FewLeft(5));
        assert!(Seats::of(10, 100) == Seats::FewLeft(10));
        assert!(Seats::of(11, 100) == Seats::Left(11));
        assert!(Seats::of(6, 20) == Seats::Left(6));
        assert_eq!(parse_month("2026-02"), NaiveDate::from_ymd_opt(2026, 2, 1));
        assert_eq!(parse_month("2026-13"), None);
    }
}
