//! Regression tests for the hardening round: each fails on the command as it was before.

mod common;

use common::{SECRET, omni, onekyc_for, run, sandbox};
use omni_sandbox::demo;

/// `omni sign` with the test secret and a partner id, ready for more arguments.
fn sign() -> std::process::Command {
    let mut cmd = omni();
    cmd.env("OMNI_SECRET_KEY", SECRET)
        .env("OMNI_CLIENT_ID", "ptnr_1")
        .arg("sign");
    cmd
}

#[test]
fn curl_command_sends_the_signed_path_as_is() {
    let (code, out, err) = run(sign().args(["--url", "https://h/api/v1/x/../abc", "-o", "curl"]));
    assert_eq!(code, 0, "{err}");
    // Without --path-as-is curl sends /api/v1/abc, which is not the path that was signed.
    assert!(
        out.starts_with("curl --path-as-is -X GET https://h/api/v1/x/../abc "),
        "{out}"
    );
    // A URL with shell metacharacters stays one quoted word.
    let (code, out, err) = run(sign().args(["--url", "https://h/x?a=1&b='2'", "-o", "curl"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(r"'https://h/x?a=1&b='\''2'\'''"), "{out}");
}

#[test]
fn values_starting_with_a_hyphen_are_values() {
    for (flag, value, body) in [
        ("--json", "-5", "-5"),
        ("--data", "-x", "-x"),
        ("-d", "--", "--"),
    ] {
        let (code, out, err) =
            run(sign().args(["--url", "https://h/x", "-o", "json", flag, value]));
        assert_eq!(code, 0, "{flag} {value}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["body"], body, "{flag} {value}");
    }
    // The timestamp flags take a hyphen value too, so the parser can say what is wrong with it.
    let (code, _, err) = run(sign().args(["--url", "https://h/x", "--timestamp", "-1"]));
    assert_eq!(code, 2);
    assert!(err.contains("cannot be negative"), "{err}");
}

#[test]
fn usage_errors_are_one_line() {
    let cases: &[&[&str]] = &[
        &["sign", "--bogus"],
        &["sign"],
        &["sign", "--url", "https://h/x", "--output", "yaml"],
        &["verify", "--now=-1", "--url", "https://h/x"],
        &["nosuchcommand"],
        &[],
        &["onekyc"],
        &["onekyc", "token", "--environment", "moon"],
        &["sandbox", "--addr", "not-an-address"],
    ];
    for args in cases {
        let (code, out, err) = run(omni().env("OMNI_SECRET_KEY", SECRET).args(*args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(out, "", "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.trim_end().ends_with(" --help')"), "{args:?}: {err}");
    }
    let (_, _, err) = run(omni().args(["sign"]));
    assert_eq!(
        err.trim_end(),
        "error: the following required arguments were not provided: --url <URL>, --client-id <ID> (see 'omni sign --help')"
    );
    let (_, _, err) = run(omni().args(["onekyc", "token", "--environment", "moon"]));
    assert!(err.contains("(see 'omni onekyc token --help')"), "{err}");
    // Help is not an error: it goes to stdout in full, with exit code 0.
    let (code, out, _) = run(omni().args(["sign", "--help"]));
    assert_eq!(code, 0);
    assert!(out.lines().count() > 10, "{out}");
}

#[test]
fn a_bad_clock_flag_is_named_as_the_flag() {
    let (code, _, err) = run(omni().args(["verify", "--url", "https://h/x", "--now=-1"]));
    assert_eq!(code, 2);
    assert!(err.contains("'--now <MS>'"), "{err}");
    assert!(err.contains("cannot be negative"), "{err}");
    assert!(!err.contains("x-timestamp"), "{err}");
    for (value, says) in [
        ("01", "leading zeros"),
        ("18446744073709551616", "go up to 18446744073709551615"),
        ("1.5", "ASCII digits only"),
    ] {
        let (code, _, err) = run(omni().args(["verify", "--url", "https://h/x", "--now", value]));
        assert_eq!(code, 2, "{value}");
        assert!(
            err.contains(says) && !err.contains("x-timestamp"),
            "{value}: {err}"
        );
    }
}

#[test]
fn a_far_future_timestamp_is_reported_without_overflow() {
    let (code, out, err) = run(sign().args([
        "--url",
        "https://h/api/v1/partner/x",
        "--timestamp",
        "18446744073709551615",
    ]));
    assert_eq!(code, 0, "{err}");
    let mut verify = omni();
    verify.env("OMNI_SECRET_KEY", SECRET).args([
        "verify",
        "--url",
        "https://h/api/v1/partner/x",
        "--now",
        "1709024580000",
    ]);
    for line in out.lines() {
        verify.args(["-H", line]);
    }
    let (code, out, err) = run(&mut verify);
    assert_ne!(code, 0);
    let all = format!("{out}{err}");
    assert!(!all.contains("-9223372036854775808"), "{all}");
    assert!(all.contains("ms ahead of server time"), "{all}");
}

#[test]
fn rust_log_shows_the_libraries_logs_and_no_secret() {
    let s = sandbox();
    let (code, out, err) = run(onekyc_for(&s)
        .env("RUST_LOG", "trace")
        .args(["onekyc", "token"]));
    assert_eq!(code, 0, "{err}");
    // onekyc-client logs its token fetch at debug level.
    assert!(err.contains("fetching a OneKYC partner token"), "{err}");
    assert!(!err.contains(demo::ONEKYC_PASS_KEY), "{err}");
    assert!(!out.contains(demo::ONEKYC_PASS_KEY), "{out}");
    // Without RUST_LOG a one-shot command shows its one-line error and no log.
    let (code, _, err) = run(onekyc_for(&s).args(["onekyc", "token"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
}

#[test]
fn a_malformed_header_argument_is_not_echoed() {
    // A mistyped -H (no colon, or a space in the name) may hold a store token.
    for arg in ["x-store-token stkn_abc123", "x-store-token stkn_abc123: v"] {
        let (code, out, err) = run(omni().env("OMNI_SECRET_KEY", SECRET).args([
            "verify",
            "--url",
            "/partner/x",
            "-H",
            arg,
        ]));
        assert_eq!(code, 2, "{err}");
        assert!(err.starts_with("error: malformed header"), "{err}");
        assert!(!format!("{out}{err}").contains("stkn_abc123"), "{err}");
    }
}

#[test]
fn the_sandbox_keeps_serving_when_its_stdout_is_closed() {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let mut child = omni()
        .args(["sandbox", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Read one line and close the pipe, as `omni sandbox | head -1` does.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("Omni sandbox listening on http://")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let still_running = child.try_wait().unwrap().is_none();
    let answered = std::net::TcpStream::connect(&addr).is_ok_and(|mut stream| {
        let request = "GET /_sandbox/clock HTTP/1.1\r\nhost: s\r\nconnection: close\r\n\r\n";
        let mut answer = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.starts_with("HTTP/1.1 200")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(still_running, "omni sandbox exited when its stdout closed");
    assert!(
        answered,
        "omni sandbox stopped serving when its stdout closed"
    );
}
