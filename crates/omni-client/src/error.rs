//! The one error type of omni-client, and the Omni API's own error body.

use std::fmt;

use http::StatusCode;
use serde::Deserialize;

/// Everything that can go wrong calling the Omni Partner API.
///
/// No variant carries the secret key, a store token or a signature (`secrets-never-shown`): an
/// error can be logged as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with its error body (`{"success":false,"error":{..},"requestId":..}`).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// A non-success status without an Omni error body (e.g. a proxy's HTML page).
    #[error("HTTP {status} without an Omni error body; body starts with {excerpt:?}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The first bytes of the body, lossily decoded.
        excerpt: String,
    },
    /// The request could not be sent or its answer not received (connection refused or
    /// dropped, TLS, protocol error), after the retries the policy allows.
    #[error("transport error: {0}")]
    Transport(#[source] HttpError),
    /// The request or its answer took longer than the configured timeout, after the retries the
    /// policy allows.
    #[error("request timed out: {0}")]
    Timeout(#[source] HttpError),
    /// A success answer whose body is not the JSON expected.
    #[error("could not decode the response (HTTP {status}{}): {message}; body starts with {excerpt:?}", fmt_request_id(.request_id))]
    Decode {
        /// The HTTP status.
        status: StatusCode,
        /// The `requestId`, when the body had one.
        request_id: Option<String>,
        /// What the decoder said.
        message: String,
        /// The first bytes of the body, lossily decoded.
        excerpt: String,
    },
    /// The request cannot be signed or sent as given (store id without token, a URL whose path cannot be signed, ...). Nothing was sent.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] omni_sign::Error),
    /// The typed body cannot be written in JSON.stringify form: in strict mode, an integer
    /// beyond 2^53 that a JavaScript server would read as another value, a non-finite float, or
    /// a map key JSON cannot have. Nothing was sent.
    #[error("invalid input: {0}")]
    InvalidJsonBody(#[from] omni_json::Error),
    /// The caller set a header the client sets itself: one of the signed headers or
    /// `x-signature`. Nothing was sent.
    #[error("header {0} is set by the client and cannot be given")]
    ReservedHeader(&'static str),
    /// An extra header whose name or value is not valid HTTP. The value is not repeated: it
    /// may be a credential. Nothing was sent.
    #[error("invalid extra header {name:?}")]
    InvalidHeader {
        /// The name as given.
        name: String,
    },
    /// The request path is not a path below the base URL. Nothing was sent.
    #[error("invalid request path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The client is misconfigured (missing or malformed credential, base URL, variable).
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
}

/// Why an [`OmniClient`](crate::OmniClient) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required environment variable is not set (or not UTF-8).
    #[error("environment variable {0} is not set (or not UTF-8)")]
    MissingEnvVar(&'static str),
    /// No partner client id was given.
    #[error("the partner client id is required")]
    MissingClientId,
    /// No partner secret key was given.
    #[error("the partner secret key is required")]
    MissingSecretKey,
    /// The partner client id cannot be sent as `x-partner-client-id` (`signed-headers`).
    #[error("partner client id: {0}")]
    InvalidClientId(omni_sign::Error),
    /// The secret key cannot be used (empty).
    #[error("secret key: {0}")]
    InvalidSecretKey(omni_sign::Error),
    /// A store client id or token cannot be sent as a header (`signed-headers`).
    #[error("store credentials: {0}")]
    InvalidStoreCredentials(omni_sign::Error),
    /// The base URL is not usable.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(&'static str),
    /// The HTTP client could not be built (e.g. no TLS backend).
    #[error("HTTP client: {0}")]
    HttpClient(#[source] HttpError),
}

/// An error of the HTTP stack. Opaque: the underlying error is its
/// [`source`](std::error::Error::source), so upgrading the HTTP stack changes no type of ours.
#[derive(Debug)]
pub struct HttpError(reqwest::Error);

impl HttpError {
    pub(crate) fn new(error: reqwest::Error) -> Self {
        HttpError(error)
    }

    /// No connection could be made: nothing reached the server.
    pub fn is_connect(&self) -> bool {
        self.0.is_connect()
    }

    /// A timeout ran out.
    pub fn is_timeout(&self) -> bool {
        self.0.is_timeout()
    }

    pub(crate) fn is_builder(&self) -> bool {
        self.0.is_builder()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What happened, without repeating the source's own text.
        f.write_str(if self.0.is_connect() {
            "could not connect"
        } else if self.0.is_timeout() {
            "timed out"
        } else if self.0.is_builder() {
            "could not be built"
        } else if self.0.is_body() || self.0.is_decode() {
            "failed while reading the answer"
        } else {
            "failed"
        })
    }
}

impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

fn fmt_request_id(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(", requestId {id}"))
        .unwrap_or_default()
}

impl Error {
    /// The `requestId` of the answer that caused the error, for support requests (`request-id-kept`).
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The API error, if the server answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The API error code, if the server answered with one.
    pub fn code(&self) -> Option<&ApiErrorCode> {
        self.api().map(|api| &api.code)
    }
}

/// Bytes of a body kept in errors.
const EXCERPT_LEN: usize = 256;

/// The first bytes of `body` as text, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let end = body.len().min(EXCERPT_LEN);
    let mut text = String::from_utf8_lossy(&body[..end]).into_owned();
    if body.len() > EXCERPT_LEN {
        text.push('…');
    }
    text
}

/// An error answered by the Omni API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `error.code`.
    pub code: ApiErrorCode,
    /// `error.message`.
    pub message: String,
    /// `error.details`, `null` when absent.
    pub details: serde_json::Value,
    /// `requestId`: quote it to support.
    pub request_id: Option<String>,
    /// The base string the client signed for the last attempt, with the store token masked, to
    /// diff against the server's when a signature is rejected.
    pub signed_base_string: String,
}

impl ApiError {
    /// For `AUTH_003`, `details.context.ageSeconds`: how far the request's timestamp was from
    /// the server's clock.
    pub fn age_seconds(&self) -> Option<i64> {
        self.context_i64("ageSeconds")
    }

    /// For `AUTH_003`, `details.context.currentTime`: the server's clock in epoch milliseconds.
    pub fn server_time_ms(&self) -> Option<i64> {
        self.context_i64("currentTime")
    }

    fn context_i64(&self, key: &str) -> Option<i64> {
        let v = self.details.get("context")?.get(key)?;
        v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Omni API error {} (HTTP {}): {}",
            self.code, self.status, self.message
        )?;
        if let Some(age) = self.age_seconds() {
            write!(f, " (ageSeconds {age})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, ", requestId {id}")?;
        }
        Ok(())
    }
}

/// `error.code` of an Omni error body. Codes the documents name have variants; any other is
/// kept as [`ApiErrorCode::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorCode {
    /// `AUTH_003`: "Expired or invalid timestamp", outside the +-300 s window. Named by the
    /// authentication guide.
    ExpiredTimestamp,
    /// `VAL_001`: a validation error of the request. Named by the authentication guide.
    Validation,
    /// `AUTH_001`: a required header is missing (omni-sandbox's code; the guide names none).
    MissingHeader,
    /// `AUTH_002`: the signature does not match (omni-sandbox's code). Compare
    /// [`ApiError::signed_base_string`] with the server's.
    InvalidSignature,
    /// `AUTH_004`: the partner client id is not known (omni-sandbox's code).
    UnknownPartner,
    /// `AUTH_005`: the store client id or token is not valid for this partner (omni-sandbox's
    /// code).
    InvalidStoreCredentials,
    /// `AUTH_006`: a signed header is malformed (omni-sandbox's code).
    MalformedHeader,
    /// Any other code, as received.
    Unknown(String),
}

impl ApiErrorCode {
    /// Maps a received code.
    pub fn parse(code: &str) -> Self {
        match code {
            "AUTH_003" => ApiErrorCode::ExpiredTimestamp,
            "VAL_001" => ApiErrorCode::Validation,
            "AUTH_001" => ApiErrorCode::MissingHeader,
            "AUTH_002" => ApiErrorCode::InvalidSignature,
            "AUTH_004" => ApiErrorCode::UnknownPartner,
            "AUTH_005" => ApiErrorCode::InvalidStoreCredentials,
            "AUTH_006" => ApiErrorCode::MalformedHeader,
            other => ApiErrorCode::Unknown(other.to_owned()),
        }
    }

    /// The code as the API writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ApiErrorCode::ExpiredTimestamp => "AUTH_003",
            ApiErrorCode::Validation => "VAL_001",
            ApiErrorCode::MissingHeader => "AUTH_001",
            ApiErrorCode::InvalidSignature => "AUTH_002",
            ApiErrorCode::UnknownPartner => "AUTH_004",
            ApiErrorCode::InvalidStoreCredentials => "AUTH_005",
            ApiErrorCode::MalformedHeader => "AUTH_006",
            ApiErrorCode::Unknown(code) => code,
        }
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Omni API's error body: `{"success":false,"error":{"code","message","details"},"requestId"}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct ApiErrorBody {
    /// `success`, `false` on errors.
    #[serde(default)]
    pub success: bool,
    /// `error`.
    pub error: ApiErrorDetail,
    /// `requestId`.
    #[serde(rename = "requestId", default)]
    pub request_id: Option<String>,
}

/// The `error` object of an [`ApiErrorBody`].
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct ApiErrorDetail {
    /// `code`, e.g. `AUTH_003`.
    pub code: String,
    /// `message`.
    #[serde(default)]
    pub message: String,
    /// `details`, `null` when absent.
    #[serde(default)]
    pub details: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_auth_003_body_parses_with_context() {
        let body = r#"{"success":false,"error":{"code":"AUTH_003","message":"Expired or invalid timestamp",
          "details":{"timestamp":"2025-08-27T08:55:28.453Z","hint":"Request timestamp must be within 300 seconds",
          "context":{"providedTimestamp":1756284543435,"currentTime":1756284928453,"ageSeconds":385}}},
          "requestId":"51b97684-b509-4940-b315-12d49b2c0f28"}"#;
        let parsed: ApiErrorBody = serde_json::from_str(body).unwrap();
        let api = ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: ApiErrorCode::parse(&parsed.error.code),
            message: parsed.error.message,
            details: parsed.error.details,
            request_id: parsed.request_id,
            signed_base_string: String::new(),
        };
        assert_eq!(api.code, ApiErrorCode::ExpiredTimestamp);
        assert_eq!(api.age_seconds(), Some(385));
        assert_eq!(api.server_time_ms(), Some(1756284928453));
        let shown = Error::Api(Box::new(api)).to_string();
        assert!(shown.contains("AUTH_003"), "{shown}");
        assert!(
            shown.contains("51b97684-b509-4940-b315-12d49b2c0f28"),
            "{shown}"
        );
        assert!(shown.contains("ageSeconds 385"), "{shown}");
    }

    #[test]
    fn codes_round_trip_and_unknown_is_kept() {
        for code in [
            "AUTH_001", "AUTH_002", "AUTH_003", "AUTH_004", "AUTH_005", "AUTH_006", "VAL_001",
            "AUTH_999",
        ] {
            assert_eq!(ApiErrorCode::parse(code).as_str(), code);
        }
        assert_eq!(
            ApiErrorCode::parse("AUTH_999"),
            ApiErrorCode::Unknown("AUTH_999".into())
        );
    }

    #[test]
    fn excerpt_is_bounded() {
        assert_eq!(excerpt(b"abc"), "abc");
        let long = vec![b'x'; 1000];
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_LEN + 1);
    }
}
