//! What the language bindings built on omni-sign share (`bindings/python` with PyO3,
//! `bindings/node` with napi-rs): the rules for their arguments, the status names of their
//! errors and the calls into omni-sign. Nothing here computes a signature: every call goes to
//! [`omni_sign::Signer`], [`omni_sign::Verifier`], [`omni_json`] or [`omni_diagnose`].
//!
//! Each binding converts its language's values to the borrowed Rust values below, calls one
//! function, and turns an [`Error`] into its language's exception carrying [`Error::status`]
//! (the status name, `OMNI_` and the upper-case kind, the same names libomni uses) and the
//! message ([`Error`]'s `Display`), choosing the exception class by [`Error::class`].
//!
//! ```
//! use omni_bindings::{Error, Request, signer};
//! use omni_sign::SignatureFormat;
//!
//! let signer = signer(b"partner-secret")?;
//! let request = Request {
//!     method: "POST",
//!     url: "https://h/api/v1/partner/x",
//!     partner_client_id: "ptnr_1",
//!     store_client_id: None,
//!     store_token: None,
//!     timestamp_ms: 1709024577000,
//!     body: b"{}",
//! };
//! let signature = request.sign(&signer, SignatureFormat::Prefixed)?;
//! assert!(signature.as_str().starts_with("sha256="));
//!
//! let refused = Request { store_client_id: Some("str_1"), ..request }.sign(&signer, SignatureFormat::Prefixed);
//! assert_eq!(refused.unwrap_err().status(), "OMNI_STORE_TOKEN_MISSING");
//! # Ok::<(), Error>(())
//! ```
#![forbid(unsafe_code)]

use omni_json::{Mode, restringify};
use omni_sign::{
    BodyHash, CanonicalRequest, ReceivedBody, ReceivedRequest, SignatureFormat, SignatureText,
    SignedHeaders, Signer, Timestamp, Verifier,
};
use std::fmt;

pub use omni_diagnose::VERDICT_JSON_VERSION;
pub use omni_sign;

/// A refusal, with the status name every binding reports for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// omni-sign refused the request or the key.
    #[error(transparent)]
    Sign(#[from] omni_sign::Error),
    /// omni-json refused the JSON text.
    #[error(transparent)]
    Json(#[from] omni_json::Error),
    /// A required argument is missing (`None`, `null`, `undefined`).
    #[error("`{0}` is required")]
    NullArgument(&'static str),
    /// An argument has a type the binding does not take.
    #[error("`{0}` must be {1}")]
    WrongType(&'static str, &'static str),
    /// A text argument is not valid UTF-8 (bytes that are not UTF-8, or a string holding a
    /// lone surrogate): refused, never replaced.
    #[error("`{0}` is not valid UTF-8")]
    InvalidUtf8(&'static str),
    /// The timestamp is negative or beyond 64 bits (the bindings take a signed integer).
    #[error("`{0}` must be epoch milliseconds: an integer, not negative, within 64 bits")]
    InvalidTimestamp(&'static str),
    /// Another number is negative or too large.
    #[error("`{0}` is out of range: {1}")]
    OutOfRange(&'static str, &'static str),
    /// The signer was closed.
    #[error("the signer is closed")]
    Closed,
}

/// Which exception class a binding raises for an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Class {
    /// The request, key or an argument breaks the signing rules.
    InvalidInput,
    /// A text argument is not valid UTF-8.
    InvalidUtf8,
    /// An argument is missing or has the wrong type.
    ArgumentType,
    /// A received request was refused by the verifier (window, signature format, mismatch).
    Verification,
    /// JSON text was refused.
    InvalidJson,
    /// The signer was closed.
    Closed,
}

impl Error {
    /// The status name, as libomni names it: `OMNI_` and the upper-case
    /// [`omni_sign::Error::kind`] for omni-sign's refusals, `OMNI_INVALID_JSON` for every JSON
    /// refusal (libomni's one JSON status), else `OMNI_NULL_ARGUMENT`, `OMNI_INVALID_UTF8`,
    /// `OMNI_INVALID_TIMESTAMP` or `OMNI_INVALID_INPUT`.
    pub fn status(&self) -> String {
        match self {
            Error::Sign(e) => format!("OMNI_{}", e.kind().to_ascii_uppercase()),
            Error::Json(_) => "OMNI_INVALID_JSON".into(),
            Error::NullArgument(_) | Error::Closed => "OMNI_NULL_ARGUMENT".into(),
            Error::InvalidUtf8(_) => "OMNI_INVALID_UTF8".into(),
            Error::InvalidTimestamp(_) => "OMNI_INVALID_TIMESTAMP".into(),
            Error::WrongType(..) | Error::OutOfRange(..) => "OMNI_INVALID_INPUT".into(),
        }
    }

    /// The exception class to raise.
    pub fn class(&self) -> Class {
        use omni_sign::Error as E;
        match self {
            Error::Sign(
                E::TimestampOutsideWindow { .. } | E::MalformedSignature | E::SignatureMismatch,
            ) => Class::Verification,
            Error::Json(_) => Class::InvalidJson,
            Error::Sign(_) | Error::InvalidTimestamp(_) | Error::OutOfRange(..) => {
                Class::InvalidInput
            }
            Error::InvalidUtf8(_) => Class::InvalidUtf8,
            Error::NullArgument(_) | Error::WrongType(..) => Class::ArgumentType,
            Error::Closed => Class::Closed,
        }
    }
}

/// A text argument given as bytes: refused unless UTF-8. A NUL or any other character the
/// signing rules forbid is left to omni-sign, which refuses it with the field's own status
/// (`OMNI_INVALID_METHOD`, `OMNI_INVALID_URL`, `OMNI_INVALID_HEADER_VALUE`, ...): never
/// truncated, never replaced.
pub fn text_bytes<'a>(name: &'static str, value: &'a [u8]) -> Result<&'a str, Error> {
    std::str::from_utf8(value).map_err(|_| Error::InvalidUtf8(name))
}

/// A signer for one partner secret key (hashed once).
pub fn signer(secret: &[u8]) -> Result<Signer, Error> {
    Ok(Signer::new(secret)?)
}

/// One request to sign, as the binding received its arguments.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method, uppercase.
    pub method: &'a str,
    /// The URL as sent.
    pub url: &'a str,
    /// `x-partner-client-id`.
    pub partner_client_id: &'a str,
    /// `x-store-client-id`; `None` when not store-scoped (`""` is an empty value, refused).
    pub store_client_id: Option<&'a str>,
    /// `x-store-token`; `None` when not store-scoped.
    pub store_token: Option<&'a str>,
    /// `x-timestamp`, epoch milliseconds; negative is refused.
    pub timestamp_ms: i64,
    /// The body bytes as sent.
    pub body: &'a [u8],
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The store token is a secret (`secrets-never-shown`).
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("partner_client_id", &self.partner_client_id)
            .field("store_client_id", &self.store_client_id)
            .field(
                "store_token",
                &self.store_token.map(|_| omni_sign::REDACTED),
            )
            .field("timestamp_ms", &self.timestamp_ms)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl<'a> Request<'a> {
    fn headers(&self) -> Result<SignedHeaders<'a>, Error> {
        Ok(SignedHeaders::from_parts(
            self.partner_client_id,
            self.store_client_id,
            self.store_token,
            timestamp_ms(self.timestamp_ms)?,
        )?)
    }

    /// `x-signature` of this request, in `format`.
    pub fn sign(&self, signer: &Signer, format: SignatureFormat) -> Result<SignatureText, Error> {
        let headers = self.headers()?;
        Ok(signer
            .sign_request(self.method, self.url, &headers, self.body)?
            .encode(format))
    }

    /// The exact base string that is signed (it holds the store token: a secret).
    pub fn base_string(&self) -> Result<String, Error> {
        let request = CanonicalRequest::new(
            self.method,
            self.url,
            self.headers()?,
            BodyHash::of(self.body),
        )?;
        Ok(request.to_base_string())
    }
}

fn timestamp_ms(ms: i64) -> Result<Timestamp, Error> {
    u64::try_from(ms)
        .map(Timestamp::from_millis)
        .map_err(|_| Error::InvalidTimestamp("timestamp_ms"))
}

/// Lowercase hex SHA-256 of the body.
pub fn body_hash(body: &[u8]) -> String {
    // Hex digits are ASCII.
    BodyHash::of(body)
        .to_hex()
        .iter()
        .map(|&b| b as char)
        .collect()
}

/// A received request to verify, as a server has it.
#[derive(Clone, Copy)]
pub struct Received<'a> {
    /// The method, as received.
    pub method: &'a str,
    /// The URL or request target, as received (its query is not signed).
    pub url: &'a str,
    /// `x-partner-client-id`.
    pub partner_client_id: &'a str,
    /// `x-store-client-id`; `None` when absent.
    pub store_client_id: Option<&'a str>,
    /// `x-store-token`; `None` when absent.
    pub store_token: Option<&'a str>,
    /// The `x-timestamp` text as received.
    pub timestamp: &'a str,
    /// The `x-signature` text as received.
    pub signature: &'a str,
    /// The body bytes as received.
    pub body: &'a [u8],
}

impl fmt::Debug for Received<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The store token is a secret (`secrets-never-shown`).
        f.debug_struct("Received")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("partner_client_id", &self.partner_client_id)
            .field("store_client_id", &self.store_client_id)
            .field(
                "store_token",
                &self.store_token.map(|_| omni_sign::REDACTED),
            )
            .field("timestamp", &self.timestamp)
            .field("signature", &self.signature)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// How a server checks a received request.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// The server clock, epoch milliseconds.
    pub now_ms: i64,
    /// How far `x-timestamp` may be from `now_ms` (the boundary is accepted).
    pub tolerance_ms: i64,
    /// Accept only `sha256=<hex>`, not bare hex.
    pub strict: bool,
}

/// Verifies a received request as a server does; `Ok` means accepted. The checks run in
/// omni-sign's order and the error says which failed.
pub fn verify(secret: &[u8], received: &Received<'_>, check: Check) -> Result<(), Error> {
    let now = u64::try_from(check.now_ms)
        .map_err(|_| Error::OutOfRange("now_ms", "epoch milliseconds cannot be negative"))?;
    let tolerance = u64::try_from(check.tolerance_ms)
        .map_err(|_| Error::OutOfRange("tolerance_ms", "a tolerance cannot be negative"))?;
    let mut headers = vec![
        (
            omni_sign::header::PARTNER_CLIENT_ID,
            received.partner_client_id,
        ),
        (omni_sign::header::TIMESTAMP, received.timestamp),
        (omni_sign::header::SIGNATURE, received.signature),
    ];
    if let Some(id) = received.store_client_id {
        headers.push((omni_sign::header::STORE_CLIENT_ID, id));
    }
    if let Some(token) = received.store_token {
        headers.push((omni_sign::header::STORE_TOKEN, token));
    }
    let verifier = Verifier::builder()
        .key("default", secret)
        .tolerance_ms(tolerance)
        .strict(check.strict)
        .build()?;
    let request = ReceivedRequest {
        method: received.method,
        url: received.url,
        headers: &headers,
        body: ReceivedBody::Bytes(received.body),
    };
    verifier.verify(&request, now)?;
    Ok(())
}

/// Why a server rejects (or accepts) a received request: omni-diagnose's verdict as its
/// versioned JSON ([`VERDICT_JSON_VERSION`]; base strings hold the store token as `REDACTED`).
/// `headers` are every header as received, `x-signature` among them. A request the server
/// refuses is a verdict, not an error; only an unusable key or clock is an error.
pub fn diagnose(
    secret: &[u8],
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    check: Check,
) -> Result<String, Error> {
    let mut options = omni_diagnose::DiagnoseOptions::new(
        secret,
        u64::try_from(check.now_ms)
            .map_err(|_| Error::OutOfRange("now_ms", "epoch milliseconds cannot be negative"))?,
    );
    options.tolerance_ms = u64::try_from(check.tolerance_ms)
        .map_err(|_| Error::OutOfRange("tolerance_ms", "a tolerance cannot be negative"))?;
    options.strict = check.strict;
    let received = omni_diagnose::Received {
        method,
        url,
        headers,
        body,
    };
    match omni_diagnose::diagnose(&received, &options) {
        Ok(verdict) => Ok(verdict.to_json()),
        Err(omni_diagnose::Error::InvalidSecret(e)) => Err(Error::Sign(e)),
        Err(_) => Err(Error::OutOfRange("secret", "unusable")),
    }
}

/// Rewrites JSON text exactly as JavaScript's `JSON.stringify(JSON.parse(text))` writes it
/// (`json-stringify-form`, strict: a value a JavaScript parse would change is refused).
pub fn json_stringify(text: &[u8]) -> Result<String, Error> {
    let text = std::str::from_utf8(text).map_err(|_| Error::InvalidUtf8("text"))?;
    Ok(restringify(text, Mode::Strict)?.json)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: Request<'static> = Request {
        method: "POST",
        url: "https://h/api/v1/partner/x",
        partner_client_id: "ptnr_1",
        store_client_id: Some("str_1"),
        store_token: Some("stkn_1"),
        timestamp_ms: 1_709_024_577_000,
        body: b"{}",
    };

    fn status(result: Result<impl Sized, Error>) -> (String, Class) {
        let e = result.err().expect("refused");
        (e.status(), e.class())
    }

    #[test]
    #[rustfmt::skip]
    fn statuses_follow_the_kind() {
        let signer = signer(b"k").unwrap();
        let f = SignatureFormat::Prefixed;
        let r = REQUEST;
        let cases = [
            (Request { store_token: None, ..r }, "OMNI_STORE_TOKEN_MISSING"),
            (Request { store_client_id: None, ..r }, "OMNI_STORE_CLIENT_ID_MISSING"),
            (Request { store_token: Some(""), ..r }, "OMNI_INVALID_HEADER_VALUE"),
            (Request { method: "get", ..r }, "OMNI_INVALID_METHOD"),
            (Request { method: "GET\0", ..r }, "OMNI_INVALID_METHOD"),
            (Request { url: "x", ..r }, "OMNI_INVALID_URL"),
            (Request { url: "/a\0", ..r }, "OMNI_INVALID_URL"),
            (Request { partner_client_id: "a\nb", ..r }, "OMNI_INVALID_HEADER_VALUE"),
            (Request { partner_client_id: "a\0b", ..r }, "OMNI_INVALID_HEADER_VALUE"),
            (Request { timestamp_ms: -1, ..r }, "OMNI_INVALID_TIMESTAMP"),
        ];
        for (request, want) in cases {
            assert_eq!(status(request.sign(&signer, f)).0, want);
            assert_eq!(status(request.base_string()).0, want);
        }
        assert_eq!(
            status(self::signer(b"")),
            ("OMNI_EMPTY_SECRET".into(), Class::InvalidInput)
        );
        assert_eq!(
            status(text_bytes("url", b"\xff")),
            ("OMNI_INVALID_UTF8".into(), Class::InvalidUtf8)
        );
        assert_eq!(
            status(json_stringify(b"9007199254740993")),
            ("OMNI_INVALID_JSON".into(), Class::InvalidJson)
        );
        assert_eq!(Error::Closed.status(), "OMNI_NULL_ARGUMENT");
        assert_eq!(Error::NullArgument("url").class(), Class::ArgumentType);
    }

    #[test]
    fn sign_verify_and_base_string_agree() {
        let signer = signer(b"k").unwrap();
        let sig = REQUEST.sign(&signer, SignatureFormat::Prefixed).unwrap();
        let received = Received {
            method: "POST",
            url: "https://h/api/v1/partner/x?q=1",
            partner_client_id: "ptnr_1",
            store_client_id: Some("str_1"),
            store_token: Some("stkn_1"),
            timestamp: "1709024577000",
            signature: sig.as_str(),
            body: b"{}",
        };
        let check = Check {
            now_ms: 1_709_024_577_000,
            tolerance_ms: 0,
            strict: true,
        };
        verify(b"k", &received, check).unwrap();
        let late = Check {
            now_ms: 1_709_024_577_001,
            ..check
        };
        assert_eq!(
            status(verify(b"k", &received, late)),
            ("OMNI_TIMESTAMP_OUTSIDE_WINDOW".into(), Class::Verification)
        );
        assert_eq!(
            status(verify(b"k2", &received, check)).0,
            "OMNI_SIGNATURE_MISMATCH"
        );
        let verdict = diagnose(
            b"k",
            "POST",
            received.url,
            &[
                ("x-partner-client-id", "ptnr_1"),
                ("x-store-client-id", "str_1"),
                ("x-store-token", "stkn_1"),
                ("x-timestamp", "1709024577000"),
                ("x-signature", sig.as_str()),
            ],
            b"{}",
            check,
        )
        .unwrap();
        assert!(verdict.starts_with(r#"{"version":1,"#), "{verdict}");
        assert!(verdict.contains(r#""accepted":true"#), "{verdict}");
        assert_eq!(
            status(diagnose(b"", "GET", "/", &[], b"", check)).0,
            "OMNI_EMPTY_SECRET"
        );
        let base = REQUEST.base_string().unwrap();
        assert!(base.starts_with("POST\n/partner/x\n"), "{base}");
        assert!(base.ends_with(&body_hash(b"{}")));
    }
}
