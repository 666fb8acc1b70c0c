//! Failed sign-ins, counted per user name *and* source address, with exponential backoff.
//!
//! After [`LOCKOUT_AFTER`] failures in a row from one source, that source may not try the
//! name for [`FIRST_LOCK`]; every further failure doubles the wait, up to [`MAX_LOCK`]. A
//! lock is per (name, source): someone guessing from one address never locks the right
//! password out from another, so guessing cannot be used to keep staff from signing in.
//! An IPv6 source counts by its /64 network (one host usually has a whole /64 to pick
//! addresses from). A success ends the streak; a streak is forgotten [`MAX_LOCK`] after
//! its last lock ended. Kept in memory, per node.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use crate::AppError;

/// Failed sign-ins in a row that lock a (name, source).
pub const LOCKOUT_AFTER: u32 = 5;
/// The first lock; each failure after it doubles the next one.
pub const FIRST_LOCK: Duration = Duration::from_secs(60);
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(60 * 60);

/// Streaks remembered before stale ones are dropped (and, beyond that, unlocked ones).
const MAX_ENTRIES: usize = 10_000;

/// The address a client is counted by: an IPv4 address (also when written as IPv6), or
/// the /64 network of an IPv6 address. Rate limits key on it too.
pub fn client_network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let net = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(net))
            }
        },
    }
}

type Key = (String, Option<IpAddr>);

#[derive(Debug, Clone, Copy)]
struct Streak {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

impl Streak {
    fn is_stale(&self, now: Instant) -> bool {
        now >= self.locked_until.unwrap_or(self.last).max(self.last) + MAX_LOCK
    }
}

/// Failed sign-ins per (user name, source) on this node.
#[derive(Default)]
pub(crate) struct Lockout(std::sync::Mutex<HashMap<Key, Streak>>);

fn key(name: &str, source: Option<IpAddr>) -> Key {
    (name.trim().to_lowercase(), source.map(client_network))
}

/// How long the lock after `failures` failures in a row lasts (none below the threshold).
fn lock_for(failures: u32) -> Option<Duration> {
    let doublings = failures.checked_sub(LOCKOUT_AFTER)?;
    let factor = 1u32.checked_shl(doublings.min(16)).unwrap_or(u32::MAX);
    Some(FIRST_LOCK.saturating_mul(factor).min(MAX_LOCK))
}

impl Lockout {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Streak>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refuses while `name` is locked for `source`.
    pub(crate) fn check(&self, name: &str, source: Option<IpAddr>) -> Result<(), AppError> {
        self.check_at(name, source, Instant::now())
    }

    fn check_at(&self, name: &str, source: Option<IpAddr>, now: Instant) -> Result<(), AppError> {
        let map = self.map();
        match map.get(&key(name, source)).and_then(|s| s.locked_until) {
            Some(until) if until > now => {
                let secs = until.saturating_duration_since(now).as_secs();
                Err(AppError::LockedOut {
                    minutes: u32::try_from(secs.div_ceil(60).max(1)).unwrap_or(u32::MAX),
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts a wrong password for `name` from `source`, locking it when that is one too many.
    pub(crate) fn failed(&self, name: &str, source: Option<IpAddr>) {
        self.failed_at(name, source, Instant::now());
    }

    fn failed_at(&self, name: &str, source: Option<IpAddr>, now: Instant) {
        let mut map = self.map();
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, s| !s.is_stale(now));
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, s| s.locked_until.is_some_and(|u| u > now));
            }
        }
        let streak = map.entry(key(name, source)).or_insert(Streak {
            failures: 0,
            last: now,
            locked_until: None,
        });
        if streak.is_stale(now) {
            streak.failures = 0;
            streak.locked_until = None;
        }
        streak.failures = streak.failures.saturating_add(1);
        streak.last = now;
        if let Some(lock) = lock_for(streak.failures) {
            streak.locked_until = Some(now + lock);
        }
    }

    /// A right password from `source`: its streak for `name` ends.
    pub(crate) fn succeeded(&self, name: &str, source: Option<IpAddr>) {
        self.map().remove(&key(name, source));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    fn locked_minutes(l: &Lockout, name: &str, source: Option<IpAddr>, now: Instant) -> u32 {
        match l.check_at(name, source, now) {
            Err(AppError::LockedOut { minutes }) => minutes,
            Ok(()) => 0,
            Err(other) => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn five_failures_lock_one_source_with_doubling_waits() {
        let l = Lockout::default();
        let attacker = ip("203.0.113.7");
        let t0 = Instant::now();
        for i in 0..LOCKOUT_AFTER {
            assert_eq!(locked_minutes(&l, "admin", attacker, t0), 0, "try {i}");
            l.failed_at("admin", attacker, t0);
        }
        assert_eq!(locked_minutes(&l, "Admin ", attacker, t0), 1);
        // Other sources, and other names from this source, are not locked.
        assert_eq!(locked_minutes(&l, "admin", ip("198.51.100.1"), t0), 0);
        assert_eq!(locked_minutes(&l, "admin", None, t0), 0);
        assert_eq!(locked_minutes(&l, "olena", attacker, t0), 0);
        // Each failure after the lock doubles the next: 2, 4, 8, … minutes, at most an hour.
        let mut now = t0;
        for expected in [2, 4, 8, 16, 32, 60, 60] {
            now += MAX_LOCK.min(FIRST_LOCK * expected) + Duration::from_secs(1);
            assert_eq!(locked_minutes(&l, "admin", attacker, now), 0);
            l.failed_at("admin", attacker, now);
            assert_eq!(locked_minutes(&l, "admin", attacker, now), expected);
        }
    }

    #[test]
    fn a_success_ends_the_streak_and_old_streaks_are_forgotten() {
        let l = Lockout::default();
        let src = ip("192.0.2.10");
        let t0 = Instant::now();
        for _ in 0..LOCKOUT_AFTER - 1 {
            l.failed_at("olena", src, t0);
        }
        l.succeeded("olena", src);
        l.failed_at("olena", src, t0);
        assert_eq!(
            locked_minutes(&l, "olena", src, t0),
            0,
            "the count started again"
        );
        for _ in 0..LOCKOUT_AFTER {
            l.failed_at("petro", src, t0);
        }
        let later = t0 + FIRST_LOCK + MAX_LOCK + Duration::from_secs(1);
        l.failed_at("petro", src, later);
        assert_eq!(
            locked_minutes(&l, "petro", src, later),
            0,
            "a streak an hour past its lock is forgotten"
        );
    }

    #[test]
    fn an_ipv6_source_counts_by_its_64_network() {
        let l = Lockout::default();
        let t0 = Instant::now();
        for i in 0..LOCKOUT_AFTER {
            l.failed_at("admin", ip(&format!("2001:db8:1:2::{i}")), t0);
        }
        assert_eq!(locked_minutes(&l, "admin", ip("2001:db8:1:2::ffff"), t0), 1);
        assert_eq!(locked_minutes(&l, "admin", ip("2001:db8:1:3::1"), t0), 0);
        assert_eq!(
            client_network("::ffff:192.0.2.1".parse().unwrap()),
            ip("192.0.2.1").unwrap()
        );
    }
}
