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

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The seller page as a browser asks for it.
async fn browse(sb: &Sandbox, target: &str) -> common::Answer {
    get(sb, target, &[("accept", BROWSER_ACCEPT)]).await
}

/// Presses Continue: the form the page posts, as a browser sends it (redirects not followed).
async fn press_continue(
    sb: &Sandbox,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let answer = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/auth/partner/continue", sb.base_url()))
        .header("accept", BROWSER_ACCEPT)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    (status, headers, answer.text().await.unwrap())
}

/// A fresh onboard session for `redirect_uri`: its target and token.
async fn session_for(sb: &Sandbox, redirect_uri: &str) -> (String, String) {
    let body = serde_json::json!({ "redirectUri": redirect_uri }).to_string();
    let answer = Call::new("POST", ONBOARD, body.as_bytes(), sb.admin().now_ms())
        .send(sb)
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let url = answer.json()["onboardUrl"].as_str().unwrap().to_owned();
    let target = url.strip_prefix(&sb.base_url()).unwrap().to_owned();
    let token = token_of(&target);
    (target, token)
}

fn assert_html(answer: &common::Answer) {
    assert_eq!(
        answer.headers["content-type"], "text/html; charset=utf-8",
        "{}",
        answer.text
    );
    let csp = answer.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let page = &answer.text;
    assert!(
        page.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)
    );
    // Self-contained: nothing loaded from anywhere.
    for outside in [
        "src=",
        "href=",
        "@import",
        "url(",
        "http://",
        "https://fonts",
    ] {
        let at_redirect = page.matches(outside).count();
        assert_eq!(at_redirect, 0, "{outside} in {page}");
    }
    answer.headers["x-request-id"].to_str().unwrap();
}

#[tokio::test]
async fn a_browser_gets_the_page_and_continue_redirects_exactly_once() {
    let sb = sandbox().await;
    let redirect = "https://partner.example/back?store=1&x=%20y";
    let (target, token) = session_for(&sb, redirect).await;
    let answer = browse(&sb, &target).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = &answer.text;
    let sid = claims_of(&token)["sid"].as_str().unwrap().to_owned();
    assert!(page.contains(demo::PARTNER_CLIENT_ID), "{page}");
    assert!(page.contains(&sid), "{page}");
    assert!(page.contains("Store onboarding"), "{page}");
    assert!(
        page.contains("data-seconds=\"180\"") || page.contains("data-seconds=\"179\""),
        "{page}"
    );
    assert!(
        page.contains("https://partner.example/back?store=1&amp;x=%20y"),
        "{page}"
    );
    assert!(page.contains("sandbox: the real page may add parameters here"));
    assert!(page.contains(r#"<form method="post" action="/auth/partner/continue">"#));
    assert_eq!(answer.headers["referrer-policy"], "no-referrer");
    assert_eq!(answer.headers["cache-control"], "no-store");
    // The token is not in the page beyond the form field (no src/href to leak it).
    assert_eq!(page.matches(&token).count(), 1);

    // Opening the page twice does not use the session.
    assert_eq!(browse(&sb, &target).await.status, 200);

    let form = [
        ("clientId", demo::PARTNER_CLIENT_ID),
        ("token", token.as_str()),
    ];
    let (status, headers, _) = press_continue(&sb, &form).await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], redirect);

    // Used: neither the page nor Continue again.
    let (status, headers, page) = press_continue(&sb, &form).await;
    assert_eq!(status, 409, "{page}");
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(page.contains("already used"), "{page}");
    assert!(page.contains(&sid), "{page}");
    let answer = browse(&sb, &target).await;
    assert_eq!(answer.status, 409);
    assert_html(&answer);
    assert!(answer.text.contains("already used"));
    // A JSON client is told too.
    let answer = get(&sb, &target, &[]).await;
    assert_eq!((answer.status, answer.code().as_str()), (409, "ONB_003"));
}

#[tokio::test]
async fn non_browser_clients_keep_the_json_answer() {
    let sb = sandbox().await;
    let (target, token) = session_for(&sb, "https://partner.example/done").await;
    for accept in [None, Some("*/*"), Some("application/json")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let answer = get(&sb, &target, &headers).await;
        assert_eq!(answer.status, 200);
        let claims = claims_of(&token);
        let id = answer.request_id();
        let expected = format!(
            r#"{{"data":{{"expiresAt":{},"page":"Sandbox seller onboarding: the session is valid","partnerClientId":"{}","redirectUri":"https://partner.example/done","sid":"{}"}},"requestId":"{id}","success":true}}"#,
            claims["exp"],
            demo::PARTNER_CLIENT_ID,
            claims["sid"].as_str().unwrap(),
        );
        assert_eq!(answer.text, expected);
        assert_eq!(answer.headers["content-type"], "application/json");
    }
}

#[tokio::test]
async fn every_refusal_is_a_page_that_says_which_never_a_5xx() {
    let sb = sandbox().await;
    let (target, token) = session_for(&sb, "https://partner.example/done").await;
    let other = sandbox().await;
    let (_, foreign) = session_for(&other, "https://partner.example/done").await;
    let mangled = token[..token.len() / 2].to_owned();
    let hostile = "<script>alert(1)</script>\"'&";
    let cases: Vec<(String, u16, &str)> = vec![
        (
            format!(
                "/auth/partner?clientId={}&token={foreign}",
                demo::PARTNER_CLIENT_ID
            ),
            401,
            "not signed by this sandbox",
        ),
        (
            format!("/auth/partner?token={mangled}"),
            401,
            "This link is damaged",
        ),
        (
            format!(
                "/auth/partner?clientId={}&token={token}",
                url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>()
            ),
            401,
            "names another partner",
        ),
        ("/auth/partner".to_owned(), 400, "no session token"),
        (
            format!(
                "/auth/partner?token={}",
                url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>()
            ),
            401,
            "This link is damaged",
        ),
    ];
    for (target, status, says) in cases {
        let answer = browse(&sb, &target).await;
        assert_eq!(answer.status, status, "{target}: {}", answer.text);
        assert_html(&answer);
        assert!(answer.text.contains(says), "{target}: {}", answer.text);
        assert!(!answer.text.contains("<script>alert"), "{}", answer.text);
    }
    let answer = browse(
        &sb,
        &format!(
            "/auth/partner?clientId={}&token={token}",
            url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>()
        ),
    )
    .await;
    assert!(
        answer
            .text
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"),
        "{}",
        answer.text
    );

    // Continue refuses the same way, and a refused Continue does not use the session.
    let (status, _, page) =
        press_continue(&sb, &[("clientId", "ptnr_other"), ("token", &token)]).await;
    assert_eq!(status, 401);
    assert!(page.contains("names another partner"), "{page}");
    let (status, _, page) = press_continue(&sb, &[("token", &mangled)]).await;
    assert_eq!(status, 401);
    assert!(page.contains("This link is damaged"), "{page}");

    // Expired: the page says to create a new onboard session, and so does Continue.
    sb.admin().shift_clock(181_000);
    let answer = browse(&sb, &target).await;
    assert_eq!(answer.status, 401);
    assert_html(&answer);
    assert!(answer.text.contains("has expired"), "{}", answer.text);
    assert!(
        answer.text.contains("create a new onboard session"),
        "{}",
        answer.text
    );
    let (status, _, page) = press_continue(&sb, &[("token", &token)]).await;
    assert_eq!(status, 401);
    assert!(page.contains("create a new onboard session"), "{page}");
    sb.admin().shift_clock(-181_000);
    let (status, headers, _) = press_continue(&sb, &[("token", &token)]).await;
    assert_eq!(
        (status, headers["location"].to_str().unwrap()),
        (303, "https://partner.example/done")
    );
}

#[tokio::test]
async fn a_javascript_or_unprintable_redirect_uri_is_refused_at_creation() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    for uri in [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)//https://partner.example/",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://partner.example/\nx",
        "https://partner.example/a\tb",
        "https://partner.example/é",
        "https://partner.example/ space",
    ] {
        let body = serde_json::json!({ "redirectUri": uri }).to_string();
        let answer = Call::new("POST", ONBOARD, body.as_bytes(), now)
            .send(&sb)
            .await;
        assert_eq!(answer.status, 400, "{uri:?}: {}", answer.text);
        assert_eq!(answer.code(), "VAL_001");
    }
}
