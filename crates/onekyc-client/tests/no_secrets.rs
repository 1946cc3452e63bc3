//! `secrets-never-shown`: neither the pass key nor any token shows up in `Debug`, `Display` or a
//! TRACE-level log of a full cycle (fetch, Esign call, 401, refetch, retry, failures).
//! Its own test binary because it installs the process-wide subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omni_sandbox::{Fault, Sandbox, SandboxConfig, demo};
use onekyc_client::{
    MemorySharedStore, OneKycClient, PartnerHeaders, SUBMISSION_URLS_PATH, SharedStore, TOKEN_PATH,
};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_shown_no_token_or_pass_key_in_debug_display_or_trace_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    // Everything at TRACE, including reqwest/hyper (their `log` records are bridged), except
    // the sandbox: it is the server side and not this crate's output.
    tracing_subscriber::fmt()
        .with_env_filter("trace,omni_sandbox=off")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber in this binary");

    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let admin = sandbox.admin();
    // Two clients of one fleet: the shared layer's path is logged too.
    let fleet_store: Arc<dyn SharedStore> = Arc::new(MemorySharedStore::new());
    let fleet_client = || {
        OneKycClient::builder()
            .token_base_url(sandbox.onekyc_token_base_url())
            .esign_base_url(sandbox.esign_base_url())
            .client_id(demo::ONEKYC_CLIENT_ID)
            .pass_key(demo::ONEKYC_PASS_KEY)
            .shared_store(Arc::clone(&fleet_store))
            .build()
            .unwrap()
    };
    let client = fleet_client();
    let peer = fleet_client();
    let partner = PartnerHeaders::new(
        "CLIENT_X-BE-CERT_REG",
        "user-12345",
        "CLIENT_X_USER_ID",
        "session-abc-001",
    );

    let mut tokens = Vec::new();
    let first = client.token().await.unwrap();
    tokens.push(first.expose_secret().to_owned());
    client.submission_urls(&partner).await.unwrap();
    admin.revoke_onekyc_tokens();
    client.submission_urls(&partner).await.unwrap(); // 401, refetch, retry
    let second = client.token().await.unwrap();
    tokens.push(second.expose_secret().to_owned());
    assert_ne!(tokens[0], tokens[1]);
    assert!(peer.token().await.unwrap().same_value(&second));

    // Failures: a refresh that fails, an Esign 401 twice, wrong credentials.
    admin.inject_on(
        &format!("/onekyc{SUBMISSION_URLS_PATH}"),
        Fault::Status(401),
        2,
    );
    let esign_error = client.submission_urls(&partner).await.unwrap_err();
    let third = client.token().await.unwrap();
    tokens.push(third.expose_secret().to_owned());
    let wrong = OneKycClient::builder()
        .token_base_url(sandbox.onekyc_token_base_url())
        .esign_base_url(sandbox.esign_base_url())
        .client_id(demo::ONEKYC_CLIENT_ID)
        .pass_key("00000000-0000-4000-8000-000000000000")
        .build()
        .unwrap();
    let credential_error = wrong.token().await.unwrap_err();
    let timeout_client = OneKycClient::builder()
        .token_base_url(sandbox.onekyc_token_base_url())
        .esign_base_url(sandbox.esign_base_url())
        .client_id(demo::ONEKYC_CLIENT_ID)
        .pass_key(demo::ONEKYC_PASS_KEY)
        .token_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    admin.inject_on(
        &format!("/onekyc-token{TOKEN_PATH}"),
        Fault::Latency(Duration::from_secs(2)),
        1,
    );
    let timeout_error = timeout_client.token().await.unwrap_err();

    let shown = format!(
        "{client:?}\n{:?}\n{first:?}\n{second:?}\n{esign_error:?}\n{esign_error}\n{credential_error:?}\n\
         {credential_error}\n{timeout_error:?}\n{timeout_error}\n{wrong:?}\n{peer:?}",
        client.token_cache()
    );
    let logs = capture.text();
    assert!(
        logs.contains("OneKYC partner token cached"),
        "the capture works:\n{logs}"
    );
    assert!(
        logs.contains("Esign answered 401"),
        "the 401 path was logged:\n{logs}"
    );
    assert!(
        logs.contains("OneKYC token taken from the shared store"),
        "the fleet path was logged:\n{logs}"
    );
    assert!(
        logs.contains("TRACE onekyc_client"),
        "TRACE records were captured:\n{logs}"
    );
    for (what, text) in [("Debug/Display", &shown), ("logs", &logs)] {
        assert!(
            !text.contains(demo::ONEKYC_PASS_KEY),
            "pass key in {what}:\n{text}"
        );
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "token in {what}:\n{text}");
        }
        assert!(
            !text.contains("sbx_okyc."),
            "a token prefix in {what}:\n{text}"
        );
    }
    sandbox.shutdown().await;
}
