//! `omni request` and `omni onboard`: signed calls to the Omni Partner API through omni-client.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use omni_client::{OmniClient, RetryPolicy};

use crate::error::CliError;
use crate::input::{BodyArgs, SecretArgs, StoreArgs};

const REQUEST_EXAMPLES: &str = "\
Examples:
  export OMNI_BASE_URL=http://127.0.0.1:8080/api/v1 OMNI_CLIENT_ID=ptnr_1s4UqMnO64 OMNI_SECRET_KEY=...
  omni request POST /partner/onboard/sessions --json '{\"redirectUri\":\"https://example.com/done\"}'
  OMNI_STORE_TOKEN=stkn_... omni request GET /partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e \\
      --store-client-id str_TGIxyboe7-Rz

Prints the status, the requestId and the body. Exit codes: 0 success, 1 the API answered an
error or could not be reached, 2 usage or input error.";

const ONBOARD_EXAMPLES: &str = "\
Example:
  export OMNI_BASE_URL=http://127.0.0.1:8080/api/v1 OMNI_CLIENT_ID=ptnr_1s4UqMnO64 OMNI_SECRET_KEY=...
  omni onboard --redirect-uri https://example.com/onboarded

Prints the onboard URL to send the seller to, the session id, the requestId and the expiry.";

/// The partner credentials and base URL of an Omni call.
#[derive(Debug, clap::Args)]
pub(crate) struct OmniArgs {
    /// The API base URL, ending in /api/v1 (the sandbox prints its own).
    #[arg(long, env = "OMNI_BASE_URL", value_name = "URL")]
    pub base_url: String,
    /// The partner client id.
    #[arg(long, env = "OMNI_CLIENT_ID", value_name = "ID")]
    pub client_id: String,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// Retries after a failed attempt (5xx, 429, timeout, dropped connection).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub retries: u32,
}

impl OmniArgs {
    /// An omni-client for these settings.
    pub(crate) fn client(&self) -> Result<OmniClient, CliError> {
        let secret = self.secret.load()?;
        let secret = String::from_utf8(secret.expose_secret().to_vec())
            .map_err(|_| CliError::Environment("the secret key is not valid UTF-8".into()))?;
        OmniClient::builder()
            .base_url(&self.base_url)
            .client_id(self.client_id.clone())
            .secret_key(secret)
            .retry_policy(RetryPolicy::default().with_max_retries(self.retries))
            .build()
            .map_err(|e| from_client_error(e, &self.base_url))
    }
}

/// `omni request`.
#[derive(Debug, clap::Args)]
#[command(after_help = REQUEST_EXAMPLES)]
pub(crate) struct RequestArgs {
    /// The HTTP method, uppercase.
    pub method: String,
    /// The path below the base URL, e.g. /partner/onboard/sessions.
    pub path: String,
    #[command(flatten)]
    pub body: BodyArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub omni: OmniArgs,
}

/// `omni onboard`.
#[derive(Debug, clap::Args)]
#[command(after_help = ONBOARD_EXAMPLES)]
pub(crate) struct OnboardArgs {
    /// Where the seller is sent back once onboarded (an absolute http(s) URL).
    #[arg(long, value_name = "URI")]
    pub redirect_uri: String,
    #[command(flatten)]
    pub omni: OmniArgs,
}

/// One line for an omni-client error; the requestId is part of the API errors' own text.
pub(crate) fn from_client_error(e: omni_client::Error, base_url: &str) -> CliError {
    match e {
        omni_client::Error::InvalidInput(e) => CliError::from(e),
        omni_client::Error::InvalidJsonBody(e) => CliError::InvalidJson(e.to_string()),
        omni_client::Error::Config(e) => CliError::Environment(e.to_string()),
        e @ (omni_client::Error::ReservedHeader(_)
        | omni_client::Error::InvalidHeader { .. }
        | omni_client::Error::InvalidPath { .. }) => CliError::Request(e.to_string()),
        omni_client::Error::Transport(e) => {
            CliError::Transport(format!("cannot reach {base_url}: {}", innermost(&e)))
        }
        omni_client::Error::Timeout(e) => CliError::Transport(format!(
            "no answer from {base_url} in time: {}",
            innermost(&e)
        )),
        other => CliError::Remote {
            message: other.to_string(),
            request_id: None,
        },
    }
}

/// The deepest cause of an error: for a refused connection, "Connection refused".
pub(crate) fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn print_response(status: u16, reason: &str, request_id: Option<&str>, body: &[u8]) {
    println!("HTTP {status} {reason}");
    if let Some(id) = request_id {
        println!("requestId: {id}");
    }
    match std::str::from_utf8(body) {
        Ok(text) if !text.is_empty() => println!("{text}"),
        Ok(_) => {}
        Err(_) => println!("<{} bytes, not UTF-8>", body.len()),
    }
}

/// Runs `omni request`.
pub(crate) async fn request(args: &RequestArgs) -> Result<ExitCode, CliError> {
    omni_sign::Method::new(&args.method)?;
    let method = omni_client::Method::from_bytes(args.method.as_bytes())
        .map_err(|_| CliError::Sign(omni_sign::Error::InvalidMethod))?;
    let store = args.store.load()?;
    let body = args.body.load()?;
    let client = args.omni.client()?;
    let mut builder = match store {
        Some(store) => client
            .store(store.client_id.clone(), store.token.to_string())
            .map_err(|e| from_client_error(e, &args.omni.base_url))?
            .request(method, args.path.clone()),
        None => client.request(method, args.path.clone()),
    };
    if body.is_present() {
        builder = builder
            .body_bytes(body.bytes)
            .header("content-type", "application/json");
    }
    let response = builder
        .send()
        .await
        .map_err(|e| from_client_error(e, &args.omni.base_url))?;
    let status = response.status();
    print_response(
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        response.request_id(),
        response.bytes(),
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `omni onboard`.
pub(crate) async fn onboard(args: &OnboardArgs) -> Result<ExitCode, CliError> {
    let client = args.omni.client()?;
    let session = client
        .onboard_session(&args.redirect_uri)
        .await
        .map_err(|e| from_client_error(e, &args.omni.base_url))?;
    println!("onboardUrl: {}", session.onboard_url);
    println!("sid: {}", session.sid);
    if let Some(id) = &session.request_id {
        println!("requestId: {id}");
    }
    let expires = session
        .expires_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let left = session
        .expires_at
        .duration_since(SystemTime::now())
        .map_or(0, |d| d.as_secs());
    println!("expires: {expires} (Unix seconds; in {left} s)");
    Ok(ExitCode::SUCCESS)
}
