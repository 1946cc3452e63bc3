//! The C ABI's own contract, checked from Rust: buffer protocol, NULL handling, statuses.
//! The vectors are checked through every binding by `scripts/check-ffi.sh`.

use std::ffi::{CStr, c_char};
use std::ptr::null;

use omni::omni_status::{self, *};

fn sign(
    partner: &CStr,
    store: Option<&CStr>,
    token: Option<&CStr>,
    ts: i64,
    cap: usize,
) -> (omni_status, usize, Vec<u8>) {
    let mut out = vec![b'x'; cap];
    let mut len = 99usize;
    let out_ptr = if cap == 0 {
        std::ptr::null_mut()
    } else {
        out.as_mut_ptr().cast::<c_char>()
    };
    // SAFETY: every pointer is valid for the call; out holds `cap` bytes.
    let status = unsafe {
        omni::omni_sign(
            b"key".as_ptr(),
            3,
            c"GET".as_ptr(),
            c"/api/v1/partner/x".as_ptr(),
            partner.as_ptr(),
            store.map_or(null(), CStr::as_ptr),
            token.map_or(null(), CStr::as_ptr),
            ts,
            null(),
            0,
            out_ptr,
            cap,
            &mut len,
        )
    };
    (status, len, out)
}

#[test]
fn signs_into_an_exact_buffer() {
    let (status, len, out) = sign(c"p", None, None, 1, 72);
    assert_eq!((status, len), (OMNI_OK, 71));
    // HMAC-SHA256("key", "GET\n/partner/x\nx-partner-client-id:p\nx-timestamp:1\n<empty hash>").
    assert!(out.starts_with(b"sha256="));
    assert_eq!(out[71], 0);
}

#[test]
fn an_undersized_buffer_reports_the_length_needed() {
    let (status, len, out) = sign(c"p", None, None, 1, 71);
    assert_eq!(
        (status, len, out[0], out[1]),
        (OMNI_BUFFER_TOO_SMALL, 71, 0, b'x')
    );
    let (status, len, _) = sign(c"p", None, None, 1, 0);
    assert_eq!((status, len), (OMNI_BUFFER_TOO_SMALL, 71));
}

#[test]
fn bad_inputs_have_their_status() {
    assert_eq!(
        sign(c"p", Some(c"s"), None, 1, 72).0,
        OMNI_STORE_TOKEN_MISSING
    );
    assert_eq!(
        sign(c"p", None, Some(c"t"), 1, 72).0,
        OMNI_STORE_CLIENT_ID_MISSING
    );
    assert_eq!(
        sign(c"p\nx", None, None, 1, 72).0,
        OMNI_INVALID_HEADER_VALUE
    );
    assert_eq!(sign(c"p", None, None, -1, 72).0, OMNI_INVALID_TIMESTAMP);
    assert_eq!(sign(c"\xff", None, None, 1, 72).0, OMNI_INVALID_UTF8);
    // Beside a store id, "" is an empty token, not a missing one.
    assert_eq!(
        sign(c"p", Some(c"s"), Some(c""), 1, 72).0,
        OMNI_INVALID_HEADER_VALUE
    );
    // "" store id and token are absent, as NULL is.
    assert_eq!(
        sign(c"p", Some(c""), Some(c""), 1, 72).2,
        sign(c"p", None, None, 1, 72).2
    );
    let mut len = 0;
    // SAFETY: NULL pointers are part of the contract; the rest are valid.
    let status = unsafe {
        omni::omni_sign(
            null(),
            0,
            c"GET".as_ptr(),
            c"/".as_ptr(),
            c"p".as_ptr(),
            null(),
            null(),
            1,
            null(),
            0,
            std::ptr::null_mut(),
            0,
            &mut len,
        )
    };
    assert_eq!(status, OMNI_NULL_ARGUMENT);
}

#[test]
fn status_messages_cover_unknown_values() {
    let text = |s: i32| {
        // SAFETY: omni_status_str returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(omni::omni_status_str(s)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(text(0), "ok");
    assert_eq!(text(-1), "unknown omni_status value");
    assert_eq!(text(i32::MAX), "unknown omni_status value");
    assert_ne!(text(OMNI_INVALID_JSON as i32), text(-1));
    assert_eq!(
        text(OMNI_STORE_TOKEN_MISSING as i32),
        "x-store-client-id is present without x-store-token"
    );
}

#[test]
fn status_names_are_the_c_names() {
    let name = |s: i32| {
        // SAFETY: omni_status_name returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(omni::omni_status_name(s)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(name(OMNI_OK as i32), "OMNI_OK");
    assert_eq!(name(OMNI_INVALID_JSON as i32), "OMNI_INVALID_JSON");
    assert_eq!(name(15), "OMNI_STORE_TOKEN_MISSING");
    assert_eq!(
        name(OMNI_INVALID_TIMESTAMP as i32),
        "OMNI_INVALID_TIMESTAMP"
    );
    assert_eq!(name(-1), "OMNI_UNKNOWN_STATUS");
    assert_eq!(name(i32::MAX), "OMNI_UNKNOWN_STATUS");
}

/// Each refusal of omni_verify names the rule: the checks run in the documented order.
#[test]
fn verify_names_the_rule_broken() {
    let verify = |secret: &[u8], method: &CStr, store: Option<&CStr>, ts: &CStr, flags: u32| {
        // SAFETY: every pointer is valid for the call.
        unsafe {
            omni::omni_verify(
                secret.as_ptr(),
                secret.len(),
                method.as_ptr(),
                c"/api/v1/partner/x".as_ptr(),
                c"p".as_ptr(),
                store.map_or(null(), CStr::as_ptr),
                null(),
                ts.as_ptr(),
                c"sha256=00".as_ptr(),
                null(),
                0,
                1000,
                omni::OMNI_DEFAULT_TOLERANCE_MS,
                flags,
            )
        }
    };
    assert_eq!(verify(b"", c"GET", None, c"1", 0), OMNI_EMPTY_SECRET);
    assert_eq!(verify(b"k", c"get", None, c"1", 0), OMNI_INVALID_METHOD);
    assert_eq!(
        verify(b"k", c"GET", Some(c"s"), c"1", 0),
        OMNI_STORE_TOKEN_MISSING
    );
    assert_eq!(
        verify(b"k", c"GET", None, c"01", 0),
        OMNI_MALFORMED_TIMESTAMP
    );
    assert_eq!(
        verify(b"k", c"GET", None, c"1", 0),
        OMNI_MALFORMED_SIGNATURE
    );
    assert_eq!(verify(b"k", c"GET", None, c"1", 2), OMNI_INVALID_INPUT);
}
