use std::sync::atomic::{AtomicU64, Ordering};

/// A hybrid logical clock reading: 48 bits of Unix milliseconds, 16 bits of counter.
/// Orders ops causally (a → b implies hlc(a) < hlc(b)) while staying close to wall time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Hlc(pub u64);

impl Hlc {
    pub fn from_parts(millis: u64, counter: u16) -> Self {
        Self((millis << 16) | u64::from(counter))
    }

    pub fn millis(self) -> u64 {
        self.0 >> 16
    }

    pub fn to_datetime(self) -> chrono::DateTime<chrono::Utc> {
        let millis = i64::try_from(self.millis()).unwrap_or(i64::MAX);
        chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default()
    }
}

/// Hands out strictly increasing HLC readings; `observe` folds in readings from other nodes.
#[derive(Debug, Default)]
pub struct HlcClock {
    last: AtomicU64,
    /// Added to the wall clock: a node whose clock is wrong (simulations set it).
    offset_ms: i64,
}

impl HlcClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock whose wall time is off by `offset_ms` (negative: behind).
    pub fn with_offset(offset_ms: i64) -> Self {
        Self {
            last: AtomicU64::new(0),
            offset_ms,
        }
    }

    fn wall(&self) -> u64 {
        let ms = chrono::Utc::now().timestamp_millis() + self.offset_ms;
        Hlc::from_parts(u64::try_from(ms).unwrap_or(0), 0).0
    }

    /// A reading greater than every reading handed out or observed before.
    pub fn now(&self) -> Hlc {
        let wall = self.wall();
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let next = if wall > prev { wall } else { prev + 1 };
            match self
                .last
                .compare_exchange_weak(prev, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Hlc(next),
                Err(actual) => prev = actual,
            }
        }
    }

    /// Moves the clock past a reading seen on another node (or in the log at start-up).
    pub fn observe(&self, seen: Hlc) {
        self.last.fetch_max(seen.0, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_behind_still_moves_past_what_it_saw() {
        let behind = HlcClock::with_offset(-3_600_000);
        let ahead = HlcClock::with_offset(3_600_000);
        let seen = ahead.now();
        assert!(behind.now() < seen, "an hour behind reads earlier");
        behind.observe(seen);
        assert!(behind.now() > seen, "after seeing it, never earlier");
    }

    #[test]
    fn readings_strictly_increase_and_pass_observed_ones() {
        let clock = HlcClock::new();
        let a = clock.now();
        let b = clock.now();
        assert!(b > a);
        let future = Hlc::from_parts(b.millis() + 60_000, 7);
        clock.observe(future);
        let c = clock.now();
        assert!(c > future);
        assert_eq!(c.millis(), future.millis());
    }
}
