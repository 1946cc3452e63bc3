//! Injected faults, each observable from a client, and the request counters.

mod common;

use std::time::{Duration, Instant};

use common::{client, get, sandbox};
use omni_sandbox::Fault;

const PATH: &str = "/v1/esign/partner/authentication";

/// The code of a OneKYC error body, `{"success":false,"errors":[{"code","cause"}]}`.
fn onekyc_code(answer: &common::Answer) -> String {
    let body = answer.json();
    assert_eq!(body["success"], false, "{body}");
    body["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn status_fault_applies_to_the_next_n_requests_only() {
    let sb = sandbox().await;
    sb.admin().inject(Fault::Status(503), 2);
    for _ in 0..2 {
        let answer = get(&sb, PATH, &[]).await;
        assert_eq!(answer.status, 503);
        // A OneKYC route answers in OneKYC's error shape.
        assert_eq!(onekyc_code(&answer), "FAULT_001");
    }
    // Served normally again: the missing-header answer of the real route.
    assert_eq!(get(&sb, PATH, &[]).await.status, 400);
    assert_eq!(sb.admin().request_count(PATH), 3);
}

#[tokio::test]
async fn faults_answer_in_the_shape_of_the_routes_api() {
    let sb = sandbox().await;
    let omni = "/api/v1/partner/stores/catalog/x1";
    let onekyc = [
        PATH,
        "/onekyc-token/v1/esign/partner/authentication",
        "/esign-partner/v1/submissions/urls",
        "/onekyc/esign-partner/v1/submissions/urls",
    ];
    sb.admin()
        .inject(Fault::Status(502), 1 + onekyc.len() as u32);
    let answer = get(&sb, omni, &[]).await;
    assert_eq!((answer.status, answer.code().as_str()), (502, "FAULT_001"));
    answer.request_id();
    for path in onekyc {
        let answer = get(&sb, path, &[]).await;
        assert_eq!(answer.status, 502, "{path}");
        assert_eq!(onekyc_code(&answer), "FAULT_001", "{path}");
    }
    sb.admin().inject(
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        1,
    );
    let answer = get(&sb, omni, &[]).await;
    assert_eq!((answer.status, answer.code().as_str()), (429, "RATE_001"));
}

#[tokio::test]
async fn a_status_fault_is_always_an_error_status() {
    let sb = sandbox().await;
    // Not an error status, or not a status at all: answered as 500, never a success.
    for status in [200, 204, 302, 99, 1000] {
        sb.admin().inject(Fault::Status(status), 1);
        let answer = get(&sb, PATH, &[]).await;
        assert_eq!(answer.status, 500, "{status}");
        assert_eq!(onekyc_code(&answer), "FAULT_001", "{status}");
    }
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let sb = sandbox().await;
    sb.admin().inject(
        Fault::TooManyRequests {
            retry_after_secs: 7,
        },
        1,
    );
    let answer = get(&sb, PATH, &[]).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.headers["retry-after"], "7");
    assert_eq!(onekyc_code(&answer), "RATE_001");
}

#[tokio::test]
async fn latency_delays_then_serves() {
    let sb = sandbox().await;
    sb.admin()
        .inject(Fault::Latency(Duration::from_millis(300)), 1);
    let start = Instant::now();
    let answer = get(&sb, PATH, &[]).await;
    // A lower bound only: the fault happened; nothing here measures speed.
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer.status, 400);
}

#[tokio::test]
async fn dropped_connection_is_a_connection_error_not_a_hang() {
    let sb = sandbox().await;
    sb.admin().inject(Fault::DropConnection, 1);
    let url = format!("{}{PATH}", sb.base_url());
    let result = tokio::time::timeout(Duration::from_secs(30), client().get(&url).send())
        .await
        .expect("the client must see the connection close, not wait for an answer");
    let error = result.expect_err("no answer may arrive");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(error.status().is_none(), "{error:?}");
    // The next request is served.
    assert_eq!(get(&sb, PATH, &[]).await.status, 400);
    assert_eq!(sb.admin().request_count(PATH), 2);
}

#[tokio::test]
async fn malformed_json_body() {
    let sb = sandbox().await;
    sb.admin().inject(Fault::MalformedJson, 1);
    let answer = get(&sb, PATH, &[]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert!(serde_json::from_str::<serde_json::Value>(&answer.text).is_err());
}

#[tokio::test]
async fn inject_on_matches_a_prefix_and_spares_the_admin_api() {
    let sb = sandbox().await;
    let admin = sb.admin();
    admin.inject_on("/esign-partner/", Fault::Status(500), 1);
    // Neither another path nor the admin API consumes it.
    assert_eq!(get(&sb, PATH, &[]).await.status, 400);
    assert_eq!(get(&sb, "/_sandbox/clock", &[]).await.status, 200);
    let answer = get(&sb, "/esign-partner/v1/submissions/urls", &[]).await;
    assert_eq!(answer.status, 500);
    assert_eq!(
        get(&sb, "/esign-partner/v1/submissions/urls", &[])
            .await
            .status,
        401
    );
    assert_eq!(admin.request_count("/_sandbox/clock"), 0);

    admin.inject(Fault::Status(502), 5);
    admin.clear_faults();
    assert_eq!(get(&sb, PATH, &[]).await.status, 400);
}

#[tokio::test]
async fn counts_are_per_path_without_query_and_reset() {
    let sb = sandbox().await;
    let admin = sb.admin();
    get(&sb, &format!("{PATH}?a=1"), &[]).await;
    get(&sb, PATH, &[]).await;
    get(&sb, "/somewhere", &[]).await;
    assert_eq!(admin.request_count(PATH), 2);
    assert_eq!(admin.request_count("/somewhere"), 1);
    assert_eq!(admin.request_counts().len(), 2);
    admin.reset_counts();
    assert_eq!(admin.request_count(PATH), 0);
}
