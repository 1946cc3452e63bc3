//! Shared helpers: a sandbox on loopback and clients configured for it.
#![allow(dead_code)]

use std::time::Duration;

use omni_client::{OmniClient, OmniClientBuilder, RetryPolicy};
use omni_sandbox::{Sandbox, SandboxConfig, demo};

pub(crate) const CATALOG_PATH: &str =
    "/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e";
pub(crate) const SYNC_PATH: &str = "/partner/stores/catalog/sync";

pub(crate) async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.unwrap()
}

/// Short backoff so retry tests do not wait long (the behaviour is the same).
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(10), Duration::from_millis(40))
}

pub(crate) fn builder(sandbox: &Sandbox) -> OmniClientBuilder {
    OmniClient::builder()
        .base_url(&sandbox.omni_base_url())
        .client_id(demo::PARTNER_CLIENT_ID)
        .secret_key(demo::PARTNER_SECRET)
        .retry_policy(fast_retries())
}

pub(crate) fn client(sandbox: &Sandbox) -> OmniClient {
    builder(sandbox).build().unwrap()
}

/// The request count key of an Omni path: the full path sent, `/api/v1` included.
pub(crate) fn sent(path: &str) -> String {
    format!("/api/v1{path}")
}

/// A requestId as the sandbox writes it: a hyphenated UUID.
pub(crate) fn assert_uuid(id: Option<&str>) {
    let id = id.expect("requestId");
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(id.matches('-').count(), 4, "{id}");
}
