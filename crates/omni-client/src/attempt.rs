//! One signed attempt: the credentials as they are sent, and one `reqwest::Request` built and
//! signed from the final URL and body. The signed headers are written by `signed_headers`.

use std::fmt;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use omni_sign::header::{PARTNER_CLIENT_ID, SIGNATURE, STORE_CLIENT_ID, STORE_TOKEN, TIMESTAMP};
use omni_sign::{
    BodyHash, CanonicalPath, CanonicalRequest, PartnerClientId, SignatureFormat, SignedHeaders,
    Signer, StoreClientId, StoreToken, Timestamp,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::{Error, HttpError};
use crate::signed_headers::set_signed_headers_reusing;

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
        PartnerClientId::new(&text)?;
        let value = HeaderValue::from_str(&text)
            .map_err(|_| omni_sign::Error::InvalidHeaderValue(PARTNER_CLIENT_ID))?;
        Ok(PartnerId { text, value })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The validated id, for the signed headers of one attempt.
    fn id(&self) -> Result<PartnerClientId<'_>, omni_sign::Error> {
        PartnerClientId::new(&self.text)
    }
}

/// Store delegation credentials, validated once. The id's header value is built once; the
/// token is kept as omni-sign's `StoreToken` (zeroed on drop), never as a `HeaderValue`, which
/// cannot be zeroed: each attempt makes its own short-lived copy.
pub(crate) struct StoreCredentials {
    id: String,
    id_value: HeaderValue,
    token: StoreToken,
}

impl StoreCredentials {
    /// Errors: either value empty or not visible ASCII (`signed-headers`).
    pub(crate) fn new(id: String, token: SecretString) -> Result<Self, omni_sign::Error> {
        StoreClientId::new(&id)?;
        let token = StoreToken::new(token.expose_secret())?;
        let id_value = HeaderValue::from_str(&id)
            .map_err(|_| omni_sign::Error::InvalidHeaderValue(STORE_CLIENT_ID))?;
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
        let mut headers = SignedHeaders::new(self.partner.id()?, timestamp);
        if let Some(store) = self.store {
            headers =
                headers.with_store(StoreClientId::new(&store.id)?, store.token.as_token_ref());
        }
        let canonical =
            CanonicalRequest::from_parts(self.sign_method, self.path, headers, self.body_hash);
        let signature = self.signer.sign(&canonical);
        // Room for the extra headers and the five Omni ones: no regrowth.
        let mut map = HeaderMap::with_capacity(self.headers.len() + 5);
        map.extend(self.headers.iter().map(|(n, v)| (n.clone(), v.clone())));
        set_signed_headers_reusing(
            &mut map,
            &headers,
            &signature,
            self.format,
            &self.partner.value,
            self.store.map(|s| &s.id_value),
        )?;
        let mut request = reqwest::Request::new(self.method.clone(), self.url.clone());
        *request.headers_mut() = map;
        if !self.body.is_empty() {
            *request.body_mut() = Some(self.body.clone().into());
        }
        *request.timeout_mut() = self.timeout;
        Ok((request, canonical))
    }
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
