//! Owned secrets that hide themselves and are zeroed on drop (`secrets-never-shown`).

use alloc::vec::Vec;
use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;

/// A partner secret key. `Debug` prints `SecretKey(REDACTED)`, there is no `Display`, and the
/// bytes are zeroed when the value is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// Takes ownership of the key bytes. An empty key is an error.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(Error::EmptySecret);
        }
        Ok(SecretKey(bytes))
    }

    /// The key bytes, for handing to a [`Signer`](crate::Signer). Do not log them.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", crate::REDACTED)
    }
}

impl core::str::FromStr for SecretKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        SecretKey::new(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_and_non_empty() {
        let k: SecretKey = "s3cr3t".parse().unwrap();
        assert_eq!(std::format!("{k:?}"), "SecretKey(REDACTED)");
        assert_eq!(k.expose_secret(), b"s3cr3t");
        assert_eq!(SecretKey::new(Vec::new()).unwrap_err(), Error::EmptySecret);
    }
}
