//! The opaque `omni_signer` handle: how it is created, borrowed and released.

use omni_sign::Signer;

use crate::status::omni_status;

/// A signer holding one partner secret key's precomputed HMAC state. Opaque.
#[derive(Debug)] // omni_sign::Signer's Debug shows no key material
pub struct omni_signer {
    signer: Signer,
}

/// Boxes `signer` into a handle that belongs to the caller until [`release`].
pub(crate) fn into_handle(signer: Signer) -> *mut omni_signer {
    Box::into_raw(Box::new(omni_signer { signer }))
}

/// The signer behind a handle; NULL is OMNI_NULL_ARGUMENT.
///
/// # Safety
/// `handle` is NULL or a pointer from [`into_handle`] not yet released, and is not released
/// during `'a`.
pub(crate) unsafe fn borrow<'a>(handle: *const omni_signer) -> Result<&'a Signer, omni_status> {
    // SAFETY: NULL or live, by the caller's contract; only shared access.
    let handle = unsafe { handle.as_ref() }.ok_or(omni_status::OMNI_NULL_ARGUMENT)?;
    Ok(&handle.signer)
}

/// Drops the signer behind a non-NULL handle, which wipes its key state.
///
/// # Safety
/// `handle` is a pointer from [`into_handle`] not yet released, and nobody uses it any more.
pub(crate) unsafe fn release(handle: *mut omni_signer) {
    // SAFETY: from Box::into_raw in into_handle and not released yet, by the contract.
    drop(unsafe { Box::from_raw(handle) });
}
