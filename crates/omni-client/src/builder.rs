//! `OmniClientBuilder`: every setting of an [`OmniClient`], checked once by `build`.

use std::sync::Arc;
use std::time::Duration;

use omni_sign::{SignatureFormat, Signer};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::attempt::PartnerId;
use crate::client::{Inner, OmniClient};
use crate::error::{ConfigError, Error, HttpError};
use crate::skew::Skew;
use crate::{Clock, RetryPolicy, SystemClock};

/// The production base URL of the Omni Partner API. Request paths such as
/// `/partner/onboard/sessions` are appended to it.
pub const PRODUCTION_BASE_URL: &str = "https://partners-api.tocobagus.net/api/v1";

/// The default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default time for one attempt of a request: connect, send, and read the full answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variable read by [`OmniClientBuilder::credentials_from_env`] for the partner
/// client id.
pub const CLIENT_ID_ENV: &str = "OMNI_CLIENT_ID";
/// Environment variable read by [`OmniClientBuilder::credentials_from_env`] for the partner
/// secret key.
pub const SECRET_KEY_ENV: &str = "OMNI_SECRET_KEY";
/// Environment variable read by [`OmniClientBuilder::credentials_from_env`] for the base URL
/// (optional).
pub const BASE_URL_ENV: &str = "OMNI_BASE_URL";

/// Builds an [`OmniClient`]. Setters never fail: the first invalid setting is recorded and
/// [`build`](Self::build) returns it.
#[derive(Debug)]
pub struct OmniClientBuilder {
    base_url: Option<Url>,
    partner_client_id: Option<PartnerId>,
    signer: Option<Signer>,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::Client>,
    skew_correction: bool,
    signature_format: SignatureFormat,
    error: Option<ConfigError>,
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
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock::new()),
            http: None,
            skew_correction: true,
            signature_format: SignatureFormat::Prefixed,
            error: None,
        }
    }

    /// Reads the partner client id from [`CLIENT_ID_ENV`], the secret key from
    /// [`SECRET_KEY_ENV`] and, when set, the base URL from [`BASE_URL_ENV`]. A missing or
    /// non-UTF-8 required variable is a [`ConfigError::MissingEnvVar`] from `build`.
    pub fn credentials_from_env(self) -> Self {
        self.credentials_from(|name| std::env::var(name).ok())
    }

    /// What [`credentials_from_env`](Self::credentials_from_env) does, reading through
    /// `lookup` (given the variable names) instead of the process environment.
    pub fn credentials_from(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        match lookup(CLIENT_ID_ENV) {
            Some(id) => self = self.client_id(id),
            None => self.fail(ConfigError::MissingEnvVar(CLIENT_ID_ENV)),
        }
        match lookup(SECRET_KEY_ENV) {
            Some(secret) => self = self.secret_key(secret),
            None => self.fail(ConfigError::MissingEnvVar(SECRET_KEY_ENV)),
        }
        if let Some(base) = lookup(BASE_URL_ENV) {
            self = self.base_url(&base);
        }
        self
    }

    fn fail(&mut self, error: ConfigError) {
        self.error.get_or_insert(error);
    }

    /// The base URL, ending in `/api/v1` for the real API (staging, production) or the
    /// sandbox's `omni_base_url()`. Defaults to [`PRODUCTION_BASE_URL`]. Must be http(s),
    /// without query, fragment or credentials.
    pub fn base_url(mut self, base_url: &str) -> Self {
        match valid_base_url(base_url) {
            Ok(url) => self.base_url = Some(url),
            Err(e) => self.fail(e),
        }
        self
    }

    /// The partner client id (`x-partner-client-id`). Required.
    pub fn client_id(mut self, partner_client_id: impl Into<String>) -> Self {
        match PartnerId::new(partner_client_id.into()) {
            Ok(id) => self.partner_client_id = Some(id),
            Err(e) => self.fail(ConfigError::InvalidClientId(e)),
        }
        self
    }

    /// The partner secret key. Required. Only the precomputed HMAC key state is kept (zeroed on
    /// drop); the given text is zeroed when this call returns.
    pub fn secret_key(mut self, secret_key: impl Into<SecretString>) -> Self {
        let secret: SecretString = secret_key.into();
        match Signer::new(secret.expose_secret().as_bytes()) {
            Ok(signer) => self.signer = Some(signer),
            Err(e) => self.fail(ConfigError::InvalidSecretKey(e)),
        }
        self
    }

    /// Time to establish a connection (default [`DEFAULT_CONNECT_TIMEOUT`]). Ignored with
    /// [`Self::http_client`]: set it on that client.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time for each attempt, from sending to the last byte of the answer (default
    /// [`DEFAULT_REQUEST_TIMEOUT`]). [`RequestBuilder::timeout`](crate::RequestBuilder::timeout)
    /// overrides it for one request.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The clock `x-timestamp` is read from (default [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
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
            return Err(error.into());
        }
        let partner = self.partner_client_id.ok_or(ConfigError::MissingClientId)?;
        let signer = self.signer.ok_or(ConfigError::MissingSecretKey)?;
        let base_url = match self.base_url {
            Some(url) => url,
            None => valid_base_url(PRODUCTION_BASE_URL)?,
        };
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| ConfigError::HttpClient(HttpError::new(e)))?,
        };
        Ok(OmniClient {
            inner: Arc::new(Inner {
                http,
                base_path: base_url.path().trim_end_matches('/').to_owned(),
                base_url,
                partner,
                signer,
                clock: self.clock,
                skew_correction: self.skew_correction,
                skew: Skew::default(),
                retry: self.retry,
                timeout: self.request_timeout,
                signature_format: self.signature_format,
            }),
        })
    }
}

fn valid_base_url(base_url: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(base_url).map_err(|_| ConfigError::InvalidBaseUrl("not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(ConfigError::InvalidBaseUrl("not an http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::InvalidBaseUrl("has a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::InvalidBaseUrl("has credentials"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn builder_reports_the_first_error_with_its_reason() {
        let err = OmniClient::builder()
            .base_url("ftp://h/api/v1")
            .client_id("bad\nid")
            .secret_key("")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Config(ConfigError::InvalidBaseUrl("not an http(s) URL"))
            ),
            "{err}"
        );
        for (url, reason) in [
            ("not a url", "not a URL"),
            ("https://h/api?x=1", "has a query or fragment"),
            ("https://u:p@h/api", "has credentials"),
        ] {
            let err = OmniClient::builder().base_url(url).build().unwrap_err();
            assert!(
                matches!(&err, Error::Config(ConfigError::InvalidBaseUrl(r)) if *r == reason),
                "{url}: {err}"
            );
        }
        let err = OmniClient::builder()
            .client_id("p")
            .secret_key("")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(ConfigError::InvalidSecretKey(_))),
            "{err}"
        );
        let err = OmniClient::builder()
            .client_id("bad\nid")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Config(ConfigError::InvalidClientId(
                    omni_sign::Error::InvalidHeaderValue("x-partner-client-id")
                ))
            ),
            "{err}"
        );
        let err = OmniClient::builder().secret_key("s").build().unwrap_err();
        assert!(
            matches!(&err, Error::Config(ConfigError::MissingClientId)),
            "{err}"
        );
        let err = OmniClient::builder().client_id("p").build().unwrap_err();
        assert!(
            matches!(&err, Error::Config(ConfigError::MissingSecretKey)),
            "{err}"
        );
    }

    #[test]
    fn credentials_from_reads_the_three_variables_and_names_a_missing_one() {
        let vars = |name: &str| match name {
            CLIENT_ID_ENV => Some("ptnr_env".to_owned()),
            SECRET_KEY_ENV => Some("secret".to_owned()),
            BASE_URL_ENV => Some("http://127.0.0.1:1/api/v1".to_owned()),
            _ => None,
        };
        let c = OmniClient::builder()
            .credentials_from(vars)
            .build()
            .unwrap();
        assert_eq!(c.partner_client_id(), "ptnr_env");
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:1/api/v1");
        let err = OmniClient::builder()
            .credentials_from(|n| (n == CLIENT_ID_ENV).then(|| "p".to_owned()))
            .build()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Config(ConfigError::MissingEnvVar(SECRET_KEY_ENV))
            ),
            "{err}"
        );
        assert!(err.to_string().contains("OMNI_SECRET_KEY"), "{err}");
    }
}
