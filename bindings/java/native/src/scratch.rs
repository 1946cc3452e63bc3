//! The scratch: native memory (a direct `java.nio.ByteBuffer` of [`SCRATCH_SIZE`] bytes, see
//! `omni.Scratch`) through which `Signer.sign` passes a request and gets its signature back, so
//! that signing makes no JNI call back into the JVM (each one is a VM transition: the string,
//! the body and the output array would cost one each).
//!
//! Layout, shared with `omni.Scratch`: the signature text at offset 0 (up to 71 bytes), the
//! request's strings as UTF-16 units in native byte order from [`UNITS_AT`], a body of up to
//! [`BODY_ROOM`] bytes from [`BODY_AT`] (a larger one is read from its array). The Java side
//! fills it, calls the native method and reads the signature; a scratch is used by one thread
//! at a time (the Java pool hands it out), and the Java caller keeps it reachable until the
//! call returns, so the memory is this call's alone while it runs.

use jni::sys::{jint, jlong, jobject};

use crate::args::{Raw, total_units};
use crate::failure::Failure;

/// Where the UTF-16 units start; `omni.Scratch.UNITS_AT` is the same.
const UNITS_AT: usize = 128;
/// Where a body carried in the scratch starts: after room for 512 units (the stack room of
/// [`crate::args`]).
const BODY_AT: usize = UNITS_AT + 2 * 512;
/// The largest body carried in the scratch (larger ones are read from their array).
const BODY_ROOM: usize = 4096;
/// A scratch's size in bytes; `omni.Scratch.SIZE` is the same.
pub(crate) const SCRATCH_SIZE: usize = BODY_AT + BODY_ROOM;

/// The scratch a call was given.
pub(crate) struct Scratch {
    /// [`SCRATCH_SIZE`] bytes, 2-aligned (checked by [`address`]).
    bytes: *mut u8,
}

/// The request a scratch holds.
pub(crate) struct Loaded<'s> {
    /// The strings' UTF-16 units.
    pub(crate) units: &'s mut [u16],
    /// The body carried in the scratch (empty when it is read from its array).
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

    /// The strings held, `lens[i]` units each (-1 for null), the body of `body_len` bytes it
    /// carries, and where the signature text goes. Lengths that do not fit in the scratch are
    /// an internal error (`OMNI_PANIC`): the Java side only calls with what it has loaded.
    pub(crate) fn loaded(&mut self, lens: &[jint], body_len: usize) -> Result<Loaded<'_>, Failure> {
        let units = total_units(lens)?;
        if UNITS_AT + 2 * units > BODY_AT || body_len > BODY_ROOM {
            return Err(Failure::refused(
                "OMNI_PANIC",
                "the request does not fit in the scratch",
            ));
        }
        // SAFETY: by `at`'s contract `bytes` points to SCRATCH_SIZE bytes this call alone uses,
        // 2-aligned, so UNITS_AT (even) is too; the three ranges are disjoint and lie within
        // SCRATCH_SIZE (checked above). Any bit pattern is a valid u8 or u16.
        unsafe {
            let out = std::slice::from_raw_parts_mut(self.bytes, UNITS_AT);
            let units = std::slice::from_raw_parts_mut(self.bytes.add(UNITS_AT).cast(), units);
            let body = std::slice::from_raw_parts(self.bytes.add(BODY_AT), body_len);
            Ok(Loaded { units, body, out })
        }
    }
}

/// The address of `buffer`, a direct buffer of [`SCRATCH_SIZE`] bytes, 2-aligned, whose Java
/// side puts the units at `units_at` and a body at `body_at`; anything else (Java classes and
/// library out of step) is an internal error (`OMNI_PANIC`).
pub(crate) fn address(
    raw: Raw,
    buffer: jobject,
    units_at: jint,
    body_at: jint,
) -> Result<jlong, Failure> {
    if buffer.is_null() {
        return Err(Failure::null("buffer"));
    }
    let (address, capacity) = raw.direct_buffer(buffer);
    if address.is_null()
        || !(address as usize).is_multiple_of(2)
        || usize::try_from(capacity).ok() != Some(SCRATCH_SIZE)
        || usize::try_from(units_at).ok() != Some(UNITS_AT)
        || usize::try_from(body_at).ok() != Some(BODY_AT)
    {
        return Err(Failure::refused("OMNI_PANIC", "not a scratch buffer"));
    }
    Ok(address as jlong)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status<T>(result: Result<T, Failure>) -> String {
        match result {
            Err(Failure::Refused { status, .. }) => status.into_owned(),
            Err(other) => format!("{other:?}"),
            Ok(_) => "ok".into(),
        }
    }

    #[test]
    fn loaded_spans_the_units_after_the_signature_room() {
        // u16 elements: 2-aligned, as a direct buffer is.
        let mut memory = vec![0u16; SCRATCH_SIZE / 2];
        let base = memory.as_mut_ptr() as jlong;
        // SAFETY: SCRATCH_SIZE bytes of this test's own, 2-aligned.
        let mut scratch = unsafe { Scratch::at(base) }.unwrap();
        let loaded = scratch.loaded(&[3, -1, 5, 0, 2], 7).unwrap();
        assert_eq!(loaded.out.len(), UNITS_AT);
        assert_eq!(loaded.units.len(), 10);
        assert_eq!(loaded.units.as_ptr() as usize, base as usize + UNITS_AT);
        assert_eq!(loaded.body.len(), 7);
        assert_eq!(loaded.body.as_ptr() as usize, base as usize + BODY_AT);
        let most = [512, -1, -1, -1, -1];
        let loaded = scratch.loaded(&most, BODY_ROOM).unwrap();
        assert_eq!(loaded.units.len(), 512);
        assert_eq!(
            loaded.body.as_ptr() as usize + BODY_ROOM,
            base as usize + SCRATCH_SIZE
        );
    }

    #[test]
    fn lengths_past_the_scratch_are_refused() {
        let mut memory = vec![0u16; SCRATCH_SIZE / 2];
        // SAFETY: as above.
        let mut scratch = unsafe { Scratch::at(memory.as_mut_ptr() as jlong) }.unwrap();
        assert_eq!(
            status(scratch.loaded(&[500, 13, -1, -1, -1], 0)),
            "OMNI_PANIC"
        );
        assert_eq!(
            status(scratch.loaded(&[1, 1, 1, 1, 1], BODY_ROOM + 1)),
            "OMNI_PANIC"
        );
        assert_eq!(
            status(scratch.loaded(&[1, -2, 1, 1, 1], 0)),
            "OMNI_INVALID_INPUT"
        );
        assert_eq!(
            status(scratch.loaded(&[jint::MAX; 5], 0)),
            "OMNI_INVALID_INPUT"
        );
    }

    #[test]
    fn null_and_odd_addresses_are_refused() {
        // SAFETY: refused before any use.
        assert_eq!(status(unsafe { Scratch::at(0) }), "OMNI_PANIC");
        // SAFETY: as above.
        assert_eq!(status(unsafe { Scratch::at(0x1001) }), "OMNI_PANIC");
    }
}
