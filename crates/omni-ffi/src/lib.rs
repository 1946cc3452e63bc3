//! libomni: the C ABI of omni-sign (and of omni-json and omni-diagnose), built as `libomni.so` (soname `libomni.so.0`) and
//! `libomni.a`, declared by the cbindgen-generated `include/omni.h`.
//!
//! Nothing here computes a signature itself: every function validates its C arguments and
//! calls omni-sign, omni-json or omni-diagnose. The crate is split by concern: `status` (the [`omni_status`] values, their
//! names and messages, the status of each omni-sign error, the panic guard), `args` (reading C
//! strings, byte ranges, requests, flags and the output buffer), `handles` (the
//! [`omni_signer`] handle), `exports` (the functions, each a thin shell over omni-sign), and
//! `json` and `diagnose` (the shells over omni-json and omni-diagnose).
//! Rules shared by every function:
//!
//! - every call returns its own [`omni_status`]; there is no thread-local "last error"
//!   (goroutines move between OS threads between cgo calls), and a refusal by a signing rule
//!   has its own status, named after the rule, that omni_status_name and omni_status_str
//!   describe;
//! - every call that does any work catches panics and answers `OMNI_PANIC` instead of
//!   unwinding into C (omni_status_str, omni_status_name and omni_version only read
//!   constants);
//! - strings are NUL-terminated UTF-8, borrowed for the duration of the call only;
//! - output goes to a caller-owned buffer `out` of `out_cap` bytes: a call succeeds only when
//!   the text and its NUL fit; `*out_len` is always the text's length without the NUL, and when
//!   `out_cap` is too small (including `out == NULL, out_cap == 0`, the way to ask for the
//!   size) the call answers `OMNI_BUFFER_TOO_SMALL` with `*out_len` set to the length needed.
//!   On any other failure `*out_len` is 0 and, when `out_cap > 0`, `out` holds `""`.
//!
//! ```
//! use omni::{omni_sign, omni_status};
//! let mut out = [0 as std::ffi::c_char; omni::OMNI_SIGNATURE_BUFFER_SIZE];
//! let mut len = 0usize;
//! let body = b"{}";
//! // SAFETY: every pointer is valid for the call; strings are NUL-terminated.
//! let status = unsafe {
//!     omni_sign(
//!         b"secret".as_ptr(), 6, c"POST".as_ptr(), c"https://h/api/v1/partner/x".as_ptr(),
//!         c"ptnr_1".as_ptr(), std::ptr::null(), std::ptr::null(), 1709024577000,
//!         body.as_ptr(), body.len(), out.as_mut_ptr(), out.len(), &mut len,
//!     )
//! };
//! assert_eq!(status, omni_status::OMNI_OK);
//! assert_eq!(len, 71); // "sha256=" and 64 hex digits
//! ```
#![allow(non_camel_case_types)]

use std::ffi::c_char;

mod args;
mod diagnose;
mod exports;
mod handles;
mod json;
mod status;

pub use diagnose::{omni_diagnose, omni_header};
pub use exports::{
    omni_base_string, omni_body_hash, omni_sign, omni_signer_free, omni_signer_new,
    omni_signer_sign, omni_signer_sign_many, omni_status_name, omni_status_str, omni_verify,
    omni_version,
};
pub use handles::omni_signer;
pub use json::omni_json_stringify;
pub use status::omni_status;

/// The longest signature text, `sha256=` and 64 hex digits, without the NUL.
pub const OMNI_SIGNATURE_MAX_LEN: usize = 71;
/// A buffer that always holds a signature and its NUL.
pub const OMNI_SIGNATURE_BUFFER_SIZE: usize = 72;
/// A buffer that always holds a body hash (64 hex digits) and its NUL.
pub const OMNI_BODY_HASH_BUFFER_SIZE: usize = 65;
/// `flags` of omni_signer_sign: write the signature as bare hex instead of `sha256=<hex>`
/// (`signature-format`).
pub const OMNI_SIGN_BARE_HEX: u32 = 1;
/// `flags` of omni_verify: accept only `sha256=<hex>`, not bare hex (`signature-format`).
pub const OMNI_VERIFY_STRICT: u32 = 1;
/// The default tolerance of omni_verify around the server clock: 300,000 ms.
pub const OMNI_DEFAULT_TOLERANCE_MS: i64 = 300_000;

/// One request of omni_signer_sign_many. The same rules as the arguments of omni_sign apply to
/// each field.
#[repr(C)]
#[derive(Debug)]
pub struct omni_request {
    /// The HTTP method, uppercase. Required.
    pub method: *const c_char,
    /// The URL as sent (absolute, or a path starting with `/`). Required.
    pub url: *const c_char,
    /// `x-partner-client-id`. Required.
    pub partner_client_id: *const c_char,
    /// `x-store-client-id`; NULL or `""` when not store-scoped.
    pub store_client_id: *const c_char,
    /// `x-store-token`; NULL or `""` when not store-scoped.
    pub store_token: *const c_char,
    /// `x-timestamp`, epoch milliseconds, not negative.
    pub timestamp_ms: i64,
    /// The body bytes as sent; NULL only when `body_len` is 0.
    pub body: *const u8,
    /// The body length.
    pub body_len: usize,
}
