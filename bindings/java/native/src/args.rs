//! Reading Java arguments: strings as UTF-8 and byte arrays, with as few JNI calls as possible.
//!
//! A request's strings cross as one Java string (the Java side concatenates them and passes
//! each one's length, -1 for null), or as UTF-16 units in a scratch (`Signer.sign`, see
//! [`crate::scratch`]): one `GetStringRegion` copies the string's units, and either way they
//! are converted here, never through JNI's "modified UTF-8" (`GetStringUTFChars`), which writes NUL
//! as two bytes and a character outside the BMP as two 3-byte surrogates. A lone surrogate is
//! refused as `OMNI_INVALID_UTF8`, never replaced; an embedded NUL crosses intact, never
//! truncated, so omni-sign refuses it with the kind the test vectors name
//! (`OMNI_INVALID_HEADER_VALUE`, `OMNI_INVALID_URL`, `OMNI_INVALID_METHOD`). A small body is
//! copied with one `GetByteArrayRegion`; a large one is hashed in 64 KiB chunks, so no copy of
//! it is ever made whole. Buffers live on the stack, uninitialised until JNI or the converter
//! writes them (zero-filling them on every call measured as a cost), with the heap for long
//! strings. These calls go through the raw function table: the `jni` crate's wrappers add an
//! `ExceptionCheck` call before each one, and none of these calls raises an exception for the
//! arguments given (a non-null string or array and a range within its length, which the Java
//! side computes from the same objects it passes).

use std::mem::MaybeUninit;

use jni::sys::{jbyte, jbyteArray, jchar, jint, jintArray, jlong, jobject, jsize, jstring};
use omni_sign::{BodyHash, BodyHasher};
use zeroize::{Zeroize, Zeroizing};

use crate::failure::Failure;

/// Stack room for a call's UTF-16 units; more goes to the heap.
const STACK_UNITS: usize = 512;
/// Stack room for their UTF-8 (at most 3 bytes per unit).
const STACK_TEXT: usize = 3 * STACK_UNITS;
/// Bodies up to this size are copied and signed in one pass; larger ones are hashed chunk by
/// chunk.
const SMALL_BODY: usize = 4096;
/// The chunk size for hashing large bodies.
const BODY_CHUNK: usize = 64 * 1024;

/// The raw JNI function table of the calling thread.
#[derive(Clone, Copy)]
pub(crate) struct Raw(*mut jni::sys::JNIEnv);

impl Raw {
    /// The table of the thread a native method runs on.
    pub(crate) fn of(env: &jni::EnvUnowned<'_>) -> Self {
        Raw(env.as_raw())
    }

    /// `bytes` copied to the start of the Java array `out`, which the Java side allocates long
    /// enough (were it shorter, JNI would throw ArrayIndexOutOfBoundsException, not crash).
    pub(crate) fn write_bytes(self, out: jbyteArray, bytes: &[u8]) -> Result<(), Failure> {
        if out.is_null() {
            return Err(Failure::null("output array"));
        }
        // SAFETY: the calling thread's env, a live non-null array, `bytes` readable for its
        // length (at most 71 bytes, so it fits in jsize).
        unsafe {
            ((**self.0).v1_1.SetByteArrayRegion)(
                self.0,
                out,
                0,
                bytes.len() as jsize,
                bytes.as_ptr().cast(),
            )
        };
        Ok(())
    }

    /// A new Java string of ASCII `text` without NUL (our own texts: version, hex digits):
    /// `NewStringUTF` reads modified UTF-8, which for such text is the same bytes. A text of
    /// `N` bytes or more is an internal error.
    pub(crate) fn ascii_string<const N: usize>(self, text: &str) -> Result<jstring, Failure> {
        let mut cstr = [0u8; N];
        if !text.is_ascii() || text.len() >= N {
            return Err(Failure::refused("OMNI_PANIC", "not a short ASCII text"));
        }
        cstr[..text.len()].copy_from_slice(text.as_bytes());
        // SAFETY: the calling thread's env; `cstr` is NUL-terminated ASCII.
        let s = unsafe { ((**self.0).v1_1.NewStringUTF)(self.0, cstr.as_ptr().cast()) };
        if s.is_null() {
            // An OutOfMemoryError is pending: Java sees it.
            return Err(Failure::Jni(jni::errors::Error::JavaException));
        }
        Ok(s)
    }

    /// A new Java `byte[]` holding `bytes`.
    pub(crate) fn byte_array(self, bytes: &[u8]) -> Result<jbyteArray, Failure> {
        let len = jsize::try_from(bytes.len()).map_err(|_| {
            Failure::refused("OMNI_INVALID_INPUT", "output too long for a Java array")
        })?;
        // SAFETY: the calling thread's env; a non-negative length.
        let array = unsafe { ((**self.0).v1_1.NewByteArray)(self.0, len) };
        if array.is_null() {
            // An OutOfMemoryError is pending: Java sees it.
            return Err(Failure::Jni(jni::errors::Error::JavaException));
        }
        // SAFETY: a new array of exactly `len` bytes, `bytes` readable for `len` bytes.
        unsafe {
            ((**self.0).v1_1.SetByteArrayRegion)(self.0, array, 0, len, bytes.as_ptr().cast())
        };
        Ok(array)
    }

    /// The address and capacity of a non-null direct buffer (null and -1 for any other
    /// object).
    pub(crate) fn direct_buffer(self, buffer: jobject) -> (*mut u8, jlong) {
        // SAFETY: the calling thread's env and a live non-null local reference; neither call
        // throws.
        unsafe {
            (
                ((**self.0).v1_4.GetDirectBufferAddress)(self.0, buffer).cast(),
                ((**self.0).v1_4.GetDirectBufferCapacity)(self.0, buffer),
            )
        }
    }

    /// `GetStringRegion(s, 0, out.len())`; the string is at least that long. Returns `out`,
    /// now initialised.
    fn string_region(self, s: jstring, out: &mut [MaybeUninit<u16>]) -> &mut [u16] {
        // SAFETY: the env pointer is the calling thread's and `s` a live non-null local
        // reference; the range lies within the string (the Java side passes the lengths of the
        // parts it concatenated), so nothing is thrown and `out.len()` fits in jsize; `out` is
        // writable for `out.len()` units, all of which JNI writes.
        unsafe {
            ((**self.0).v1_2.GetStringRegion)(
                self.0,
                s,
                0,
                out.len() as jsize,
                out.as_mut_ptr().cast::<jchar>(),
            );
            std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u16>(), out.len())
        }
    }

    /// `GetArrayLength` of a non-null byte array.
    fn array_length(self, a: jbyteArray) -> usize {
        // SAFETY: the env pointer is the calling thread's, `a` a live non-null array reference.
        let len = unsafe { ((**self.0).v1_1.GetArrayLength)(self.0, a) };
        usize::try_from(len).unwrap_or(0)
    }

    /// `GetByteArrayRegion(a, start, out.len())`; the range lies within the array. Returns
    /// `out`, now initialised.
    fn byte_region(self, a: jbyteArray, start: usize, out: &mut [MaybeUninit<u8>]) -> &mut [u8] {
        // SAFETY: as above; the callers keep `start + out.len()` within the array's length
        // (arrays never change length), so both fit in jsize and nothing is thrown; `out` is
        // writable for `out.len()` bytes, all of which JNI writes.
        unsafe {
            ((**self.0).v1_1.GetByteArrayRegion)(
                self.0,
                a,
                start as jsize,
                out.len() as jsize,
                out.as_mut_ptr().cast::<jbyte>(),
            );
            std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), out.len())
        }
    }
}

/// Writes the UTF-8 of `units` into `out` (room for 3 bytes per unit), returning its length. A
/// lone surrogate is `OMNI_INVALID_UTF8`.
fn utf16_to_utf8(units: &[u16], out: &mut [MaybeUninit<u8>]) -> Result<usize, Failure> {
    let mut at = 0;
    for c in char::decode_utf16(units.iter().copied()) {
        let c = c.map_err(|_| {
            Failure::refused(
                "OMNI_INVALID_UTF8",
                "a string argument holds a lone surrogate (not valid UTF-16, so not UTF-8)",
            )
        })?;
        for &byte in c.encode_utf8(&mut [0; 4]).as_bytes() {
            out[at].write(byte);
            at += 1;
        }
    }
    Ok(at)
}

/// Writes each unit narrowed to a byte into `out`; whether all were ASCII (then `out` is their
/// UTF-8). One pass the compiler vectorises.
fn narrow_ascii(units: &[u16], out: &mut [MaybeUninit<u8>]) -> bool {
    let mut all = 0u16;
    for (o, &u) in out.iter_mut().zip(units) {
        o.write(u as u8);
        all |= u;
    }
    all < 0x80
}

/// Writes the UTF-8 of the strings joined in `units` (`lens[i]` units each, -1 for null) into
/// `out`; their total length and each one's span. Every byte written lies within the returned
/// length (each unit gives at least one byte).
fn convert<const N: usize>(
    units: &[u16],
    lens: &[jint; N],
    out: &mut [MaybeUninit<u8>],
) -> Result<(usize, [Span; N]), Failure> {
    let mut spans = [Span::NULL; N];
    let ascii = narrow_ascii(units, out);
    let (mut from, mut at) = (0, 0);
    for (span, &len) in spans.iter_mut().zip(lens) {
        let Ok(len) = usize::try_from(len) else {
            continue;
        };
        let n = if ascii {
            len
        } else {
            // Part by part: a surrogate pair never spans two strings.
            utf16_to_utf8(&units[from..from + len], &mut out[at..])?
        };
        // Within u32: Texts::read refuses more than u32::MAX bytes of text.
        *span = Span {
            start: at as u32,
            end: (at + n) as u32,
        };
        from += len;
        at += n;
    }
    Ok((at, spans))
}

/// Where a call's arguments are read to: on the caller's stack, uninitialised (a `const`
/// repeat: `[MaybeUninit::uninit(); N]` was compiled to a 6.5 KiB memset per call), with the
/// heap for long strings.
pub(crate) struct Room {
    units: [MaybeUninit<u16>; STACK_UNITS],
    text: [MaybeUninit<u8>; STACK_TEXT],
    body: [MaybeUninit<u8>; SMALL_BODY],
    heap_units: Vec<u16>,
    heap_text: Vec<u8>,
}

impl Room {
    pub(crate) fn new() -> Self {
        Room {
            units: [const { MaybeUninit::uninit() }; STACK_UNITS],
            text: [const { MaybeUninit::uninit() }; STACK_TEXT],
            body: [const { MaybeUninit::uninit() }; SMALL_BODY],
            heap_units: Vec::new(),
            heap_text: Vec::new(),
        }
    }

    /// Reads the `N` strings joined in `joined` (`lens[i]` units each, -1 for null); string
    /// `secret` (if any) is wiped from every buffer once read and when the texts are dropped.
    pub(crate) fn texts<const N: usize>(
        &mut self,
        raw: Raw,
        joined: jstring,
        lens: [jint; N],
        secret: Option<usize>,
    ) -> Result<Texts<'_, N>, Failure> {
        Texts::read(
            raw,
            joined,
            lens,
            secret,
            (&mut self.units, &mut self.heap_units),
            (&mut self.text, &mut self.heap_text),
        )
    }

    /// Converts the `N` strings joined in `units` as [`Room::texts`] reads them (`lens[i]`
    /// units each, -1 for null, together exactly `units.len()`); string `secret` (if any) is
    /// wiped from `units` whatever the outcome.
    pub(crate) fn texts_of_units<const N: usize>(
        &mut self,
        units: &mut [u16],
        lens: [jint; N],
        secret: Option<usize>,
    ) -> Result<Texts<'_, N>, Failure> {
        Texts::from_units(units, lens, secret, (&mut self.text, &mut self.heap_text))
    }

    /// Converts strings as [`Room::texts_of_units`] and reads a body as
    /// [`Room::texts_and_body`].
    pub(crate) fn units_and_body<const N: usize>(
        &mut self,
        units: &mut [u16],
        lens: [jint; N],
        secret: Option<usize>,
        raw: Raw,
        body: jbyteArray,
        body_len: jint,
    ) -> Result<(Texts<'_, N>, Body<'_>), Failure> {
        let texts = Texts::from_units(units, lens, secret, (&mut self.text, &mut self.heap_text))?;
        Ok((texts, Body::read(raw, body, body_len, &mut self.body)))
    }

    /// Reads the strings as [`Room::texts`] and a body of `body_len` bytes (`null` is the
    /// empty body).
    pub(crate) fn texts_and_body<const N: usize>(
        &mut self,
        raw: Raw,
        joined: jstring,
        lens: [jint; N],
        secret: Option<usize>,
        body: jbyteArray,
        body_len: jint,
    ) -> Result<(Texts<'_, N>, Body<'_>), Failure> {
        let texts = Texts::read(
            raw,
            joined,
            lens,
            secret,
            (&mut self.units, &mut self.heap_units),
            (&mut self.text, &mut self.heap_text),
        )?;
        Ok((texts, Body::read(raw, body, body_len, &mut self.body)))
    }

    /// Reads a body (`null` is empty); its length from the array itself.
    pub(crate) fn body(&mut self, raw: Raw, body: jbyteArray) -> Body<'_> {
        let len = if body.is_null() {
            0
        } else {
            raw.array_length(body)
        };
        Body::read(raw, body, len as jint, &mut self.body)
    }
}

/// The first `len` elements of `stack`, or of `heap` grown to `len` when `stack` is too small.
fn room<'a, T>(
    stack: &'a mut [MaybeUninit<T>],
    heap: &'a mut Vec<T>,
    len: usize,
) -> &'a mut [MaybeUninit<T>] {
    if len <= stack.len() {
        &mut stack[..len]
    } else {
        *heap = Vec::with_capacity(len);
        &mut heap.spare_capacity_mut()[..len]
    }
}

/// Where one string lies in a [`Texts`] buffer, or null. `u32` offsets keep [`Texts`] small:
/// it is returned by value on the signing path.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    const NULL: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };

    fn range(self) -> Option<std::ops::Range<usize>> {
        (self.start != u32::MAX).then_some(self.start as usize..self.end as usize)
    }
}

/// The number of UTF-16 units of strings `lens[i]` units long (-1 for null); a length below
/// -1 is `OMNI_INVALID_INPUT`, and so is a total whose UTF-8 could pass `u32::MAX` bytes (the
/// offsets of [`Texts`]).
pub(crate) fn total_units(lens: &[jint]) -> Result<usize, Failure> {
    let mut total = 0usize;
    for &len in lens {
        if len < -1 {
            return Err(Failure::refused("OMNI_INVALID_INPUT", "negative length"));
        }
        total += usize::try_from(len).unwrap_or(0);
    }
    if 3 * total >= u32::MAX as usize {
        return Err(Failure::refused(
            "OMNI_INVALID_INPUT",
            "the string arguments are too long",
        ));
    }
    Ok(total)
}

/// The UTF-8 text of `N` Java strings in one buffer. The secret one (a store token) is wiped
/// when dropped; the others are not secrets, and wiping costs a volatile store per byte.
pub(crate) struct Texts<'b, const N: usize> {
    bytes: &'b mut [u8],
    /// Where each string lies in `bytes`.
    spans: [Span; N],
    /// The span to wipe.
    secret: Span,
}

pub(crate) type Buffers<'b, T, const S: usize> = (&'b mut [MaybeUninit<T>; S], &'b mut Vec<T>);

impl<'b, const N: usize> Texts<'b, N> {
    fn read(
        raw: Raw,
        joined: jstring,
        lens: [jint; N],
        secret: Option<usize>,
        (stack_units, heap_units): Buffers<'_, u16, STACK_UNITS>,
        text: Buffers<'b, u8, STACK_TEXT>,
    ) -> Result<Self, Failure> {
        if joined.is_null() {
            return Err(Failure::null("strings"));
        }
        let total = total_units(&lens)?;
        let units = raw.string_region(joined, room(stack_units, heap_units, total));
        Self::from_units(units, lens, secret, text)
    }

    /// Converts the `N` strings whose UTF-16 units are joined in `units` (`lens[i]` units
    /// each, -1 for null; together exactly `units.len()`, as [`total_units`] counts them).
    /// String `secret` (if any) is wiped from `units` whatever the outcome, and from the text
    /// when it is dropped.
    fn from_units(
        units: &mut [u16],
        lens: [jint; N],
        secret: Option<usize>,
        (stack_text, heap_text): Buffers<'b, u8, STACK_TEXT>,
    ) -> Result<Self, Failure> {
        let mut secret_units = 0..0;
        let mut from = 0usize;
        for (i, &len) in lens.iter().enumerate() {
            let len = usize::try_from(len).unwrap_or(0);
            if secret == Some(i) {
                secret_units = from..from + len;
            }
            from += len;
        }
        let out = room(stack_text, heap_text, 3 * units.len());
        let converted = convert(units, &lens, out);
        units[secret_units].zeroize();
        match converted {
            Ok((len, spans)) => {
                // SAFETY: convert initialised the first `len` elements of `out`.
                let bytes = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast(), len) };
                // The secret's bytes are only in its span: every byte narrow_ascii wrote lies
                // below `len` and was overwritten by the conversion when it was not ASCII.
                let secret = secret.map_or(Span::NULL, |i| spans[i]);
                Ok(Texts {
                    bytes,
                    spans,
                    secret,
                })
            }
            Err(e) => {
                out.zeroize();
                Err(e)
            }
        }
    }

    /// The `i`th string, `None` when it was null.
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let range = self.spans[i].range()?;
        // SAFETY: the span holds either ASCII bytes (narrow_ascii found every unit below 0x80)
        // or the UTF-8 that utf16_to_utf8 encoded from decoded chars.
        Some(unsafe { std::str::from_utf8_unchecked(&self.bytes[range]) })
    }

    /// The `i`th string; null is `OMNI_NULL_ARGUMENT` naming `what`.
    pub(crate) fn required(&self, i: usize, what: &'static str) -> Result<&str, Failure> {
        self.get(i).ok_or_else(|| Failure::null(what))
    }
}

impl<const N: usize> Drop for Texts<'_, N> {
    fn drop(&mut self) {
        if let Some(range) = self.secret.range() {
            self.bytes[range].zeroize();
        }
    }
}

/// A request body as read from Java.
pub(crate) enum Body<'b> {
    /// A body up to [`SMALL_BODY`] bytes, copied.
    Bytes(&'b [u8]),
    /// The hash of a larger body, computed chunk by chunk without copying it whole.
    Hashed(BodyHash),
}

impl<'b> Body<'b> {
    /// Reads `body` of `len` bytes (`null` is the empty body) into `stack` or hashes it.
    fn read(
        raw: Raw,
        body: jbyteArray,
        len: jint,
        stack: &'b mut [MaybeUninit<u8>; SMALL_BODY],
    ) -> Self {
        let len = usize::try_from(len).unwrap_or(0);
        if body.is_null() || len == 0 {
            return Body::Bytes(&[]);
        }
        if len <= SMALL_BODY {
            return Body::Bytes(raw.byte_region(body, 0, &mut stack[..len]));
        }
        Body::Hashed(hash_array(raw, body, len))
    }

    /// The body's SHA-256.
    pub(crate) fn hash(&self) -> BodyHash {
        match self {
            Body::Bytes(bytes) => BodyHash::of(bytes),
            Body::Hashed(hash) => *hash,
        }
    }
}

/// SHA-256 of a byte array of `len` bytes, read in chunks.
fn hash_array(raw: Raw, array: jbyteArray, len: usize) -> BodyHash {
    let mut hasher = BodyHasher::new();
    let mut chunk = Vec::with_capacity(BODY_CHUNK.min(len));
    let mut start = 0;
    while start < len {
        let n = BODY_CHUNK.min(len - start);
        hasher.update(raw.byte_region(array, start, &mut chunk.spare_capacity_mut()[..n]));
        start += n;
    }
    hasher.finalize()
}

/// A whole byte array, copied and wiped when dropped (secrets); `null` is
/// `OMNI_NULL_ARGUMENT` naming `what`.
pub(crate) fn secret_bytes(
    raw: Raw,
    array: jbyteArray,
    what: &'static str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, Failure> {
    if array.is_null() {
        return Err(Failure::null(what));
    }
    let len = raw.array_length(array);
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(len));
    raw.byte_region(array, 0, &mut bytes.spare_capacity_mut()[..len]);
    // SAFETY: byte_region initialised the first `len` elements of the capacity.
    unsafe { bytes.set_len(len) };
    Ok(bytes)
}

/// The strings joined in `joined`, `lens[i]` UTF-16 units each (-1 for null), for calls with
/// any number of strings (`diagnose`'s headers); each is wiped when dropped (a header value may
/// be a store token). Off the signing path: every length is checked against the string's.
pub(crate) fn string_list(
    raw: Raw,
    joined: jstring,
    lens: jintArray,
) -> Result<Vec<Option<Zeroizing<String>>>, Failure> {
    if joined.is_null() || lens.is_null() {
        return Err(Failure::null("strings"));
    }
    // SAFETY: the calling thread's env, a live non-null int[] reference.
    let count = unsafe { ((**raw.0).v1_1.GetArrayLength)(raw.0, lens) };
    let mut lengths = vec![0 as jint; usize::try_from(count).unwrap_or(0)];
    // SAFETY: as above; the whole array, into a buffer of its length.
    unsafe { ((**raw.0).v1_1.GetIntArrayRegion)(raw.0, lens, 0, count, lengths.as_mut_ptr()) };
    // SAFETY: the calling thread's env, a live non-null string reference.
    let available = unsafe { ((**raw.0).v1_1.GetStringLength)(raw.0, joined) };
    let mut total = 0usize;
    for &len in &lengths {
        if len < -1 {
            return Err(Failure::refused(
                "OMNI_PANIC",
                "string lengths do not match",
            ));
        }
        total += usize::try_from(len).unwrap_or(0);
    }
    if usize::try_from(available).ok() != Some(total) {
        return Err(Failure::refused(
            "OMNI_PANIC",
            "string lengths do not match",
        ));
    }
    let mut units = Zeroizing::new(Vec::with_capacity(total));
    raw.string_region(joined, &mut units.spare_capacity_mut()[..total]);
    // SAFETY: string_region initialised the first `total` elements of the capacity.
    unsafe { units.set_len(total) };
    let mut from = 0;
    lengths
        .iter()
        .map(|&len| {
            let Ok(len) = usize::try_from(len) else {
                return Ok(None);
            };
            let part = &units[from..from + len];
            from += len;
            String::from_utf16(part)
                .map(|s| Some(Zeroizing::new(s)))
                .map_err(|_| {
                    Failure::refused(
                        "OMNI_INVALID_UTF8",
                        "a string argument holds a lone surrogate (not valid UTF-16, so not UTF-8)",
                    )
                })
        })
        .collect()
}

/// A whole byte array (`null` is empty), for calls that need every byte in one slice.
pub(crate) fn all_bytes(raw: Raw, array: jbyteArray) -> Vec<u8> {
    if array.is_null() {
        return Vec::new();
    }
    let len = raw.array_length(array);
    let mut bytes = Vec::with_capacity(len);
    raw.byte_region(array, 0, &mut bytes.spare_capacity_mut()[..len]);
    // SAFETY: byte_region initialised the first `len` elements of the capacity.
    unsafe { bytes.set_len(len) };
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `convert` of `parts` (None for null): each part's text, or the refusal's status.
    fn converted(parts: &[Option<&str>; 3]) -> Result<[Option<String>; 3], String> {
        let mut units = Vec::new();
        let mut lens = [-1; 3];
        for (len, part) in lens.iter_mut().zip(parts) {
            if let Some(text) = part {
                let start = units.len();
                units.extend(text.encode_utf16());
                *len = (units.len() - start) as jint;
            }
        }
        raw_converted(&units, &lens)
    }

    fn raw_converted(units: &[u16], lens: &[jint; 3]) -> Result<[Option<String>; 3], String> {
        let mut out = vec![MaybeUninit::uninit(); 3 * units.len()];
        let (len, spans) = convert(units, lens, &mut out).map_err(|e| match e {
            Failure::Refused { status, .. } => status.into_owned(),
            other => format!("{other:?}"),
        })?;
        // SAFETY: convert initialised the first `len` elements.
        let bytes = unsafe { std::slice::from_raw_parts(out.as_ptr().cast::<u8>(), len) };
        Ok(spans.map(|span| {
            span.range()
                .map(|r| String::from_utf8(bytes[r].to_vec()).unwrap())
        }))
    }

    #[test]
    fn ascii_and_null_parts() {
        let parts = [Some("GET"), None, Some("")];
        assert_eq!(
            converted(&parts).unwrap(),
            [Some("GET".into()), None, Some(String::new())]
        );
    }

    #[test]
    fn non_ascii_parts_keep_their_boundaries() {
        let parts = [Some("é"), Some("\u{1F600}x"), Some("\0a")];
        assert_eq!(
            converted(&parts).unwrap(),
            parts.map(|p| p.map(String::from))
        );
    }

    #[test]
    fn lone_surrogates_are_refused() {
        for units in [[0x61, 0xD800, 0x62], [0x61, 0xDC00, 0x62]] {
            assert_eq!(
                raw_converted(&units, &[1, 1, 1]).unwrap_err(),
                "OMNI_INVALID_UTF8"
            );
        }
        // A pair split across two strings is two lone surrogates, not one character.
        assert_eq!(
            raw_converted(&[0xD83D, 0xDE00, 0x61], &[1, 1, 1]).unwrap_err(),
            "OMNI_INVALID_UTF8"
        );
        assert_eq!(
            raw_converted(&[0xD83D, 0xDE00, 0x61], &[2, 1, -1]).unwrap(),
            [Some("\u{1F600}".into()), Some("a".into()), None]
        );
    }
}
