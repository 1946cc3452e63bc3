//! `omni onekyc ... --redis`: a fleet of CLI runs shares one OneKYC token (`fleet-token-store`),
//! against the sandbox and a private `redis-server` on loopback.

mod common;
#[path = "../../onekyc-client/tests/common/redis_server.rs"]
mod redis_server;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Running, omni, run, sandbox};
use omni_sandbox::{Fault, demo};
use onekyc_client::TOKEN_PATH;
use redis_server::RedisServer;

fn onekyc_for(s: &Running) -> Command {
    let mut cmd = omni();
    cmd.env("ONEKYC_CLIENT_ID", demo::ONEKYC_CLIENT_ID)
        .env("ONEKYC_PASS_KEY", demo::ONEKYC_PASS_KEY)
        .env("ONEKYC_TOKEN_BASE_URL", s.sandbox.onekyc_token_base_url())
        .env("ONEKYC_ESIGN_BASE_URL", s.sandbox.esign_base_url());
    cmd
}

#[test]
fn sixteen_parallel_token_runs_with_redis_fetch_one_token() {
    let s = sandbox();
    let redis = RedisServer::start();
    let admin = s.sandbox.admin();
    let base = s.sandbox.onekyc_token_base_url();
    let prefix = base.strip_prefix(&s.sandbox.base_url()).unwrap();
    // The first fetch is held open so that every run arrives while it is under way.
    admin.inject_on(
        &format!("{prefix}{TOKEN_PATH}"),
        Fault::Latency(Duration::from_millis(300)),
        1,
    );
    // 16 processes on 2 cores: a generous Redis timeout keeps the count exact.
    let children: Vec<_> = (0..16)
        .map(|_| {
            onekyc_for(&s)
                .args(["onekyc", "token", "--redis", &redis.url()])
                .args(["--redis-timeout-ms", "2000"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("omni runs")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("(hidden; --show-token prints it)"),
            "{stdout}"
        );
        assert!(stdout.contains("expires in: 17"), "{stdout}");
    }
    assert_eq!(admin.onekyc_tokens_issued(), 1);

    // A later run, through ONEKYC_REDIS_URL, and `submission-urls` with the flag: no fetch.
    let (code, out, err) = run(onekyc_for(&s)
        .env(onekyc_client::REDIS_URL_ENV, redis.url())
        .args([
            "onekyc",
            "token",
            "--show-token",
            "--redis-timeout-ms",
            "2000",
        ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("token: sbx_okyc."), "{out}");
    let (code, out, err) = run(onekyc_for(&s).args([
        "onekyc",
        "submission-urls",
        "--redis",
        &redis.url(),
        "--redis-timeout-ms",
        "2000",
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
    assert_eq!(admin.onekyc_tokens_issued(), 1);
}

#[test]
fn an_unreachable_redis_is_done_without_and_its_password_never_shown() {
    let s = sandbox();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://:redis-pw-secret@127.0.0.1:{port}/2");
    let (code, out, err) = run(onekyc_for(&s).args(["onekyc", "token", "--redis", &url]));
    assert_eq!(code, 0, "{err}");
    assert!(!format!("{out}{err}").contains("redis-pw-secret"));
    assert_eq!(s.sandbox.admin().onekyc_tokens_issued(), 1);
    let (code, _, err) = run(onekyc_for(&s).args(["onekyc", "token", "--redis", "http://x"]));
    assert_ne!(code, 0);
    assert!(err.contains("Redis URL"), "{err}");
}
