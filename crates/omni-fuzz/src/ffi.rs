//! libomni's entry points called through their C signatures, with fuzzed buffers.

use std::ffi::c_char;
use std::ptr;

use omni::omni_status;

use crate::input::fields;

/// A C string argument: the field's bytes and a NUL (an embedded NUL ends it early, as C
/// sees it), or NULL when `null` is set.
struct CArg(Option<Vec<u8>>);

impl CArg {
    fn new(field: &[u8], null: bool) -> Self {
        CArg((!null).then(|| field.iter().copied().chain([0]).collect()))
    }

    fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(ptr::null(), |v| v.as_ptr().cast())
    }
}

/// A caller-owned output buffer of a fuzzed capacity.
struct Out {
    buf: Vec<c_char>,
    len: usize,
}

impl Out {
    fn new(cap: usize) -> Self {
        Out {
            buf: vec![0x55; cap],
            len: usize::MAX,
        }
    }

    /// The output convention every call shares: on success the text and its NUL fit and
    /// `len` is the text's length; when the buffer is too small `len` is the length needed.
    fn check(&self, status: omni_status) {
        assert_ne!(
            status,
            omni_status::OMNI_PANIC,
            "a panic reached the C boundary"
        );
        match status {
            omni_status::OMNI_OK => {
                assert!(
                    self.len < self.buf.len(),
                    "success without room for the NUL"
                );
                assert_eq!(self.buf[self.len], 0, "output not NUL-terminated");
                assert!(
                    self.buf[..self.len].iter().all(|&c| c != 0),
                    "NUL inside output"
                );
            }
            omni_status::OMNI_BUFFER_TOO_SMALL => {
                assert!(self.len >= self.buf.len(), "too small, yet the text fits");
            }
            _ => assert_eq!(self.len, 0, "failure with a length"),
        }
    }

    fn text(&self) -> Vec<u8> {
        self.buf[..self.len].iter().map(|&c| c as u8).collect()
    }
}

/// Calls omni_sign, omni_base_string, omni_body_hash, omni_verify, the signer handle
/// functions and omni_json_stringify with arguments cut from one input. Oracles: no call
/// reports a caught panic; every output honours the buffer convention (and a call repeated
/// with the size it asked for succeeds with that size); omni_sign and omni_base_string
/// accept the same requests; the one-shot and handle signers agree; and a signature
/// omni_sign produced is accepted by omni_verify at its own timestamp.
pub fn libomni_calls(data: &[u8]) {
    let [
        control,
        secret,
        method,
        url,
        partner,
        store_id,
        store_token,
        stamp,
        body,
    ] = fields::<9>(data);
    let bits = control.first().copied().unwrap_or(0);
    let cap = usize::from(control.get(1).copied().unwrap_or(80));
    let timestamp_ms = i64::from_le_bytes({
        let mut b = [0u8; 8];
        let n = stamp.len().min(8);
        b[..n].copy_from_slice(&stamp[..n]);
        b
    });
    let method = CArg::new(method, bits & 1 != 0);
    let url = CArg::new(url, bits & 2 != 0);
    let partner = CArg::new(partner, bits & 4 != 0);
    let store_id = CArg::new(store_id, bits & 8 != 0);
    let store_token = CArg::new(store_token, bits & 16 != 0);
    let body_ptr = if bits & 32 != 0 && body.is_empty() {
        ptr::null()
    } else {
        body.as_ptr()
    };

    let sign_into = |cap: usize| {
        let mut out = Out::new(cap);
        // SAFETY: every pointer is NULL or valid for the length given; strings are
        // NUL-terminated; out is writable for its capacity.
        let status = unsafe {
            omni::omni_sign(
                secret.as_ptr(),
                secret.len(),
                method.ptr(),
                url.ptr(),
                partner.ptr(),
                store_id.ptr(),
                store_token.ptr(),
                timestamp_ms,
                body_ptr,
                body.len(),
                out.buf.as_mut_ptr(),
                out.buf.len(),
                &mut out.len,
            )
        };
        out.check(status);
        (status, out)
    };
    let (signed, sig) = resized(sign_into, cap);

    let base_into = |cap: usize| {
        let mut out = Out::new(cap);
        // SAFETY: as for omni_sign.
        let status = unsafe {
            omni::omni_base_string(
                method.ptr(),
                url.ptr(),
                partner.ptr(),
                store_id.ptr(),
                store_token.ptr(),
                timestamp_ms,
                body_ptr,
                body.len(),
                out.buf.as_mut_ptr(),
                out.buf.len(),
                &mut out.len,
            )
        };
        out.check(status);
        (status, out)
    };
    let (based, _) = resized(base_into, cap);
    if !secret.is_empty() {
        assert_eq!(
            signed == omni_status::OMNI_OK,
            based == omni_status::OMNI_OK,
            "omni_sign and omni_base_string disagree"
        );
    }

    let mut hash = Out::new(cap.min(65));
    // SAFETY: body_ptr is NULL only for an empty body; out as above.
    let status = unsafe {
        omni::omni_body_hash(
            body_ptr,
            body.len(),
            hash.buf.as_mut_ptr(),
            hash.buf.len(),
            &mut hash.len,
        )
    };
    hash.check(status);

    let mut json = Out::new(cap);
    // SAFETY: body is readable for its length; out as above.
    let status = unsafe {
        omni::omni_json_stringify(
            body_ptr.cast(),
            body.len(),
            json.buf.as_mut_ptr(),
            json.buf.len(),
            &mut json.len,
        )
    };
    json.check(status);

    if signed != omni_status::OMNI_OK {
        return;
    }
    let signature = sig.text();
    handle_agrees(
        secret,
        &method,
        &url,
        &partner,
        &store_id,
        &store_token,
        timestamp_ms,
        body,
        &signature,
    );

    let stamp_text = CArg::new(timestamp_ms.to_string().as_bytes(), false);
    let signature = CArg::new(&signature, false);
    // SAFETY: as for omni_sign.
    let verdict = unsafe {
        omni::omni_verify(
            secret.as_ptr(),
            secret.len(),
            method.ptr(),
            url.ptr(),
            partner.ptr(),
            store_id.ptr(),
            store_token.ptr(),
            stamp_text.ptr(),
            signature.ptr(),
            body_ptr,
            body.len(),
            timestamp_ms,
            300_000,
            0,
        )
    };
    assert_eq!(
        verdict,
        omni_status::OMNI_OK,
        "omni_verify refused omni_sign's signature"
    );
}

/// Calls `call` with `cap`; when it answers that the buffer is too small, calls it again with
/// exactly the size it asked for, which must then succeed with that length.
fn resized(call: impl Fn(usize) -> (omni_status, Out), cap: usize) -> (omni_status, Out) {
    let (status, out) = call(cap);
    if status != omni_status::OMNI_BUFFER_TOO_SMALL {
        return (status, out);
    }
    let needed = out.len;
    let (status, out) = call(needed + 1);
    assert_eq!(
        status,
        omni_status::OMNI_OK,
        "the size asked for did not suffice"
    );
    assert_eq!(
        out.len, needed,
        "the size asked for was not the size written"
    );
    (status, out)
}

/// omni_signer_new + omni_signer_sign give what omni_sign gave.
#[allow(clippy::too_many_arguments)] // the C prototype's arguments, passed through
fn handle_agrees(
    secret: &[u8],
    method: &CArg,
    url: &CArg,
    partner: &CArg,
    store_id: &CArg,
    store_token: &CArg,
    timestamp_ms: i64,
    body: &[u8],
    expected: &[u8],
) {
    let mut signer = ptr::null_mut();
    // SAFETY: secret is readable for its length; signer is writable.
    let status = unsafe { omni::omni_signer_new(secret.as_ptr(), secret.len(), &mut signer) };
    assert_eq!(
        status,
        omni_status::OMNI_OK,
        "omni_sign accepted a key omni_signer_new refused"
    );
    let mut out = Out::new(omni::OMNI_SIGNATURE_BUFFER_SIZE);
    // SAFETY: signer is a live handle; the rest as for omni_sign.
    let status = unsafe {
        omni::omni_signer_sign(
            signer,
            method.ptr(),
            url.ptr(),
            partner.ptr(),
            store_id.ptr(),
            store_token.ptr(),
            timestamp_ms,
            body.as_ptr(),
            body.len(),
            0,
            out.buf.as_mut_ptr(),
            out.buf.len(),
            &mut out.len,
        )
    };
    // SAFETY: signer came from omni_signer_new and is freed once.
    unsafe { omni::omni_signer_free(signer) };
    out.check(status);
    assert_eq!(status, omni_status::OMNI_OK);
    assert_eq!(
        out.text(),
        expected,
        "the handle signer and omni_sign disagree"
    );
}
