//! `RequestBuilder`: one request being prepared, and `send`, the short loop of signed attempts.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use omni_sign::{BodyHash, CanonicalRequest};
use tracing::Instrument;
use tracing::field::Empty;

use crate::attempt::{self, Answer, Parts, RESERVED, StoreCredentials};
use crate::client::{Inner, OmniClient};
use crate::error::{ApiErrorCode, Error, HttpError};
use crate::response::{Response, api_error};
use crate::retry::{Attempt, Decision, Outcome, retry_after};
use crate::skew::SentAt;

/// One signed request being prepared. Setters record the first invalid value; `send` returns
/// it without sending anything.
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: OmniClient,
    store: Option<Arc<StoreCredentials>>,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Bytes,
    headers: HeaderMap,
    retry_non_idempotent: bool,
    timeout: Option<Duration>,
    error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(
        client: OmniClient,
        store: Option<Arc<StoreCredentials>>,
        method: Method,
        path: String,
    ) -> Self {
        RequestBuilder {
            client,
            store,
            method,
            path,
            query: Vec::new(),
            body: Bytes::new(),
            headers: HeaderMap::new(),
            retry_non_idempotent: false,
            timeout: None,
            error: None,
        }
    }

    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// Appends a query parameter (form-encoded by the url crate). The query is sent but not
    /// signed (`path-rules`).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// The body, serialised once in `JSON.stringify` form in strict mode (`json-stringify-form`:
    /// an integer beyond 2^53 is an error, not a silent change), with
    /// `content-type: application/json`. Those bytes are both hashed and sent.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Self {
        match omni_json::stringify(body, omni_json::Mode::Strict) {
            Ok(text) => {
                self.body = Bytes::from(text.json);
                self.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Err(e) => self.fail(e.into()),
        }
        self
    }

    /// The body as these exact bytes, hashed and sent as they are. Set a `content-type` with
    /// [`Self::header`] if the endpoint needs one.
    pub fn body_bytes(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// An extra header, not signed. The signed headers and `x-signature` are set by the client
    /// and cannot be given here ([`Error::ReservedHeader`]).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            self.fail(Error::InvalidHeader {
                name: name.to_owned(),
            });
            return self;
        };
        match RESERVED.into_iter().find(|r| *r == name.as_str()) {
            Some(reserved) => self.fail(Error::ReservedHeader(reserved)),
            None => {
                self.headers.insert(name, value);
            }
        }
        self
    }

    /// Overrides the client's per-attempt timeout for this request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Allows retrying 5xx, 429, timeouts and dropped connections for a non-idempotent method
    /// (POST, PATCH), for endpoints that are safe to repeat. Off by default.
    pub fn retry_non_idempotent(mut self, allow: bool) -> Self {
        self.retry_non_idempotent = allow;
        self
    }

    /// Sends the request: signs each attempt afresh, retries as the policy allows, and returns
    /// the success answer or the error. A non-success status is an error ([`Error::Api`] when
    /// the body is an Omni error body).
    pub async fn send(self) -> Result<Response, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let inner = &*self.client.inner;
        let url = inner.endpoint_url(&self.path, &self.query)?;
        let path = omni_sign::canonical_path(url.as_str())?;
        let span = tracing::info_span!(
            "omni_request",
            method = %self.method,
            path = %path,
            status = Empty,
            request_id = Empty,
            attempts = Empty,
        );
        let parts = Parts {
            signer: &inner.signer,
            format: inner.signature_format,
            partner: &inner.partner,
            store: self.store.as_deref(),
            method: &self.method,
            sign_method: omni_sign::Method::new(self.method.as_str())?,
            url: &url,
            path,
            body: &self.body,
            body_hash: BodyHash::of(&self.body),
            headers: &self.headers,
            timeout: Some(self.timeout.unwrap_or(inner.timeout)),
        };
        let idempotent = self.retry_non_idempotent
            || matches!(
                self.method,
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
            );
        let mut report = Report {
            traced: !span.is_disabled(),
            ..Report::default()
        };
        let result = run(inner, &parts, idempotent, &mut report)
            .instrument(span.clone())
            .await;
        // Recorded once, at the end: the span describes the request, its events the attempts.
        span.record("attempts", report.attempts);
        if let Some(status) = report.status {
            span.record("status", status);
        }
        if let Some(id) = &report.request_id {
            span.record("request_id", tracing::field::display(id));
        }
        let _entered = span.enter();
        match &result {
            Ok(_) => tracing::debug!("answered"),
            Err(error) => tracing::debug!(%error, "failed"),
        }
        result
    }
}

/// What the span reports about a request: attempts made, the last status and requestId.
#[derive(Default)]
struct Report {
    /// Whether a subscriber records the span: only then is a success answer's requestId
    /// looked for here (it means parsing the body); otherwise when the caller asks.
    traced: bool,
    attempts: u32,
    status: Option<u16>,
    request_id: Option<String>,
}

/// The attempts of one request: sign, send, judge the answer, and do what
/// [`RetryPolicy::decide`](crate::RetryPolicy) says.
async fn run(
    inner: &Inner,
    parts: &Parts<'_>,
    idempotent: bool,
    report: &mut Report,
) -> Result<Response, Error> {
    let mut retries = 0u32;
    let mut skew_retry_left = inner.skew_correction;
    loop {
        report.attempts += 1;
        // A fresh timestamp and signature for every attempt (`retry-resigns`).
        let sent = SentAt {
            wall: inner.clock.wall(),
            monotonic: inner.clock.monotonic(),
        };
        let (request, canonical) = parts.signed(inner.skew.timestamp(sent.wall))?;
        let answer = attempt::send(&inner.http, request).await;
        let (attempt, result) = judge(inner, answer, &canonical, sent, report);
        let outcome = Outcome {
            attempt,
            idempotent,
            retries,
            skew_retry_left,
        };
        match inner.retry.decide(&outcome) {
            Decision::Return => return result,
            Decision::RetrySkew => {
                skew_retry_left = false;
                tracing::info!(
                    attempt = report.attempts,
                    request_id = %report.request_id.as_deref().unwrap_or(""),
                    "AUTH_003: retrying once with the corrected clock"
                );
            }
            Decision::Retry(wait) => {
                let delay = wait.sample();
                retries += 1;
                tracing::info!(
                    attempt = report.attempts,
                    status = report.status.unwrap_or(0),
                    request_id = %report.request_id.as_deref().unwrap_or(""),
                    retry = retries,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %result.err().map(|e| e.to_string()).unwrap_or_default(),
                    "retrying"
                );
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// What one attempt came to, and its result for the caller. Learns the clock offset from an
/// `AUTH_003` answer (when skew correction is on) and notes the status and requestId for the
/// span.
fn judge(
    inner: &Inner,
    answer: Result<Answer, HttpError>,
    canonical: &CanonicalRequest<'_>,
    sent: SentAt,
    report: &mut Report,
) -> (Attempt, Result<Response, Error>) {
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            report.status = None;
            report.request_id = None;
            let attempt = if e.is_builder() {
                Attempt::Unsendable
            } else if e.is_connect() {
                Attempt::NotConnected
            } else {
                Attempt::Transport
            };
            let error = if e.is_timeout() {
                Error::Timeout(e)
            } else {
                Error::Transport(e)
            };
            return (attempt, Err(error));
        }
    };
    report.status = Some(answer.status.as_u16());
    if answer.status.is_success() {
        let response = Response::new(answer);
        if report.traced {
            report.request_id = response.request_id().map(str::to_owned);
        }
        return (Attempt::Success, Ok(response));
    }
    let received = inner.clock.monotonic();
    let error = api_error(&answer, canonical);
    report.request_id = error.request_id().map(str::to_owned);
    let server_ms = error
        .api()
        .filter(|api| api.code == ApiErrorCode::ExpiredTimestamp && inner.skew_correction)
        .and_then(|api| api.server_time_ms());
    if let Some(server_ms) = server_ms {
        inner.skew.learn(server_ms, sent, received);
    }
    let attempt = Attempt::Status {
        status: answer.status,
        retry_after: retry_after(&answer.headers),
        clock_skew: server_ms.is_some(),
    };
    (attempt, Err(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_headers_cannot_be_set_by_hand() {
        let c = OmniClient::builder()
            .base_url("http://127.0.0.1:9/api/v1")
            .client_id("ptnr_1")
            .secret_key("s")
            .build()
            .unwrap();
        let rb = c.get("/partner/x").header("X-Store-Token", "t");
        assert!(matches!(
            rb.error,
            Some(Error::ReservedHeader("x-store-token"))
        ));
        let rb = c.get("/partner/x").header("bad name", "v");
        assert!(matches!(&rb.error, Some(Error::InvalidHeader { name }) if name == "bad name"));
        let rb = c.get("/partner/x").header("x-trace", "1");
        assert!(rb.error.is_none());
    }
}
