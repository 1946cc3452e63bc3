//! The Node package `omni` (napi-rs): Omni Partner API request signing through omni-sign.
//!
//! Every call converts its JavaScript arguments to the borrowed values of [`omni_bindings`]
//! and signs through omni-sign; nothing here computes a signature. Refusals throw instances
//! of the error classes this module exports (`OmniError` and its subclasses, created once per
//! Node environment, so each worker thread has its own), each with `code` (the status name,
//! e.g. `"OMNI_STORE_TOKEN_MISSING"`) and `message`.
//!
//! Arguments are read with napi's C functions directly (a string into a stack buffer, a
//! `Buffer`/`Uint8Array` borrowed in place) rather than through napi-rs's conversions, which
//! allocate a `String` per argument and throw their own untyped errors for wrong types: the
//! per-call cost is what this binding exists for (BENCHMARKS.md).
//!
//! ```js
//! const omni = require('omni')
//! const signer = new omni.Signer('partner-secret')
//! const sig = signer.sign('POST', 'https://h/api/v1/partner/x', 'ptnr_1', Date.now(), body)
//! ```
#![deny(clippy::undocumented_unsafe_blocks)]
// The functions take each request field as a positional argument, as libomni does.
#![allow(clippy::too_many_arguments)]

use std::borrow::Cow;
use std::ffi::c_char;
use std::ptr;

use napi::bindgen_prelude::{Env, JsObjectValue, Object, Result, Unknown};
use napi::{JsValue, Status, sys};
use napi_derive::napi;
use omni_bindings::omni_sign::{self, SignatureFormat};
use omni_bindings::{Check, Class, Error, Received, Request};

/// The error classes, defined once per Node environment (main thread or worker). `name` is
/// each class's own name; `code` the status name.
const ERROR_CLASSES: &str = r#"(() => {
  class OmniError extends Error {
    constructor(message, code) {
      super(message);
      Object.defineProperty(this, 'code', { value: code, enumerable: true });
    }
    get name() { return this.constructor.name; }
  }
  class InvalidInputError extends OmniError {}
  class InvalidUtf8Error extends InvalidInputError {}
  class ArgumentTypeError extends InvalidInputError {}
  class VerificationError extends OmniError {}
  class InvalidJsonError extends OmniError {}
  return [OmniError, InvalidInputError, InvalidUtf8Error, ArgumentTypeError,
          VerificationError, InvalidJsonError];
})()"#;

/// Names of the classes in [`ERROR_CLASSES`]' order.
const ERROR_CLASS_NAMES: [&str; 6] = [
    "OmniError",
    "InvalidInputError",
    "InvalidUtf8Error",
    "ArgumentTypeError",
    "VerificationError",
    "InvalidJsonError",
];

/// References to this environment's error classes (napi instance data).
struct ErrorClasses([sys::napi_ref; 6]);

/// Defines the error classes for this environment and exports them.
#[napi(module_exports)]
pub fn init(mut exports: Object<'_>, env: Env) -> Result<()> {
    let classes: Unknown<'_> = env.run_script(ERROR_CLASSES)?;
    let mut refs = [ptr::null_mut(); 6];
    for (i, name) in ERROR_CLASS_NAMES.iter().enumerate() {
        let mut class = ptr::null_mut();
        // SAFETY: `classes` is the array the script returned, alive in this scope.
        check(unsafe { sys::napi_get_element(env.raw(), classes.raw(), i as u32, &mut class) })?;
        // SAFETY: `class` is a live value; the reference keeps it alive for the environment.
        check(unsafe { sys::napi_create_reference(env.raw(), class, 1, &mut refs[i]) })?;
        // SAFETY: as above.
        let class = unsafe { Unknown::from_raw_unchecked(env.raw(), class) };
        exports.set_named_property(name, class)?;
    }
    env.set_instance_data(ErrorClasses(refs), (), |_| {})?;
    exports.set_named_property(
        "DEFAULT_TOLERANCE_MS",
        omni_sign::DEFAULT_TOLERANCE_MS as f64,
    )?;
    Ok(())
}

fn check(status: sys::napi_status) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(Status::from(status), "napi call failed"))
    }
}

/// The exception for a refusal: an instance of this environment's class for
/// [`Error::class`], `new Class(message, code)`.
fn throw(env: &Env, error: Error) -> napi::Error {
    let index = match error.class() {
        Class::InvalidInput => 1,
        Class::InvalidUtf8 => 2,
        Class::ArgumentType => 3,
        Class::Verification => 4,
        Class::InvalidJson => 5,
        _ => 0,
    };
    let message = error.to_string();
    let fallback = |message: String| napi::Error::new(Status::GenericFailure, message);
    let Ok(Some(classes)) = env.get_instance_data::<ErrorClasses>() else {
        return fallback(message);
    };
    let raw = env.raw();
    let (Ok(msg), Ok(code)) = (
        env.create_string(&message),
        env.create_string(error.status()),
    ) else {
        return fallback(message);
    };
    let mut class = ptr::null_mut();
    let mut instance = ptr::null_mut();
    let args = [msg.raw(), code.raw()];
    // SAFETY: the reference was created in `init` for this environment; `args` are live values.
    let created = unsafe {
        sys::napi_get_reference_value(raw, classes.0[index], &mut class) == sys::Status::napi_ok
            && sys::napi_new_instance(raw, class, 2, args.as_ptr(), &mut instance)
                == sys::Status::napi_ok
    };
    if !created {
        return fallback(message);
    }
    // SAFETY: `instance` is the live error object just created.
    napi::Error::from(unsafe { Unknown::from_raw_unchecked(raw, instance) })
}

/// Stack room for the text arguments of one call; longer texts are copied to the heap.
const ARENA: usize = 1024;

/// Hands out disjoint pieces of a buffer, each borrowed for `'a`.
struct Arena<'a>(&'a mut [u8]);

impl<'a> Arena<'a> {
    fn take(&mut self, n: usize) -> &'a mut [u8] {
        let (head, tail) = std::mem::take(&mut self.0).split_at_mut(n);
        self.0 = tail;
        head
    }
}

/// The JavaScript type of a value.
fn type_of(env: sys::napi_env, value: sys::napi_value) -> sys::napi_valuetype {
    let mut kind = sys::ValueType::napi_undefined;
    // SAFETY: `value` is a live value of `env`.
    unsafe { sys::napi_typeof(env, value, &mut kind) };
    kind
}

fn is_absent(env: sys::napi_env, value: sys::napi_value) -> bool {
    matches!(
        type_of(env, value),
        sys::ValueType::napi_undefined | sys::ValueType::napi_null
    )
}

/// The refusal for a value of the wrong type: missing, or another type than `expected`.
fn wrong_type(
    env: sys::napi_env,
    value: sys::napi_value,
    name: &'static str,
    expected: &'static str,
) -> Error {
    if is_absent(env, value) {
        Error::NullArgument(name)
    } else {
        Error::WrongType(name, expected)
    }
}

/// What went wrong reading an argument: a refusal, or napi itself failing.
enum Fail {
    Refused(Error),
    Napi(napi::Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Refused(e)
    }
}

impl From<napi::Error> for Fail {
    fn from(e: napi::Error) -> Self {
        Fail::Napi(e)
    }
}

type Read<T> = std::result::Result<T, Fail>;

fn raise<T>(env: &Env, result: Read<T>) -> Result<T> {
    result.map_err(|f| match f {
        Fail::Refused(e) => throw(env, e),
        Fail::Napi(e) => e,
    })
}

/// A JavaScript string's UTF-8. napi replaces a lone surrogate by U+FFFD; a U+FFFD in the
/// output is therefore checked against the UTF-16 text, and a lone surrogate is refused as
/// invalid UTF-8, never replaced.
fn string<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    name: &'static str,
    arena: &mut Arena<'a>,
) -> Read<Cow<'a, str>> {
    let room = arena.0.len();
    let mut len = 0;
    // SAFETY: the arena has `room` writable bytes; napi writes at most `room` (text and NUL).
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            arena.0.as_mut_ptr().cast::<c_char>(),
            room,
            &mut len,
        )
    };
    if status == sys::Status::napi_string_expected {
        return Err(wrong_type(env, value, name, "a string").into());
    }
    check(status)?;
    // A text that did not fit leaves at most 3 bytes (a partial character) and the NUL free.
    let bytes: Cow<'a, [u8]> = if len + 4 < room {
        Cow::Borrowed(&*arena.take(len))
    } else {
        // SAFETY: a NULL buffer asks for the length only.
        check(unsafe {
            sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len)
        })?;
        let mut heap = vec![0u8; len + 1];
        // SAFETY: `heap` has len + 1 writable bytes.
        check(unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                heap.as_mut_ptr().cast::<c_char>(),
                heap.len(),
                &mut len,
            )
        })?;
        heap.truncate(len);
        Cow::Owned(heap)
    };
    // U+FFFD is EF BF BD in UTF-8; `contains` on bytes is a vectorised memchr.
    if bytes.contains(&0xEF) && bytes.windows(3).any(|w| w == "\u{fffd}".as_bytes()) {
        return utf16_checked(env, value, name).map(Cow::Owned);
    }
    Ok(match bytes {
        Cow::Borrowed(b) => {
            Cow::Borrowed(std::str::from_utf8(b).map_err(|_| Error::InvalidUtf8(name))?)
        }
        Cow::Owned(b) => Cow::Owned(String::from_utf8(b).map_err(|_| Error::InvalidUtf8(name))?),
    })
}

/// A JavaScript string decoded from its UTF-16, refusing lone surrogates.
fn utf16_checked(env: sys::napi_env, value: sys::napi_value, name: &'static str) -> Read<String> {
    let mut len = 0;
    // SAFETY: a NULL buffer asks for the length only.
    check(unsafe { sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut len) })?;
    let mut units = vec![0u16; len + 1];
    // SAFETY: `units` has len + 1 writable code units.
    check(unsafe {
        sys::napi_get_value_string_utf16(env, value, units.as_mut_ptr(), units.len(), &mut len)
    })?;
    units.truncate(len);
    Ok(String::from_utf16(&units).map_err(|_| Error::InvalidUtf8(name))?)
}

/// The bytes of a `Buffer` or `Uint8Array`, borrowed in place, if `value` is one.
///
/// The borrow lasts for the current call only: no JavaScript runs meanwhile, and a typed
/// array's backing store does not move.
fn uint8_array<'a>(env: sys::napi_env, value: sys::napi_value) -> Option<&'a [u8]> {
    let mut kind = sys::TypedarrayType::int8_array;
    let mut len = 0;
    let mut data = ptr::null_mut();
    // SAFETY: `value` is a live value; napi checks that it is a typed array.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env,
            value,
            &mut kind,
            &mut len,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok
        || !matches!(
            kind,
            sys::TypedarrayType::uint8_array | sys::TypedarrayType::uint8_clamped_array
        )
    {
        return None;
    }
    if len == 0 || data.is_null() {
        return Some(&[]);
    }
    // SAFETY: napi reports `len` bytes at `data` (already offset into the buffer), valid
    // while the array lives, which spans this call.
    Some(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
}

/// Bytes: a `Buffer`/`Uint8Array` or a string (as UTF-8).
fn bytes<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    name: &'static str,
    arena: &mut Arena<'a>,
) -> Read<Cow<'a, [u8]>> {
    if let Some(b) = uint8_array(env, value) {
        return Ok(Cow::Borrowed(b));
    }
    match string(env, value, name, arena) {
        Ok(Cow::Borrowed(s)) => Ok(Cow::Borrowed(s.as_bytes())),
        Ok(Cow::Owned(s)) => Ok(Cow::Owned(s.into_bytes())),
        Err(Fail::Refused(Error::WrongType(..))) => {
            Err(Error::WrongType(name, "a string, Buffer or Uint8Array").into())
        }
        Err(Fail::Refused(Error::NullArgument(..))) => Err(Error::NullArgument(name).into()),
        Err(e) => Err(e),
    }
}

/// Optional bytes: `undefined` and `null` are empty.
fn optional_bytes<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    name: &'static str,
    arena: &mut Arena<'a>,
) -> Read<Cow<'a, [u8]>> {
    if let Some(b) = uint8_array(env, value) {
        return Ok(Cow::Borrowed(b));
    }
    if is_absent(env, value) {
        return Ok(Cow::Borrowed(&[]));
    }
    bytes(env, value, name, arena)
}

/// An optional string: `undefined` and `null` are absent (`""` is an empty value).
fn optional_string<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    name: &'static str,
    arena: &mut Arena<'a>,
) -> Read<Option<Cow<'a, str>>> {
    match string(env, value, name, arena) {
        Ok(s) => Ok(Some(s)),
        Err(Fail::Refused(Error::NullArgument(_))) => Ok(None),
        Err(e) => Err(e),
    }
}

/// An integer: a `number` that is a safe integer, or a `bigint` within 64 bits; `bad` for a
/// number that is not (fraction, NaN, beyond 2^53) or a bigint beyond 64 bits.
fn integer(
    env: sys::napi_env,
    value: sys::napi_value,
    name: &'static str,
    bad: Error,
) -> Read<i64> {
    match type_of(env, value) {
        sys::ValueType::napi_number => {
            let mut n = 0.0;
            // SAFETY: `value` is a number.
            check(unsafe { sys::napi_get_value_double(env, value, &mut n) })?;
            const SAFE: f64 = 9_007_199_254_740_991.0;
            if n.fract() != 0.0 || !(-SAFE..=SAFE).contains(&n) {
                return Err(bad.into());
            }
            Ok(n as i64)
        }
        sys::ValueType::napi_bigint => {
            let (mut n, mut lossless) = (0, false);
            // SAFETY: `value` is a bigint.
            check(unsafe { sys::napi_get_value_bigint_int64(env, value, &mut n, &mut lossless) })?;
            if !lossless {
                return Err(bad.into());
            }
            Ok(n)
        }
        _ => Err(wrong_type(env, value, name, "a number or bigint").into()),
    }
}

/// An optional boolean: `undefined` and `null` are false.
fn boolean(env: sys::napi_env, value: sys::napi_value, name: &'static str) -> Read<bool> {
    let mut flag = false;
    // SAFETY: `value` is a live value; napi checks that it is a boolean.
    if unsafe { sys::napi_get_value_bool(env, value, &mut flag) } == sys::Status::napi_ok {
        return Ok(flag);
    }
    if is_absent(env, value) {
        return Ok(false);
    }
    Err(Error::WrongType(name, "a boolean").into())
}

/// One request's arguments, read.
struct RequestArgs<'a> {
    method: Cow<'a, str>,
    url: Cow<'a, str>,
    partner_client_id: Cow<'a, str>,
    store_client_id: Option<Cow<'a, str>>,
    store_token: Option<Cow<'a, str>>,
    timestamp_ms: i64,
    body: Cow<'a, [u8]>,
}

/// The raw values of `sign`'s request arguments.
struct RawRequest<'e> {
    method: Unknown<'e>,
    url: Unknown<'e>,
    partner_client_id: Unknown<'e>,
    timestamp_ms: Unknown<'e>,
    body: Unknown<'e>,
    store_client_id: Unknown<'e>,
    store_token: Unknown<'e>,
}

impl<'a> RequestArgs<'a> {
    fn read(env: &Env, raw: &RawRequest<'_>, arena: &mut Arena<'a>) -> Read<Self> {
        let e = env.raw();
        Ok(RequestArgs {
            method: string(e, raw.method.raw(), "method", arena)?,
            url: string(e, raw.url.raw(), "url", arena)?,
            partner_client_id: string(e, raw.partner_client_id.raw(), "partnerClientId", arena)?,
            store_client_id: optional_string(e, raw.store_client_id.raw(), "storeClientId", arena)?,
            store_token: optional_string(e, raw.store_token.raw(), "storeToken", arena)?,
            timestamp_ms: integer(
                e,
                raw.timestamp_ms.raw(),
                "timestampMs",
                Error::InvalidTimestamp("timestampMs"),
            )?,
            body: optional_bytes(e, raw.body.raw(), "body", arena)?,
        })
    }

    fn request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            url: &self.url,
            partner_client_id: &self.partner_client_id,
            store_client_id: self.store_client_id.as_deref(),
            store_token: self.store_token.as_deref(),
            timestamp_ms: self.timestamp_ms,
            body: &self.body,
        }
    }
}

/// Signs one request with `key`.
fn sign_with(
    env: &Env,
    key: Option<&omni_sign::Signer>,
    raw: &RawRequest<'_>,
    format: SignatureFormat,
) -> Result<String> {
    let mut room = [0u8; ARENA];
    let mut arena = Arena(&mut room);
    let signed = RequestArgs::read(env, raw, &mut arena).and_then(|args| {
        let key = key.ok_or(Error::Closed)?;
        Ok(args.request().sign(key, format)?)
    });
    raise(env, signed).map(|text| text.as_str().to_owned())
}

/// A secret key: a string (as UTF-8), `Buffer` or `Uint8Array`.
fn signer_for(env: &Env, secret: &Unknown<'_>) -> Result<omni_sign::Signer> {
    let mut room = [0u8; 256];
    let mut arena = Arena(&mut room);
    let key = bytes(env.raw(), secret.raw(), "secret", &mut arena)
        .and_then(|s| Ok(omni_bindings::signer(&s)?));
    raise(env, key)
}

/// One partner secret key, hashed once. `close()` wipes the key state (so does garbage
/// collection). A signer belongs to the thread that made it: each worker makes its own.
#[napi]
pub struct Signer {
    key: Option<omni_sign::Signer>,
}

#[napi]
impl Signer {
    /// Hashes the key once; an empty key throws `InvalidInputError` (`OMNI_EMPTY_SECRET`).
    #[napi(constructor, ts_args_type = "secret: string | Uint8Array")]
    pub fn new(env: Env, secret: Unknown<'_>) -> Result<Self> {
        Ok(Signer {
            key: Some(signer_for(&env, &secret)?),
        })
    }

    /// `x-signature` of one request: `sha256=<64 hex>`, or bare hex when `bareHex` is true.
    /// `body` is the bytes as sent (a string is sent as UTF-8); `storeClientId`/`storeToken`
    /// are `undefined` or `null` when not store-scoped.
    #[napi(
        ts_args_type = "method: string, url: string, partnerClientId: string, timestampMs: number | bigint, body?: string | Uint8Array | null, storeClientId?: string | null, storeToken?: string | null, bareHex?: boolean"
    )]
    pub fn sign(
        &self,
        env: Env,
        method: Unknown<'_>,
        url: Unknown<'_>,
        partner_client_id: Unknown<'_>,
        timestamp_ms: Unknown<'_>,
        body: Unknown<'_>,
        store_client_id: Unknown<'_>,
        store_token: Unknown<'_>,
        bare_hex: Unknown<'_>,
    ) -> Result<String> {
        let raw = RawRequest {
            method,
            url,
            partner_client_id,
            timestamp_ms,
            body,
            store_client_id,
            store_token,
        };
        let bare_hex = raise(&env, boolean(env.raw(), bare_hex.raw(), "bareHex"))?;
        let format = if bare_hex {
            SignatureFormat::BareHex
        } else {
            SignatureFormat::Prefixed
        };
        sign_with(&env, self.key.as_ref(), &raw, format)
    }

    /// Wipes the key state; later calls throw `OmniError` (`OMNI_NULL_ARGUMENT`).
    #[napi]
    pub fn close(&mut self) {
        self.key = None;
    }
}

/// `x-signature` (`sha256=<64 hex>`) of one request, hashing the key for this call only
/// (prefer a `Signer` for many signatures).
#[napi(
    ts_args_type = "secret: string | Uint8Array, method: string, url: string, partnerClientId: string, timestampMs: number | bigint, body?: string | Uint8Array | null, storeClientId?: string | null, storeToken?: string | null"
)]
pub fn sign(
    env: Env,
    secret: Unknown<'_>,
    method: Unknown<'_>,
    url: Unknown<'_>,
    partner_client_id: Unknown<'_>,
    timestamp_ms: Unknown<'_>,
    body: Unknown<'_>,
    store_client_id: Unknown<'_>,
    store_token: Unknown<'_>,
) -> Result<String> {
    let key = signer_for(&env, &secret)?;
    let raw = RawRequest {
        method,
        url,
        partner_client_id,
        timestamp_ms,
        body,
        store_client_id,
        store_token,
    };
    sign_with(&env, Some(&key), &raw, SignatureFormat::Prefixed)
}

/// The exact base string that is signed (it holds the store token: do not log it).
#[napi(
    ts_args_type = "method: string, url: string, partnerClientId: string, timestampMs: number | bigint, body?: string | Uint8Array | null, storeClientId?: string | null, storeToken?: string | null"
)]
pub fn base_string(
    env: Env,
    method: Unknown<'_>,
    url: Unknown<'_>,
    partner_client_id: Unknown<'_>,
    timestamp_ms: Unknown<'_>,
    body: Unknown<'_>,
    store_client_id: Unknown<'_>,
    store_token: Unknown<'_>,
) -> Result<String> {
    let raw = RawRequest {
        method,
        url,
        partner_client_id,
        timestamp_ms,
        body,
        store_client_id,
        store_token,
    };
    let mut room = [0u8; ARENA];
    let mut arena = Arena(&mut room);
    let text = RequestArgs::read(&env, &raw, &mut arena)
        .and_then(|args| Ok(args.request().base_string()?));
    raise(&env, text)
}

/// Lowercase hex SHA-256 of the body (a string is hashed as UTF-8).
#[napi(ts_args_type = "body: string | Uint8Array")]
pub fn body_hash(env: Env, body: Unknown<'_>) -> Result<String> {
    let mut room = [0u8; ARENA];
    let mut arena = Arena(&mut room);
    let hash =
        bytes(env.raw(), body.raw(), "body", &mut arena).map(|b| omni_bindings::body_hash(&b));
    raise(&env, hash)
}

/// Options of `verify`.
struct VerifyOptions {
    now_ms: Option<i64>,
    tolerance_ms: Option<i64>,
    strict: bool,
}

fn verify_options(env: sys::napi_env, value: sys::napi_value) -> Read<VerifyOptions> {
    let mut options = VerifyOptions {
        now_ms: None,
        tolerance_ms: None,
        strict: false,
    };
    if is_absent(env, value) {
        return Ok(options);
    }
    if type_of(env, value) != sys::ValueType::napi_object {
        return Err(Error::WrongType("options", "an object").into());
    }
    let field = |key: &std::ffi::CStr| -> Read<sys::napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: `value` is a live object and `key` a NUL-terminated name. A getter may run
        // JavaScript; nothing borrowed from a JavaScript value is held across this call.
        check(unsafe { sys::napi_get_named_property(env, value, key.as_ptr(), &mut out) })?;
        Ok(out)
    };
    let number = |v, name| -> Read<Option<i64>> {
        if is_absent(env, v) {
            return Ok(None);
        }
        let bad = Error::OutOfRange(name, "not a safe integer");
        integer(env, v, name, bad).map(Some)
    };
    options.now_ms = number(field(c"nowMs")?, "nowMs")?;
    options.tolerance_ms = number(field(c"toleranceMs")?, "toleranceMs")?;
    options.strict = boolean(env, field(c"strict")?, "strict")?;
    Ok(options)
}

/// Verifies a received request as a server does; returns when accepted. Throws
/// `VerificationError` (`OMNI_TIMESTAMP_OUTSIDE_WINDOW`, `OMNI_MALFORMED_SIGNATURE`,
/// `OMNI_SIGNATURE_MISMATCH`) or `InvalidInputError` (malformed headers) whose `code` says
/// which check failed. `timestamp` is the x-timestamp text (a number is written in decimal);
/// `options.nowMs` defaults to the system clock, `toleranceMs` to `DEFAULT_TOLERANCE_MS`.
#[napi(
    ts_args_type = "secret: string | Uint8Array, method: string, url: string, partnerClientId: string, timestamp: string | number | bigint, signature: string, body?: string | Uint8Array | null, storeClientId?: string | null, storeToken?: string | null, options?: { nowMs?: number | bigint, toleranceMs?: number | bigint, strict?: boolean } | null"
)]
pub fn verify(
    env: Env,
    secret: Unknown<'_>,
    method: Unknown<'_>,
    url: Unknown<'_>,
    partner_client_id: Unknown<'_>,
    timestamp: Unknown<'_>,
    signature: Unknown<'_>,
    body: Unknown<'_>,
    store_client_id: Unknown<'_>,
    store_token: Unknown<'_>,
    options: Unknown<'_>,
) -> Result<()> {
    let e = env.raw();
    let mut room = [0u8; ARENA];
    let mut arena = Arena(&mut room);
    let run = |arena: &mut Arena<'_>| -> Read<()> {
        let options = verify_options(e, options.raw())?;
        let secret = bytes(e, secret.raw(), "secret", arena)?;
        let timestamp = match type_of(e, timestamp.raw()) {
            sys::ValueType::napi_number | sys::ValueType::napi_bigint => {
                let bad = Error::InvalidTimestamp("timestamp");
                Cow::Owned(integer(e, timestamp.raw(), "timestamp", bad)?.to_string())
            }
            _ => string(e, timestamp.raw(), "timestamp", arena)?,
        };
        let now_ms = options.now_ms.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        });
        let method = string(e, method.raw(), "method", arena)?;
        let url = string(e, url.raw(), "url", arena)?;
        let partner = string(e, partner_client_id.raw(), "partnerClientId", arena)?;
        let signature = string(e, signature.raw(), "signature", arena)?;
        let store_id = optional_string(e, store_client_id.raw(), "storeClientId", arena)?;
        let store_token = optional_string(e, store_token.raw(), "storeToken", arena)?;
        let body = optional_bytes(e, body.raw(), "body", arena)?;
        let received = Received {
            method: &method,
            url: &url,
            partner_client_id: &partner,
            store_client_id: store_id.as_deref(),
            store_token: store_token.as_deref(),
            timestamp: &timestamp,
            signature: &signature,
            body: &body,
        };
        let check = Check {
            now_ms,
            tolerance_ms: options
                .tolerance_ms
                .unwrap_or(omni_sign::DEFAULT_TOLERANCE_MS as i64),
            strict: options.strict,
        };
        Ok(omni_bindings::verify(&secret, &received, check)?)
    };
    let result = run(&mut arena);
    raise(&env, result)
}

/// Rewrites JSON text exactly as `JSON.stringify(JSON.parse(text))` would, refusing a value
/// such a parse would change (an integer beyond 2^53): the same bytes from any language.
#[napi(ts_args_type = "text: string | Uint8Array")]
pub fn json_stringify(env: Env, text: Unknown<'_>) -> Result<String> {
    let mut room = [0u8; ARENA];
    let mut arena = Arena(&mut room);
    let json = bytes(env.raw(), text.raw(), "text", &mut arena)
        .and_then(|t| Ok(omni_bindings::json_stringify(&t)?));
    raise(&env, json)
}
