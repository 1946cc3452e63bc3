//! `omni verify`: the server's view of a request, and which common pitfall explains a
//! rejected signature.

use std::process::ExitCode;

use omni_sign::{
    BodyHash, CanonicalRequest, Error as SignError, ReceivedBody, ReceivedRequest, Signature,
    SignedHeaders, Signer, Verifier,
};

use crate::error::{CliError, EXIT_FAILED};
use crate::input::{self, RawBodyArgs, SecretArgs};
use crate::jsontext;

const EXAMPLES: &str = "\
Example:
  export OMNI_SECRET_KEY=...
  omni verify --method GET --url 'https://h/api/v1/partner/stores/catalog/1?page=2' \\
      -H 'x-partner-client-id: ptnr_1s4UqMnO64' -H 'x-timestamp: 1709024577000' \\
      -H 'x-signature: sha256=6f1c...' --now 1709024580000

Prints `accept` or `reject: <check>` and, for a mismatch, the pitfall that reproduces the
signature: query-signed, pretty-vs-minified-body, api-v1-not-stripped,
header-names-not-lowercased, store-headers-left-out, stale-timestamp, bare-hex-under-strict.
Exit codes: 0 accepted, 1 rejected, 2 usage or input error.";

/// `omni verify`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct VerifyArgs {
    /// The method received.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// The URL received (with its query, if any).
    #[arg(long)]
    pub url: String,
    /// A received header, `name: value`; repeat for each (names as they arrived).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    #[command(flatten)]
    pub body: RawBodyArgs,
    /// The received x-signature, if not among the -H headers.
    #[arg(long, value_name = "SIG")]
    pub signature: Option<String>,
    /// The server clock in epoch milliseconds [default: now].
    #[arg(long, value_name = "MS", value_parser = input::parse_millis, allow_hyphen_values = true)]
    pub now: Option<u64>,
    /// The timestamp window, in milliseconds either side of the server clock.
    #[arg(long, value_name = "MS", default_value_t = omni_sign::DEFAULT_TOLERANCE_MS)]
    pub tolerance: u64,
    /// Accept only `sha256=<hex>` signatures, not bare hex.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// A pitfall of the authentication guide that a faulty signer may have fallen into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pitfall {
    /// The query string was left on PATH.
    QuerySigned,
    /// The body hashed is the pretty-printed (or minified) twin of the body sent.
    PrettyVsMinifiedBody,
    /// `/api/v1` was left on PATH.
    ApiV1NotStripped,
    /// Header names kept their case in the base string.
    HeaderNamesNotLowercased,
    /// The store headers were sent but not signed.
    StoreHeadersLeftOut,
    /// x-timestamp is outside the window.
    StaleTimestamp,
    /// Bare hex sent to a verifier that only accepts `sha256=<hex>`.
    BareHexUnderStrict,
}

impl Pitfall {
    /// The stable name printed after `pitfall:`.
    pub fn name(self) -> &'static str {
        match self {
            Pitfall::QuerySigned => "query-signed",
            Pitfall::PrettyVsMinifiedBody => "pretty-vs-minified-body",
            Pitfall::ApiV1NotStripped => "api-v1-not-stripped",
            Pitfall::HeaderNamesNotLowercased => "header-names-not-lowercased",
            Pitfall::StoreHeadersLeftOut => "store-headers-left-out",
            Pitfall::StaleTimestamp => "stale-timestamp",
            Pitfall::BareHexUnderStrict => "bare-hex-under-strict",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Pitfall::QuerySigned => {
                "the signer kept the query string on PATH; sign the path without `?...` (path-rules)"
            }
            Pitfall::PrettyVsMinifiedBody => {
                "the body hashed is not the body sent (pretty-printed vs minified); hash the exact bytes sent (body-hash-exact-bytes)"
            }
            Pitfall::ApiV1NotStripped => {
                "the signer kept the leading /api/v1 on PATH; strip it before signing (path-rules)"
            }
            Pitfall::HeaderNamesNotLowercased => {
                "the signer wrote header names in mixed case; lowercase them before sorting (signed-headers)"
            }
            Pitfall::StoreHeadersLeftOut => {
                "x-store-client-id and x-store-token were sent but not signed; include them in the signed headers (signed-headers)"
            }
            Pitfall::StaleTimestamp => {
                "x-timestamp is outside the window; sync the clock and recompute x-timestamp and x-signature on every retry (timestamp-window and retry-resigns)"
            }
            Pitfall::BareHexUnderStrict => {
                "the signature is bare hex but this server only accepts sha256=<hex> (signature-format)"
            }
        }
    }
}

/// Splits `name: value`, trimming the optional whitespace HTTP allows around the value.
fn parse_header(line: &str) -> Result<(String, String), CliError> {
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| CliError::MalformedHeader(line.to_owned()))?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(CliError::MalformedHeader(line.to_owned()));
    }
    Ok((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()))
}

/// Runs `omni verify`.
pub fn run(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let secret = args.secret.load()?;
    let body = args.body.load()?;
    let mut headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(sig) = &args.signature {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(omni_sign::header::SIGNATURE));
        headers.push((omni_sign::header::SIGNATURE.to_owned(), sig.clone()));
    }
    // What the command was given must itself be well formed: that is an input error, not a
    // rejection.
    omni_sign::Method::new(&args.method)?;
    omni_sign::canonical_path(&args.url)?;
    let verifier = Verifier::builder()
        .key("partner", secret.expose_secret())
        .tolerance_ms(args.tolerance)
        .strict(args.strict)
        .build()?;
    let signer = Signer::new(secret.expose_secret())?;
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let received = ReceivedRequest {
        method: &args.method,
        url: &args.url,
        headers: &pairs,
        body: ReceivedBody::Bytes(&body.bytes),
    };
    let now = args.now.unwrap_or_else(input::now_ms);
    let error = match verifier.verify(&received, now) {
        Ok(ok) => {
            let age_ms = i128::from(now) - i128::from(ok.headers.timestamp().as_millis());
            let form = match ok.format {
                omni_sign::SignatureFormat::Prefixed => "sha256=<hex>",
                _ => "bare hex",
            };
            println!("accept: signature valid ({form}, timestamp {age_ms} ms before server time)");
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => e,
    };
    println!("reject: {}: {error}", error.kind());
    let sig_text = received.signature_header().ok();
    match (&error, received.canonical(), sig_text) {
        (SignError::MalformedSignature, Ok(canonical), Some(text)) if args.strict => {
            if let Ok(sig) = Signature::parse(text, false) {
                report(Pitfall::BareHexUnderStrict);
                let right = signer.verify(&canonical, &sig);
                println!(
                    "the hex itself {} this request",
                    if right { "matches" } else { "does not match" }
                );
            }
        }
        (SignError::TimestampOutsideWindow { .. }, Ok(canonical), Some(text)) => {
            report(Pitfall::StaleTimestamp);
            if let Some(age) = error.age_seconds() {
                println!(
                    "x-timestamp is {age} s from server time; the window is +-{} s",
                    args.tolerance / 1000
                );
            }
            if let Ok(sig) = Signature::parse(text, false) {
                let right = signer.verify(&canonical, &sig);
                println!(
                    "the signature itself {} this request",
                    if right { "matches" } else { "does not match" }
                );
            }
        }
        (SignError::SignatureMismatch, Ok(canonical), Some(text)) => {
            if let Ok(sig) = Signature::parse(text, false) {
                diagnose_mismatch(
                    &signer,
                    &args.url,
                    &headers,
                    &body.bytes,
                    &canonical,
                    &sig,
                    "",
                );
            }
        }
        (SignError::StoreTokenMissing | SignError::StoreClientIdMissing, _, _) => {
            println!("a store-scoped call sends both x-store-client-id and x-store-token");
        }
        _ => {}
    }
    Ok(ExitCode::from(EXIT_FAILED))
}

fn report(pitfall: Pitfall) {
    println!("pitfall: {}: {}", pitfall.name(), pitfall.advice());
}

/// One signed header line as a faulty signer may have written it.
#[derive(Clone)]
struct Line {
    name: String,
    value: String,
    secret: bool,
}

/// The pieces of a base string, each possibly as a faulty signer wrote it.
struct Candidate<'a> {
    method: &'a str,
    path: &'a str,
    lines: &'a [Line],
    body_hash: &'a str,
}

impl Candidate<'_> {
    fn text(&self, redact: bool) -> String {
        let mut out = format!("{}\n{}", self.method, self.path);
        for line in self.lines {
            let value = if redact && line.secret {
                omni_sign::REDACTED
            } else {
                &line.value
            };
            out.push_str(&format!("\n{}:{}", line.name, value));
        }
        out.push('\n');
        out.push_str(self.body_hash);
        out
    }
}

fn lines_of(headers: &SignedHeaders<'_>, rename: impl Fn(&str) -> String) -> Vec<Line> {
    let mut lines = Vec::new();
    headers.for_each(|name, value| {
        lines.push(Line {
            name: rename(name),
            value: value.to_owned(),
            secret: name == omni_sign::header::STORE_TOKEN,
        });
    });
    // Sorted by the names as written: the pitfall is lowercasing after sorting, or never.
    lines.sort_by(|a, b| a.name.cmp(&b.name));
    lines
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The path part of `url` as sent: no scheme, host, query or fragment, `/api/v1` kept.
fn raw_path(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) if !url.starts_with('/') => {
            let after = &url[i + 3..];
            &after[after.find(['/', '?', '#']).unwrap_or(after.len())..]
        }
        _ => url,
    };
    let path = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    if path.is_empty() { "/" } else { path }
}

fn query(url: &str) -> Option<&str> {
    let start = url.find('?')?;
    let rest = &url[start..];
    Some(&rest[..rest.find('#').unwrap_or(rest.len())])
}

/// Tries every combination of the guide's pitfalls and reports the simplest one that
/// reproduces `received`. The alternative base strings are exactly what such a signer wrote;
/// they are signed by omni-sign's diagnosis entry point, never by anything here.
pub(crate) fn diagnose_mismatch(
    signer: &Signer,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    canonical: &CanonicalRequest<'_>,
    received: &Signature,
    indent: &str,
) -> Vec<Pitfall> {
    let path = canonical.path().as_str();
    let mut paths: Vec<(String, Vec<Pitfall>)> = vec![(path.to_owned(), vec![])];
    let raw = raw_path(url);
    if let Some(q) = query(url) {
        paths.push((format!("{path}{q}"), vec![Pitfall::QuerySigned]));
    }
    if raw != path {
        paths.push((raw.to_owned(), vec![Pitfall::ApiV1NotStripped]));
        if let Some(q) = query(url) {
            paths.push((
                format!("{raw}{q}"),
                vec![Pitfall::ApiV1NotStripped, Pitfall::QuerySigned],
            ));
        }
    }

    let signed = canonical.headers();
    let mut line_sets: Vec<(Vec<Line>, Vec<Pitfall>)> =
        vec![(lines_of(signed, str::to_owned), vec![])];
    let as_received = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or_else(|| name.to_owned(), |(n, _)| n.clone())
    };
    let mixed = lines_of(signed, as_received);
    if mixed
        .iter()
        .any(|l| l.name.bytes().any(|b| b.is_ascii_uppercase()))
    {
        line_sets.push((mixed, vec![Pitfall::HeaderNamesNotLowercased]));
    }
    line_sets.push((
        lines_of(signed, title_case),
        vec![Pitfall::HeaderNamesNotLowercased],
    ));
    if signed.store_client_id().is_some()
        && let Ok(partner_only) = SignedHeaders::new(signed.partner_client_id(), signed.timestamp())
    {
        line_sets.push((
            lines_of(&partner_only, str::to_owned),
            vec![Pitfall::StoreHeadersLeftOut],
        ));
    }

    let mut bodies: Vec<(String, Vec<Pitfall>, String)> =
        vec![(canonical.body_hash().to_string(), vec![], String::new())];
    if let Some(min) = jsontext::minify(body) {
        let mut forms = vec![(min.clone(), "minified".to_owned())];
        for width in [2, 4] {
            forms.push((
                jsontext::indent(&min, width),
                format!("pretty, indent {width}"),
            ));
        }
        for (text, label) in forms {
            if text.as_bytes() != body {
                bodies.push((
                    BodyHash::of(text.as_bytes()).to_string(),
                    vec![Pitfall::PrettyVsMinifiedBody],
                    label,
                ));
            }
        }
    }

    let mut best: Option<(Vec<Pitfall>, String, String)> = None;
    for (p, p_pits) in &paths {
        for (lines, l_pits) in &line_sets {
            for (hash, b_pits, label) in &bodies {
                let pits: Vec<Pitfall> =
                    p_pits.iter().chain(l_pits).chain(b_pits).copied().collect();
                if pits.is_empty() || best.as_ref().is_some_and(|(b, _, _)| b.len() <= pits.len()) {
                    continue;
                }
                let candidate = Candidate {
                    method: canonical.method().as_str(),
                    path: p,
                    lines,
                    body_hash: hash,
                };
                if signer.sign_base_string_for_diagnosis(&candidate.text(false)) == *received {
                    best = Some((pits, candidate.text(true), label.clone()));
                }
            }
        }
    }
    let found = best
        .as_ref()
        .map(|(pits, _, _)| pits.clone())
        .unwrap_or_default();
    match best {
        Some((pits, text, label)) => {
            for pit in &pits {
                print!("{indent}");
                report(*pit);
            }
            if !label.is_empty() {
                println!("{indent}the signer hashed the {label} form of the body");
            }
            println!("{indent}the signer's base string (store token masked):");
            print_indented(indent, &text);
        }
        None => println!(
            "{indent}no known pitfall reproduces this signature: check the secret key, the exact body bytes and the signed header values"
        ),
    }
    println!("{indent}the base string this server expects (store token masked):");
    print_indented(indent, &canonical.redacted().to_string());
    found
}

fn print_indented(indent: &str, text: &str) {
    for line in text.lines() {
        println!("{indent}    {line}");
    }
}
