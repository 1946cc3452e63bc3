//! Checks omni-sign against `tests/vectors/signing.json`, written by an independent Python
//! implementation (`tests/vectors/generate.py`): every stage of every case, and the error kind
//! of every error case.

use std::fmt::Write as _;

use omni_sign::{
    BodyHash, BodyHasher, CanonicalRequest, Error, ReceivedBody, ReceivedRequest, SignedHeaders,
    Signer, Timestamp, Verifier, canonical_path,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    version: u32,
    cases: Vec<Case>,
    error_cases: Vec<ErrorCase>,
}

#[derive(Deserialize)]
struct Input {
    name: String,
    secret: String,
    method: String,
    url: String,
    partner_client_id: String,
    store_client_id: Option<String>,
    store_token: Option<String>,
    // Signed: error cases hold a negative one (an FFI-level check, see below).
    timestamp_ms: i64,
    body_hex: String,
}

#[derive(Deserialize)]
struct Case {
    #[serde(flatten)]
    input: Input,
    expect: Expect,
}

#[derive(Deserialize)]
struct Expect {
    path: String,
    body_hash: String,
    base_string: String,
    signature: String,
}

#[derive(Deserialize)]
struct ErrorCase {
    #[serde(flatten)]
    input: Input,
    expect_error: String,
}

fn vectors() -> Vectors {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/signing.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vectors: Vectors = serde_json::from_str(&text).expect("signing.json matches the schema");
    assert_eq!(vectors.version, 1);
    vectors
}

impl Input {
    fn timestamp(&self) -> Timestamp {
        Timestamp::from_millis(u64::try_from(self.timestamp_ms).expect("non-negative timestamp"))
    }

    fn body(&self) -> Vec<u8> {
        hex::decode(&self.body_hex).expect("body_hex is hex")
    }

    fn headers(&self) -> Result<SignedHeaders<'_>, Error> {
        SignedHeaders::from_parts(
            &self.partner_client_id,
            self.store_client_id.as_deref(),
            self.store_token.as_deref(),
            self.timestamp(),
        )
    }

    /// The whole signing pipeline as a caller runs it; the first error wins.
    fn sign(&self) -> Result<String, Error> {
        let signer = Signer::new(self.secret.as_bytes())?;
        let headers = self.headers()?;
        let signature = signer.sign_request(&self.method, &self.url, &headers, &self.body())?;
        Ok(signature.to_string())
    }
}

/// The redacted form the vectors imply: the store token line's value masked.
fn redact(base_string: &str) -> String {
    let lines: Vec<String> = base_string
        .split('\n')
        .map(|line| match line.strip_prefix("x-store-token:") {
            Some(_) => format!("x-store-token:{}", omni_sign::REDACTED),
            None => line.to_owned(),
        })
        .collect();
    lines.join("\n")
}

#[test]
fn the_file_holds_enough_cases() {
    let v = vectors();
    assert!(v.cases.len() >= 42, "{} cases", v.cases.len());
    assert!(
        v.error_cases.len() >= 10,
        "{} error cases",
        v.error_cases.len()
    );
    for name in ["guide_get_example", "guide_post_example_shape"] {
        assert!(v.cases.iter().any(|c| c.input.name == name), "{name}");
    }
}

#[test]
fn every_stage_of_every_case() {
    let mut failures = String::new();
    let cases = vectors().cases;
    for case in &cases {
        if let Err(why) = check_case(case) {
            writeln!(failures, "{}: {why}", case.input.name).unwrap();
        }
    }
    assert!(failures.is_empty(), "failing vectors:\n{failures}");
}

fn check_case(case: &Case) -> Result<(), String> {
    let input = &case.input;
    let expect = &case.expect;
    let eq = |stage: &str, got: &str, want: &str| {
        if got == want {
            Ok(())
        } else {
            Err(format!("{stage}: got {got:?}, want {want:?}"))
        }
    };

    let path = canonical_path(&input.url).map_err(|e| format!("path: {e}"))?;
    eq("path", path.as_str(), &expect.path)?;

    let body = input.body();
    let body_hash = BodyHash::of(&body);
    eq("body_hash", &body_hash.to_string(), &expect.body_hash)?;
    eq(
        "BodyHash::from_hex",
        &BodyHash::from_hex(&expect.body_hash)
            .map_err(|e| e.to_string())?
            .to_string(),
        &expect.body_hash,
    )?;
    // Streaming in uneven chunks gives the same hash.
    let mut hasher = BodyHasher::new();
    for chunk in body.chunks(997) {
        hasher.update(chunk);
    }
    eq(
        "BodyHasher",
        &hasher.finalize().to_string(),
        &expect.body_hash,
    )?;

    let headers = input.headers().map_err(|e| format!("headers: {e}"))?;
    let request = CanonicalRequest::new(&input.method, &input.url, headers, body_hash)
        .map_err(|e| format!("canonical request: {e}"))?;
    eq("path()", request.path().as_str(), &expect.path)?;
    eq(
        "base_string",
        &request.base_string().to_string(),
        &expect.base_string,
    )?;
    eq(
        "to_base_string",
        &request.to_base_string(),
        &expect.base_string,
    )?;
    let mut written = String::new();
    request
        .write_base_string(&mut written)
        .map_err(|e| e.to_string())?;
    eq("write_base_string", &written, &expect.base_string)?;
    if request.base_string_len() != expect.base_string.len() {
        return Err(format!(
            "base_string_len: got {}, want {}",
            request.base_string_len(),
            expect.base_string.len()
        ));
    }

    let redacted = request.redacted().to_string();
    eq("redacted", &redacted, &redact(&expect.base_string))?;
    if let Some(token) = &input.store_token {
        let token_line = format!("\nx-store-token:{token}\n");
        if redacted.contains(&token_line) || format!("{request:?}").contains(&token_line) {
            return Err("the redacted form shows the store token".into());
        }
    }

    let signer = Signer::new(input.secret.as_bytes()).map_err(|e| format!("signer: {e}"))?;
    let signature = signer.sign(&request);
    eq("signature", &signature.to_string(), &expect.signature)?;
    eq(
        "bare hex",
        signature.bare_hex().as_str(),
        expect.signature.trim_start_matches("sha256="),
    )?;
    let one_step = input.sign().map_err(|e| format!("sign_request: {e}"))?;
    eq("sign_request", &one_step, &expect.signature)?;
    if !signer.verify(&request, &signature) {
        return Err("Signer::verify refused its own signature".into());
    }

    // The server side accepts the vector as it would arrive: header names in another case.
    let ts = input.timestamp_ms.to_string();
    let mut received: Vec<(&str, &str)> = vec![
        ("X-Timestamp", &ts),
        ("X-Partner-Client-Id", &input.partner_client_id),
        ("x-signature", &expect.signature),
        ("content-type", "application/json"),
    ];
    if let (Some(id), Some(token)) = (&input.store_client_id, &input.store_token) {
        received.push(("X-Store-Token", token));
        received.push(("X-STORE-CLIENT-ID", id));
    }
    let verifier = Verifier::new(input.secret.as_bytes()).map_err(|e| e.to_string())?;
    let now = input.timestamp().as_millis();
    verifier
        .verify(
            &ReceivedRequest {
                method: &input.method,
                url: &input.url,
                headers: &received,
                body: ReceivedBody::Bytes(&body),
            },
            now,
        )
        .map_err(|e| format!("Verifier: {e}"))?;
    Ok(())
}

#[test]
fn every_error_case_fails_with_its_kind() {
    let mut failures = String::new();
    let mut checked = 0;
    for case in vectors().error_cases {
        let input = &case.input;
        if input.timestamp_ms < 0 {
            // Rust's Timestamp is a u64: a negative timestamp cannot be expressed here. libomni
            // and the bindings take a signed integer and map it to `invalid_timestamp`.
            assert_eq!(case.expect_error, "invalid_timestamp", "{}", input.name);
            continue;
        }
        checked += 1;
        match input.sign() {
            Ok(sig) => writeln!(failures, "{}: signed ({sig})", input.name).unwrap(),
            Err(e) if e.kind() != case.expect_error => writeln!(
                failures,
                "{}: got {}, want {}",
                input.name,
                e.kind(),
                case.expect_error
            )
            .unwrap(),
            Err(_) => {}
        }
    }
    assert!(checked >= 10, "only {checked} error cases checked");
    assert!(failures.is_empty(), "failing error vectors:\n{failures}");
}
