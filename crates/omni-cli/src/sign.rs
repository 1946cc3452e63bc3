//! `omni sign`: the headers to send with a request.

use std::fmt::Write as _;
use std::process::ExitCode;

use base64::Engine as _;
use omni_sign::{BodyHash, CanonicalRequest, SignatureFormat, SignedHeaders, Signer, Timestamp};

use crate::error::CliError;
use crate::input::{self, BodyArgs, SecretArgs, StoreArgs};

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
pub enum OutputFormat {
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
pub struct SignArgs {
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
    #[arg(long, value_name = "MS", value_parser = input::parse_millis)]
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

/// Runs `omni sign`.
pub fn run(args: &SignArgs) -> Result<ExitCode, CliError> {
    let secret = args.secret.load()?;
    let store = args.store.load()?;
    let body = args.body.load()?;
    let signer = Signer::new(secret.expose_secret())?;
    let timestamp = Timestamp::from_millis(args.timestamp.unwrap_or_else(input::now_ms));
    let signed_headers = SignedHeaders::from_parts(
        &args.client_id,
        store.as_ref().map(|s| s.client_id.as_str()),
        store.as_ref().map(|s| s.token.as_str()),
        timestamp,
    )?;
    let request = CanonicalRequest::new(
        &args.method,
        &args.url,
        signed_headers,
        BodyHash::of(&body.bytes),
    )?;
    let format = if args.bare_hex {
        SignatureFormat::BareHex
    } else {
        SignatureFormat::Prefixed
    };
    let signature = signer.sign(&request);
    let mut headers = Vec::new();
    if body.is_present() {
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
    let out = match args.output {
        OutputFormat::Headers => {
            signed
                .headers
                .iter()
                .fold(String::new(), |mut out, (name, value)| {
                    let _ = writeln!(out, "{name}: {value}");
                    out
                })
        }
        OutputFormat::Json => json_output(args, &signed, &body),
        OutputFormat::Curl => curl_output(args, &signed, &body),
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn json_output(args: &SignArgs, signed: &Signed, body: &input::Body) -> String {
    let headers: serde_json::Map<String, serde_json::Value> = signed
        .headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone().into()))
        .collect();
    let mut object = serde_json::json!({
        "method": args.method,
        "url": args.url,
        "timestamp_ms": signed.timestamp_ms,
        "base_string": signed.base_string,
        "signature": signed.signature,
        "headers": headers,
        "body_base64": base64::engine::general_purpose::STANDARD.encode(&body.bytes),
    });
    if let (Some(text), Some(map)) = (body.text(), object.as_object_mut()) {
        map.insert("body".into(), text.into());
    }
    format!("{object:#}\n")
}

fn curl_output(args: &SignArgs, signed: &Signed, body: &input::Body) -> String {
    let q = input::shell_quote;
    let mut out = format!("curl -X {} {}", q(&args.method), q(&args.url));
    for (name, value) in &signed.headers {
        let _ = write!(out, " \\\n  -H {}", q(&format!("{name}: {value}")));
    }
    if body.is_present() {
        match (&body.file, body.text()) {
            // The file holds the exact bytes; curl's --data-binary sends them untouched.
            (Some(path), _) => {
                let _ = write!(
                    out,
                    " \\\n  --data-binary {}",
                    q(&format!("@{}", path.display()))
                );
            }
            (None, Some(text)) => {
                let _ = write!(out, " \\\n  --data-raw {}", q(text));
            }
            (None, None) => {}
        }
    }
    out.push('\n');
    out
}
