//! The `/_sandbox/` admin HTTP API mirrors the in-process knobs.

mod common;

use common::{Call, client, get, send};
use omni_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

async fn post(sb: &Sandbox, path: &str, body: Value) -> Value {
    let response = client()
        .post(format!("{}{path}", sb.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn delete(sb: &Sandbox, path: &str) {
    let response = client()
        .delete(format!("{}{path}", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
}

#[tokio::test]
async fn register_over_http_then_call() {
    let sb = Sandbox::start(SandboxConfig::empty()).await.unwrap();
    let now = sb.admin().now_ms();
    let target = "/api/v1/partner/stores/catalog/x1";
    let mut call = Call::new("GET", target, b"", now);
    call.partner = "ptnr_http";
    call.secret = "http-secret";
    call.store = Some(("str_http", "stkn_http"));
    assert_eq!(call.send(&sb).await.code(), "AUTH_004");

    post(
        &sb,
        "/_sandbox/partners",
        json!({"clientId": "ptnr_http", "secret": "http-secret"}),
    )
    .await;
    assert_eq!(call.send(&sb).await.code(), "AUTH_005");
    post(
        &sb,
        "/_sandbox/stores",
        json!({"partnerClientId": "ptnr_http", "storeClientId": "str_http", "storeToken": "stkn_http"}),
    )
    .await;
    assert_eq!(call.send(&sb).await.status, 200);

    let token_target = "/v1/esign/partner/authentication";
    let creds = [("client-id", "c-http"), ("pass-key", "k-http")];
    assert_eq!(get(&sb, token_target, &creds).await.status, 401);
    post(
        &sb,
        "/_sandbox/onekyc",
        json!({"clientId": "c-http", "passKey": "k-http"}),
    )
    .await;
    assert_eq!(get(&sb, token_target, &creds).await.status, 200);
    let counts = get(&sb, "/_sandbox/counts", &[]).await.json();
    assert_eq!(counts["onekycTokensIssued"], 1);
    assert_eq!(counts["routes"][token_target], 2);
    let one = get(&sb, &format!("/_sandbox/counts?path={token_target}"), &[])
        .await
        .json();
    assert_eq!(one["count"], 2);
    assert_eq!(one["route"], token_target);
    delete(&sb, "/_sandbox/counts").await;
    assert_eq!(sb.admin().request_count(token_target), 0);
}

#[tokio::test]
async fn clock_settings_faults_and_revoke_over_http() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let clock = post(&sb, "/_sandbox/clock", json!({"shiftMs": 3_600_000})).await;
    assert_eq!(clock["offsetMs"], 3_600_000);
    let now = sb.admin().now_ms();
    assert!(clock["nowMs"].as_u64().unwrap() <= now);

    let settings = post(
        &sb,
        "/_sandbox/settings",
        json!({"debug": true, "onekycTokenLifetimeSecs": 60}),
    )
    .await;
    assert_eq!(
        settings,
        json!({"debug": true, "restringify": false, "onekycTokenLifetimeSecs": 60})
    );
    let mut call = Call::new("POST", "/api/v1/partner/onboard/sessions", b"{}", now);
    call.secret = "wrong";
    let answer = call.send(&sb).await;
    assert!(answer.json()["error"]["details"]["baseString"].is_string());

    post(
        &sb,
        "/_sandbox/faults",
        json!({"fault": {"kind": "too_many_requests", "retryAfterSecs": 3}, "times": 1, "pathPrefix": "/v1/"}),
    )
    .await;
    let creds = [
        ("client-id", omni_sandbox::demo::ONEKYC_CLIENT_ID),
        ("pass-key", omni_sandbox::demo::ONEKYC_PASS_KEY),
    ];
    let answer = get(&sb, "/v1/esign/partner/authentication", &creds).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.headers["retry-after"], "3");
    let answer = get(&sb, "/v1/esign/partner/authentication", &creds).await;
    assert_eq!(answer.json()["data"]["expiry_seconds"], "60");
    let token = answer.json()["data"]["token"].as_str().unwrap().to_owned();

    for fault in [
        json!({"kind": "latency", "ms": 1}),
        json!({"kind": "status", "status": 503}),
        json!({"kind": "drop_connection"}),
        json!({"kind": "malformed_json"}),
    ] {
        post(&sb, "/_sandbox/faults", json!({"fault": fault, "times": 1})).await;
    }
    delete(&sb, "/_sandbox/faults").await;

    post(&sb, "/_sandbox/onekyc/revoke", json!({})).await;
    let headers = [
        ("x-onekyc-token".to_owned(), token),
        ("x-esign-onboarding-partner".to_owned(), "p".to_owned()),
    ];
    let answer = send(
        &sb,
        "GET",
        "/esign-partner/v1/submissions/urls",
        &headers,
        b"",
    )
    .await;
    assert_eq!(answer.status, 401);

    // A malformed admin request is refused, not half-applied.
    let response = client()
        .post(format!("{}/_sandbox/faults", sb.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"fault":{"kind":"meteor"},"times":1}"#)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());
}

#[tokio::test]
async fn a_malformed_admin_body_gets_a_json_error() {
    let sb = Sandbox::start(SandboxConfig::empty()).await.unwrap();
    // Not JSON, the wrong shape (an unknown field), and JSON not sent as JSON.
    for (body, content_type, status) in [
        ("{\"clientId\": ", "application/json", 400),
        (
            "{\"clientId\": \"p\", \"secret\": \"s\", \"extra\": 1}",
            "application/json",
            422,
        ),
        (
            "{\"clientId\": \"p\", \"secret\": \"s\"}",
            "text/plain",
            415,
        ),
    ] {
        let response = client()
            .post(format!("{}/_sandbox/partners", sb.base_url()))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{body}"
        );
        let answer: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(answer["ok"], false, "{answer}");
        assert!(!answer["error"].as_str().unwrap().is_empty(), "{answer}");
    }
    // A status fault must inject an error status.
    let response = client()
        .post(format!("{}/_sandbox/faults", sb.base_url()))
        .header("content-type", "application/json")
        .body(json!({"fault": {"kind": "status", "status": 200}, "times": 1}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let answer: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(answer["ok"], false, "{answer}");
    // Nothing was registered or injected by the rejected requests.
    let now = sb.admin().now_ms();
    let mut call = Call::new("GET", "/api/v1/partner/stores/catalog/x1", b"", now);
    call.partner = "p";
    call.secret = "s";
    assert_eq!(call.send(&sb).await.code(), "AUTH_004");
}
