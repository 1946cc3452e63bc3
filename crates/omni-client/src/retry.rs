//! The retry policy: which failures are retried, how often, how long to wait.

use std::time::Duration;

/// Bounded retries with jittered exponential backoff.
///
/// Retried: connection failures (nothing reached the server, so for every method), and for
/// idempotent methods (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`) or requests that opt in with
/// [`RequestBuilder::retry_non_idempotent`](crate::RequestBuilder::retry_non_idempotent): 5xx
/// answers, `429` (waiting at least its `Retry-After`), timeouts and connections dropped
/// mid-request. Every attempt gets a fresh `x-timestamp` and signature (`retry-resigns`).
///
/// The clock-skew retry on `AUTH_003` is separate: at most one per request, not counted here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt; `0` disables retrying.
    pub max_retries: u32,
    /// The backoff before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// A `429` asking to wait longer than this is not retried: the error is returned at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, backoff from 100 ms up to 2 s, `Retry-After` honoured up to 10 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (the clock-skew retry is configured separately).
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets [`RetryPolicy::max_retries`].
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets [`RetryPolicy::base_delay`] and [`RetryPolicy::max_delay`].
    pub fn with_backoff(mut self, base_delay: Duration, max_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self.max_delay = max_delay.max(base_delay);
        self
    }

    /// Sets [`RetryPolicy::max_retry_after`].
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// The wait before retry number `retry` (0-based): `base * 2^retry` capped at `max_delay`,
    /// then jittered uniformly into its upper half so that clients failing together do not
    /// retry together.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        let full = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = full / 2;
        half + full.mul_f64(fastrand::f64() * 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered_within_bounds() {
        let p = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(1000));
        for _ in 0..200 {
            let d0 = p.backoff(0);
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d2 = p.backoff(2);
            assert!(d2 >= Duration::from_millis(200) && d2 <= Duration::from_millis(400));
            let d30 = p.backoff(30);
            assert!(d30 >= Duration::from_millis(500) && d30 <= Duration::from_millis(1000));
        }
    }
}
