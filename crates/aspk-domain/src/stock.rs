//! Paper stock: pre-printed, pre-signed tickets (strict-accountability forms) in numbered
//! batches, and the ledger that accounts for every number of them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Slug, Username, ValidationError};

/// Most numbers one batch may hold.
pub const MAX_BATCH: u32 = 100_000;
/// Most numbers one entry (a sale, an issue, a void) may name.
pub const MAX_NUMBERS: usize = 10_000;

/// A run of pre-printed tickets of one series, for one venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockBatch {
    pub id: String,
    pub venue: Slug,
    /// Printed before the number ("А", "AB"): 1 to 4 letters.
    pub series: String,
    pub first: u32,
    pub last: u32,
    /// Digits the number is printed with (zero-padded), e.g. 4 for "0120".
    pub width: u8,
    /// The serial of number `first`; number `n` is serial `serial_from + (n - first)`.
    pub serial_from: u64,
    /// What it admits: one product, or any category priced at sale (`None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Slug>,
    /// The days it is valid (both ends inclusive); `None`: the slot is chosen at sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    /// The stock key its codes are signed with.
    pub key_id: u16,
    /// The drill it was made for: its tickets say so, only that drill's sales may use it,
    /// and undoing the drill voids it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

impl StockBatch {
    pub fn count(&self) -> u32 {
        self.last - self.first + 1
    }

    pub fn contains(&self, number: u32) -> bool {
        (self.first..=self.last).contains(&number)
    }

    pub fn serial_of(&self, number: u32) -> u64 {
        self.serial_from + u64::from(number - self.first)
    }

    /// The number printed on the ticket of `serial`, if it is one of this batch's.
    pub fn number_of(&self, serial: u64) -> Option<u32> {
        let offset = serial.checked_sub(self.serial_from)?;
        let offset = u32::try_from(offset).ok()?;
        (offset < self.count()).then(|| self.first + offset)
    }

    /// "А 0120" as printed.
    pub fn label(&self, number: u32) -> String {
        format!(
            "{} {:0width$}",
            self.series,
            number,
            width = self.width as usize
        )
    }
}

/// Where a number of the stock went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockMoveKind {
    /// Handed to a cashier (signed for).
    Issued,
    /// Damaged or misprinted: never sold.
    Spoilt,
    /// Lost or stolen: gates and phones refuse it from then on.
    Voided,
    /// Given back by the cashier, unsold.
    Returned,
}

impl StockMoveKind {
    pub const ALL: &'static [StockMoveKind] = &[
        StockMoveKind::Issued,
        StockMoveKind::Spoilt,
        StockMoveKind::Voided,
        StockMoveKind::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Spoilt => "spoilt",
            Self::Voided => "voided",
            Self::Returned => "returned",
        }
    }

    pub fn parse(raw: &str) -> Option<StockMoveKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == raw.trim())
    }
}

/// A ledger line: numbers `first..=last` of a batch moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMove {
    pub batch: String,
    pub first: u32,
    pub last: u32,
    pub kind: StockMoveKind,
    /// The cashier the numbers were issued to or returned by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cashier: Option<Username>,
    #[serde(default)]
    pub note: String,
}

/// Parses "0120-0187, 0190; 0200–0205" (ranges with `-` or `–`, single numbers; commas,
/// semicolons, spaces or new lines between) into sorted, non-overlapping inclusive ranges.
/// Returns the ranges and the width the numbers were typed with (the widest).
pub fn parse_numbers(text: &str) -> Result<Vec<(u32, u32)>, ValidationError> {
    let bad = |why: String| ValidationError::new("numbers", why);
    let mut ranges = Vec::new();
    let mut normal = text.replace(['–', '—'], "-").replace('\t', " ");
    while normal.contains(" -") || normal.contains("- ") {
        normal = normal.replace(" -", "-").replace("- ", "-");
    }
    for part in normal.split([',', ';', '\n', '\r', ' ', '\t']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let num = |s: &str| {
            (!s.is_empty() && s.len() <= 9 && s.chars().all(|c| c.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
                .ok_or_else(|| bad(format!("'{part}' is not a number or a range of numbers")))
        };
        let (lo, hi) = (num(a)?, num(b)?);
        if hi < lo {
            return Err(bad(format!("'{part}': the range runs backwards")));
        }
        ranges.push((lo, hi));
    }
    if ranges.is_empty() {
        return Err(bad("give at least one number".into()));
    }
    ranges.sort_unstable();
    for pair in ranges.windows(2) {
        if pair[1].0 <= pair[0].1 {
            return Err(bad(format!(
                "number {} is given twice",
                pair[1].0.max(pair[0].0)
            )));
        }
    }
    let total: u64 = ranges.iter().map(|(a, b)| u64::from(b - a) + 1).sum();
    if total > MAX_NUMBERS as u64 {
        return Err(bad(format!("at most {MAX_NUMBERS} numbers at once")));
    }
    Ok(ranges)
}

/// Checks a series: 1 to 4 letters (Cyrillic or Latin), kept upper-case.
pub fn parse_series(raw: &str) -> Result<String, ValidationError> {
    let series = raw.trim().to_uppercase();
    let ok = (1..=4).contains(&series.chars().count()) && series.chars().all(char::is_alphabetic);
    if ok {
        Ok(series)
    } else {
        Err(ValidationError::new("series", "must be 1 to 4 letters"))
    }
}

/// Shows ranges as people write them: "0120–0187, 0190".
pub fn format_ranges(ranges: &[(u32, u32)], width: u8) -> String {
    let w = width as usize;
    ranges
        .iter()
        .map(|&(a, b)| match a == b {
            true => format!("{a:0w$}"),
            false => format!("{a:0w$}–{b:0w$}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_lists_and_single_numbers() {
        let got = parse_numbers("0120-0187, 0190;0200 – 0201").unwrap();
        assert_eq!(got, vec![(120, 187), (190, 190), (200, 201)]);
        assert_eq!(format_ranges(&got, 4), "0120–0187, 0190, 0200–0201");
    }

    #[test]
    fn refuses_overlaps_backwards_ranges_and_words() {
        assert!(parse_numbers("10-20, 15").is_err());
        assert!(parse_numbers("20-10").is_err());
        assert!(parse_numbers("abc").is_err());
        assert!(parse_numbers("").is_err());
        assert!(parse_numbers("1-20000").is_err());
    }

    #[test]
    fn batch_numbers_and_serials_map_both_ways() {
        let batch = StockBatch {
            id: "b1".into(),
            venue: Slug::parse("venue", "demo").unwrap(),
            series: "А".into(),
            first: 101,
            last: 200,
            width: 4,
            serial_from: 20_000_000_000,
            product: None,
            valid_from: None,
            valid_until: None,
            key_id: 9,
            drill: None,
        };
        assert_eq!(batch.serial_of(120), 20_000_000_019);
        assert_eq!(batch.number_of(20_000_000_019), Some(120));
        assert_eq!(batch.number_of(20_000_000_100), None);
        assert_eq!(batch.label(120), "А 0120");
        assert_eq!(parse_series(" аб ").unwrap(), "АБ");
        assert!(parse_series("A1").is_err());
    }
}
