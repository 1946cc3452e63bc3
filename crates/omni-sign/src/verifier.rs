//! The server's side: verifying a received request (`signature-format` and `timestamp-window`).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::headers::SIGNATURE;
use crate::{
    BodyHash, CanonicalRequest, Error, Signature, SignatureFormat, SignedHeaders, Signer, Timestamp,
};

/// The default tolerance around the server clock: +-300 s.
pub const DEFAULT_TOLERANCE_MS: u64 = 300_000;

/// Checks `timestamp` against `now_ms` with `tolerance_ms` on either side; the boundary itself
/// is accepted (`timestamp-window`).
pub fn check_window(timestamp: Timestamp, now_ms: u64, tolerance_ms: u64) -> Result<(), Error> {
    let provided = timestamp.as_millis();
    let distance = provided.abs_diff(now_ms);
    if distance <= tolerance_ms {
        return Ok(());
    }
    let age_ms = if now_ms >= provided {
        i64::try_from(distance).unwrap_or(i64::MAX)
    } else {
        i64::try_from(distance).map_or(i64::MIN, |d| -d)
    };
    Err(Error::TimestampOutsideWindow {
        provided_ms: provided,
        now_ms,
        age_ms,
        tolerance_ms,
    })
}

/// The body of a received request: its bytes, or a hash computed while it streamed in.
#[derive(Clone, Copy, Debug)]
pub enum ReceivedBody<'a> {
    /// The exact bytes received.
    Bytes(&'a [u8]),
    /// The SHA-256 of the exact bytes received.
    Hash(BodyHash),
}

/// A request as the server received it.
#[derive(Clone, Copy)]
pub struct ReceivedRequest<'a> {
    /// The method, as received.
    pub method: &'a str,
    /// The request target or full URL, as received (query included: it is dropped here).
    pub url: &'a str,
    /// Every received header as `(name, value)`; names in any case. `x-signature` among them.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: ReceivedBody<'a>,
}

impl<'a> ReceivedRequest<'a> {
    /// The canonical request the server computes from what it received.
    pub fn canonical(&self) -> Result<CanonicalRequest<'a>, Error> {
        let headers = SignedHeaders::from_received(self.headers.iter().copied())?;
        let body_hash = match self.body {
            ReceivedBody::Bytes(bytes) => BodyHash::of(bytes),
            ReceivedBody::Hash(hash) => hash,
        };
        CanonicalRequest::new(self.method, self.url, headers, body_hash)
    }

    /// The received `x-signature` value, if exactly one was sent.
    pub fn signature_header(&self) -> Result<&'a str, Error> {
        let mut found = None;
        for (name, value) in self.headers {
            if name.eq_ignore_ascii_case(SIGNATURE) && found.replace(*value).is_some() {
                return Err(Error::DuplicateHeader(SIGNATURE));
            }
        }
        found.ok_or(Error::MissingHeader(SIGNATURE))
    }
}

impl fmt::Debug for ReceivedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may hold a store token: show names only.
        let mut names = f.debug_list();
        for (name, _) in self.headers {
            names.entry(name);
        }
        names.finish()?;
        f.debug_struct("ReceivedRequest")
            .field("method", &self.method)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// An accepted request.
#[derive(Clone, Copy, Debug)]
pub struct Verified<'v, 'a> {
    /// The id of the key that accepted it.
    pub key_id: &'v str,
    /// Its position among the verifier's keys.
    pub key_index: usize,
    /// The form the signature was sent in.
    pub format: SignatureFormat,
    /// The signed headers that were verified.
    pub headers: SignedHeaders<'a>,
}

/// Verifies received requests for one partner, with one or more secret keys (rotation: any
/// one accepts, and the answer says which). Checks run in this order: signed headers present
/// and well formed, `x-signature` well formed, timestamp within the window, then the HMAC,
/// compared in constant time.
///
/// ```
/// use omni_sign::{ReceivedBody, ReceivedRequest, Signer, SignedHeaders, Timestamp, Verifier};
/// let now = 1709024577000;
/// let headers = SignedHeaders::new("ptnr_1".try_into().unwrap(), Timestamp::from_millis(now));
/// let sig = Signer::new(b"k2").unwrap().sign_request("GET", "/api/v1/partner/x", &headers, b"").unwrap();
/// let sig = sig.to_string();
/// let verifier = Verifier::builder().key("old", b"k1").key("new", b"k2").build().unwrap();
/// let received = ReceivedRequest {
///     method: "GET",
///     url: "/api/v1/partner/x?page=1",
///     headers: &[("X-Partner-Client-Id", "ptnr_1"), ("x-timestamp", "1709024577000"), ("x-signature", &sig)],
///     body: ReceivedBody::Bytes(b""),
/// };
/// assert_eq!(verifier.verify(&received, now + 300_000).unwrap().key_id, "new");
/// assert!(verifier.verify(&received, now + 300_001).is_err());
/// ```
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<(String, Signer)>,
    tolerance_ms: u64,
    strict: bool,
}

impl Verifier {
    /// A verifier with one key (id `"default"`) and the default settings.
    pub fn new(secret: &[u8]) -> Result<Self, Error> {
        Verifier::builder().key("default", secret).build()
    }

    /// A builder: keys, tolerance, strictness.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder {
            keys: Vec::new(),
            tolerance_ms: DEFAULT_TOLERANCE_MS,
            strict: false,
            error: None,
        }
    }

    /// The tolerance around the server clock, in milliseconds.
    pub fn tolerance_ms(&self) -> u64 {
        self.tolerance_ms
    }

    /// Whether only `sha256=<hex>` is accepted.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Verifies `request` at server time `now_ms`.
    pub fn verify<'v, 'a>(
        &'v self,
        request: &ReceivedRequest<'a>,
        now_ms: u64,
    ) -> Result<Verified<'v, 'a>, Error> {
        let canonical = request.canonical()?;
        let sig_text = request.signature_header()?;
        let signature = Signature::parse(sig_text, self.strict)?;
        let format = if sig_text.starts_with("sha256=") {
            SignatureFormat::Prefixed
        } else {
            SignatureFormat::BareHex
        };
        check_window(canonical.headers().timestamp(), now_ms, self.tolerance_ms)?;
        // Every key is tried, so the time taken does not tell which one matched.
        let mut accepted = None;
        for (index, (_, signer)) in self.keys.iter().enumerate() {
            if signer.verify(&canonical, &signature) && accepted.is_none() {
                accepted = Some(index);
            }
        }
        let key_index = accepted.ok_or(Error::SignatureMismatch)?;
        Ok(Verified {
            key_id: &self.keys[key_index].0,
            key_index,
            format,
            headers: *canonical.headers(),
        })
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Verifier")
            .field("key_ids", &ids)
            .field("tolerance_ms", &self.tolerance_ms)
            .field("strict", &self.strict)
            .finish()
    }
}

/// Builds a [`Verifier`]. Setters record the first error; [`VerifierBuilder::build`] returns it.
#[must_use]
pub struct VerifierBuilder {
    keys: Vec<(String, Signer)>,
    tolerance_ms: u64,
    strict: bool,
    error: Option<Error>,
}

impl VerifierBuilder {
    /// Adds a secret key under `id` (shown in answers, never the key).
    pub fn key(mut self, id: &str, secret: &[u8]) -> Self {
        match Signer::new(secret) {
            Ok(signer) => self.keys.push((String::from(id), signer)),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// The tolerance around the server clock (default 300,000 ms).
    pub fn tolerance_ms(mut self, tolerance_ms: u64) -> Self {
        self.tolerance_ms = tolerance_ms;
        self
    }

    /// Accept only `sha256=<hex>`, not bare hex.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The verifier, or the first error recorded. At least one key is required.
    pub fn build(self) -> Result<Verifier, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.keys.is_empty() {
            return Err(Error::EmptySecret);
        }
        Ok(Verifier {
            keys: self.keys,
            tolerance_ms: self.tolerance_ms,
            strict: self.strict,
        })
    }
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const NOW: u64 = 1_756_460_183_490;

    fn signed(secret: &[u8], ts: u64) -> String {
        let headers = SignedHeaders::new("p".try_into().unwrap(), Timestamp::from_millis(ts));
        Signer::new(secret)
            .unwrap()
            .sign_request("POST", "/api/v1/partner/x", &headers, b"{}")
            .unwrap()
            .to_string()
    }

    fn verify(v: &Verifier, ts: &str, sig: &str, now: u64) -> Result<usize, Error> {
        let headers = [
            ("x-partner-client-id", "p"),
            ("x-timestamp", ts),
            ("x-signature", sig),
        ];
        let req = ReceivedRequest {
            method: "POST",
            url: "https://h/api/v1/partner/x?z=1",
            headers: &headers,
            body: ReceivedBody::Hash(BodyHash::of(b"{}")),
        };
        v.verify(&req, now).map(|ok| ok.key_index)
    }

    #[test]
    fn window_boundary_is_exact() {
        let v = Verifier::new(b"k").unwrap();
        let ts = NOW.to_string();
        let sig = signed(b"k", NOW);
        assert_eq!(verify(&v, &ts, &sig, NOW + 300_000), Ok(0));
        assert_eq!(verify(&v, &ts, &sig, NOW - 300_000), Ok(0));
        let late = verify(&v, &ts, &sig, NOW + 300_001).unwrap_err();
        assert_eq!(late.age_seconds(), Some(300));
        assert!(matches!(
            late,
            Error::TimestampOutsideWindow {
                age_ms: 300_001,
                ..
            }
        ));
        let early = verify(&v, &ts, &sig, NOW - 300_001).unwrap_err();
        assert!(matches!(
            early,
            Error::TimestampOutsideWindow {
                age_ms: -300_001,
                ..
            }
        ));
    }

    #[test]
    fn window_message_is_exact_at_the_extremes() {
        use alloc::string::ToString;
        let ahead = check_window(Timestamp::from_millis(u64::MAX), 0, 300_000).unwrap_err();
        assert_eq!(
            ahead.to_string(),
            "timestamp outside the window: 18446744073709551615 is 18446744073709551615 ms ahead of server time 0 (tolerance 300000 ms)"
        );
        assert_eq!(ahead.kind(), "timestamp_outside_window");
        let behind = check_window(Timestamp::from_millis(0), u64::MAX, 0).unwrap_err();
        assert_eq!(
            behind.to_string(),
            "timestamp outside the window: 0 is 18446744073709551615 ms behind server time 18446744073709551615 (tolerance 0 ms)"
        );
        let late = check_window(Timestamp::from_millis(1_000), 301_001, 300_000).unwrap_err();
        assert!(
            late.to_string()
                .contains("1000 is 300001 ms behind server time 301001")
        );
    }

    #[test]
    fn malformed_signature_message_allows_either_case() {
        use alloc::string::ToString;
        // Uppercase hex is accepted, so the message must not ask for lowercase.
        let upper = signed(b"k", NOW)
            .to_uppercase()
            .replace("SHA256=", "sha256=");
        let v = Verifier::new(b"k").unwrap();
        assert_eq!(verify(&v, &NOW.to_string(), &upper, NOW), Ok(0));
        let message = Error::MalformedSignature.to_string();
        assert!(!message.contains("lowercase"), "{message}");
        assert!(message.contains("64 hex digits"), "{message}");
    }

    #[test]
    fn auth_003_example_age() {
        // The guide's AUTH_003 example: provided 1756459527238, server 1756460183490, age 656 s.
        let err = check_window(
            Timestamp::from_millis(1_756_459_527_238),
            1_756_460_183_490,
            300_000,
        )
        .unwrap_err();
        assert_eq!(err.age_seconds(), Some(656));
    }

    #[test]
    fn key_rotation_says_which_key_accepted() {
        let v = Verifier::builder()
            .key("a", b"k1")
            .key("b", b"k2")
            .build()
            .unwrap();
        let ts = NOW.to_string();
        assert_eq!(verify(&v, &ts, &signed(b"k1", NOW), NOW), Ok(0));
        assert_eq!(verify(&v, &ts, &signed(b"k2", NOW), NOW), Ok(1));
        assert_eq!(
            verify(&v, &ts, &signed(b"k3", NOW), NOW),
            Err(Error::SignatureMismatch)
        );
    }

    #[test]
    fn strict_mode_rejects_bare_hex() {
        let sig = signed(b"k", NOW);
        let bare = sig.trim_start_matches("sha256=");
        let ts = NOW.to_string();
        assert_eq!(verify(&Verifier::new(b"k").unwrap(), &ts, bare, NOW), Ok(0));
        let strict = Verifier::builder()
            .key("k", b"k")
            .strict(true)
            .build()
            .unwrap();
        assert_eq!(
            verify(&strict, &ts, bare, NOW),
            Err(Error::MalformedSignature)
        );
        assert_eq!(verify(&strict, &ts, &sig, NOW), Ok(0));
    }

    #[test]
    fn builder_records_the_first_error() {
        assert_eq!(
            Verifier::builder().key("a", b"").build().unwrap_err(),
            Error::EmptySecret
        );
        assert_eq!(Verifier::builder().build().unwrap_err(), Error::EmptySecret);
    }

    #[test]
    fn missing_and_malformed_headers() {
        let v = Verifier::new(b"k").unwrap();
        let sig = signed(b"k", NOW);
        assert_eq!(verify(&v, "12x", &sig, NOW), Err(Error::MalformedTimestamp));
        assert_eq!(
            verify(&v, &NOW.to_string(), "sha256=zz", NOW),
            Err(Error::MalformedSignature)
        );
        let req = ReceivedRequest {
            method: "POST",
            url: "/x",
            headers: &[("x-partner-client-id", "p"), ("x-timestamp", "1")],
            body: ReceivedBody::Bytes(b""),
        };
        assert_eq!(
            v.verify(&req, 1).unwrap_err(),
            Error::MissingHeader("x-signature")
        );
    }
}
