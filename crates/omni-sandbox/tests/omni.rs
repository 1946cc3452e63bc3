//! The Omni Partner API over loopback: the HMAC guard, its routes and every error.

mod common;

use common::{Call, get, sandbox, send};
use omni_sandbox::demo;

const ONBOARD: &str = "/api/v1/partner/onboard/sessions";
const SYNC: &str = "/api/v1/partner/stores/catalog/sync";
const REDIRECT: &[u8] =
    br#"{"redirectUri":"https://bigseller.com/login/email-login?redirect=/shopset/toco"}"#;

/// The guide's GET example path (its id is `demo::CATALOG_ID`).
const CATALOG: &str = "/api/v1/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e";

#[tokio::test]
async fn onboard_session_returns_url_sid_and_request_id() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let answer = Call::new("POST", ONBOARD, REDIRECT, now).send(&sb).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let body = answer.json();
    let id = answer.request_id();
    let url = body["onboardUrl"].as_str().unwrap();
    let prefix = format!(
        "{}/auth/partner?clientId={}&token=eyJhbGciOiJIUzI1NiJ9.",
        sb.base_url(),
        demo::PARTNER_CLIENT_ID
    );
    assert!(url.starts_with(&prefix), "{url}");
    assert!(url.ends_with(&format!("&requestId={id}")), "{url}");
    uuid::Uuid::parse_str(body["sid"].as_str().unwrap()).unwrap();
    assert_eq!(sb.admin().request_count(ONBOARD), 1);
}

#[tokio::test]
async fn onboard_session_validates_redirect_uri() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    for body in [
        &br#"{}"#[..],
        br#"{"redirectUri":"/relative/path"}"#,
        br#"{"redirectUri":"ftp://example.com/x"}"#,
        br#"{"redirectUri":42}"#,
        br#"not json"#,
        b"",
    ] {
        let answer = Call::new("POST", ONBOARD, body, now).send(&sb).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(answer.code(), "VAL_001");
        answer.request_id();
    }
}

#[tokio::test]
async fn store_routes_echo_what_was_verified() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let target = format!("{}?page=2", CATALOG);
    let answer = Call::new("GET", &target, b"", now)
        .demo_store()
        .send(&sb)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    answer.request_id();
    let verified = &body["data"]["verified"];
    assert_eq!(verified["partnerClientId"], demo::PARTNER_CLIENT_ID);
    assert_eq!(verified["storeClientId"], demo::STORE_CLIENT_ID);
    assert_eq!(
        verified["path"],
        format!("/partner/stores/catalog/{}", demo::CATALOG_ID)
    );
    assert_eq!(verified["bodyHash"], omni_sign::BodyHash::EMPTY.to_string());
    assert_eq!(body["data"]["catalogId"], demo::CATALOG_ID);
    assert!(!answer.text.contains(demo::STORE_TOKEN));

    let payload = br#"{"items":[{"sku":"SKU-1","stock":3}]}"#;
    let answer = Call::new("POST", SYNC, payload, now)
        .demo_store()
        .send(&sb)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(
        body["data"]["verified"]["bodyHash"],
        omni_sign::BodyHash::of(payload).to_string()
    );
    assert_eq!(
        body["data"]["verified"]["path"],
        "/partner/stores/catalog/sync"
    );
}

#[tokio::test]
async fn signing_the_query_is_rejected() {
    // The guide's first common pitfall: "Signing the path with query parameters attached".
    // No valid CanonicalRequest keeps the query, so the faulty client's base string is
    // written out and signed with omni-sign's diagnosis signer.
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let target = format!("{CATALOG}?page=2");
    let faulty_base = format!(
        "GET\n/partner/stores/catalog/{}?page=2\nx-partner-client-id:{}\nx-store-client-id:{}\nx-store-token:{}\nx-timestamp:{now}\n{}",
        demo::CATALOG_ID,
        demo::PARTNER_CLIENT_ID,
        demo::STORE_CLIENT_ID,
        demo::STORE_TOKEN,
        omni_sign::BodyHash::EMPTY
    );
    let faulty = omni_sign::Signer::new(demo::PARTNER_SECRET.as_bytes())
        .unwrap()
        .sign_base_string(&faulty_base)
        .to_string();
    let call = Call::new("GET", &target, b"", now).demo_store();
    let good = call.headers();
    let headers: Vec<_> = good
        .iter()
        .map(|(n, v)| {
            let v = if n == "x-signature" {
                faulty.clone()
            } else {
                v.clone()
            };
            (n.clone(), v)
        })
        .collect();
    let answer = send(&sb, "GET", &target, &headers, b"").await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(answer.code(), "AUTH_002");
    // The same request signed correctly passes: only the query made the difference.
    let answer = send(&sb, "GET", &target, &good, b"").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[tokio::test]
async fn pretty_printed_body_signed_as_minified_is_rejected() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let pretty = b"{\n  \"items\": []\n}";
    let mut call = Call::new("POST", SYNC, pretty, now).demo_store();
    call.signed_body = Some(br#"{"items":[]}"#);
    let answer = call.send(&sb).await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(answer.code(), "AUTH_002");
    // The same bytes signed and sent pass.
    let answer = Call::new("POST", SYNC, pretty, now)
        .demo_store()
        .send(&sb)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[tokio::test]
async fn store_call_without_store_token_is_rejected() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let call = Call::new("GET", CATALOG, b"", now).demo_store();
    let headers: Vec<_> = call
        .headers()
        .into_iter()
        .filter(|(name, _)| name != "x-store-token")
        .collect();
    let answer = send(&sb, "GET", CATALOG, &headers, b"").await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(answer.code(), "AUTH_001");
    assert_eq!(answer.json()["error"]["details"]["header"], "x-store-token");
    answer.request_id();
}

#[tokio::test]
async fn timestamp_301_s_old_is_rejected_and_299_s_old_accepted() {
    let sb = sandbox().await;
    let admin = sb.admin();
    // Pinned, so that the ages are exact however slow the machine is.
    let now = 1_756_460_183_490;
    admin.pin_clock(now);
    let old = now - 301_000;
    let answer = Call::new("POST", ONBOARD, REDIRECT, old).send(&sb).await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    let body = answer.json();
    let error = &body["error"];
    assert_eq!(error["code"], "AUTH_003");
    assert_eq!(error["message"], "Expired or invalid timestamp");
    assert_eq!(
        error["details"]["hint"],
        "Request timestamp must be within 300 seconds"
    );
    assert_eq!(error["details"]["timestamp"], "2025-08-29T09:36:23.490Z");
    let context = &error["details"]["context"];
    assert_eq!(context["providedTimestamp"], old);
    assert_eq!(context["currentTime"], now);
    assert_eq!(context["ageSeconds"], 301);
    answer.request_id();

    // 300.999 s old is outside the window, and ageSeconds rounds it down to 300.
    let answer = Call::new("POST", ONBOARD, REDIRECT, now - 300_999)
        .send(&sb)
        .await;
    assert_eq!(
        answer.json()["error"]["details"]["context"]["ageSeconds"],
        300
    );
    // The guide's own example: provided 1756459527238 at 1756460183490 is 656 s old.
    let answer = Call::new("POST", ONBOARD, REDIRECT, 1_756_459_527_238)
        .send(&sb)
        .await;
    assert_eq!(
        answer.json()["error"]["details"]["context"]["ageSeconds"],
        656
    );

    for accepted in [now - 299_000, now - 300_000, now + 300_000] {
        let answer = Call::new("POST", ONBOARD, REDIRECT, accepted)
            .send(&sb)
            .await;
        assert_eq!(answer.status, 201, "{accepted}: {}", answer.text);
    }

    // Against the running clock too.
    admin.unpin_clock();
    let now = admin.now_ms();
    let answer = Call::new("POST", ONBOARD, REDIRECT, now - 299_000)
        .send(&sb)
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let answer = Call::new("POST", ONBOARD, REDIRECT, now - 301_000)
        .send(&sb)
        .await;
    assert_eq!(answer.code(), "AUTH_003");
    assert!(
        answer.json()["error"]["details"]["context"]["ageSeconds"]
            .as_i64()
            .unwrap()
            >= 301
    );
}

#[tokio::test]
async fn restringify_mode_hashes_json_stringify_of_the_parsed_body() {
    // `json-stringify-form`: a JavaScript server that hashes JSON.stringify(JSON.parse(body)).
    let sb = sandbox().await;
    sb.admin().set_restringify(true);
    let now = sb.admin().now_ms();
    let pretty = b"{\n  \"items\": [ 1.0, 2 ],\n  \"b\": \"\\u0041\"\n}";
    let stringified = br#"{"items":[1,2],"b":"A"}"#;
    // Signed over the raw pretty bytes: what such a server does not compute.
    let answer = Call::new("POST", SYNC, pretty, now)
        .demo_store()
        .send(&sb)
        .await;
    assert_eq!(answer.code(), "AUTH_002", "{}", answer.text);
    // Signed over the JSON.stringify form and sent pretty: accepted.
    let mut call = Call::new("POST", SYNC, pretty, now).demo_store();
    call.signed_body = Some(stringified);
    let answer = call.send(&sb).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.json()["data"]["verified"]["bodyHash"],
        omni_sign::BodyHash::of(stringified).to_string()
    );
    // A body already in JSON.stringify form passes in both modes.
    let answer = Call::new("POST", SYNC, stringified, now)
        .demo_store()
        .send(&sb)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // Not JSON: what JSON.parse would throw on.
    let answer = Call::new("POST", SYNC, b"{items:", now)
        .demo_store()
        .send(&sb)
        .await;
    assert_eq!((answer.status, answer.code().as_str()), (400, "VAL_001"));

    sb.admin().set_restringify(false);
    let mut call = Call::new("POST", SYNC, pretty, now).demo_store();
    call.signed_body = Some(stringified);
    assert_eq!(call.send(&sb).await.code(), "AUTH_002");
}

#[tokio::test]
async fn clock_shift_moves_the_window() {
    let sb = sandbox().await;
    let admin = sb.admin();
    let sent = admin.now_ms();
    admin.shift_clock(-400_000);
    let answer = Call::new("POST", ONBOARD, REDIRECT, sent).send(&sb).await;
    assert_eq!(answer.code(), "AUTH_003");
    let context = &answer.json()["error"]["details"]["context"];
    // A timestamp from the future has a negative age.
    assert!(context["ageSeconds"].as_i64().unwrap() <= -399);
    admin.shift_clock(400_000);
    let answer = Call::new("POST", ONBOARD, REDIRECT, sent).send(&sb).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
}

#[tokio::test]
async fn missing_and_malformed_headers() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let call = Call::new("POST", ONBOARD, REDIRECT, now);
    let all = call.headers();
    for dropped in ["x-partner-client-id", "x-timestamp", "x-signature"] {
        let headers: Vec<_> = all.iter().filter(|(n, _)| n != dropped).cloned().collect();
        let answer = send(&sb, "POST", ONBOARD, &headers, REDIRECT).await;
        assert_eq!(answer.status, 401, "{}", answer.text);
        assert_eq!(answer.code(), "AUTH_001", "{dropped}");
        assert_eq!(answer.json()["error"]["details"]["header"], dropped);
    }
    for (name, value) in [
        ("x-timestamp", "17090245770OO"),
        ("x-signature", "sha256=nothex"),
    ] {
        let headers: Vec<_> = all
            .iter()
            .map(|(n, v)| {
                if n == name {
                    (n.clone(), value.to_owned())
                } else {
                    (n.clone(), v.clone())
                }
            })
            .collect();
        let answer = send(&sb, "POST", ONBOARD, &headers, REDIRECT).await;
        assert_eq!(answer.status, 401, "{}", answer.text);
        assert_eq!(answer.code(), "AUTH_006", "{name}");
        assert_eq!(answer.json()["error"]["details"]["header"], name);
    }
}

#[tokio::test]
async fn unknown_partner_wrong_secret_and_wrong_store() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let mut call = Call::new("POST", ONBOARD, REDIRECT, now);
    call.partner = "ptnr_nobody";
    let answer = call.send(&sb).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "AUTH_004"));

    let mut call = Call::new("POST", ONBOARD, REDIRECT, now);
    call.secret = "not-the-secret";
    let answer = call.send(&sb).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "AUTH_002"));
    assert!(
        answer.json()["error"]["details"]
            .get("baseString")
            .is_none()
    );

    let mut call = Call::new("GET", CATALOG, b"", now);
    call.store = Some((demo::STORE_CLIENT_ID, "stkn_wrong"));
    let answer = call.send(&sb).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "AUTH_005"));
    assert!(!answer.text.contains("stkn_wrong"));

    let mut call = Call::new("GET", CATALOG, b"", now);
    call.store = Some(("str_unknown", demo::STORE_TOKEN));
    let answer = call.send(&sb).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "AUTH_005"));

    // A store-scoped route without store delegation: the guide's VAL_001 example.
    let answer = Call::new("GET", CATALOG, b"", now).send(&sb).await;
    assert_eq!((answer.status, answer.code().as_str()), (400, "VAL_001"));
    assert_eq!(answer.json()["error"]["message"], "storeId is required");
}

#[tokio::test]
async fn debug_mode_shows_the_redacted_base_string() {
    let sb = sandbox().await;
    sb.admin().set_debug(true);
    let now = sb.admin().now_ms();
    let mut call = Call::new("GET", CATALOG, b"", now).demo_store();
    call.secret = "wrong";
    let answer = call.send(&sb).await;
    assert_eq!(answer.code(), "AUTH_002");
    let base = answer.json()["error"]["details"]["baseString"]
        .as_str()
        .unwrap()
        .to_owned();
    let expected = format!(
        "GET\n/partner/stores/catalog/{}\nx-partner-client-id:{}\nx-store-client-id:{}\nx-store-token:REDACTED\nx-timestamp:{now}\n{}",
        demo::CATALOG_ID,
        demo::PARTNER_CLIENT_ID,
        demo::STORE_CLIENT_ID,
        omni_sign::BodyHash::EMPTY
    );
    assert_eq!(base, expected);
    assert!(!answer.text.contains(demo::STORE_TOKEN));
}

#[tokio::test]
async fn bare_hex_signature_is_accepted() {
    // `signature-format`: verifiers accept both forms.
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let call = Call::new("POST", ONBOARD, REDIRECT, now);
    let headers: Vec<_> = call
        .headers()
        .into_iter()
        .map(|(n, v)| (n, v.trim_start_matches("sha256=").to_owned()))
        .collect();
    let answer = send(&sb, "POST", ONBOARD, &headers, REDIRECT).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
}

#[tokio::test]
async fn unknown_routes_are_guarded_then_404() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let answer = Call::new("GET", "/api/v1/partner/nothing", b"", now)
        .send(&sb)
        .await;
    assert_eq!((answer.status, answer.code().as_str()), (404, "ROUTE_001"));
    let answer = get(&sb, "/api/v1/partner/nothing", &[]).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "AUTH_001"));
    let answer = Call::new("GET", ONBOARD, b"", now).send(&sb).await;
    assert_eq!((answer.status, answer.code().as_str()), (405, "ROUTE_002"));
    let answer = get(&sb, "/elsewhere", &[]).await;
    assert_eq!((answer.status, answer.code().as_str()), (404, "ROUTE_001"));
    answer.request_id();
}

#[tokio::test]
async fn duplicate_and_non_ascii_signed_headers_are_malformed() {
    let sb = sandbox().await;
    let now = sb.admin().now_ms();
    let call = Call::new("POST", ONBOARD, REDIRECT, now);
    let mut headers = call.headers();
    headers.push(("x-timestamp".to_owned(), now.to_string()));
    let answer = send(&sb, "POST", ONBOARD, &headers, REDIRECT).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "AUTH_006"));
    assert_eq!(answer.json()["error"]["details"]["header"], "x-timestamp");

    // A store token with a byte beyond ASCII (obs-text): refused before any lookup.
    let url = format!("{}{CATALOG}", sb.base_url());
    let mut request = common::client().get(url);
    for (name, value) in Call::new("GET", CATALOG, b"", now).demo_store().headers() {
        if name != "x-store-token" {
            request = request.header(name, value);
        }
    }
    let token = reqwest::header::HeaderValue::from_bytes(b"stkn_\xe9").unwrap();
    let response = request.header("x-store-token", token).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "AUTH_006");
    assert_eq!(body["error"]["details"]["header"], "x-store-token");
}

#[tokio::test]
async fn a_partner_registered_with_an_empty_secret_never_verifies() {
    let sb = sandbox().await;
    sb.admin().register_partner("ptnr_empty", "");
    let mut call = Call::new("POST", ONBOARD, REDIRECT, sb.admin().now_ms());
    call.partner = "ptnr_empty";
    call.secret = "anything";
    let answer = call.send(&sb).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "AUTH_002"));
}

#[tokio::test]
async fn secret_rotation_replaces_the_key() {
    let sb = sandbox().await;
    let admin = sb.admin();
    admin.register_partner(demo::PARTNER_CLIENT_ID, "rotated-secret");
    let now = admin.now_ms();
    let answer = Call::new("POST", ONBOARD, REDIRECT, now).send(&sb).await;
    assert_eq!(answer.code(), "AUTH_002");
    let mut call = Call::new("POST", ONBOARD, REDIRECT, now);
    call.secret = "rotated-secret";
    assert_eq!(call.send(&sb).await.status, 201);
    // The store delegation survives the new secret.
    let mut call = Call::new("GET", CATALOG, b"", now).demo_store();
    call.secret = "rotated-secret";
    assert_eq!(call.send(&sb).await.status, 200);
}
