//! HMAC-SHA256 over the base string (`signature-format`), with RustCrypto's `hmac` crate.

use core::fmt;

use hmac::digest::FixedOutput;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::ZeroizeOnDrop;

use crate::canonical::Sink;
use crate::{BodyHash, CanonicalRequest, Error, Method, Signature, SignedHeaders, canonical_path};

/// HMAC-SHA256. An instance is SHA-256's core twice (the inner and outer key states) and
/// SHA-256's block buffer (the bytes fed since the last whole block); with the `zeroize`
/// features of `hmac` and `sha2` (set in the workspace) each of them zeroes itself on drop.
type HmacSha256 = Hmac<Sha256>;

impl Sink for HmacSha256 {
    fn put(&mut self, piece: &[u8]) {
        self.update(piece);
    }
}

/// Signs requests with one partner secret key.
///
/// Built once: the HMAC key blocks are hashed at construction, and each signature starts from
/// a copy of that keyed state, so it costs only the hashing of its base string (and the body).
/// Signing allocates nothing: the base string is streamed into the MAC. The key state is as
/// secret as the key: it is zeroed on drop (as is each per-signature copy, which also holds
/// the store token's bytes) and never shown by `Debug`. `Signer` is `Send + Sync`; share it.
///
/// ```
/// use omni_sign::{Signer, SignedHeaders, Timestamp};
/// let signer = Signer::new(b"partner-secret").unwrap();
/// let headers = SignedHeaders::new("ptnr_1".try_into().unwrap(), Timestamp::from_millis(1709024577000));
/// let sig = signer.sign_request("POST", "https://h/api/v1/partner/x", &headers, b"{}").unwrap();
/// assert!(sig.to_string().starts_with("sha256="));
/// ```
#[derive(Clone)]
pub struct Signer {
    /// The MAC keyed with the secret, fed nothing yet.
    keyed: HmacSha256,
}

impl Signer {
    /// Keys the MAC with `secret` (RFC 2104: a key longer than a block is hashed first). An
    /// empty secret is an error.
    pub fn new(secret: &[u8]) -> Result<Self, Error> {
        if secret.is_empty() {
            return Err(Error::EmptySecret);
        }
        // HMAC takes keys of any length, so this never fails; were it to, the key is refused
        // rather than a MAC built from something else.
        let keyed = HmacSha256::new_from_slice(secret).map_err(|_| Error::EmptySecret)?;
        Ok(Signer { keyed })
    }

    /// Signs a canonical request.
    pub fn sign(&self, request: &CanonicalRequest<'_>) -> Signature {
        let mut mac = self.keyed.clone();
        request.write_into(&mut mac, false);
        Signature::from_bytes(mac.finalize_fixed().into())
    }

    /// Validates and signs in one step: `url` as sent, the body bytes as sent.
    ///
    /// The same as [`Signer::sign`] of the [`CanonicalRequest`] built from these parts, with
    /// the body hashed only once the method and URL are known to be valid.
    pub fn sign_request(
        &self,
        method: &str,
        url: &str,
        headers: &SignedHeaders<'_>,
        body: &[u8],
    ) -> Result<Signature, Error> {
        let method = Method::new(method)?;
        let path = canonical_path(url)?;
        let request = CanonicalRequest::from_parts(method, path, *headers, BodyHash::of(body));
        Ok(self.sign(&request))
    }

    /// Signs `base_string` as it is: HMAC-SHA256 of exactly its bytes with this key.
    ///
    /// For reproducing what a client signed when a signature is rejected (a query left on the
    /// path, mixed-case header names, `/api/v1` kept: text no valid [`CanonicalRequest`] can
    /// express), and for tests against other implementations. Nothing here checks that the
    /// text follows the spec: to sign a request that is sent, use [`Signer::sign_request`] or
    /// [`Signer::sign`], which build the base string.
    pub fn sign_base_string(&self, base_string: &str) -> Signature {
        let mut mac = self.keyed.clone();
        mac.update(base_string.as_bytes());
        Signature::from_bytes(mac.finalize_fixed().into())
    }

    /// Whether `signature` is this key's signature of `request`, compared in constant time.
    pub fn verify(&self, request: &CanonicalRequest<'_>, signature: &Signature) -> bool {
        self.sign(request) == *signature
    }
}

/// The only field, an `Hmac<Sha256>`, zeroes its parts on drop.
impl ZeroizeOnDrop for Signer {}

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
    use crate::{PartnerClientId, StoreClientId, StoreTokenRef, Timestamp};
    use std::string::{String, ToString};

    #[test]
    fn key_state_and_per_signature_copies_are_zeroed_on_drop() {
        fn zeroed_on_drop<T: ZeroizeOnDrop>() {}
        // `Hmac` has no marker of its own; its parts are those of `Sha256`, whose marker
        // requires both its core and its block buffer to zero themselves on drop.
        zeroed_on_drop::<Sha256>();
        zeroed_on_drop::<Signer>();
    }

    /// The `hmac` crate's answer, keyed from scratch.
    fn reference(key: &[u8], message: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn rfc_4231_test_cases() {
        let cases: [(&[u8], &[u8], &str); 3] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, message, want) in cases {
            let got = Signer::new(key)
                .unwrap()
                .sign_base_string(core::str::from_utf8(message).unwrap());
            assert_eq!(got.bare_hex().as_str(), want);
        }
    }

    #[test]
    fn a_reused_signer_matches_a_freshly_keyed_mac() {
        // Lengths around every block boundary, keys around the block size; one signer signs
        // them all, so no state leaks from one signature into the next.
        let message: String = (0..1300u32)
            .map(|i| char::from(b'!' + (i * 7 % 94) as u8))
            .collect();
        for key_len in [1, 31, 63, 64, 65, 200] {
            let key = &message.as_bytes()[..key_len];
            let signer = Signer::new(key).unwrap();
            for len in (0..=message.len()).filter(|n| n % 64 < 3 || n % 64 > 52 || n % 97 == 0) {
                let text = &message[..len];
                assert_eq!(
                    signer.sign_base_string(text).as_bytes(),
                    &reference(key, text.as_bytes()),
                    "key {key_len}, len {len}"
                );
            }
        }
    }

    fn store_headers() -> SignedHeaders<'static> {
        SignedHeaders::new(
            PartnerClientId::new("ptnr_1").unwrap(),
            Timestamp::from_millis(1709024577000),
        )
        .with_store(
            StoreClientId::new("store_1").unwrap(),
            StoreTokenRef::new("stkn_secret").unwrap(),
        )
    }

    #[test]
    fn a_base_string_of_many_blocks_signs_correctly() {
        // A 9,000-byte path and a 5,000-byte body: far more than any single block or buffer.
        let path = "/p".repeat(4_500);
        let body = std::vec![b'x'; 5_000];
        let headers = store_headers();
        let request = CanonicalRequest::new("PUT", &path, headers, BodyHash::of(&body)).unwrap();
        let base = request.to_base_string();
        assert!(base.len() > 9_000);
        let signer = Signer::new(b"key").unwrap();
        let want = reference(b"key", base.as_bytes());
        assert_eq!(signer.sign(&request).as_bytes(), &want);
        assert_eq!(
            signer
                .sign_request("PUT", &path, &headers, &body)
                .unwrap()
                .as_bytes(),
            &want
        );
    }

    #[test]
    fn sign_request_equals_signing_the_canonical_request() {
        let signer = Signer::new(b"key").unwrap();
        let body: std::vec::Vec<u8> = (0..700u32).map(|i| (i * 31 + 7) as u8).collect();
        let long = "/x".repeat(100);
        for path in [
            "/",
            "/partner/stores/catalog/sync",
            &long[..90],
            &long[..200],
        ] {
            let url = std::format!("https://h.example/api/v1{path}?q=1");
            let headers = store_headers();
            for len in (0..=body.len()).filter(|n| n % 64 < 2 || n % 64 > 53 || n % 50 == 0) {
                let body = &body[..len];
                let req = CanonicalRequest::new("POST", &url, headers, BodyHash::of(body)).unwrap();
                assert_eq!(
                    signer.sign_request("POST", &url, &headers, body).unwrap(),
                    signer.sign(&req),
                    "path {} B, body {len} B",
                    path.len()
                );
            }
        }
    }

    #[test]
    fn signing_a_base_string_matches_signing_the_request_it_comes_from() {
        let signer = Signer::new(b"key").unwrap();
        let headers = SignedHeaders::new("p".try_into().unwrap(), Timestamp::from_millis(1));
        let req = CanonicalRequest::new("GET", "/", headers, BodyHash::EMPTY).unwrap();
        let text = req.to_base_string();
        assert_eq!(signer.sign_base_string(&text), signer.sign(&req));
        assert_ne!(signer.sign_base_string(&text[1..]), signer.sign(&req));
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
        let headers = SignedHeaders::new("p".try_into().unwrap(), Timestamp::from_millis(1));
        let sig = signer.sign_request("GET", "/", &headers, b"").unwrap();
        assert_eq!(
            sig.to_string(),
            "sha256=a83e36074ec3f6063e93c488c334d4f6069a55e20556d52d365f21eda2d24d4e"
        );
    }
}
