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

/// Sends `tracing` events of omni's libraries (and the embedded sandbox) to stderr, filtered
/// by `RUST_LOG`. Without it, `omni sandbox` shows its warnings (a server has no other way to
/// report them) and the one-shot commands nothing beyond their one-line error. The libraries
/// redact secrets where they log them, so no level shows one (`secrets-never-shown`).
fn install_tracing(default_filter: &str) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    // Only fails when a subscriber is already installed, which nothing else does.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// One line for a clap usage error, as the README promises: clap's first line (with the
/// list of missing arguments joined onto it) and where to read more. Help and version
/// requests are not errors and print as clap prints them.
fn usage_line(error: &clap::Error, command: &str) -> String {
    let rendered = error.render().to_string();
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or("");
    let mut message =
        if error.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            // clap renders the whole help here; the first line is the command's description.
            "a subcommand is required".to_owned()
        } else {
            first.strip_prefix("error: ").unwrap_or(first).to_owned()
        };
    if message.ends_with(':') {
        // "the following required arguments were not provided:" lists them below, indented.
        let listed: Vec<&str> = lines
            .clone()
            .take_while(|line| line.starts_with("  "))
            .map(str::trim)
            .collect();
        if !listed.is_empty() {
            message = format!("{message} {}", listed.join(", "));
        }
    }
    format!("error: {message} (see '{command} --help')")
}

/// The subcommand path the arguments name, e.g. `omni onekyc token`: the words that are
/// subcommand names, each of the command before (flags in between are passed over).
fn command_path(args: &[std::ffi::OsString]) -> String {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut path = vec!["omni".to_owned()];
    for arg in args.iter().skip(1).filter_map(|arg| arg.to_str()) {
        if arg.starts_with('-') {
            continue;
        }
        let Some(sub) = command.find_subcommand(arg).cloned() else {
            break;
        };
        path.push(sub.get_name().to_owned());
        command = sub;
    }
    path.join(" ")
}

/// Parses the command line; a usage error is one line on stderr and exit code 2.
fn parse() -> Result<Cli, ExitCode> {
    use clap::error::ErrorKind;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => Ok(cli),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            eprintln!("{}", usage_line(&e, &command_path(&args)));
            Err(ExitCode::from(error::EXIT_USAGE))
        }
    }
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    install_tracing(match cli.command {
        Command::Sandbox(_) => "warn",
        _ => "off",
    });
    match run(cli) {
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
