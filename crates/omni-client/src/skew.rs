//! Clock-skew learning (`retry-resigns`): the offset between the Omni server's clock and the
//! local one, taught by `AUTH_003` answers and added to every later `x-timestamp`.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use omni_sign::Timestamp;

use crate::clock::millis;

/// The learnt offset, shared by a client and its clones.
#[derive(Debug, Default)]
pub(crate) struct Skew {
    /// Server clock minus local clock, in milliseconds.
    offset_ms: AtomicI64,
    /// Whether the first offset was already logged as a warning.
    warned: AtomicBool,
}

/// When one attempt left, on both of the client's clocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SentAt {
    pub(crate) wall: Duration,
    pub(crate) monotonic: Duration,
}

impl Skew {
    /// The current offset (server minus local, ms).
    pub(crate) fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// The `x-timestamp` for local wall time `wall`: corrected by the learnt offset.
    pub(crate) fn timestamp(&self, wall: Duration) -> Timestamp {
        Timestamp::from_millis(millis(wall).saturating_add_signed(self.offset_ms()))
    }

    /// Learns `server - local` from an `AUTH_003` answer received at monotonic time
    /// `received`, taking the local time of the server's reading as the midpoint of send and
    /// receipt (as the AWS SDKs do). The round trip is measured on the monotonic clock, so a
    /// wall clock stepping during the request does not skew the midpoint.
    pub(crate) fn learn(&self, server_ms: i64, sent: SentAt, received: Duration) {
        let half_trip = received.saturating_sub(sent.monotonic) / 2;
        let midpoint = millis(sent.wall.saturating_add(half_trip));
        let offset = server_ms.saturating_sub(i64::try_from(midpoint).unwrap_or(i64::MAX));
        let previous = self.offset_ms.swap(offset, Ordering::Relaxed);
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                offset_ms = offset,
                "local clock differs from the Omni server's: x-timestamp is corrected by the learnt offset from now on"
            );
        } else {
            tracing::debug!(
                offset_ms = offset,
                previous_ms = previous,
                "clock offset updated"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(wall_ms: u64, monotonic_ms: u64) -> SentAt {
        SentAt {
            wall: Duration::from_millis(wall_ms),
            monotonic: Duration::from_millis(monotonic_ms),
        }
    }

    #[test]
    fn the_offset_is_taken_against_the_midpoint_of_the_round_trip() {
        let skew = Skew::default();
        // Sent at wall 1,000 (monotonic 50), received 2,002 ms later: midpoint wall 2,001.
        skew.learn(10_000, sent(1_000, 50), Duration::from_millis(2_052));
        assert_eq!(skew.offset_ms(), 10_000 - 2_001);
        assert_eq!(
            skew.timestamp(Duration::from_millis(5)).as_millis(),
            5 + 7_999
        );
        skew.learn(500, sent(1_000, 0), Duration::ZERO);
        assert_eq!(skew.offset_ms(), -500);
        assert_eq!(skew.timestamp(Duration::from_millis(100)).as_millis(), 0);
        assert!(skew.warned.load(Ordering::Relaxed));
    }
}
