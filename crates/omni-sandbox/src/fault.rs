//! Injected faults, for clients' reliability tests.

use std::time::Duration;

/// A fault the sandbox plays instead of (or before) answering a request.
///
/// Faults apply to the next N matching requests, never to the `/_sandbox/` admin API
/// (see [`Admin::inject`](crate::Admin::inject)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Wait this long, then serve the request normally.
    Latency(Duration),
    /// Answer with this HTTP status and a JSON error body (code `FAULT_001`) without serving
    /// the request: Omni's error body, or OneKYC's (`{"success":false,"errors":[..]}`) on the
    /// OneKYC routes. It injects errors: a number that is not a 4xx or 5xx status is answered as
    /// 500 (the admin HTTP API rejects it with 422).
    Status(u16),
    /// Answer 429 with a `Retry-After` header (code `RATE_001`), in the route's API's error
    /// shape as for [`Fault::Status`].
    TooManyRequests {
        /// The value of `Retry-After`, in seconds.
        retry_after_secs: u64,
    },
    /// Close the TCP connection without answering: the client sees a connection error.
    DropConnection,
    /// Answer 200 with `content-type: application/json` and a body that is not valid JSON.
    MalformedJson,
}

/// The status a [`Fault::Status`] answers with: only a 4xx or 5xx status, since it injects
/// errors.
pub(crate) fn error_status(status: u16) -> Option<axum::http::StatusCode> {
    axum::http::StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
}

/// A pending fault: which requests it applies to, and how many more times.
#[derive(Debug)]
pub(crate) struct FaultRule {
    pub(crate) path_prefix: Option<String>,
    pub(crate) fault: Fault,
    pub(crate) remaining: u32,
}

impl FaultRule {
    pub(crate) fn matches(&self, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|prefix| path.starts_with(prefix))
    }
}
