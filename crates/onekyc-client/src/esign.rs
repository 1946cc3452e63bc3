//! Esign API calls: the `x-onekyc-token` header, the partner headers, one retry after a 401.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::Deserialize;

use crate::client::OneKycClient;
use crate::error::{Endpoint, Error, ErrorDetail};
use crate::token::{RawDetail, Token, details_of};

/// The documented Esign endpoint returning the submission URLs.
pub const SUBMISSION_URLS_PATH: &str = "/esign-partner/v1/submissions/urls";
/// Header carrying the partner token (a secret; sent marked sensitive).
pub const TOKEN_HEADER: &str = "x-onekyc-token";
/// Header naming the onboarding partner, e.g. `CLIENT_X-BE-CERT_REG`.
pub const ONBOARDING_PARTNER_HEADER: &str = "x-esign-onboarding-partner";
/// Header carrying the partner's user id.
pub const PARTNER_USER_ID_HEADER: &str = "x-partner-user-id";
/// Header carrying the type of the partner's user id, e.g. `CLIENT_X_USER_ID`.
pub const PARTNER_USER_ID_TYPE_HEADER: &str = "x-partner-user-id-type";
/// Header carrying the partner's session id.
pub const PARTNER_SESSION_ID_HEADER: &str = "x-partner-session-id";

/// The four partner headers of an Esign call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerHeaders {
    /// `x-esign-onboarding-partner`.
    pub onboarding_partner: String,
    /// `x-partner-user-id`.
    pub user_id: String,
    /// `x-partner-user-id-type`.
    pub user_id_type: String,
    /// `x-partner-session-id`.
    pub session_id: String,
}

impl PartnerHeaders {
    /// All four headers.
    pub fn new(
        onboarding_partner: impl Into<String>,
        user_id: impl Into<String>,
        user_id_type: impl Into<String>,
        session_id: impl Into<String>,
    ) -> Self {
        Self {
            onboarding_partner: onboarding_partner.into(),
            user_id: user_id.into(),
            user_id_type: user_id_type.into(),
            session_id: session_id.into(),
        }
    }

    fn apply(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        for (name, value) in [
            (ONBOARDING_PARTNER_HEADER, &self.onboarding_partner),
            (PARTNER_USER_ID_HEADER, &self.user_id),
            (PARTNER_USER_ID_TYPE_HEADER, &self.user_id_type),
            (PARTNER_SESSION_ID_HEADER, &self.session_id),
        ] {
            headers.insert(HeaderName::from_static(name), header_value(name, value)?);
        }
        Ok(())
    }
}

/// Visible ASCII only: control characters could forge headers, and non-ASCII is not portable.
fn header_value(name: &str, value: &str) -> Result<HeaderValue, Error> {
    if value.bytes().any(|b| !(0x20..0x7f).contains(&b)) {
        return Err(Error::InvalidHeaderValue(name.to_owned()));
    }
    HeaderValue::from_str(value).map_err(|_| Error::InvalidHeaderValue(name.to_owned()))
}

/// A successful (2xx) Esign answer, body as received.
#[derive(Debug, Clone)]
pub struct EsignResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl EsignResponse {
    /// The HTTP status (2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The exact body bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body decoded as JSON into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode(e.to_string()))
    }
}

/// One Esign call being put together; [`send`](Self::send) adds the token.
#[must_use = "a request does nothing until sent"]
pub struct EsignRequest<'c> {
    client: &'c OneKycClient,
    method: Method,
    path: String,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    body: Option<Bytes>,
    error: Option<Error>,
}

impl std::fmt::Debug for EsignRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsignRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers)
            .field("query", &self.query)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish_non_exhaustive()
    }
}

impl<'c> EsignRequest<'c> {
    pub(crate) fn new(client: &'c OneKycClient, method: Method, path: &str) -> Self {
        Self {
            client,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            query: Vec::new(),
            body: None,
            error: (!path.starts_with('/')).then_some(Error::InvalidPath),
        }
    }

    fn record(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Sets the four partner headers.
    pub fn partner(mut self, partner: PartnerHeaders) -> Self {
        if let Err(e) = partner.apply(&mut self.headers) {
            self.record(e);
        }
        self
    }

    /// Adds one more header. `x-onekyc-token` cannot be set this way: the cache provides it.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(name) if name.as_str() != TOKEN_HEADER => match header_value(name.as_str(), value) {
                Ok(value) => {
                    self.headers.append(name, value);
                }
                Err(e) => self.record(e),
            },
            _ => self.record(Error::InvalidHeaderValue(name.to_owned())),
        }
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// A JSON body (sets `content-type: application/json`); serialised once, resent as-is on retry.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                self.body = Some(Bytes::from(bytes));
            }
            Err(e) => self.record(Error::Decode(e.to_string())),
        }
        self
    }

    /// Sends with the cached token. A 401 invalidates that token (only if it is still the
    /// cached one), fetches once and retries once; a second 401 is [`Error::EsignUnauthorized`]
    /// (`onekyc-token-cache`).
    pub async fn send(self) -> Result<EsignResponse, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.client.esign_base_url().is_none() {
            return Err(Error::MissingSetting("Esign base URL"));
        }
        let cache = self.client.token_cache();
        let token = cache.token().await?;
        match self.attempt(&token).await? {
            Attempt::Done(response) => Ok(response),
            Attempt::Unauthorized(_) => {
                tracing::debug!(path = %self.path, "Esign answered 401: refreshing the token and retrying once");
                cache.invalidate(&token);
                let fresh = cache.token().await?;
                match self.attempt(&fresh).await? {
                    Attempt::Done(response) => Ok(response),
                    Attempt::Unauthorized(errors) => Err(Error::EsignUnauthorized { errors }),
                }
            }
        }
    }

    async fn attempt(&self, token: &Token) -> Result<Attempt, Error> {
        let inner = &self.client.inner;
        let mut headers = self.headers.clone();
        let mut token_value = HeaderValue::from_str(token.expose_secret())
            .map_err(|_| Error::MalformedResponse("token is not a valid header value"))?;
        token_value.set_sensitive(true);
        headers.insert(HeaderName::from_static(TOKEN_HEADER), token_value);
        let base = inner.esign_base_url.as_deref().unwrap_or_default();
        let url = format!("{base}{}", self.path);
        let mut request = inner
            .http
            .request(self.method.clone(), url)
            .headers(headers)
            .timeout(inner.request_timeout);
        if !self.query.is_empty() {
            request = request.query(&self.query);
        }
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        let failed = |e| Error::of_call(Endpoint::Esign, e, inner.request_timeout);
        let response = request.send().await.map_err(failed)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(failed)?;
        tracing::debug!(path = %self.path, status = status.as_u16(), "Esign answered");
        if status.is_success() {
            return Ok(Attempt::Done(EsignResponse {
                status,
                headers,
                body,
            }));
        }
        let errors = error_details(&body);
        if status == StatusCode::UNAUTHORIZED {
            Ok(Attempt::Unauthorized(errors))
        } else {
            Err(Error::EsignStatus { status, errors })
        }
    }
}

enum Attempt {
    Done(EsignResponse),
    Unauthorized(Vec<ErrorDetail>),
}

#[derive(Deserialize)]
struct ErrorBody {
    errors: Option<Vec<RawDetail>>,
}

/// The `errors` of a OneKYC error body (`onekyc-error-arrays`); empty if the body is not that shape.
fn error_details(body: &[u8]) -> Vec<ErrorDetail> {
    details_of(
        serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .and_then(|b| b.errors),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_headers_reject_control_characters() {
        let mut headers = HeaderMap::new();
        let bad = PartnerHeaders::new("P", "user\r\nx-onekyc-token: forged", "T", "S");
        assert!(
            matches!(bad.apply(&mut headers), Err(Error::InvalidHeaderValue(name)) if name == PARTNER_USER_ID_HEADER)
        );
        let good = PartnerHeaders::new(
            "CLIENT_X-BE-CERT_REG",
            "user-12345",
            "CLIENT_X_USER_ID",
            "session-abc-001",
        );
        good.apply(&mut headers).unwrap();
        assert_eq!(headers[ONBOARDING_PARTNER_HEADER], "CLIENT_X-BE-CERT_REG");
        assert_eq!(headers[PARTNER_SESSION_ID_HEADER], "session-abc-001");
    }

    #[test]
    fn error_details_of_a_onekyc_body() {
        assert_eq!(
            error_details(br#"{"success":false,"errors":[{"code":"110","cause":"UNAUTHORIZED"}]}"#),
            vec![ErrorDetail::new("110", "UNAUTHORIZED")]
        );
        assert!(error_details(b"oops").is_empty());
    }
}
