//! Where the cache gets tokens from: the HTTP token endpoint, or anything else in tests.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use std::sync::Arc;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

use crate::cache::DEFAULT_FETCH_TIMEOUT;
use crate::client::DEFAULT_CONNECT_TIMEOUT;
use crate::error::{Endpoint, Error};
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
///
/// A [`TokenCache`](crate::TokenCache) over HTTP without a [`OneKycClient`](crate::OneKycClient):
///
/// ```
/// use std::sync::Arc;
/// use onekyc_client::{HttpTokenSource, TokenCache, STAGING_TOKEN_BASE_URL};
///
/// let source = HttpTokenSource::new(
///     STAGING_TOKEN_BASE_URL,
///     "b31fa508-331c-4e9e-9a60-b0f28c3f7e13",
///     "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b",
/// )?;
/// let cache = TokenCache::builder(Arc::new(source)).build()?;
/// # let _ = cache;
/// # Ok::<(), onekyc_client::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpTokenSource {
    http: reqwest::Client,
    url: String,
    client_id: HeaderValue,
    pass_key: Arc<SecretString>,
    timeout: Duration,
}

impl HttpTokenSource {
    /// A source calling the token endpoint under `token_base_url` with these credentials (both
    /// UUIDs; the pass key is zeroed once copied), on its own HTTP client with the default
    /// connect timeout, each fetch bounded by [`DEFAULT_FETCH_TIMEOUT`].
    ///
    /// Errors: a base URL that is not an absolute http(s) URL, a credential that is not a UUID.
    pub fn new(
        token_base_url: &str,
        client_id: &str,
        pass_key: impl Into<String>,
    ) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .build()
            .map_err(|e| Error::HttpClient(crate::error::HttpError::new(e)))?;
        let url = valid_base_url(token_base_url, "token")?;
        let client_id = valid_client_id(client_id)?;
        let pass_key = valid_pass_key(pass_key.into())?;
        Ok(Self::from_parts(
            http,
            &url,
            client_id,
            Arc::new(pass_key),
            DEFAULT_FETCH_TIMEOUT,
        ))
    }

    /// Sends through `http` (sharing its pool) instead of a client of its own.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// How long one fetch may take (default [`DEFAULT_FETCH_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A source from settings the client builder already validated.
    pub(crate) fn from_parts(
        http: reqwest::Client,
        token_base_url: &str,
        client_id: HeaderValue,
        pass_key: Arc<SecretString>,
        timeout: Duration,
    ) -> Self {
        Self {
            http,
            url: format!("{token_base_url}{TOKEN_PATH}"),
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
            // The pass key was validated as a UUID, so it is always a valid header value.
            let mut pass_key = HeaderValue::from_str(this.pass_key.expose_secret())
                .map_err(|_| Error::InvalidCredential { field: "pass-key" })?;
            pass_key.set_sensitive(true);
            tracing::debug!(url = %this.url, "fetching a OneKYC partner token");
            let failed = |e| Error::of_call(Endpoint::Token, e, this.timeout);
            let response = this
                .http
                .get(&this.url)
                .header(CLIENT_ID_HEADER, this.client_id.clone())
                .header(PASS_KEY_HEADER, pass_key)
                .timeout(this.timeout)
                .send()
                .await
                .map_err(failed)?;
            let status = response.status();
            let body = response.bytes().await.map_err(failed)?;
            let result = parse_token_response(status, &body);
            tracing::debug!(
                status = status.as_u16(),
                ok = result.is_ok(),
                "token endpoint answered"
            );
            result
        })
    }
}

/// `url` without its trailing `/`, if it is an absolute http(s) URL without query, fragment or
/// credentials; `which` names it in the error.
pub(crate) fn valid_base_url(url: &str, which: &'static str) -> Result<String, Error> {
    let invalid = Error::InvalidBaseUrl { which };
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid.clone())?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(invalid);
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The client id as a header value, if it is a UUID.
pub(crate) fn valid_client_id(client_id: &str) -> Result<HeaderValue, Error> {
    let invalid = Error::InvalidCredential { field: "client-id" };
    uuid::Uuid::try_parse(client_id).map_err(|_| invalid.clone())?;
    HeaderValue::from_str(client_id).map_err(|_| invalid)
}

/// The pass key as a secret, if it is a UUID; the given string is zeroed either way.
pub(crate) fn valid_pass_key(mut pass_key: String) -> Result<SecretString, Error> {
    let result = match uuid::Uuid::try_parse(&pass_key) {
        // Copied rather than moved: converting a String with spare capacity to a boxed str
        // could reallocate and leave the old buffer behind unzeroed.
        Ok(_) => Ok(SecretString::from(pass_key.as_str())),
        Err(_) => Err(Error::InvalidCredential { field: "pass-key" }),
    };
    pass_key.zeroize();
    result
}
