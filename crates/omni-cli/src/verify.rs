//! `omni verify`: the server's view of a request, and which common pitfalls explain a
//! rejected signature. The diagnosis is omni-diagnose's; this module only reads the arguments
//! and formats the verdict.

use std::process::ExitCode;

use omni_diagnose::{BodyForms, DiagnoseOptions, Outcome, Pitfall, Received, Verdict, diagnose};
use omni_sign::SignatureFormat;

use crate::error::{CliError, EXIT_FAILED};
use crate::input::{self, RawBodyArgs, SecretArgs};

const EXAMPLES: &str = "\
Example:
  export OMNI_SECRET_KEY=...
  omni verify --method GET --url 'https://h/api/v1/partner/stores/catalog/1?page=2' \\
      -H 'x-partner-client-id: ptnr_1s4UqMnO64' -H 'x-timestamp: 1709024577000' \\
      -H 'x-signature: sha256=6f1c...' --now 1709024580000

Prints `accept` or `reject: <check>` and, for a rejection, the pitfalls that reproduce the
signature (the fewest first; the others are listed): query-signed, pretty-vs-minified-body,
api-v1-not-stripped, header-names-not-lowercased, store-headers-left-out, stale-timestamp,
bare-hex-under-strict, timestamp-in-seconds, body-keys-reordered. `--output json` prints the
verdict as versioned JSON (omni-diagnose's schema). Bodies over 1 MiB are checked as sent only.
Exit codes: 0 accepted, 1 rejected, 2 usage or input error.";

/// `omni verify`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct VerifyArgs {
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
    /// What to print.
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: VerifyOutput,
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// How `omni verify` prints its verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum VerifyOutput {
    /// `accept` or `reject: <check>`, then the pitfalls and base strings.
    #[default]
    Text,
    /// The verdict as omni-diagnose writes it (`"version": 1`, schema in its README).
    Json,
}

/// Whether `name` is an HTTP field name (RFC 9110 `token`).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Splits `name: value`, trimming the optional whitespace HTTP allows around the value.
/// Refused as an HTTP/1.1 server refuses them (RFC 9112 section 5): no colon, a name that is
/// not a token, whitespace between the name and the colon. The argument's text is never
/// repeated in the error, as it may hold a store token; only a well-formed name is.
fn parse_header(position: usize, line: &str) -> Result<(String, String), CliError> {
    let malformed = |problem: String| CliError::MalformedHeader { position, problem };
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| malformed("no colon between name and value".to_owned()))?;
    let trimmed = name.trim_end_matches([' ', '\t']);
    if trimmed.len() != name.len() && is_token(trimmed) {
        return Err(malformed(format!(
            "whitespace between the name `{trimmed}` and the colon (HTTP/1.1 servers refuse it)"
        )));
    }
    if !is_token(name) {
        return Err(malformed("the name is not an HTTP token".to_owned()));
    }
    Ok((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()))
}

/// Runs `omni verify`.
pub(crate) fn run(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let secret = args.secret.load()?;
    let body = args.body.load()?;
    let mut headers = args
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| parse_header(i + 1, h))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(sig) = &args.signature {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(omni_sign::header::SIGNATURE));
        headers.push((omni_sign::header::SIGNATURE.to_owned(), sig.clone()));
    }
    // What the command was given must itself be well formed: that is an input error, not a
    // rejection.
    omni_sign::Method::new(&args.method)?;
    omni_sign::canonical_path(&args.url)?;
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let received = Received {
        method: &args.method,
        url: &args.url,
        headers: &pairs,
        body: &body.bytes,
    };
    let mut options = DiagnoseOptions::new(
        secret.expose_secret(),
        args.now.unwrap_or_else(input::now_ms),
    );
    options.tolerance_ms = args.tolerance;
    options.strict = args.strict;
    let verdict = diagnose(&received, &options).map_err(|e| match e {
        omni_diagnose::Error::InvalidSecret(e) => CliError::from(e),
        other => CliError::Environment(other.to_string()),
    })?;
    match args.output {
        VerifyOutput::Json => println!("{}", verdict.to_json_pretty()),
        VerifyOutput::Text => {
            println!("{}", headline(&verdict));
            print!("{}", explain(&verdict, ""));
        }
    }
    Ok(if verdict.is_accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

/// `accept: ...` or `reject: <check>: <message>`.
fn headline(verdict: &Verdict) -> String {
    match &verdict.outcome {
        Outcome::Rejected(error) => format!("reject: {}: {error}", error.kind()),
        _ => {
            let form = match verdict.signature_format {
                Some(SignatureFormat::BareHex) => "bare hex",
                _ => "sha256=<hex>",
            };
            format!(
                "accept: signature valid ({form}, timestamp {} ms before server time)",
                verdict.timestamp_age_ms.unwrap_or_default()
            )
        }
    }
}

/// The explanation of a rejection, each line starting with `indent`: the pitfalls of the
/// first combination (`pitfall: <name>: <advice>`), the base string it implies beside the
/// one the server expects, and the other combinations.
pub(crate) fn explain(verdict: &Verdict, indent: &str) -> String {
    let mut out = String::new();
    let mut line = |text: &str| {
        out.push_str(indent);
        out.push_str(text);
        out.push('\n');
    };
    if verdict.is_accepted() {
        return out;
    }
    let pitfalls = verdict.pitfalls();
    for pitfall in pitfalls {
        line(&format!(
            "pitfall: {}: {}",
            pitfall.name(),
            pitfall.advice()
        ));
    }
    if pitfalls.contains(&Pitfall::StaleTimestamp)
        && let Some(age_ms) = verdict.timestamp_age_ms
    {
        line(&format!(
            "x-timestamp is {} s from server time; the window is +-{} s",
            age_ms.div_euclid(1000),
            verdict.tolerance_ms / 1000
        ));
    }
    if !verdict.check_pitfalls.is_empty()
        && let Some(matches) = verdict.signature_matches_request
    {
        let what = if verdict
            .check_pitfalls
            .contains(&Pitfall::BareHexUnderStrict)
        {
            "hex"
        } else {
            "signature"
        };
        let verb = if matches { "matches" } else { "does not match" };
        line(&format!("the {what} itself {verb} this request"));
    }
    if verdict.signature_matches_request == Some(false) {
        match verdict.combinations.first() {
            Some(first) => {
                if let Some(form) = first.body_form {
                    line(&format!("the signer hashed the {form} form of the body"));
                }
                line("the signer's base string (store token masked):");
                base_string_lines(&mut line, &first.base_string);
            }
            None => line(
                "no known pitfall reproduces this signature: check the secret key, the exact body bytes and the signed header values",
            ),
        }
        if let BodyForms::TooLarge { limit } = verdict.body_forms {
            line(&format!(
                "the body is {} bytes, over the {limit}-byte limit: its minified, pretty and sorted forms were not tried",
                verdict.body_bytes
            ));
        }
        if let Some(expected) = &verdict.expected_base_string {
            line("the base string this server expects (store token masked):");
            base_string_lines(&mut line, expected);
        }
        if verdict.combinations.len() > 1 {
            line("other combinations that reproduce this signature:");
            for other in &verdict.combinations[1..] {
                let names: Vec<&str> = other.pitfalls.iter().map(|p| p.name()).collect();
                let form = other
                    .body_form
                    .map(|f| format!(" (body {f})"))
                    .unwrap_or_default();
                line(&format!("  - {}{form}", names.join(" + ")));
            }
        }
    }
    if matches!(
        verdict.check(),
        Some("store_token_missing" | "store_client_id_missing")
    ) {
        line("a store-scoped call sends both x-store-client-id and x-store-token");
    }
    out
}

fn base_string_lines(line: &mut impl FnMut(&str), text: &str) {
    for l in text.lines() {
        line(&format!("    {l}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_arguments_as_http_1_1_reads_them() {
        assert_eq!(
            parse_header(1, "X-Timestamp:\t 17 ").unwrap(),
            ("X-Timestamp".to_owned(), "17".to_owned())
        );
        for bad in [
            "x-store-token stkn_1",
            "x-store-token : stkn_1",
            ": v",
            "a b: c",
        ] {
            let err = parse_header(2, bad).unwrap_err().to_string();
            assert!(!err.contains("stkn_1"), "{err}");
            assert!(err.contains("-H argument 2"), "{err}");
        }
    }

    #[test]
    fn the_first_combination_is_shown_and_the_others_listed() {
        let faulty = "GET\n/partner/x?a=1\nx-partner-client-id:p\nx-timestamp:1000\n\
                      e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let sig = omni_sign::Signer::new(b"k")
            .unwrap()
            .sign_base_string(faulty)
            .to_string();
        let headers = [
            ("x-partner-client-id", "p"),
            ("x-timestamp", "1000"),
            ("x-signature", sig.as_str()),
        ];
        let received = Received {
            method: "GET",
            url: "/partner/x?a=1",
            headers: &headers,
            body: b"",
        };
        let mut verdict = diagnose(&received, &DiagnoseOptions::new(b"k", 1000)).unwrap();
        assert_eq!(verdict.pitfalls(), [Pitfall::QuerySigned]);
        // A second reproducing combination, as the search would list it.
        verdict.combinations.push(omni_diagnose::Combination {
            pitfalls: vec![Pitfall::ApiV1NotStripped, Pitfall::PrettyVsMinifiedBody],
            body_form: Some(omni_diagnose::BodyForm::PRETTY_2),
            base_string: String::new(),
        });
        let text = explain(&verdict, "");
        let pitfall_lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("pitfall: "))
            .collect();
        assert_eq!(pitfall_lines.len(), 1, "{text}");
        assert!(
            pitfall_lines[0].starts_with("pitfall: query-signed: "),
            "{text}"
        );
        assert!(
            text.contains("other combinations that reproduce this signature:\n  - api-v1-not-stripped + pretty-vs-minified-body (body pretty, indent 2)\n"),
            "{text}"
        );
    }
}
