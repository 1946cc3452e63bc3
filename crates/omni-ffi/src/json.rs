//! `omni_json_stringify` (`json-stringify-form`).

use std::ffi::c_char;

use omni_json::{Mode, restringify};

use crate::args::{Output, bytes};
use crate::status::{guard, omni_status};

/// Re-writes the JSON text `json` (`json_len` bytes, no NUL needed) exactly as JavaScript's
/// `JSON.stringify(JSON.parse(json))` writes it (`json-stringify-form`, strict mode): compact,
/// keys in JavaScript's order, numbers as ECMAScript writes them. Send and sign those output
/// bytes, and a JavaScript server that re-stringifies the parsed body hashes the same bytes.
/// A text that is not JSON, or holds a value a JavaScript parse would change (an integer
/// beyond 2^53), is OMNI_INVALID_JSON; text that is not UTF-8 is OMNI_INVALID_UTF8.
/// The output is usually no longer than the input: a buffer of `json_len + 1` bytes almost
/// always suffices, and OMNI_BUFFER_TOO_SMALL reports the exact size otherwise.
///
/// Ownership: borrowed for the call only; `out` is the caller's. Thread safety: reentrant.
///
/// # Safety
/// `json` is NULL or readable for `json_len` bytes; `out`/`out_len` as omni_sign.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_json_stringify(
    json: *const c_char,
    json_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> omni_status {
    guard(|| {
        // SAFETY: the caller's contract on out/out_cap/out_len.
        let output = unsafe { Output::new(out, out_cap, out_len) }?;
        if json.is_null() {
            return Err(omni_status::OMNI_NULL_ARGUMENT);
        }
        // SAFETY: the caller's contract on json.
        let text = unsafe { bytes(json.cast::<u8>(), json_len) }?;
        let text = std::str::from_utf8(text).map_err(|_| omni_status::OMNI_INVALID_UTF8)?;
        let stringified =
            restringify(text, Mode::Strict).map_err(|_| omni_status::OMNI_INVALID_JSON)?;
        output.put(stringified.json.as_bytes())
    })
}
