//! `omni sign`: the headers to send with a request.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use omni_sign::{BodyHash, CanonicalRequest, SignatureFormat, SignedHeaders, Signer, Timestamp};

use crate::error::CliError;
use crate::input::{self, BodyArgs, BodyScan, BodySource, SecretArgs, StoreArgs};

const EXAMPLES: &str = "\
Examples:
  export OMNI_SECRET_KEY=... OMNI_CLIENT_ID=ptnr_1s4UqMnO64
  omni sign --method POST --url https://partners-api.tocobagus.net/api/v1/partner/onboard/sessions \\
      --json '{\"redirectUri\": \"https://example.com/done\"}'
  OMNI_STORE_TOKEN=stkn_... omni sign --url https://h/api/v1/partner/stores/catalog/1 \\
      --store-client-id str_TGIxyboe7-Rz --output curl

The secret key comes from OMNI_SECRET_KEY or --secret-file. Exit codes: 0 signed, 2 usage or input error.";

/// How `omni sign` prints its result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// `name: value` lines ready to send.
    #[default]
    Headers,
    /// One JSON object: method, url, timestamp_ms, base_string, signature, headers, body.
    Json,
    /// A ready curl command.
    Curl,
}

/// `omni sign`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct SignArgs {
    /// The HTTP method, uppercase.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// The URL exactly as it is sent (PATH is derived from it: /api/v1 and the query dropped).
    #[arg(long)]
    pub url: String,
    /// The partner client id, sent as x-partner-client-id.
    #[arg(long, env = "OMNI_CLIENT_ID", value_name = "ID")]
    pub client_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// x-timestamp in epoch milliseconds [default: now].
    #[arg(long, value_name = "MS", value_parser = input::parse_millis, allow_hyphen_values = true)]
    pub timestamp: Option<u64>,
    #[command(flatten)]
    pub body: BodyArgs,
    /// What to print.
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Write x-signature as bare hex instead of sha256=<hex>.
    #[arg(long)]
    pub bare_hex: bool,
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// A signed request, ready to print.
struct Signed {
    headers: Vec<(&'static str, String)>,
    base_string: String,
    signature: String,
    timestamp_ms: u64,
}

/// Runs `omni sign`. A `--data-file` is read in chunks (hashed first, then, for `-o json`,
/// read again to print it), so memory stays bounded whatever its size.
pub(crate) fn run(args: &SignArgs) -> Result<ExitCode, CliError> {
    let secret = args.secret.load()?;
    let store = args.store.load()?;
    let body = args.body.source()?;
    let signer = Signer::new(secret.expose_secret())?;
    let timestamp = Timestamp::from_millis(args.timestamp.unwrap_or_else(input::now_ms));
    let signed_headers = SignedHeaders::from_parts(
        &args.client_id,
        store.as_ref().map(|s| s.client_id.as_str()),
        store.as_ref().map(|s| s.token.as_str()),
        timestamp,
    )?;
    // Checked before the body is read: a bad method or URL fails fast on a large file.
    CanonicalRequest::new(&args.method, &args.url, signed_headers, BodyHash::of(b""))?;
    let scan = body.pass(|_, _| {})?;
    let request = CanonicalRequest::new(&args.method, &args.url, signed_headers, scan.hash)?;
    let format = if args.bare_hex {
        SignatureFormat::BareHex
    } else {
        SignatureFormat::Prefixed
    };
    let signature = signer.sign(&request);
    let mut headers = Vec::new();
    if scan.len > 0 {
        headers.push(("content-type", "application/json".to_owned()));
    }
    signed_headers.for_each(|name, value| headers.push((name, value.to_owned())));
    headers.push((
        omni_sign::header::SIGNATURE,
        signature.encode(format).as_str().to_owned(),
    ));
    let signed = Signed {
        headers,
        base_string: request.to_base_string(),
        signature: signature.to_string(),
        timestamp_ms: timestamp.as_millis(),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.output {
        OutputFormat::Headers => signed
            .headers
            .iter()
            .try_for_each(|(name, value)| writeln!(out, "{name}: {value}"))
            .map_err(CliError::from),
        OutputFormat::Json => json_output(&mut out, args, &signed, &body, &scan),
        OutputFormat::Curl => out
            .write_all(curl_output(args, &signed, &body, &scan).as_bytes())
            .map_err(CliError::from),
    };
    written?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `value` as a member of the top-level object, indented as serde_json's pretty
/// printer indents it.
fn member(out: &mut impl Write, name: &str, value: &serde_json::Value) -> Result<(), CliError> {
    let pretty = serde_json::to_string_pretty(value).map_err(std::io::Error::from)?;
    write!(out, "  \"{name}\": {}", pretty.replace('\n', "\n  "))?;
    Ok(())
}

/// The JSON object, keys in order, with the body members streamed from the source.
fn json_output(
    out: &mut impl Write,
    args: &SignArgs,
    signed: &Signed,
    body: &BodySource,
    scan: &BodyScan,
) -> Result<(), CliError> {
    let headers: serde_json::Map<String, serde_json::Value> = signed
        .headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone().into()))
        .collect();
    out.write_all(b"{\n")?;
    member(out, "base_string", &signed.base_string.as_str().into())?;
    out.write_all(b",\n")?;
    if scan.utf8 {
        out.write_all(b"  \"body\": \"")?;
        let mut failed = None;
        body.pass_again(scan, |_, text| {
            if failed.is_none() && !text.is_empty() {
                // Each piece is whole characters, and JSON escapes character by character.
                let quoted = serde_json::Value::from(text).to_string();
                let inner = &quoted[1..quoted.len() - 1];
                failed = out.write_all(inner.as_bytes()).err();
            }
        })?;
        failed.map_or(Ok(()), Err)?;
        out.write_all(b"\",\n")?;
    }
    out.write_all(b"  \"body_base64\": \"")?;
    {
        let mut encoder = base64::write::EncoderWriter::new(
            &mut *out,
            &base64::engine::general_purpose::STANDARD,
        );
        let mut failed = None;
        body.pass_again(scan, |chunk, _| {
            if failed.is_none() {
                failed = encoder.write_all(chunk).err();
            }
        })?;
        failed.map_or(Ok(()), Err)?;
        encoder.finish()?;
    }
    out.write_all(b"\",\n")?;
    member(out, "headers", &headers.into())?;
    out.write_all(b",\n")?;
    member(out, "method", &args.method.as_str().into())?;
    out.write_all(b",\n")?;
    member(out, "signature", &signed.signature.as_str().into())?;
    out.write_all(b",\n")?;
    member(out, "timestamp_ms", &signed.timestamp_ms.into())?;
    out.write_all(b",\n")?;
    member(out, "url", &args.url.as_str().into())?;
    out.write_all(b"\n}\n")?;
    Ok(())
}

/// A curl command that sends exactly what was signed: `--path-as-is` stops curl from
/// resolving `.` and `..` segments (the server would see another path than the signed one).
fn curl_output(args: &SignArgs, signed: &Signed, body: &BodySource, scan: &BodyScan) -> String {
    let q = input::shell_quote;
    let mut out = format!("curl --path-as-is -X {} {}", q(&args.method), q(&args.url));
    for (name, value) in &signed.headers {
        let _ = write!(out, " \\\n  -H {}", q(&format!("{name}: {value}")));
    }
    match body {
        // The file holds the exact bytes; curl's --data-binary sends them untouched.
        BodySource::File(path) if scan.len > 0 => {
            let _ = write!(
                out,
                " \\\n  --data-binary {}",
                q(&format!("@{}", path.display()))
            );
        }
        // --data and --json are text: they came from the command line.
        BodySource::Bytes(bytes) if !bytes.is_empty() => {
            let text = String::from_utf8_lossy(bytes);
            let _ = write!(out, " \\\n  --data-raw {}", q(&text));
        }
        _ => {}
    }
    out.push('\n');
    out
}
