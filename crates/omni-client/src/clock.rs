//! The clock the client stamps `x-timestamp` with.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A wall clock in Unix epoch milliseconds. Injectable so tests (and services with their own
/// time source) control `x-timestamp`; the client adds its learnt skew offset on top.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The operating system's wall clock. The default.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        // A clock set before 1970 reads as the epoch: the server's AUTH_003 answer then teaches
        // the client the offset.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock shifted by a fixed number of milliseconds from another one, e.g. to simulate a
/// machine whose clock is wrong.
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
    fn now_ms(&self) -> u64 {
        self.inner.now_ms().saturating_add_signed(self.offset_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_clock_shifts_and_saturates() {
        #[derive(Debug)]
        struct Fixed(u64);
        impl Clock for Fixed {
            fn now_ms(&self) -> u64 {
                self.0
            }
        }
        assert_eq!(OffsetClock::new(Fixed(1_000), -600).now_ms(), 400);
        assert_eq!(OffsetClock::new(Fixed(1_000), 600).now_ms(), 1_600);
        assert_eq!(OffsetClock::new(Fixed(1), -600).now_ms(), 0);
        assert!(SystemClock.now_ms() > 1_700_000_000_000);
    }
}
