//! omni_diagnose's C contract: the verdict JSON of omni-diagnose, the buffer protocol, and
//! the statuses of unusable arguments. The faulty signatures come from libomni's own signer.

use std::ffi::{CStr, CString, c_char};
use std::ptr::{null, null_mut};

use omni::omni_status::{self, *};
use omni::{OMNI_DEFAULT_TOLERANCE_MS, OMNI_SIGN_BARE_HEX, OMNI_VERIFY_STRICT, omni_header};

const SECRET: &[u8] = b"partner-secret-key";
const TS: i64 = 1_709_024_577_000;
const NOW: i64 = 1_709_024_580_000;

/// A signature by libomni for a partner-level request by `ptnr_1`.
fn sign(url: &CStr, ts: i64, body: &[u8], flags: u32) -> String {
    let mut signer = null_mut();
    let mut out = [0 as c_char; omni::OMNI_SIGNATURE_BUFFER_SIZE];
    let mut len = 0;
    // SAFETY: every pointer is valid for the calls; the signer is freed once.
    unsafe {
        assert_eq!(
            omni::omni_signer_new(SECRET.as_ptr(), SECRET.len(), &mut signer),
            OMNI_OK
        );
        let status = omni::omni_signer_sign(
            signer,
            c"GET".as_ptr(),
            url.as_ptr(),
            c"ptnr_1".as_ptr(),
            null(),
            null(),
            ts,
            body.as_ptr(),
            body.len(),
            flags,
            out.as_mut_ptr(),
            out.len(),
            &mut len,
        );
        omni::omni_signer_free(signer);
        assert_eq!(status, OMNI_OK);
        CStr::from_ptr(out.as_ptr()).to_str().unwrap().to_owned()
    }
}

/// omni_diagnose of a GET by `ptnr_1` with these headers beside x-partner-client-id, into a
/// buffer of `cap` bytes: the status, `*out_len` and the text.
fn diagnose(
    url: &CStr,
    headers: &[(&str, &str)],
    body: &[u8],
    flags: u32,
    cap: usize,
) -> (omni_status, usize, String) {
    let texts: Vec<(CString, CString)> = [("x-partner-client-id", "ptnr_1")]
        .iter()
        .chain(headers)
        .map(|(n, v)| (CString::new(*n).unwrap(), CString::new(*v).unwrap()))
        .collect();
    let array: Vec<omni_header> = texts
        .iter()
        .map(|(name, value)| omni_header {
            name: name.as_ptr(),
            value: value.as_ptr(),
        })
        .collect();
    let mut out = vec![0 as c_char; cap];
    let out_ptr = if cap == 0 {
        null_mut()
    } else {
        out.as_mut_ptr()
    };
    let mut len = 99;
    // SAFETY: every pointer is valid for the call; out holds `cap` bytes.
    let status = unsafe {
        omni::omni_diagnose(
            c"GET".as_ptr(),
            url.as_ptr(),
            array.as_ptr(),
            array.len(),
            body.as_ptr(),
            body.len(),
            SECRET.as_ptr(),
            SECRET.len(),
            NOW,
            OMNI_DEFAULT_TOLERANCE_MS,
            flags,
            out_ptr,
            cap,
            &mut len,
        )
    };
    let text = if status == OMNI_OK {
        // SAFETY: on success out holds a NUL-terminated text.
        unsafe { CStr::from_ptr(out.as_ptr()) }
            .to_str()
            .unwrap()
            .to_owned()
    } else {
        String::new()
    };
    (status, len, text)
}

fn first_pitfall(json: &str) -> Option<String> {
    let tail = json
        .split(r#""combinations":[{"pitfalls":[{"name":""#)
        .nth(1)?;
    Some(tail.split('"').next()?.to_owned())
}

#[test]
fn an_accepted_request() {
    let url = c"https://h/api/v1/partner/x?page=2";
    let sig = sign(url, TS, b"", 0);
    let ts = TS.to_string();
    let (status, len, json) = diagnose(
        url,
        &[("x-timestamp", &ts), ("x-signature", &sig)],
        b"",
        0,
        4096,
    );
    assert_eq!(status, OMNI_OK);
    assert_eq!(len, json.len());
    assert!(
        json.starts_with(r#"{"version":1,"accepted":true,"check":null"#),
        "{json}"
    );
}

#[test]
fn named_pitfalls() {
    let ts = TS.to_string();
    // /api/v1 left on the path: the signer was given it twice, strips one.
    let sig = sign(c"/api/v1/api/v1/partner/x", TS, b"", 0);
    let (_, _, json) = diagnose(
        c"/api/v1/partner/x",
        &[("x-timestamp", &ts), ("x-signature", &sig)],
        b"",
        0,
        4096,
    );
    assert!(json.contains(r#""check":"signature_mismatch""#), "{json}");
    assert_eq!(
        first_pitfall(&json).as_deref(),
        Some("api-v1-not-stripped"),
        "{json}"
    );

    let pretty = b"{\n  \"a\": 1\n}";
    let sig = sign(c"/partner/x", TS, pretty, 0);
    let (_, _, json) = diagnose(
        c"/partner/x",
        &[("x-timestamp", &ts), ("x-signature", &sig)],
        br#"{"a":1}"#,
        0,
        4096,
    );
    assert_eq!(
        first_pitfall(&json).as_deref(),
        Some("pretty-vs-minified-body"),
        "{json}"
    );

    let sig = sign(c"/partner/x", TS, b"", OMNI_SIGN_BARE_HEX);
    let (_, _, json) = diagnose(
        c"/partner/x",
        &[("x-timestamp", &ts), ("x-signature", &sig)],
        b"",
        OMNI_VERIFY_STRICT,
        4096,
    );
    assert!(json.contains(r#""check":"malformed_signature""#), "{json}");
    assert_eq!(
        first_pitfall(&json).as_deref(),
        Some("bare-hex-under-strict"),
        "{json}"
    );
}

#[test]
fn a_malformed_request_is_a_verdict_and_holds_no_store_token() {
    let ts = TS.to_string();
    let sig = sign(c"/partner/x", TS, b"", 0);
    let (status, _, json) = diagnose(
        c"/partner/x",
        &[
            ("x-store-client-id", "str_1"),
            ("x-store-token", "stkn_very_secret"),
            ("x-timestamp", &ts),
            ("x-signature", &sig),
        ],
        b"",
        0,
        4096,
    );
    assert_eq!(status, OMNI_OK);
    assert_eq!(
        first_pitfall(&json).as_deref(),
        Some("store-headers-left-out"),
        "{json}"
    );
    assert!(!json.contains("stkn_very_secret"), "{json}");

    let (status, _, json) = diagnose(c"/partner/x", &[("x-signature", &sig)], b"", 0, 4096);
    assert_eq!(status, OMNI_OK);
    assert!(json.contains(r#""check":"missing_header""#), "{json}");
}

#[test]
fn the_buffer_protocol_and_unusable_arguments() {
    let ts = TS.to_string();
    let headers = [("x-timestamp", ts.as_str()), ("x-signature", "sha256=00")];
    let (status, needed, _) = diagnose(c"/partner/x", &headers, b"", 0, 0);
    assert_eq!(status, OMNI_BUFFER_TOO_SMALL);
    let (status, len, json) = diagnose(c"/partner/x", &headers, b"", 0, needed + 1);
    assert_eq!((status, len), (OMNI_OK, needed));
    assert!(json.ends_with('}'));
    let (status, len, _) = diagnose(c"/partner/x", &headers, b"", 0, needed);
    assert_eq!((status, len), (OMNI_BUFFER_TOO_SMALL, needed));
    assert_eq!(
        diagnose(c"/partner/x", &headers, b"", 2, 4096).0,
        OMNI_INVALID_INPUT
    );

    let call = |headers: *const omni_header, count: usize, secret: &[u8], now: i64| {
        let mut out = [0 as c_char; 64];
        let mut len = 0;
        // SAFETY: the pointers are valid for the call, or NULL as the case tests.
        unsafe {
            omni::omni_diagnose(
                c"GET".as_ptr(),
                c"/".as_ptr(),
                headers,
                count,
                null(),
                0,
                secret.as_ptr(),
                secret.len(),
                now,
                OMNI_DEFAULT_TOLERANCE_MS,
                0,
                out.as_mut_ptr(),
                out.len(),
                &mut len,
            )
        }
    };
    assert_eq!(call(null(), 1, SECRET, NOW), OMNI_NULL_ARGUMENT);
    assert_eq!(call(null(), 0, b"", NOW), OMNI_EMPTY_SECRET);
    assert_eq!(call(null(), 0, SECRET, -1), OMNI_INVALID_INPUT);
    let nul_name = omni_header {
        name: null(),
        value: c"v".as_ptr(),
    };
    assert_eq!(call(&nul_name, 1, SECRET, NOW), OMNI_NULL_ARGUMENT);
}
