//! `omni sandbox`: the emulator in the foreground, printing its demo credentials.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use omni_sandbox::{Sandbox, SandboxConfig, demo};

use crate::error::CliError;

const EXAMPLES: &str = "\
Example:
  omni sandbox --addr 127.0.0.1:8080
  # in another shell, with the lines it prints exported:
  omni onboard --redirect-uri https://example.com/onboarded

Runs until Ctrl-C. The demo credentials are public: never use them anywhere else.";

/// `omni sandbox`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct SandboxArgs {
    /// Where to listen (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT")]
    pub addr: SocketAddr,
    /// Put the base string the sandbox computed into AUTH_002 answers.
    #[arg(long)]
    pub debug: bool,
}

/// Runs `omni sandbox` until Ctrl-C.
pub(crate) async fn run(args: &SandboxArgs) -> Result<ExitCode, CliError> {
    let sandbox = Sandbox::start_on(args.addr, SandboxConfig::default().debug(args.debug))
        .await
        .map_err(|e| CliError::Sandbox(format!("cannot listen on {}: {e}", args.addr)))?;
    let mut summary = demo::summary(&sandbox);
    summary.push_str(&format!(
        "\nTo use it from another shell:\n  export OMNI_BASE_URL={} OMNI_CLIENT_ID={} OMNI_SECRET_KEY={}\n  export ONEKYC_TOKEN_BASE_URL={} ONEKYC_ESIGN_BASE_URL={} ONEKYC_CLIENT_ID={} ONEKYC_PASS_KEY={}\nCtrl-C stops it.\n",
        sandbox.omni_base_url(),
        demo::PARTNER_CLIENT_ID,
        demo::PARTNER_SECRET,
        sandbox.onekyc_token_base_url(),
        sandbox.esign_base_url(),
        demo::ONEKYC_CLIENT_ID,
        demo::ONEKYC_PASS_KEY
    ));
    // A closed stdout (`omni sandbox | head -1`) must not stop the server: print! would panic.
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(summary.as_bytes())
        .and_then(|()| stdout.flush());
    sandbox
        .wait()
        .await
        .map_err(|e| CliError::Sandbox(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
