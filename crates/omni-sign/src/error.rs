//! The one error type of omni-sign.

/// Everything that can go wrong while canonicalising, signing or verifying a request.
///
/// No variant ever carries a secret, a store token or a header value: only header names
/// and numbers, so an error can be logged as it is (`secrets-never-shown`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The secret key is empty.
    #[error("the secret key is empty")]
    EmptySecret,
    /// The method is not an uppercase HTTP token (`GET`, `POST`, ...).
    #[error("invalid method: expected an uppercase HTTP token such as GET or POST")]
    InvalidMethod,
    /// The URL is neither an absolute URL nor a path starting with `/`, or its path holds a
    /// character that cannot be sent as it is.
    #[error("invalid URL: {0}")]
    InvalidUrl(&'static str),
    /// A signed header value is empty or holds anything but visible ASCII (CR, LF, other
    /// control characters, spaces at either end, non-ASCII).
    #[error(
        "invalid value for header `{0}`: expected non-empty visible ASCII with no spaces at either end"
    )]
    InvalidHeaderValue(&'static str),
    /// A signed header was given more than once.
    #[error("header `{0}` was given more than once")]
    DuplicateHeader(&'static str),
    /// `x-store-client-id` is present but `x-store-token` is not.
    #[error("x-store-client-id is present without x-store-token")]
    StoreTokenMissing,
    /// `x-store-token` is present but `x-store-client-id` is not.
    #[error("x-store-token is present without x-store-client-id")]
    StoreClientIdMissing,
    /// A header the verifier needs was not received.
    #[error("missing required header `{0}`")]
    MissingHeader(&'static str),
    /// `x-timestamp` is not integer epoch milliseconds written in ASCII digits.
    #[error(
        "malformed x-timestamp: expected integer epoch milliseconds in ASCII digits, without leading zeros"
    )]
    MalformedTimestamp,
    /// `x-timestamp` is further from the verifier's clock than the tolerance (AUTH_003).
    #[error(
        "timestamp outside the window: {provided_ms} is {} server time {now_ms} (tolerance {tolerance_ms} ms)",
        WindowDistance { provided_ms: *provided_ms, now_ms: *now_ms }
    )]
    TimestampOutsideWindow {
        /// The received `x-timestamp`.
        provided_ms: u64,
        /// The verifier's clock.
        now_ms: u64,
        /// `now_ms - provided_ms`: positive for a timestamp in the past; saturated to the
        /// `i64` range (the message uses the exact distance).
        age_ms: i64,
        /// The tolerance that was exceeded.
        tolerance_ms: u64,
    },
    /// `x-signature` is not `sha256=<64 hex>` (or, outside strict mode, bare hex).
    #[error("malformed x-signature: expected sha256=<64 hex digits>")]
    MalformedSignature,
    /// The signature does not match any key of the verifier.
    #[error("signature mismatch")]
    SignatureMismatch,
    /// A body hash given as text is not 64 hex digits.
    #[error("malformed body hash: expected 64 hex digits")]
    MalformedBodyHash,
}

impl Error {
    /// A stable, snake_case name of the variant, for test vectors, FFI messages and metrics.
    ///
    /// ```
    /// assert_eq!(omni_sign::Error::StoreTokenMissing.kind(), "store_token_missing");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::EmptySecret => "empty_secret",
            Error::InvalidMethod => "invalid_method",
            Error::InvalidUrl(_) => "invalid_url",
            Error::InvalidHeaderValue(_) => "invalid_header_value",
            Error::DuplicateHeader(_) => "duplicate_header",
            Error::StoreTokenMissing => "store_token_missing",
            Error::StoreClientIdMissing => "store_client_id_missing",
            Error::MissingHeader(_) => "missing_header",
            Error::MalformedTimestamp => "malformed_timestamp",
            Error::TimestampOutsideWindow { .. } => "timestamp_outside_window",
            Error::MalformedSignature => "malformed_signature",
            Error::SignatureMismatch => "signature_mismatch",
            Error::MalformedBodyHash => "malformed_body_hash",
        }
    }

    /// For [`Error::TimestampOutsideWindow`], the age in whole seconds rounded down, as the
    /// server's `AUTH_003` answer reports it in `ageSeconds`.
    pub fn age_seconds(&self) -> Option<i64> {
        match self {
            Error::TimestampOutsideWindow { age_ms, .. } => Some(age_ms.div_euclid(1000)),
            _ => None,
        }
    }
}

/// How far a timestamp is from the server clock, in words: "N ms behind" or "N ms ahead of".
/// The distance is a `u64`, exact for any pair of timestamps (a signed age would saturate).
struct WindowDistance {
    provided_ms: u64,
    now_ms: u64,
}

impl core::fmt::Display for WindowDistance {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let distance = self.provided_ms.abs_diff(self.now_ms);
        if self.provided_ms <= self.now_ms {
            write!(f, "{distance} ms behind")
        } else {
            write!(f, "{distance} ms ahead of")
        }
    }
}
