//! The partner token, the token endpoint's response and its parsing (`onekyc-expiry`, `onekyc-error-arrays` and `secrets-never-shown`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, ErrorDetail, NumberProblem};

/// A OneKYC partner token as the cache hands it out: the secret value and when it stops being
/// served. Cheap to clone (one reference count); the value is zeroed when the last clone drops
/// and never shown by `Debug` (`secrets-never-shown`).
#[derive(Clone)]
pub struct Token {
    inner: Arc<TokenInner>,
}

struct TokenInner {
    value: SecretString,
    /// Monotonic instant (of the cache's clock) from which the token is never handed out.
    expires: Duration,
    /// Monotonic instant from which a background refresh is started.
    refresh_at: Duration,
    /// The `expires_at` the endpoint reported, as Unix seconds (informational).
    expires_at_unix: Option<u64>,
}

impl Token {
    /// A token valid until `expires` and due for refresh at `refresh_at`, both on the monotonic
    /// clock of the cache that serves it. Mainly for custom [`TokenStore`](crate::TokenStore)s.
    pub fn new(
        value: SecretString,
        expires: Duration,
        refresh_at: Duration,
        expires_at_unix: Option<u64>,
    ) -> Self {
        Self {
            inner: Arc::new(TokenInner {
                value,
                expires,
                refresh_at: refresh_at.min(expires),
                expires_at_unix,
            }),
        }
    }

    /// The token value, for the `x-onekyc-token` header. Keep it out of logs.
    pub fn expose_secret(&self) -> &str {
        self.inner.value.expose_secret()
    }

    /// The monotonic instant (cache clock) from which this token is never served.
    pub fn expires(&self) -> Duration {
        self.inner.expires
    }

    /// The monotonic instant (cache clock) from which a refresh is started in the background.
    pub fn refresh_at(&self) -> Duration {
        self.inner.refresh_at
    }

    /// The `expires_at` the endpoint reported (Unix seconds), if it did.
    pub fn expires_at_unix(&self) -> Option<u64> {
        self.inner.expires_at_unix
    }

    /// Whether both are the same token value (used to invalidate only the token that was rejected).
    pub fn same_value(&self, other: &Token) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner) || self.expose_secret() == other.expose_secret()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &crate::REDACTED)
            .field("expires", &self.inner.expires)
            .field("refresh_at", &self.inner.refresh_at)
            .field("expires_at_unix", &self.inner.expires_at_unix)
            .finish()
    }
}

/// What one successful call of the token endpoint returned, before the cache dates it.
pub struct FetchedToken {
    /// The token value.
    pub token: SecretString,
    /// `expiry_seconds`, if present.
    pub expiry_seconds: Option<u64>,
    /// `expires_at` (Unix seconds), if present.
    pub expires_at: Option<u64>,
}

impl FetchedToken {
    /// A fetched token; for custom [`TokenSource`](crate::TokenSource)s and tests.
    pub fn new(
        token: impl Into<String>,
        expiry_seconds: Option<u64>,
        expires_at: Option<u64>,
    ) -> Self {
        Self {
            token: SecretString::from(token.into()),
            expiry_seconds,
            expires_at,
        }
    }
}

impl fmt::Debug for FetchedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchedToken")
            .field("token", &crate::REDACTED)
            .field("expiry_seconds", &self.expiry_seconds)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Deserialize)]
struct Envelope {
    success: Option<bool>,
    data: Option<Data>,
    errors: Option<Vec<RawDetail>>,
}

#[derive(Deserialize)]
struct Data {
    token: Option<SecretString>,
    /// Kept as written: `600.0` and `1e3` are told apart from `600` only by their text.
    expiry_seconds: Option<Box<RawValue>>,
    expires_at: Option<Box<RawValue>>,
}

/// One entry of a OneKYC `errors` array as sent (codes may come as strings or numbers).
#[derive(Deserialize)]
pub(crate) struct RawDetail {
    code: Option<Value>,
    cause: Option<Value>,
}

/// Every entry of an `errors` array, code and cause as text (`onekyc-error-arrays`).
pub(crate) fn details_of(raw: Option<Vec<RawDetail>>) -> Vec<ErrorDetail> {
    raw.unwrap_or_default()
        .into_iter()
        .map(|raw| ErrorDetail::new(text_of(raw.code), text_of(raw.cause)))
        .collect()
}

/// Reads a token endpoint answer: `status` and the exact body bytes.
///
/// `success:true` with a non-empty token under a 2xx status is a [`FetchedToken`]; anything else
/// is an error that keeps every `code` and `cause` (`onekyc-error-arrays`): 400 is
/// [`Error::MissingCredentials`], 401 [`Error::InvalidCredentials`], the rest
/// [`Error::TokenRejected`], including `success:false` under 200, so it is never cached.
pub fn parse_token_response(status: StatusCode, body: &[u8]) -> Result<FetchedToken, Error> {
    let ok_status = status.is_success();
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        // serde_json's message could quote part of the body, which holds the token: never keep it.
        Err(_) if ok_status => {
            return Err(Error::MalformedResponse("body is not the documented JSON"));
        }
        Err(_) => return Err(rejected(status, Vec::new())),
    };
    if !ok_status || envelope.success != Some(true) {
        if ok_status && envelope.success.is_none() {
            return Err(Error::MalformedResponse("no `success` field"));
        }
        let errors = details_of(envelope.errors);
        return Err(rejected(status, errors));
    }
    let data = envelope
        .data
        .ok_or(Error::MalformedResponse("no `data` object"))?;
    let token = data
        .token
        .filter(|t| !t.expose_secret().is_empty())
        .ok_or(Error::MalformedResponse("no token"))?;
    Ok(FetchedToken {
        token,
        expiry_seconds: parse_number("expiry_seconds", data.expiry_seconds.as_deref())?,
        expires_at: parse_number("expires_at", data.expires_at.as_deref())?,
    })
}

fn rejected(status: StatusCode, errors: Vec<ErrorDetail>) -> Error {
    match status {
        StatusCode::BAD_REQUEST => Error::MissingCredentials { errors },
        StatusCode::UNAUTHORIZED => Error::InvalidCredentials { errors },
        _ => Error::TokenRejected { status, errors },
    }
}

/// Error bodies are usually strings, but a code could be sent as a number: keep it either way.
fn text_of(value: Option<Value>) -> String {
    match value {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `onekyc-expiry`: a JSON string of ASCII digits or a JSON number written as an integer,
/// non-negative and within u64. `null` or absent means "not given". A number written with a
/// fraction or an exponent is refused as such (`implausible-expiry`).
pub(crate) fn parse_number(
    field: &'static str,
    raw: Option<&RawValue>,
) -> Result<Option<u64>, Error> {
    let text = raw.map(RawValue::get);
    // Already parsed once as JSON, so this does not fail; a failure reads as "not given".
    let value = text.and_then(|text| serde_json::from_str::<Value>(text).ok());
    let problem = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => match parse_digits(&s) {
            Ok(n) => return Ok(Some(n)),
            Err(problem) => problem,
        },
        Some(Value::Number(n)) => match (n.as_u64(), text.unwrap_or_default()) {
            (Some(n), text) if text.bytes().all(|b| b.is_ascii_digit()) => return Ok(Some(n)),
            (_, text) if text.starts_with('-') => NumberProblem::Negative,
            (_, text) if text.contains(['e', 'E']) => NumberProblem::Exponent,
            (_, text) if text.contains('.') => NumberProblem::Fraction,
            _ => NumberProblem::Overflow,
        },
        Some(_) => NumberProblem::WrongType,
    };
    Err(Error::InvalidNumber { field, problem })
}

fn parse_digits(s: &str) -> Result<u64, NumberProblem> {
    if s.is_empty() {
        return Err(NumberProblem::Empty);
    }
    if let Some(rest) = s.strip_prefix('-') {
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberProblem::Negative);
        }
        return Err(NumberProblem::NotAnInteger);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberProblem::NotAnInteger);
    }
    s.parse::<u64>().map_err(|_| NumberProblem::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(expiry: &str, expires_at: &str) -> Vec<u8> {
        format!(
            r#"{{"success":true,"data":{{"token":"tok-123","expiry_seconds":{expiry},"expires_at":{expires_at}}}}}"#
        )
        .into_bytes()
    }

    fn problem_of(expiry: &str) -> NumberProblem {
        match parse_token_response(StatusCode::from_u16(200).unwrap(), &body(expiry, "null")) {
            Err(Error::InvalidNumber {
                field: "expiry_seconds",
                problem,
            }) => problem,
            other => panic!("expected InvalidNumber for {expiry}, got {other:?}"),
        }
    }

    #[test]
    fn onekyc_expiry_documented_example_strings() {
        let fetched = parse_token_response(
            StatusCode::from_u16(200).unwrap(),
            &body(r#""1800""#, r#""1783336059""#),
        )
        .unwrap();
        assert_eq!(fetched.token.expose_secret(), "tok-123");
        assert_eq!(fetched.expiry_seconds, Some(1800));
        assert_eq!(fetched.expires_at, Some(1_783_336_059));
    }

    #[test]
    fn onekyc_expiry_numbers_and_absent_fields() {
        let fetched = parse_token_response(
            StatusCode::from_u16(200).unwrap(),
            &body("1800", "1783336059"),
        )
        .unwrap();
        assert_eq!(
            (fetched.expiry_seconds, fetched.expires_at),
            (Some(1800), Some(1_783_336_059))
        );
        let fetched = parse_token_response(
            StatusCode::from_u16(200).unwrap(),
            br#"{"success":true,"data":{"token":"t"}}"#,
        )
        .unwrap();
        assert_eq!((fetched.expiry_seconds, fetched.expires_at), (None, None));
        let fetched =
            parse_token_response(StatusCode::from_u16(200).unwrap(), &body("null", "null"))
                .unwrap();
        assert_eq!(fetched.expiry_seconds, None);
        assert_eq!(
            parse_token_response(
                StatusCode::from_u16(200).unwrap(),
                &body(r#""0042""#, "null")
            )
            .unwrap()
            .expiry_seconds,
            Some(42)
        );
        assert_eq!(
            parse_token_response(
                StatusCode::from_u16(200).unwrap(),
                &body(r#""18446744073709551615""#, "null")
            )
            .unwrap()
            .expiry_seconds,
            Some(u64::MAX)
        );
    }

    #[test]
    fn onekyc_expiry_bad_numbers_are_typed_errors() {
        assert_eq!(problem_of(r#""""#), NumberProblem::Empty);
        assert_eq!(problem_of(r#""-5""#), NumberProblem::Negative);
        assert_eq!(problem_of("-5"), NumberProblem::Negative);
        assert_eq!(problem_of("-5.5"), NumberProblem::Negative);
        assert_eq!(problem_of(r#""abc""#), NumberProblem::NotAnInteger);
        assert_eq!(problem_of(r#""-""#), NumberProblem::NotAnInteger);
        assert_eq!(problem_of(r#"" 5""#), NumberProblem::NotAnInteger);
        assert_eq!(problem_of(r#""+5""#), NumberProblem::NotAnInteger);
        assert_eq!(problem_of(r#""1.5""#), NumberProblem::NotAnInteger);
        assert_eq!(problem_of("1.5"), NumberProblem::Fraction);
        assert_eq!(problem_of("600.0"), NumberProblem::Fraction);
        assert_eq!(problem_of("1e3"), NumberProblem::Exponent);
        assert_eq!(problem_of("1E+3"), NumberProblem::Exponent);
        assert_eq!(problem_of("6.0e2"), NumberProblem::Exponent);
        let err = parse_token_response(StatusCode::OK, &body("600.0", "null")).unwrap_err();
        assert!(err.to_string().contains("fraction"), "{err}");
        let err = parse_token_response(StatusCode::OK, &body("1e3", "null")).unwrap_err();
        assert!(err.to_string().contains("exponent"), "{err}");
        assert_eq!(
            problem_of(r#""18446744073709551616""#),
            NumberProblem::Overflow
        );
        assert_eq!(problem_of("18446744073709551616"), NumberProblem::Overflow);
        assert_eq!(
            problem_of(r#""99999999999999999999999999999""#),
            NumberProblem::Overflow
        );
        assert_eq!(problem_of("true"), NumberProblem::WrongType);
        assert_eq!(problem_of("{}"), NumberProblem::WrongType);
        match parse_token_response(StatusCode::from_u16(200).unwrap(), &body("1", r#""x""#)) {
            Err(Error::InvalidNumber {
                field: "expires_at",
                problem: NumberProblem::NotAnInteger,
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn onekyc_error_arrays_error_bodies_keep_every_code_and_cause() {
        let missing = br#"{"success":false,"errors":[{"code":"1650","cause":"MISSING_CLIENT_ID"},{"code":"1650","cause":"MISSING_PASS_KEY"}]}"#;
        match parse_token_response(StatusCode::from_u16(400).unwrap(), missing) {
            Err(Error::MissingCredentials { errors }) => assert_eq!(
                errors,
                vec![
                    ErrorDetail::new("1650", "MISSING_CLIENT_ID"),
                    ErrorDetail::new("1650", "MISSING_PASS_KEY")
                ]
            ),
            other => panic!("{other:?}"),
        }
        let unauthorized = br#"{"success":false,"errors":[{"code":110,"cause":"UNAUTHORIZED"}]}"#;
        let err =
            parse_token_response(StatusCode::from_u16(401).unwrap(), unauthorized).unwrap_err();
        assert!(matches!(&err, Error::InvalidCredentials { .. }));
        assert_eq!(err.details(), [ErrorDetail::new("110", "UNAUTHORIZED")]);
        assert_eq!(
            err.to_string(),
            "token endpoint: invalid credentials (401): 110 UNAUTHORIZED"
        );
    }

    #[test]
    fn success_false_is_an_error_even_under_200() {
        let err = parse_token_response(
            StatusCode::OK,
            br#"{"success":false,"errors":[{"code":"9","cause":"X"}],"data":{"token":"t"}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::TokenRejected {
                    status: StatusCode::OK,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn malformed_bodies_never_echo_the_body() {
        for bad in [
            &b"not json tok-123"[..],
            b"",
            br#"{"data":{"token":"tok-123"}}"#,
            br#"{"success":true}"#,
            br#"{"success":true,"data":{"token":""}}"#,
            br#"{"success":true,"data":{}}"#,
        ] {
            let err = parse_token_response(StatusCode::from_u16(200).unwrap(), bad).unwrap_err();
            assert!(matches!(err, Error::MalformedResponse(_)), "{err:?}");
            assert!(!format!("{err} {err:?}").contains("tok-123"));
        }
        let err = parse_token_response(
            StatusCode::from_u16(502).unwrap(),
            b"<html>bad gateway</html>",
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::TokenRejected { status: StatusCode::BAD_GATEWAY, ref errors } if errors.is_empty())
        );
    }

    #[test]
    fn debug_never_shows_the_value() {
        let fetched = parse_token_response(
            StatusCode::from_u16(200).unwrap(),
            &body(r#""1800""#, "null"),
        )
        .unwrap();
        assert!(!format!("{fetched:?}").contains("tok-123"));
        let token = Token::new(
            fetched.token,
            Duration::from_secs(10),
            Duration::from_secs(5),
            None,
        );
        assert!(!format!("{token:?}").contains("tok-123"));
        assert_eq!(token.expose_secret(), "tok-123");
    }
}
