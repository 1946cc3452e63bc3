//! `omni onekyc`: the OneKYC partner token and Esign calls, through onekyc-client.

use std::process::ExitCode;
use std::time::Duration;

use onekyc_client::{Environment, OneKycClient, PartnerHeaders};

use crate::api::innermost;
use crate::error::CliError;

const TOKEN_EXAMPLES: &str = "\
Example:
  export ONEKYC_CLIENT_ID=b31fa508-331c-4e9e-9a60-b0f28c3f7e13 ONEKYC_PASS_KEY=...
  omni onekyc token --token-base-url http://127.0.0.1:8080/onekyc-token

Prints when the token expires; the token itself only with --show-token.

A fleet of runs (a shell loop, cron jobs, parallel workers) shares one token through Redis:
  omni onekyc token --redis redis://127.0.0.1:6379/0      (or ONEKYC_REDIS_URL)";

const URLS_EXAMPLES: &str = "\
Example:
  export ONEKYC_CLIENT_ID=b31fa508-331c-4e9e-9a60-b0f28c3f7e13 ONEKYC_PASS_KEY=...
  omni onekyc submission-urls --token-base-url http://127.0.0.1:8080/onekyc-token \\
      --esign-base-url http://127.0.0.1:8080/onekyc --onboarding-partner CLIENT_X-BE-CERT_REG \\
      --user-id user-12345 --user-id-type CLIENT_X_USER_ID --session-id session-abc-001";

/// Which documented OneKYC environment to default to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Env {
    /// The staging base URLs.
    #[default]
    Staging,
    /// The production token URL (give --esign-base-url for Esign calls).
    Production,
}

/// `omni onekyc`.
#[derive(Debug, clap::Args)]
pub(crate) struct OnekycArgs {
    #[command(subcommand)]
    pub command: OnekycCommand,
}

/// The `omni onekyc` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum OnekycCommand {
    /// Fetch a partner token: print its expiry (and the token with --show-token).
    #[command(after_help = TOKEN_EXAMPLES)]
    Token(TokenArgs),
    /// GET /esign-partner/v1/submissions/urls with the four partner headers.
    #[command(after_help = URLS_EXAMPLES)]
    SubmissionUrls(SubmissionUrlsArgs),
}

/// Where OneKYC lives and who calls it. Credentials come from ONEKYC_CLIENT_ID and
/// ONEKYC_PASS_KEY only: a pass key is never a flag.
#[derive(Debug, clap::Args)]
pub(crate) struct ConnectionArgs {
    /// The documented environment whose base URLs are used unless overridden.
    #[arg(long, value_enum, default_value_t)]
    pub environment: Env,
    /// The token endpoint base URL.
    #[arg(long, env = "ONEKYC_TOKEN_BASE_URL", value_name = "URL")]
    pub token_base_url: Option<String>,
    /// The Esign API base URL.
    #[arg(long, env = "ONEKYC_ESIGN_BASE_URL", value_name = "URL")]
    pub esign_base_url: Option<String>,
    /// Share the token with other processes through this Redis: redis://HOST:PORT[/DB] or
    /// rediss://... (a password in it is never printed). Without it, each run fetches its own.
    #[arg(long, env = onekyc_client::REDIS_URL_ENV, value_name = "URL")]
    pub redis: Option<RedisUrlArg>,
    /// Timeout of one Redis operation; past it this run does without Redis and fetches its own token.
    #[arg(long, value_name = "MS", default_value_t = 50, requires = "redis")]
    pub redis_timeout_ms: u64,
}

/// A Redis URL given as a flag or in ONEKYC_REDIS_URL: it may hold a password, so `Debug`
/// never shows it.
#[derive(Clone)]
pub(crate) struct RedisUrlArg(String);

impl std::str::FromStr for RedisUrlArg {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl std::fmt::Debug for RedisUrlArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("REDACTED")
    }
}

/// `omni onekyc token`.
#[derive(Debug, clap::Args)]
pub(crate) struct TokenArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Also print the token itself (a secret).
    #[arg(long)]
    pub show_token: bool,
}

/// `omni onekyc submission-urls`.
#[derive(Debug, clap::Args)]
pub(crate) struct SubmissionUrlsArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// x-esign-onboarding-partner.
    #[arg(long, value_name = "VALUE")]
    pub onboarding_partner: String,
    /// x-partner-user-id.
    #[arg(long, value_name = "VALUE")]
    pub user_id: String,
    /// x-partner-user-id-type.
    #[arg(long, value_name = "VALUE")]
    pub user_id_type: String,
    /// x-partner-session-id.
    #[arg(long, value_name = "VALUE")]
    pub session_id: String,
}

impl ConnectionArgs {
    fn client(&self) -> Result<OneKycClient, CliError> {
        let mut builder = OneKycClient::builder()
            .environment(match self.environment {
                Env::Staging => Environment::Staging,
                Env::Production => Environment::Production,
            })
            .credentials_from_env();
        if let Some(url) = &self.token_base_url {
            builder = builder.token_base_url(url.clone());
        }
        if let Some(url) = &self.esign_base_url {
            builder = builder.esign_base_url(url.clone());
        }
        if let Some(RedisUrlArg(url)) = &self.redis {
            builder = builder
                .redis(url)
                .shared_store_timeout(Duration::from_millis(self.redis_timeout_ms));
        }
        builder.build().map_err(|e| from_onekyc_error(&e))
    }
}

/// One line for a onekyc-client error: configuration problems are input errors, the rest
/// failed calls.
pub(crate) fn from_onekyc_error(e: &onekyc_client::Error) -> CliError {
    use onekyc_client::Error as E;
    match e {
        E::InvalidCredential { .. }
        | E::MissingSetting(_)
        | E::MissingEnvVar(_)
        | E::InvalidBaseUrl { .. }
        | E::InvalidSetting(_)
        | E::InvalidHeaderValue(_)
        | E::InvalidPath => CliError::Environment(format!("OneKYC: {e}")),
        E::Transport { endpoint, source } => CliError::Transport(format!(
            "OneKYC: {endpoint}: {source}: {}",
            innermost(source)
        )),
        E::HttpClient(source) => {
            CliError::Environment(format!("OneKYC: HTTP client: {}", innermost(source)))
        }
        other => CliError::Remote {
            message: format!("OneKYC: {other}"),
            request_id: None,
        },
    }
}

/// Runs `omni onekyc ...`.
pub(crate) async fn run(args: &OnekycArgs) -> Result<ExitCode, CliError> {
    match &args.command {
        OnekycCommand::Token(args) => {
            let client = args.connection.client()?;
            let token = client.token().await.map_err(|e| from_onekyc_error(&e))?;
            let now = client.token_cache().clock().monotonic();
            println!(
                "token: {}",
                if args.show_token {
                    token.expose_secret()
                } else {
                    "(hidden; --show-token prints it)"
                }
            );
            println!(
                "expires in: {} s",
                token.expires().saturating_sub(now).as_secs()
            );
            if let Some(at) = token.expires_at_unix() {
                println!("expires_at: {at} (Unix seconds)");
            }
            let stats = client.token_cache().stats();
            println!(
                "token cache: {} fetches ({} failed), last refresh {}",
                stats.fetches,
                stats.failures,
                stats
                    .last_refresh
                    .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or("never".to_owned(), |d| format!(
                        "at {} (Unix seconds)",
                        d.as_secs()
                    )),
            );
            Ok(ExitCode::SUCCESS)
        }
        OnekycCommand::SubmissionUrls(args) => {
            let client = args.connection.client()?;
            let partner = PartnerHeaders::new(
                args.onboarding_partner.clone(),
                args.user_id.clone(),
                args.user_id_type.clone(),
                args.session_id.clone(),
            );
            let response = client
                .submission_urls(&partner)
                .await
                .map_err(|e| from_onekyc_error(&e))?;
            println!("HTTP {}", response.status());
            match std::str::from_utf8(response.body()) {
                Ok(text) => println!("{text}"),
                Err(_) => println!("<{} bytes, not UTF-8>", response.body().len()),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redis_url_flag_is_never_shown() {
        use clap::Parser;
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            connection: ConnectionArgs,
        }
        let cli = Cli::parse_from(["omni", "--redis", "redis://:pw-secret@127.0.0.1:6379/1"]);
        let shown = format!("{cli:?}");
        assert!(!shown.contains("pw-secret"), "{shown}");
        assert_eq!(cli.connection.redis_timeout_ms, 50);
        assert!(Cli::try_parse_from(["omni", "--redis-timeout-ms", "5"]).is_err());
    }
}
