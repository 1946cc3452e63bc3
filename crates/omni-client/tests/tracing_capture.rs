//! Captures every tracing event of a full run (all levels, all targets, reqwest and hyper
//! included) and checks that no secret, store token or signature appears (`secrets-never-shown`), while the spans do carry method, path, status and requestId.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use omni_client::Method;
use omni_sandbox::{Fault, demo};
use serde_json::json;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

// current_thread: the subscriber set as default below sees every task of the test, the
// sandbox's included.
#[tokio::test(flavor = "current_thread")]
async fn a_full_run_logs_no_secret_token_or_signature() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = sandbox().await;
    sandbox.admin().set_debug(true);
    sandbox.admin().shift_clock(600_000);
    let client = builder(&sandbox)
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let store = client
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();

    // Skew recovery (warning), onboarding, store GET and POST.
    let session = client
        .onboard_session("https://partner.example/done")
        .await
        .unwrap();
    store
        .get(CATALOG_PATH)
        .query("lang", "id")
        .send()
        .await
        .unwrap();
    store
        .request(Method::POST, SYNC_PATH)
        .json(&json!({ "sku": "SKU-1" }))
        .send()
        .await
        .unwrap();
    // Retries: 5xx, 429, a dropped connection, a timeout.
    sandbox.admin().inject(Fault::Status(503), 1);
    store.get(CATALOG_PATH).send().await.unwrap();
    sandbox.admin().inject(
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        1,
    );
    store.get(CATALOG_PATH).send().await.unwrap();
    sandbox.admin().inject(Fault::DropConnection, 1);
    store.get(CATALOG_PATH).send().await.unwrap();
    sandbox
        .admin()
        .inject(Fault::Latency(Duration::from_secs(2)), 1);
    store.get(CATALOG_PATH).send().await.unwrap();
    // Errors: a wrong store token, a wrong secret (with the debug base string).
    let wrong_store = client
        .store(demo::STORE_CLIENT_ID, "stkn_wrong_token_in_a_log")
        .unwrap();
    let err = wrong_store.get(CATALOG_PATH).send().await.unwrap_err();
    tracing::error!(error = %err, debug = ?err, "caller logs the error");
    let wrong_secret = builder(&sandbox)
        .secret_key("wrong-secret-in-a-log")
        .build()
        .unwrap()
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let err = wrong_secret.get(CATALOG_PATH).send().await.unwrap_err();
    tracing::error!(error = %err, debug = ?err, "caller logs the error");
    tracing::info!(session = ?session, client = ?client, store = ?store, "caller logs its values");

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    if std::env::var_os("OMNI_SHOW_LOG").is_some() {
        println!("{text}");
    }
    // The capture works and the spans carry what they should.
    assert!(text.contains("omni_request"), "{text}");
    assert!(text.contains("method=GET"), "{text}");
    assert!(text.contains("method=POST"), "{text}");
    assert!(text.contains(&format!("path={CATALOG_PATH}")), "{text}");
    assert!(text.contains("status=200"), "{text}");
    assert!(text.contains("status=401"), "{text}");
    assert!(
        text.contains(&format!(
            "request_id={}",
            session.request_id.as_deref().unwrap()
        )),
        "{text}"
    );
    assert!(text.contains("retrying"), "{text}");
    assert!(text.contains("local clock differs"), "{text}");
    // No secret, token or signature.
    for secret in [
        demo::PARTNER_SECRET,
        demo::STORE_TOKEN,
        "stkn_wrong_token_in_a_log",
        "wrong-secret-in-a-log",
        "sha256=",
        "x-signature:",
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} appears in the log:\n{text}"
        );
    }
    // The onboard token (a bearer credential for the seller page) is not logged either.
    let token = session
        .onboard_url
        .split("token=")
        .nth(1)
        .and_then(|t| t.split('&').next())
        .unwrap();
    assert!(
        !text.contains(token),
        "the onboard token appears in the log"
    );
}
