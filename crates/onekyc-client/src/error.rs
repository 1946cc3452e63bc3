//! The crate's one error type.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

/// One `{"code": "...", "cause": "..."}` entry of a OneKYC error body (`onekyc-error-arrays`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorDetail {
    /// The provider's error code, e.g. `"1650"` or `"110"`.
    pub code: String,
    /// The provider's cause, e.g. `"MISSING_CLIENT_ID"` or `"UNAUTHORIZED"`.
    pub cause: String,
}

impl ErrorDetail {
    /// An entry with the given code and cause.
    pub fn new(code: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            cause: cause.into(),
        }
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.cause)
    }
}

/// Every error entry of a body, written as `code cause, code cause`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetails<'a>(pub &'a [ErrorDetail]);

impl fmt::Display for ErrorDetails<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no error entries");
        }
        for (i, detail) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{detail}")?;
        }
        Ok(())
    }
}

/// Why a numeric field of the token response was refused (`onekyc-expiry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NumberProblem {
    /// The string was empty.
    Empty,
    /// The value was negative, e.g. `"-5"` or `-5`.
    Negative,
    /// The string held something other than ASCII digits, e.g. `"abc"`.
    NotAnInteger,
    /// The number is written with a fraction, e.g. `600.0` or `"1.5"` (`implausible-expiry`).
    Fraction,
    /// The number is written with an exponent, e.g. `1e3` (`implausible-expiry`).
    Exponent,
    /// The value does not fit in 64 bits, or the expiry it implies cannot be represented.
    Overflow,
    /// The JSON value was neither a string nor a number (e.g. `true`, an object).
    WrongType,
}

impl fmt::Display for NumberProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty string",
            Self::Negative => "negative value",
            Self::NotAnInteger => "not a non-negative integer",
            Self::Fraction => "not an integer: written with a fraction (like 600.0)",
            Self::Exponent => "not an integer: written with an exponent (like 1e3)",
            Self::Overflow => "value out of range",
            Self::WrongType => "neither a string nor a number",
        })
    }
}

/// Everything that can go wrong in this crate.
///
/// `Clone` so that every caller waiting on one shared token fetch gets the same typed error.
/// No variant ever holds the pass key or a token (`secrets-never-shown`).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A credential given to the builder is not a UUID (the value itself is not repeated).
    #[error("{field} is not a UUID")]
    InvalidCredential {
        /// `"client-id"` or `"pass-key"`.
        field: &'static str,
    },
    /// A required builder setting was never given.
    #[error("missing setting: {0}")]
    MissingSetting(&'static str),
    /// An environment variable the builder was asked to read is not set (or not UTF-8).
    #[error("environment variable {0} is not set")]
    MissingEnvVar(&'static str),
    /// A base URL is not an absolute `http`/`https` URL.
    #[error("invalid {which} base URL")]
    InvalidBaseUrl {
        /// `"token"` or `"Esign"`.
        which: &'static str,
    },
    /// A setting is out of its allowed range.
    #[error("invalid setting: {0}")]
    InvalidSetting(&'static str),
    /// A header value (partner header or extra header) has control characters or is not visible ASCII.
    #[error("invalid value for header {0}")]
    InvalidHeaderValue(String),
    /// An Esign path does not start with `/`.
    #[error("Esign path must start with '/'")]
    InvalidPath,
    /// The token endpoint answered 400: headers missing (codes such as `1650 MISSING_CLIENT_ID`).
    #[error("token endpoint: missing credentials (400): {}", ErrorDetails(errors))]
    MissingCredentials {
        /// Every entry of the body's `errors`.
        errors: Vec<ErrorDetail>,
    },
    /// The token endpoint answered 401: the client-id / pass-key pair was refused (`110 UNAUTHORIZED`).
    #[error("token endpoint: invalid credentials (401): {}", ErrorDetails(errors))]
    InvalidCredentials {
        /// Every entry of the body's `errors`.
        errors: Vec<ErrorDetail>,
    },
    /// The token endpoint answered with another non-success status, or `success:false` (never cached).
    #[error("token endpoint answered {status}: {}", ErrorDetails(errors))]
    TokenRejected {
        /// The HTTP status.
        status: StatusCode,
        /// Every entry of the body's `errors` (empty when the body had none or was not JSON).
        errors: Vec<ErrorDetail>,
    },
    /// The token response is not the documented shape (not JSON, no token, no `success`).
    #[error("malformed token response: {0}")]
    MalformedResponse(&'static str),
    /// `expiry_seconds` or `expires_at` could not be read as a non-negative integer (`onekyc-expiry`).
    #[error("malformed token response: {field}: {problem}")]
    InvalidNumber {
        /// `"expiry_seconds"` or `"expires_at"`.
        field: &'static str,
        /// What was wrong with it.
        problem: NumberProblem,
    },
    /// The token's lifetime was zero, or it had already expired when the response arrived.
    #[error("token was already expired when it arrived")]
    ExpiredOnArrival,
    /// The token endpoint or an Esign call did not answer in time.
    #[error("no answer from the {endpoint} within {after:?}")]
    Timeout {
        /// Which endpoint did not answer.
        endpoint: Endpoint,
        /// The timeout that ran out.
        after: Duration,
    },
    /// Connecting, sending or reading failed (connection refused, reset, TLS, ...).
    #[error("{endpoint}: transport error: {source}")]
    Transport {
        /// Which endpoint the call went to.
        endpoint: Endpoint,
        /// What failed.
        #[source]
        source: HttpError,
    },
    /// The HTTP client could not be built (e.g. no TLS backend).
    #[error("HTTP client: {0}")]
    HttpClient(#[source] HttpError),
    /// The task fetching the token was stopped before it finished (runtime shutting down).
    #[error("token fetch was aborted")]
    FetchAborted,
    /// An Esign call was answered 401 twice: with the cached token and with a fresh one.
    #[error(
        "Esign rejected the token (401) after one refresh: {}",
        ErrorDetails(errors)
    )]
    EsignUnauthorized {
        /// Every entry of the body's `errors`.
        errors: Vec<ErrorDetail>,
    },
    /// An Esign call was answered with a non-success status other than 401.
    #[error("Esign answered {status}: {}", ErrorDetails(errors))]
    EsignStatus {
        /// The HTTP status.
        status: StatusCode,
        /// Every entry of the body's `errors` (empty when the body had none or was not JSON).
        errors: Vec<ErrorDetail>,
    },
    /// An Esign response body could not be decoded as the requested type.
    #[error("Esign response is not the expected JSON: {0}")]
    Decode(String),
    /// A shared token store operation failed (`fleet-token-store`). The cache never returns
    /// it: the process does without the shared store instead. Says what failed, never a value.
    #[error("shared token store: {0}")]
    SharedStore(&'static str),
}

/// Which OneKYC endpoint a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// The partner token endpoint.
    Token,
    /// An Esign API endpoint.
    Esign,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Token => "token endpoint",
            Self::Esign => "Esign endpoint",
        })
    }
}

/// An error of the HTTP stack. Opaque: the underlying error is its
/// [`source`](std::error::Error::source), so upgrading the HTTP stack changes no type of ours.
/// Cheap to clone (every caller waiting on one token fetch gets the same error).
#[derive(Debug, Clone)]
pub struct HttpError(Arc<reqwest::Error>);

impl HttpError {
    pub(crate) fn new(error: reqwest::Error) -> Self {
        // The URL never carries a secret (credentials travel in headers), but strip it anyway
        // so error text stays short and uniform.
        HttpError(Arc::new(error.without_url()))
    }

    /// No connection could be made: nothing reached the server.
    pub fn is_connect(&self) -> bool {
        self.0.is_connect()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What happened, without repeating the source's own text.
        f.write_str(if self.0.is_connect() {
            "could not connect"
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
        Some(&*self.0)
    }
}

impl Error {
    /// The HTTP status the error came with, if it came from an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::MissingCredentials { .. } => Some(StatusCode::BAD_REQUEST),
            Self::InvalidCredentials { .. } | Self::EsignUnauthorized { .. } => {
                Some(StatusCode::UNAUTHORIZED)
            }
            Self::TokenRejected { status, .. } | Self::EsignStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The provider's error entries, if the error came from a OneKYC error body.
    pub fn details(&self) -> &[ErrorDetail] {
        match self {
            Self::MissingCredentials { errors }
            | Self::InvalidCredentials { errors }
            | Self::TokenRejected { errors, .. }
            | Self::EsignUnauthorized { errors }
            | Self::EsignStatus { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The error of a failed call to `endpoint` that was bounded by `timeout`.
    pub(crate) fn of_call(endpoint: Endpoint, error: reqwest::Error, timeout: Duration) -> Self {
        if error.is_timeout() {
            Self::Timeout {
                endpoint,
                after: timeout,
            }
        } else {
            Self::Transport {
                endpoint,
                source: HttpError::new(error),
            }
        }
    }
}
