//! OneKYC over loopback: the token endpoint and the Esign call that requires the token.

mod common;

use std::time::Duration;

use common::{Answer, get, sandbox};
use omni_sandbox::{Sandbox, demo};
use serde_json::json;

const TOKEN: &str = "/v1/esign/partner/authentication";
const URLS: &str = "/esign-partner/v1/submissions/urls";

fn token_target(sb: &Sandbox) -> String {
    let prefix = sb.onekyc_token_base_url();
    format!("{}{TOKEN}", prefix.strip_prefix(&sb.base_url()).unwrap())
}

fn urls_target(sb: &Sandbox) -> String {
    let prefix = sb.esign_base_url();
    format!("{}{URLS}", prefix.strip_prefix(&sb.base_url()).unwrap())
}

async fn fetch_token(sb: &Sandbox) -> Answer {
    get(
        sb,
        &token_target(sb),
        &[
            ("client-id", demo::ONEKYC_CLIENT_ID),
            ("pass-key", demo::ONEKYC_PASS_KEY),
        ],
    )
    .await
}

async fn token(sb: &Sandbox) -> String {
    let answer = fetch_token(sb).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()["data"]["token"].as_str().unwrap().to_owned()
}

const PARTNER: [(&str, &str); 4] = [
    ("x-esign-onboarding-partner", "CLIENT_X-BE-CERT_REG"),
    ("x-partner-user-id", "user-12345"),
    ("x-partner-user-id-type", "CLIENT_X_USER_ID"),
    ("x-partner-session-id", "session-abc-001"),
];

async fn submission_urls(sb: &Sandbox, token: Option<&str>, skip: &[&str]) -> Answer {
    let mut headers: Vec<(&str, &str)> = PARTNER
        .iter()
        .filter(|(n, _)| !skip.contains(n))
        .copied()
        .collect();
    if let Some(token) = token {
        headers.push(("x-onekyc-token", token));
    }
    get(sb, &urls_target(sb), &headers).await
}

#[tokio::test]
async fn token_endpoint_issues_string_expiry() {
    let sb = sandbox().await;
    let before = sb.admin().now_ms() / 1000;
    let answer = fetch_token(&sb).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["expiry_seconds"], "1800");
    let expires_at: u64 = body["data"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((before + 1800..=before + 1802).contains(&expires_at));
    assert!(!body["data"]["token"].as_str().unwrap().is_empty());
    assert!(answer.headers.contains_key("x-request-id"));
    assert_eq!(sb.admin().onekyc_tokens_issued(), 1);
    // Also at the root path, as the OneKYC page writes it.
    let answer = get(
        &sb,
        TOKEN,
        &[
            ("client-id", demo::ONEKYC_CLIENT_ID),
            ("pass-key", demo::ONEKYC_PASS_KEY),
        ],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(sb.admin().onekyc_tokens_issued(), 2);
}

#[tokio::test]
async fn token_endpoint_names_each_missing_header() {
    let sb = sandbox().await;
    let target = token_target(&sb);
    let answer = get(&sb, &target, &[]).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        json!({"success": false, "errors": [
            {"code": "1650", "cause": "MISSING_CLIENT_ID"},
            {"code": "1650", "cause": "MISSING_PASS_KEY"}
        ]})
    );
    let answer = get(&sb, &target, &[("client-id", demo::ONEKYC_CLIENT_ID)]).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["errors"],
        json!([{"code": "1650", "cause": "MISSING_PASS_KEY"}])
    );
    let answer = get(&sb, &target, &[("pass-key", demo::ONEKYC_PASS_KEY)]).await;
    assert_eq!(
        answer.json()["errors"],
        json!([{"code": "1650", "cause": "MISSING_CLIENT_ID"}])
    );
    assert_eq!(sb.admin().onekyc_tokens_issued(), 0);
}

#[tokio::test]
async fn token_endpoint_rejects_wrong_credentials() {
    let sb = sandbox().await;
    let target = token_target(&sb);
    for (id, key) in [
        (
            demo::ONEKYC_CLIENT_ID,
            "00000000-0000-0000-0000-000000000000",
        ),
        (
            "00000000-0000-0000-0000-000000000000",
            demo::ONEKYC_PASS_KEY,
        ),
    ] {
        let answer = get(&sb, &target, &[("client-id", id), ("pass-key", key)]).await;
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.json(),
            json!({"success": false, "errors": [{"code": "110", "cause": "UNAUTHORIZED"}]})
        );
    }
}

#[tokio::test]
async fn submission_urls_with_a_valid_token() {
    let sb = sandbox().await;
    let token = token(&sb).await;
    let answer = submission_urls(&sb, Some(&token), &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["partner_session_id"], "session-abc-001");
    assert!(
        !body["data"]["submission_urls"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The token base URL does not serve Esign calls, and the reverse.
    let wrong = format!(
        "{}{URLS}",
        sb.onekyc_token_base_url()
            .strip_prefix(&sb.base_url())
            .unwrap()
    );
    let answer = get(&sb, &wrong, &[("x-onekyc-token", &token)]).await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn submission_urls_401_without_or_with_a_bad_token() {
    let sb = sandbox().await;
    let answer = submission_urls(&sb, None, &[]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json()["errors"][0]["cause"], "MISSING_ONEKYC_TOKEN");
    let answer = submission_urls(&sb, Some("sbx_okyc.forged"), &[]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.json()["errors"],
        json!([{"code": "110", "cause": "UNAUTHORIZED"}])
    );
}

#[tokio::test]
async fn submission_urls_400_names_the_missing_partner_header() {
    let sb = sandbox().await;
    let token = token(&sb).await;
    for (name, cause) in [
        (
            "x-esign-onboarding-partner",
            "MISSING_ESIGN_ONBOARDING_PARTNER",
        ),
        ("x-partner-user-id", "MISSING_PARTNER_USER_ID"),
        ("x-partner-user-id-type", "MISSING_PARTNER_USER_ID_TYPE"),
        ("x-partner-session-id", "MISSING_PARTNER_SESSION_ID"),
    ] {
        let answer = submission_urls(&sb, Some(&token), &[name]).await;
        assert_eq!(answer.status, 400, "{name}");
        assert_eq!(
            answer.json()["errors"],
            json!([{"code": "1650", "cause": cause}])
        );
    }
    let answer = submission_urls(
        &sb,
        Some(&token),
        &["x-partner-user-id", "x-partner-session-id"],
    )
    .await;
    assert_eq!(answer.json()["errors"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn lifetime_knob_makes_tokens_expire() {
    let sb = sandbox().await;
    sb.admin().set_onekyc_token_lifetime(Duration::from_secs(2));
    let answer = fetch_token(&sb).await;
    assert_eq!(answer.json()["data"]["expiry_seconds"], "2");
    let token = answer.json()["data"]["token"].as_str().unwrap().to_owned();
    assert_eq!(submission_urls(&sb, Some(&token), &[]).await.status, 200);
    // The sandbox clock, not a sleep, ages the token.
    sb.admin().shift_clock(2_000);
    assert_eq!(submission_urls(&sb, Some(&token), &[]).await.status, 401);
}

#[tokio::test]
async fn revoked_tokens_are_refused() {
    let sb = sandbox().await;
    let first = token(&sb).await;
    sb.admin().revoke_onekyc_tokens();
    assert_eq!(submission_urls(&sb, Some(&first), &[]).await.status, 401);
    let second = token(&sb).await;
    assert_ne!(first, second);
    assert_eq!(submission_urls(&sb, Some(&second), &[]).await.status, 200);
    assert_eq!(sb.admin().onekyc_tokens_issued(), 2);
}
