use std::sync::atomic::{AtomicU64, Ordering};

use aspk_domain::{SharedClock, SystemClock};

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
#[derive(Debug)]
pub struct HlcClock {
    last: AtomicU64,
    /// The wall clock this one stays close to.
    wall_clock: SharedClock,
    /// How far past its own wall clock a reading seen elsewhere may move this clock (none:
    /// no bound). A node never hands out readings further ahead than that because of an
    /// op it received.
    max_ahead_ms: Option<u64>,
}

impl Default for HlcClock {
    fn default() -> Self {
        Self::on(SystemClock::shared())
    }
}

impl HlcClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock whose wall time is off by `offset_ms` (negative: behind).
    pub fn with_offset(offset_ms: i64) -> Self {
        Self::on(SystemClock::offset_by(offset_ms))
    }

    /// A clock that stays close to `wall_clock`.
    pub fn on(wall_clock: SharedClock) -> Self {
        Self {
            last: AtomicU64::new(0),
            wall_clock,
            max_ahead_ms: None,
        }
    }

    /// This clock, never moved further than `max_ahead_ms` past its wall time by what it
    /// observes.
    pub fn bounded(mut self, max_ahead_ms: i64) -> Self {
        self.max_ahead_ms = Some(u64::try_from(max_ahead_ms).unwrap_or(0));
        self
    }

    /// The wall time as an HLC reading (counter 0).
    pub fn wall_reading(&self) -> Hlc {
        Hlc(self.wall())
    }

    /// Whether `seen` is further ahead of this clock's wall time than the bound allows.
    pub fn is_too_far_ahead(&self, seen: Hlc) -> bool {
        self.max_ahead_ms
            .is_some_and(|ahead| seen.millis() > Hlc(self.wall()).millis().saturating_add(ahead))
    }

    fn wall(&self) -> u64 {
        let ms = self.wall_clock.now().timestamp_millis();
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

    /// Moves the clock past a reading seen on another node (or in the log at start-up),
    /// but no further ahead of the wall clock than the bound.
    pub fn observe(&self, seen: Hlc) {
        let seen = match self.max_ahead_ms {
            Some(ahead) => {
                let cap = Hlc(self.wall()).millis().saturating_add(ahead);
                seen.0.min(Hlc::from_parts(cap, u16::MAX).0)
            }
            None => seen.0,
        };
        self.last.fetch_max(seen, Ordering::AcqRel);
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
    fn a_bounded_clock_is_not_dragged_far_ahead() {
        let clock = HlcClock::new().bounded(300_000);
        let wall = clock.now();
        let poisoned = Hlc(u64::MAX >> 1);
        assert!(clock.is_too_far_ahead(poisoned));
        clock.observe(poisoned);
        let next = clock.now();
        assert!(next.millis() <= wall.millis() + 300_000 + 1_000, "{next:?}");
        let near = Hlc::from_parts(wall.millis() + 60_000, 0);
        assert!(!clock.is_too_far_ahead(near));
        clock.observe(near);
        assert!(clock.now() > near);
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
