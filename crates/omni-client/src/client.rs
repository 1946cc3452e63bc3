//! `OmniClient` and its store-scoped handle `StoreClient`.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use omni_sign::{SignatureFormat, Signer};
use secrecy::SecretString;
use url::Url;

use crate::attempt::{PartnerId, StoreCredentials};
use crate::builder::OmniClientBuilder;
use crate::error::{ConfigError, Error};
use crate::request::RequestBuilder;
use crate::skew::Skew;
use crate::{Clock, RetryPolicy};

/// The Omni Partner API client: signs every request through omni-sign (the signing decisions
/// in docs/DECISIONS.md), corrects clock skew, retries within a bounded policy.
///
/// Cheap to clone: clones share the connection pool, the signer and the learnt clock offset.
#[derive(Clone, Debug)]
pub struct OmniClient {
    pub(crate) inner: Arc<Inner>,
}

/// What a client and its clones share.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    /// The base URL's path without its trailing `/`: request paths are appended to it.
    pub(crate) base_path: String,
    pub(crate) partner: PartnerId,
    pub(crate) signer: Signer,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) skew_correction: bool,
    pub(crate) skew: Skew,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) signature_format: SignatureFormat,
}

impl OmniClient {
    /// A builder with the production base URL, default timeouts and retry policy, the system
    /// clock and skew correction on.
    pub fn builder() -> OmniClientBuilder {
        OmniClientBuilder::new()
    }

    /// A client configured from `OMNI_CLIENT_ID`, `OMNI_SECRET_KEY` and (optional)
    /// `OMNI_BASE_URL`; see [`OmniClientBuilder::credentials_from_env`].
    pub fn from_env() -> Result<OmniClient, Error> {
        OmniClientBuilder::new().credentials_from_env().build()
    }

    /// The base URL requests are appended to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The partner client id sent in `x-partner-client-id`.
    pub fn partner_client_id(&self) -> &str {
        self.inner.partner.as_str()
    }

    /// The clock offset learnt from the server (server minus local, in ms); `0` until an
    /// `AUTH_003` answer taught one.
    pub fn skew_offset_ms(&self) -> i64 {
        self.inner.skew.offset_ms()
    }

    /// The clock `x-timestamp` is read from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// A handle whose requests carry and sign `x-store-client-id` and `x-store-token` (store
    /// delegation). The token is kept as a secret: never shown, zeroed on drop.
    ///
    /// Errors: [`ConfigError::InvalidStoreCredentials`] when either value is empty or not
    /// visible ASCII (`signed-headers`).
    pub fn store(
        &self,
        store_client_id: impl Into<String>,
        store_token: impl Into<SecretString>,
    ) -> Result<StoreClient, Error> {
        let store = StoreCredentials::new(store_client_id.into(), store_token.into())
            .map_err(ConfigError::InvalidStoreCredentials)?;
        Ok(StoreClient {
            client: self.clone(),
            store: Arc::new(store),
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
}

impl Inner {
    /// Appends `path` to the base URL's path (never `Url::join`, which would drop the last
    /// segment, `v1`), then the query.
    pub(crate) fn endpoint_url(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Url, Error> {
        let invalid = |reason| Error::InvalidPath {
            path: path.to_owned(),
            reason,
        };
        if !path.starts_with('/') {
            return Err(invalid("it must start with '/'"));
        }
        if path.contains(['?', '#']) {
            return Err(invalid(
                "it holds '?' or '#': pass query parameters with .query()",
            ));
        }
        let mut url = self.base_url.clone();
        let mut joined = String::with_capacity(self.base_path.len() + path.len());
        joined.push_str(&self.base_path);
        joined.push_str(path);
        url.set_path(&joined);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
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
        self.store.id()
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
            assert!(
                matches!(
                    c.inner.endpoint_url(bad, &[]),
                    Err(Error::InvalidPath { path, .. }) if path == bad
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn store_handle_validates_and_hides_the_token() {
        let c = client("http://127.0.0.1:9/api/v1");
        let store = c.store("str_1", "stkn_very_secret").unwrap();
        assert_eq!(store.store_client_id(), "str_1");
        let shown = format!("{store:?} {c:?}");
        assert!(!shown.contains("stkn_very_secret"), "{shown}");
        let err = c.store("str_1", "bad\ntoken").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Config(ConfigError::InvalidStoreCredentials(
                    omni_sign::Error::InvalidHeaderValue("x-store-token")
                ))
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains("bad\ntoken"));
    }
}
