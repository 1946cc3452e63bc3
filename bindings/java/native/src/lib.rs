//! libomni_jni: the JNI entry points of the Java binding (`omni.Omni`, `omni.Signer`), signing
//! through omni-sign. A cdylib of its own, so libomni's C ABI and exported-symbol list stay as
//! they are.
//!
//! ```java
//! try (Signer signer = new Signer("partner-secret".getBytes(UTF_8))) {
//!   String sig = signer.sign(new Request("POST", "https://h/api/v1/partner/x", "ptnr_1",
//!       null, null, 1709024577000L, "{}".getBytes(UTF_8)));
//! }
//! ```
//!
//! Rules shared by every entry point:
//! - it runs its work through [`entry`], which catches panics; a failure or a panic is thrown
//!   through `EnvUnowned::with_env` and [`failure::ThrowOmni`]: every refusal is an
//!   `omni.OmniException` with the status name
//!   (`OMNI_` + `omni_sign::Error::kind()` in upper case; `OMNI_INVALID_TIMESTAMP` for a
//!   negative timestamp, as the test vectors name it; `OMNI_NULL_ARGUMENT`,
//!   `OMNI_INVALID_UTF8`, `OMNI_INVALID_INPUT`, `OMNI_INVALID_JSON`, `OMNI_PANIC` as in
//!   libomni) and a message; nothing unwinds into the JVM;
//! - strings are read as UTF-16 and converted here (see [`args`]); the store pair follows
//!   libomni's rule ([`store_pair`]); a `null` body is the empty body;
//! - `Signer.sign` passes a request that fits through a scratch, a direct buffer whose address
//!   this library knows (see [`scratch`]), and gets the signature back there: its one native
//!   call makes no JNI call back (one, the body's copy, for a body too large for the scratch);
//! - a signer is a `Box<Handle>` whose address the Java object keeps: `wipe` (Java's `close()`)
//!   drops the key state under a write lock, after any signing in flight, and later calls see
//!   it gone; `free` (run by the Java object's Cleaner once it is unreachable) releases the box.
// JNI entry points receive raw references and handles from the JVM.
#![allow(unsafe_code)]

mod args;
mod failure;
mod scratch;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::null_mut;
use std::sync::{PoisonError, RwLock};

use jni::EnvUnowned;
use jni::objects::JClass;
use jni::sys::{jboolean, jbyteArray, jint, jintArray, jlong, jobject, jstring};
use omni_diagnose::{DiagnoseOptions, Received, diagnose};
use omni_json::{Mode, restringify};
use omni_sign::{
    CanonicalRequest, ReceivedBody, ReceivedRequest, Signature, SignatureFormat, SignedHeaders,
    Signer, Timestamp, Verifier,
};

use args::{Body, Raw, Room, Texts};
use failure::{Failure, ThrowOmni};
use scratch::Scratch;

/// What a Java `omni.Signer` points to.
struct Handle {
    /// The key state; `None` once closed.
    signer: RwLock<Option<Signer>>,
}

impl Handle {
    /// Signs a request read by `Signer.signWith` or `Signer.signScratch`; the read lock is held
    /// only while the key state is used, so `wipe` waits for this signature and no longer.
    fn sign(
        &self,
        texts: &Texts<'_, REQUEST_STRINGS>,
        ts: jlong,
        body: &Body<'_>,
    ) -> Result<Signature, Failure> {
        let headers = headers(texts, ts)?;
        let guard = self.signer.read().unwrap_or_else(PoisonError::into_inner);
        let signer = guard.as_ref().ok_or_else(|| Failure::Closed)?;
        sign_with(signer, texts, headers, body)
    }
}

/// The request arguments of `sign`, `baseString` and `Signer.sign`, in the Java order.
const REQUEST_STRINGS: usize = 5;
const METHOD: usize = 0;
const URL: usize = 1;
const PARTNER: usize = 2;
const STORE_ID: usize = 3;
const STORE_TOKEN: usize = 4;

fn timestamp(ms: jlong) -> Result<Timestamp, Failure> {
    u64::try_from(ms)
        .map(Timestamp::from_millis)
        .map_err(|_| Failure::refused("OMNI_INVALID_TIMESTAMP", "timestampMs is negative"))
}

fn non_negative(value: jlong, message: &'static str) -> Result<u64, Failure> {
    u64::try_from(value).map_err(|_| Failure::refused("OMNI_INVALID_INPUT", message))
}

/// The store id and token, as libomni reads them (the same rule in every binding): the pair is
/// absent when each is null or `""`; otherwise each is taken as given, null being a missing
/// header (`OMNI_STORE_TOKEN_MISSING` / `OMNI_STORE_CLIENT_ID_MISSING`) and `""` an empty value
/// (`OMNI_INVALID_HEADER_VALUE`).
fn store_pair<'t, const N: usize>(texts: &'t Texts<'_, N>) -> (Option<&'t str>, Option<&'t str>) {
    match (texts.get(STORE_ID), texts.get(STORE_TOKEN)) {
        (None | Some(""), None | Some("")) => (None, None),
        given => given,
    }
}

/// The signed headers from the request strings.
fn headers<'t>(
    texts: &'t Texts<'_, REQUEST_STRINGS>,
    ts: jlong,
) -> Result<SignedHeaders<'t>, Failure> {
    let partner = texts.required(PARTNER, "partnerClientId is null")?;
    let (store_id, store_token) = store_pair(texts);
    Ok(SignedHeaders::from_parts(
        partner,
        store_id,
        store_token,
        timestamp(ts)?,
    )?)
}

/// Reads a request's strings (method, url, partner id, store id, store token; the store token
/// is the secret one) and body.
fn request_args<'r>(
    room: &'r mut Room,
    raw: Raw,
    strings: jstring,
    lens: [jint; REQUEST_STRINGS],
    body: jbyteArray,
    body_len: jint,
) -> Result<(Texts<'r, REQUEST_STRINGS>, Body<'r>), Failure> {
    room.texts_and_body(raw, strings, lens, Some(STORE_TOKEN), body, body_len)
}

/// Signs with `signer`: small bodies in one pass (`Signer::sign_request`), large ones from
/// their chunked hash (`Signer::sign` of the canonical request).
fn sign_with(
    signer: &Signer,
    texts: &Texts<'_, REQUEST_STRINGS>,
    headers: SignedHeaders<'_>,
    body: &Body<'_>,
) -> Result<Signature, Failure> {
    let method = texts.required(METHOD, "method is null")?;
    let url = texts.required(URL, "url is null")?;
    Ok(match body {
        Body::Bytes(bytes) => signer.sign_request(method, url, &headers, bytes)?,
        Body::Hashed(hash) => signer.sign(&CanonicalRequest::new(method, url, headers, *hash)?),
    })
}

/// The signature text written into the caller's `out` array (71 bytes, `sha256=` and 64 hex
/// digits, allocated by the Java side: cheaper than a string allocated by the JVM through
/// `NewStringUTF`, which also scans the text); its length.
fn write_signature(
    raw: Raw,
    signature: &Signature,
    bare_hex: jboolean,
    out: jbyteArray,
) -> Result<jint, Failure> {
    let encoded = signature.encode(signature_format(bare_hex));
    let text = encoded.as_str();
    raw.write_bytes(out, text.as_bytes())?;
    Ok(text.len() as jint)
}

/// `sha256=<hex>`, or bare hex when asked.
fn signature_format(bare_hex: jboolean) -> SignatureFormat {
    if bare_hex {
        SignatureFormat::BareHex
    } else {
        SignatureFormat::Prefixed
    }
}

/// Runs an entry point's `work` with the calling thread's JNI table, catching panics; a
/// failure or a panic becomes a Java exception (thrown through the `jni` crate's `Env`, see
/// [`ThrowOmni`]) and the method returns `default`. The successful path makes no `jni` crate
/// call: `EnvUnowned::with_env`'s attach-guard bookkeeping measured as several percent of a
/// signature, so it is entered only to throw.
fn entry<T>(
    mut env: EnvUnowned<'_>,
    default: T,
    work: impl FnOnce(Raw) -> Result<T, Failure>,
) -> T {
    let raw = Raw::of(&env);
    let failure = match catch_unwind(AssertUnwindSafe(|| work(raw))) {
        Ok(Ok(value)) => return value,
        Ok(Err(failure)) => failure,
        Err(_) => Failure::Panic,
    };
    env.with_env(|_env| -> Result<(), Failure> { Err(failure) })
        .resolve::<ThrowOmni>();
    default
}

/// `Omni.libraryVersion()`: this library's version.
#[unsafe(no_mangle)]
pub extern "system" fn Java_omni_Omni_libraryVersion<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> jstring {
    entry(env, null_mut(), |raw| {
        raw.ascii_string::<32>(env!("CARGO_PKG_VERSION"))
    })
}

/// `Omni.signOnce(secret, strings, 5 lengths, ts, body, bodyLen, out)`: writes the
/// `sha256=<hex>` signature with a one-off key into `out` and returns its length. `strings`
/// joins method, url, partner id, store id and store token; each length is -1 for null.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_omni_Omni_signOnce<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    secret: jbyteArray,
    strings: jstring,
    method_len: jint,
    url_len: jint,
    partner_len: jint,
    store_id_len: jint,
    store_token_len: jint,
    ts: jlong,
    body: jbyteArray,
    body_len: jint,
    out: jbyteArray,
) -> jint {
    entry(env, -1, |raw| {
        let secret = args::secret_bytes(raw, secret, "secret is null")?;
        let mut room = Room::new();
        let lens = [
            method_len,
            url_len,
            partner_len,
            store_id_len,
            store_token_len,
        ];
        let (texts, body) = request_args(&mut room, raw, strings, lens, body, body_len)?;
        let headers = headers(&texts, ts)?;
        let signer = Signer::new(&secret)?;
        let signature = sign_with(&signer, &texts, headers, &body)?;
        write_signature(raw, &signature, false, out)
    })
}

/// `Omni.baseStringOf(strings, 5 lengths, ts, body, bodyLen)`: the base string's UTF-8 bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_omni_Omni_baseStringOf<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    strings: jstring,
    method_len: jint,
    url_len: jint,
    partner_len: jint,
    store_id_len: jint,
    store_token_len: jint,
    ts: jlong,
    body: jbyteArray,
    body_len: jint,
) -> jbyteArray {
    entry(env, null_mut(), |raw| {
        let mut room = Room::new();
        let lens = [
            method_len,
            url_len,
            partner_len,
            store_id_len,
            store_token_len,
        ];
        let (texts, body) = request_args(&mut room, raw, strings, lens, body, body_len)?;
        let request = CanonicalRequest::new(
            texts.required(METHOD, "method is null")?,
            texts.required(URL, "url is null")?,
            headers(&texts, ts)?,
            body.hash(),
        )?;
        // It holds the store token: the copy made here is wiped once in the Java array.
        let text = zeroize::Zeroizing::new(request.base_string().to_string());
        raw.byte_array(text.as_bytes())
    })
}

/// `Omni.bodyHashOf(body)`: lowercase hex SHA-256 of the body (`null` is empty).
#[unsafe(no_mangle)]
pub extern "system" fn Java_omni_Omni_bodyHashOf<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    body: jbyteArray,
) -> jstring {
    entry(env, null_mut(), |raw| {
        let hex = Room::new().body(raw, body).hash().to_hex();
        // Always 64 ASCII hex digits.
        raw.ascii_string::<65>(std::str::from_utf8(&hex).unwrap_or_default())
    })
}

/// `Omni.verifyRequest(secret, strings, 7 lengths, body, bodyLen, nowMs, toleranceMs, strict)`
/// (`strings` joins method, url, partner id, store id, store token, x-timestamp, x-signature):
/// returns normally when accepted, throws the status of the check that failed otherwise.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_omni_Omni_verifyRequest<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    secret: jbyteArray,
    strings: jstring,
    method_len: jint,
    url_len: jint,
    partner_len: jint,
    store_id_len: jint,
    store_token_len: jint,
    timestamp_len: jint,
    signature_len: jint,
    body: jbyteArray,
    body_len: jint,
    now_ms: jlong,
    tolerance_ms: jlong,
    strict: jboolean,
) {
    entry(env, (), |raw| {
        let secret = args::secret_bytes(raw, secret, "secret is null")?;
        let now = non_negative(now_ms, "nowMs is negative")?;
        let tolerance = non_negative(tolerance_ms, "toleranceMs is negative")?;
        let verifier = Verifier::builder()
            .key("default", &secret)
            .tolerance_ms(tolerance)
            .strict(strict)
            .build()?;
        let mut room = Room::new();
        let (texts, body) = room.texts_and_body(
            raw,
            strings,
            [
                method_len,
                url_len,
                partner_len,
                store_id_len,
                store_token_len,
                timestamp_len,
                signature_len,
            ],
            Some(STORE_TOKEN),
            body,
            body_len,
        )?;
        verify_with(&verifier, &texts, &body, now)
    })
}

/// Verifies the request read from `texts` (method, url, partner, store id, store token,
/// x-timestamp, x-signature) and `body`.
fn verify_with(
    verifier: &Verifier,
    texts: &Texts<'_, 7>,
    body: &Body<'_>,
    now: u64,
) -> Result<(), Failure> {
    let mut headers = vec![
        (
            omni_sign::header::PARTNER_CLIENT_ID,
            texts.required(2, "partnerClientId is null")?,
        ),
        (
            omni_sign::header::TIMESTAMP,
            texts.required(5, "timestamp is null")?,
        ),
        (
            omni_sign::header::SIGNATURE,
            texts.required(6, "signature is null")?,
        ),
    ];
    let (store_id, store_token) = store_pair(texts);
    if let Some(id) = store_id {
        headers.push((omni_sign::header::STORE_CLIENT_ID, id));
    }
    if let Some(token) = store_token {
        headers.push((omni_sign::header::STORE_TOKEN, token));
    }
    let received = ReceivedRequest {
        method: texts.required(0, "method is null")?,
        url: texts.required(1, "url is null")?,
        headers: &headers,
        body: match body {
            Body::Bytes(bytes) => ReceivedBody::Bytes(bytes),
            Body::Hashed(hash) => ReceivedBody::Hash(*hash),
        },
    };
    verifier.verify(&received, now)?;
    Ok(())
}

/// `Omni.restringify(json, jsonLength)`: the UTF-8 bytes of `JSON.stringify(JSON.parse(json))`
/// (`json-stringify-form`, strict). Every JSON error is `OMNI_INVALID_JSON`, as in libomni.
#[unsafe(no_mangle)]
pub extern "system" fn Java_omni_Omni_restringify<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    json: jstring,
    json_len: jint,
) -> jbyteArray {
    entry(env, null_mut(), |raw| {
        let mut room = Room::new();
        let texts = room.texts(raw, json, [json_len], None)?;
        let text = texts.required(0, "json is null")?;
        let stringified = restringify(text, Mode::Strict).map_err(|e| Failure::Refused {
            status: "OMNI_INVALID_JSON".into(),
            message: e.to_string().into(),
        })?;
        raw.byte_array(stringified.json.as_bytes())
    })
}

/// `Omni.diagnoseRequest(secret, strings, lengths, body, nowMs, toleranceMs, strict)`: the
/// verdict of omni-diagnose as its versioned JSON (UTF-8 bytes). `strings` joins the method,
/// the URL and each header's name and value, in the order received; `lengths` gives each
/// one's length (-1 for null). A rejected or malformed request is a verdict, not a failure;
/// an empty secret is `OMNI_EMPTY_SECRET`, a negative clock or tolerance `OMNI_INVALID_INPUT`,
/// as in libomni's `omni_diagnose`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_omni_Omni_diagnoseRequest<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    secret: jbyteArray,
    strings: jstring,
    lengths: jintArray,
    body: jbyteArray,
    now_ms: jlong,
    tolerance_ms: jlong,
    strict: jboolean,
) -> jbyteArray {
    entry(env, null_mut(), |raw| {
        let secret = args::secret_bytes(raw, secret, "secret is null")?;
        let parts = args::string_list(raw, strings, lengths)?;
        let method = part(&parts, 0, "method is null")?;
        let url = part(&parts, 1, "url is null")?;
        let mut headers = Vec::with_capacity(parts.len().saturating_sub(2) / 2);
        for i in (2..parts.len()).step_by(2) {
            headers.push((
                part(&parts, i, "a header name is null")?,
                part(&parts, i + 1, "a header value is null")?,
            ));
        }
        let body = args::all_bytes(raw, body);
        let mut options = DiagnoseOptions::new(&secret, non_negative(now_ms, "nowMs is negative")?);
        options.tolerance_ms = non_negative(tolerance_ms, "toleranceMs is negative")?;
        options.strict = strict;
        let received = Received {
            method,
            url,
            headers: &headers,
            body: &body,
        };
        let verdict = diagnose(&received, &options).map_err(|e| match e {
            omni_diagnose::Error::InvalidSecret(e) => Failure::from(e),
            other => Failure::Refused {
                status: "OMNI_INVALID_INPUT".into(),
                message: other.to_string().into(),
            },
        })?;
        raw.byte_array(verdict.to_json().as_bytes())
    })
}

/// The `i`th of `parts` as text; null (or missing) is `OMNI_NULL_ARGUMENT` naming `what`.
fn part<'p>(
    parts: &'p [Option<zeroize::Zeroizing<String>>],
    i: usize,
    what: &'static str,
) -> Result<&'p str, Failure> {
    match parts.get(i) {
        Some(Some(text)) => Ok(text.as_str()),
        _ => Err(Failure::null(what)),
    }
}

/// `Signer.newHandle(secret)`: a new signer handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_omni_Signer_newHandle<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    secret: jbyteArray,
) -> jlong {
    entry(env, 0, |raw| {
        let secret = args::secret_bytes(raw, secret, "secret is null")?;
        let signer = Signer::new(&secret)?;
        let handle = Box::new(Handle {
            signer: RwLock::new(Some(signer)),
        });
        Ok(Box::into_raw(handle) as jlong)
    })
}

/// The signer behind a handle.
///
/// # Safety
/// `handle` comes from `Java_omni_Signer_newHandle` and has not been freed: the Java object that
/// owns it is reachable (its methods hold it with `Reference.reachabilityFence`) and `free`
/// runs only from its Cleaner.
unsafe fn handle<'h>(handle: jlong) -> Result<&'h Handle, Failure> {
    // SAFETY: by this function's contract, a live Box<Handle>'s address or 0.
    unsafe { (handle as *const Handle).as_ref() }.ok_or_else(|| Failure::Closed)
}

/// `Signer.signWith(handle, strings, 5 lengths, ts, body, bodyLen, bareHex, out)`: writes the
/// signature into `out` and returns its length; arguments as in `signOnce`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_omni_Signer_signWith<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle_address: jlong,
    strings: jstring,
    method_len: jint,
    url_len: jint,
    partner_len: jint,
    store_id_len: jint,
    store_token_len: jint,
    ts: jlong,
    body: jbyteArray,
    body_len: jint,
    bare_hex: jboolean,
    out: jbyteArray,
) -> jint {
    entry(env, -1, |raw| {
        // SAFETY: the Java Signer passes its own handle and keeps itself reachable.
        let handle = unsafe { handle(handle_address) }?;
        let mut room = Room::new();
        let lens = [
            method_len,
            url_len,
            partner_len,
            store_id_len,
            store_token_len,
        ];
        let (texts, body) = request_args(&mut room, raw, strings, lens, body, body_len)?;
        let signature = handle.sign(&texts, ts, &body)?;
        write_signature(raw, &signature, bare_hex, out)
    })
}

/// `Signer.signScratch(handle, scratch, 5 lengths, ts, body, bodyLen, bareHex)`: signs the
/// request loaded in the scratch at address `scratch` (see [`scratch`]: the strings' UTF-16
/// units, `lengths[i]` each, -1 for null; the body's `bodyLen` bytes when `body` is null,
/// otherwise the body is read from `body` as in `signWith`); writes the signature text at the
/// scratch's start and returns its length. The same refusals, in the same order, as
/// `signWith`; the store token's units are wiped from the scratch.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_omni_Signer_signScratch<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle_address: jlong,
    scratch: jlong,
    method_len: jint,
    url_len: jint,
    partner_len: jint,
    store_id_len: jint,
    store_token_len: jint,
    ts: jlong,
    body: jbyteArray,
    body_len: jint,
    bare_hex: jboolean,
) -> jint {
    entry(env, -1, |raw| {
        // SAFETY: the Java Signer passes the address of a scratch it holds and keeps reachable
        // for the call.
        let mut scratch = unsafe { Scratch::at(scratch) }?;
        let lens = [
            method_len,
            url_len,
            partner_len,
            store_id_len,
            store_token_len,
        ];
        // A null array with a length: the body is in the scratch.
        let carried = if body.is_null() {
            usize::try_from(body_len).unwrap_or(0)
        } else {
            0
        };
        let loaded = scratch.loaded(&lens, carried)?;
        let mut room = Room::new();
        let (texts, body) = if body.is_null() {
            let texts = room.texts_of_units(loaded.units, lens, Some(STORE_TOKEN))?;
            (texts, Body::Bytes(loaded.body))
        } else {
            room.units_and_body(loaded.units, lens, Some(STORE_TOKEN), raw, body, body_len)?
        };
        // SAFETY: as in signWith.
        let handle = unsafe { handle(handle_address) }?;
        let signature = handle.sign(&texts, ts, &body)?;
        let encoded = signature.encode(signature_format(bare_hex));
        let text = encoded.as_str().as_bytes();
        loaded.out[..text.len()].copy_from_slice(text);
        Ok(text.len() as jint)
    })
}

/// `Scratch.address(buffer, unitsAt, bodyAt)`: the address of a new scratch's direct buffer,
/// checked to be one as this library lays it out (`SCRATCH_SIZE` bytes, the units at
/// `UNITS_AT`, a body at `BODY_AT`).
#[unsafe(no_mangle)]
pub extern "system" fn Java_omni_Scratch_address<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    buffer: jobject,
    units_at: jint,
    body_at: jint,
) -> jlong {
    entry(env, 0, |raw| {
        scratch::address(raw, buffer, units_at, body_at)
    })
}

/// `Signer.wipe(handle)`: drops (and so zeroes) the key state once signing in flight is done;
/// later signing throws. Idempotent.
#[unsafe(no_mangle)]
pub extern "system" fn Java_omni_Signer_wipe<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle_address: jlong,
) {
    entry(env, (), |_raw| {
        // SAFETY: as in signWith.
        let handle = unsafe { handle(handle_address) }?;
        let signer = handle
            .signer
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(signer);
        Ok(())
    })
}

/// `Signer.free(handle)`: releases the handle (wiping the key state if still there). Called
/// once, by the Cleaner, when no Java code can reach the signer any more.
#[unsafe(no_mangle)]
pub extern "system" fn Java_omni_Signer_free<'local>(
    env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle_address: jlong,
) {
    entry(env, (), |_raw| {
        if handle_address != 0 {
            // SAFETY: from Box::into_raw in create; the Cleaner runs this once, when the
            // owning object is unreachable, so nothing else uses it.
            drop(unsafe { Box::from_raw(handle_address as *mut Handle) });
        }
        Ok(())
    })
}
