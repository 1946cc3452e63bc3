//! Inputs shared by several commands: the secret key, store delegation, the body, the clock.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use omni_sign::SecretKey;
use zeroize::Zeroizing;

use crate::error::CliError;

/// Where the partner secret key comes from. It is never a flag value: flags show up in `ps`
/// and shell history.
#[derive(Debug, clap::Args)]
pub struct SecretArgs {
    /// Read the partner secret key from this file (one trailing newline is ignored) instead of
    /// the OMNI_SECRET_KEY environment variable.
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
}

impl SecretArgs {
    /// The secret key: `--secret-file` when given, else `OMNI_SECRET_KEY`.
    pub fn load(&self) -> Result<SecretKey, CliError> {
        let bytes = match &self.secret_file {
            Some(path) => {
                let mut bytes = std::fs::read(path).map_err(|cause| CliError::Unreadable {
                    what: "secret file",
                    path: path.display().to_string(),
                    cause,
                })?;
                // Files written by editors and `echo` end in one newline that is not part of
                // the key.
                if bytes.last() == Some(&b'\n') {
                    bytes.pop();
                    if bytes.last() == Some(&b'\r') {
                        bytes.pop();
                    }
                }
                bytes
            }
            None => match std::env::var_os("OMNI_SECRET_KEY") {
                Some(value) => value.into_encoded_bytes(),
                None => return Err(CliError::MissingSecret),
            },
        };
        SecretKey::new(bytes).map_err(CliError::from)
    }
}

/// Store delegation: `x-store-client-id` and `x-store-token`, both or neither.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Act on this store: sends x-store-client-id and x-store-token (the token from
    /// --store-token or OMNI_STORE_TOKEN).
    #[arg(long, value_name = "ID")]
    pub store_client_id: Option<String>,
    /// The store's token, sent as x-store-token. Prefer the OMNI_STORE_TOKEN environment
    /// variable: flags show up in `ps` and shell history.
    #[arg(long, value_name = "TOKEN")]
    pub store_token: Option<TokenArg>,
}

/// A store token given as a flag: parsed straight into memory that is zeroed on drop (clap
/// keeps parsed values, and may clone them), and never shown by `Debug`.
#[derive(Clone)]
pub struct TokenArg(Zeroizing<String>);

impl std::str::FromStr for TokenArg {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(TokenArg(Zeroizing::new(text.to_owned())))
    }
}

impl std::fmt::Debug for TokenArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(omni_sign::REDACTED)
    }
}

/// A store client id and its token.
#[derive(Debug)]
pub struct Store {
    /// `x-store-client-id`.
    pub client_id: String,
    /// `x-store-token`; zeroed on drop.
    pub token: Zeroizing<String>,
}

impl StoreArgs {
    /// Both parts or neither: one without the other is an error, never a silent omission
    /// (`signed-headers`). OMNI_STORE_TOKEN is only read for a store-scoped call, so it may
    /// stay set for partner-level calls.
    pub fn load(&self) -> Result<Option<Store>, CliError> {
        match (&self.store_client_id, &self.store_token) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(CliError::StoreClientIdMissing),
            (Some(id), Some(token)) => Ok(Some(Store {
                client_id: id.clone(),
                token: token.0.clone(),
            })),
            (Some(id), None) => match std::env::var("OMNI_STORE_TOKEN") {
                Ok(token) => Ok(Some(Store {
                    client_id: id.clone(),
                    token: Zeroizing::new(token),
                })),
                Err(std::env::VarError::NotPresent) => Err(CliError::StoreTokenMissing),
                Err(std::env::VarError::NotUnicode(_)) => Err(CliError::Environment(
                    "OMNI_STORE_TOKEN is not valid UTF-8".into(),
                )),
            },
        }
    }
}

/// A request body to sign and send.
#[derive(Debug, clap::Args)]
#[group(multiple = false)]
pub struct BodyArgs {
    /// The body, signed and sent byte for byte.
    #[arg(long, short = 'd', value_name = "TEXT")]
    pub data: Option<String>,
    /// Read the body from this file, signed and sent byte for byte.
    #[arg(long, value_name = "PATH")]
    pub data_file: Option<PathBuf>,
    /// A JSON body, first rewritten in JSON.stringify form (compact, as JavaScript writes it).
    #[arg(long, value_name = "TEXT")]
    pub json: Option<String>,
}

/// A body received by a server, as bytes.
#[derive(Debug, clap::Args)]
#[group(multiple = false)]
pub struct RawBodyArgs {
    /// The body as received.
    #[arg(long, short = 'd', value_name = "TEXT")]
    pub data: Option<String>,
    /// Read the body as received from this file.
    #[arg(long, value_name = "PATH")]
    pub data_file: Option<PathBuf>,
}

/// The exact bytes of a body and where they came from.
#[derive(Debug, Default)]
pub struct Body {
    /// The bytes on the wire.
    pub bytes: Vec<u8>,
    /// The file they were read from, when they were.
    pub file: Option<PathBuf>,
}

impl Body {
    /// Whether a body is sent at all.
    pub fn is_present(&self) -> bool {
        !self.bytes.is_empty()
    }

    /// The body as text, when it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }
}

fn read_data_file(path: &PathBuf) -> Result<Body, CliError> {
    let bytes = std::fs::read(path).map_err(|cause| CliError::Unreadable {
        what: "data file",
        path: path.display().to_string(),
        cause,
    })?;
    Ok(Body {
        bytes,
        file: Some(path.clone()),
    })
}

/// `--data` or `--data-file`, whichever was given.
fn load_raw(data: Option<&String>, file: Option<&PathBuf>) -> Option<Result<Body, CliError>> {
    match (data, file) {
        (Some(text), _) => Some(Ok(Body {
            bytes: text.clone().into_bytes(),
            file: None,
        })),
        (None, Some(path)) => Some(read_data_file(path)),
        (None, None) => None,
    }
}

impl BodyArgs {
    /// The bytes to sign and send. `--json` is rewritten in JSON.stringify form; any warning
    /// (an integer beyond 2^53 that JavaScript would change) goes to stderr.
    pub fn load(&self) -> Result<Body, CliError> {
        if let Some(body) = load_raw(self.data.as_ref(), self.data_file.as_ref()) {
            return body;
        }
        match &self.json {
            Some(text) => Ok(Body {
                bytes: crate::jsontext::stringify_form(text)?.into_bytes(),
                file: None,
            }),
            None => Ok(Body::default()),
        }
    }
}

impl RawBodyArgs {
    /// The bytes as received.
    pub fn load(&self) -> Result<Body, CliError> {
        load_raw(self.data.as_ref(), self.data_file.as_ref()).unwrap_or_else(|| Ok(Body::default()))
    }
}

/// Wall-clock time in epoch milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Parses epoch milliseconds as `x-timestamp` carries them (clap value parser).
pub fn parse_millis(text: &str) -> Result<u64, String> {
    omni_sign::Timestamp::parse(text)
        .map(omni_sign::Timestamp::as_millis)
        .map_err(|e| e.to_string())
}

/// Quotes `text` for a POSIX shell.
pub fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@=%+,".contains(&b))
    {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_token_flag_is_never_shown() {
        use clap::Parser;
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            store: StoreArgs,
        }
        let cli = Cli::parse_from([
            "omni",
            "--store-client-id",
            "store_1",
            "--store-token",
            "stkn_secret_value",
        ]);
        let shown = format!("{cli:?}");
        assert!(
            shown.contains("store_1") && !shown.contains("stkn_secret_value"),
            "{shown}"
        );
        let store = cli.store.load().unwrap().unwrap();
        assert_eq!(store.token.as_str(), "stkn_secret_value");
        assert!(!format!("{store:?}").contains("stkn_secret_value"));
    }

    #[test]
    fn shell_quote_escapes_single_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("https://h/x"), "https://h/x");
        assert_eq!(shell_quote(""), "''");
    }
}
