//! Every exported function except omni_json_stringify: thin shells that read their C
//! arguments (`args`), call omni-sign, and answer a status (`status`) behind a panic guard.

use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

use omni_sign::{BodyHash, ReceivedBody, ReceivedRequest, SignatureFormat, Signer, Verifier};

use crate::args::{self, Output, RequestArgs};
use crate::handles::{self, omni_signer};
use crate::status::{Outcome, guard, omni_status};
use crate::{OMNI_SIGNATURE_BUFFER_SIZE, omni_request};

/// A readable, static, NUL-terminated sentence saying what a status means, e.g.
/// `"x-store-client-id is present without x-store-token"`. Unknown values (a caller's
/// mistake) get a message too, never undefined behaviour.
///
/// Ownership: the string is static; never free it. Thread safety: any thread, any time.
#[unsafe(no_mangle)]
pub extern "C" fn omni_status_str(status: i32) -> *const c_char {
    // No panic boundary needed: a search of a constant list, then constant strings.
    omni_status::from_code(status)
        .map_or(c"unknown omni_status value", omni_status::message)
        .as_ptr()
}

/// The static, NUL-terminated C name of a status, e.g. `"OMNI_STORE_TOKEN_MISSING"`, so that a
/// binding names a status its own list may not have. Unknown values answer
/// `"OMNI_UNKNOWN_STATUS"`, which no status is named.
///
/// Ownership: the string is static; never free it. Thread safety: any thread, any time.
#[unsafe(no_mangle)]
pub extern "C" fn omni_status_name(status: i32) -> *const c_char {
    // No panic boundary needed: a search of a constant list, then constant strings.
    omni_status::from_code(status)
        .map_or(c"OMNI_UNKNOWN_STATUS", omni_status::name)
        .as_ptr()
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
/// is required; `store_client_id` and `store_token` are NULL or `""` when not store-scoped;
/// when one is given, the other NULL is OMNI_STORE_TOKEN_MISSING / OMNI_STORE_CLIENT_ID_MISSING
/// and the other `""` an empty header value, OMNI_INVALID_HEADER_VALUE.
/// `timestamp_ms`: epoch milliseconds, not negative (else OMNI_INVALID_TIMESTAMP). `body` may
/// be NULL only when `body_len` is 0. A value a signing rule refuses answers the status named
/// after the rule: OMNI_EMPTY_SECRET, OMNI_INVALID_METHOD, OMNI_INVALID_URL,
/// OMNI_INVALID_HEADER_VALUE.
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
        let secret = unsafe { args::secret(secret, secret_len) }?;
        let request = omni_request {
            method,
            url,
            partner_client_id,
            store_client_id,
            store_token,
            timestamp_ms,
            body,
            body_len,
        };
        // SAFETY: the caller's contract on the request arguments.
        unsafe {
            sign_into(
                &Signer::new(secret)?,
                &request,
                SignatureFormat::Prefixed,
                output,
            )
        }
    })
}

/// Reads `request`, signs it and writes the signature in `format`: the body of omni_sign and
/// omni_signer_sign.
///
/// # Safety
/// The pointers of `request` follow [`RequestArgs::read`]'s contract.
unsafe fn sign_into(
    signer: &Signer,
    request: &omni_request,
    format: SignatureFormat,
    output: Output<'_>,
) -> Outcome {
    // SAFETY: forwarded contract of this function.
    let args = unsafe { RequestArgs::read(request) }?;
    output.put(args.sign_with(signer)?.encode(format).as_str().as_bytes())
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
        let request = omni_request {
            method,
            url,
            partner_client_id,
            store_client_id,
            store_token,
            timestamp_ms,
            body,
            body_len,
        };
        // SAFETY: the caller's contract on the request arguments.
        let args = unsafe { RequestArgs::read(&request) }?;
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
        let body = unsafe { args::bytes(body, body_len) }?;
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
        let secret = unsafe { args::secret(secret, secret_len) }?;
        let handle = handles::into_handle(Signer::new(secret)?);
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
        // SAFETY: from omni_signer_new and not freed yet, by the contract.
        unsafe { handles::release(signer) };
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
        // SAFETY: NULL or live, by the caller's contract.
        let signer = unsafe { handles::borrow(signer) }?;
        let format = args::sign_format(flags)?;
        let request = omni_request {
            method,
            url,
            partner_client_id,
            store_client_id,
            store_token,
            timestamp_ms,
            body,
            body_len,
        };
        // SAFETY: the caller's contract on the request arguments.
        unsafe { sign_into(signer, &request, format, output) }
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
        // SAFETY: NULL or live, by the caller's contract.
        let signer = unsafe { handles::borrow(signer) }?;
        let format = args::sign_format(flags)?;
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
            let signed = unsafe { RequestArgs::read(request) }
                .and_then(|args| args.sign_with(signer))
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
/// the secret (OMNI_EMPTY_SECRET), the method, URL and headers well formed (the status named
/// after the rule broken: OMNI_INVALID_METHOD, OMNI_INVALID_URL, OMNI_INVALID_HEADER_VALUE,
/// OMNI_STORE_TOKEN_MISSING, OMNI_STORE_CLIENT_ID_MISSING, OMNI_MALFORMED_TIMESTAMP), the
/// signature well formed (OMNI_MALFORMED_SIGNATURE), the timestamp within the window
/// (OMNI_TIMESTAMP_OUTSIDE_WINDOW), then the HMAC in constant time (OMNI_SIGNATURE_MISMATCH).
/// OMNI_OK means accepted. A negative `now_ms` or `tolerance_ms`, or unknown flag bits, are
/// OMNI_INVALID_INPUT. `url` may carry a query: it is not signed.
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
        let secret = unsafe { args::secret(secret, secret_len) }?;
        // SAFETY: as above.
        let method = unsafe { args::required_str(method) }?;
        // SAFETY: as above.
        let url = unsafe { args::required_str(url) }?;
        // SAFETY: as above.
        let partner = unsafe { args::required_str(partner_client_id) }?;
        // SAFETY: as above.
        let (store_id, store_token) = unsafe { args::store_pair(store_client_id, store_token) }?;
        // SAFETY: as above.
        let timestamp = unsafe { args::required_str(timestamp) }?;
        // SAFETY: as above.
        let signature = unsafe { args::required_str(signature) }?;
        // SAFETY: as above.
        let body = unsafe { args::bytes(body, body_len) }?;
        let now = args::millis(now_ms)?;
        let tolerance = args::millis(tolerance_ms)?;
        let strict = args::verify_strict(flags)?;
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
            .build()?;
        let received = ReceivedRequest {
            method,
            url,
            headers: &headers,
            body: ReceivedBody::Bytes(body),
        };
        verifier.verify(&received, now)?;
        Ok(())
    })
}
