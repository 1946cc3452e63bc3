//! `omni demo`: the whole mission against the embedded sandbox, every step showing what was
//! sent and what came back, secrets masked.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use omni_client::{OmniClient, RetryPolicy};
use omni_diagnose::{BodyForm, DiagnoseOptions, Pitfall, Received, diagnose};
use omni_sandbox::{Sandbox, SandboxConfig, demo};
use omni_sign::{BodyHash, CanonicalRequest, SignedHeaders, Signer, Timestamp};
use onekyc_client::{OneKycClient, PartnerHeaders};

use crate::api::innermost;
use crate::error::CliError;
use crate::verify;

const EXAMPLES: &str = "\
Example:
  cargo run --release -p omni-cli -- demo

Starts the sandbox in-process on a free loopback port, runs six steps against it and stops.";

/// `omni demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct DemoArgs {}

/// The clock the demo's Omni client stamps x-timestamp with: set before each step, so the
/// headers shown are the headers sent.
#[derive(Debug, Clone, Default)]
struct StepClock(Arc<AtomicU64>);

impl omni_client::Clock for StepClock {
    fn monotonic(&self) -> Duration {
        self.wall()
    }

    fn wall(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }
}

fn fail(message: impl Into<String>) -> CliError {
    CliError::Sandbox(message.into())
}

fn step(n: u32, title: &str) {
    println!("\n== Step {n}/6: {title}");
}

/// The onboard URL with its session token masked.
fn mask_token_param(url: &str) -> String {
    match url.split_once("token=") {
        Some((head, tail)) => {
            let rest = tail.find('&').map_or("", |i| &tail[i..]);
            format!("{head}token={}{rest}", omni_sign::REDACTED)
        }
        None => url.to_owned(),
    }
}

/// Prints the request line, the signed headers (store token masked) and the body.
fn show_sent(
    signer: &Signer,
    method: &str,
    url: &str,
    headers: &SignedHeaders<'_>,
    body: &[u8],
) -> Result<(), CliError> {
    let request = CanonicalRequest::new(method, url, *headers, BodyHash::of(body))?;
    println!("-> {method} {url}");
    headers.for_each(|name, value| {
        let shown = if name == omni_sign::header::STORE_TOKEN {
            omni_sign::REDACTED
        } else {
            value
        };
        println!("   {name}: {shown}");
    });
    println!("   x-signature: {}", signer.sign(&request));
    if !body.is_empty() {
        println!("   {}", String::from_utf8_lossy(body));
    }
    Ok(())
}

fn show_received(status: u16, request_id: Option<&str>, body: &[u8]) {
    match request_id {
        Some(id) => println!("<- HTTP {status}, requestId {id}"),
        None => println!("<- HTTP {status}"),
    }
    let text = String::from_utf8_lossy(body);
    if !text.is_empty() {
        println!("   {text}");
    }
}

fn client_error(e: omni_client::Error) -> CliError {
    fail(format!("unexpected answer: {e}"))
}

/// Runs `omni demo`.
pub(crate) async fn run(_args: &DemoArgs) -> Result<ExitCode, CliError> {
    let sandbox = Sandbox::start(SandboxConfig::default().debug(true))
        .await
        .map_err(|e| fail(format!("cannot start: {e}")))?;
    let result = mission(&sandbox).await;
    sandbox.shutdown().await;
    result?;
    println!("\nDemo complete: every step behaved as the documents say.");
    Ok(ExitCode::SUCCESS)
}

async fn mission(sandbox: &Sandbox) -> Result<(), CliError> {
    let admin = sandbox.admin();
    println!(
        "Sandbox listening on {} (debug mode: AUTH_002 answers carry its base string)",
        sandbox.base_url()
    );
    println!(
        "Partner {} (secret masked), store {}",
        demo::PARTNER_CLIENT_ID,
        demo::STORE_CLIENT_ID
    );

    let clock = StepClock::default();
    let client = OmniClient::builder()
        .base_url(&sandbox.omni_base_url())
        .client_id(demo::PARTNER_CLIENT_ID)
        .secret_key(demo::PARTNER_SECRET.to_owned())
        .clock(Arc::new(clock.clone()))
        .retry_policy(RetryPolicy::none())
        .build()
        .map_err(client_error)?;
    let signer = Signer::new(demo::PARTNER_SECRET.as_bytes())?;
    let http = reqwest::Client::new();

    // 1. Onboard session.
    step(1, "create an onboard session (partner-level call)");
    let now = admin.now_ms();
    clock.0.store(now, Ordering::Relaxed);
    let url = format!("{}/partner/onboard/sessions", sandbox.omni_base_url());
    let redirect = "https://example.com/onboarded";
    let body = format!(r#"{{"redirectUri":"{redirect}"}}"#);
    let headers = SignedHeaders::new(
        demo::PARTNER_CLIENT_ID.try_into()?,
        Timestamp::from_millis(now),
    );
    show_sent(&signer, "POST", &url, &headers, body.as_bytes())?;
    let session = client
        .onboard_session(redirect)
        .await
        .map_err(client_error)?;
    println!("<- onboardUrl {}", mask_token_param(&session.onboard_url));
    println!("   sid {}", session.sid);
    if let Some(id) = &session.request_id {
        println!("   requestId {id}");
    }
    println!(
        "   expires in {} s (the earlier of 180 s and the token's exp, onboard-expiry)",
        session.remaining().as_secs()
    );

    // 2. The seller page accepts the session token.
    step(2, "the seller opens the onboard URL");
    println!("-> GET {}", mask_token_param(&session.onboard_url));
    let page = http
        .get(&session.onboard_url)
        .send()
        .await
        .map_err(|e| fail(format!("seller page unreachable: {}", innermost(&e))))?;
    let status = page.status().as_u16();
    let page_body = page.bytes().await.map_err(|e| fail(innermost(&e)))?;
    show_received(status, None, &page_body);
    if status != 200 {
        return Err(fail(format!(
            "the seller page refused the session token (HTTP {status})"
        )));
    }

    // 3. A store-scoped call.
    step(
        3,
        "a store-scoped call (x-store-client-id and x-store-token signed)",
    );
    let now = admin.now_ms();
    clock.0.store(now, Ordering::Relaxed);
    let path = format!("/partner/stores/catalog/{}", demo::CATALOG_ID);
    let url = format!("{}{path}", sandbox.omni_base_url());
    let headers = store_headers(now)?;
    show_sent(&signer, "GET", &url, &headers, b"")?;
    let response = client
        .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN.to_owned())
        .map_err(client_error)?
        .get(path)
        .send()
        .await
        .map_err(client_error)?;
    show_received(
        response.status().as_u16(),
        response.request_id(),
        response.bytes(),
    );

    // 4. A request the guard rejects.
    step(
        4,
        "a request the guard rejects: pretty JSON hashed, minified JSON sent",
    );
    let now = admin.now_ms();
    let url = format!("{}/partner/stores/catalog/sync", sandbox.omni_base_url());
    let sent_body = r#"{"items":[{"sku":"SKU-1","stock":3}]}"#;
    let hashed_body = BodyForm::PRETTY_2
        .render(sent_body.as_bytes())
        .ok_or_else(|| fail("the demo body is not JSON"))?;
    let headers = store_headers(now)?;
    let ours = CanonicalRequest::new("POST", &url, headers, BodyHash::of(hashed_body.as_bytes()))?;
    let signature = signer.sign(&ours);
    show_sent(&signer, "POST", &url, &headers, sent_body.as_bytes())
        .map(|()| println!("   (but the body hashed was the pretty-printed one)"))?;
    let mut sent_headers: Vec<(String, String)> = Vec::new();
    headers.for_each(|name, value| sent_headers.push((name.to_owned(), value.to_owned())));
    sent_headers.push((
        omni_sign::header::SIGNATURE.to_owned(),
        signature.to_string(),
    ));
    let mut request = http
        .post(&url)
        .header("content-type", "application/json")
        .body(sent_body);
    for (name, value) in &sent_headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let answer = request
        .send()
        .await
        .map_err(|e| fail(format!("sandbox unreachable: {}", innermost(&e))))?;
    let status = answer.status().as_u16();
    let answer_body = answer.bytes().await.map_err(|e| fail(innermost(&e)))?;
    show_received(status, None, &answer_body);
    let json: serde_json::Value = serde_json::from_slice(&answer_body).unwrap_or_default();
    if status != 401 || json["error"]["code"] != "AUTH_002" {
        return Err(fail(format!("expected 401 AUTH_002, got HTTP {status}")));
    }
    if let Some(theirs) = json["error"]["details"]["baseString"].as_str() {
        println!("   the base string the sandbox computed (debug mode):");
        for line in theirs.lines() {
            println!("       {line}");
        }
    }
    println!("   what `omni verify` says about it:");
    let pairs: Vec<(&str, &str)> = sent_headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let received = Received {
        method: "POST",
        url: &url,
        headers: &pairs,
        body: sent_body.as_bytes(),
    };
    let verdict = diagnose(
        &received,
        &DiagnoseOptions::new(demo::PARTNER_SECRET.as_bytes(), now),
    )
    .map_err(|e| fail(e.to_string()))?;
    print!("{}", verify::explain(&verdict, "   "));
    if verdict.pitfalls() != [Pitfall::PrettyVsMinifiedBody] {
        return Err(fail(
            "omni verify did not name the pretty-vs-minified-body pitfall",
        ));
    }

    // 5. A OneKYC token, fetched once and reused.
    step(5, "a OneKYC partner token, fetched once and reused");
    let onekyc = OneKycClient::builder()
        .token_base_url(sandbox.onekyc_token_base_url())
        .esign_base_url(sandbox.esign_base_url())
        .client_id(demo::ONEKYC_CLIENT_ID)
        .pass_key(demo::ONEKYC_PASS_KEY)
        .build()
        .map_err(|e| fail(format!("OneKYC client: {e}")))?;
    println!(
        "-> GET {}/v1/esign/partner/authentication  client-id: {}  pass-key: {}",
        sandbox.onekyc_token_base_url(),
        demo::ONEKYC_CLIENT_ID,
        omni_sign::REDACTED
    );
    let first = onekyc
        .token()
        .await
        .map_err(|e| fail(format!("OneKYC token: {e}")))?;
    let second = onekyc
        .token()
        .await
        .map_err(|e| fail(format!("OneKYC token: {e}")))?;
    let left = first
        .expires()
        .saturating_sub(onekyc.token_cache().clock().monotonic());
    println!(
        "<- token {} ({} chars), expires in {} s",
        omni_sign::REDACTED,
        first.expose_secret().len(),
        left.as_secs()
    );
    let issued = admin.onekyc_tokens_issued();
    println!(
        "   second token() call: same token = {}, tokens issued by the sandbox = {issued}",
        second.same_value(&first)
    );
    if issued != 1 || !second.same_value(&first) {
        return Err(fail(format!("the token was not reused ({issued} issued)")));
    }

    // 6. An Esign call with the cached token.
    step(6, "an Esign call: GET /esign-partner/v1/submissions/urls");
    let partner = PartnerHeaders::new(
        "CLIENT_X-BE-CERT_REG",
        "user-12345",
        "CLIENT_X_USER_ID",
        "session-abc-001",
    );
    println!(
        "-> GET {}/esign-partner/v1/submissions/urls  x-onekyc-token: {}  x-esign-onboarding-partner: {}  x-partner-user-id: {}  x-partner-user-id-type: {}  x-partner-session-id: {}",
        sandbox.esign_base_url(),
        omni_sign::REDACTED,
        partner.onboarding_partner,
        partner.user_id,
        partner.user_id_type,
        partner.session_id
    );
    let response = onekyc
        .submission_urls(&partner)
        .await
        .map_err(|e| fail(format!("Esign call: {e}")))?;
    show_received(response.status().as_u16(), None, response.body());
    let issued = admin.onekyc_tokens_issued();
    println!("   tokens issued by the sandbox so far: {issued} (the cached token was reused)");
    if response.status() != 200 || issued != 1 {
        return Err(fail(format!(
            "Esign call: HTTP {}, {issued} tokens issued",
            response.status()
        )));
    }
    Ok(())
}

/// The demo store's signed headers at `now` (epoch ms).
fn store_headers(now: u64) -> Result<SignedHeaders<'static>, omni_sign::Error> {
    SignedHeaders::from_parts(
        demo::PARTNER_CLIENT_ID,
        Some(demo::STORE_CLIENT_ID),
        Some(demo::STORE_TOKEN),
        Timestamp::from_millis(now),
    )
}
