//! What a ticket code says: [`TicketClaims`], its [`Validity`], and how to
//! judge that validity against the current time ([`time_verdict`]).

/// Largest serial a ticket code can carry, plus one: serials have at most 11
/// decimal digits.
pub const SERIAL_LIMIT: u64 = 100_000_000_000;

/// The signed content of a ticket code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketClaims {
    /// Ticket serial, `< 10^11` ([`SERIAL_LIMIT`]); also the human ticket number.
    pub serial: u64,
    /// Venue id.
    pub venue: u16,
    /// Product id (ticket type).
    pub product: u16,
    /// When the ticket may be used.
    pub validity: Validity,
    /// Staff must check an identity or concession document at entry.
    pub needs_document_check: bool,
}

/// When a ticket may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// A time window in unix seconds, `from_unix` inclusive, `until_unix`
    /// exclusive. The code stores minutes: when issuing, `from_unix` is
    /// rounded down and `until_unix` up to a whole minute, so decoded values
    /// are always multiples of 60.
    Window {
        /// Start of the window (unix seconds, inclusive).
        from_unix: i64,
        /// End of the window (unix seconds, exclusive).
        until_unix: i64,
    },
    /// A range of calendar days, both ends inclusive, counted as days since
    /// 1970-01-01 in the venue's local calendar.
    Days {
        /// First valid day.
        first_day: i32,
        /// Last valid day (inclusive).
        last_day: i32,
    },
}

impl Validity {
    /// The last day the ticket may be used, as days since 1970-01-01: the UTC day of a
    /// window's last second, or a day range's last day (in the venue's calendar). What a
    /// delegated key's validity is compared with (see [`within_key`]).
    pub fn last_day(&self) -> i64 {
        match *self {
            Validity::Window { until_unix, .. } => (until_unix - 1).div_euclid(86_400),
            Validity::Days { last_day, .. } => i64::from(last_day),
        }
    }
}

/// Whether a ticket with `validity` lies inside the validity of the key that signed it: it
/// may not be usable after the day the key expires (`key_until_unix`; none: a key without
/// an end, such as the organisation's root key). Day-granular, so a local calendar day
/// and a UTC instant compare without knowing the venue's zone.
pub fn within_key(validity: &Validity, key_until_unix: Option<i64>) -> bool {
    key_until_unix.is_none_or(|until| validity.last_day() <= until.div_euclid(86_400))
}

/// Result of [`time_verdict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeVerdict {
    /// Too early.
    NotYetValid,
    /// Inside the validity.
    Valid,
    /// Too late.
    Expired,
}

/// Judges a validity against the present moment.
///
/// - `Window`: `NotYetValid` if `now_unix < from_unix - early_open_secs`,
///   `Expired` if `now_unix >= until_unix`, otherwise `Valid`. The early
///   opening lets visitors in before their slot; a negative value counts as 0.
/// - `Days`: compares `local_day` (today in the venue's local calendar, days
///   since 1970-01-01) with the inclusive range; `now_unix` and
///   `early_open_secs` are not used.
///
/// This is a pure function: the caller supplies the clock and the venue's
/// local day, and decides what to do with the verdict.
pub fn time_verdict(
    validity: &Validity,
    now_unix: i64,
    local_day: i32,
    early_open_secs: i64,
) -> TimeVerdict {
    match *validity {
        Validity::Window {
            from_unix,
            until_unix,
        } => {
            let opens = from_unix.saturating_sub(early_open_secs.max(0));
            if now_unix < opens {
                TimeVerdict::NotYetValid
            } else if now_unix >= until_unix {
                TimeVerdict::Expired
            } else {
                TimeVerdict::Valid
            }
        }
        Validity::Days {
            first_day,
            last_day,
        } => {
            if local_day < first_day {
                TimeVerdict::NotYetValid
            } else if local_day > last_day {
                TimeVerdict::Expired
            } else {
                TimeVerdict::Valid
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Validity = Validity::Window {
        from_unix: 1_000_000_020,
        until_unix: 1_000_003_620,
    };

    #[test]
    fn a_ticket_must_end_by_the_day_its_key_expires() {
        let day = 20_000_i64; // 2024-10-04
        let window = |from: i64, until: i64| Validity::Window {
            from_unix: from,
            until_unix: until,
        };
        let key_until = Some(day * 86_400 + 3_600); // 01:00 UTC that day
                                                    // Ends at the stroke of midnight after the key's day: its last second is that day.
        assert!(within_key(
            &window(day * 86_400, (day + 1) * 86_400),
            key_until
        ));
        assert!(!within_key(
            &window(day * 86_400, (day + 1) * 86_400 + 60),
            key_until
        ));
        let days = |first: i32, last: i32| Validity::Days {
            first_day: first,
            last_day: last,
        };
        assert!(within_key(&days(19_990, day as i32), key_until));
        assert!(!within_key(&days(19_990, day as i32 + 1), key_until));
        // A key without an end (the root key) allows any ticket.
        assert!(within_key(&days(0, i32::MAX), None));
    }

    #[test]
    fn window_edges() {
        use TimeVerdict::*;
        assert_eq!(time_verdict(&W, 1_000_000_019, 0, 0), NotYetValid);
        assert_eq!(time_verdict(&W, 1_000_000_020, 0, 0), Valid);
        assert_eq!(time_verdict(&W, 1_000_003_619, 0, 0), Valid);
        assert_eq!(time_verdict(&W, 1_000_003_620, 0, 0), Expired);
        assert_eq!(time_verdict(&W, 999_999_120, 0, 900), Valid);
        assert_eq!(time_verdict(&W, 999_999_119, 0, 900), NotYetValid);
        assert_eq!(time_verdict(&W, 1_000_000_019, 0, -900), NotYetValid);
        assert_eq!(time_verdict(&W, i64::MIN, 0, i64::MAX), NotYetValid);
        assert_eq!(time_verdict(&W, i64::MAX, 0, i64::MAX), Expired);
    }

    #[test]
    fn day_edges() {
        use TimeVerdict::*;
        let d = Validity::Days {
            first_day: 20_000,
            last_day: 20_002,
        };
        assert_eq!(time_verdict(&d, 0, 19_999, 0), NotYetValid);
        assert_eq!(time_verdict(&d, 0, 20_000, 0), Valid);
        assert_eq!(time_verdict(&d, 0, 20_002, 0), Valid);
        assert_eq!(time_verdict(&d, 0, 20_003, 0), Expired);
        assert_eq!(time_verdict(&d, i64::MAX, 20_001, i64::MAX), Valid);
    }
}
