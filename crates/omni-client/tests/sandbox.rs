//! OmniClient against omni-sandbox over loopback: endpoints, typed errors, clock skew, faults.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use omni_client::{ApiErrorCode, Error, Method, OffsetClock, OmniClient, RetryPolicy, SystemClock};
use omni_sandbox::{Fault, demo};
use omni_sign::BodyHash;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Endpoints

#[tokio::test]
async fn onboard_session_end_to_end_and_the_seller_page_accepts_its_url() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let before = SystemTime::now();
    let session = client
        .onboard_session("https://partner.example/omni/done?x=1")
        .await
        .unwrap();
    assert!(!session.sid.is_empty());
    assert_uuid(session.request_id.as_deref());
    assert!(
        session
            .onboard_url
            .starts_with(&format!("{}/auth/partner?", sandbox.base_url())),
        "{}",
        session.onboard_url
    );
    // `onboard-expiry`: never later than receipt + 180 s, and the sandbox's exp (iat + 180 s,
    // iat truncated to seconds) is within a second of that.
    let latest = SystemTime::now() + Duration::from_secs(180);
    assert!(session.expires_at <= latest);
    assert!(session.expires_at >= before + Duration::from_secs(178));
    assert!(!session.is_expired());
    assert_eq!(
        sandbox
            .admin()
            .request_count(&sent("/partner/onboard/sessions")),
        1
    );

    // The seller opens the URL.
    let page = reqwest::get(&session.onboard_url).await.unwrap();
    assert_eq!(page.status(), 200);
    let page: Value = serde_json::from_slice(&page.bytes().await.unwrap()).unwrap();
    assert_eq!(page["data"]["sid"], session.sid.as_str());
    assert_eq!(
        page["data"]["redirectUri"],
        "https://partner.example/omni/done?x=1"
    );
}

#[tokio::test]
async fn onboard_session_with_an_invalid_redirect_uri_is_val_001() {
    let sandbox = sandbox().await;
    let err = client(&sandbox)
        .onboard_session("not-a-url")
        .await
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.code, ApiErrorCode::Validation);
    assert_eq!(api.status, 400);
    assert!(api.message.contains("redirectUri"), "{}", api.message);
    assert_uuid(err.request_id());
}

#[tokio::test]
async fn store_scoped_get_signs_both_store_headers_and_not_the_query() {
    let sandbox = sandbox().await;
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let response = store
        .get(CATALOG_PATH)
        .query("lang", "id")
        .query("q", "a b&c")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_uuid(response.request_id());
    let body: Value = response.json().unwrap();
    assert_eq!(body["data"]["storeClientId"], demo::STORE_CLIENT_ID);
    assert_eq!(body["data"]["verified"]["path"], CATALOG_PATH);
    assert_eq!(body["data"]["verified"]["method"], "GET");
    assert_eq!(
        body["data"]["verified"]["bodyHash"],
        BodyHash::EMPTY.to_string()
    );
    assert_eq!(body["requestId"], response.request_id().unwrap());
}

#[tokio::test]
async fn store_scoped_post_hashes_and_sends_the_same_stringified_bytes() {
    let sandbox = sandbox().await;
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    // Key order and number forms as JSON.stringify writes them (`json-stringify-form`).
    let payload = json!({ "name": "Sample", "sku": "SKU-1", "price": 1.0, "qty": 1e21 });
    let expected = omni_json::stringify(&payload, omni_json::Mode::Strict)
        .unwrap()
        .json;
    let response = store
        .request(Method::POST, SYNC_PATH)
        .json(&payload)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().unwrap();
    assert_eq!(body["data"]["bodyBytes"], expected.len());
    assert_eq!(
        body["data"]["verified"]["bodyHash"],
        BodyHash::of(expected.as_bytes()).to_string()
    );
    assert_eq!(body["data"]["verified"]["path"], SYNC_PATH);

    // Raw bytes are sent as given, pretty-printing included.
    let raw = b"{\n  \"sku\": \"SKU-1\"\n}".to_vec();
    let response = store
        .post(SYNC_PATH)
        .header("content-type", "application/json")
        .body_bytes(raw.clone())
        .send()
        .await
        .unwrap();
    let body: Value = response.json().unwrap();
    assert_eq!(body["data"]["bodyBytes"], raw.len());
    assert_eq!(
        body["data"]["verified"]["bodyHash"],
        BodyHash::of(&raw).to_string()
    );
}

#[tokio::test]
async fn an_unsafe_integer_in_a_typed_body_is_refused_before_sending() {
    let sandbox = sandbox().await;
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let err = store
        .post(SYNC_PATH)
        .json(&json!({ "id": 9_007_199_254_740_993u64 }))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidJsonBody(_)), "{err:?}");
    assert_eq!(sandbox.admin().request_count(&sent(SYNC_PATH)), 0);
}

#[tokio::test]
async fn bare_hex_signatures_are_accepted_by_the_lenient_sandbox() {
    let sandbox = sandbox().await;
    let client = builder(&sandbox)
        .signature_format(omni_client::SignatureFormat::BareHex)
        .build()
        .unwrap();
    let session = client.onboard_session("https://partner.example/done").await;
    assert!(session.is_ok(), "{session:?}");
}

// ---------------------------------------------------------------------------------------------
// Every sandbox error the client can meet, typed, with its requestId (`request-id-kept`)

#[tokio::test]
async fn a_wrong_secret_is_auth_002_with_the_redacted_base_string_the_client_signed() {
    let sandbox = sandbox().await;
    sandbox.admin().set_debug(true);
    let store = builder(&sandbox)
        .secret_key("not-the-secret")
        .build()
        .unwrap()
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let err = store.get(CATALOG_PATH).send().await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.code, ApiErrorCode::InvalidSignature);
    assert_eq!(api.status, 401);
    assert_uuid(err.request_id());
    // The client's redacted base string is the server's: only the key differed.
    assert_eq!(
        api.details["baseString"].as_str().unwrap(),
        api.signed_base_string
    );
    assert!(api.signed_base_string.contains("x-store-token:REDACTED"));
    assert!(!format!("{err} {err:?}").contains(demo::STORE_TOKEN));
    // Not retried: an authentication failure is not transient.
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 1);
}

#[tokio::test]
async fn an_unknown_partner_is_auth_004() {
    let sandbox = sandbox().await;
    let err = builder(&sandbox)
        .client_id("ptnr_nobody")
        .build()
        .unwrap()
        .onboard_session("https://partner.example/done")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ApiErrorCode::UnknownPartner));
    assert_uuid(err.request_id());
}

#[tokio::test]
async fn a_wrong_store_token_is_auth_005_and_never_shown() {
    let sandbox = sandbox().await;
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, "stkn_wrong_token_value")
        .unwrap();
    let err = store.get(CATALOG_PATH).send().await.unwrap_err();
    assert_eq!(err.code(), Some(&ApiErrorCode::InvalidStoreCredentials));
    assert_uuid(err.request_id());
    let shown = format!("{err} {err:?} {store:?}");
    assert!(!shown.contains("stkn_wrong_token_value"), "{shown}");
}

#[tokio::test]
async fn a_store_route_without_store_delegation_is_val_001() {
    let sandbox = sandbox().await;
    let err = client(&sandbox).get(CATALOG_PATH).send().await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.code, ApiErrorCode::Validation);
    assert_eq!(api.message, "storeId is required");
    assert_uuid(err.request_id());
}

#[tokio::test]
async fn unknown_routes_and_methods_keep_their_codes() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let err = client
        .get("/partner/nothing/here")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ApiErrorCode::Unknown("ROUTE_001".into())));
    assert_eq!(err.api().unwrap().status, 404);
    assert_uuid(err.request_id());
    let err = client
        .request(Method::DELETE, "/partner/onboard/sessions")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ApiErrorCode::Unknown("ROUTE_002".into())));
    assert_uuid(err.request_id());
}

// ---------------------------------------------------------------------------------------------
// Clock skew (`retry-resigns`)

const TEN_MINUTES_MS: i64 = 600_000;

#[tokio::test]
async fn skew_of_ten_minutes_is_learnt_on_the_first_call_and_later_calls_need_no_retry() {
    let sandbox = sandbox().await;
    sandbox.admin().shift_clock(TEN_MINUTES_MS);
    let client = client(&sandbox);
    let store = client
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    store.get(CATALOG_PATH).send().await.unwrap();
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 2);
    let offset = client.skew_offset_ms();
    assert!(
        (TEN_MINUTES_MS - 2_000..=TEN_MINUTES_MS + 2_000).contains(&offset),
        "{offset}"
    );

    sandbox.admin().reset_counts();
    for _ in 0..3 {
        store.get(CATALOG_PATH).send().await.unwrap();
    }
    client
        .onboard_session("https://partner.example/done")
        .await
        .unwrap();
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 3);
    assert_eq!(
        sandbox
            .admin()
            .request_count(&sent("/partner/onboard/sessions")),
        1
    );
}

#[tokio::test]
async fn skew_retry_applies_to_post_and_the_session_expiry_is_on_the_local_clock() {
    let sandbox = sandbox().await;
    sandbox.admin().shift_clock(TEN_MINUTES_MS);
    let session = client(&sandbox)
        .onboard_session("https://partner.example/done")
        .await
        .unwrap();
    assert_eq!(
        sandbox
            .admin()
            .request_count(&sent("/partner/onboard/sessions")),
        2
    );
    // The token's exp is 10 minutes ahead on the server's clock; taken back onto the local
    // clock, the session still has about 3 minutes, not 13.
    assert!(session.remaining() <= Duration::from_secs(180));
    assert!(session.remaining() >= Duration::from_secs(170));
}

#[tokio::test]
async fn an_injected_client_clock_ten_minutes_slow_is_corrected_too() {
    let sandbox = sandbox().await;
    let client = builder(&sandbox)
        .clock(std::sync::Arc::new(OffsetClock::new(
            SystemClock::new(),
            -TEN_MINUTES_MS,
        )))
        .build()
        .unwrap();
    client
        .onboard_session("https://partner.example/done")
        .await
        .unwrap();
    let offset = client.skew_offset_ms();
    assert!(
        (TEN_MINUTES_MS - 2_000..=TEN_MINUTES_MS + 2_000).contains(&offset),
        "{offset}"
    );
}

#[tokio::test]
async fn without_skew_correction_ten_minutes_fails_with_auth_003_and_the_age() {
    let sandbox = sandbox().await;
    sandbox.admin().shift_clock(TEN_MINUTES_MS);
    let client = builder(&sandbox).skew_correction(false).build().unwrap();
    let err = client
        .onboard_session("https://partner.example/done")
        .await
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.code, ApiErrorCode::ExpiredTimestamp);
    assert_eq!(api.code.as_str(), "AUTH_003");
    let age = api.age_seconds().unwrap();
    assert!((599..=601).contains(&age), "{age}");
    assert!(err.to_string().contains("ageSeconds"), "{err}");
    assert_uuid(err.request_id());
    assert_eq!(client.skew_offset_ms(), 0);
    assert_eq!(
        sandbox
            .admin()
            .request_count(&sent("/partner/onboard/sessions")),
        1
    );
}

#[tokio::test]
async fn a_stale_offset_heals_on_the_next_auth_003() {
    let sandbox = sandbox().await;
    sandbox.admin().shift_clock(TEN_MINUTES_MS);
    let client = client(&sandbox);
    client
        .onboard_session("https://partner.example/done")
        .await
        .unwrap();
    // The server's clock jumps to 10 minutes behind: the learnt +10 min is now 20 min wrong.
    sandbox.admin().shift_clock(-2 * TEN_MINUTES_MS);
    sandbox.admin().reset_counts();
    client
        .onboard_session("https://partner.example/done")
        .await
        .unwrap();
    assert_eq!(
        sandbox
            .admin()
            .request_count(&sent("/partner/onboard/sessions")),
        2
    );
    let offset = client.skew_offset_ms();
    assert!(
        (-TEN_MINUTES_MS - 2_000..=-TEN_MINUTES_MS + 2_000).contains(&offset),
        "{offset}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_in_parallel_each_recover() {
    let sandbox = sandbox().await;
    sandbox.admin().shift_clock(TEN_MINUTES_MS);
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.get(CATALOG_PATH).send().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let count = sandbox.admin().request_count(&sent(CATALOG_PATH));
    assert!((9..=16).contains(&count), "{count}");
}

// ---------------------------------------------------------------------------------------------
// Faults: retries and errors, never a panic or a hang

#[tokio::test]
async fn a_5xx_on_get_is_retried_with_a_fresh_signature_until_it_succeeds() {
    let sandbox = sandbox().await;
    sandbox.admin().inject(Fault::Status(503), 2);
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let response = store.get(CATALOG_PATH).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 3);
}

#[tokio::test]
async fn persistent_5xx_stops_after_the_policy_and_keeps_the_request_id() {
    let sandbox = sandbox().await;
    sandbox.admin().inject(Fault::Status(500), 10);
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let err = store.get(CATALOG_PATH).send().await.unwrap_err();
    assert_eq!(err.api().unwrap().status, 500);
    assert_eq!(err.code(), Some(&ApiErrorCode::Unknown("FAULT_001".into())));
    assert_uuid(err.request_id());
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 3);
}

#[tokio::test]
async fn a_5xx_on_post_is_not_retried_unless_the_request_opts_in() {
    let sandbox = sandbox().await;
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    sandbox.admin().inject(Fault::Status(502), 1);
    let err = store
        .post(SYNC_PATH)
        .json(&json!({}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().status, 502);
    assert_eq!(sandbox.admin().request_count(&sent(SYNC_PATH)), 1);

    sandbox.admin().reset_counts();
    sandbox.admin().inject(Fault::Status(502), 1);
    store
        .post(SYNC_PATH)
        .json(&json!({}))
        .retry_non_idempotent(true)
        .send()
        .await
        .unwrap();
    assert_eq!(sandbox.admin().request_count(&sent(SYNC_PATH)), 2);
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let sandbox = sandbox().await;
    sandbox.admin().inject(
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        1,
    );
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let started = Instant::now();
    store.get(CATALOG_PATH).send().await.unwrap();
    // A behaviour check, not a speed one: the retry may not come before Retry-After.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 2);
}

#[tokio::test]
async fn a_429_asking_for_longer_than_the_policy_allows_is_returned_at_once() {
    let sandbox = sandbox().await;
    sandbox.admin().inject(
        Fault::TooManyRequests {
            retry_after_secs: 3600,
        },
        1,
    );
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let err = store.get(CATALOG_PATH).send().await.unwrap_err();
    assert_eq!(err.api().unwrap().status, 429);
    assert_eq!(err.code(), Some(&ApiErrorCode::Unknown("RATE_001".into())));
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_get_and_a_transport_error_for_post() {
    let sandbox = sandbox().await;
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    sandbox.admin().inject(Fault::DropConnection, 1);
    store.get(CATALOG_PATH).send().await.unwrap();
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 2);

    sandbox.admin().inject(Fault::DropConnection, 1);
    let err = store
        .post(SYNC_PATH)
        .json(&json!({}))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(sandbox.admin().request_count(&sent(SYNC_PATH)), 1);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_an_excerpt() {
    let sandbox = sandbox().await;
    sandbox.admin().inject(Fault::MalformedJson, 1);
    let err = client(&sandbox)
        .onboard_session("https://partner.example/done")
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            status, excerpt, ..
        } => {
            assert_eq!(*status, 200);
            assert!(!excerpt.is_empty());
        }
        other => panic!("expected a decode error, got {other:?}"),
    }

    // The raw response is still available to a caller who wants it.
    sandbox.admin().inject(Fault::MalformedJson, 1);
    let store = client(&sandbox)
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let response = store.get(CATALOG_PATH).send().await.unwrap();
    assert!(!response.bytes().is_empty());
    assert!(matches!(
        response.json::<Value>(),
        Err(Error::Decode { .. })
    ));
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_retried_for_get_and_a_timeout_error_for_post() {
    let sandbox = sandbox().await;
    let client = builder(&sandbox)
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let store = client
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    sandbox
        .admin()
        .inject(Fault::Latency(Duration::from_secs(3)), 1);
    store.get(CATALOG_PATH).send().await.unwrap();
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 2);

    sandbox
        .admin()
        .inject(Fault::Latency(Duration::from_secs(3)), 1);
    let err = client
        .onboard_session("https://partner.example/done")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");

    // Every attempt times out: bounded by the policy (1 + 2 attempts), then the error.
    sandbox.admin().reset_counts();
    sandbox
        .admin()
        .inject(Fault::Latency(Duration::from_secs(3)), 10);
    let err = store.get(CATALOG_PATH).send().await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(sandbox.admin().request_count(&sent(CATALOG_PATH)), 3);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    // A loopback port with nothing listening.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = OmniClient::builder()
        .base_url(&format!("http://127.0.0.1:{port}/api/v1"))
        .client_id(demo::PARTNER_CLIENT_ID)
        .secret_key(demo::PARTNER_SECRET)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    // With retries off the connect error comes back at once, typed.
    let err = client
        .onboard_session("https://partner.example/done")
        .await
        .unwrap_err();
    match &err {
        Error::Transport(e) => assert!(e.is_connect(), "{e:?}"),
        other => panic!("expected a transport error, got {other:?}"),
    }
}
