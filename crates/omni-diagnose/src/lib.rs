#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

use std::fmt;

use omni_sign::{
    ReceivedBody, ReceivedRequest, Signature, SignatureFormat, Signer, Verifier, check_window,
};

mod body;
mod json;
mod pitfall;
mod search;

pub use body::{BodyForm, Layout};
pub use json::VERDICT_JSON_VERSION;
pub use pitfall::Pitfall;

/// The largest body for which alternate forms (minified, pretty, sorted, ...) are built: 1 MiB.
/// A bigger body is hashed once, as received, and [`Verdict::body_forms`] says the forms were
/// not built ([`BodyForms::TooLarge`]), so a diagnosis costs at most a few times this much
/// memory whatever the body.
pub const MAX_BODY_FORM_BYTES: usize = 1 << 20;

/// A request as the server received it. Everything is borrowed.
#[derive(Clone, Copy)]
pub struct Received<'a> {
    /// The method, as received.
    pub method: &'a str,
    /// The request target or full URL, as received, query included.
    pub url: &'a str,
    /// Every header as received: names in their case, repeated headers repeated, in order.
    /// `x-signature` among them.
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes received.
    pub body: &'a [u8],
}

impl fmt::Debug for Received<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may hold a store token: names only.
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("Received")
            .field("method", &self.method)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The server's side of a diagnosis: its key, clock and settings.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct DiagnoseOptions<'a> {
    /// The partner's secret key. Never part of a [`Verdict`], an error or `Debug` output.
    pub secret: &'a [u8],
    /// The server clock, epoch milliseconds.
    pub now_ms: u64,
    /// The window either side of the server clock (default
    /// [`omni_sign::DEFAULT_TOLERANCE_MS`]).
    pub tolerance_ms: u64,
    /// Accept only `sha256=<hex>`, not bare hex (default false).
    pub strict: bool,
    /// The largest body for which alternate forms are built (default
    /// [`MAX_BODY_FORM_BYTES`]).
    pub max_body_form_bytes: usize,
}

impl<'a> DiagnoseOptions<'a> {
    /// Options with the default tolerance, lenient signature format and body limit.
    pub fn new(secret: &'a [u8], now_ms: u64) -> Self {
        DiagnoseOptions {
            secret,
            now_ms,
            tolerance_ms: omni_sign::DEFAULT_TOLERANCE_MS,
            strict: false,
            max_body_form_bytes: MAX_BODY_FORM_BYTES,
        }
    }
}

impl fmt::Debug for DiagnoseOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiagnoseOptions")
            .field("secret", &omni_sign::REDACTED)
            .field("now_ms", &self.now_ms)
            .field("tolerance_ms", &self.tolerance_ms)
            .field("strict", &self.strict)
            .field("max_body_form_bytes", &self.max_body_form_bytes)
            .finish()
    }
}

/// The one error type of omni-diagnose: the options cannot be used. A request the server
/// rejects is not an error but a [`Verdict`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The secret key cannot be used (it is empty).
    #[error("invalid secret key: {0}")]
    InvalidSecret(#[source] omni_sign::Error),
}

impl Error {
    /// The `omni_sign::Error::kind()` behind it (`empty_secret`), for FFI statuses.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidSecret(e) => e.kind(),
        }
    }
}

/// Whether the server accepts the request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Every check passed.
    Accepted,
    /// The first check that failed, in the verifier's order: signed headers present and well
    /// formed, method and URL, `x-signature` well formed, timestamp window, HMAC.
    Rejected(omni_sign::Error),
}

/// A set of pitfalls that, fallen into together, give exactly the signature received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination {
    /// The pitfalls, the failed check's own ([`Verdict::check_pitfalls`]) first.
    pub pitfalls: Vec<Pitfall>,
    /// The form of the body the signer hashed, when not the bytes sent.
    pub body_form: Option<BodyForm>,
    /// The base string such a signer wrote, store token replaced by `REDACTED`.
    pub base_string: String,
}

/// Which alternate body forms the search built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyForms {
    /// No search was needed (accepted, the signature matches the request, or the request
    /// could not be canonicalised).
    NotSearched,
    /// This many forms that differ from the body sent were built and tried.
    Tried {
        /// How many.
        count: usize,
    },
    /// The body is not one JSON value (an empty body included): only the bytes sent were tried.
    NotJson,
    /// The body is larger than the limit: no form was built, only the bytes sent were tried.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// What the server makes of a received request, and which pitfalls explain a rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verdict {
    /// Accepted, or the check that failed.
    pub outcome: Outcome,
    /// The form `x-signature` was received in, when it is a signature at all.
    pub signature_format: Option<SignatureFormat>,
    /// Server clock minus `x-timestamp` in milliseconds (positive: in the past), when the
    /// signed headers could be read.
    pub timestamp_age_ms: Option<i64>,
    /// The window used.
    pub tolerance_ms: u64,
    /// Whether only `sha256=<hex>` was accepted.
    pub strict: bool,
    /// Whether the received signature (in either form) is the HMAC of the base string the
    /// server expects, whatever else failed; `None` when either could not be read.
    pub signature_matches_request: Option<bool>,
    /// The pitfalls the failed checks themselves name, whatever the signature:
    /// `bare-hex-under-strict`, `stale-timestamp`, `timestamp-in-seconds`.
    pub check_pitfalls: Vec<Pitfall>,
    /// The minimal combinations of pitfalls that reproduce the received signature, fewest
    /// first. Empty when accepted, and when no known pitfall reproduces it.
    pub combinations: Vec<Combination>,
    /// The base string the server expects, store token replaced by `REDACTED`.
    pub expected_base_string: Option<String>,
    /// The size of the body received.
    pub body_bytes: usize,
    /// Which alternate body forms were built.
    pub body_forms: BodyForms,
}

impl Verdict {
    /// Whether the server accepts the request.
    pub fn is_accepted(&self) -> bool {
        self.outcome == Outcome::Accepted
    }

    /// The `omni_sign::Error::kind()` of the failed check, `None` when accepted.
    pub fn check(&self) -> Option<&'static str> {
        match &self.outcome {
            Outcome::Accepted => None,
            Outcome::Rejected(e) => Some(e.kind()),
        }
    }

    /// The pitfalls of the first combination, or the failed check's own when no combination
    /// reproduces the signature.
    pub fn pitfalls(&self) -> &[Pitfall] {
        self.combinations
            .first()
            .map_or(&self.check_pitfalls, |c| &c.pitfalls)
    }
}

/// Verifies `received` as the server would, and for a rejection searches the pitfalls that
/// reproduce the signature received.
///
/// The only error is an unusable secret; everything about the request is in the [`Verdict`].
pub fn diagnose(received: &Received<'_>, options: &DiagnoseOptions<'_>) -> Result<Verdict, Error> {
    let signer = Signer::new(options.secret).map_err(Error::InvalidSecret)?;
    let verifier = Verifier::builder()
        .key("partner", options.secret)
        .tolerance_ms(options.tolerance_ms)
        .strict(options.strict)
        .build()
        .map_err(Error::InvalidSecret)?;
    let request = ReceivedRequest {
        method: received.method,
        url: received.url,
        headers: received.headers,
        // Hashed once here: the verifier and the search reuse it.
        body: ReceivedBody::Hash(omni_sign::BodyHash::of(received.body)),
    };
    let outcome = match verifier.verify(&request, options.now_ms) {
        Ok(_) => Outcome::Accepted,
        Err(e) => Outcome::Rejected(e),
    };
    let canonical = request.canonical().ok();
    let sig_text = request.signature_header().ok();
    let signature = sig_text.and_then(|text| Signature::parse(text, false).ok());
    let signature_format = signature.and(sig_text).map(|text| {
        if text.starts_with("sha256=") {
            SignatureFormat::Prefixed
        } else {
            SignatureFormat::BareHex
        }
    });
    let timestamp = canonical.as_ref().map(|c| c.headers().timestamp());
    let timestamp_age_ms = timestamp.map(|ts| {
        let age = i128::from(options.now_ms) - i128::from(ts.as_millis());
        i64::try_from(age).unwrap_or(if age < 0 { i64::MIN } else { i64::MAX })
    });
    let signature_matches_request = match (&canonical, &signature) {
        (Some(c), Some(s)) => Some(signer.verify(c, s)),
        _ => None,
    };

    let mut verdict = Verdict {
        outcome,
        signature_format,
        timestamp_age_ms,
        tolerance_ms: options.tolerance_ms,
        strict: options.strict,
        signature_matches_request,
        check_pitfalls: Vec::new(),
        combinations: Vec::new(),
        expected_base_string: canonical.as_ref().map(|c| c.redacted().to_string()),
        body_bytes: received.body.len(),
        body_forms: BodyForms::NotSearched,
    };
    let (Outcome::Rejected(error), Some(canonical), Some(signature), Some(timestamp)) =
        (&verdict.outcome, &canonical, &signature, timestamp)
    else {
        return Ok(verdict);
    };
    if matches!(error, omni_sign::Error::MalformedSignature) && options.strict {
        verdict.check_pitfalls.push(Pitfall::BareHexUnderStrict);
    }
    if check_window(timestamp, options.now_ms, options.tolerance_ms).is_err() {
        verdict.check_pitfalls.push(Pitfall::StaleTimestamp);
        let as_millis = timestamp.as_millis().checked_mul(1000);
        if as_millis.is_some_and(|ms| {
            check_window(
                omni_sign::Timestamp::from_millis(ms),
                options.now_ms,
                options.tolerance_ms,
            )
            .is_ok()
        }) {
            verdict.check_pitfalls.push(Pitfall::TimestampInSeconds);
        }
    }
    if signature_matches_request == Some(true) {
        if !verdict.check_pitfalls.is_empty() {
            verdict.combinations.push(Combination {
                pitfalls: verdict.check_pitfalls.clone(),
                body_form: None,
                base_string: canonical.redacted().to_string(),
            });
        }
    } else {
        let (combinations, body_forms) = search::search(
            &signer,
            received,
            canonical,
            signature,
            &verdict.check_pitfalls,
            options.max_body_form_bytes,
        );
        verdict.combinations = combinations;
        verdict.body_forms = body_forms;
    }
    Ok(verdict)
}
