//! Inputs shared by several commands: the secret key, store delegation, the body, the clock.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use omni_sign::SecretKey;
use zeroize::Zeroizing;

use crate::error::CliError;

/// Where the partner secret key comes from. It is never a flag value: flags show up in `ps`
/// and shell history.
#[derive(Debug, clap::Args)]
pub(crate) struct SecretArgs {
    /// Read the partner secret key from this file (one trailing newline is ignored) instead of
    /// the OMNI_SECRET_KEY environment variable.
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
}

impl SecretArgs {
    /// The secret key: `--secret-file` when given, else `OMNI_SECRET_KEY`.
    pub(crate) fn load(&self) -> Result<SecretKey, CliError> {
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
pub(crate) struct StoreArgs {
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
pub(crate) struct TokenArg(Zeroizing<String>);

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
pub(crate) struct Store {
    /// `x-store-client-id`.
    pub client_id: String,
    /// `x-store-token`; zeroed on drop.
    pub token: Zeroizing<String>,
}

impl StoreArgs {
    /// Both parts or neither: one without the other is an error, never a silent omission
    /// (`signed-headers`). OMNI_STORE_TOKEN is only read for a store-scoped call, so it may
    /// stay set for partner-level calls.
    pub(crate) fn load(&self) -> Result<Option<Store>, CliError> {
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
pub(crate) struct BodyArgs {
    /// The body, signed and sent byte for byte.
    #[arg(long, short = 'd', value_name = "TEXT", allow_hyphen_values = true)]
    pub data: Option<String>,
    /// Read the body from this file, signed and sent byte for byte.
    #[arg(long, value_name = "PATH")]
    pub data_file: Option<PathBuf>,
    /// A JSON body, first rewritten in JSON.stringify form (compact, as JavaScript writes it).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub json: Option<String>,
}

/// A body received by a server, as bytes.
#[derive(Debug, clap::Args)]
#[group(multiple = false)]
pub(crate) struct RawBodyArgs {
    /// The body as received.
    #[arg(long, short = 'd', value_name = "TEXT", allow_hyphen_values = true)]
    pub data: Option<String>,
    /// Read the body as received from this file.
    #[arg(long, value_name = "PATH")]
    pub data_file: Option<PathBuf>,
}

/// The exact bytes of a body.
#[derive(Debug, Default)]
pub(crate) struct Body {
    /// The bytes on the wire.
    pub bytes: Vec<u8>,
}

impl Body {
    /// Whether a body is sent at all.
    pub(crate) fn is_present(&self) -> bool {
        !self.bytes.is_empty()
    }
}

fn read_data_file(path: &PathBuf) -> Result<Body, CliError> {
    let bytes = std::fs::read(path).map_err(|cause| CliError::Unreadable {
        what: "data file",
        path: path.display().to_string(),
        cause,
    })?;
    Ok(Body { bytes })
}

/// `--data` or `--data-file`, whichever was given.
fn load_raw(data: Option<&String>, file: Option<&PathBuf>) -> Option<Result<Body, CliError>> {
    match (data, file) {
        (Some(text), _) => Some(Ok(Body {
            bytes: text.clone().into_bytes(),
        })),
        (None, Some(path)) => Some(read_data_file(path)),
        (None, None) => None,
    }
}

/// Where the body of `omni sign` comes from: flag text (already in memory) or a file, which
/// is read in chunks, never whole, so signing a large file takes bounded memory.
#[derive(Debug)]
pub(crate) enum BodySource {
    /// `--data` or `--json` (in JSON.stringify form).
    Bytes(Vec<u8>),
    /// `--data-file`.
    File(PathBuf),
}

/// What one pass over a body found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyScan {
    /// The SHA-256 of the bytes.
    pub hash: omni_sign::BodyHash,
    /// How many bytes there are.
    pub len: u64,
    /// Whether the bytes are UTF-8 text.
    pub utf8: bool,
}

/// The chunk size of a pass over a body file.
const CHUNK: usize = 64 * 1024;

/// Checks UTF-8 across chunk boundaries: a character split by a boundary is carried over.
struct Utf8Check {
    carry: Vec<u8>,
    valid: bool,
}

impl Utf8Check {
    fn new() -> Self {
        Utf8Check {
            carry: Vec::new(),
            valid: true,
        }
    }

    /// Feeds `chunk`; returns the text that is complete so far (empty once invalid).
    fn feed(&mut self, chunk: &[u8], text: &mut String) {
        text.clear();
        if !self.valid {
            return;
        }
        self.carry.extend_from_slice(chunk);
        let valid_up_to = match std::str::from_utf8(&self.carry) {
            Ok(_) => self.carry.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                self.valid = false;
                self.carry = Vec::new();
                return;
            }
        };
        // The prefix was just checked.
        text.push_str(std::str::from_utf8(&self.carry[..valid_up_to]).unwrap_or_default());
        self.carry.drain(..valid_up_to);
    }

    /// Whether the whole input was UTF-8 (no character left unfinished).
    fn finish(&self) -> bool {
        self.valid && self.carry.is_empty()
    }
}

impl BodySource {
    fn unreadable(path: &std::path::Path, cause: std::io::Error) -> CliError {
        CliError::Unreadable {
            what: "data file",
            path: path.display().to_string(),
            cause,
        }
    }

    /// Reads the body once in chunks, calling `each` with every chunk and, while the body is
    /// UTF-8 so far, the text completed by it.
    pub(crate) fn pass(&self, mut each: impl FnMut(&[u8], &str)) -> Result<BodyScan, CliError> {
        let mut hasher = omni_sign::BodyHasher::new();
        let mut utf8 = Utf8Check::new();
        let mut text = String::new();
        let mut len = 0u64;
        let mut feed = |chunk: &[u8]| {
            hasher.update(chunk);
            len += chunk.len() as u64;
            utf8.feed(chunk, &mut text);
            each(chunk, &text);
        };
        match self {
            BodySource::Bytes(bytes) => bytes.chunks(CHUNK).for_each(&mut feed),
            BodySource::File(path) => {
                use std::io::Read as _;
                let mut file = std::fs::File::open(path).map_err(|e| Self::unreadable(path, e))?;
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let n = match file.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Self::unreadable(path, e)),
                    };
                    feed(&buf[..n]);
                }
            }
        }
        Ok(BodyScan {
            hash: hasher.finalize(),
            len,
            utf8: utf8.finish(),
        })
    }

    /// Like [`BodySource::pass`], for a later pass: fails when the bytes are not those of
    /// `first` (a file changed between passes would otherwise print a body that does not
    /// match the signature).
    pub(crate) fn pass_again(
        &self,
        first: &BodyScan,
        each: impl FnMut(&[u8], &str),
    ) -> Result<(), CliError> {
        let again = self.pass(each)?;
        if again.hash != first.hash || again.len != first.len {
            let path = match self {
                BodySource::File(path) => path.display().to_string(),
                BodySource::Bytes(_) => "--data".to_owned(),
            };
            return Err(CliError::Environment(format!(
                "data file `{path}` changed while it was read: sign it again"
            )));
        }
        Ok(())
    }
}

impl BodyArgs {
    /// The body to sign, without reading a `--data-file` into memory.
    pub(crate) fn source(&self) -> Result<BodySource, CliError> {
        match (&self.data, &self.data_file, &self.json) {
            (Some(text), _, _) => Ok(BodySource::Bytes(text.clone().into_bytes())),
            (None, Some(path), _) => Ok(BodySource::File(path.clone())),
            (None, None, Some(text)) => Ok(BodySource::Bytes(
                crate::jsontext::stringify_form(text)?.into_bytes(),
            )),
            (None, None, None) => Ok(BodySource::Bytes(Vec::new())),
        }
    }

    /// The bytes to sign and send. `--json` is rewritten in JSON.stringify form; any warning
    /// (an integer beyond 2^53 that JavaScript would change) goes to stderr.
    pub(crate) fn load(&self) -> Result<Body, CliError> {
        if let Some(body) = load_raw(self.data.as_ref(), self.data_file.as_ref()) {
            return body;
        }
        match &self.json {
            Some(text) => Ok(Body {
                bytes: crate::jsontext::stringify_form(text)?.into_bytes(),
            }),
            None => Ok(Body::default()),
        }
    }
}

impl RawBodyArgs {
    /// The bytes as received.
    pub(crate) fn load(&self) -> Result<Body, CliError> {
        load_raw(self.data.as_ref(), self.data_file.as_ref()).unwrap_or_else(|| Ok(Body::default()))
    }
}

/// Wall-clock time in epoch milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Parses epoch milliseconds as `x-timestamp` carries them (clap value parser). The message
/// is about the flag's value, not a received header.
pub(crate) fn parse_millis(text: &str) -> Result<u64, String> {
    omni_sign::Timestamp::parse(text)
        .map(omni_sign::Timestamp::as_millis)
        .map_err(|_| {
            let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
            if text.strip_prefix('-').is_some_and(digits) {
                "a time before 1970: epoch milliseconds cannot be negative".to_owned()
            } else if digits(text) && text.len() > 1 && text.starts_with('0') {
                "epoch milliseconds are written without leading zeros".to_owned()
            } else if digits(text) {
                format!("epoch milliseconds go up to {}", u64::MAX)
            } else {
                "expected epoch milliseconds: ASCII digits only, e.g. 1709024580000".to_owned()
            }
        })
}

/// Quotes `text` for a POSIX shell.
pub(crate) fn shell_quote(text: &str) -> String {
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
    fn utf8_check_carries_characters_across_chunks() {
        let whole = "aé€😀z".as_bytes();
        for split in 0..=whole.len() {
            let mut check = Utf8Check::new();
            let (mut text, mut seen) = (String::new(), String::new());
            for chunk in [&whole[..split], &whole[split..]] {
                check.feed(chunk, &mut text);
                seen.push_str(&text);
            }
            assert!(check.finish(), "split at {split}");
            assert_eq!(seen, "aé€😀z", "split at {split}");
        }
        let mut check = Utf8Check::new();
        let mut text = String::new();
        check.feed(b"ok\xff", &mut text);
        check.feed(b"more", &mut text);
        assert!(!check.finish());
        assert_eq!(text, "", "no text once the input is known not to be UTF-8");
        let mut check = Utf8Check::new();
        check.feed("é".as_bytes().split_at(1).0, &mut text);
        assert!(!check.finish(), "a character left unfinished at the end");
    }

    #[test]
    fn shell_quote_escapes_single_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("https://h/x"), "https://h/x");
        assert_eq!(shell_quote(""), "''");
    }
}
