//! HMAC-SHA256 over the base string, with the key state computed once.

use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::canonical::Sink;
use crate::{BodyHash, CanonicalRequest, Error, Signature, SignedHeaders};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of base string staged on the stack before they reach the MAC.
const STAGE_LEN: usize = 128;

/// Feeds the MAC a base string in a few large slices instead of a dozen small pieces (a
/// separator is one byte): each MAC update has a fixed cost that dwarfs copying a short
/// piece. Only public parts are staged; the store token goes straight to the MAC, whose own
/// buffer is zeroed on drop.
struct Staged<'m> {
    mac: &'m mut HmacSha256,
    buf: [u8; STAGE_LEN],
    len: usize,
}

impl Staged<'_> {
    fn flush(&mut self) {
        self.mac.update(&self.buf[..self.len]);
        self.len = 0;
    }
}

impl Sink for Staged<'_> {
    fn put(&mut self, piece: &[u8]) {
        if let Some(room) = self.buf.get_mut(self.len..self.len + piece.len()) {
            room.copy_from_slice(piece);
            self.len += piece.len();
            return;
        }
        self.flush();
        match self.buf.get_mut(..piece.len()) {
            Some(room) => {
                room.copy_from_slice(piece);
                self.len = piece.len();
            }
            None => self.mac.update(piece),
        }
    }

    fn put_secret(&mut self, piece: &[u8]) {
        self.flush();
        self.mac.update(piece);
    }
}

/// Signs requests with one partner secret key.
///
/// Built once: the HMAC inner and outer key blocks are hashed at construction, so each
/// signature costs only the hashing of its base string (and the body). Signing allocates
/// nothing: the base string is streamed into the MAC. The key state is as secret as the key:
/// it is zeroed on drop and never shown by `Debug`. `Signer` is `Send + Sync`; share it.
///
/// ```
/// use omni_sign::{Signer, SignedHeaders, Timestamp};
/// let signer = Signer::new(b"partner-secret").unwrap();
/// let headers = SignedHeaders::new("ptnr_1", Timestamp::from_millis(1709024577000)).unwrap();
/// let sig = signer.sign_request("POST", "https://h/api/v1/partner/x", &headers, b"{}").unwrap();
/// assert!(sig.to_string().starts_with("sha256="));
/// ```
#[derive(Clone)]
pub struct Signer {
    mac: HmacSha256,
}

impl Signer {
    /// Precomputes the HMAC key state. An empty secret is an error.
    pub fn new(secret: &[u8]) -> Result<Self, Error> {
        if secret.is_empty() {
            return Err(Error::EmptySecret);
        }
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| Error::EmptySecret)?;
        Ok(Signer { mac })
    }

    /// Signs a canonical request.
    pub fn sign(&self, request: &CanonicalRequest<'_>) -> Signature {
        let mut mac = self.mac.clone();
        let mut staged = Staged {
            mac: &mut mac,
            buf: [0; STAGE_LEN],
            len: 0,
        };
        request.write_into(&mut staged, false);
        staged.flush();
        Signature::from_bytes(mac.finalize().into_bytes().into())
    }

    /// Validates and signs in one step: `url` as sent, the body bytes as sent.
    pub fn sign_request(
        &self,
        method: &str,
        url: &str,
        headers: &SignedHeaders<'_>,
        body: &[u8],
    ) -> Result<Signature, Error> {
        let request = CanonicalRequest::new(method, url, *headers, BodyHash::of(body))?;
        Ok(self.sign(&request))
    }

    /// Signs an arbitrary text as if it were a base string.
    ///
    /// For diagnosis only: explaining a rejected signature means reproducing what a faulty
    /// client signed (a query left on the path, mixed-case header names, `/api/v1` kept), which
    /// no valid [`CanonicalRequest`] can express. Never use it to sign a request that is sent:
    /// nothing here checks that `text` follows the spec.
    pub fn sign_base_string_for_diagnosis(&self, text: &str) -> Signature {
        let mut mac = self.mac.clone();
        mac.update(text.as_bytes());
        Signature::from_bytes(mac.finalize().into_bytes().into())
    }

    /// Whether `signature` is this key's signature of `request`, compared in constant time.
    pub fn verify(&self, request: &CanonicalRequest<'_>, signature: &Signature) -> bool {
        self.sign(request) == *signature
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer { key: ")?;
        f.write_str(crate::REDACTED)?;
        f.write_str(" }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use std::string::ToString;

    #[test]
    fn key_state_is_zeroed_on_drop() {
        // `Hmac` holds the inner and outer key states as SHA-256 cores and a block buffer; with
        // the `zeroize` features of sha2 and hmac both zero themselves in `Drop`. hmac 0.13 does
        // not declare `ZeroizeOnDrop` for `Hmac` itself, so the parts are checked here.
        fn zeroed_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroed_on_drop::<sha2::block_api::Sha256VarCore>();
    }

    #[test]
    fn diagnosis_signing_matches_request_signing_on_the_same_text() {
        let signer = Signer::new(b"key").unwrap();
        let headers = SignedHeaders::new("p", Timestamp::from_millis(1)).unwrap();
        let req = CanonicalRequest::new("GET", "/", headers, BodyHash::EMPTY).unwrap();
        let text = req.to_base_string();
        assert_eq!(
            signer.sign_base_string_for_diagnosis(&text),
            signer.sign(&req)
        );
        assert_ne!(
            signer.sign_base_string_for_diagnosis(&text[1..]),
            signer.sign(&req)
        );
    }

    #[test]
    fn empty_secret_is_an_error() {
        assert_eq!(Signer::new(b"").unwrap_err(), Error::EmptySecret);
    }

    #[test]
    fn debug_shows_no_key_material() {
        let s = std::format!("{:?}", Signer::new(b"topsecret").unwrap());
        assert_eq!(s, "Signer { key: REDACTED }");
    }

    #[test]
    fn signature_is_hmac_of_the_base_string() {
        // HMAC-SHA256("key", "GET\n/\nx-partner-client-id:p\nx-timestamp:1\n<empty hash>"),
        // computed with Python's hmac module.
        let signer = Signer::new(b"key").unwrap();
        let headers = SignedHeaders::new("p", Timestamp::from_millis(1)).unwrap();
        let sig = signer.sign_request("GET", "/", &headers, b"").unwrap();
        assert_eq!(
            sig.to_string(),
            "sha256=a83e36074ec3f6063e93c488c334d4f6069a55e20556d52d365f21eda2d24d4e"
        );
    }
}
