//! Where the cache gets tokens from: the HTTP token endpoint, or anything else in tests.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::Error;
use crate::token::{FetchedToken, parse_token_response};

/// The boxed future a [`TokenSource`] returns.
pub type FetchFuture = Pin<Box<dyn Future<Output = Result<FetchedToken, Error>> + Send + 'static>>;

/// One call of the token endpoint. The cache decides when to call it and never calls it twice
/// at once; a source only fetches.
pub trait TokenSource: Send + Sync + fmt::Debug + 'static {
    /// Fetches one new token.
    fn fetch(&self) -> FetchFuture;
}

/// The path of the token endpoint under its base URL.
pub const TOKEN_PATH: &str = "/v1/esign/partner/authentication";
/// Request header carrying the client id.
pub const CLIENT_ID_HEADER: &str = "client-id";
/// Request header carrying the pass key (a secret).
pub const PASS_KEY_HEADER: &str = "pass-key";

/// `GET {base}/v1/esign/partner/authentication` with the `client-id` and `pass-key` headers.
#[derive(Clone)]
pub struct HttpTokenSource {
    http: reqwest::Client,
    url: String,
    client_id: String,
    pass_key: std::sync::Arc<SecretString>,
    timeout: Duration,
}

impl HttpTokenSource {
    /// A source calling the endpoint under `token_base_url` (validated by the client builder).
    pub(crate) fn new(
        http: reqwest::Client,
        token_base_url: &str,
        client_id: String,
        pass_key: std::sync::Arc<SecretString>,
        timeout: Duration,
    ) -> Self {
        Self {
            http,
            url: format!("{}{TOKEN_PATH}", token_base_url.trim_end_matches('/')),
            client_id,
            pass_key,
            timeout,
        }
    }

    /// The full URL of the token endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for HttpTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTokenSource")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("pass_key", &crate::REDACTED)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl TokenSource for HttpTokenSource {
    fn fetch(&self) -> FetchFuture {
        let this = self.clone();
        Box::pin(async move {
            // The builder validated both as UUIDs, so they are always valid header values.
            let client_id = HeaderValue::from_str(&this.client_id)
                .map_err(|_| Error::InvalidCredential { field: "client-id" })?;
            let mut pass_key = HeaderValue::from_str(this.pass_key.expose_secret())
                .map_err(|_| Error::InvalidCredential { field: "pass-key" })?;
            pass_key.set_sensitive(true);
            tracing::debug!(url = %this.url, "fetching a OneKYC partner token");
            let response = this
                .http
                .get(&this.url)
                .header(CLIENT_ID_HEADER, client_id)
                .header(PASS_KEY_HEADER, pass_key)
                .timeout(this.timeout)
                .send()
                .await
                .map_err(|e| map_reqwest(e, this.timeout))?;
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map_err(|e| map_reqwest(e, this.timeout))?;
            let result = parse_token_response(status, &body);
            tracing::debug!(status, ok = result.is_ok(), "token endpoint answered");
            result
        })
    }
}

pub(crate) fn map_reqwest(error: reqwest::Error, timeout: Duration) -> Error {
    if error.is_timeout() {
        Error::Timeout { after: timeout }
    } else {
        Error::transport(error)
    }
}
