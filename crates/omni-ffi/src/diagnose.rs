//! `omni_diagnose`: why the server rejects a received request, as omni-diagnose's versioned
//! JSON verdict.

use std::ffi::c_char;

use omni_diagnose::{DiagnoseOptions, Received, diagnose};

use crate::args::{self, Output};
use crate::status::{guard, omni_status};

/// One received header, its name and value exactly as received (any case; a repeated header
/// is given once per occurrence).
#[repr(C)]
#[derive(Debug)]
pub struct omni_header {
    /// The header name. Required.
    pub name: *const c_char,
    /// The header value, without the whitespace around it. Required.
    pub value: *const c_char,
}

/// Diagnoses a received request as the server sees it and writes the verdict as JSON into
/// `out`: whether it is accepted, else the check that failed (named as the statuses are, in
/// lower case: `"check": "signature_mismatch"`) and the minimal combinations of signer pitfalls
/// (`query-signed`, `pretty-vs-minified-body`, `api-v1-not-stripped`,
/// `header-names-not-lowercased`, `store-headers-left-out`, `stale-timestamp`,
/// `bare-hex-under-strict`, ...) that reproduce the received signature, fewest first, each
/// with the base string it implies beside the one the server expects. The JSON starts with
/// `{"version":1,` (its shape: crates/omni-diagnose/README.md); base strings hold the store
/// token as `REDACTED`, and nothing in it is secret.
///
/// `method`, `url` (query included): as received. `headers`/`header_count`: every header as
/// received, `x-signature` among them; `headers` may be NULL only when `header_count` is 0.
/// `body`/`body_len`: the exact bytes received (alternate forms of the body are built only up
/// to 1 MiB; the verdict says when the body was larger). `secret`: the partner secret key.
/// `now_ms`: the server clock; `tolerance_ms`: its window (OMNI_DEFAULT_TOLERANCE_MS).
/// `flags`: 0, or OMNI_VERIFY_STRICT to accept only `sha256=<hex>`.
///
/// OMNI_OK means a verdict was written, accepted or not: a malformed request is a verdict
/// (`"check": "missing_header"`, ...), not a failed call. The call fails on unusable
/// arguments: NULL (OMNI_NULL_ARGUMENT), text that is not UTF-8 (OMNI_INVALID_UTF8), an empty
/// secret (OMNI_EMPTY_SECRET), a negative clock or tolerance or unknown flag bits
/// (OMNI_INVALID_INPUT). The output follows the convention of every call: ask for the size
/// with `out == NULL, out_cap == 0` (OMNI_BUFFER_TOO_SMALL, `*out_len` the length needed);
/// the diagnosis then runs again on the second call, so a first buffer of 4096 bytes, which
/// usually suffices, saves that.
///
/// Ownership: every argument is borrowed for the call only; `out` is the caller's.
/// Thread safety: reentrant, no shared state.
///
/// # Safety
/// `method` and `url` are NULL or NUL-terminated strings; `headers` is NULL or readable for
/// `header_count` elements whose `name` and `value` are NULL or NUL-terminated strings;
/// `body` and `secret` are NULL or readable for their lengths; `out` is NULL or writable for
/// `out_cap` bytes; `out_len` is NULL or writable. None is modified during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_diagnose(
    method: *const c_char,
    url: *const c_char,
    headers: *const omni_header,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    secret: *const u8,
    secret_len: usize,
    now_ms: i64,
    tolerance_ms: i64,
    flags: u32,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> omni_status {
    guard(|| {
        // SAFETY: the caller's contract on out/out_cap/out_len.
        let output = unsafe { Output::new(out, out_cap, out_len) }?;
        // SAFETY: the caller's contract on each argument.
        let method = unsafe { args::required_str(method) }?;
        // SAFETY: as above.
        let url = unsafe { args::required_str(url) }?;
        // SAFETY: as above.
        let headers = unsafe { received_headers(headers, header_count) }?;
        // SAFETY: as above.
        let body = unsafe { args::bytes(body, body_len) }?;
        // SAFETY: as above.
        let secret = unsafe { args::secret(secret, secret_len) }?;
        let mut options = DiagnoseOptions::new(secret, args::millis(now_ms)?);
        options.tolerance_ms = args::millis(tolerance_ms)?;
        options.strict = args::verify_strict(flags)?;
        let received = Received {
            method,
            url,
            headers: &headers,
            body,
        };
        let verdict = diagnose(&received, &options).map_err(|e| match e {
            omni_diagnose::Error::InvalidSecret(e) => omni_status::of(&e),
            _ => omni_status::OMNI_INVALID_INPUT,
        })?;
        output.put(verdict.to_json().as_bytes())
    })
}

/// The header array of omni_diagnose as `(name, value)` pairs, in order.
///
/// # Safety
/// `headers` is NULL or readable for `count` elements whose strings are NULL or
/// NUL-terminated, all valid and unchanged for `'a`.
unsafe fn received_headers<'a>(
    headers: *const omni_header,
    count: usize,
) -> Result<Vec<(&'a str, &'a str)>, omni_status> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if headers.is_null() {
        return Err(omni_status::OMNI_NULL_ARGUMENT);
    }
    if count > isize::MAX as usize / size_of::<omni_header>() {
        return Err(omni_status::OMNI_INVALID_INPUT);
    }
    // SAFETY: not NULL, `count` readable elements by the caller's contract, and the byte size
    // is within isize::MAX (checked above).
    let headers = unsafe { std::slice::from_raw_parts(headers, count) };
    headers
        .iter()
        .map(|header| {
            // SAFETY: the caller's contract on each element.
            let name = unsafe { args::required_str(header.name) }?;
            // SAFETY: as above.
            let value = unsafe { args::required_str(header.value) }?;
            Ok((name, value))
        })
        .collect()
}
