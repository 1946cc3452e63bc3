//! Reading C arguments: strings, byte ranges, the request fields, flags, and the caller's
//! output buffer. Every unchecked pointer access of libomni happens here or in `handles`.

use std::ffi::{CStr, c_char};
use std::fmt;

use omni_sign::{
    BodyHash, CanonicalRequest, Signature, SignatureFormat, SignedHeaders, Signer, Timestamp,
};

use crate::status::{Outcome, omni_status};
use crate::{OMNI_SIGN_BARE_HEX, OMNI_VERIFY_STRICT, omni_request};

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn required_str<'a>(ptr: *const c_char) -> Result<&'a str, omni_status> {
    if ptr.is_null() {
        return Err(omni_status::OMNI_NULL_ARGUMENT);
    }
    // SAFETY: not NULL, and the caller guarantees a NUL-terminated string valid for 'a.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map_err(|_| omni_status::OMNI_INVALID_UTF8)
}

/// The store id and token arguments. The pair is absent when each is NULL or `""` (Go has no
/// NULL string); otherwise each is read as given: NULL is a missing header
/// (OMNI_STORE_TOKEN_MISSING / OMNI_STORE_CLIENT_ID_MISSING, from omni-sign) and `""` an empty
/// value (OMNI_INVALID_HEADER_VALUE), as the signing rules say.
///
/// # Safety
/// Each pointer is as in [`required_str`].
pub(crate) unsafe fn store_pair<'a>(
    store_client_id: *const c_char,
    store_token: *const c_char,
) -> Result<(Option<&'a str>, Option<&'a str>), omni_status> {
    // SAFETY: forwarded contract of this function.
    let id = unsafe { optional_str(store_client_id) }?;
    // SAFETY: as above.
    let token = unsafe { optional_str(store_token) }?;
    Ok(match (id, token) {
        (None | Some(""), None | Some("")) => (None, None),
        given => given,
    })
}

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// As [`required_str`].
unsafe fn optional_str<'a>(ptr: *const c_char) -> Result<Option<&'a str>, omni_status> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract of this function.
    unsafe { required_str(ptr) }.map(Some)
}

/// A byte-range argument that may be NULL only when `len` is 0.
///
/// # Safety
/// When `len > 0`, `ptr` is NULL or points to `len` readable bytes that stay valid and
/// unchanged for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], omni_status> {
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
/// always required; an empty one is refused later by omni-sign as `OMNI_EMPTY_SECRET`.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn secret<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], omni_status> {
    if ptr.is_null() {
        return Err(omni_status::OMNI_NULL_ARGUMENT);
    }
    // SAFETY: forwarded contract of this function.
    unsafe { bytes(ptr, len) }
}

/// A signed timestamp argument; omni-sign's timestamps are unsigned, so a negative one is the
/// binding-level kind `invalid_timestamp`.
fn timestamp(ms: i64) -> Result<Timestamp, omni_status> {
    u64::try_from(ms)
        .map(Timestamp::from_millis)
        .map_err(|_| omni_status::OMNI_INVALID_TIMESTAMP)
}

/// A clock or tolerance argument of omni_verify: not negative.
pub(crate) fn millis(ms: i64) -> Result<u64, omni_status> {
    u64::try_from(ms).map_err(|_| omni_status::OMNI_INVALID_INPUT)
}

/// `flags` of the signing calls: 0 or OMNI_SIGN_BARE_HEX.
pub(crate) fn sign_format(flags: u32) -> Result<SignatureFormat, omni_status> {
    match flags {
        0 => Ok(SignatureFormat::Prefixed),
        OMNI_SIGN_BARE_HEX => Ok(SignatureFormat::BareHex),
        _ => Err(omni_status::OMNI_INVALID_INPUT),
    }
}

/// `flags` of the verifying calls: 0 or OMNI_VERIFY_STRICT; answers whether strict.
pub(crate) fn verify_strict(flags: u32) -> Result<bool, omni_status> {
    match flags {
        0 => Ok(false),
        OMNI_VERIFY_STRICT => Ok(true),
        _ => Err(omni_status::OMNI_INVALID_INPUT),
    }
}

/// The caller's output buffer and length slot, checked before any work is done.
pub(crate) struct Output<'a> {
    buf: &'a mut [u8],
    len: &'a mut usize,
}

impl<'a> Output<'a> {
    /// # Safety
    /// `out_len` is NULL or valid for writing a `size_t`; when `out_cap > 0`, `out` is NULL or
    /// valid for writing `out_cap` bytes; neither is read or written by anyone else during `'a`.
    pub(crate) unsafe fn new(
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
    pub(crate) fn put(self, text: &[u8]) -> Outcome {
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
    pub(crate) fn put_fmt(self, needed: usize, value: impl fmt::Display) -> Outcome {
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

/// The request arguments of omni_sign, omni_base_string and the signer functions, read and
/// checked.
pub(crate) struct RequestArgs<'a> {
    method: &'a str,
    url: &'a str,
    headers: SignedHeaders<'a>,
    body: &'a [u8],
}

impl<'a> RequestArgs<'a> {
    /// Reads the fields of `request`. The functions taking the fields as separate arguments
    /// gather them into an [`omni_request`] first, so this is the only reader.
    ///
    /// # Safety
    /// Each string pointer of `request` is NULL or a NUL-terminated string, and `body` is NULL
    /// or `body_len` readable bytes, all valid and unchanged for `'a`.
    pub(crate) unsafe fn read(request: &omni_request) -> Result<Self, omni_status> {
        // SAFETY: forwarded contract of this function.
        let method = unsafe { required_str(request.method) }?;
        // SAFETY: as above.
        let url = unsafe { required_str(request.url) }?;
        // SAFETY: as above.
        let partner = unsafe { required_str(request.partner_client_id) }?;
        // SAFETY: as above.
        let (store_id, store_token) =
            unsafe { store_pair(request.store_client_id, request.store_token) }?;
        // SAFETY: as above.
        let body = unsafe { bytes(request.body, request.body_len) }?;
        let ts = timestamp(request.timestamp_ms)?;
        let headers = SignedHeaders::from_parts(partner, store_id, store_token, ts)?;
        Ok(RequestArgs {
            method,
            url,
            headers,
            body,
        })
    }

    /// Signs through [`Signer::sign_request`], which hashes the body only once the method and
    /// URL are known to be valid.
    pub(crate) fn sign_with(&self, signer: &Signer) -> Result<Signature, omni_status> {
        Ok(signer.sign_request(self.method, self.url, &self.headers, self.body)?)
    }

    /// The canonical request, for its base string.
    pub(crate) fn canonical(&self) -> Result<CanonicalRequest<'a>, omni_status> {
        Ok(CanonicalRequest::new(
            self.method,
            self.url,
            self.headers,
            BodyHash::of(self.body),
        )?)
    }
}
