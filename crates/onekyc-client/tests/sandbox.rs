//! The client against omni-sandbox over loopback: token endpoint, Esign calls, faults.
//! Where time matters the client gets a `ManualClock` (tokio's paused time cannot drive a
//! server running in another runtime); real expiry uses the sandbox's token lifetime knob.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use omni_sandbox::{Fault, Sandbox, SandboxConfig, demo};
use onekyc_client::{
    Clock, Endpoint, Error, ErrorDetail, ManualClock, Method, OneKycClient, OneKycClientBuilder,
    PartnerHeaders, SUBMISSION_URLS_PATH, StatusCode, TOKEN_PATH, parse_token_response,
};

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts on loopback")
}

fn builder(sandbox: &Sandbox) -> OneKycClientBuilder {
    OneKycClient::builder()
        .token_base_url(sandbox.onekyc_token_base_url())
        .esign_base_url(sandbox.esign_base_url())
        .client_id(demo::ONEKYC_CLIENT_ID)
        .pass_key(demo::ONEKYC_PASS_KEY)
}

fn client(sandbox: &Sandbox) -> OneKycClient {
    builder(sandbox).build().expect("client")
}

fn client_with_clock(sandbox: &Sandbox) -> (OneKycClient, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let client = builder(sandbox)
        .clock(Arc::clone(&clock) as Arc<dyn Clock>)
        .build()
        .expect("client");
    (client, clock)
}

/// The path of a URL under the sandbox, as its request counters key it.
fn path_of(sandbox: &Sandbox, base: &str, path: &str) -> String {
    format!(
        "{}{path}",
        base.strip_prefix(&sandbox.base_url())
            .expect("under the sandbox")
    )
}

fn token_path(sandbox: &Sandbox) -> String {
    path_of(sandbox, &sandbox.onekyc_token_base_url(), TOKEN_PATH)
}

fn esign_path(sandbox: &Sandbox) -> String {
    path_of(sandbox, &sandbox.esign_base_url(), SUBMISSION_URLS_PATH)
}

fn partner() -> PartnerHeaders {
    PartnerHeaders::new(
        "CLIENT_X-BE-CERT_REG",
        "user-12345",
        "CLIENT_X_USER_ID",
        "session-abc-001",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_on_a_cold_cache_make_one_fetch() {
    let sandbox = sandbox().await;
    let admin = sandbox.admin();
    // Holds the one fetch open long enough for every caller to pile up behind it.
    admin.inject_on(
        &token_path(&sandbox),
        Fault::Latency(Duration::from_millis(300)),
        1,
    );
    let client = client(&sandbox);
    let tasks: Vec<_> = (0..1_000)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.token().await })
        })
        .collect();
    let mut values = HashSet::new();
    for task in tasks {
        values.insert(joined(task).await.unwrap().expose_secret().to_owned());
    }
    assert_eq!(values.len(), 1, "everyone got the same token");
    assert_eq!(admin.onekyc_tokens_issued(), 1);
    assert_eq!(admin.request_count(&token_path(&sandbox)), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_sequential_calls_over_ten_clones_make_one_fetch() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let clones: Vec<_> = (0..10).map(|_| client.clone()).collect();
    let first = client.token().await.unwrap();
    for i in 0..10_000 {
        let token = clones[i % 10].token().await.unwrap();
        assert!(token.same_value(&first));
    }
    assert_eq!(sandbox.admin().onekyc_tokens_issued(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_the_margin_a_thousand_callers_get_the_old_token_while_one_refresh_is_held_open() {
    let sandbox = sandbox().await;
    let admin = sandbox.admin();
    let (client, clock) = client_with_clock(&sandbox);
    let old = client.token().await.unwrap();
    clock.advance(Duration::from_secs(1600)); // 200 s left: inside the 300 s margin
    admin.inject_on(
        &token_path(&sandbox),
        Fault::Latency(Duration::from_secs(5)),
        1,
    );
    let tasks: Vec<_> = (0..1_000)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.token().await })
        })
        .collect();
    for task in tasks {
        assert!(joined(task).await.unwrap().same_value(&old));
    }
    // All returned while the refresh was still held by the latency fault.
    assert!(client.token_cache().is_fetching());
    assert_eq!(admin.onekyc_tokens_issued(), 1);
    client.token_cache().settled().await;
    assert_eq!(admin.onekyc_tokens_issued(), 2);
    assert_eq!(admin.request_count(&token_path(&sandbox)), 2);
    assert!(!client.token().await.unwrap().same_value(&old));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_inside_the_margin_then_after_expiry_then_recovered() {
    let sandbox = sandbox().await;
    let admin = sandbox.admin();
    let path = token_path(&sandbox);
    let (client, clock) = client_with_clock(&sandbox);
    let old = client.token().await.unwrap();
    admin.inject_on(&path, Fault::Status(500), 1_000);
    clock.advance(Duration::from_secs(1500));
    // Every simulated second until just before expiry: the old token, no error.
    let mut attempts = Vec::new();
    let mut seen = admin.request_count(&path);
    while clock.monotonic() < Duration::from_secs(1798) {
        let token = client
            .token()
            .await
            .expect("no error while the old token is valid");
        assert!(token.same_value(&old));
        client.token_cache().settled().await;
        let now = admin.request_count(&path);
        if now > seen {
            attempts.push(clock.monotonic());
            seen = now;
        }
        clock.advance(Duration::from_secs(1));
    }
    assert!(attempts.len() >= 2, "it kept trying: {attempts:?}");
    for (i, start) in attempts.iter().enumerate() {
        let in_window = attempts[i..]
            .iter()
            .take_while(|t| **t < *start + Duration::from_secs(60))
            .count();
        assert!(in_window <= 2, "more than 2 fetches in 60 s: {attempts:?}");
    }
    assert_eq!(admin.onekyc_tokens_issued(), 1);

    // After expiry and past any backoff: 100 waiters share one failed attempt, same typed error.
    clock.advance(Duration::from_secs(500));
    let before = admin.request_count(&path);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.token().await })
        })
        .collect();
    for task in tasks {
        let error = joined(task).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::TokenRejected {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    ..
                }
            ),
            "{error:?}"
        );
    }
    assert_eq!(admin.request_count(&path), before + 1);

    // The endpoint recovers; the first call after the backoff succeeds.
    admin.clear_faults();
    assert!(
        client.token().await.is_err(),
        "still inside the backoff: no new attempt"
    );
    assert_eq!(admin.request_count(&path), before + 1);
    clock.advance(Duration::from_secs(500));
    let fresh = client.token().await.expect("recovered");
    assert!(!fresh.same_value(&old));
    assert_eq!(admin.onekyc_tokens_issued(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onekyc_error_arrays_missing_credentials_are_a_typed_400_with_every_cause() {
    let sandbox = sandbox().await;
    // The builder refuses to build without both credentials, so send the raw request the way a
    // misconfigured proxy would, and read the answer with the client's own parser.
    let url = format!("{}{TOKEN_PATH}", sandbox.onekyc_token_base_url());
    let http = reqwest::Client::new();
    let response = http.get(&url).send().await.unwrap();
    let status = response.status();
    let error = parse_token_response(status, &response.bytes().await.unwrap()).unwrap_err();
    match &error {
        Error::MissingCredentials { errors } => assert_eq!(
            errors,
            &vec![
                ErrorDetail::new("1650", "MISSING_CLIENT_ID"),
                ErrorDetail::new("1650", "MISSING_PASS_KEY")
            ]
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));

    let response = http
        .get(&url)
        .header("client-id", demo::ONEKYC_CLIENT_ID)
        .header("pass-key", "")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let error = parse_token_response(status, &response.bytes().await.unwrap()).unwrap_err();
    assert_eq!(
        error.details(),
        [ErrorDetail::new("1650", "MISSING_PASS_KEY")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onekyc_error_arrays_wrong_credentials_are_a_typed_401() {
    let sandbox = sandbox().await;
    for (id, key) in [
        (
            demo::ONEKYC_CLIENT_ID,
            "00000000-0000-4000-8000-000000000000",
        ),
        (
            "11111111-1111-4111-8111-111111111111",
            demo::ONEKYC_PASS_KEY,
        ),
    ] {
        let client = builder(&sandbox)
            .client_id(id)
            .pass_key(key)
            .build()
            .unwrap();
        let error = client.token().await.unwrap_err();
        match &error {
            Error::InvalidCredentials { errors } => {
                assert_eq!(errors, &vec![ErrorDetail::new("110", "UNAUTHORIZED")]);
            }
            other => panic!("{other:?}"),
        }
        let error = client.submission_urls(&partner()).await.unwrap_err();
        assert!(
            matches!(error, Error::InvalidCredentials { .. }),
            "{error:?}"
        );
    }
    assert_eq!(sandbox.admin().onekyc_tokens_issued(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esign_calls_carry_the_token_and_the_partner_headers() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let response = client.submission_urls(&partner()).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["data"]["partner"], "CLIENT_X-BE-CERT_REG");
    assert_eq!(body["data"]["partner_user_id"], "user-12345");
    assert_eq!(body["data"]["partner_user_id_type"], "CLIENT_X_USER_ID");
    assert_eq!(body["data"]["partner_session_id"], "session-abc-001");

    // The generic call without partner headers: a typed 400 naming each missing one, no retry.
    let error = client
        .esign(Method::GET, SUBMISSION_URLS_PATH)
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::EsignStatus {
            status: StatusCode::BAD_REQUEST,
            errors,
        } => {
            assert_eq!(errors.len(), 4);
            assert!(errors.contains(&ErrorDetail::new("1650", "MISSING_PARTNER_SESSION_ID")));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.admin().onekyc_tokens_issued(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onekyc_token_cache_a_revoked_token_recovers_with_one_refetch_and_one_retry() {
    let sandbox = sandbox().await;
    let admin = sandbox.admin();
    let client = client(&sandbox);
    let first = client.token().await.unwrap();
    client.submission_urls(&partner()).await.unwrap();
    admin.revoke_onekyc_tokens();
    client
        .submission_urls(&partner())
        .await
        .expect("recovered by one retry");
    assert_eq!(admin.onekyc_tokens_issued(), 2);
    assert_eq!(admin.request_count(&esign_path(&sandbox)), 3);
    assert!(!client.token().await.unwrap().same_value(&first));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onekyc_token_cache_a_permanent_401_is_returned_after_exactly_one_retry() {
    let sandbox = sandbox().await;
    let admin = sandbox.admin();
    let client = client(&sandbox);
    client.token().await.unwrap();
    admin.inject_on(&esign_path(&sandbox), Fault::Status(401), 2);
    let error = client.submission_urls(&partner()).await.unwrap_err();
    assert!(
        matches!(error, Error::EsignUnauthorized { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(
        admin.request_count(&esign_path(&sandbox)),
        2,
        "one call, one retry"
    );
    assert_eq!(admin.onekyc_tokens_issued(), 2, "one refetch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onekyc_token_cache_a_hundred_simultaneous_401s_on_one_token_cause_one_refetch() {
    let sandbox = sandbox().await;
    let admin = sandbox.admin();
    let client = client(&sandbox);
    client.token().await.unwrap();
    admin.revoke_onekyc_tokens();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.submission_urls(&partner()).await })
        })
        .collect();
    for task in tasks {
        joined(task).await.expect("each call recovered");
    }
    assert_eq!(admin.onekyc_tokens_issued(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_expiry_with_a_short_sandbox_lifetime_never_serves_an_expired_token() {
    let sandbox = sandbox().await;
    let admin = sandbox.admin();
    admin.set_onekyc_token_lifetime(Duration::from_secs(2));
    let client = client(&sandbox);
    let first = client.token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let second = client.token().await.unwrap();
    assert!(!second.same_value(&first));
    client
        .submission_urls(&partner())
        .await
        .expect("the fresh token is accepted");
    assert_eq!(
        admin.request_count(&esign_path(&sandbox)),
        1,
        "no 401 round trip"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_endpoint_fails_callers_after_the_timeout() {
    let sandbox = sandbox().await;
    sandbox.admin().inject_on(
        &token_path(&sandbox),
        Fault::Latency(Duration::from_secs(5)),
        1,
    );
    let client = builder(&sandbox)
        .token_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let (a, b) = tokio::join!(client.token(), client.token());
    for result in [a, b] {
        let timed_out = matches!(
            &result,
            Err(Error::Timeout {
                endpoint: Endpoint::Token,
                ..
            })
        );
        assert!(timed_out, "{result:?}");
    }
    assert_eq!(sandbox.admin().request_count(&token_path(&sandbox)), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_esign_call_names_the_esign_endpoint() {
    let sandbox = sandbox().await;
    sandbox.admin().inject_on(
        &esign_path(&sandbox),
        Fault::Latency(Duration::from_secs(5)),
        1,
    );
    let client = builder(&sandbox)
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = client.submission_urls(&partner()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                endpoint: Endpoint::Esign,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("Esign endpoint"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_a_transport_error() {
    let sandbox = sandbox().await;
    sandbox
        .admin()
        .inject_on(&token_path(&sandbox), Fault::DropConnection, 1);
    let error = client(&sandbox).token().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                endpoint: Endpoint::Token,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborting_the_first_caller_mid_fetch_leaves_one_fetch_for_the_others() {
    let sandbox = sandbox().await;
    let admin = sandbox.admin();
    let path = token_path(&sandbox);
    admin.inject_on(&path, Fault::Latency(Duration::from_millis(500)), 1);
    let client = client(&sandbox);
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.token().await })
    };
    // Bounded wait until the first caller's fetch reached the server.
    for _ in 0..500 {
        if admin.request_count(&path) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(admin.request_count(&path), 1);
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    let others: Vec<_> = (0..10)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.token().await })
        })
        .collect();
    for task in others {
        task.await
            .unwrap()
            .expect("the fetch survived its first caller");
    }
    assert_eq!(admin.onekyc_tokens_issued(), 1);
    assert_eq!(admin.request_count(&path), 1);
}

/// Turns a hang (what a single-flight bug looks like) into a failure; not a speed assertion.
async fn joined<T>(task: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("task hung")
        .expect("task panicked")
}
