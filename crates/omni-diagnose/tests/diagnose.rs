//! `diagnose` on one faulty signer per pitfall: each signature is made from a base string
//! written out by hand here, never by the code under test.

use omni_diagnose::{
    BodyForm, BodyForms, DiagnoseOptions, Layout, MAX_BODY_FORM_BYTES, Outcome, Pitfall, Received,
    Verdict, diagnose,
};
use omni_sign::Signer;
use serde_json::Value;

const SECRET: &[u8] = b"partner-secret-key";
const TS: &str = "1709024577000";
const NOW: u64 = 1_709_024_580_000;
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const TOKEN: &str = "stkn_very_secret";

fn faulty(base_string: &str) -> String {
    Signer::new(SECRET)
        .unwrap()
        .sign_base_string(base_string)
        .to_string()
}

fn sha256_hex(bytes: &[u8]) -> String {
    omni_sign::BodyHash::of(bytes).to_string()
}

fn partner_base(method: &str, path: &str, ts: &str, body_hash: &str) -> String {
    format!("{method}\n{path}\nx-partner-client-id:ptnr_1\nx-timestamp:{ts}\n{body_hash}")
}

fn run(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Verdict {
    run_with(method, url, headers, body, |_| {})
}

fn run_with(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    tweak: impl FnOnce(&mut DiagnoseOptions<'_>),
) -> Verdict {
    let mut options = DiagnoseOptions::new(SECRET, NOW);
    tweak(&mut options);
    let received = Received {
        method,
        url,
        headers,
        body,
    };
    diagnose(&received, &options).unwrap()
}

fn partner(ts: &str, sig: &str) -> Vec<(String, String)> {
    vec![
        ("x-partner-client-id".into(), "ptnr_1".into()),
        ("x-timestamp".into(), ts.into()),
        ("x-signature".into(), sig.into()),
    ]
}

fn pairs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

fn names(verdict: &Verdict) -> Vec<&'static str> {
    verdict.pitfalls().iter().map(|p| p.name()).collect()
}

#[test]
fn a_correct_signature_is_accepted() {
    let sig = faulty(&partner_base("GET", "/partner/x", TS, EMPTY));
    let h = partner(TS, &sig);
    let v = run("GET", "https://h/api/v1/partner/x?page=2", &pairs(&h), b"");
    assert!(v.is_accepted(), "{v:?}");
    assert_eq!(v.check(), None);
    assert_eq!(v.timestamp_age_ms, Some(3000));
    assert_eq!(v.signature_matches_request, Some(true));
    assert!(v.combinations.is_empty());
    assert_eq!(v.body_forms, BodyForms::NotSearched);
}

#[test]
fn query_signed() {
    let sig = faulty(&partner_base("GET", "/partner/x?page=2", TS, EMPTY));
    let h = partner(TS, &sig);
    let v = run("GET", "https://h/api/v1/partner/x?page=2", &pairs(&h), b"");
    assert_eq!(v.check(), Some("signature_mismatch"));
    assert_eq!(names(&v), ["query-signed"]);
    assert_eq!(
        v.combinations[0].base_string,
        partner_base("GET", "/partner/x?page=2", TS, EMPTY)
    );
    assert_eq!(
        v.expected_base_string.as_deref(),
        Some(partner_base("GET", "/partner/x", TS, EMPTY).as_str())
    );
}

#[test]
fn api_v1_not_stripped_and_query_signed_together() {
    let sig = faulty(&partner_base("GET", "/api/v1/partner/x?page=2", TS, EMPTY));
    let h = partner(TS, &sig);
    let v = run("GET", "https://h/api/v1/partner/x?page=2", &pairs(&h), b"");
    assert_eq!(names(&v), ["api-v1-not-stripped", "query-signed"]);
    assert_eq!(v.combinations.len(), 1);
}

#[test]
fn pretty_vs_minified_body() {
    let sent = br#"{"redirectUri":"https://example.com/done","n":[1,2]}"#;
    let pretty =
        "{\n  \"redirectUri\": \"https://example.com/done\",\n  \"n\": [\n    1,\n    2\n  ]\n}";
    let sig = faulty(&partner_base(
        "POST",
        "/partner/y",
        TS,
        &sha256_hex(pretty.as_bytes()),
    ));
    let h = partner(TS, &sig);
    let v = run("POST", "/api/v1/partner/y", &pairs(&h), sent);
    assert_eq!(names(&v), ["pretty-vs-minified-body"]);
    assert_eq!(
        v.combinations[0].body_form,
        Some(BodyForm::new(Layout::Indent(2), false))
    );
    assert!(matches!(v.body_forms, BodyForms::Tried { count } if count >= 3));
}

#[test]
fn python_spaced_body_is_a_whitespace_twin() {
    let sent = br#"{"a":1,"b":[true,null]}"#;
    let spaced = r#"{"a": 1, "b": [true, null]}"#;
    let sig = faulty(&partner_base(
        "POST",
        "/partner/y",
        TS,
        &sha256_hex(spaced.as_bytes()),
    ));
    let h = partner(TS, &sig);
    let v = run("POST", "/partner/y", &pairs(&h), sent);
    assert_eq!(names(&v), ["pretty-vs-minified-body"]);
    assert_eq!(v.combinations[0].body_form.unwrap().to_string(), "spaced");
}

#[test]
fn body_keys_reordered_alone_and_with_whitespace() {
    let sent = br#"{"z":1,"a":{"y":2,"b":3}}"#;
    let sorted = r#"{"a":{"b":3,"y":2},"z":1}"#;
    let sig = faulty(&partner_base(
        "POST",
        "/partner/y",
        TS,
        &sha256_hex(sorted.as_bytes()),
    ));
    let h = partner(TS, &sig);
    let v = run("POST", "/partner/y", &pairs(&h), sent);
    assert_eq!(names(&v), ["body-keys-reordered"]);

    // Go: json.Marshal of a map sorts keys; the body sent was pretty-printed.
    let sent = b"{\n  \"z\": 1,\n  \"a\": 2\n}";
    let sig = faulty(&partner_base(
        "POST",
        "/partner/y",
        TS,
        &sha256_hex(br#"{"a":2,"z":1}"#),
    ));
    let h = partner(TS, &sig);
    let v = run("POST", "/partner/y", &pairs(&h), sent);
    assert_eq!(
        names(&v),
        ["pretty-vs-minified-body", "body-keys-reordered"]
    );
    assert_eq!(
        v.combinations[0].body_form,
        Some(BodyForm::new(Layout::Minified, true))
    );
}

#[test]
fn header_names_not_lowercased_as_received() {
    let sig = faulty(&format!(
        "GET\n/partner/x\nX-Partner-Client-Id:ptnr_1\nX-Timestamp:{TS}\n{EMPTY}"
    ));
    let h = [
        ("X-Partner-Client-Id", "ptnr_1"),
        ("X-Timestamp", TS),
        ("x-signature", sig.as_str()),
    ];
    let v = run("GET", "/partner/x", &h, b"");
    assert_eq!(names(&v), ["header-names-not-lowercased"]);
    // The received names are already Title-Case: one combination, not two.
    assert_eq!(v.combinations.len(), 1);
}

#[test]
fn store_headers_left_out_and_token_masked_everywhere() {
    let sig = faulty(&partner_base("GET", "/partner/stores/catalog/1", TS, EMPTY));
    let h = [
        ("x-partner-client-id", "ptnr_1"),
        ("x-store-client-id", "str_1"),
        ("x-store-token", TOKEN),
        ("x-timestamp", TS),
        ("x-signature", sig.as_str()),
    ];
    let v = run("GET", "/api/v1/partner/stores/catalog/1", &h, b"");
    assert_eq!(names(&v), ["store-headers-left-out"]);
    let expected = v.expected_base_string.as_deref().unwrap();
    assert!(expected.contains("x-store-token:REDACTED"), "{expected}");
    for text in [v.to_json(), v.to_json_pretty(), format!("{v:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains("partner-secret-key"), "{text}");
    }
    let received = Received {
        method: "GET",
        url: "/x",
        headers: &h,
        body: b"",
    };
    assert!(!format!("{received:?}").contains(TOKEN));
    assert!(!format!("{:?}", DiagnoseOptions::new(SECRET, NOW)).contains("partner-secret-key"));
}

#[test]
fn stale_timestamp_with_a_matching_signature() {
    let old = "1709024000000"; // 580 s before NOW
    let sig = faulty(&partner_base("GET", "/partner/x", old, EMPTY));
    let h = partner(old, &sig);
    let v = run("GET", "/partner/x", &pairs(&h), b"");
    assert_eq!(v.check(), Some("timestamp_outside_window"));
    assert_eq!(names(&v), ["stale-timestamp"]);
    assert_eq!(v.signature_matches_request, Some(true));
    assert_eq!(v.timestamp_age_ms, Some(580_000));
}

#[test]
fn stale_timestamp_and_query_signed_together() {
    let old = "1709024000000";
    let sig = faulty(&partner_base("GET", "/partner/x?a=1", old, EMPTY));
    let h = partner(old, &sig);
    let v = run("GET", "/partner/x?a=1", &pairs(&h), b"");
    assert_eq!(v.signature_matches_request, Some(false));
    assert_eq!(names(&v), ["stale-timestamp", "query-signed"]);
}

#[test]
fn timestamp_in_seconds_is_reported_beside_stale_timestamp() {
    let seconds = "1709024577";
    let sig = faulty(&partner_base("GET", "/partner/x", seconds, EMPTY));
    let h = partner(seconds, &sig);
    let v = run("GET", "/partner/x", &pairs(&h), b"");
    assert_eq!(v.check(), Some("timestamp_outside_window"));
    assert_eq!(names(&v), ["stale-timestamp", "timestamp-in-seconds"]);
    // A timestamp merely old is not in seconds.
    let old = "1709024000000";
    let sig = faulty(&partner_base("GET", "/partner/x", old, EMPTY));
    let h = partner(old, &sig);
    let v = run("GET", "/partner/x", &pairs(&h), b"");
    assert!(!v.check_pitfalls.contains(&Pitfall::TimestampInSeconds));
}

#[test]
fn bare_hex_under_strict() {
    let sig = faulty(&partner_base("GET", "/partner/x", TS, EMPTY));
    let bare = sig.trim_start_matches("sha256=").to_owned();
    let h = partner(TS, &bare);
    let v = run("GET", "/partner/x", &pairs(&h), b"");
    assert!(v.is_accepted(), "bare hex is accepted outside strict mode");
    let v = run_with("GET", "/partner/x", &pairs(&h), b"", |o| o.strict = true);
    assert_eq!(v.check(), Some("malformed_signature"));
    assert_eq!(names(&v), ["bare-hex-under-strict"]);
    assert_eq!(v.signature_matches_request, Some(true));
    assert_eq!(
        v.signature_format,
        Some(omni_sign::SignatureFormat::BareHex)
    );
}

#[test]
fn an_unexplained_mismatch_has_no_combination() {
    let sig = Signer::new(b"another-key")
        .unwrap()
        .sign_base_string(&partner_base("GET", "/partner/x", TS, EMPTY))
        .to_string();
    let h = partner(TS, &sig);
    let v = run("GET", "/partner/x", &pairs(&h), br#"{"a":1}"#);
    assert_eq!(v.check(), Some("signature_mismatch"));
    assert!(v.combinations.is_empty());
    assert!(v.pitfalls().is_empty());
}

#[test]
fn checks_before_the_hmac_are_named_by_kind() {
    let h = [
        ("x-partner-client-id", "ptnr_1"),
        ("x-signature", "sha256=00"),
    ];
    let v = run("GET", "/partner/x", &h, b"");
    assert_eq!(v.check(), Some("missing_header"));
    assert_eq!(v.expected_base_string, None);

    let h = [
        ("x-partner-client-id", "ptnr_1"),
        ("X-Partner-Client-Id", "ptnr_2"),
        ("x-timestamp", TS),
        ("x-signature", "sha256=00"),
    ];
    let v = run("GET", "/partner/x", &h, b"");
    assert_eq!(v.check(), Some("duplicate_header"));

    let sig = faulty(&partner_base("GET", "/partner/x", TS, EMPTY));
    let h = partner(TS, &sig);
    let v = run("get", "/partner/x", &pairs(&h), b"");
    assert_eq!(v.check(), Some("invalid_method"));
    assert!(matches!(
        v.outcome,
        Outcome::Rejected(omni_sign::Error::InvalidMethod)
    ));
}

#[test]
fn an_empty_secret_is_an_error() {
    let received = Received {
        method: "GET",
        url: "/x",
        headers: &[],
        body: b"",
    };
    let err = diagnose(&received, &DiagnoseOptions::new(b"", NOW)).unwrap_err();
    assert_eq!(err.kind(), "empty_secret");
}

#[test]
fn a_large_body_is_diagnosed_without_building_alternate_forms() {
    // 8 MiB of JSON: the signer kept the query on the path and hashed the body as sent.
    let mut body = String::from("{\"items\":[");
    while body.len() < 8 << 20 {
        body.push_str("{\"sku\": \"SKU-000001\", \"stock\": 3},");
    }
    body.push_str("{}]}");
    let hash = sha256_hex(body.as_bytes());
    let sig = faulty(&partner_base("POST", "/partner/y?dry=1", TS, &hash));
    let h = partner(TS, &sig);
    let v = run("POST", "/partner/y?dry=1", &pairs(&h), body.as_bytes());
    assert_eq!(
        v.body_forms,
        BodyForms::TooLarge {
            limit: MAX_BODY_FORM_BYTES
        }
    );
    assert_eq!(names(&v), ["query-signed"]);
    let json: Value = serde_json::from_str(&v.to_json()).unwrap();
    assert_eq!(json["body"]["alternate_forms"], "too_large");
    assert_eq!(json["body"]["limit_bytes"], MAX_BODY_FORM_BYTES);
    assert_eq!(json["body"]["bytes"], body.len());
}

#[test]
fn the_body_limit_decides_whether_forms_are_built() {
    // Just over 1 MiB of pretty JSON; the signer hashed its minified form.
    let mut body = String::from("{\"items\": [");
    while body.len() <= MAX_BODY_FORM_BYTES {
        body.push_str("{\"sku\": \"SKU-000001\", \"stock\": 3}, ");
    }
    body.push_str("{}]}");
    let minified = body.replace(": ", ":").replace(", ", ",");
    let sig = faulty(&partner_base(
        "POST",
        "/partner/y",
        TS,
        &sha256_hex(minified.as_bytes()),
    ));
    let h = partner(TS, &sig);
    let v = run("POST", "/partner/y", &pairs(&h), body.as_bytes());
    assert!(v.combinations.is_empty(), "past the limit: {v:?}");
    assert!(matches!(v.body_forms, BodyForms::TooLarge { .. }));
    let v = run_with("POST", "/partner/y", &pairs(&h), body.as_bytes(), |o| {
        o.max_body_form_bytes = 2 << 20;
    });
    assert_eq!(names(&v), ["pretty-vs-minified-body"]);
}

#[test]
fn verdict_json_version_1() {
    let sig = faulty(&partner_base("GET", "/partner/x?page=2", TS, EMPTY));
    let h = partner(TS, &sig);
    let v = run("GET", "/partner/x?page=2", &pairs(&h), b"");
    let json: Value = serde_json::from_str(&v.to_json()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["accepted"], false);
    assert_eq!(json["check"], "signature_mismatch");
    assert_eq!(json["message"], "signature mismatch");
    assert_eq!(json["signature_format"], "prefixed");
    assert_eq!(json["timestamp_age_ms"], 3000);
    assert_eq!(json["tolerance_ms"], 300_000);
    assert_eq!(json["strict"], false);
    assert_eq!(json["signature_matches_request"], false);
    assert_eq!(json["check_pitfalls"], Value::Array(vec![]));
    let first = &json["combinations"][0];
    assert_eq!(first["pitfalls"][0]["name"], "query-signed");
    assert!(
        first["pitfalls"][0]["advice"]
            .as_str()
            .unwrap()
            .contains("path-rules")
    );
    assert_eq!(first["body_form"], Value::Null);
    assert_eq!(
        first["base_string"],
        partner_base("GET", "/partner/x?page=2", TS, EMPTY)
    );
    assert_eq!(
        json["expected_base_string"],
        partner_base("GET", "/partner/x", TS, EMPTY)
    );
    assert_eq!(json["body"]["alternate_forms"], "not_json");
    assert_eq!(json["body"].get("limit_bytes"), None);
    let pretty: Value = serde_json::from_str(&v.to_json_pretty()).unwrap();
    assert_eq!(pretty, json);

    let ok = faulty(&partner_base("GET", "/partner/x", TS, EMPTY));
    let h = partner(TS, &ok);
    let json: Value =
        serde_json::from_str(&run("GET", "/partner/x", &pairs(&h), b"").to_json()).unwrap();
    assert_eq!(json["accepted"], true);
    assert_eq!(json["check"], Value::Null);
    assert_eq!(json["body"]["alternate_forms"], "not_searched");
}

#[test]
fn pitfall_names_round_trip() {
    for p in Pitfall::ALL {
        assert_eq!(Pitfall::from_name(p.name()), Some(p));
    }
    assert_eq!(Pitfall::from_name("nope"), None);
}
