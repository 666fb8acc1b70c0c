//! Where "now" comes from. The app asks its clock, never the system directly, so tests move
//! time (a session's expiry, a lease's end) instead of sleeping through it.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// A clock shared by every part of a node.
pub type SharedClock = Arc<dyn Clock>;

/// The host's clock, off by a fixed offset (0 in real use; simulations skew nodes with it).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock {
    offset_ms: i64,
}

impl SystemClock {
    /// The host's clock as it is.
    pub fn shared() -> SharedClock {
        Arc::new(Self::default())
    }

    /// The host's clock moved by `offset_ms` (negative: behind).
    pub fn offset_by(offset_ms: i64) -> SharedClock {
        Arc::new(Self { offset_ms })
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms)
    }
}

/// A clock that moves only when told to: the host's time when made, then `advance`d.
#[derive(Debug)]
pub struct ManualClock {
    millis: AtomicI64,
}

impl ManualClock {
    /// A clock standing at the host's current time.
    pub fn starting_now() -> Arc<Self> {
        Arc::new(Self {
            millis: AtomicI64::new(Utc::now().timestamp_millis()),
        })
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.millis
            .fetch_add(by.num_milliseconds(), Ordering::AcqRel);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(Ordering::Acquire)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::starting_now();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(chrono::Duration::minutes(16));
        assert_eq!(clock.now() - start, chrono::Duration::minutes(16));
    }

    #[test]
    fn a_skewed_system_clock_is_off_by_its_offset() {
        let behind = SystemClock::offset_by(-60_000).now();
        let host = Utc::now();
        let off = host - behind;
        assert!(off >= chrono::Duration::seconds(59) && off <= chrono::Duration::seconds(61));
    }
}
