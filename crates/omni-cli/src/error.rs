//! The one error type of the `omni` command and the exit code each error maps to.

use std::process::ExitCode;

/// Exit code of a usage or input error (clap uses the same code for its own usage errors).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code of a failed check: a rejected signature, a failed remote call.
pub(crate) const EXIT_FAILED: u8 = 1;

/// Everything that stops a command. No variant holds a secret: the messages name flags,
/// files and headers, never their secret values (`secrets-never-shown`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum CliError {
    /// Neither `OMNI_SECRET_KEY` nor `--secret-file` was given.
    #[error("no secret key: set OMNI_SECRET_KEY or pass --secret-file PATH")]
    MissingSecret,
    /// A file named on the command line cannot be read.
    #[error("cannot read {what} `{path}`: {cause}")]
    Unreadable {
        /// What the file was for (`data file`, `secret file`).
        what: &'static str,
        /// The path as given.
        path: String,
        /// Why it could not be read.
        cause: std::io::Error,
    },
    /// `--store-client-id` without a store token.
    #[error("--store-client-id needs a store token: pass --store-token or set OMNI_STORE_TOKEN")]
    StoreTokenMissing,
    /// A store token without `--store-client-id`.
    #[error(
        "a store token (--store-token or OMNI_STORE_TOKEN) was given without --store-client-id"
    )]
    StoreClientIdMissing,
    /// A `-H` argument is not `name: value`. Its text is not repeated: it may hold a store
    /// token.
    #[error("malformed header (-H argument {position}): {problem}; expected 'name: value'")]
    MalformedHeader {
        /// Which `-H` argument, from 1.
        position: usize,
        /// What is wrong, naming the header only when its name is well formed.
        problem: String,
    },
    /// `--json` text is not JSON, or holds a value JSON.stringify cannot write.
    #[error("--json: {0}")]
    InvalidJson(String),
    /// A signing input is invalid (method, URL, header value, timestamp...).
    #[error("{0}")]
    Sign(omni_sign::Error),
    /// The request as given cannot be sent (a path that is not a path, a reserved header).
    #[error("{0}")]
    Request(String),
    /// An environment variable the command needs is missing or not valid.
    #[error("{0}")]
    Environment(String),
    /// The server answered with an error.
    #[error("{message}{}", request_id.as_deref().map(|id| format!(" (requestId {id})")).unwrap_or_default())]
    Remote {
        /// The error, with the status and the API's code when known.
        message: String,
        /// The API's `requestId`, for support.
        request_id: Option<String>,
    },
    /// The server could not be reached or its answer could not be read.
    #[error("{0}")]
    Transport(String),
    /// The output could not be written (a closed pipe, a full disk).
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
    /// The embedded sandbox could not start.
    #[error("sandbox: {0}")]
    Sandbox(String),
}

impl CliError {
    /// The process exit code: 2 for usage and input errors, 1 for failed remote calls.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Remote { .. } | CliError::Transport(_) | CliError::Sandbox(_) => {
                ExitCode::from(EXIT_FAILED)
            }
            _ => ExitCode::from(EXIT_USAGE),
        }
    }
}

impl From<omni_sign::Error> for CliError {
    fn from(e: omni_sign::Error) -> Self {
        match e {
            omni_sign::Error::StoreTokenMissing => CliError::StoreTokenMissing,
            omni_sign::Error::StoreClientIdMissing => CliError::StoreClientIdMissing,
            other => CliError::Sign(other),
        }
    }
}
