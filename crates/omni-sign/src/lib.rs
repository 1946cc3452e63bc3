#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

#[cfg(feature = "alloc")]
extern crate alloc;

mod body;
mod canonical;
mod error;
mod headers;
mod ids;
mod method;
mod path;
#[cfg(feature = "alloc")]
mod secret;
mod signature;
mod signer;
#[cfg(feature = "alloc")]
mod verifier;

#[cfg(feature = "http")]
pub mod http;

pub use body::{BodyHash, BodyHasher};
pub use canonical::{BaseString, CanonicalRequest};
pub use error::Error;
pub use headers::{SignedHeaders, Timestamp};
#[cfg(feature = "alloc")]
pub use ids::StoreToken;
pub use ids::{PartnerClientId, StoreClientId, StoreTokenRef};
pub use method::Method;
pub use path::{CanonicalPath, canonical_path};
#[cfg(feature = "alloc")]
pub use secret::SecretKey;
pub use signature::{Signature, SignatureFormat, SignatureText};
pub use signer::Signer;
#[cfg(feature = "alloc")]
pub use verifier::{
    DEFAULT_TOLERANCE_MS, ReceivedBody, ReceivedRequest, Verified, Verifier, VerifierBuilder,
    check_window,
};

/// Header names, lowercase, as they are signed.
pub mod header {
    pub use crate::headers::{
        PARTNER_CLIENT_ID, SIGNATURE, STORE_CLIENT_ID, STORE_TOKEN, TIMESTAMP,
    };
}

/// What secrets are replaced with wherever a value is shown.
pub const REDACTED: &str = "REDACTED";

/// The root README's Rust example, run as a doc test so that it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct RootReadmeDoctests;
