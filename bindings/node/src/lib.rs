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
//! allocate a `String` per argument and throw their own untyped errors for wrong types; the
//! `Signer` class, the hot path, is a small JavaScript class over native functions bound to
//! each signer's state (see [`SIGNER_CLASS`]).
//! The per-call cost is what this binding exists for (BENCHMARKS.md). The other functions
//! are napi-rs functions, whose TypeScript declarations napi-rs generates.
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
use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::rc::Rc;

use napi::bindgen_prelude::{Env, JsObjectValue, Object, Result, ToNapiValue, Unknown};
use napi::{JsValue, Status, sys};
use napi_derive::napi;
use omni_bindings::omni_sign::{self, SignatureFormat, SignatureText};
use omni_bindings::{Check, Class, Error, Received, Request};
use zeroize::Zeroize;

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
    let signer = define_signer(env.raw())?;
    // SAFETY: `signer` is the live class just defined.
    exports.set_named_property("Signer", unsafe {
        Unknown::from_raw_unchecked(env.raw(), signer)
    })?;
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

/// The exception object for a refusal: an instance of this environment's class for
/// [`Error::class`], `new Class(message, code)`; `None` if it cannot be made.
fn error_value(env: sys::napi_env, error: &Error) -> Option<sys::napi_value> {
    let index = match error.class() {
        Class::InvalidInput => 1,
        Class::InvalidUtf8 => 2,
        Class::ArgumentType => 3,
        Class::Verification => 4,
        Class::InvalidJson => 5,
        _ => 0,
    };
    let wrapped = Env::from_raw(env);
    let classes = wrapped.get_instance_data::<ErrorClasses>().ok()??;
    let message = wrapped.create_string(error.to_string()).ok()?;
    let code = wrapped.create_string(error.status()).ok()?;
    let mut class = ptr::null_mut();
    let mut instance = ptr::null_mut();
    let args = [message.raw(), code.raw()];
    // SAFETY: the reference was created in `init` for this environment; `args` are live values.
    let created = unsafe {
        sys::napi_get_reference_value(env, classes.0[index], &mut class) == sys::Status::napi_ok
            && sys::napi_new_instance(env, class, 2, args.as_ptr(), &mut instance)
                == sys::Status::napi_ok
    };
    created.then_some(instance)
}

/// The exception for a refusal, for napi-rs to throw.
fn throw(env: &Env, error: Error) -> napi::Error {
    match error_value(env.raw(), &error) {
        // SAFETY: `value` is the live error object just created.
        Some(value) => napi::Error::from(unsafe { Unknown::from_raw_unchecked(env.raw(), value) }),
        None => napi::Error::new(Status::GenericFailure, error.to_string()),
    }
}

/// Stack room for the text arguments of one call; longer texts are copied to the heap.
const ARENA: usize = 1024;

/// Hands out disjoint pieces of a buffer, each borrowed for `'a`. Left uninitialised: napi
/// writes each piece before it is read. See [`with_arena`].
struct Arena<'a> {
    /// The free space.
    rest: &'a mut [MaybeUninit<u8>],
    /// A text did not fit and was copied to the heap, after napi had filled the free space.
    overflowed: bool,
}

/// Runs `f` with an arena of `N` bytes on the stack, then wipes what was written there: the
/// texts read may include a secret key or a store token.
fn with_arena<const N: usize, T>(f: impl FnOnce(&mut Arena<'_>) -> T) -> T {
    let mut room = [MaybeUninit::uninit(); N];
    let mut arena = Arena {
        rest: &mut room,
        overflowed: false,
    };
    let out = f(&mut arena);
    let written = if arena.overflowed {
        N
    } else {
        N - arena.rest.len()
    };
    room[..written].zeroize();
    out
}

/// Wipes a text copied to the heap (a secret key or store token that did not fit the arena).
fn wipe<T: ?Sized + ToOwned>(text: Cow<'_, T>)
where
    T::Owned: Zeroize,
{
    if let Cow::Owned(mut owned) = text {
        owned.zeroize();
    }
}

impl<'a> Arena<'a> {
    /// The next `n` bytes, which the caller has just had napi write.
    ///
    /// # Safety
    /// The first `n` bytes of the free space are initialised.
    unsafe fn take_written(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = std::mem::take(&mut self.rest).split_at_mut(n);
        self.rest = tail;
        // SAFETY: initialised by the caller's contract; MaybeUninit<u8> has u8's layout.
        unsafe { &*(head as *const [MaybeUninit<u8>] as *const [u8]) }
    }
}

/// A signature returned to JavaScript as a one-byte string: it is ASCII, and V8 copies a
/// one-byte string without decoding it.
pub struct Ascii(SignatureText);

impl ToNapiValue for Ascii {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        let text = value.0.as_str();
        let mut out = ptr::null_mut();
        // SAFETY: `text` is `text.len()` readable bytes (at most 71), all ASCII (so Latin-1).
        check(unsafe {
            sys::napi_create_string_latin1(env, text.as_ptr().cast(), text.len() as isize, &mut out)
        })?;
        Ok(out)
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
    let room = arena.rest.len();
    let mut len = 0;
    // SAFETY: the arena has `room` writable bytes; napi writes at most `room` (text and NUL).
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            arena.rest.as_mut_ptr().cast::<c_char>(),
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
        // SAFETY: napi wrote `len` bytes at the start of the arena's free space.
        Cow::Borrowed(unsafe { arena.take_written(len) })
    } else {
        arena.overflowed = true;
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
    if bytes.is_ascii() {
        // The usual case, checked in one vectorised pass: ASCII holds no U+FFFD.
        return Ok(match bytes {
            // SAFETY: ASCII is UTF-8.
            Cow::Borrowed(b) => Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(b) }),
            // SAFETY: as above.
            Cow::Owned(b) => Cow::Owned(unsafe { String::from_utf8_unchecked(b) }),
        });
    }
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
    let mut n = 0.0;
    // SAFETY: `value` is a live value; napi checks that it is a number.
    if unsafe { sys::napi_get_value_double(env, value, &mut n) } == sys::Status::napi_ok {
        const SAFE: f64 = 9_007_199_254_740_991.0;
        if n.fract() != 0.0 || !(-SAFE..=SAFE).contains(&n) {
            return Err(bad.into());
        }
        return Ok(n as i64);
    }
    match type_of(env, value) {
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
    if is_absent(env, value) {
        return Ok(false);
    }
    let mut flag = false;
    // SAFETY: `value` is a live value; napi checks that it is a boolean.
    if unsafe { sys::napi_get_value_bool(env, value, &mut flag) } == sys::Status::napi_ok {
        return Ok(flag);
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

/// The JavaScript values of `sign`'s request arguments.
struct RawRequest {
    method: sys::napi_value,
    url: sys::napi_value,
    partner_client_id: sys::napi_value,
    timestamp_ms: sys::napi_value,
    body: sys::napi_value,
    store_client_id: sys::napi_value,
    store_token: sys::napi_value,
}

impl Drop for RequestArgs<'_> {
    fn drop(&mut self) {
        // A store token too long for the arena was copied to the heap.
        if let Some(Cow::Owned(token)) = &mut self.store_token {
            token.zeroize();
        }
    }
}

impl<'a> RequestArgs<'a> {
    fn read(e: sys::napi_env, raw: &RawRequest, arena: &mut Arena<'a>) -> Read<Self> {
        Ok(RequestArgs {
            method: string(e, raw.method, "method", arena)?,
            url: string(e, raw.url, "url", arena)?,
            partner_client_id: string(e, raw.partner_client_id, "partnerClientId", arena)?,
            store_client_id: optional_string(e, raw.store_client_id, "storeClientId", arena)?,
            store_token: optional_string(e, raw.store_token, "storeToken", arena)?,
            timestamp_ms: integer(
                e,
                raw.timestamp_ms,
                "timestampMs",
                Error::InvalidTimestamp("timestampMs"),
            )?,
            body: optional_bytes(e, raw.body, "body", arena)?,
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
    env: sys::napi_env,
    key: Option<&omni_sign::Signer>,
    raw: &RawRequest,
    format: SignatureFormat,
) -> Read<Ascii> {
    with_arena::<ARENA, _>(|arena| {
        let args = RequestArgs::read(env, raw, arena)?;
        let key = key.ok_or(Error::Closed)?;
        Ok(Ascii(args.request().sign(key, format)?))
    })
}

/// A secret key: a string (as UTF-8), `Buffer` or `Uint8Array`.
fn signer_for(env: sys::napi_env, secret: sys::napi_value) -> Read<omni_sign::Signer> {
    with_arena::<256, _>(|arena| {
        let secret = bytes(env, secret, "secret", arena)?;
        let signer = omni_bindings::signer(&secret);
        wipe(secret);
        Ok(signer?)
    })
}

/// The state behind one JavaScript `Signer`: the key state, `None` once closed. Shared by the
/// signer's two native functions (its `sign` and `close`), each holding one count, released by
/// the function's finalizer. JavaScript is single-threaded per environment and no JavaScript
/// runs during a call here, so the `RefCell` borrows never overlap, and the `Rc` is only ever
/// touched on the environment's thread.
type SignerState = RefCell<Option<omni_sign::Signer>>;

/// The `Signer` class, made once per environment from [`SIGNER_CLASS`] and the native
/// functions below. Each instance keeps its own native `sign` and `close` (made by
/// [`signer_bind`] with the instance's state as their napi `data`) under symbol keys only this
/// script holds, so a call reaches its state through one JavaScript property read, which V8
/// caches, instead of a per-call `napi_unwrap` and type-tag check (two lookups of private
/// properties through V8's slow path, the largest part of the per-call cost of a class
/// defined with `napi_define_class`, as measured by `bindings/bench.sh`). A `this` that is not a
/// `Signer` made by this class has no such function and is refused by [`signer_not_this`]. A
/// function, not a `class`, so that a call without `new` reaches [`signer_bind`], which
/// refuses it with this module's `ArgumentTypeError`. Its TypeScript declaration is in
/// `dts-header.d.ts`.
const SIGNER_CLASS: &str = r#"((bind, notThis) => {
  'use strict'
  const SIGN = Symbol('sign')
  const CLOSE = Symbol('close')
  const defineProperty = Object.defineProperty
  function Signer (secret) {
    const pair = bind(new.target, secret)
    defineProperty(this, SIGN, { value: pair[0] })
    defineProperty(this, CLOSE, { value: pair[1] })
  }
  function sign (method, url, partnerClientId, timestampMs, body, storeClientId, storeToken, bareHex) {
    return (this?.[SIGN] ?? notThis)(method, url, partnerClientId, timestampMs, body,
      storeClientId, storeToken, bareHex)
  }
  function close () {
    (this?.[CLOSE] ?? notThis)()
  }
  defineProperty(Signer.prototype, 'sign', { value: sign, writable: true, configurable: true })
  defineProperty(Signer.prototype, 'close', { value: close, writable: true, configurable: true })
  return Signer
})"#;

/// Defines the `Signer` class for this environment: runs [`SIGNER_CLASS`] and calls it with
/// [`signer_bind`] and [`signer_not_this`].
fn define_signer(env: sys::napi_env) -> Result<sys::napi_value> {
    let wrapped = Env::from_raw(env);
    let factory: Unknown<'_> = wrapped.run_script(SIGNER_CLASS)?;
    let function = |name: &'static std::ffi::CStr, cb: sys::napi_callback| {
        let mut out = ptr::null_mut();
        // SAFETY: `name` is NUL-terminated; napi copies it.
        check(unsafe {
            sys::napi_create_function(env, name.as_ptr(), -1, cb, ptr::null_mut(), &mut out)
        })
        .map(|()| out)
    };
    let args = [
        function(c"bind", Some(signer_bind))?,
        function(c"sign", Some(signer_not_this))?,
    ];
    let (mut undefined, mut class) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: `factory` is the function the script returned; `args` are live values.
    check(unsafe { sys::napi_get_undefined(env, &mut undefined) })?;
    // SAFETY: as above.
    check(unsafe {
        sys::napi_call_function(
            env,
            undefined,
            factory.raw(),
            args.len(),
            args.as_ptr(),
            &mut class,
        )
    })?;
    Ok(class)
}

/// Releases one count of a signer's state when one of its functions is collected; the last
/// one drops the key state, which wipes it.
unsafe extern "C" fn signer_release(
    _env: sys::napi_env,
    state: *mut std::ffi::c_void,
    _hint: *mut std::ffi::c_void,
) {
    // A panic in a destructor must not unwind into Node; the state is gone either way.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `state` is one count from `Rc::into_raw` in `signer_bind`, released only
        // here, once per function.
        drop(unsafe { Rc::from_raw(state.cast::<SignerState>().cast_const()) });
    }));
}

/// `bind(newTarget, secret)`, called by the `Signer` constructor: `[sign, close]`, the native
/// functions of one new signer. Refuses a call without `new`.
unsafe extern "C" fn signer_bind(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    guarded(env, || {
        let ([new_target, secret], _) = call_info::<2>(env, info)?;
        if is_absent(env, new_target) {
            return Err(Error::WrongType("Signer", "called with new").into());
        }
        let state: Rc<SignerState> = Rc::new(RefCell::new(Some(signer_for(env, secret)?)));
        let mut pair = ptr::null_mut();
        // SAFETY: `pair` is a local out-pointer.
        check(unsafe { sys::napi_create_array_with_length(env, 2, &mut pair) })?;
        let functions: [(&std::ffi::CStr, sys::napi_callback); 2] =
            [(c"sign", Some(signer_sign)), (c"close", Some(signer_close))];
        for (i, (name, cb)) in (0..).zip(functions) {
            let data = Rc::into_raw(Rc::clone(&state)).cast_mut().cast();
            let mut function = ptr::null_mut();
            // SAFETY: `name` is NUL-terminated; `data` stays valid while the function lives:
            // its finalizer, added next, releases it.
            let made = unsafe {
                sys::napi_create_function(env, name.as_ptr(), -1, cb, data, &mut function)
                    == sys::Status::napi_ok
                    && sys::napi_add_finalizer(
                        env,
                        function,
                        data,
                        Some(signer_release),
                        ptr::null_mut(),
                        ptr::null_mut(),
                    ) == sys::Status::napi_ok
            };
            if !made {
                // SAFETY: no finalizer owns this count (a function made without one is never
                // handed out, so its callback never runs).
                unsafe { signer_release(env, data, ptr::null_mut()) };
                return Err(napi::Error::new(Status::GenericFailure, "napi could not bind").into());
            }
            // SAFETY: `pair` is the array just made; `function` a live value.
            check(unsafe { sys::napi_set_element(env, pair, i, function) })?;
        }
        Ok(pair)
    })
}

/// The call's first `N` arguments (missing ones are `undefined`) and its napi `data`.
fn call_info<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Read<([sys::napi_value; N], *mut std::ffi::c_void)> {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    let mut data = ptr::null_mut();
    // SAFETY: `argv` has room for `argc` values; napi fills missing ones with `undefined`.
    check(unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            &mut data,
        )
    })?;
    Ok((argv, data))
}

/// The state a signer's native function was bound to.
///
/// # Safety
/// `data` is the napi `data` of a function made by [`signer_bind`], during a call of it.
unsafe fn bound_state<'a>(data: *mut std::ffi::c_void) -> &'a SignerState {
    // SAFETY: the function being called is alive, so its finalizer has not released its count.
    unsafe { &*data.cast::<SignerState>() }
}

/// A signer's `sign(method, url, partnerClientId, timestampMs, body?, storeClientId?,
/// storeToken?, bareHex?)`, called by `Signer.prototype.sign`.
unsafe extern "C" fn signer_sign(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    guarded(env, || {
        let (args, data) = call_info::<8>(env, info)?;
        let [
            method,
            url,
            partner_client_id,
            timestamp_ms,
            body,
            store_id,
            token,
            hex,
        ] = args;
        // SAFETY: this callback is only ever made by `signer_bind`.
        let state = unsafe { bound_state(data) };
        let raw = RawRequest {
            method,
            url,
            partner_client_id,
            timestamp_ms,
            body,
            store_client_id: store_id,
            store_token: token,
        };
        let format = if boolean(env, hex, "bareHex")? {
            SignatureFormat::BareHex
        } else {
            SignatureFormat::Prefixed
        };
        let signature = sign_with(env, state.borrow().as_ref(), &raw, format)?;
        // SAFETY: `env` is this call's environment.
        Ok(unsafe { Ascii::to_napi_value(env, signature) }?)
    })
}

/// A signer's `close()`: wipes the key state.
unsafe extern "C" fn signer_close(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    guarded(env, || {
        let ([], data) = call_info::<0>(env, info)?;
        // SAFETY: this callback is only ever made by `signer_bind`.
        *unsafe { bound_state(data) }.borrow_mut() = None;
        let mut undefined = ptr::null_mut();
        // SAFETY: `env` is this call's environment.
        check(unsafe { sys::napi_get_undefined(env, &mut undefined) })?;
        Ok(undefined)
    })
}

/// `Signer.prototype.sign` or `close` called with a `this` that is not a `Signer`.
unsafe extern "C" fn signer_not_this(
    env: sys::napi_env,
    _info: sys::napi_callback_info,
) -> sys::napi_value {
    guarded(env, || Err(Error::WrongType("this", "a Signer").into()))
}

/// Runs a callback of the `Signer` class: a refusal is thrown as this module's error class,
/// a napi failure as a plain `Error`, and a panic never crosses into Node.
fn guarded(env: sys::napi_env, f: impl FnOnce() -> Read<sys::napi_value>) -> sys::napi_value {
    let (code, message) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => return value,
        Ok(Err(Fail::Refused(error))) => match error_value(env, &error) {
            Some(value) => {
                // SAFETY: `value` is a live error object of this environment.
                unsafe { sys::napi_throw(env, value) };
                return ptr::null_mut();
            }
            None => (c"OMNI_INVALID_INPUT", error.to_string()),
        },
        Ok(Err(Fail::Napi(error))) => (c"OMNI_NAPI", error.reason.clone()),
        Err(_) => (c"OMNI_PANIC", "internal error (panic) in omni".to_owned()),
    };
    let message = CString::new(message).unwrap_or_default();
    // SAFETY: both are NUL-terminated strings alive for the call.
    unsafe { sys::napi_throw_error(env, code.as_ptr(), message.as_ptr()) };
    ptr::null_mut()
}

/// `x-signature` (`sha256=<64 hex>`) of one request, hashing the key for this call only
/// (prefer a `Signer` for many signatures).
#[napi(
    ts_args_type = "secret: string | Uint8Array, method: string, url: string, partnerClientId: string, timestampMs: number | bigint, body?: string | Uint8Array | null, storeClientId?: string | null, storeToken?: string | null",
    ts_return_type = "string"
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
) -> Result<Ascii> {
    let raw = RawRequest {
        method: method.raw(),
        url: url.raw(),
        partner_client_id: partner_client_id.raw(),
        timestamp_ms: timestamp_ms.raw(),
        body: body.raw(),
        store_client_id: store_client_id.raw(),
        store_token: store_token.raw(),
    };
    let e = env.raw();
    let signed = signer_for(e, secret.raw())
        .and_then(|key| sign_with(e, Some(&key), &raw, SignatureFormat::Prefixed));
    raise(&env, signed)
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
        method: method.raw(),
        url: url.raw(),
        partner_client_id: partner_client_id.raw(),
        timestamp_ms: timestamp_ms.raw(),
        body: body.raw(),
        store_client_id: store_client_id.raw(),
        store_token: store_token.raw(),
    };
    let text = with_arena::<ARENA, _>(|arena| {
        let args = RequestArgs::read(env.raw(), &raw, arena)?;
        Ok(args.request().base_string()?)
    });
    raise(&env, text)
}

/// Lowercase hex SHA-256 of the body (a string is hashed as UTF-8).
#[napi(ts_args_type = "body: string | Uint8Array")]
pub fn body_hash(env: Env, body: Unknown<'_>) -> Result<String> {
    let hash = with_arena::<ARENA, _>(|arena| {
        bytes(env.raw(), body.raw(), "body", arena).map(|b| omni_bindings::body_hash(&b))
    });
    raise(&env, hash)
}

/// Options of `verify` and `diagnose`.
struct VerifyOptions {
    now_ms: Option<i64>,
    tolerance_ms: Option<i64>,
    strict: bool,
}

impl VerifyOptions {
    /// The check they ask for: the system clock and the default tolerance unless given.
    fn check(&self) -> Check {
        Check {
            now_ms: self.now_ms.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            }),
            tolerance_ms: self
                .tolerance_ms
                .unwrap_or(omni_sign::DEFAULT_TOLERANCE_MS as i64),
            strict: self.strict,
        }
    }
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
        let verified = omni_bindings::verify(&secret, &received, options.check());
        wipe(secret);
        if let Some(token) = store_token {
            wipe(token);
        }
        Ok(verified?)
    };
    let result = with_arena::<ARENA, _>(run);
    raise(&env, result)
}

/// omni-diagnose's verdict, handed to JavaScript as the object `JSON.parse` makes of its JSON.
pub struct Verdict(String);

impl ToNapiValue for Verdict {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        let (mut global, mut json, mut parse, mut text, mut out) = (
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        );
        let len = isize::try_from(value.0.len())
            .map_err(|_| napi::Error::new(Status::InvalidArg, "verdict too long"))?;
        // SAFETY: `env` is the current environment; every out-pointer is a local; the text is
        // `len` readable bytes of UTF-8.
        unsafe {
            check(sys::napi_get_global(env, &mut global))?;
            check(sys::napi_get_named_property(
                env,
                global,
                c"JSON".as_ptr(),
                &mut json,
            ))?;
            check(sys::napi_get_named_property(
                env,
                json,
                c"parse".as_ptr(),
                &mut parse,
            ))?;
            check(sys::napi_create_string_utf8(
                env,
                value.0.as_ptr().cast(),
                len,
                &mut text,
            ))?;
            check(sys::napi_call_function(
                env, json, parse, 1, &text, &mut out,
            ))?;
        }
        Ok(out)
    }
}

/// Received headers: an array of `[name, value]` pairs, or an object's own enumerable
/// properties. Reading them may run JavaScript (getters), so nothing borrowed from a
/// JavaScript value is held meanwhile.
fn header_pairs<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    arena: &mut Arena<'a>,
) -> Read<Vec<(Cow<'a, str>, Cow<'a, str>)>> {
    const NAME: &str = "headers";
    let wrong = || Error::WrongType(NAME, "an array of [name, value] pairs or an object");
    let element = |array, i| -> Read<sys::napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: `array` is a live array or object of this environment.
        check(unsafe { sys::napi_get_element(env, array, i, &mut out) })?;
        Ok(out)
    };
    let length = |array| -> Option<u32> {
        let (mut is_array, mut len) = (false, 0);
        // SAFETY: `array` is a live value; napi checks what it is.
        let ok = unsafe {
            sys::napi_is_array(env, array, &mut is_array) == sys::Status::napi_ok
                && is_array
                && sys::napi_get_array_length(env, array, &mut len) == sys::Status::napi_ok
        };
        ok.then_some(len)
    };
    if is_absent(env, value) {
        return Err(Error::NullArgument(NAME).into());
    }
    let mut pairs = Vec::new();
    if let Some(len) = length(value) {
        for i in 0..len {
            let pair = element(value, i)?;
            if length(pair) != Some(2) {
                return Err(wrong().into());
            }
            let name = string(env, element(pair, 0)?, NAME, arena)?;
            pairs.push((name, string(env, element(pair, 1)?, NAME, arena)?));
        }
        return Ok(pairs);
    }
    if type_of(env, value) != sys::ValueType::napi_object {
        return Err(wrong().into());
    }
    let mut names = ptr::null_mut();
    // SAFETY: `value` is a live object.
    check(unsafe { sys::napi_get_property_names(env, value, &mut names) })?;
    for i in 0..length(names).unwrap_or(0) {
        let key = element(names, i)?;
        let mut item = ptr::null_mut();
        // SAFETY: `value` is a live object and `key` one of its property names.
        check(unsafe { sys::napi_get_property(env, value, key, &mut item) })?;
        let name = string(env, key, NAME, arena)?;
        pairs.push((name, string(env, item, NAME, arena)?));
    }
    Ok(pairs)
}

/// Why a server rejects (or accepts) a received request: omni-diagnose's verdict (version 1:
/// `accepted`, `check`, `combinations` of signer pitfalls, ...; base strings hold the store
/// token as `REDACTED`). `headers` are every header as received, `x-signature` among them.
/// A refused request is a verdict, not an exception; an unusable key or clock throws.
#[napi(
    ts_args_type = "secret: string | Uint8Array, method: string, url: string, headers: Array<[string, string]> | Record<string, string>, body?: string | Uint8Array | null, options?: { nowMs?: number | bigint, toleranceMs?: number | bigint, strict?: boolean } | null",
    ts_return_type = "Verdict"
)]
pub fn diagnose(
    env: Env,
    secret: Unknown<'_>,
    method: Unknown<'_>,
    url: Unknown<'_>,
    headers: Unknown<'_>,
    body: Unknown<'_>,
    options: Unknown<'_>,
) -> Result<Verdict> {
    let e = env.raw();
    let run = |arena: &mut Arena<'_>| -> Read<Verdict> {
        // Options and headers first: reading them may run JavaScript.
        let options = verify_options(e, options.raw())?;
        let pairs = header_pairs(e, headers.raw(), arena)?;
        let method = string(e, method.raw(), "method", arena)?;
        let url = string(e, url.raw(), "url", arena)?;
        let secret = bytes(e, secret.raw(), "secret", arena)?;
        let body = optional_bytes(e, body.raw(), "body", arena)?;
        let received: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (&**n, &**v)).collect();
        let verdict =
            omni_bindings::diagnose(&secret, &method, &url, &received, &body, options.check());
        wipe(secret);
        for (_, value) in pairs {
            wipe(value);
        }
        Ok(Verdict(verdict?))
    };
    let verdict = with_arena::<ARENA, _>(run);
    raise(&env, verdict)
}

/// Rewrites JSON text exactly as `JSON.stringify(JSON.parse(text))` would, refusing a value
/// such a parse would change (an integer beyond 2^53): the same bytes from any language.
#[napi(ts_args_type = "text: string | Uint8Array")]
pub fn json_stringify(env: Env, text: Unknown<'_>) -> Result<String> {
    let json = with_arena::<ARENA, _>(|arena| {
        bytes(env.raw(), text.raw(), "text", arena)
            .and_then(|t| Ok(omni_bindings::json_stringify(&t)?))
    });
    raise(&env, json)
}
