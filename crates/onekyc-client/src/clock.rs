//! Time sources: a monotonic clock for expiry and a wall clock for `expires_at`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where the cache reads the time. Injectable so that hours of token life can be simulated in
/// milliseconds; tokio's paused time cannot be used because the server under test runs in
/// another runtime.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Time since a fixed, arbitrary origin; never goes backwards. Expiry is measured on it.
    fn monotonic(&self) -> Duration;
    /// Time since the Unix epoch; may jump. Used only to read `expires_at` (`onekyc-expiry`).
    fn wall(&self) -> Duration;
}

/// The real clocks: [`Instant`] and [`SystemTime`].
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn wall(&self) -> Duration {
        // A wall clock set before 1970 reads as the epoch rather than failing.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }
}

/// A clock that moves only when told to; for tests and simulations.
///
/// [`advance`](Self::advance) moves both clocks; [`jump_wall`](Self::jump_wall) moves only the
/// wall clock, as an NTP step or a user changing the time would.
#[derive(Debug)]
pub struct ManualClock {
    monotonic_ns: AtomicU64,
    wall_ns: AtomicU64,
}

impl ManualClock {
    /// A clock at monotonic time 0 whose wall clock reads the current real time.
    pub fn new() -> Self {
        Self::starting_at(SystemClock::new().wall())
    }

    /// A clock at monotonic time 0 whose wall clock reads `wall` since the Unix epoch.
    pub fn starting_at(wall: Duration) -> Self {
        Self {
            monotonic_ns: AtomicU64::new(0),
            wall_ns: AtomicU64::new(saturating_nanos(wall)),
        }
    }

    /// Moves both clocks forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = saturating_nanos(by);
        self.monotonic_ns.fetch_add(by, Ordering::SeqCst);
        self.wall_ns.fetch_add(by, Ordering::SeqCst);
    }

    /// Moves only the wall clock, forward (`seconds > 0`) or back; the monotonic clock is untouched.
    pub fn jump_wall(&self, seconds: i64) {
        let delta = seconds.unsigned_abs().saturating_mul(1_000_000_000);
        // fetch_update's closure never returns None, so the Err arm cannot happen.
        let _ = self
            .wall_ns
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |wall| {
                Some(if seconds >= 0 {
                    wall.saturating_add(delta)
                } else {
                    wall.saturating_sub(delta)
                })
            });
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.monotonic_ns.load(Ordering::SeqCst))
    }

    fn wall(&self) -> Duration {
        Duration::from_nanos(self.wall_ns.load(Ordering::SeqCst))
    }
}

pub(crate) fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::starting_at(Duration::from_secs(1_000));
        assert_eq!(clock.monotonic(), Duration::ZERO);
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.monotonic(), Duration::from_secs(5));
        assert_eq!(clock.wall(), Duration::from_secs(1_005));
        clock.jump_wall(-2_000);
        assert_eq!(clock.wall(), Duration::ZERO);
        assert_eq!(clock.monotonic(), Duration::from_secs(5));
        clock.jump_wall(60);
        assert_eq!(clock.wall(), Duration::from_secs(60));
    }

    #[test]
    fn system_clock_is_monotonic() {
        let clock = SystemClock::new();
        let a = clock.monotonic();
        let b = clock.monotonic();
        assert!(b >= a);
        assert!(clock.wall() > Duration::from_secs(1_600_000_000));
    }
}
