//! `omni sign`: every vector of tests/vectors/signing.json and every documented input error.

mod common;

use std::path::Path;

use base64::Engine as _;
use common::{SECRET, omni, run, scratch};
use serde_json::Value;

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/signing.json");
    let text = std::fs::read_to_string(&path).expect("tests/vectors/signing.json exists");
    serde_json::from_str(&text).expect("signing.json is JSON")
}

fn field<'a>(case: &'a Value, name: &str) -> &'a str {
    case[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is a string"))
}

/// Builds `omni sign --output json` for one vector: the secret through --secret-file (with
/// the one trailing newline the command must ignore) and the body through --data-file.
fn sign_command(case: &Value, dir: &Path) -> std::process::Command {
    let name = field(case, "name");
    let secret_file = dir.join(format!("{name}.secret"));
    std::fs::write(&secret_file, format!("{}\n", field(case, "secret"))).unwrap();
    let body_file = dir.join(format!("{name}.body"));
    std::fs::write(&body_file, hex::decode(field(case, "body_hex")).unwrap()).unwrap();
    let mut cmd = omni();
    cmd.arg("sign")
        .arg(format!("--method={}", field(case, "method")))
        .arg(format!("--url={}", field(case, "url")))
        .arg(format!("--client-id={}", field(case, "partner_client_id")))
        .arg(format!("--timestamp={}", case["timestamp_ms"]))
        .arg("--secret-file")
        .arg(&secret_file)
        .arg("--data-file")
        .arg(&body_file)
        .args(["--output", "json"]);
    if let Some(id) = case["store_client_id"].as_str() {
        cmd.arg(format!("--store-client-id={id}"));
    }
    if let Some(token) = case["store_token"].as_str() {
        cmd.arg(format!("--store-token={token}"));
    }
    cmd
}

#[test]
fn every_signing_vector_matches() {
    let vectors = vectors();
    let dir = scratch("sign-vectors");
    let cases = vectors["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for case in cases {
        let name = field(case, "name");
        let (code, out, err) = run(&mut sign_command(case, &dir));
        assert_eq!(code, 0, "{name}: {err}");
        let got: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}: {out}"));
        let expect = &case["expect"];
        assert_eq!(got["signature"], expect["signature"], "{name}");
        assert_eq!(got["base_string"], expect["base_string"], "{name}");
        assert_eq!(got["headers"]["x-signature"], expect["signature"], "{name}");
        assert_eq!(got["method"], case["method"], "{name}");
        assert_eq!(got["url"], case["url"], "{name}");
        assert_eq!(got["timestamp_ms"], case["timestamp_ms"], "{name}");
        assert_eq!(
            got["headers"]["x-timestamp"],
            case["timestamp_ms"].to_string(),
            "{name}"
        );
        assert_eq!(
            got["headers"]["x-partner-client-id"], case["partner_client_id"],
            "{name}"
        );
        assert_eq!(
            got["headers"]["x-store-client-id"], case["store_client_id"],
            "{name}"
        );
        assert_eq!(
            got["headers"]["x-store-token"], case["store_token"],
            "{name}"
        );
        let base = field(expect, "base_string");
        assert_eq!(base.lines().nth(1), expect["path"].as_str(), "{name}");
        assert_eq!(base.lines().last(), expect["body_hash"].as_str(), "{name}");
        let body = hex::decode(field(case, "body_hex")).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&body);
        assert_eq!(got["body_base64"], b64.as_str(), "{name}");
        match std::str::from_utf8(&body) {
            Ok(text) => assert_eq!(got["body"], text, "{name}"),
            Err(_) => assert!(got.get("body").is_none(), "{name}"),
        }
        let has_body = !body.is_empty();
        assert_eq!(
            got["headers"].get("content-type").is_some(),
            has_body,
            "{name}"
        );
    }
}

/// The start of the one-line message each refused input gets.
fn message_for(kind: &str) -> &'static str {
    match kind {
        "empty_secret" => "error: the secret key is empty",
        "invalid_method" => "error: invalid method",
        "invalid_url" => "error: invalid URL",
        "invalid_header_value" => "error: invalid value for header",
        "store_token_missing" => "error: --store-client-id needs a store token",
        "store_client_id_missing" => "error: a store token",
        // A negative --timestamp is refused by the argument parser.
        "invalid_timestamp" => "error: invalid value",
        other => panic!("unknown expect_error {other}"),
    }
}

#[test]
fn every_error_vector_is_refused_with_exit_2() {
    let vectors = vectors();
    let dir = scratch("sign-error-vectors");
    let mut checked = 0;
    for case in vectors["error_cases"].as_array().expect("error_cases") {
        let name = field(case, "name");
        let has_nul = [
            "secret",
            "method",
            "url",
            "partner_client_id",
            "store_client_id",
            "store_token",
        ]
        .iter()
        .any(|f| case[f].as_str().is_some_and(|s| s.contains('\0')));
        if has_nul {
            // A NUL cannot be passed in a process argument at all.
            continue;
        }
        let (code, out, err) = run(&mut sign_command(case, &dir));
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(out.is_empty(), "{name}: {out}");
        let kind = field(case, "expect_error");
        assert!(err.starts_with(message_for(kind)), "{name}: {err}");
        checked += 1;
    }
    assert!(checked >= 30, "{checked}");
}

fn base() -> std::process::Command {
    let mut cmd = omni();
    cmd.env("OMNI_SECRET_KEY", SECRET)
        .env("OMNI_CLIENT_ID", "ptnr_1s4UqMnO64")
        .args(["sign", "--timestamp", "1709024577000"]);
    cmd
}

#[test]
fn headers_output_is_ready_to_send() {
    let (code, out, err) = run(base().args([
        "--method",
        "POST",
        "--url",
        "https://partners-api.tocobagus.net/api/v1/partner/onboard/sessions",
        "--json",
        r#"{ "redirectUri": "https://example.com/done" }"#,
    ]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "content-type: application/json");
    assert_eq!(lines[1], "x-partner-client-id: ptnr_1s4UqMnO64");
    assert_eq!(lines[2], "x-timestamp: 1709024577000");
    assert!(lines[3].starts_with("x-signature: sha256="), "{out}");
    assert_eq!(lines.len(), 4);
}

#[test]
fn json_flag_signs_the_json_stringify_form() {
    let url = "/api/v1/partner/onboard/sessions";
    let (_, from_json, _) = run(base()
        .args(["-X", "POST", "--url", url, "-o", "json"])
        .args([
            "--json",
            "{\n  \"redirectUri\": \"https://example.com/done\"\n}",
        ]));
    let (_, from_data, _) = run(base()
        .args(["-X", "POST", "--url", url, "-o", "json"])
        .args(["--data", r#"{"redirectUri":"https://example.com/done"}"#]));
    let a: Value = serde_json::from_str(&from_json).unwrap();
    let b: Value = serde_json::from_str(&from_data).unwrap();
    assert_eq!(a["body"], r#"{"redirectUri":"https://example.com/done"}"#);
    assert_eq!(a["signature"], b["signature"]);
}

#[test]
fn bare_hex_drops_the_prefix() {
    let (code, out, _) = run(base().args(["--url", "/partner/x", "--bare-hex"]));
    assert_eq!(code, 0);
    let sig = out
        .lines()
        .find_map(|l| l.strip_prefix("x-signature: "))
        .unwrap();
    assert_eq!(sig.len(), 64, "{sig}");
    assert!(sig.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn curl_output_carries_headers_and_exact_body() {
    let (code, out, _) = run(base().args([
        "-X",
        "POST",
        "--url",
        "https://h.example/api/v1/partner/x?a=1",
        "--data",
        "{\"it's\":1}",
        "--output",
        "curl",
    ]));
    assert_eq!(code, 0);
    assert!(
        out.starts_with("curl --path-as-is -X POST 'https://h.example/api/v1/partner/x?a=1'"),
        "{out}"
    );
    assert!(
        out.contains("-H 'x-partner-client-id: ptnr_1s4UqMnO64'"),
        "{out}"
    );
    assert!(out.contains("-H 'x-signature: sha256="), "{out}");
    assert!(out.contains(r#"--data-raw '{"it'\''s":1}'"#), "{out}");
}

#[test]
fn timestamp_defaults_to_now() {
    let mut cmd = omni();
    cmd.env("OMNI_SECRET_KEY", SECRET).args([
        "sign",
        "--client-id",
        "p",
        "--url",
        "/partner/x",
        "-o",
        "json",
    ]);
    let (code, out, _) = run(&mut cmd);
    assert_eq!(code, 0);
    let got: Value = serde_json::from_str(&out).unwrap();
    let ts = got["timestamp_ms"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(now.abs_diff(ts) < 600_000, "{ts} vs {now}");
}

#[test]
fn store_token_comes_from_the_environment() {
    let (code, out, err) = run(base()
        .env("OMNI_STORE_TOKEN", "stkn_1G_R3r_5QTvwr_0O")
        .args(["--url", "/partner/x", "--store-client-id", "str_1"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("x-store-token: stkn_1G_R3r_5QTvwr_0O\n"),
        "{out}"
    );
    // Set but unused on a partner-level call: not an error.
    let (code, out, _) = run(base()
        .env("OMNI_STORE_TOKEN", "stkn_1G_R3r_5QTvwr_0O")
        .args(["--url", "/partner/x"]));
    assert_eq!(code, 0);
    assert!(!out.contains("x-store"), "{out}");
}

#[test]
fn missing_secret_is_an_input_error() {
    let mut cmd = omni();
    cmd.args(["sign", "--client-id", "p", "--url", "/partner/x"]);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(
        err.trim(),
        "error: no secret key: set OMNI_SECRET_KEY or pass --secret-file PATH"
    );
}

#[test]
fn bad_url_is_an_input_error() {
    let (code, _, err) = run(base().args(["--url", "partner/x"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: invalid URL: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn store_id_without_token_is_an_input_error() {
    let (code, _, err) = run(base().args(["--url", "/partner/x", "--store-client-id", "str_1"]));
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: --store-client-id needs a store token: pass --store-token or set OMNI_STORE_TOKEN"
    );
}

#[test]
fn unreadable_data_file_is_an_input_error() {
    let missing = scratch("sign-unreadable").join("nope.json");
    let (code, _, err) = run(base()
        .args(["--url", "/partner/x", "--data-file"])
        .arg(&missing));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot read data file "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn unreadable_secret_file_is_an_input_error() {
    let missing = scratch("sign-secret-unreadable").join("nope");
    let mut cmd = omni();
    cmd.args([
        "sign",
        "--client-id",
        "p",
        "--url",
        "/partner/x",
        "--secret-file",
    ])
    .arg(&missing);
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot read secret file "), "{err}");
}

#[test]
fn conflicting_body_flags_are_a_usage_error() {
    let (code, _, err) = run(base().args(["--url", "/p", "--data", "a", "--json", "{}"]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn invalid_json_is_an_input_error() {
    let (code, _, err) = run(base().args(["--url", "/p", "--json", "{oops"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: --json: "), "{err}");
}

#[test]
fn help_shows_an_example() {
    let (code, out, _) = run(omni().args(["sign", "--help"]));
    assert_eq!(code, 0);
    assert!(out.contains("Examples:"), "{out}");
}

#[test]
fn json_flag_writes_numbers_and_keys_as_javascript_does() {
    // Node: JSON.stringify(JSON.parse('{"b": 1.0, "a": 1e2, "2": true}'))
    let (code, out, err) = run(base().args([
        "-X",
        "POST",
        "--url",
        "/partner/x",
        "-o",
        "json",
        "--json",
        r#"{"b": 1.0, "a": 1e2, "2": true}"#,
    ]));
    assert_eq!(code, 0, "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(got["body"], r#"{"2":true,"b":1,"a":100}"#);
}

#[test]
fn json_flag_warns_about_integers_javascript_cannot_keep() {
    let (code, _, err) = run(base().args([
        "-X",
        "POST",
        "--url",
        "/partner/x",
        "--json",
        r#"{"n": 9007199254740993}"#,
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(err.starts_with("warning: --json: "), "{err}");
}

#[test]
fn curl_output_sends_a_data_file_as_binary() {
    let file = scratch("sign-curl-file").join("body.bin");
    std::fs::write(&file, [0xff, 0x00, 0x7b]).unwrap();
    let (code, out, err) = run(base()
        .args([
            "-X",
            "PUT",
            "--url",
            "/partner/x",
            "-o",
            "curl",
            "--data-file",
        ])
        .arg(&file));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("--data-binary @{}", file.display())),
        "{out}"
    );
}
