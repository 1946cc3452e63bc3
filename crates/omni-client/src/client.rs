//! `OmniClient`, its builder, store-scoped handles and the signed request path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use http::{Method, StatusCode};
use omni_sign::header::STORE_CLIENT_ID;
use omni_sign::http::ReusableValues;
use omni_sign::{BodyHash, CanonicalRequest, SignatureFormat, SignedHeaders, Signer, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use tracing::field::Empty;
use url::Url;

use crate::error::{ApiError, ApiErrorBody, ApiErrorCode, Error, excerpt};
use crate::{Clock, RetryPolicy, SystemClock};

/// The production base URL of the Omni Partner API. Request paths such as
/// `/partner/onboard/sessions` are appended to it.
pub const PRODUCTION_BASE_URL: &str = "https://partners-api.tocobagus.net/api/v1";

/// The default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default time for a whole attempt: connect, send, and read the full answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many endpoint URLs a client keeps built (see [`Inner::endpoint_url`]).
const ENDPOINT_URL_CACHE: usize = 64;

/// The Omni Partner API client: signs every request through omni-sign (the signing decisions
/// in docs/DECISIONS.md), corrects clock skew, retries within a bounded policy.
///
/// Cheap to clone: clones share the connection pool, the signer and the learnt clock offset.
#[derive(Clone, Debug)]
pub struct OmniClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: Url,
    /// The base URL's path without its trailing `/`, request paths are appended to it.
    base_path: String,
    /// Endpoint URLs already built, by request path (see [`Inner::endpoint_url`]).
    endpoint_urls: EndpointUrls,
    partner_client_id: String,
    /// `partner_client_id` as a header value, built once: every request sends it.
    partner_client_id_value: HeaderValue,
    signer: Signer,
    clock: Arc<dyn Clock>,
    skew_correction: bool,
    /// Server clock minus local clock, learnt from `AUTH_003` answers.
    skew_offset_ms: AtomicI64,
    skew_warned: AtomicBool,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    signature_format: SignatureFormat,
}

/// Endpoint URLs already built, by request path.
#[derive(Default)]
struct EndpointUrls(Mutex<HashMap<Box<str>, Url>>);

impl std::fmt::Debug for EndpointUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.0.lock().map_or(0, |urls| urls.len());
        write!(f, "EndpointUrls({kept} kept)")
    }
}

impl OmniClient {
    /// A builder with the production base URL, default timeouts and retry policy, the system
    /// clock and skew correction on.
    pub fn builder() -> OmniClientBuilder {
        OmniClientBuilder::new()
    }

    /// A client configured from `OMNI_CLIENT_ID`, `OMNI_SECRET_KEY` and (optional)
    /// `OMNI_BASE_URL`; see [`OmniClientBuilder::from_env`].
    pub fn from_env() -> Result<OmniClient, Error> {
        OmniClientBuilder::from_env().build()
    }

    /// The base URL requests are appended to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The partner client id sent in `x-partner-client-id`.
    pub fn partner_client_id(&self) -> &str {
        &self.inner.partner_client_id
    }

    /// The clock offset learnt from the server (server minus local, in ms); `0` until an
    /// `AUTH_003` answer taught one.
    pub fn skew_offset_ms(&self) -> i64 {
        self.inner.skew_offset_ms.load(Ordering::Relaxed)
    }

    /// A handle whose requests carry and sign `x-store-client-id` and `x-store-token` (store
    /// delegation). The token is kept as a secret: never shown, zeroed on drop.
    ///
    /// Errors: either value empty or not visible ASCII (`signed-headers`).
    pub fn store(
        &self,
        store_client_id: impl Into<String>,
        store_token: impl Into<SecretString>,
    ) -> Result<StoreClient, Error> {
        let store_client_id = store_client_id.into();
        let store_token = store_token.into();
        SignedHeaders::new(&self.inner.partner_client_id, Timestamp::from_millis(0))?
            .with_store(&store_client_id, store_token.expose_secret())?;
        // Validated above as visible ASCII, so this does not fail.
        let id_value = HeaderValue::from_str(&store_client_id)
            .map_err(|_| omni_sign::Error::InvalidHeaderValue(STORE_CLIENT_ID))?;
        Ok(StoreClient {
            client: self.clone(),
            store: Arc::new(StoreCredentials {
                id: store_client_id,
                id_value,
                token: store_token,
            }),
        })
    }

    /// A signed request to `path` (e.g. `/partner/stores/catalog/sync`), appended to the base
    /// URL. For any `/partner/**` endpoint this crate does not wrap.
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), None, method, path.into())
    }

    /// `GET path`.
    pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }
}

impl Inner {
    /// The `x-timestamp` for local time `now_ms`: corrected by the learnt offset.
    fn timestamp(&self, now_ms: u64) -> Timestamp {
        let offset = self.skew_offset_ms.load(Ordering::Relaxed);
        Timestamp::from_millis(now_ms.saturating_add_signed(offset))
    }

    /// Learns `server - local` from an `AUTH_003` answer, taking the local time of the server's
    /// reading as the midpoint of send and receipt (as the AWS SDKs do).
    fn learn_offset(&self, server_ms: i64, sent_ms: u64, received_ms: u64) {
        let midpoint = sent_ms / 2 + received_ms / 2 + (sent_ms % 2 + received_ms % 2) / 2;
        let offset = server_ms.saturating_sub(i64::try_from(midpoint).unwrap_or(i64::MAX));
        let previous = self.skew_offset_ms.swap(offset, Ordering::Relaxed);
        if !self.skew_warned.swap(true, Ordering::Relaxed) {
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

    /// Appends `path` to the base URL's path (never `Url::join`, which would drop the last
    /// segment, `v1`), then the query.
    ///
    /// Parsing the path into a `Url` is the largest share of the client's own work per request,
    /// and a service calls few distinct paths, so the URL built for a path is kept (at most
    /// [`ENDPOINT_URL_CACHE`] of them) and cloned for the next request to it: the same `Url`
    /// the parse gives, without parsing again.
    fn endpoint_url(&self, path: &str, query: &[(String, String)]) -> Result<Url, Error> {
        if !path.starts_with('/') {
            return Err(
                omni_sign::Error::InvalidUrl("the request path must start with '/'").into(),
            );
        }
        if path.contains(['?', '#']) {
            return Err(omni_sign::Error::InvalidUrl(
                "the request path holds '?' or '#': pass query parameters with .query()",
            )
            .into());
        }
        let cached = self
            .endpoint_urls
            .0
            .lock()
            .ok()
            .and_then(|urls| urls.get(path).cloned());
        let mut url = match cached {
            Some(url) => url,
            None => {
                let mut url = self.base_url.clone();
                let mut joined = String::with_capacity(self.base_path.len() + path.len());
                joined.push_str(&self.base_path);
                joined.push_str(path);
                url.set_path(&joined);
                if let Ok(mut urls) = self.endpoint_urls.0.lock() {
                    // Bounded: a service calling ever new paths (ids in them) starts afresh.
                    if urls.len() >= ENDPOINT_URL_CACHE {
                        urls.clear();
                    }
                    urls.insert(path.into(), url.clone());
                }
                url
            }
        };
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }
}

/// Builds an [`OmniClient`]. Setters record the first invalid value; [`build`](Self::build)
/// returns it.
#[derive(Debug)]
pub struct OmniClientBuilder {
    base_url: Option<Url>,
    partner_client_id: Option<String>,
    signer: Option<Signer>,
    connect_timeout: Duration,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::Client>,
    skew_correction: bool,
    signature_format: SignatureFormat,
    error: Option<Error>,
}

impl Default for OmniClientBuilder {
    fn default() -> Self {
        OmniClientBuilder::new()
    }
}

impl OmniClientBuilder {
    /// Same as [`OmniClient::builder`].
    pub fn new() -> Self {
        OmniClientBuilder {
            base_url: None,
            partner_client_id: None,
            signer: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: Some(DEFAULT_TIMEOUT),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            http: None,
            skew_correction: true,
            signature_format: SignatureFormat::Prefixed,
            error: None,
        }
    }

    /// A builder with the partner client id from `OMNI_CLIENT_ID`, the secret key from
    /// `OMNI_SECRET_KEY` and, when set, the base URL from `OMNI_BASE_URL`. A missing or
    /// non-UTF-8 required variable is a [`Error::Config`] from `build`.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut builder = OmniClientBuilder::new();
        match lookup("OMNI_CLIENT_ID") {
            Some(id) => builder = builder.client_id(id),
            None => builder.fail(Error::Config(
                "OMNI_CLIENT_ID is not set (or not UTF-8)".into(),
            )),
        }
        match lookup("OMNI_SECRET_KEY") {
            Some(secret) => builder = builder.secret_key(secret),
            None => builder.fail(Error::Config(
                "OMNI_SECRET_KEY is not set (or not UTF-8)".into(),
            )),
        }
        if let Some(base) = lookup("OMNI_BASE_URL") {
            builder = builder.base_url(&base);
        }
        builder
    }

    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// The base URL, ending in `/api/v1` for the real API (staging, production) or the
    /// sandbox's `omni_base_url()`. Defaults to [`PRODUCTION_BASE_URL`]. Must be http(s),
    /// without query, fragment or credentials.
    pub fn base_url(mut self, base_url: &str) -> Self {
        match Url::parse(base_url) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && !url.cannot_be_a_base()
                    && url.query().is_none()
                    && url.fragment().is_none()
                    && url.username().is_empty()
                    && url.password().is_none() =>
            {
                self.base_url = Some(url);
            }
            Ok(_) => self.fail(Error::Config(
                "base URL must be http(s) without query, fragment or credentials".into(),
            )),
            Err(e) => self.fail(Error::Config(format!("invalid base URL: {e}"))),
        }
        self
    }

    /// The partner client id (`x-partner-client-id`). Required.
    pub fn client_id(mut self, partner_client_id: impl Into<String>) -> Self {
        let id = partner_client_id.into();
        match SignedHeaders::new(&id, Timestamp::from_millis(0)) {
            Ok(_) => self.partner_client_id = Some(id),
            Err(e) => self.fail(Error::Config(format!("partner client id: {e}"))),
        }
        self
    }

    /// The partner secret key. Required. Only the precomputed HMAC key state is kept (zeroed on
    /// drop); the given text is zeroed when this call returns.
    pub fn secret_key(mut self, secret_key: impl Into<SecretString>) -> Self {
        let secret: SecretString = secret_key.into();
        match Signer::new(secret.expose_secret().as_bytes()) {
            Ok(signer) => self.signer = Some(signer),
            Err(e) => self.fail(Error::Config(format!("secret key: {e}"))),
        }
        self
    }

    /// Time to establish a connection (default 10 s). Ignored with [`Self::http_client`]: set
    /// it on that client.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time for each attempt, from sending to the last byte of the answer (default 30 s);
    /// `None` waits forever.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The clock `x-timestamp` is read from (default [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Shares an existing reqwest client (and its pool). It should not follow redirects: a
    /// redirect would carry the store token to another URL and break the signature.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Whether an `AUTH_003` answer teaches the client the server's clock and is retried once
    /// (default on).
    pub fn skew_correction(mut self, enabled: bool) -> Self {
        self.skew_correction = enabled;
        self
    }

    /// The `x-signature` form (`signature-format`): `sha256=<hex>` by default.
    pub fn signature_format(mut self, format: SignatureFormat) -> Self {
        self.signature_format = format;
        self
    }

    /// The client, or the first configuration error.
    pub fn build(self) -> Result<OmniClient, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let partner_client_id = self
            .partner_client_id
            .ok_or_else(|| Error::Config("partner client id is required".into()))?;
        let signer = self
            .signer
            .ok_or_else(|| Error::Config("partner secret key is required".into()))?;
        let base_url = match self.base_url {
            Some(url) => url,
            None => Url::parse(PRODUCTION_BASE_URL)
                .map_err(|e| Error::Config(format!("invalid base URL: {e}")))?,
        };
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::Config(format!("HTTP client: {e}")))?,
        };
        let partner_client_id_value = HeaderValue::from_str(&partner_client_id)
            .map_err(|_| Error::Config("partner client id: not a header value".into()))?;
        Ok(OmniClient {
            inner: Arc::new(Inner {
                http,
                base_path: base_url.path().trim_end_matches('/').to_owned(),
                endpoint_urls: EndpointUrls::default(),
                base_url,
                partner_client_id,
                partner_client_id_value,
                signer,
                clock: self.clock,
                skew_correction: self.skew_correction,
                skew_offset_ms: AtomicI64::new(0),
                skew_warned: AtomicBool::new(false),
                retry: self.retry,
                timeout: self.timeout,
                signature_format: self.signature_format,
            }),
        })
    }
}

/// Store delegation credentials.
struct StoreCredentials {
    id: String,
    /// `id` as a header value, built once. The token is not kept as one: a `HeaderValue`
    /// cannot be zeroed, so each request makes its own short-lived copy.
    id_value: HeaderValue,
    token: SecretString,
}

impl std::fmt::Debug for StoreCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreCredentials")
            .field("id", &self.id)
            .field("token", &omni_sign::REDACTED)
            .finish()
    }
}

/// A store-scoped handle from [`OmniClient::store`]: every request carries and signs
/// `x-store-client-id` and `x-store-token`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct StoreClient {
    client: OmniClient,
    store: Arc<StoreCredentials>,
}

impl StoreClient {
    /// The store client id.
    pub fn store_client_id(&self) -> &str {
        &self.store.id
    }

    /// The partner-level client this handle was made from.
    pub fn client(&self) -> &OmniClient {
        &self.client
    }

    /// A signed, store-scoped request to `path`, appended to the base URL.
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(
            self.client.clone(),
            Some(self.store.clone()),
            method,
            path.into(),
        )
    }

    /// Store-scoped `GET path`.
    pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// Store-scoped `POST path`.
    pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, path)
    }
}

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
    timeout: Option<Option<Duration>>,
    error: Option<Error>,
}

impl RequestBuilder {
    fn new(
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
    /// and cannot be given here.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        use omni_sign::header::{
            PARTNER_CLIENT_ID, SIGNATURE, STORE_CLIENT_ID, STORE_TOKEN, TIMESTAMP,
        };
        const RESERVED: [&str; 5] = [
            PARTNER_CLIENT_ID,
            STORE_CLIENT_ID,
            STORE_TOKEN,
            TIMESTAMP,
            SIGNATURE,
        ];
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            self.fail(omni_sign::Error::InvalidHeaderValue("extra header").into());
            return self;
        };
        match RESERVED.into_iter().find(|r| *r == name.as_str()) {
            Some(reserved) => self.fail(omni_sign::Error::DuplicateHeader(reserved).into()),
            None => {
                self.headers.insert(name, value);
            }
        }
        self
    }

    /// Overrides the client's per-attempt timeout for this request.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
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
        let url = self.client.inner.endpoint_url(&self.path, &self.query)?;
        let path = omni_sign::canonical_path(url.as_str())?;
        let span = tracing::info_span!(
            "omni_request",
            method = %self.method,
            path = %path,
            status = Empty,
            request_id = Empty,
            attempts = Empty,
        );
        let exchange = Exchange {
            client: &self.client.inner,
            store: self.store.as_deref(),
            method: &self.method,
            url: &url,
            path,
            body: &self.body,
            headers: &self.headers,
            timeout: self.timeout.unwrap_or(self.client.inner.timeout),
            retry_non_idempotent: self.retry_non_idempotent,
            traced: !span.is_disabled(),
        };
        let mut outcome = Outcome::default();
        let result = exchange.run(&mut outcome).instrument(span.clone()).await;
        // Recorded once, at the end: the span describes the request, its events the attempts.
        span.record("attempts", outcome.attempts);
        if let Some(status) = outcome.status {
            span.record("status", status.as_u16());
        }
        if let Some(id) = &outcome.request_id {
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

/// The parts of one request shared by all its attempts.
struct Exchange<'a> {
    client: &'a Inner,
    store: Option<&'a StoreCredentials>,
    method: &'a Method,
    url: &'a Url,
    /// The signed PATH, derived from `url` as sent.
    path: omni_sign::CanonicalPath<'a>,
    body: &'a Bytes,
    headers: &'a HeaderMap,
    timeout: Option<Duration>,
    retry_non_idempotent: bool,
    /// Whether a subscriber records the request's span.
    traced: bool,
}

/// What the span reports about a request: attempts made, the last status and requestId.
#[derive(Default)]
struct Outcome {
    attempts: u32,
    status: Option<StatusCode>,
    request_id: Option<String>,
}

/// What one attempt brought back.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Exchange<'_> {
    async fn run(self, outcome: &mut Outcome) -> Result<Response, Error> {
        let inner = self.client;
        let sign_method = omni_sign::Method::new(self.method.as_str())?;
        let path = self.path;
        // Hashed once: every attempt sends these same bytes.
        let body_hash = BodyHash::of(self.body);
        let idempotent = self.retry_non_idempotent
            || matches!(
                *self.method,
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
            );
        let store_id = self.store.map(|s| s.id.as_str());
        let store_token = self.store.map(|s| s.token.expose_secret());
        let mut retries = 0u32;
        let mut skew_retried = false;
        loop {
            outcome.attempts += 1;
            // A fresh timestamp and signature for every attempt (`retry-resigns`). The
            // reading is also the send time of the skew midpoint: the request leaves within
            // microseconds, far below the millisecond resolution.
            let sent_ms = inner.clock.now_ms();
            let headers = SignedHeaders::from_parts(
                &inner.partner_client_id,
                store_id,
                store_token,
                inner.timestamp(sent_ms),
            )?;
            let canonical = CanonicalRequest::from_parts(sign_method, path, headers, body_hash);
            let signature = inner.signer.sign(&canonical);
            let mut request = reqwest::Request::new(self.method.clone(), self.url.clone());
            // Room for the extra headers and the five Omni ones: no regrowth while signing.
            let mut headers_out = HeaderMap::with_capacity(self.headers.len() + 5);
            headers_out.extend(self.headers.iter().map(|(n, v)| (n.clone(), v.clone())));
            omni_sign::http::set_signed_headers_reusing(
                &mut headers_out,
                &headers,
                &signature,
                inner.signature_format,
                &ReusableValues {
                    partner_client_id: Some(&inner.partner_client_id_value),
                    store_client_id: self.store.map(|s| &s.id_value),
                },
            )?;
            *request.headers_mut() = headers_out;
            if !self.body.is_empty() {
                *request.body_mut() = Some(self.body.clone().into());
            }
            *request.timeout_mut() = self.timeout;

            let result = exchange(&inner.http, request).await;

            let failure = match result {
                Ok(answer) if answer.status.is_success() => {
                    let response = Response {
                        status: answer.status,
                        headers: answer.headers,
                        body: answer.body,
                        request_id: OnceLock::new(),
                    };
                    outcome.status = Some(answer.status);
                    // Finding the requestId means parsing the body: only done here when the
                    // span is recorded, otherwise when the caller asks.
                    if self.traced {
                        outcome.request_id = response.request_id().map(str::to_owned);
                    }
                    return Ok(response);
                }
                Ok(answer) => {
                    // Only an AUTH_003 answer needs it; read before anything else is done.
                    let received_ms = inner.clock.now_ms();
                    let error = api_error(&answer, &canonical);
                    outcome.status = Some(answer.status);
                    outcome.request_id = error.request_id().map(str::to_owned);
                    let server_ms = match error.api() {
                        Some(api) if api.code == ApiErrorCode::ExpiredTimestamp => {
                            api.server_time_ms()
                        }
                        _ => None,
                    };
                    if let (Some(server_ms), true) = (server_ms, inner.skew_correction) {
                        inner.learn_offset(server_ms, sent_ms, received_ms);
                        // The server rejected the request before acting on it, so this one
                        // retry is safe for every method.
                        if !skew_retried {
                            skew_retried = true;
                            tracing::info!(
                                attempt = outcome.attempts,
                                request_id = %outcome.request_id.as_deref().unwrap_or(""),
                                "AUTH_003: retrying once with the corrected clock"
                            );
                            continue;
                        }
                    }
                    let retryable = idempotent
                        && (answer.status.is_server_error()
                            || answer.status == StatusCode::TOO_MANY_REQUESTS);
                    let mut wait = None;
                    if answer.status == StatusCode::TOO_MANY_REQUESTS {
                        match retry_after(&answer.headers) {
                            Some(after) if after > inner.retry.max_retry_after => {
                                return Err(error);
                            }
                            after => wait = after,
                        }
                    }
                    Failure {
                        error,
                        retryable,
                        wait,
                    }
                }
                Err(e) => {
                    outcome.status = None;
                    outcome.request_id = None;
                    // A connection that was never made carried nothing: safe for every method.
                    let retryable = !e.is_builder() && (e.is_connect() || idempotent);
                    let error = if e.is_timeout() {
                        Error::Timeout(e)
                    } else {
                        Error::Transport(e)
                    };
                    Failure {
                        error,
                        retryable,
                        wait: None,
                    }
                }
            };
            if !failure.retryable || retries >= inner.retry.max_retries {
                return Err(failure.error);
            }
            let backoff = inner.retry.backoff(retries);
            let delay = failure.wait.map_or(backoff, |after| after.max(backoff));
            retries += 1;
            tracing::info!(
                attempt = outcome.attempts,
                status = outcome.status.map_or(0, |s| s.as_u16()),
                request_id = %outcome.request_id.as_deref().unwrap_or(""),
                retry = retries,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %failure.error,
                "retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }
}

struct Failure {
    error: Error,
    retryable: bool,
    wait: Option<Duration>,
}

async fn exchange(http: &reqwest::Client, request: reqwest::Request) -> reqwest::Result<Answer> {
    let mut response = http.execute(request).await?;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the API and is ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

#[derive(Deserialize)]
struct RequestIdOnly {
    #[serde(rename = "requestId")]
    request_id: Option<String>,
}

/// The `requestId` of an answer: from the body (where the API puts it), else from an
/// `x-request-id` header.
fn request_id_of(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    serde_json::from_slice::<RequestIdOnly>(body)
        .ok()
        .and_then(|r| r.request_id)
        .or_else(|| {
            headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
}

fn api_error(answer: &Answer, canonical: &CanonicalRequest<'_>) -> Error {
    match serde_json::from_slice::<ApiErrorBody>(&answer.body) {
        Ok(body) => Error::Api(Box::new(ApiError {
            status: answer.status,
            code: ApiErrorCode::parse(&body.error.code),
            message: body.error.message,
            details: body.error.details,
            request_id: body.request_id,
            signed_base_string: canonical.redacted().to_string(),
        })),
        Err(_) => Error::UnexpectedStatus {
            status: answer.status,
            excerpt: excerpt(&answer.body),
        },
    }
}

/// A success answer.
#[derive(Debug, Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    request_id: OnceLock<Option<String>>,
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// `requestId` from the body (`request-id-kept`).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id
            .get_or_init(|| request_id_of(&self.headers, &self.body))
            .as_deref()
    }

    /// The body bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body bytes.
    pub fn into_bytes(self) -> Bytes {
        self.body
    }

    /// Decodes the body as JSON into `T`; [`Error::Decode`] with an excerpt of the body if it
    /// is not.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            status: self.status,
            request_id: self.request_id().map(str::to_owned),
            message: e.to_string(),
            excerpt: excerpt(&self.body),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> OmniClient {
        OmniClient::builder()
            .base_url(base)
            .client_id("ptnr_1")
            .secret_key("s")
            .build()
            .unwrap()
    }

    #[test]
    fn paths_are_appended_to_the_base_path_never_joined() {
        let c = client("https://partners-api.tocobagus.net/api/v1");
        let url = c
            .inner
            .endpoint_url("/partner/onboard/sessions", &[])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://partners-api.tocobagus.net/api/v1/partner/onboard/sessions"
        );
        let c = client("http://127.0.0.1:9/api/v1/");
        let url = c
            .inner
            .endpoint_url(
                "/partner/stores/catalog/a b",
                &[("lang".into(), "id".into()), ("q".into(), "a&b c".into())],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/api/v1/partner/stores/catalog/a%20b?lang=id&q=a%26b+c"
        );
        assert_eq!(
            omni_sign::canonical_path(url.as_str()).unwrap().as_str(),
            "/partner/stores/catalog/a%20b"
        );
        for bad in ["partner/x", "/partner/x?a=1", "/partner/x#f"] {
            assert!(matches!(
                c.inner.endpoint_url(bad, &[]),
                Err(Error::InvalidInput(omni_sign::Error::InvalidUrl(_)))
            ));
        }
    }

    #[test]
    fn a_kept_endpoint_url_is_the_one_a_fresh_parse_gives() {
        let c = client("http://127.0.0.1:9/api/v1/");
        let path = "/partner/stores/catalog/a b/./c";
        let first = c.inner.endpoint_url(path, &[]).unwrap();
        let again = c.inner.endpoint_url(path, &[]).unwrap();
        let with_query = c
            .inner
            .endpoint_url(path, &[("q".into(), "x y".into())])
            .unwrap();
        let mut fresh = Url::parse("http://127.0.0.1:9/").unwrap();
        fresh.set_path(&format!("/api/v1{path}"));
        assert_eq!(first, fresh);
        assert_eq!(again, fresh);
        assert_eq!(with_query.as_str(), format!("{fresh}?q=x+y"));
        // Bounded: ever new paths never keep more than the limit.
        for i in 0..3 * ENDPOINT_URL_CACHE {
            let url = c
                .inner
                .endpoint_url(&format!("/partner/x/{i}"), &[])
                .unwrap();
            assert_eq!(url.path(), format!("/api/v1/partner/x/{i}"));
        }
        assert!(c.inner.endpoint_urls.0.lock().unwrap().len() <= ENDPOINT_URL_CACHE);
    }

    #[test]
    fn default_base_url_is_production() {
        let c = OmniClient::builder()
            .client_id("p")
            .secret_key("s")
            .build()
            .unwrap();
        assert_eq!(c.base_url().as_str(), PRODUCTION_BASE_URL);
    }

    #[test]
    fn builder_reports_the_first_error() {
        let err = OmniClient::builder()
            .base_url("ftp://h/api/v1")
            .client_id("bad\nid")
            .secret_key("")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("base URL")),
            "{err}"
        );
        let err = OmniClient::builder()
            .client_id("p")
            .secret_key("")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("secret")),
            "{err}"
        );
        let err = OmniClient::builder().secret_key("s").build().unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("client id")),
            "{err}"
        );
    }

    #[test]
    fn from_vars_reads_the_three_variables_and_names_a_missing_one() {
        let vars = |name: &str| match name {
            "OMNI_CLIENT_ID" => Some("ptnr_env".to_owned()),
            "OMNI_SECRET_KEY" => Some("secret".to_owned()),
            "OMNI_BASE_URL" => Some("http://127.0.0.1:1/api/v1".to_owned()),
            _ => None,
        };
        let c = OmniClientBuilder::from_vars(vars).build().unwrap();
        assert_eq!(c.partner_client_id(), "ptnr_env");
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:1/api/v1");
        let err = OmniClientBuilder::from_vars(|n| (n == "OMNI_CLIENT_ID").then(|| "p".to_owned()))
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("OMNI_SECRET_KEY")),
            "{err}"
        );
    }

    #[test]
    fn store_handle_validates_and_hides_the_token() {
        let c = client("http://127.0.0.1:9/api/v1");
        let store = c.store("str_1", "stkn_very_secret").unwrap();
        let shown = format!("{store:?} {c:?}");
        assert!(!shown.contains("stkn_very_secret"), "{shown}");
        assert!(matches!(
            c.store("str_1", "bad\ntoken"),
            Err(Error::InvalidInput(omni_sign::Error::InvalidHeaderValue(
                "x-store-token"
            )))
        ));
    }

    #[test]
    fn midpoint_offset_and_warning_flag() {
        let c = client("http://127.0.0.1:9/api/v1");
        c.inner.learn_offset(10_000, 1_000, 3_001);
        assert_eq!(c.skew_offset_ms(), 10_000 - 2_000);
        c.inner.learn_offset(500, 1_000, 1_000);
        assert_eq!(c.skew_offset_ms(), -500);
        assert!(c.inner.skew_warned.load(Ordering::Relaxed));
    }

    #[test]
    fn reserved_headers_cannot_be_set_by_hand() {
        let c = client("http://127.0.0.1:9/api/v1");
        let rb = c.get("/partner/x").header("X-Store-Token", "t");
        assert!(matches!(
            rb.error,
            Some(Error::InvalidInput(omni_sign::Error::DuplicateHeader(
                "x-store-token"
            )))
        ));
        let rb = c.get("/partner/x").header("x-trace", "1");
        assert!(rb.error.is_none());
    }
}
