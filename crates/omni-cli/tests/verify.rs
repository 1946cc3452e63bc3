//! `omni verify`: accept, and for each pitfall of the guide a faulty signer whose signature
//! the command must explain by name. The faulty base strings are written out by hand here.

mod common;

use common::{SECRET, omni, run};
use omni_sign::Signer;

const TS: &str = "1709024577000";
const NOW: &str = "1709024580000";
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn faulty(base_string: &str) -> String {
    Signer::new(SECRET.as_bytes())
        .unwrap()
        .sign_base_string(base_string)
        .to_string()
}

fn sha256_hex(bytes: &[u8]) -> String {
    omni_sign::BodyHash::of(bytes).to_string()
}

fn verify(args: &[&str]) -> (i32, String, String) {
    let mut cmd = omni();
    cmd.env("OMNI_SECRET_KEY", SECRET)
        .args(["verify", "--now", NOW])
        .args(args);
    run(&mut cmd)
}

fn assert_pitfall(out: &str, name: &str) {
    assert_pitfalls(out, &[name]);
}

/// The `pitfall: <name>: <advice>` lines name exactly `names`, in this order.
fn assert_pitfalls(out: &str, names: &[&str]) {
    let found: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("pitfall: "))
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(found, names, "{out}");
}

/// The base string of a partner-level call by `ptnr_1` with these pieces, written out.
fn partner_base(method: &str, path: &str, ts: &str, body_hash: &str) -> String {
    format!("{method}\n{path}\nx-partner-client-id:ptnr_1\nx-timestamp:{ts}\n{body_hash}")
}

/// `omni verify` of a partner-level call by `ptnr_1`, lowercase header names.
fn verify_partner(url: &str, ts: &str, sig: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "--url".to_owned(),
        url.to_owned(),
        "-H".to_owned(),
        "x-partner-client-id: ptnr_1".to_owned(),
        "-H".to_owned(),
        format!("x-timestamp: {ts}"),
        "--signature".to_owned(),
        sig.to_owned(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    verify(&args)
}

#[test]
fn a_correct_signature_is_accepted() {
    let sig = faulty(&partner_base("GET", "/partner/x", TS, EMPTY));
    let (code, out, err) = verify_partner("https://h/api/v1/partner/x?page=2", TS, &sig, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("accept"), "{out}");
}

#[test]
fn pitfall_query_signed() {
    let sig = faulty(&partner_base("GET", "/partner/x?page=2", TS, EMPTY));
    let (code, out, _) = verify_partner("https://h/api/v1/partner/x?page=2", TS, &sig, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("reject: signature_mismatch"), "{out}");
    assert_pitfall(&out, "query-signed");
    assert!(out.contains("    /partner/x?page=2\n"), "{out}");
}

#[test]
fn pitfall_pretty_vs_minified_body() {
    let sent = r#"{"redirectUri":"https://example.com/done","n":[1,2]}"#;
    let pretty =
        "{\n  \"redirectUri\": \"https://example.com/done\",\n  \"n\": [\n    1,\n    2\n  ]\n}";
    let hash = sha256_hex(pretty.as_bytes());
    let sig = faulty(&partner_base(
        "POST",
        "/partner/onboard/sessions",
        TS,
        &hash,
    ));
    let url = "/api/v1/partner/onboard/sessions";
    let (code, out, _) = verify_partner(url, TS, &sig, &["-X", "POST", "--data", sent]);
    assert_eq!(code, 1, "{out}");
    assert_pitfall(&out, "pretty-vs-minified-body");
    assert!(out.contains("pretty, indent 2"), "{out}");
}

#[test]
fn pitfall_minified_hashed_but_pretty_sent() {
    let minified = r#"{"a":{"b":true}}"#;
    let sent = "{\n    \"a\": {\n        \"b\": true\n    }\n}";
    let hash = sha256_hex(minified.as_bytes());
    let sig = faulty(&partner_base("POST", "/partner/y", TS, &hash));
    let (code, out, _) = verify_partner("/partner/y", TS, &sig, &["-X", "POST", "--data", sent]);
    assert_eq!(code, 1, "{out}");
    assert_pitfall(&out, "pretty-vs-minified-body");
    assert!(out.contains("the minified form"), "{out}");
}

#[test]
fn pitfall_api_v1_not_stripped() {
    let sig = faulty(&partner_base("GET", "/api/v1/partner/x", TS, EMPTY));
    let (code, out, _) = verify_partner("https://h/api/v1/partner/x", TS, &sig, &[]);
    assert_eq!(code, 1, "{out}");
    assert_pitfall(&out, "api-v1-not-stripped");
}

#[test]
fn pitfall_header_names_not_lowercased() {
    // Sorted as written: uppercase letters sort before lowercase ones.
    let sig = faulty(&format!(
        "GET\n/partner/x\nX-Partner-Client-Id:ptnr_1\nX-Timestamp:{TS}\n{EMPTY}"
    ));
    let (code, out, _) = verify(&[
        "--url",
        "/partner/x",
        "-H",
        "X-Partner-Client-Id: ptnr_1",
        "-H",
        &format!("X-Timestamp: {TS}"),
        "--signature",
        &sig,
    ]);
    assert_eq!(code, 1, "{out}");
    assert_pitfall(&out, "header-names-not-lowercased");
}

#[test]
fn pitfall_store_headers_left_out() {
    let sig = faulty(&format!(
        "GET\n/partner/stores/catalog/1\nx-partner-client-id:ptnr_1\nx-timestamp:{TS}\n{EMPTY}"
    ));
    let (code, out, _) = verify(&[
        "--url",
        "/api/v1/partner/stores/catalog/1",
        "-H",
        "x-partner-client-id: ptnr_1",
        "-H",
        "x-store-client-id: str_1",
        "-H",
        "x-store-token: stkn_very_secret",
        "-H",
        &format!("x-timestamp: {TS}"),
        "--signature",
        &sig,
    ]);
    assert_eq!(code, 1, "{out}");
    assert_pitfall(&out, "store-headers-left-out");
    assert!(
        !out.contains("stkn_very_secret"),
        "the store token is masked: {out}"
    );
    assert!(out.contains("x-store-token:REDACTED"), "{out}");
}

#[test]
fn pitfall_stale_timestamp() {
    let old = "1709024000000"; // 580 s before NOW
    let sig = faulty(&partner_base("GET", "/partner/x", old, EMPTY));
    let (code, out, _) = verify_partner("/partner/x", old, &sig, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("reject: timestamp_outside_window"), "{out}");
    assert_pitfall(&out, "stale-timestamp");
    assert!(
        out.contains("x-timestamp is 580 s from server time"),
        "{out}"
    );
    assert!(out.contains("the signature itself matches"), "{out}");
}

#[test]
fn pitfall_bare_hex_under_strict() {
    let sig = faulty(&partner_base("GET", "/partner/x", TS, EMPTY));
    let bare = sig.trim_start_matches("sha256=");
    let (code, out, _) = verify_partner("/partner/x", TS, bare, &[]);
    assert_eq!(code, 0, "bare hex is accepted outside strict mode: {out}");
    let (code, out, _) = verify_partner("/partner/x", TS, bare, &["--strict"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("reject: malformed_signature"), "{out}");
    assert_pitfall(&out, "bare-hex-under-strict");
    assert!(out.contains("the hex itself matches"), "{out}");
}

#[test]
fn an_unexplained_mismatch_says_so() {
    let sig = Signer::new(b"another-key")
        .unwrap()
        .sign_base_string(&partner_base("GET", "/partner/x", TS, EMPTY))
        .to_string();
    let (code, out, _) = verify_partner("/partner/x", TS, &sig, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("pitfall:"), "{out}");
    assert!(
        out.contains("no known pitfall reproduces this signature"),
        "{out}"
    );
}

#[test]
fn missing_header_is_a_rejection() {
    let (code, out, _) = verify(&[
        "--url",
        "/partner/x",
        "-H",
        "x-partner-client-id: ptnr_1",
        "--signature",
        "sha256=00",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("reject: missing_header"), "{out}");
}

#[test]
fn malformed_header_argument_is_an_input_error() {
    let (code, _, err) = verify(&["--url", "/partner/x", "-H", "no colon here"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: malformed header"), "{err}");
}

#[test]
fn a_malformed_header_argument_is_reported_without_its_value() {
    let (code, out, err) = verify(&[
        "--url",
        "/partner/x",
        "-H",
        "x-partner-client-id: ptnr_1",
        "-H",
        "x-store-token stkn_very_secret",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: malformed header (-H argument 2)"),
        "{err}"
    );
    assert!(
        !err.contains("stkn_very_secret") && !out.contains("stkn_very_secret"),
        "{err}"
    );
}

#[test]
fn whitespace_before_the_colon_is_refused_as_http_1_1_servers_do() {
    let (code, _, err) = verify(&[
        "--url",
        "/partner/x",
        "-H",
        "x-store-token : stkn_very_secret",
    ]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: malformed header"), "{err}");
    assert!(
        err.contains("whitespace between the name `x-store-token` and the colon"),
        "{err}"
    );
    assert!(!err.contains("stkn_very_secret"), "{err}");
}

#[test]
fn pitfall_timestamp_in_seconds_beside_stale_timestamp() {
    let seconds = "1709024577";
    let sig = faulty(&partner_base("GET", "/partner/x", seconds, EMPTY));
    let (code, out, _) = verify_partner("/partner/x", seconds, &sig, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("reject: timestamp_outside_window"), "{out}");
    assert_pitfalls(&out, &["stale-timestamp", "timestamp-in-seconds"]);
}

#[test]
fn pitfall_body_keys_reordered() {
    let sent = r#"{"z":1,"a":{"y":2,"b":3}}"#;
    let sorted = r#"{"a":{"b":3,"y":2},"z":1}"#;
    let sig = faulty(&partner_base(
        "POST",
        "/partner/y",
        TS,
        &sha256_hex(sorted.as_bytes()),
    ));
    let (code, out, _) = verify_partner("/partner/y", TS, &sig, &["-X", "POST", "--data", sent]);
    assert_eq!(code, 1, "{out}");
    assert_pitfall(&out, "body-keys-reordered");
    assert!(out.contains("the keys sorted, minified form"), "{out}");
}

#[test]
fn output_json_is_the_versioned_verdict() {
    let sig = faulty(&partner_base("GET", "/partner/x?page=2", TS, EMPTY));
    let (code, out, _) = verify_partner(
        "https://h/api/v1/partner/x?page=2",
        TS,
        &sig,
        &["--output", "json"],
    );
    assert_eq!(code, 1, "{out}");
    let verdict: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(verdict["version"], 1);
    assert_eq!(verdict["check"], "signature_mismatch");
    assert_eq!(
        verdict["combinations"][0]["pitfalls"][0]["name"],
        "query-signed"
    );
    assert_eq!(
        verdict["combinations"][0]["base_string"],
        partner_base("GET", "/partner/x?page=2", TS, EMPTY)
    );

    let ok = faulty(&partner_base("GET", "/partner/x", TS, EMPTY));
    let (code, out, _) = verify_partner("/partner/x", TS, &ok, &["-o", "json"]);
    assert_eq!(code, 0, "{out}");
    let verdict: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(verdict["accepted"], true);
}

#[test]
fn a_body_over_the_limit_is_checked_as_sent_and_the_output_says_so() {
    let file = common::scratch("verify-large-body").join("body.json");
    let mut body = String::from("{\"items\": [");
    while body.len() <= 1 << 20 {
        body.push_str("{\"sku\": \"SKU-000001\", \"stock\": 3}, ");
    }
    body.push_str("{}]}");
    std::fs::write(&file, &body).unwrap();
    let minified = body.replace(": ", ":").replace(", ", ",");
    let sig = faulty(&partner_base(
        "POST",
        "/partner/y",
        TS,
        &sha256_hex(minified.as_bytes()),
    ));
    let mut cmd = omni();
    cmd.env("OMNI_SECRET_KEY", SECRET)
        .args(["verify", "--now", NOW, "-X", "POST", "--url", "/partner/y"])
        .args(["-H", "x-partner-client-id: ptnr_1", "-H"])
        .arg(format!("x-timestamp: {TS}"))
        .args(["--signature", &sig, "--data-file"])
        .arg(&file);
    let (code, out, _) = run(&mut cmd);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no known pitfall reproduces this signature"),
        "{out}"
    );
    assert!(out.contains("over the 1048576-byte limit"), "{out}");
}

#[test]
fn missing_secret_is_an_input_error() {
    let (code, _, err) = run(omni().args(["verify", "--url", "/partner/x"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: no secret key"), "{err}");
}

#[test]
fn help_shows_an_example() {
    let (code, out, _) = run(omni().args(["verify", "--help"]));
    assert_eq!(code, 0);
    assert!(out.contains("Example:"), "{out}");
}

#[test]
fn header_names_are_matched_without_regard_to_case_and_body_read_from_a_file() {
    let body = br#"{"a":1}"#;
    let file = common::scratch("verify-data-file").join("body.json");
    std::fs::write(&file, body).unwrap();
    let sig = faulty(&partner_base("POST", "/partner/y", TS, &sha256_hex(body)));
    let mut cmd = omni();
    cmd.env("OMNI_SECRET_KEY", SECRET)
        .args(["verify", "--now", NOW, "-X", "POST", "--url", "/partner/y"])
        .args(["-H", "X-Partner-Client-Id: ptnr_1", "-H"])
        .arg(format!("X-TIMESTAMP:{TS}"))
        .args(["-H", &format!("X-Signature: {sig}"), "--data-file"])
        .arg(&file);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("accept"), "{out}");
}
