//! Targets over omni-sign: the URL split, the received header values, the verifier.

use omni_sign::{
    ReceivedBody, ReceivedRequest, Signature, SignatureFormat, Signer, Timestamp, Verifier,
};

use crate::input::{fields, text};

/// The key every verifier target signs and verifies with.
const SECRET: &[u8] = b"fuzz-secret";

/// `canonical_path` (`path-rules`) on any text. Oracles: the path is a part of the URL that
/// starts with `/` and holds no query or fragment; a path that does not start with `/api/v1`
/// is its own canonical path (the split is stable once the prefix is gone).
pub fn canonical_path(data: &[u8]) {
    let Some(url) = text(data) else { return };
    let Ok(path) = omni_sign::canonical_path(url) else {
        return;
    };
    let path = path.as_str();
    assert!(path.starts_with('/'), "{path:?} does not start with /");
    assert!(
        !path.contains(['?', '#']),
        "{path:?} kept a query or fragment"
    );
    assert!(
        path == "/" || url.contains(path),
        "{path:?} is not a part of {url:?}"
    );
    let stripped_prefix = path == "/api/v1" || path.starts_with("/api/v1/");
    if !stripped_prefix {
        let again = omni_sign::canonical_path(path).map(|p| p.as_str());
        assert_eq!(again, Ok(path), "canonical_path is not stable on {path:?}");
    }
}

/// `Timestamp::parse` and `Signature::parse` (`malformed-timestamp`, `signature-format`).
/// Oracles: a parsed timestamp writes back as the exact text received; a parsed signature
/// writes back as the received text in lower case, in the form it was received in; strict
/// parsing accepts a subset of lenient parsing.
pub fn header_values(data: &[u8]) {
    let Some(value) = text(data) else { return };
    if let Ok(timestamp) = Timestamp::parse(value) {
        assert_eq!(timestamp.as_millis().to_string(), value);
    }
    let lenient = Signature::parse(value, false);
    let strict = Signature::parse(value, true);
    if let Ok(signature) = strict {
        assert!(lenient.as_ref().is_ok_and(|l| *l == signature));
    }
    if let Ok(signature) = lenient {
        let format = if value.starts_with("sha256=") {
            SignatureFormat::Prefixed
        } else {
            SignatureFormat::BareHex
        };
        assert_eq!(
            signature.encode(format).as_str(),
            value.to_ascii_lowercase()
        );
    }
}

/// The verifier over a whole received request: method, URL, header lines `name:value` (one per
/// line, names in any case, duplicates kept), body, and the server clock, from one input.
/// Oracles: nothing panics; when the request has a canonical form, the signature the signer
/// computes for it is accepted at the request's own timestamp, in both forms; and the
/// verdict on the received signature agrees with comparing it to that signature.
pub fn verify_request(data: &[u8]) {
    let [method, url, header_block, now, body] = fields::<5>(data);
    let (Some(method), Some(url), Some(header_block), Some(now)) =
        (text(method), text(url), text(header_block), text(now))
    else {
        return;
    };
    let now_ms: u64 = now.parse().unwrap_or(1_709_024_577_000);
    let headers: Vec<(&str, &str)> = header_block
        .split('\n')
        .filter_map(|line| line.split_once(':'))
        .collect();
    let Ok(verifier) = Verifier::new(SECRET) else {
        unreachable!("a non-empty secret is a valid key")
    };
    let received = ReceivedRequest {
        method,
        url,
        headers: &headers,
        body: ReceivedBody::Bytes(body),
    };
    let verdict = verifier.verify(&received, now_ms);

    let Ok(canonical) = received.canonical() else {
        assert!(
            verdict.is_err(),
            "accepted a request with no canonical form"
        );
        return;
    };
    let Ok(signer) = Signer::new(SECRET) else {
        unreachable!("a non-empty secret is a valid key")
    };
    let expected = signer.sign(&canonical);
    if verdict.is_ok() {
        // Accepted: the received signature must be the one the signer computes.
        let sent = received
            .signature_header()
            .ok()
            .map(|s| Signature::parse(s, false));
        assert!(
            matches!(sent, Some(Ok(s)) if s == expected),
            "accepted a signature the signer does not compute"
        );
    }
    let at = canonical.headers().timestamp().as_millis();
    for format in [SignatureFormat::Prefixed, SignatureFormat::BareHex] {
        let text = expected.encode(format);
        let mut signed = headers.clone();
        signed.retain(|(name, _)| !name.eq_ignore_ascii_case("x-signature"));
        signed.push(("x-signature", text.as_str()));
        let request = ReceivedRequest {
            headers: &signed,
            ..received
        };
        assert!(
            verifier.verify(&request, at).is_ok(),
            "the signer's own signature ({format:?}) was refused"
        );
    }
}
