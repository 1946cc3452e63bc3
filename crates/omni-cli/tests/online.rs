//! The commands that talk to a server: `omni request`, `omni onboard`, `omni onekyc`,
//! `omni sandbox` and `omni demo`, against the real sandbox on loopback.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{omni, omni_for, onekyc_for, run, sandbox};
use omni_sandbox::demo;

/// A loopback URL nothing listens on: a port just bound and released.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn request_id_line(out: &str) -> &str {
    out.lines()
        .find_map(|l| l.strip_prefix("requestId: "))
        .unwrap_or_else(|| panic!("no requestId in {out}"))
}

#[test]
fn request_partner_level_post() {
    let s = sandbox();
    let (code, out, err) = run(omni_for(&s).args([
        "request",
        "POST",
        "/partner/onboard/sessions",
        "--json",
        r#"{ "redirectUri": "https://example.com/done" }"#,
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("HTTP 201"), "{out}");
    assert_eq!(request_id_line(&out).len(), 36, "{out}");
    assert!(out.contains("\"onboardUrl\""), "{out}");
    assert_eq!(
        s.sandbox
            .admin()
            .request_count("/api/v1/partner/onboard/sessions"),
        1
    );
}

#[test]
fn request_store_scoped_get() {
    let s = sandbox();
    let path = format!("/partner/stores/catalog/{}", demo::CATALOG_ID);
    let (code, out, err) = run(omni_for(&s)
        .env("OMNI_STORE_TOKEN", demo::STORE_TOKEN)
        .args([
            "request",
            "GET",
            &path,
            "--store-client-id",
            demo::STORE_CLIENT_ID,
        ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("HTTP 200"), "{out}");
    assert!(
        out.contains(&format!("\"storeClientId\":\"{}\"", demo::STORE_CLIENT_ID)),
        "{out}"
    );
}

#[test]
fn request_rejected_by_the_guard_prints_one_line_with_the_request_id() {
    let s = sandbox();
    let (code, out, err) = run(omni_for(&s).env("OMNI_SECRET_KEY", "not-the-secret").args([
        "request",
        "GET",
        "/partner/stores/catalog/1",
    ]));
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: Omni API error AUTH_002"), "{err}");
    assert!(err.contains("requestId "), "{err}");
}

#[test]
fn request_to_a_closed_port_fails_cleanly() {
    let mut cmd = omni();
    cmd.env("OMNI_BASE_URL", format!("{}/api/v1", closed_port_url()))
        .env("OMNI_CLIENT_ID", "ptnr_1")
        .env("OMNI_SECRET_KEY", "k")
        .args(["request", "GET", "/partner/x"]);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: cannot reach http://127.0.0.1:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn request_input_errors_exit_2_before_sending() {
    let s = sandbox();
    let (code, _, err) =
        run(omni_for(&s).args(["request", "GET", "/partner/x", "--store-client-id", "str_1"]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --store-client-id needs a store token"),
        "{err}"
    );
    let (code, _, err) = run(omni_for(&s).args(["request", "get", "/partner/x"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: invalid method"), "{err}");
    let missing = common::scratch("request-unreadable").join("nope");
    let (code, _, err) = run(omni_for(&s)
        .args(["request", "POST", "/partner/x", "--data-file"])
        .arg(&missing));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot read data file"), "{err}");
    let (code, _, err) =
        run(omni_for(&s)
            .env_remove("OMNI_SECRET_KEY")
            .args(["request", "GET", "/partner/x"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: no secret key"), "{err}");
    let (code, _, err) =
        run(omni_for(&s)
            .env("OMNI_BASE_URL", "not a url")
            .args(["request", "GET", "/partner/x"]));
    assert_eq!(code, 2);
    assert!(err.contains("base URL"), "{err}");
    assert_eq!(
        s.sandbox.admin().request_count("/api/v1/partner/x"),
        0,
        "nothing was sent"
    );
}

#[test]
fn onboard_prints_url_sid_request_id_and_expiry() {
    let s = sandbox();
    let (code, out, err) =
        run(omni_for(&s).args(["onboard", "--redirect-uri", "https://example.com/onboarded"]));
    assert_eq!(code, 0, "{err}");
    let url = out
        .lines()
        .find_map(|l| l.strip_prefix("onboardUrl: "))
        .unwrap();
    assert!(
        url.starts_with(&format!("{}/auth/partner?", s.sandbox.base_url())),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("sid: ")), "{out}");
    assert_eq!(request_id_line(&out).len(), 36);
    assert!(out.contains("expires: "), "{out}");
}

#[test]
fn onboard_validation_error_carries_the_request_id() {
    let s = sandbox();
    let (code, _, err) = run(omni_for(&s).args(["onboard", "--redirect-uri", "not-absolute"]));
    assert_eq!(code, 1);
    assert!(err.contains("VAL_001"), "{err}");
    assert!(err.contains("requestId"), "{err}");
}

#[test]
fn onboard_to_a_closed_port_fails_cleanly() {
    let mut cmd = omni();
    cmd.env("OMNI_BASE_URL", format!("{}/api/v1", closed_port_url()))
        .env("OMNI_CLIENT_ID", "ptnr_1")
        .env("OMNI_SECRET_KEY", "k")
        .args(["onboard", "--redirect-uri", "https://example.com/x"]);
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: cannot reach"), "{err}");
}

#[test]
fn onekyc_token_hides_the_token_unless_asked() {
    let s = sandbox();
    let (code, out, err) = run(onekyc_for(&s).args(["onekyc", "token"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("token: (hidden"), "{out}");
    assert!(out.contains("expires in: "), "{out}");
    assert!(
        out.contains("token cache: 1 fetches (0 failed), last refresh at "),
        "{out}"
    );
    let (code, out, _) = run(onekyc_for(&s).args(["onekyc", "token", "--show-token"]));
    assert_eq!(code, 0);
    let token = out.lines().find_map(|l| l.strip_prefix("token: ")).unwrap();
    assert!(!token.starts_with('('), "{out}");
    assert!(token.len() >= 16, "{out}");
    assert_eq!(s.sandbox.admin().onekyc_tokens_issued(), 2);
}

#[test]
fn onekyc_token_with_a_wrong_pass_key_fails() {
    let s = sandbox();
    let (code, _, err) = run(onekyc_for(&s)
        .env("ONEKYC_PASS_KEY", "00000000-0000-4000-8000-000000000000")
        .args(["onekyc", "token"]));
    assert_eq!(code, 1);
    assert!(err.contains("UNAUTHORIZED"), "{err}");
    assert!(
        !err.contains("00000000-0000-4000"),
        "the pass key is not shown: {err}"
    );
}

#[test]
fn onekyc_token_unreachable_and_missing_credentials() {
    let (code, _, err) = run(omni()
        .env("ONEKYC_CLIENT_ID", demo::ONEKYC_CLIENT_ID)
        .env("ONEKYC_PASS_KEY", demo::ONEKYC_PASS_KEY)
        .args(["onekyc", "token", "--token-base-url", &closed_port_url()]));
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("error: OneKYC: "), "{err}");
    let (code, _, err) = run(omni().args(["onekyc", "token"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ONEKYC_CLIENT_ID"), "{err}");
}

#[test]
fn onekyc_submission_urls() {
    let s = sandbox();
    let (code, out, err) = run(onekyc_for(&s).args([
        "onekyc",
        "submission-urls",
        "--onboarding-partner",
        "CLIENT_X-BE-CERT_REG",
        "--user-id",
        "user-12345",
        "--user-id-type",
        "CLIENT_X_USER_ID",
        "--session-id",
        "session-abc-001",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("HTTP 200"), "{out}");
    assert!(out.contains("submission_urls"), "{out}");
}

#[test]
fn sandbox_command_serves_until_killed() {
    let mut child = omni()
        .args(["sandbox", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    // Bounded: the summary is about twenty lines.
    for line in BufReader::new(stdout).lines().take(40) {
        let line = line.unwrap();
        let done = line.starts_with("Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    let text = lines.join("\n");
    let base = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("OMNI_BASE_URL="))
        .map(str::to_owned);
    let result = base.as_ref().map(|base| {
        run(omni()
            .env("OMNI_BASE_URL", base)
            .env("OMNI_CLIENT_ID", demo::PARTNER_CLIENT_ID)
            .env("OMNI_SECRET_KEY", demo::PARTNER_SECRET)
            .args(["onboard", "--redirect-uri", "https://example.com/x"]))
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(text.contains(demo::PARTNER_CLIENT_ID), "{text}");
    assert!(text.contains(demo::ONEKYC_CLIENT_ID), "{text}");
    let (code, out, err) = result.unwrap_or_else(|| panic!("no OMNI_BASE_URL in {text}"));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn sandbox_on_a_busy_port_fails_cleanly() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let (code, _, err) = run(omni().args(["sandbox", "--addr", &addr]));
    assert_eq!(code, 1);
    assert!(err.starts_with("error: sandbox: cannot listen on"), "{err}");
}

#[test]
fn demo_runs_to_the_end_and_masks_secrets() {
    let (code, out, err) = run(omni().arg("demo"));
    assert_eq!(code, 0, "{out}\n{err}");
    for n in 1..=6 {
        assert!(out.contains(&format!("== Step {n}/6")), "{out}");
    }
    assert!(out.contains("pitfall: pretty-vs-minified-body"), "{out}");
    assert!(
        out.contains("tokens issued by the sandbox so far: 1"),
        "{out}"
    );
    assert!(
        out.ends_with("Demo complete: every step behaved as the documents say.\n"),
        "{out}"
    );
    for secret in [
        demo::PARTNER_SECRET,
        demo::STORE_TOKEN,
        demo::ONEKYC_PASS_KEY,
    ] {
        assert!(!out.contains(secret), "{secret} leaked");
        assert!(!err.contains(secret), "{secret} leaked");
    }
}

#[test]
fn every_command_help_shows_an_example() {
    for args in [
        &["--help"][..],
        &["sign", "--help"],
        &["verify", "--help"],
        &["request", "--help"],
        &["onboard", "--help"],
        &["onekyc", "token", "--help"],
        &["onekyc", "submission-urls", "--help"],
        &["sandbox", "--help"],
        &["demo", "--help"],
    ] {
        let (code, out, _) = run(omni().args(args));
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Example"), "{args:?}: {out}");
    }
}
