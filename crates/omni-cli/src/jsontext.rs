//! `--json` body text: the JSON.stringify form to send.

use crate::error::CliError;

/// `text` rewritten exactly as `JSON.stringify(JSON.parse(text))` would write it (`json-stringify-form`), through omni-json. Warnings (an integer beyond 2^53 that JavaScript
/// would silently change) go to stderr: the value sent is the one a JavaScript server reads.
pub(crate) fn stringify_form(text: &str) -> Result<String, CliError> {
    let out = omni_json::restringify(text, omni_json::Mode::Lenient)
        .map_err(|e| CliError::InvalidJson(e.to_string()))?;
    for warning in &out.warnings {
        eprintln!("warning: --json: {warning}");
    }
    Ok(out.json)
}
