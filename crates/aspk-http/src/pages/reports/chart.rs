//! The attendance chart, drawn as SVG by the template: for each day (or, for a one-day
//! report, each slot, labelled with its date and time) the capacity as an outline and two
//! bars, sold and entered. Bar sizes are SVG attributes, which the pages' strict
//! Content-Security-Policy allows (it refuses `style=` attributes).

use std::collections::BTreeMap;

use aspk_app::Report;
use chrono::NaiveDate;

/// Height of the plot area.
const PLOT: u32 = 160;
/// Where the plot starts (below the legend).
const TOP: u32 = 30;
const BAR: u32 = 16;
const GAP: u32 = 22;
const LEFT: u32 = 8;
/// The legend needs this much width at least.
const MIN_WIDTH: u32 = 460;

pub(crate) struct Chart {
    pub width: u32,
    pub height: u32,
    pub bar: u32,
    pub groups: Vec<Group>,
    /// Where the two label lines under the bars sit.
    pub date_y: u32,
    pub time_y: u32,
    /// The baseline of the plot.
    pub base_y: u32,
}

/// One day's (or slot's) bars in SVG coordinates, with its label.
pub(crate) struct Group {
    pub x: u32,
    pub capacity_y: u32,
    pub capacity_width: u32,
    pub capacity_height: u32,
    pub sold_y: u32,
    pub sold_height: u32,
    pub entered_x: u32,
    pub entered_y: u32,
    pub entered_height: u32,
    pub capacity: u32,
    pub sold: u32,
    pub entered: u32,
    pub date: String,
    /// The slot's time, for a one-day report; empty per day.
    pub time: String,
}

/// Capacity, sold and entered of one bar group before it is laid out.
struct Counts {
    date: String,
    time: String,
    capacity: u32,
    sold: u32,
    entered: u32,
}

/// Per slot for a one-day report, else per day; none without slots.
pub(crate) fn chart(r: &Report) -> Option<Chart> {
    if r.attendance.is_empty() {
        return None;
    }
    let counts = if r.from == r.to {
        per_slot(r)
    } else {
        per_day(r)
    };
    let max = counts
        .iter()
        .map(|c| c.capacity.max(c.sold).max(c.entered))
        .max()
        .unwrap_or(1)
        .max(1);
    let step = BAR * 2 + GAP;
    let groups: Vec<Group> = counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| layout(LEFT + u32::try_from(i).unwrap_or(0) * step, c, max))
        .collect();
    let n = u32::try_from(groups.len()).unwrap_or(1);
    Some(Chart {
        width: (LEFT * 2 + step * n).max(MIN_WIDTH),
        height: TOP + PLOT + 34,
        bar: BAR,
        groups,
        date_y: TOP + PLOT + 14,
        time_y: TOP + PLOT + 28,
        base_y: TOP + PLOT,
    })
}

fn layout(x: u32, c: Counts, max: u32) -> Group {
    // Anything at all gets a visible bar.
    let scale = |n: u32| {
        let h = u32::try_from(u64::from(n) * u64::from(PLOT) / u64::from(max)).unwrap_or(PLOT);
        if n > 0 {
            h.max(2)
        } else {
            0
        }
    };
    let (capacity_height, sold_height, entered_height) =
        (scale(c.capacity), scale(c.sold), scale(c.entered));
    Group {
        x,
        capacity_y: TOP + PLOT - capacity_height,
        capacity_width: BAR * 2,
        capacity_height,
        sold_y: TOP + PLOT - sold_height,
        sold_height,
        entered_x: x + BAR,
        entered_y: TOP + PLOT - entered_height,
        entered_height,
        capacity: c.capacity,
        sold: c.sold,
        entered: c.entered,
        date: c.date,
        time: c.time,
    }
}

fn per_slot(r: &Report) -> Vec<Counts> {
    let tz = r.venue.tz();
    r.attendance
        .iter()
        .map(|a| {
            let local = a.starts_at.with_timezone(&tz);
            Counts {
                date: local.format("%d.%m").to_string(),
                time: local.format("%H:%M").to_string(),
                capacity: a.capacity,
                sold: a.sold,
                entered: a.entered,
            }
        })
        .collect()
}

fn per_day(r: &Report) -> Vec<Counts> {
    let tz = r.venue.tz();
    let mut days: BTreeMap<NaiveDate, (u32, u32, u32)> = BTreeMap::new();
    for a in &r.attendance {
        let day = days
            .entry(a.starts_at.with_timezone(&tz).date_naive())
            .or_default();
        day.0 += a.capacity;
        day.1 += a.sold;
        day.2 += a.entered;
    }
    days.into_iter()
        .map(|(d, (capacity, sold, entered))| Counts {
            date: d.format("%d.%m").to_string(),
            time: String::new(),
            capacity,
            sold,
            entered,
        })
        .collect()
}
