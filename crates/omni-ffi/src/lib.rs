//! libomni: the C ABI of omni-sign, built as `libomni.so` (soname `libomni.so.0`) and
//! `libomni.a`, declared by the cbindgen-generated `include/omni.h`.
//!
//! Nothing here computes a signature itself: every function validates its C arguments and
//! calls omni-sign. Rules shared by every function:
//!
//! - every call returns its own [`omni_status`]; there is no thread-local "last error";
//! - every call catches panics and answers `OMNI_PANIC` instead of unwinding into C;
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

use std::ffi::{CStr, c_char};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use omni_sign::{
    BodyHash, CanonicalRequest, Error, ReceivedBody, ReceivedRequest, Signature, SignatureFormat,
    SignedHeaders, Signer, Timestamp, Verifier,
};

mod json;
pub use json::omni_json_stringify;

/// The outcome of every libomni call. Values are appended, never renumbered.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum omni_status {
    /// Success.
    OMNI_OK = 0,
    /// A required pointer argument was NULL.
    OMNI_NULL_ARGUMENT = 1,
    /// A string argument is not valid UTF-8.
    OMNI_INVALID_UTF8 = 2,
    /// `out_cap` cannot hold the output and its NUL; `*out_len` holds the length needed.
    OMNI_BUFFER_TOO_SMALL = 3,
    /// An argument was rejected by the signing rules: empty secret, method that is not an
    /// uppercase HTTP token, URL without a path, header value with a control character or
    /// spaces at either end, store id without store token (or the reverse), negative
    /// timestamp, malformed x-timestamp, unknown flag bits.
    OMNI_INVALID_INPUT = 4,
    /// omni_verify: x-timestamp is further from the server clock than the tolerance.
    OMNI_TIMESTAMP_OUTSIDE_WINDOW = 5,
    /// omni_verify: x-signature is not `sha256=<64 hex>` (or, unless strict, bare hex).
    OMNI_MALFORMED_SIGNATURE = 6,
    /// omni_verify: the signature does not match.
    OMNI_SIGNATURE_MISMATCH = 7,
    /// libomni panicked (a bug); the call had no effect beyond its output buffer.
    OMNI_PANIC = 8,
    /// omni_json_stringify: the text is not JSON, or (strict mode) holds a value that a
    /// JavaScript parse would change, such as an integer beyond 2^53.
    OMNI_INVALID_JSON = 9,
}

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

/// A signer holding one partner secret key's precomputed HMAC state. Opaque.
pub struct omni_signer {
    signer: Signer,
}

/// One request of omni_signer_sign_many. The same rules as the arguments of omni_sign apply to
/// each field.
#[repr(C)]
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

type Outcome = Result<(), omni_status>;

/// Runs `f`, turning a panic into `OMNI_PANIC` so that no unwind crosses the C boundary.
fn guard(f: impl FnOnce() -> Outcome) -> omni_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => omni_status::OMNI_OK,
        Ok(Err(status)) => status,
        Err(_) => omni_status::OMNI_PANIC,
    }
}

/// The status of an omni-sign error.
fn status_of(error: &Error) -> omni_status {
    match error {
        Error::TimestampOutsideWindow { .. } => omni_status::OMNI_TIMESTAMP_OUTSIDE_WINDOW,
        Error::MalformedSignature => omni_status::OMNI_MALFORMED_SIGNATURE,
        Error::SignatureMismatch => omni_status::OMNI_SIGNATURE_MISMATCH,
        _ => omni_status::OMNI_INVALID_INPUT,
    }
}

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and unchanged for `'a`.
unsafe fn required_str<'a>(ptr: *const c_char) -> Result<&'a str, omni_status> {
    if ptr.is_null() {
        return Err(omni_status::OMNI_NULL_ARGUMENT);
    }
    // SAFETY: not NULL, and the caller guarantees a NUL-terminated string valid for 'a.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map_err(|_| omni_status::OMNI_INVALID_UTF8)
}

/// An optional string argument: NULL and `""` both mean absent (Go has no NULL string).
///
/// # Safety
/// As [`required_str`].
unsafe fn optional_str<'a>(ptr: *const c_char) -> Result<Option<&'a str>, omni_status> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract of this function.
    let text = unsafe { required_str(ptr) }?;
    Ok(if text.is_empty() { None } else { Some(text) })
}

/// A byte-range argument that may be NULL only when `len` is 0.
///
/// # Safety
/// When `len > 0`, `ptr` is NULL or points to `len` readable bytes that stay valid and
/// unchanged for `'a`.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], omni_status> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(omni_status::OMNI_NULL_ARGUMENT);
    }
    if len > isize::MAX as usize {
        return Err(omni_status::OMNI_INVALID_INPUT);
    }
    // SAFETY: not NULL, length within isize::MAX, and the caller guarantees `len` readable
    // bytes valid for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A secret key argument: NULL is `OMNI_NULL_ARGUMENT` whatever the length, since a secret is
/// always required; an empty one is rejected later as `OMNI_INVALID_INPUT`.
///
/// # Safety
/// As [`bytes`].
unsafe fn secret_arg<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], omni_status> {
    if ptr.is_null() {
        return Err(omni_status::OMNI_NULL_ARGUMENT);
    }
    // SAFETY: forwarded contract of this function.
    unsafe { bytes(ptr, len) }
}

fn timestamp(ms: i64) -> Result<Timestamp, omni_status> {
    u64::try_from(ms)
        .map(Timestamp::from_millis)
        .map_err(|_| omni_status::OMNI_INVALID_INPUT)
}

/// The caller's output buffer and length slot, checked before any work is done.
struct Output<'a> {
    buf: &'a mut [u8],
    len: &'a mut usize,
}

impl<'a> Output<'a> {
    /// # Safety
    /// `out_len` is NULL or valid for writing a `size_t`; when `out_cap > 0`, `out` is NULL or
    /// valid for writing `out_cap` bytes; neither is read or written by anyone else during `'a`.
    unsafe fn new(
        out: *mut c_char,
        out_cap: usize,
        out_len: *mut usize,
    ) -> Result<Self, omni_status> {
        if out_len.is_null() || (out.is_null() && out_cap > 0) {
            return Err(omni_status::OMNI_NULL_ARGUMENT);
        }
        if out_cap > isize::MAX as usize {
            return Err(omni_status::OMNI_INVALID_INPUT);
        }
        // SAFETY: not NULL, and the caller guarantees it is writable and not aliased.
        let len = unsafe { &mut *out_len };
        *len = 0;
        let buf = if out_cap == 0 {
            &mut [][..]
        } else {
            // SAFETY: not NULL, within isize::MAX, and the caller guarantees `out_cap`
            // writable bytes that nobody else touches during the call.
            unsafe { std::slice::from_raw_parts_mut(out.cast::<u8>(), out_cap) }
        };
        if let Some(first) = buf.first_mut() {
            *first = 0;
        }
        Ok(Output { buf, len })
    }

    /// Copies `text` and its NUL, or reports the length needed.
    fn put(self, text: &[u8]) -> Outcome {
        *self.len = text.len();
        if text.len() >= self.buf.len() {
            return Err(omni_status::OMNI_BUFFER_TOO_SMALL);
        }
        self.buf[..text.len()].copy_from_slice(text);
        self.buf[text.len()] = 0;
        Ok(())
    }

    /// Writes a formatted text directly into the buffer (no intermediate copy, which matters
    /// for base strings: they hold the store token), or reports the length needed.
    fn put_fmt(self, needed: usize, value: impl fmt::Display) -> Outcome {
        *self.len = needed;
        if needed >= self.buf.len() {
            return Err(omni_status::OMNI_BUFFER_TOO_SMALL);
        }
        struct Cursor<'b>(&'b mut [u8], usize);
        impl fmt::Write for Cursor<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let end = self.1 + s.len();
                self.0.get_mut(self.1..end).ok_or(fmt::Error)?;
                self.0[self.1..end].copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let mut cursor = Cursor(self.buf, 0);
        fmt::write(&mut cursor, format_args!("{value}")).map_err(|_| omni_status::OMNI_PANIC)?;
        let written = cursor.1;
        if written != needed {
            return Err(omni_status::OMNI_PANIC);
        }
        cursor.0[written] = 0;
        Ok(())
    }
}

/// The request arguments shared by omni_sign, omni_base_string and the signer functions.
struct RequestArgs<'a> {
    method: &'a str,
    url: &'a str,
    headers: SignedHeaders<'a>,
    body: &'a [u8],
}

impl<'a> RequestArgs<'a> {
    /// # Safety
    /// Each string pointer is NULL or a NUL-terminated string, and `body` is NULL or
    /// `body_len` readable bytes, all valid and unchanged for `'a`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn new(
        method: *const c_char,
        url: *const c_char,
        partner_client_id: *const c_char,
        store_client_id: *const c_char,
        store_token: *const c_char,
        timestamp_ms: i64,
        body: *const u8,
        body_len: usize,
    ) -> Result<Self, omni_status> {
        // SAFETY: forwarded contract of this function.
        let method = unsafe { required_str(method) }?;
        // SAFETY: as above.
        let url = unsafe { required_str(url) }?;
        // SAFETY: as above.
        let partner = unsafe { required_str(partner_client_id) }?;
        // SAFETY: as above.
        let store_id = unsafe { optional_str(store_client_id) }?;
        // SAFETY: as above.
        let store_token = unsafe { optional_str(store_token) }?;
        // SAFETY: as above.
        let body = unsafe { bytes(body, body_len) }?;
        let ts = timestamp(timestamp_ms)?;
        let headers = SignedHeaders::from_parts(partner, store_id, store_token, ts)
            .map_err(|e| status_of(&e))?;
        Ok(RequestArgs {
            method,
            url,
            headers,
            body,
        })
    }

    /// # Safety
    /// The pointers of `request` follow the contract of [`RequestArgs::new`].
    unsafe fn from_request(request: &omni_request) -> Result<Self, omni_status> {
        // SAFETY: forwarded contract of this function.
        unsafe {
            RequestArgs::new(
                request.method,
                request.url,
                request.partner_client_id,
                request.store_client_id,
                request.store_token,
                request.timestamp_ms,
                request.body,
                request.body_len,
            )
        }
    }

    /// Signs through [`Signer::sign_request`], which overlaps the body hash with the base
    /// string's hashing (faster than signing a [`CanonicalRequest`] built first).
    fn sign_with(&self, signer: &Signer) -> Result<Signature, omni_status> {
        signer
            .sign_request(self.method, self.url, &self.headers, self.body)
            .map_err(|e| status_of(&e))
    }

    fn canonical(&self) -> Result<CanonicalRequest<'a>, omni_status> {
        CanonicalRequest::new(self.method, self.url, self.headers, BodyHash::of(self.body))
            .map_err(|e| status_of(&e))
    }
}

fn sign_format(flags: u32) -> Result<SignatureFormat, omni_status> {
    match flags {
        0 => Ok(SignatureFormat::Prefixed),
        OMNI_SIGN_BARE_HEX => Ok(SignatureFormat::BareHex),
        _ => Err(omni_status::OMNI_INVALID_INPUT),
    }
}

/// A readable, static, NUL-terminated message for a status. Unknown values (from a newer
/// library or a caller's mistake) get a message too, never undefined behaviour.
///
/// Ownership: the string is static; never free it. Thread safety: any thread, any time.
#[unsafe(no_mangle)]
pub extern "C" fn omni_status_str(status: i32) -> *const c_char {
    let text: &'static CStr = match status {
        0 => c"ok",
        1 => c"a required pointer argument is NULL",
        2 => c"a string argument is not valid UTF-8",
        3 => c"the output buffer is too small; out_len holds the length needed",
        4 => c"invalid input (secret, method, URL, header value, store pair, timestamp or flags)",
        5 => c"the timestamp is outside the window around the server clock",
        6 => c"malformed x-signature",
        7 => c"signature mismatch",
        8 => c"internal error (panic) in libomni",
        9 => c"invalid JSON, or JSON that a JavaScript parse would change",
        _ => c"unknown omni_status value",
    };
    text.as_ptr()
}

/// The library version, e.g. `"0.1.0"`, equal to OMNI_VERSION of the header it was built with.
/// Bindings compare it with the version they were written for when they load.
///
/// Ownership: the string is static; never free it. Thread safety: any thread, any time.
#[unsafe(no_mangle)]
pub extern "C" fn omni_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Signs one request and writes `x-signature` as `sha256=<64 hex>` (71 bytes and a NUL: a
/// buffer of OMNI_SIGNATURE_BUFFER_SIZE always suffices).
///
/// `secret`/`secret_len`: the partner secret key (required, not empty). `method`: uppercase
/// HTTP token. `url`: the URL as sent; the signed path is derived from it. `partner_client_id`
/// is required; `store_client_id` and `store_token` are NULL or `""` when not store-scoped,
/// and one without the other is OMNI_INVALID_INPUT. `timestamp_ms`: epoch milliseconds, not
/// negative. `body` may be NULL only when `body_len` is 0.
///
/// Ownership: every argument is borrowed for the call only; `out` is the caller's.
/// Thread safety: reentrant, no shared state. For many signatures with one key, prefer
/// omni_signer_new + omni_signer_sign, which hash the key once.
///
/// # Safety
/// Each string argument is NULL or a NUL-terminated string; `secret` and `body` are NULL or
/// readable for their lengths; `out` is NULL or writable for `out_cap` bytes; `out_len` is
/// NULL or writable. None is modified by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_sign(
    secret: *const u8,
    secret_len: usize,
    method: *const c_char,
    url: *const c_char,
    partner_client_id: *const c_char,
    store_client_id: *const c_char,
    store_token: *const c_char,
    timestamp_ms: i64,
    body: *const u8,
    body_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> omni_status {
    guard(|| {
        // SAFETY: the caller's contract on out/out_cap/out_len.
        let output = unsafe { Output::new(out, out_cap, out_len) }?;
        // SAFETY: the caller's contract on secret.
        let secret = unsafe { secret_arg(secret, secret_len) }?;
        // SAFETY: the caller's contract on the request arguments.
        let args = unsafe {
            RequestArgs::new(
                method,
                url,
                partner_client_id,
                store_client_id,
                store_token,
                timestamp_ms,
                body,
                body_len,
            )
        }?;
        let signer = Signer::new(secret).map_err(|e| status_of(&e))?;
        let signature = args.sign_with(&signer)?;
        output.put(
            signature
                .encode(SignatureFormat::Prefixed)
                .as_str()
                .as_bytes(),
        )
    })
}

/// Writes the exact base string that omni_sign signs for the same arguments:
/// `METHOD\nPATH\n<signed header lines>\nBODYHASH`, no trailing newline. For debugging.
///
/// It holds the store token when store-scoped: treat the output as a secret.
///
/// Ownership: every argument is borrowed for the call only; `out` is the caller's.
/// Thread safety: reentrant, no shared state.
///
/// # Safety
/// As omni_sign.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_base_string(
    method: *const c_char,
    url: *const c_char,
    partner_client_id: *const c_char,
    store_client_id: *const c_char,
    store_token: *const c_char,
    timestamp_ms: i64,
    body: *const u8,
    body_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> omni_status {
    guard(|| {
        // SAFETY: the caller's contract on out/out_cap/out_len.
        let output = unsafe { Output::new(out, out_cap, out_len) }?;
        // SAFETY: the caller's contract on the request arguments.
        let args = unsafe {
            RequestArgs::new(
                method,
                url,
                partner_client_id,
                store_client_id,
                store_token,
                timestamp_ms,
                body,
                body_len,
            )
        }?;
        let request = args.canonical()?;
        output.put_fmt(request.base_string_len(), request.base_string())
    })
}

/// Writes the lowercase hex SHA-256 of `body` (64 digits and a NUL: a buffer of
/// OMNI_BODY_HASH_BUFFER_SIZE always suffices). `body` may be NULL only when `body_len` is 0.
///
/// Ownership: borrowed for the call only. Thread safety: reentrant.
///
/// # Safety
/// `body` is NULL or readable for `body_len` bytes; `out`/`out_len` as omni_sign.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_body_hash(
    body: *const u8,
    body_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> omni_status {
    guard(|| {
        // SAFETY: the caller's contract on out/out_cap/out_len.
        let output = unsafe { Output::new(out, out_cap, out_len) }?;
        // SAFETY: the caller's contract on body.
        let body = unsafe { bytes(body, body_len) }?;
        output.put(&BodyHash::of(body).to_hex())
    })
}

/// Creates a signer for one partner secret key, hashing the key once. On success `*out`
/// holds the signer; on failure `*out` is NULL.
///
/// Ownership: the secret is copied (into the precomputed HMAC state); the caller may wipe its
/// copy right away. The signer belongs to the caller, who releases it with omni_signer_free.
/// Thread safety: the signer is immutable; share it between threads freely.
///
/// # Safety
/// `secret` is NULL or readable for `secret_len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_signer_new(
    secret: *const u8,
    secret_len: usize,
    out: *mut *mut omni_signer,
) -> omni_status {
    guard(|| {
        if out.is_null() {
            return Err(omni_status::OMNI_NULL_ARGUMENT);
        }
        // SAFETY: not NULL and writable, by the caller's contract.
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: the caller's contract on secret.
        let secret = unsafe { secret_arg(secret, secret_len) }?;
        let signer = Signer::new(secret).map_err(|e| status_of(&e))?;
        let handle = Box::into_raw(Box::new(omni_signer { signer }));
        // SAFETY: as above.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Releases a signer and wipes its key state. NULL is accepted and ignored.
///
/// Ownership: takes back the signer; it must not be used afterwards.
/// Thread safety: call it once, after every other call using the signer has returned.
///
/// # Safety
/// `signer` is NULL or a pointer from omni_signer_new not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_signer_free(signer: *mut omni_signer) {
    if signer.is_null() {
        return;
    }
    // A panic in a destructor must not unwind into C; the signer is gone either way.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: from Box::into_raw in omni_signer_new and not freed yet, by the contract.
        drop(unsafe { Box::from_raw(signer) });
    }));
}

/// Signs one request with a signer: the same arguments and output as omni_sign, plus
/// `flags`: 0 for `sha256=<hex>`, OMNI_SIGN_BARE_HEX for bare hex; other bits are
/// OMNI_INVALID_INPUT.
///
/// Ownership: every argument is borrowed for the call only; `out` is the caller's.
/// Thread safety: any number of threads may sign with the same signer at once.
///
/// # Safety
/// `signer` is NULL or a live pointer from omni_signer_new; the rest as omni_sign.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_signer_sign(
    signer: *const omni_signer,
    method: *const c_char,
    url: *const c_char,
    partner_client_id: *const c_char,
    store_client_id: *const c_char,
    store_token: *const c_char,
    timestamp_ms: i64,
    body: *const u8,
    body_len: usize,
    flags: u32,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> omni_status {
    guard(|| {
        // SAFETY: the caller's contract on out/out_cap/out_len.
        let output = unsafe { Output::new(out, out_cap, out_len) }?;
        // SAFETY: NULL or live, by the caller's contract; only shared access.
        let signer = unsafe { signer.as_ref() }.ok_or(omni_status::OMNI_NULL_ARGUMENT)?;
        let format = sign_format(flags)?;
        // SAFETY: the caller's contract on the request arguments.
        let args = unsafe {
            RequestArgs::new(
                method,
                url,
                partner_client_id,
                store_client_id,
                store_token,
                timestamp_ms,
                body,
                body_len,
            )
        }?;
        let signature = args.sign_with(&signer.signer)?;
        output.put(signature.encode(format).as_str().as_bytes())
    })
}

/// Signs `count` requests in one call, to spread the cost of crossing the FFI boundary
/// (JNA, ctypes) over many signatures. Signature `i` is written NUL-terminated at
/// `out + i * OMNI_SIGNATURE_BUFFER_SIZE`, so `out_cap` must be at least
/// `count * OMNI_SIGNATURE_BUFFER_SIZE` (else OMNI_BUFFER_TOO_SMALL and nothing is signed).
/// `statuses`, when not NULL, receives each request's status; a failed request's slot holds
/// `""`. `flags` as omni_signer_sign. Returns OMNI_OK when every request was signed, else the
/// status of the first that failed.
///
/// Ownership: everything is borrowed for the call only. Thread safety: as omni_signer_sign.
///
/// # Safety
/// `signer` as omni_signer_sign; `requests` is NULL or readable for `count` elements whose
/// pointers follow omni_sign's contract; `out` is NULL or writable for `out_cap` bytes;
/// `statuses` is NULL or writable for `count` elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_signer_sign_many(
    signer: *const omni_signer,
    requests: *const omni_request,
    count: usize,
    flags: u32,
    out: *mut c_char,
    out_cap: usize,
    statuses: *mut omni_status,
) -> omni_status {
    guard(|| {
        // SAFETY: NULL or live, by the caller's contract; only shared access.
        let signer = unsafe { signer.as_ref() }.ok_or(omni_status::OMNI_NULL_ARGUMENT)?;
        let format = sign_format(flags)?;
        let needed = count
            .checked_mul(OMNI_SIGNATURE_BUFFER_SIZE)
            .ok_or(omni_status::OMNI_INVALID_INPUT)?;
        if count == 0 {
            return Ok(());
        }
        if requests.is_null() || out.is_null() {
            return Err(omni_status::OMNI_NULL_ARGUMENT);
        }
        if out_cap < needed {
            return Err(omni_status::OMNI_BUFFER_TOO_SMALL);
        }
        if needed > isize::MAX as usize {
            return Err(omni_status::OMNI_INVALID_INPUT);
        }
        // SAFETY: not NULL, `count` elements readable by the caller's contract, and
        // count * size_of::<omni_request>() fits in memory since the caller allocated it.
        let requests = unsafe { std::slice::from_raw_parts(requests, count) };
        // SAFETY: not NULL, at least `needed` writable bytes (checked against out_cap, which
        // the caller guarantees), within isize::MAX.
        let out = unsafe { std::slice::from_raw_parts_mut(out.cast::<u8>(), needed) };
        let mut first_failure = None;
        for (i, (request, slot)) in requests
            .iter()
            .zip(out.chunks_exact_mut(OMNI_SIGNATURE_BUFFER_SIZE))
            .enumerate()
        {
            slot[0] = 0;
            // SAFETY: the caller's contract on each request's pointers.
            let signed = unsafe { RequestArgs::from_request(request) }
                .and_then(|args| args.sign_with(&signer.signer))
                .map(|signature| signature.encode(format));
            let status = match signed {
                Ok(text) => {
                    let text = text.as_str().as_bytes();
                    slot[..text.len()].copy_from_slice(text);
                    slot[text.len()] = 0;
                    omni_status::OMNI_OK
                }
                Err(status) => {
                    first_failure.get_or_insert(status);
                    status
                }
            };
            if !statuses.is_null() {
                // SAFETY: not NULL and writable for `count` elements by the caller's
                // contract; i < count.
                unsafe { statuses.add(i).write(status) };
            }
        }
        first_failure.map_or(Ok(()), Err)
    })
}

/// Verifies a received request, as a server does: the signed headers as received (NULL or
/// `""` store id and token when absent), the `x-timestamp` text, the `x-signature` text, the
/// body bytes as received, the server clock `now_ms` and the tolerance `tolerance_ms` (use
/// OMNI_DEFAULT_TOLERANCE_MS; the boundary is accepted). `flags`: 0, or OMNI_VERIFY_STRICT to
/// accept only `sha256=<hex>`. Checks run in this order and the status says which failed:
/// headers well formed (OMNI_INVALID_INPUT), signature well formed
/// (OMNI_MALFORMED_SIGNATURE), timestamp within the window (OMNI_TIMESTAMP_OUTSIDE_WINDOW),
/// then the HMAC in constant time (OMNI_SIGNATURE_MISMATCH). OMNI_OK means accepted.
/// `url` may carry a query: it is not signed.
///
/// Ownership: every argument is borrowed for the call only.
/// Thread safety: reentrant, no shared state.
///
/// # Safety
/// Each string argument is NULL or a NUL-terminated string; `secret` and `body` are NULL or
/// readable for their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn omni_verify(
    secret: *const u8,
    secret_len: usize,
    method: *const c_char,
    url: *const c_char,
    partner_client_id: *const c_char,
    store_client_id: *const c_char,
    store_token: *const c_char,
    timestamp: *const c_char,
    signature: *const c_char,
    body: *const u8,
    body_len: usize,
    now_ms: i64,
    tolerance_ms: i64,
    flags: u32,
) -> omni_status {
    guard(|| {
        // SAFETY: the caller's contract on each argument.
        let secret = unsafe { secret_arg(secret, secret_len) }?;
        // SAFETY: as above.
        let method = unsafe { required_str(method) }?;
        // SAFETY: as above.
        let url = unsafe { required_str(url) }?;
        // SAFETY: as above.
        let partner = unsafe { required_str(partner_client_id) }?;
        // SAFETY: as above.
        let store_id = unsafe { optional_str(store_client_id) }?;
        // SAFETY: as above.
        let store_token = unsafe { optional_str(store_token) }?;
        // SAFETY: as above.
        let timestamp = unsafe { required_str(timestamp) }?;
        // SAFETY: as above.
        let signature = unsafe { required_str(signature) }?;
        // SAFETY: as above.
        let body = unsafe { bytes(body, body_len) }?;
        let now = u64::try_from(now_ms).map_err(|_| omni_status::OMNI_INVALID_INPUT)?;
        let tolerance = u64::try_from(tolerance_ms).map_err(|_| omni_status::OMNI_INVALID_INPUT)?;
        let strict = match flags {
            0 => false,
            OMNI_VERIFY_STRICT => true,
            _ => return Err(omni_status::OMNI_INVALID_INPUT),
        };
        let mut headers = vec![
            (omni_sign::header::PARTNER_CLIENT_ID, partner),
            (omni_sign::header::TIMESTAMP, timestamp),
            (omni_sign::header::SIGNATURE, signature),
        ];
        if let Some(id) = store_id {
            headers.push((omni_sign::header::STORE_CLIENT_ID, id));
        }
        if let Some(token) = store_token {
            headers.push((omni_sign::header::STORE_TOKEN, token));
        }
        let verifier = Verifier::builder()
            .key("default", secret)
            .tolerance_ms(tolerance)
            .strict(strict)
            .build()
            .map_err(|e| status_of(&e))?;
        let received = ReceivedRequest {
            method,
            url,
            headers: &headers,
            body: ReceivedBody::Bytes(body),
        };
        verifier
            .verify(&received, now)
            .map(|_| ())
            .map_err(|e| status_of(&e))
    })
}
