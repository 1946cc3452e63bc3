//! The scratch: native memory (a direct `java.nio.ByteBuffer` of [`SCRATCH_SIZE`] bytes, see
//! `omni.Scratch`) through which `Signer.sign` passes a request and gets its signature back,
//! so that signing makes no JNI call back into the JVM (each one is a VM transition, and
//! together they cost more than the copies they make).
//!
//! Layout, shared with `omni.Scratch`: the signature text at offset 0 (up to 71 bytes), the
//! request's strings as UTF-16 units in native byte order from [`UNITS_AT`], then the body's
//! bytes. The Java side fills it, calls the native method and reads the signature; a scratch is
//! used by one thread at a time (the Java pool hands it out), and the Java caller keeps it
//! reachable until the call returns, so the memory is this call's alone while it runs.

use jni::sys::{jint, jlong, jobject};

use crate::args::{Raw, total_units};
use crate::failure::Failure;

/// A scratch's size in bytes; `omni.Scratch.SIZE` is the same.
pub(crate) const SCRATCH_SIZE: usize = 16 * 1024;
/// Where the UTF-16 units start; `omni.Scratch.UNITS_AT` is the same.
const UNITS_AT: usize = 128;

/// The scratch a call was given.
pub(crate) struct Scratch {
    /// [`SCRATCH_SIZE`] bytes, 2-aligned (checked by [`address`]).
    bytes: *mut u8,
}

/// The request a scratch holds.
pub(crate) struct Loaded<'s> {
    /// The strings' UTF-16 units.
    pub(crate) units: &'s mut [u16],
    /// The body.
    pub(crate) body: &'s [u8],
    /// Where the signature text goes.
    pub(crate) out: &'s mut [u8],
}

impl Scratch {
    /// The scratch at `address`.
    ///
    /// # Safety
    /// `address` is what [`address`] returned for a direct buffer that is still reachable, and
    /// no other thread uses that buffer during this native call (see the module's text).
    pub(crate) unsafe fn at(address: jlong) -> Result<Self, Failure> {
        if address == 0 || !(address as usize).is_multiple_of(2) {
            return Err(Failure::refused("OMNI_PANIC", "not a scratch address"));
        }
        Ok(Scratch {
            bytes: address as *mut u8,
        })
    }

    /// The request held: strings of `lens[i]` units each (-1 for null) and a body of `body_len`
    /// bytes. Lengths that do not fit in the scratch are an internal error (`OMNI_PANIC`): the
    /// Java side only calls with a request it has loaded.
    pub(crate) fn loaded(&mut self, lens: &[jint], body_len: jint) -> Result<Loaded<'_>, Failure> {
        let units = total_units(lens)?;
        let body_len = usize::try_from(body_len)
            .map_err(|_| Failure::refused("OMNI_INVALID_INPUT", "negative body length"))?;
        let end = (UNITS_AT + 2 * units)
            .checked_add(body_len)
            .filter(|&end| end <= SCRATCH_SIZE)
            .ok_or_else(|| {
                Failure::refused("OMNI_PANIC", "the request does not fit in the scratch")
            })?;
        // SAFETY: by `at`'s contract `bytes` points to SCRATCH_SIZE bytes this call alone uses,
        // 2-aligned, so UNITS_AT (even) is too; the three ranges are disjoint and lie below
        // `end`, which is at most SCRATCH_SIZE. Any bit pattern is a valid u8 or u16.
        unsafe {
            let out = std::slice::from_raw_parts_mut(self.bytes, UNITS_AT);
            let units = std::slice::from_raw_parts_mut(self.bytes.add(UNITS_AT).cast(), units);
            let body = std::slice::from_raw_parts(self.bytes.add(end - body_len), body_len);
            Ok(Loaded { units, body, out })
        }
    }
}

/// The address of `buffer`, a direct buffer of [`SCRATCH_SIZE`] bytes, 2-aligned, whose Java
/// side puts the units at `units_at`; anything else (Java classes and library out of step) is
/// an internal error (`OMNI_PANIC`).
pub(crate) fn address(raw: Raw, buffer: jobject, units_at: jint) -> Result<jlong, Failure> {
    if buffer.is_null() {
        return Err(Failure::null("buffer"));
    }
    let (address, capacity) = raw.direct_buffer(buffer);
    if address.is_null()
        || !(address as usize).is_multiple_of(2)
        || usize::try_from(capacity).ok() != Some(SCRATCH_SIZE)
        || usize::try_from(units_at).ok() != Some(UNITS_AT)
    {
        return Err(Failure::refused("OMNI_PANIC", "not a scratch buffer"));
    }
    Ok(address as jlong)
}
