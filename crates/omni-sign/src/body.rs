//! The BODYHASH line (`body-hash-exact-bytes`).

use core::fmt;

use sha2::block_api::compress256;
use sha2::{Digest, Sha256};

use crate::Error;

/// The SHA-256 of the exact body bytes sent; `Display` writes 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyHash([u8; 32]);

impl BodyHash {
    /// The hash of the empty body, `e3b0c442...b855`, used when a request has no body.
    pub const EMPTY: BodyHash = BodyHash([
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
        0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
        0xb8, 0x55,
    ]);

    /// Hashes a whole body at once.
    pub fn of(body: &[u8]) -> Self {
        // Most requests (every GET) have no body.
        if body.is_empty() {
            return BodyHash::EMPTY;
        }
        // Straight over the compression function: whole blocks from the body in one call,
        // the tail and padding from the stack. For small bodies the generic `Digest` path
        // (buffering, wrapper state, output copies) costs as much as a block or two.
        let mut state = SHA256_IV;
        let (blocks, tail) = body.as_chunks::<64>();
        compress256(&mut state, blocks);
        BodyHash(finish_sha256(&mut state, tail, body.len()))
    }

    /// Wraps a digest computed elsewhere.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        BodyHash(bytes)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).map_err(|_| Error::MalformedBodyHash)?;
        Ok(BodyHash(out))
    }

    /// The raw digest.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hex digits, as ASCII bytes on the stack.
    pub fn to_hex(&self) -> [u8; 64] {
        lower_hex(&self.0)
    }

    /// [`BodyHash::to_hex`] of [`BodyHash::EMPTY`], computed at compile time.
    pub(crate) const EMPTY_HEX: [u8; 64] = {
        let mut out = [0u8; 64];
        let mut i = 0;
        while i < 32 {
            out[2 * i] = hex_digit(BodyHash::EMPTY.0[i] >> 4);
            out[2 * i + 1] = hex_digit(BodyHash::EMPTY.0[i] & 0x0f);
            i += 1;
        }
        out
    };
}

impl fmt::Display for BodyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        f.write_str(core::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for BodyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BodyHash({self})")
    }
}

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
pub(crate) const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// Compresses the last, partial block `tail` of a message of `total_len` bytes with SHA-256's
/// padding (from the stack) and returns the digest.
pub(crate) fn finish_sha256(state: &mut [u32; 8], tail: &[u8], total_len: usize) -> [u8; 32] {
    let mut last = [[0u8; 64]; 2];
    let flat = last.as_flattened_mut();
    flat[..tail.len()].copy_from_slice(tail);
    flat[tail.len()] = 0x80;
    let end = if tail.len() < 56 { 64 } else { 128 };
    flat[end - 8..end].copy_from_slice(&((total_len as u64) * 8).to_be_bytes());
    compress256(state, &last[..end / 64]);
    digest_bytes(state)
}

/// A SHA-256 state as the digest's 32 bytes (each word big-endian).
pub(crate) fn digest_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Writes 32 bytes as 64 lowercase hex digits. It runs twice per signature (body hash line,
/// header value), on the path from one hash to the next: arithmetic on each nibble, which the
/// compiler vectorises, is half the time of a table lookup per byte (and a quarter of the
/// general-purpose encoder's).
pub(crate) fn write_lower_hex(bytes: &[u8; 32], out: &mut [u8; 64]) {
    for (pair, &byte) in out.as_chunks_mut::<2>().0.iter_mut().zip(bytes) {
        *pair = [hex_digit(byte >> 4), hex_digit(byte & 0x0f)];
    }
}

/// The lowercase hex digit of `nibble` (0..=15), without a branch: `(nibble + 6) >> 4` is 1
/// exactly for 10..=15, which move from after `'9'` to `'a'`.
const fn hex_digit(nibble: u8) -> u8 {
    nibble + b'0' + ((nibble + 6) >> 4) * (b'a' - b'0' - 10)
}

/// [`write_lower_hex`] into a new array.
pub(crate) fn lower_hex(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    write_lower_hex(bytes, &mut out);
    out
}

/// A streaming body hash, for large bodies fed in chunks.
///
/// ```
/// use omni_sign::{BodyHash, BodyHasher};
/// let mut h = BodyHasher::new();
/// h.update(b"{\"a\":");
/// h.update(b"1}");
/// assert_eq!(h.finalize(), BodyHash::of(b"{\"a\":1}"));
/// ```
#[derive(Clone, Default)]
pub struct BodyHasher(Sha256);

impl BodyHasher {
    /// An empty hasher.
    pub fn new() -> Self {
        BodyHasher(Sha256::new())
    }

    /// Feeds the next chunk of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        Digest::update(&mut self.0, chunk);
    }

    /// The hash of everything fed.
    pub fn finalize(self) -> BodyHash {
        BodyHash(self.0.finalize().into())
    }
}

impl fmt::Debug for BodyHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BodyHasher")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn empty_body_hash_is_the_guides_constant() {
        assert_eq!(BodyHash::of(b""), BodyHash::EMPTY);
        assert_eq!(
            BodyHash::EMPTY.to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn empty_hex_constant_is_the_empty_hash() {
        assert_eq!(BodyHash::EMPTY_HEX, BodyHash::EMPTY.to_hex());
    }

    #[test]
    fn one_shot_matches_sha2_around_every_padding_boundary() {
        let body: std::vec::Vec<u8> = (0..300u32).map(|i| (i * 13 + 1) as u8).collect();
        for len in 0..=body.len() {
            let want: [u8; 32] = Sha256::digest(&body[..len]).into();
            assert_eq!(BodyHash::of(&body[..len]).as_bytes(), &want, "length {len}");
        }
    }

    #[test]
    fn streaming_equals_one_shot_at_every_split() {
        let body: std::vec::Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        for split in [0, 1, 63, 64, 65, 128, 299, 300] {
            let mut h = BodyHasher::new();
            h.update(&body[..split]);
            h.update(&body[split..]);
            assert_eq!(h.finalize(), BodyHash::of(&body));
        }
    }

    #[test]
    fn one_shot_matches_sha2_at_every_padding_boundary() {
        let body: std::vec::Vec<u8> = (0..400u32).map(|i| (i * 13 + 5) as u8).collect();
        for len in 0..=body.len() {
            let want: [u8; 32] = Sha256::digest(&body[..len]).into();
            assert_eq!(BodyHash::of(&body[..len]).0, want, "{len}");
        }
    }

    #[test]
    fn hex_digits_of_every_byte_value() {
        for byte in 0..=255u8 {
            let mut bytes = [0u8; 32];
            bytes[usize::from(byte) % 32] = byte;
            assert_eq!(
                &lower_hex(&bytes)[..],
                hex::encode(bytes).as_bytes(),
                "{byte}"
            );
        }
    }

    #[test]
    fn lower_hex_matches_the_hex_crate() {
        for seed in 0..=255u8 {
            let bytes: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ seed);
            assert_eq!(&lower_hex(&bytes)[..], hex::encode(bytes).as_bytes());
        }
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = BodyHash::of(b"x");
        assert_eq!(BodyHash::from_hex(&h.to_string()), Ok(h));
        assert_eq!(BodyHash::from_hex(&h.to_string().to_uppercase()), Ok(h));
        assert_eq!(BodyHash::from_hex("abc"), Err(Error::MalformedBodyHash));
        assert_eq!(
            BodyHash::from_hex(&"g".repeat(64)),
            Err(Error::MalformedBodyHash)
        );
    }
}
