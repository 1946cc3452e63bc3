//! The `x-signature` value (`signature-format`).
//!
//! Hex goes through RustCrypto's `base16ct`, which encodes and decodes without branches or
//! table lookups that depend on the bytes: a signature's digits take the same time to write,
//! and a received one the same time to parse, whatever their value.

use core::fmt;

use subtle::ConstantTimeEq;

use crate::Error;

/// How a signature is written in `x-signature`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SignatureFormat {
    /// `sha256=<hex>`, as the authentication guide specifies. The default.
    #[default]
    Prefixed,
    /// Bare `<hex>`, as the onboard-session page's example shows.
    BareHex,
}

/// An HMAC-SHA256 request signature. `Display` writes `sha256=<64 lowercase hex>`;
/// [`Signature::bare_hex`] the other form. Equality is compared in constant time.
#[derive(Clone, Copy)]
pub struct Signature([u8; 32]);

/// The prefix of the guide's signature format.
const PREFIX: &str = "sha256=";

impl Signature {
    /// Wraps a raw HMAC-SHA256 output.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Signature(bytes)
    }

    /// The raw 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses a received `x-signature`. `sha256=<hex>` is always accepted; bare hex only when
    /// `strict` is false. Hex digits may be of either case.
    pub fn parse(text: &str, strict: bool) -> Result<Self, Error> {
        let hex_part = match text.strip_prefix(PREFIX) {
            Some(rest) => rest,
            None if !strict => text,
            None => return Err(Error::MalformedSignature),
        };
        let mut out = [0u8; 32];
        // Exactly 64 digits: fewer would decode into part of `out`, more do not fit.
        let decoded_len = base16ct::mixed::decode(hex_part, &mut out).map(|bytes| bytes.len());
        if decoded_len != Ok(out.len()) {
            return Err(Error::MalformedSignature);
        }
        Ok(Signature(out))
    }

    /// The header value in `format`, written on the stack.
    pub fn encode(&self, format: SignatureFormat) -> SignatureText {
        let mut buf = [0u8; 71];
        let start = match format {
            SignatureFormat::Prefixed => {
                buf[..PREFIX.len()].copy_from_slice(PREFIX.as_bytes());
                PREFIX.len()
            }
            SignatureFormat::BareHex => 0,
        };
        // Fails only when the output is shorter than twice the input, which the types rule out.
        let _ = base16ct::lower::encode(&self.0, &mut buf[start..start + 64]);
        SignatureText {
            buf,
            len: (start + 64) as u8,
        }
    }

    /// The bare-hex form, `Display`-able.
    pub fn bare_hex(&self) -> SignatureText {
        self.encode(SignatureFormat::BareHex)
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Signature {}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encode(SignatureFormat::Prefixed).as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

/// A signature written as header text, on the stack (no allocation).
#[derive(Clone, Copy)]
pub struct SignatureText {
    buf: [u8; 71],
    len: u8,
}

impl SignatureText {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII was written.
        core::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

impl AsRef<str> for SignatureText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for SignatureText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SignatureText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    const HEX: &str = "bdbb8833fe43671e058b56dace75763a78a2edf8de7365afb6f534d750056e80";

    #[test]
    fn both_forms_parse_and_display() {
        let prefixed = std::format!("sha256={HEX}");
        let s = Signature::parse(&prefixed, true).unwrap();
        assert_eq!(s.to_string(), prefixed);
        assert_eq!(s.bare_hex().as_str(), HEX);
        assert_eq!(Signature::parse(HEX, false), Ok(s));
        assert_eq!(Signature::parse(&HEX.to_uppercase(), false), Ok(s));
    }

    #[test]
    fn strict_mode_requires_the_prefix() {
        assert_eq!(Signature::parse(HEX, true), Err(Error::MalformedSignature));
    }

    #[test]
    fn malformed_signatures() {
        for bad in [
            "",
            "sha256=",
            "sha256=abc",
            "SHA256=00",
            &HEX[1..],
            &HEX[2..],
            &std::format!("zz{}", &HEX[2..]),
            &std::format!("{}\u{e9}", &HEX[2..]),
            "sha256= 00",
        ] {
            assert_eq!(
                Signature::parse(bad, false),
                Err(Error::MalformedSignature),
                "{bad:?}"
            );
        }
        let long = std::format!("{HEX}00");
        assert_eq!(
            Signature::parse(&long, false),
            Err(Error::MalformedSignature)
        );
    }
}
