//! `omni`: sign Omni Partner API requests, explain a rejected signature, call the Omni and
//! OneKYC APIs, and run the embedded sandbox and the demo.
//!
//! ```text
//! omni sign --method POST --url https://h/api/v1/partner/onboard/sessions --json '{"a":1}'
//! ```
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod api;
mod demo;
mod error;
mod input;
mod jsontext;
mod onekyc;
mod sandbox;
mod sign;
mod verify;

use error::CliError;

const EXAMPLES: &str = "\
Examples:
  omni demo                      # the whole mission against the embedded sandbox
  omni sign --method GET --url https://h/api/v1/partner/stores/catalog/1 --client-id ptnr_1
  omni verify --url ... -H 'x-partner-client-id: ...' -H 'x-timestamp: ...' -H 'x-signature: ...'

Exit codes: 0 done, 1 a check failed (rejected signature, failed call), 2 usage or input error.";

/// Sign, explain, call: the Omni Partner API and OneKYC Esign API from the command line.
#[derive(Debug, Parser)]
#[command(name = "omni", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a request: print the headers to send (or JSON, or a curl command).
    Sign(sign::SignArgs),
    /// Check a received request as the server does; for a mismatch, name the pitfall.
    Verify(verify::VerifyArgs),
    /// Sign and send a request to OMNI_BASE_URL; print the status, requestId and body.
    Request(api::RequestArgs),
    /// Create an onboard session; print its URL, sid, requestId and expiry.
    Onboard(api::OnboardArgs),
    /// OneKYC: the partner token and Esign calls.
    Onekyc(onekyc::OnekycArgs),
    /// Run the emulator of both APIs, printing its demo credentials.
    Sandbox(sandbox::SandboxArgs),
    /// Walk the whole mission against the embedded sandbox.
    Demo(demo::DemoArgs),
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Sign(args) => sign::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Request(args) => block_on(api::request(&args)),
        Command::Onboard(args) => block_on(api::onboard(&args)),
        Command::Onekyc(args) => block_on(onekyc::run(&args)),
        Command::Sandbox(args) => block_on(sandbox::run(&args)),
        Command::Demo(args) => block_on(demo::run(&args)),
    }
}

/// Runs one async command on a fresh runtime; the offline commands never start one.
fn block_on(
    command: impl Future<Output = Result<ExitCode, CliError>>,
) -> Result<ExitCode, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Environment(format!("cannot start the async runtime: {e}")))?
        .block_on(command)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
