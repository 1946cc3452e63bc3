//! HMAC-SHA256 over the base string, with the key state computed once.
//!
//! HMAC is written out here over SHA-256's compression function rather than taken from the
//! `hmac` crate: signing then costs the blocks of the base string and one outer block, compressed
//! from a stack buffer in as few calls as possible, without the per-update buffering,
//! state cloning and output wrapping of the generic MAC types (which cost as much as the
//! hashing itself for a typical 250-byte base string). The unit tests check it against the
//! `hmac` crate, RFC 4231 and the Python-computed vectors.

use core::fmt;

use sha2::block_api::compress256;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::body::{SHA256_IV as IV, digest_bytes};
use crate::canonical::Sink;
use crate::{BodyHash, CanonicalRequest, Error, Method, Signature, SignedHeaders, canonical_path};

/// SHA-256's block size, and so HMAC's key block size.
const BLOCK: usize = 64;

/// Blocks of base string staged on the stack before they are compressed in one call. A
/// typical base string (about 250 bytes) fits, so it is compressed in a single call.
const STAGE_BLOCKS: usize = 8;
const STAGE_LEN: usize = STAGE_BLOCKS * BLOCK;

/// The inner hash of an HMAC, fed the base string piece by piece.
///
/// Pieces are copied into a stack buffer of whole blocks and compressed when it fills. The
/// buffer range that held secret bytes (the store token) is zeroed when done; the working
/// state, derived from the key, is zeroed too.
struct InnerHash {
    state: [u32; 8],
    buf: [[u8; BLOCK]; STAGE_BLOCKS],
    len: usize,
    /// Blocks at the front of `buf` already compressed (see [`InnerHash::compress_full_blocks`]).
    done: usize,
    /// Bytes compressed before `buf`'s current contents (after the key block).
    compressed: u64,
    /// `buf[secret.0..secret.1]` may hold secret bytes.
    secret: (usize, usize),
}

impl InnerHash {
    fn new(key_state: [u32; 8]) -> Self {
        InnerHash {
            state: key_state,
            buf: [[0; BLOCK]; STAGE_BLOCKS],
            len: 0,
            done: 0,
            compressed: 0,
            secret: (0, 0),
        }
    }

    /// Appends `piece`; returns whether the buffer was compressed (and refilled) meanwhile.
    #[inline(always)]
    fn append(&mut self, piece: &[u8]) -> bool {
        let end = self.len + piece.len();
        if end < STAGE_LEN {
            copy_short(&mut self.buf.as_flattened_mut()[self.len..end], piece);
            self.len = end;
            return false;
        }
        self.append_compressing(piece);
        true
    }

    /// The rare path of [`InnerHash::append`]: the piece fills the buffer.
    #[inline(never)]
    fn append_compressing(&mut self, mut piece: &[u8]) {
        loop {
            let room = STAGE_LEN - self.len;
            if piece.len() < room {
                self.buf.as_flattened_mut()[self.len..self.len + piece.len()]
                    .copy_from_slice(piece);
                self.len += piece.len();
                return;
            }
            if self.len == 0 {
                // Nothing staged: whole blocks go straight from the piece.
                let (blocks, rest) = piece.as_chunks::<BLOCK>();
                compress256(&mut self.state, blocks);
                self.compressed += (blocks.len() * BLOCK) as u64;
                piece = rest;
            } else {
                let (head, rest) = piece.split_at(room);
                self.buf.as_flattened_mut()[self.len..].copy_from_slice(head);
                compress256(&mut self.state, &self.buf[self.done..]);
                self.compressed += STAGE_LEN as u64;
                self.len = 0;
                self.done = 0;
                piece = rest;
            }
        }
    }

    /// Compresses the whole blocks staged so far, without waiting for the buffer to fill, so
    /// the work that follows (writing the rest) can run while they are hashed.
    fn compress_full_blocks(&mut self) {
        let full = self.len / BLOCK;
        if full > self.done {
            compress256(&mut self.state, &self.buf[self.done..full]);
            self.done = full;
        }
    }

    /// Hashes `body` while compressing the whole blocks staged so far, a block of each in
    /// turn, then the rest of the body in one call. Returns the body's SHA-256.
    ///
    /// The staged blocks were just written piece by piece, and hashing them waits for those
    /// stores; body blocks, long in memory, keep the SHA unit busy meanwhile. Measured about
    /// 12 ns faster at a 200-byte body than the staged blocks first and then the body
    /// (BENCHMARKS.md, "Signing").
    fn compress_alongside(&mut self, body: &[u8]) -> [u8; 32] {
        let full = self.len / BLOCK;
        let (blocks, tail) = body.as_chunks::<BLOCK>();
        let mut state = IV;
        // Block by block while the staged ones last, then the rest of the body in one call.
        let mut next = 0;
        for head in self.done..full {
            compress256(&mut self.state, &self.buf[head..head + 1]);
            if let Some(block) = blocks.get(next..next + 1) {
                compress256(&mut state, block);
                next += 1;
            }
        }
        self.done = full;
        compress256(&mut state, &blocks[next..]);
        crate::body::finish_sha256(&mut state, tail, body.len())
    }

    /// Pads, compresses the rest and returns the inner digest. By reference: moving the
    /// staging buffer around costs a `memcpy` of it per move. Drop zeroes it, finished or not.
    fn finish(&mut self) -> [u8; 32] {
        let bits = (BLOCK as u64 + self.compressed + self.len as u64) * 8;
        let _ = self.append(&[0x80]);
        if self.len > STAGE_LEN - 8 {
            self.buf.as_flattened_mut()[self.len..].fill(0);
            compress256(&mut self.state, &self.buf[self.done..]);
            self.len = 0;
            self.done = 0;
        }
        let end = (self.len + 8).div_ceil(BLOCK) * BLOCK;
        let flat = self.buf.as_flattened_mut();
        flat[self.len..end - 8].fill(0);
        flat[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        compress256(&mut self.state, &self.buf[self.done..end / BLOCK]);
        digest_bytes(&self.state)
    }
}

impl Sink for InnerHash {
    #[inline(always)]
    fn put(&mut self, piece: &[u8]) {
        let _ = self.append(piece);
    }

    #[inline(always)]
    fn put_secret(&mut self, piece: &[u8]) {
        let start = self.len;
        let range = if self.append(piece) {
            (0, STAGE_LEN)
        } else {
            (start, self.len)
        };
        self.secret = if self.secret.0 == self.secret.1 {
            range
        } else {
            (self.secret.0.min(range.0), self.secret.1.max(range.1))
        };
    }
}

impl Drop for InnerHash {
    fn drop(&mut self) {
        let (from, to) = self.secret;
        self.buf.as_flattened_mut()[from..to].zeroize();
        self.state.zeroize();
    }
}

/// Copies `src` into `dst` (of the same length) with at most two fixed-size, possibly
/// overlapping moves for pieces up to 64 bytes, inline.
///
/// A base string is a dozen pieces of 1 to 64 bytes; `copy_from_slice` of a length only known
/// at run time is a call into the C library's `memmove` each, and those calls cost more than a
/// third of a signature's non-hash work. Pieces whose length is a constant resolve to their one
/// arm at compile time.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    debug_assert_eq!(dst.len(), src.len());
    let n = src.len();
    match n {
        0 => {}
        1..=3 => {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
        }
        4..=7 => copy_ends::<4>(dst, src),
        8..=15 => copy_ends::<8>(dst, src),
        16..=31 => copy_ends::<16>(dst, src),
        32..=64 => copy_ends::<32>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// The first and the last `K` bytes of `src` (`K <= src.len() <= 2 * K`) into `dst`.
#[inline(always)]
fn copy_ends<const K: usize>(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    dst[..K].copy_from_slice(&src[..K]);
    dst[n - K..n].copy_from_slice(&src[n - K..]);
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
    /// SHA-256 state after the key block XOR ipad.
    inner: [u32; 8],
    /// SHA-256 state after the key block XOR opad.
    outer: [u32; 8],
}

impl Signer {
    /// Precomputes the HMAC key state (RFC 2104). An empty secret is an error.
    pub fn new(secret: &[u8]) -> Result<Self, Error> {
        if secret.is_empty() {
            return Err(Error::EmptySecret);
        }
        // A key longer than a block is replaced by its hash; a shorter one is zero-padded.
        let mut key = [[0u8; BLOCK]];
        if secret.len() > BLOCK {
            let mut hashed: [u8; 32] = Sha256::digest(secret).into();
            key[0][..32].copy_from_slice(&hashed);
            hashed.zeroize();
        } else {
            key[0][..secret.len()].copy_from_slice(secret);
        }
        let mut pad = [[0u8; BLOCK]];
        for (p, k) in pad[0].iter_mut().zip(&key[0]) {
            *p = k ^ 0x36;
        }
        let mut inner = IV;
        compress256(&mut inner, &pad);
        for (p, k) in pad[0].iter_mut().zip(&key[0]) {
            *p = k ^ 0x5c;
        }
        let mut outer = IV;
        compress256(&mut outer, &pad);
        key.zeroize();
        pad.zeroize();
        Ok(Signer { inner, outer })
    }

    /// Signs a canonical request.
    pub fn sign(&self, request: &CanonicalRequest<'_>) -> Signature {
        let mut inner = InnerHash::new(self.inner);
        request.write_into(&mut inner, false);
        self.outer_hash(&mut inner)
    }

    /// The outer hash: the key block's state, then one block holding the inner digest.
    fn outer_hash(&self, inner: &mut InnerHash) -> Signature {
        let mut block = [[0u8; BLOCK]];
        block[0][..32].copy_from_slice(&inner.finish());
        block[0][32] = 0x80;
        block[0][BLOCK - 8..].copy_from_slice(&(((BLOCK + 32) * 8) as u64).to_be_bytes());
        let mut state = self.outer;
        compress256(&mut state, &block);
        Signature::from_bytes(digest_bytes(&state))
    }

    /// Validates and signs in one step: `url` as sent, the body bytes as sent.
    pub fn sign_request(
        &self,
        method: &str,
        url: &str,
        headers: &SignedHeaders<'_>,
        body: &[u8],
    ) -> Result<Signature, Error> {
        // Validated in the order `CanonicalRequest::new` validates. The base string up to the
        // body hash line does not depend on the body: its whole blocks are compressed
        // alternately with the body's (see `compress_alongside`).
        let method = Method::new(method)?;
        let path = canonical_path(url)?;
        let mut inner = InnerHash::new(self.inner);
        crate::canonical::write_head(method, path, headers, &mut inner, false);
        if body.is_empty() {
            inner.compress_full_blocks();
            inner.put(&BodyHash::EMPTY_HEX);
        } else {
            let hash = inner.compress_alongside(body);
            inner.put(&crate::body::lower_hex(&hash));
        }
        Ok(self.outer_hash(&mut inner))
    }

    /// Signs an arbitrary text as if it were a base string.
    ///
    /// For diagnosis only: explaining a rejected signature means reproducing what a faulty
    /// client signed (a query left on the path, mixed-case header names, `/api/v1` kept), which
    /// no valid [`CanonicalRequest`] can express. Never use it to sign a request that is sent:
    /// nothing here checks that `text` follows the spec.
    pub fn sign_base_string_for_diagnosis(&self, text: &str) -> Signature {
        let mut inner = InnerHash::new(self.inner);
        // The text may hold a store token.
        inner.put_secret(text.as_bytes());
        self.outer_hash(&mut inner)
    }

    /// Whether `signature` is this key's signature of `request`, compared in constant time.
    pub fn verify(&self, request: &CanonicalRequest<'_>, signature: &Signature) -> bool {
        self.sign(request) == *signature
    }
}

impl Drop for Signer {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

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
    use crate::Timestamp;
    use std::string::ToString;

    #[test]
    fn key_state_is_zeroed_on_drop() {
        fn zeroed_on_drop<T: ZeroizeOnDrop>() {}
        zeroed_on_drop::<Signer>();
        let mut signer = Signer::new(b"key").unwrap();
        assert_ne!(signer.inner, [0; 8]);
        // What `Drop` runs.
        signer.inner.zeroize();
        signer.outer.zeroize();
        assert_eq!((signer.inner, signer.outer), ([0; 8], [0; 8]));
    }

    /// The `hmac` crate's answer.
    fn reference(key: &[u8], message: &[u8]) -> [u8; 32] {
        use hmac::{KeyInit, Mac};
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn copy_short_copies_every_length_exactly() {
        let src: std::vec::Vec<u8> = (1..=100u8).collect();
        for n in 0..=100 {
            // Sentinels on both sides catch a write outside the piece.
            let mut dst = [0xee_u8; 102];
            copy_short(&mut dst[1..=n], &src[..n]);
            assert_eq!(&dst[1..=n], &src[..n], "length {n}");
            assert_eq!((dst[0], dst[n + 1]), (0xee, 0xee), "length {n}");
        }
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
                .sign_base_string_for_diagnosis(core::str::from_utf8(message).unwrap());
            assert_eq!(got.bare_hex().as_str(), want);
        }
    }

    #[test]
    fn matches_the_hmac_crate_at_every_length_and_split() {
        // Lengths around every padding and staging boundary, keys around the block size.
        let message: std::vec::Vec<u8> = (0..1300u32).map(|i| (i * 7 + 3) as u8).collect();
        for key_len in [1, 31, 63, 64, 65, 200] {
            let key = &message[..key_len];
            let signer = Signer::new(key).unwrap();
            for len in (0..=1300).filter(|n| n % 64 < 3 || n % 64 > 52 || n % 97 == 0) {
                let want = reference(key, &message[..len]);
                // In one piece, and in pieces of every size class, some marked secret.
                for piece in [len.max(1), 1, 7, 64, 100, 511, 512, 513] {
                    let mut inner = InnerHash::new(signer.inner);
                    for (i, chunk) in message[..len].chunks(piece).enumerate() {
                        if i % 3 == 1 {
                            inner.put_secret(chunk);
                        } else {
                            inner.put(chunk);
                        }
                        // Early compression, as `sign_request` does, at varied points.
                        if i % 2 == piece % 2 {
                            inner.compress_full_blocks();
                        }
                    }
                    let got = signer.outer_hash(&mut inner);
                    assert_eq!(
                        got.as_bytes(),
                        &want,
                        "key {key_len}, len {len}, piece {piece}"
                    );
                }
            }
        }
    }

    #[test]
    fn sign_request_equals_signing_the_canonical_request() {
        // Bodies around every block boundary, paths that leave 1 to 4 whole head blocks
        // staged: every way `compress_alongside` interleaves the two chains.
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
            let headers = SignedHeaders::new("ptnr_1", Timestamp::from_millis(1709024577000))
                .unwrap()
                .with_store("store_1", "stkn_secret")
                .unwrap();
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
