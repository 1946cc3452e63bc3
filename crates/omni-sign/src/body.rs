//! The BODYHASH line (`body-hash-exact-bytes`).

use core::fmt;

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
        // Most requests (every GET) have no body, and its hash is a known constant.
        if body.is_empty() {
            return BodyHash::EMPTY;
        }
        BodyHash(Sha256::digest(body).into())
    }

    /// Wraps a digest computed elsewhere.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        BodyHash(bytes)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut out = [0u8; 32];
        // Exactly 64 digits: fewer would decode into part of `out`, more do not fit.
        let decoded_len = base16ct::mixed::decode(text, &mut out).map(|bytes| bytes.len());
        if decoded_len != Ok(out.len()) {
            return Err(Error::MalformedBodyHash);
        }
        Ok(BodyHash(out))
    }

    /// The raw digest.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hex digits, as ASCII bytes on the stack.
    pub fn to_hex(&self) -> [u8; 64] {
        // Most requests (every GET) have no body, and its hash's digits are a known constant.
        if *self == BodyHash::EMPTY {
            return *EMPTY_HEX;
        }
        lower_hex(&self.0)
    }
}

/// [`BodyHash::EMPTY`] in hex.
const EMPTY_HEX: &[u8; 64] = b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

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

/// 32 bytes as 64 lowercase hex digits (ASCII), on the stack, in constant time (`base16ct`,
/// as for signatures).
pub(crate) fn lower_hex(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    // Fails only when the output is shorter than twice the input, which the types rule out.
    let _ = base16ct::lower::encode(bytes, &mut out);
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
    fn empty_hex_constant_is_the_empty_hash_in_hex() {
        assert_eq!(&EMPTY_HEX[..], hex::encode(BodyHash::EMPTY.0).as_bytes());
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
        let hex = h.to_string();
        for wrong_length in [&hex[2..], &std::format!("{hex}00")] {
            assert_eq!(
                BodyHash::from_hex(wrong_length),
                Err(Error::MalformedBodyHash)
            );
        }
        assert_eq!(
            BodyHash::from_hex(&"g".repeat(64)),
            Err(Error::MalformedBodyHash)
        );
    }
}
