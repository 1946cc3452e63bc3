//! The retry policy and the retry decision: which failures are retried, how often, how long to
//! wait. [`RetryPolicy::decide`] is a pure function of one attempt's [`Outcome`].

use std::time::Duration;

use http::StatusCode;
use http::header::{HeaderMap, RETRY_AFTER};

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

/// What one attempt came to, and what the request has used so far: all that
/// [`RetryPolicy::decide`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) attempt: Attempt,
    /// The method is idempotent, or the request opted in to retrying it anyway.
    pub(crate) idempotent: bool,
    /// Retries already made under the policy (the clock-skew retry not counted).
    pub(crate) retries: u32,
    /// The clock-skew retry is still available: skew correction is on and it was not used.
    pub(crate) skew_retry_left: bool,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// A 2xx answer.
    Success,
    /// A non-success answer.
    Status {
        status: StatusCode,
        /// Its `Retry-After`, in seconds form.
        retry_after: Option<Duration>,
        /// An `AUTH_003` answer carrying the server's time: the offset was learnt from it.
        clock_skew: bool,
    },
    /// No connection was made: nothing reached the server.
    NotConnected,
    /// The request may have reached the server: timeout, connection dropped, protocol error.
    Transport,
    /// The HTTP stack could not build the request: another try would fail the same way.
    Unsendable,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Return this attempt's result to the caller (success, or a failure not retried).
    Return,
    /// Retry at once with the corrected clock: the server rejected the request before acting
    /// on it, so this is safe for every method.
    RetrySkew,
    /// Retry after a wait.
    Retry(Wait),
}

/// The wait before a retry: the backoff, jittered when sampled, and never less than the
/// server's `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Wait {
    /// The full backoff, before jitter.
    pub(crate) backoff: Duration,
    /// The `Retry-After` asked for, if any.
    pub(crate) at_least: Option<Duration>,
}

impl Wait {
    /// The delay to sleep: the backoff jittered uniformly into its upper half (so that clients
    /// failing together do not retry together), raised to `Retry-After`.
    pub(crate) fn sample(&self) -> Duration {
        let half = self.backoff / 2;
        let jittered = half + self.backoff.mul_f64(fastrand::f64() * 0.5);
        self.at_least.map_or(jittered, |after| after.max(jittered))
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

    /// The decision after one attempt.
    pub(crate) fn decide(&self, outcome: &Outcome) -> Decision {
        let retryable = match outcome.attempt {
            Attempt::Success | Attempt::Unsendable => return Decision::Return,
            Attempt::Status {
                clock_skew: true, ..
            } if outcome.skew_retry_left => {
                return Decision::RetrySkew;
            }
            Attempt::Status {
                status,
                retry_after,
                ..
            } => {
                if retry_after.is_some_and(|after| after > self.max_retry_after)
                    && status == StatusCode::TOO_MANY_REQUESTS
                {
                    return Decision::Return;
                }
                outcome.idempotent
                    && (status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS)
            }
            // A connection that was never made carried nothing: safe for every method.
            Attempt::NotConnected => true,
            Attempt::Transport => outcome.idempotent,
        };
        if !retryable || outcome.retries >= self.max_retries {
            return Decision::Return;
        }
        let at_least = match outcome.attempt {
            Attempt::Status {
                status: StatusCode::TOO_MANY_REQUESTS,
                retry_after,
                ..
            } => retry_after,
            _ => None,
        };
        Decision::Retry(Wait {
            backoff: self.backoff(outcome.retries),
            at_least,
        })
    }

    /// The full backoff before retry number `retry` (0-based): `base * 2^retry` capped at
    /// `max_delay`.
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the API and is ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn policy() -> RetryPolicy {
        RetryPolicy::default().with_backoff(MS(100), MS(1000))
    }

    fn outcome(attempt: Attempt) -> Outcome {
        Outcome {
            attempt,
            idempotent: true,
            retries: 0,
            skew_retry_left: true,
        }
    }

    fn status(code: u16) -> Attempt {
        Attempt::Status {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: None,
            clock_skew: false,
        }
    }

    fn retry(backoff: Duration, at_least: Option<Duration>) -> Decision {
        Decision::Retry(Wait { backoff, at_least })
    }

    #[test]
    fn success_and_client_errors_are_returned() {
        let p = policy();
        assert_eq!(p.decide(&outcome(Attempt::Success)), Decision::Return);
        assert_eq!(p.decide(&outcome(Attempt::Unsendable)), Decision::Return);
        for code in [400, 401, 404, 409] {
            assert_eq!(p.decide(&outcome(status(code))), Decision::Return, "{code}");
        }
    }

    #[test]
    fn server_errors_and_transport_failures_back_off_doubling_up_to_the_cap() {
        let p = policy();
        for (retries, backoff) in [(0, 100), (1, 200)] {
            let o = Outcome {
                retries,
                ..outcome(status(503))
            };
            assert_eq!(p.decide(&o), retry(MS(backoff), None));
        }
        let capped = RetryPolicy {
            max_retries: 40,
            ..p
        };
        let o = Outcome {
            retries: 30,
            ..outcome(Attempt::Transport)
        };
        assert_eq!(capped.decide(&o), retry(MS(1000), None));
        let spent = Outcome {
            retries: 2,
            ..outcome(status(500))
        };
        assert_eq!(p.decide(&spent), Decision::Return);
        assert_eq!(
            RetryPolicy::none().decide(&outcome(status(500))),
            Decision::Return
        );
    }

    #[test]
    fn non_idempotent_requests_retry_only_connection_failures() {
        let p = policy();
        let post = |attempt| Outcome {
            idempotent: false,
            ..outcome(attempt)
        };
        assert_eq!(p.decide(&post(status(502))), Decision::Return);
        assert_eq!(p.decide(&post(status(429))), Decision::Return);
        assert_eq!(p.decide(&post(Attempt::Transport)), Decision::Return);
        assert_eq!(p.decide(&post(Attempt::NotConnected)), retry(MS(100), None));
    }

    #[test]
    fn a_429_waits_its_retry_after_unless_it_asks_too_much() {
        let p = policy();
        let too_many = |after| {
            outcome(Attempt::Status {
                status: StatusCode::TOO_MANY_REQUESTS,
                retry_after: Some(Duration::from_secs(after)),
                clock_skew: false,
            })
        };
        assert_eq!(
            p.decide(&too_many(3)),
            retry(MS(100), Some(Duration::from_secs(3)))
        );
        assert_eq!(p.decide(&too_many(11)), Decision::Return);
        // Retry-After on another status is no reason to wait.
        let other = outcome(Attempt::Status {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: Some(Duration::from_secs(3)),
            clock_skew: false,
        });
        assert_eq!(p.decide(&other), retry(MS(100), None));
    }

    #[test]
    fn the_clock_skew_retry_is_taken_once_for_every_method() {
        let p = RetryPolicy::none();
        let skewed = |skew_retry_left| Outcome {
            idempotent: false,
            skew_retry_left,
            ..outcome(Attempt::Status {
                status: StatusCode::UNAUTHORIZED,
                retry_after: None,
                clock_skew: true,
            })
        };
        assert_eq!(p.decide(&skewed(true)), Decision::RetrySkew);
        assert_eq!(p.decide(&skewed(false)), Decision::Return);
    }

    #[test]
    fn sampled_waits_stay_in_the_upper_half_and_honour_retry_after() {
        for _ in 0..200 {
            let d = Wait {
                backoff: MS(400),
                at_least: None,
            }
            .sample();
            assert!(d >= MS(200) && d <= MS(400), "{d:?}");
            let d = Wait {
                backoff: MS(400),
                at_least: Some(MS(3000)),
            }
            .sample();
            assert_eq!(d, MS(3000));
        }
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, " 7 ".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
