//! The sandbox seller page at the onboard URL: fresh tokens pass, expired and tampered fail.

mod common;

use common::{Call, get, sandbox};
use omni_sandbox::{Sandbox, demo};

const ONBOARD: &str = "/api/v1/partner/onboard/sessions";

/// A fresh onboard URL, as path and query after `base_url()`.
async fn onboard_target(sb: &Sandbox) -> String {
    let body = br#"{"redirectUri":"https://partner.example/done"}"#;
    let answer = Call::new("POST", ONBOARD, body, sb.admin().now_ms())
        .send(sb)
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let url = answer.json()["onboardUrl"].as_str().unwrap().to_owned();
    url.strip_prefix(&sb.base_url()).unwrap().to_owned()
}

fn token_of(target: &str) -> String {
    let query = target.split_once('?').unwrap().1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned()
}

fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn token_claims_follow_the_documentation() {
    let sb = sandbox().await;
    let target = onboard_target(&sb).await;
    let claims = claims_of(&token_of(&target));
    let keys: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "iss",
        "aud",
        "sid",
        "pid",
        "redirectUri",
        "jti",
        "iat",
        "exp",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(claims["iss"], "omni-auth");
    assert_eq!(claims["aud"], "omni-onboard");
    assert_eq!(claims["redirectUri"], "https://partner.example/done");
    let iat = claims["iat"].as_u64().unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap(), iat + 180);
    let now_s = sb.admin().now_ms() / 1000;
    assert!(iat <= now_s && now_s - iat < 5);
}

#[tokio::test]
async fn seller_page_accepts_a_fresh_token() {
    let sb = sandbox().await;
    let target = onboard_target(&sb).await;
    let answer = get(&sb, &target, &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["data"]["partnerClientId"], demo::PARTNER_CLIENT_ID);
    assert_eq!(body["data"]["redirectUri"], "https://partner.example/done");
    answer.request_id();
}

#[tokio::test]
async fn seller_page_rejects_an_expired_token() {
    let sb = sandbox().await;
    let target = onboard_target(&sb).await;
    sb.admin().shift_clock(181_000);
    let answer = get(&sb, &target, &[]).await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(answer.code(), "ONB_001");
    answer.request_id();
}

#[tokio::test]
async fn seller_page_rejects_a_tampered_token() {
    let sb = sandbox().await;
    let target = onboard_target(&sb).await;
    let token = token_of(&target);
    // Change the payload (a different redirectUri), keep the signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = claims_of(&token);
    claims["redirectUri"] = "https://attacker.example/".into();
    use base64::Engine as _;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&claims).unwrap());
    let forged = parts.join(".");
    let answer = get(&sb, &format!("/auth/partner?token={forged}"), &[]).await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(answer.code(), "ONB_002");

    // A flipped signature character.
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let answer = get(&sb, &format!("/auth/partner?token={flipped}"), &[]).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "ONB_002"));

    // Another sandbox's token (another key).
    let other = sandbox().await;
    let answer = get(&other, &target, &[]).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "ONB_002"));

    // The right token with another partner's clientId.
    let answer = get(
        &sb,
        &format!("/auth/partner?clientId=ptnr_other&token={token}"),
        &[],
    )
    .await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "ONB_002"));

    let answer = get(&sb, "/auth/partner", &[]).await;
    assert_eq!((answer.status, answer.code().as_str()), (400, "VAL_001"));
}
