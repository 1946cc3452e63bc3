//! The clock the client stamps `x-timestamp` with. Same shape as onekyc-client's `Clock`
//! (CONTRIBUTING.md, "Conventions"): a monotonic reading and a wall reading, both `Duration`.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where the client reads the time. Injectable so tests (and services with their own time
/// source) control `x-timestamp`; the client adds its learnt skew offset on top.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Time since a fixed, arbitrary origin; never goes backwards. The round trip of an
    /// `AUTH_003` answer is measured on it.
    fn monotonic(&self) -> Duration;
    /// Time since the Unix epoch; may jump. `x-timestamp` is read from it.
    fn wall(&self) -> Duration;
}

/// The operating system's clocks: [`Instant`] and [`SystemTime`]. The default.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn wall(&self) -> Duration {
        // A clock set before 1970 reads as the epoch: the server's AUTH_003 answer then teaches
        // the client the offset.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }
}

/// A clock whose wall reading is shifted by a fixed number of milliseconds from another one,
/// e.g. to simulate a machine whose clock is wrong. The monotonic reading is not shifted.
#[derive(Debug)]
pub struct OffsetClock<C> {
    inner: C,
    offset_ms: i64,
}

impl<C: Clock> OffsetClock<C> {
    /// `inner` shifted by `offset_ms` (negative: behind).
    pub fn new(inner: C, offset_ms: i64) -> Self {
        OffsetClock { inner, offset_ms }
    }
}

impl<C: Clock> Clock for OffsetClock<C> {
    fn monotonic(&self) -> Duration {
        self.inner.monotonic()
    }

    fn wall(&self) -> Duration {
        let by = Duration::from_millis(self.offset_ms.unsigned_abs());
        let wall = self.inner.wall();
        if self.offset_ms >= 0 {
            wall.saturating_add(by)
        } else {
            wall.saturating_sub(by)
        }
    }
}

/// `d` in whole milliseconds, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(Duration);

    impl Clock for Fixed {
        fn monotonic(&self) -> Duration {
            Duration::from_secs(7)
        }
        fn wall(&self) -> Duration {
            self.0
        }
    }

    #[test]
    fn offset_clock_shifts_the_wall_reading_only_and_saturates() {
        let at = |ms| Fixed(Duration::from_millis(ms));
        assert_eq!(millis(OffsetClock::new(at(1_000), -600).wall()), 400);
        assert_eq!(millis(OffsetClock::new(at(1_000), 600).wall()), 1_600);
        assert_eq!(millis(OffsetClock::new(at(1), -600).wall()), 0);
        assert_eq!(
            OffsetClock::new(at(1), -600).monotonic(),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn system_clock_reads_the_real_time() {
        let clock = SystemClock::new();
        let a = clock.monotonic();
        assert!(clock.monotonic() >= a);
        assert!(clock.wall() > Duration::from_secs(1_700_000_000));
    }
}
