//! `OneKycClient` and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Method};
use secrecy::SecretString;

use crate::cache::{CacheConfig, TokenCache};
use crate::clock::Clock;
use crate::error::Error;
use crate::esign::{EsignRequest, PartnerHeaders, SUBMISSION_URLS_PATH};
use crate::shared::{Fleet, FleetConfig, SharedStore};
use crate::source::{HttpTokenSource, valid_base_url, valid_client_id, valid_pass_key};
use crate::store::TokenStore;
use crate::token::Token;

/// Token endpoint base URL of the staging environment (`base-urls`).
pub const STAGING_TOKEN_BASE_URL: &str = "https://onekyc-token.staging.gopayapi.com";
/// Token endpoint base URL of the production environment (`base-urls`).
pub const PRODUCTION_TOKEN_BASE_URL: &str = "https://onekyc-token.ky.id.gopayapi.com";
/// Esign API base URL of staging, as the documentation's example call shows it. The
/// documentation gives no production Esign URL: Esign calls in production need
/// [`OneKycClientBuilder::esign_base_url`].
pub const STAGING_ESIGN_BASE_URL: &str = "https://onekyc.ky.id.staging.gopayapi.com";

/// Environment variable read by [`OneKycClientBuilder::credentials_from_env`] for the client id.
pub const CLIENT_ID_ENV: &str = "ONEKYC_CLIENT_ID";
/// Environment variable read by [`OneKycClientBuilder::credentials_from_env`] for the pass key.
pub const PASS_KEY_ENV: &str = "ONEKYC_PASS_KEY";
/// Environment variable naming the Redis a fleet shares its token through (`redis://HOST:PORT/DB`);
/// read by the `omni` CLI, and by programs that want the same convention.
pub const REDIS_URL_ENV: &str = "ONEKYC_REDIS_URL";

/// Default connect timeout of both endpoints.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout of one Esign call.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A OneKYC environment: picks the documented base URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// [`STAGING_TOKEN_BASE_URL`] and [`STAGING_ESIGN_BASE_URL`].
    Staging,
    /// [`PRODUCTION_TOKEN_BASE_URL`]; Esign calls need the Esign base URL given.
    Production,
}

impl Environment {
    /// The documented token endpoint base URL.
    pub fn token_base_url(self) -> &'static str {
        match self {
            Self::Staging => STAGING_TOKEN_BASE_URL,
            Self::Production => PRODUCTION_TOKEN_BASE_URL,
        }
    }

    /// The documented Esign base URL, where there is one.
    pub fn esign_base_url(self) -> Option<&'static str> {
        match self {
            Self::Staging => Some(STAGING_ESIGN_BASE_URL),
            Self::Production => None,
        }
    }
}

/// The async OneKYC Esign client. Cheap to clone; clones share one token cache, so a process
/// should build one client per credential set and clone it.
#[derive(Clone)]
pub struct OneKycClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// `None` for a client used only for tokens: Esign calls then fail with
    /// [`Error::MissingSetting`].
    pub(crate) esign_base_url: Option<String>,
    pub(crate) request_timeout: Duration,
    pub(crate) cache: TokenCache,
    client_id: String,
}

impl OneKycClient {
    /// A builder with no settings.
    pub fn builder() -> OneKycClientBuilder {
        OneKycClientBuilder::default()
    }

    /// A client for `environment` with the credentials of `ONEKYC_CLIENT_ID` and
    /// `ONEKYC_PASS_KEY` and default settings (Esign calls in production also need an Esign
    /// URL: use the builder).
    pub fn from_env(environment: Environment) -> Result<Self, Error> {
        Self::builder()
            .environment(environment)
            .credentials_from_env()
            .build()
    }

    /// A valid partner token from the cache (fetching one if needed).
    pub async fn token(&self) -> Result<Token, Error> {
        self.inner.cache.token().await
    }

    /// The token cache shared by this client and its clones.
    pub fn token_cache(&self) -> &TokenCache {
        &self.inner.cache
    }

    /// The client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The Esign base URL calls go to; `None` for a client used only for tokens.
    pub fn esign_base_url(&self) -> Option<&str> {
        self.inner.esign_base_url.as_deref()
    }

    /// A request to any Esign endpoint; `path` starts with `/`, e.g. `/esign-partner/v1/...`.
    /// [`Method`](crate::Method) is re-exported: callers need not depend on `http` or reqwest.
    pub fn esign(&self, method: Method, path: &str) -> EsignRequest<'_> {
        EsignRequest::new(self, method, path)
    }

    /// `GET /esign-partner/v1/submissions/urls` with the partner headers. The documentation does
    /// not describe the response body, so it is returned as it came ([`crate::EsignResponse::json`]
    /// decodes it).
    pub async fn submission_urls(
        &self,
        partner: &PartnerHeaders,
    ) -> Result<crate::EsignResponse, Error> {
        self.esign(Method::GET, SUBMISSION_URLS_PATH)
            .partner(partner.clone())
            .send()
            .await
    }
}

impl fmt::Debug for OneKycClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneKycClient")
            .field("client_id", &self.inner.client_id)
            .field("esign_base_url", &self.inner.esign_base_url)
            .field("request_timeout", &self.inner.request_timeout)
            .field("cache", &self.inner.cache)
            .finish_non_exhaustive()
    }
}

/// Builds a [`OneKycClient`]. Setters never fail: the first invalid setting is recorded and
/// [`build`](Self::build) returns it.
#[derive(Default)]
pub struct OneKycClientBuilder {
    error: Option<Error>,
    token_base_url: Option<String>,
    esign_base_url: Option<String>,
    environment: Option<Environment>,
    client_id: Option<(String, HeaderValue)>,
    pass_key: Option<SecretString>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    cache: CacheConfig,
    clock: Option<Arc<dyn Clock>>,
    store: Option<Arc<dyn TokenStore>>,
    http: Option<reqwest::Client>,
    shared_store: Option<Arc<dyn SharedStore>>,
    fleet: FleetConfig,
}

impl fmt::Debug for OneKycClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneKycClientBuilder")
            .field("error", &self.error)
            .field("environment", &self.environment)
            .field("token_base_url", &self.token_base_url)
            .field("esign_base_url", &self.esign_base_url)
            .field("client_id", &self.client_id.as_ref().map(|(id, _)| id))
            .field("pass_key", &self.pass_key.as_ref().map(|_| crate::REDACTED))
            .field("cache", &self.cache)
            .field("shared_store", &self.shared_store)
            .finish_non_exhaustive()
    }
}

impl OneKycClientBuilder {
    fn record(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Uses the documented base URLs of `environment` (explicit URLs still win).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The token endpoint base URL, e.g. a sandbox's; overrides the environment's.
    pub fn token_base_url(mut self, url: impl Into<String>) -> Self {
        match valid_base_url(&url.into(), "token") {
            Ok(url) => self.token_base_url = Some(url),
            Err(e) => self.record(e),
        }
        self
    }

    /// The Esign API base URL; overrides the environment's. Needed for Esign calls in
    /// production; a client used only for tokens does without.
    pub fn esign_base_url(mut self, url: impl Into<String>) -> Self {
        match valid_base_url(&url.into(), "Esign") {
            Ok(url) => self.esign_base_url = Some(url),
            Err(e) => self.record(e),
        }
        self
    }

    /// The partner client id (a UUID).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        match valid_client_id(&client_id) {
            Ok(value) => self.client_id = Some((client_id, value)),
            Err(e) => self.record(e),
        }
        self
    }

    /// The pass key (a UUID, secret). The given string is zeroed once copied.
    pub fn pass_key(mut self, pass_key: impl Into<String>) -> Self {
        match valid_pass_key(pass_key.into()) {
            Ok(pass_key) => self.pass_key = Some(pass_key),
            Err(e) => self.record(e),
        }
        self
    }

    /// Reads the client id and pass key from `ONEKYC_CLIENT_ID` and `ONEKYC_PASS_KEY`.
    pub fn credentials_from_env(self) -> Self {
        self.credentials_from(|name| std::env::var(name).ok())
    }

    /// Reads the client id and pass key through `lookup` (given [`CLIENT_ID_ENV`] and
    /// [`PASS_KEY_ENV`]); what `credentials_from_env` does, testable without the process environment.
    pub fn credentials_from(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        match lookup(CLIENT_ID_ENV) {
            Some(id) => self = self.client_id(id),
            None => self.record(Error::MissingEnvVar(CLIENT_ID_ENV)),
        }
        match lookup(PASS_KEY_ENV) {
            Some(key) => self = self.pass_key(key),
            None => self.record(Error::MissingEnvVar(PASS_KEY_ENV)),
        }
        self
    }

    /// Connect timeout of both endpoints (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Timeout of one Esign call (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Timeout of one token fetch (default 10 s): a stalled token endpoint fails callers after it.
    pub fn token_timeout(mut self, timeout: Duration) -> Self {
        self.cache.fetch_timeout = timeout;
        self
    }

    /// Refresh when fewer than this remain (default 300 s).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.cache.refresh_margin = margin;
        self
    }

    /// Random extra margin per token (default up to 30 s).
    pub fn refresh_jitter(mut self, jitter: Duration) -> Self {
        self.cache.refresh_jitter = jitter;
        self
    }

    /// Backoff after failed fetches: first wait and cap (defaults 30 s and 300 s; first wait >= 30 s).
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.cache.min_backoff = min;
        self.cache.max_backoff = max;
        self
    }

    /// The clock expiry is measured on (default: the system clocks).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Where the token is kept (default: in memory).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Shares the token with the other processes using `store` (`fleet-token-store`): one fetch
    /// per token lifetime for the whole fleet. The in-process cache stays in front of it.
    pub fn shared_store(mut self, store: Arc<dyn SharedStore>) -> Self {
        self.shared_store = Some(store);
        self
    }

    /// Shares the token through the Redis at `url` (`redis://` or `rediss://`); see
    /// [`shared_store`](Self::shared_store) and [`RedisStore`](crate::RedisStore).
    #[cfg(feature = "redis")]
    pub fn redis(mut self, url: &str) -> Self {
        match crate::RedisStore::open(url) {
            Ok(store) => self.shared_store = Some(Arc::new(store)),
            Err(e) => self.record(e),
        }
        self
    }

    /// Timeout of one shared-store operation (default 50 ms); past it the process does without.
    pub fn shared_store_timeout(mut self, timeout: Duration) -> Self {
        self.fleet.op_timeout = timeout;
        self
    }

    /// How long to wait for another process's fetch before fetching in this one (default 5 s).
    pub fn fleet_wait(mut self, wait: Duration) -> Self {
        self.fleet.max_wait = wait;
        self
    }

    /// A preconfigured `reqwest::Client` (then `connect_timeout` is ignored).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client, or returns the first invalid setting.
    pub fn build(self) -> Result<OneKycClient, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let token_base_url = match (self.token_base_url, self.environment) {
            (Some(url), _) => url,
            (None, Some(env)) => env.token_base_url().to_owned(),
            (None, None) => return Err(Error::MissingSetting("environment or token base URL")),
        };
        let esign_base_url = self.esign_base_url.or_else(|| {
            self.environment
                .and_then(Environment::esign_base_url)
                .map(str::to_owned)
        });
        let (client_id, client_id_value) =
            self.client_id.ok_or(Error::MissingSetting("client-id"))?;
        let pass_key = self.pass_key.ok_or(Error::MissingSetting("pass-key"))?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(|e| Error::HttpClient(crate::error::HttpError::new(e)))?,
        };
        let fleet = self.shared_store.map(|store| {
            Fleet::new(
                store,
                &format!("{}{}", token_base_url, crate::source::TOKEN_PATH),
                &client_id,
                &pass_key,
            )
            .with_config(self.fleet)
        });
        let source = HttpTokenSource::from_parts(
            http.clone(),
            &token_base_url,
            client_id_value,
            Arc::new(pass_key),
            self.cache.fetch_timeout,
        );
        let mut cache = TokenCache::builder(Arc::new(source)).config(self.cache);
        if let Some(clock) = self.clock {
            cache = cache.clock(clock);
        }
        if let Some(store) = self.store {
            cache = cache.store(store);
        }
        if let Some(fleet) = fleet {
            cache = cache.fleet(fleet);
        }
        Ok(OneKycClient {
            inner: Arc::new(Inner {
                http,
                esign_base_url,
                request_timeout: self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
                cache: cache.build()?,
                client_id,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "b31fa508-331c-4e9e-9a60-b0f28c3f7e13";
    const KEY: &str = "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b";

    #[test]
    fn staging_uses_the_documented_urls() {
        let client = OneKycClient::builder()
            .environment(Environment::Staging)
            .client_id(ID)
            .pass_key(KEY)
            .build()
            .unwrap();
        assert_eq!(client.esign_base_url(), Some(STAGING_ESIGN_BASE_URL));
        let debug = format!("{client:?}");
        assert!(
            debug.contains("onekyc-token.staging.gopayapi.com/v1/esign/partner/authentication"),
            "{debug}"
        );
        assert!(!debug.contains(KEY), "{debug}");
    }

    #[test]
    fn production_esign_calls_need_an_esign_url_tokens_do_not() {
        let tokens_only = OneKycClient::builder()
            .environment(Environment::Production)
            .client_id(ID)
            .pass_key(KEY)
            .build()
            .unwrap();
        assert_eq!(tokens_only.esign_base_url(), None);
        let client = OneKycClient::builder()
            .environment(Environment::Production)
            .esign_base_url("https://esign.example.invalid/")
            .client_id(ID)
            .pass_key(KEY)
            .build()
            .unwrap();
        assert_eq!(
            client.esign_base_url(),
            Some("https://esign.example.invalid")
        );
        assert!(format!("{client:?}").contains(PRODUCTION_TOKEN_BASE_URL));
    }

    #[tokio::test]
    async fn esign_calls_of_a_client_for_tokens_only_fail_before_sending() {
        let tokens_only = OneKycClient::builder()
            .token_base_url("http://127.0.0.1:9")
            .client_id(ID)
            .pass_key(KEY)
            .build()
            .unwrap();
        let partner = PartnerHeaders::new("P", "U", "T", "S");
        let err = tokens_only.submission_urls(&partner).await.unwrap_err();
        assert!(
            matches!(err, Error::MissingSetting("Esign base URL")),
            "{err:?}"
        );
        assert_eq!(tokens_only.token_cache().stats().fetches, 0);
    }

    #[test]
    fn the_first_invalid_setting_is_reported_without_its_value() {
        let err = OneKycClient::builder()
            .environment(Environment::Staging)
            .pass_key("not-a-uuid-secret")
            .client_id("also bad")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidCredential { field: "pass-key" }),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?}").contains("not-a-uuid-secret"));
        let err = OneKycClient::builder()
            .token_base_url("ftp://x")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidBaseUrl { which: "token" }));
        let err = OneKycClient::builder()
            .esign_base_url("no scheme")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidBaseUrl { which: "Esign" }));
        let err = OneKycClient::builder()
            .environment(Environment::Staging)
            .client_id(ID)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::MissingSetting("pass-key")));
        let err = OneKycClient::builder()
            .environment(Environment::Staging)
            .client_id(ID)
            .pass_key(KEY)
            .backoff(Duration::from_secs(1), Duration::from_secs(60))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidSetting(_)));
    }

    #[test]
    fn credentials_from_the_environment() {
        let client = OneKycClient::builder()
            .environment(Environment::Staging)
            .credentials_from(|name| match name {
                CLIENT_ID_ENV => Some(ID.to_owned()),
                PASS_KEY_ENV => Some(KEY.to_owned()),
                _ => None,
            })
            .build()
            .unwrap();
        assert_eq!(client.client_id(), ID);
        let err = OneKycClient::builder()
            .environment(Environment::Staging)
            .credentials_from(|name| (name == CLIENT_ID_ENV).then(|| ID.to_owned()))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::MissingEnvVar(PASS_KEY_ENV)));
    }
}
