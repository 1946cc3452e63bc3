//! One signed attempt: the credentials as they are sent, and one `reqwest::Request` built and
//! signed from the final URL and body. The only place omni-client writes the signed headers.

use std::fmt;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use omni_sign::header::{PARTNER_CLIENT_ID, SIGNATURE, STORE_CLIENT_ID, STORE_TOKEN, TIMESTAMP};
use omni_sign::{
    BodyHash, CanonicalPath, CanonicalRequest, SignatureFormat, SignedHeaders, Signer, Timestamp,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::{Error, HttpError};

/// The header names the client sets itself; a caller cannot give them.
pub(crate) const RESERVED: [&str; 5] = [
    PARTNER_CLIENT_ID,
    STORE_CLIENT_ID,
    STORE_TOKEN,
    TIMESTAMP,
    SIGNATURE,
];

/// The partner client id, validated once, with its header value built once: every request
/// sends it unchanged.
#[derive(Debug)]
pub(crate) struct PartnerId {
    text: String,
    value: HeaderValue,
}

impl PartnerId {
    /// Errors: empty or not visible ASCII (`signed-headers`).
    pub(crate) fn new(text: String) -> Result<Self, omni_sign::Error> {
        SignedHeaders::new(&text, Timestamp::from_millis(0))?;
        let value = header_value(PARTNER_CLIENT_ID, &text, false)?;
        Ok(PartnerId { text, value })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

/// Store delegation credentials, validated once. The id's header value is built once; the
/// token is not kept as one (a `HeaderValue` cannot be zeroed), so each attempt makes its own
/// short-lived copy.
pub(crate) struct StoreCredentials {
    id: String,
    id_value: HeaderValue,
    token: SecretString,
}

impl StoreCredentials {
    /// Errors: either value empty or not visible ASCII (`signed-headers`).
    pub(crate) fn new(id: String, token: SecretString) -> Result<Self, omni_sign::Error> {
        SignedHeaders::new("p", Timestamp::from_millis(0))?
            .with_store(&id, token.expose_secret())?;
        let id_value = header_value(STORE_CLIENT_ID, &id, false)?;
        Ok(StoreCredentials {
            id,
            id_value,
            token,
        })
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for StoreCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreCredentials")
            .field("id", &self.id)
            .field("token", &omni_sign::REDACTED)
            .finish()
    }
}

/// What every attempt of one request shares.
pub(crate) struct Parts<'a> {
    pub(crate) signer: &'a Signer,
    pub(crate) format: SignatureFormat,
    pub(crate) partner: &'a PartnerId,
    pub(crate) store: Option<&'a StoreCredentials>,
    pub(crate) method: &'a Method,
    pub(crate) sign_method: omni_sign::Method<'a>,
    pub(crate) url: &'a Url,
    /// The signed PATH, derived from `url` as sent.
    pub(crate) path: CanonicalPath<'a>,
    pub(crate) body: &'a Bytes,
    /// Hashed once: every attempt sends these same bytes.
    pub(crate) body_hash: BodyHash,
    /// The caller's extra headers.
    pub(crate) headers: &'a HeaderMap,
    pub(crate) timeout: Option<std::time::Duration>,
}

impl<'a> Parts<'a> {
    /// One request signed with `timestamp`, and what was signed (for the error of a rejected
    /// signature).
    pub(crate) fn signed(
        &self,
        timestamp: Timestamp,
    ) -> Result<(reqwest::Request, CanonicalRequest<'a>), Error> {
        let headers = SignedHeaders::from_parts(
            self.partner.as_str(),
            self.store.map(|s| s.id.as_str()),
            self.store.map(|s| s.token.expose_secret()),
            timestamp,
        )?;
        let canonical =
            CanonicalRequest::from_parts(self.sign_method, self.path, headers, self.body_hash);
        let signature = self.signer.sign(&canonical).encode(self.format);
        // Room for the extra headers and the five Omni ones: no regrowth.
        let mut map = HeaderMap::with_capacity(self.headers.len() + 5);
        map.extend(self.headers.iter().map(|(n, v)| (n.clone(), v.clone())));
        map.insert(PARTNER_CLIENT_ID_NAME, self.partner.value.clone());
        if let Some(store) = self.store {
            map.insert(STORE_CLIENT_ID_NAME, store.id_value.clone());
            let token = store.token.expose_secret();
            map.insert(STORE_TOKEN_NAME, header_value(STORE_TOKEN, token, true)?);
        }
        map.insert(TIMESTAMP_NAME, HeaderValue::from(timestamp.as_millis()));
        map.insert(
            SIGNATURE_NAME,
            header_value(SIGNATURE, signature.as_str(), true)?,
        );
        let mut request = reqwest::Request::new(self.method.clone(), self.url.clone());
        *request.headers_mut() = map;
        if !self.body.is_empty() {
            *request.body_mut() = Some(self.body.clone().into());
        }
        *request.timeout_mut() = self.timeout;
        Ok((request, canonical))
    }
}

const PARTNER_CLIENT_ID_NAME: HeaderName = HeaderName::from_static(PARTNER_CLIENT_ID);
const STORE_CLIENT_ID_NAME: HeaderName = HeaderName::from_static(STORE_CLIENT_ID);
const STORE_TOKEN_NAME: HeaderName = HeaderName::from_static(STORE_TOKEN);
const TIMESTAMP_NAME: HeaderName = HeaderName::from_static(TIMESTAMP);
const SIGNATURE_NAME: HeaderName = HeaderName::from_static(SIGNATURE);

/// A header value of a validated signed value; `sensitive` keeps it out of `Debug` and HTTP/2
/// compression tables.
fn header_value(
    name: &'static str,
    value: &str,
    sensitive: bool,
) -> Result<HeaderValue, omni_sign::Error> {
    // Signed values are validated visible ASCII, so this only fails on a bug elsewhere; it is
    // still reported rather than unwrapped.
    let mut value =
        HeaderValue::from_str(value).map_err(|_| omni_sign::Error::InvalidHeaderValue(name))?;
    value.set_sensitive(sensitive);
    Ok(value)
}

/// What one attempt brought back: the whole answer, body read.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends one request and reads its whole answer.
pub(crate) async fn send(
    http: &reqwest::Client,
    request: reqwest::Request,
) -> Result<Answer, HttpError> {
    let mut response = http.execute(request).await.map_err(HttpError::new)?;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await.map_err(HttpError::new)?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}
