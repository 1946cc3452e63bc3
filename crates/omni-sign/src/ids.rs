//! Validated values of the signed identity headers (`signed-headers`): the partner client id,
//! the store client id and the store token. Each is checked once, when it is made, so signing
//! takes them as they are; borrowed, so signing stays allocation-free.

use core::fmt;

use crate::Error;
use crate::headers::{PARTNER_CLIENT_ID, STORE_CLIENT_ID, STORE_TOKEN};

/// Checks a signed header value: non-empty visible ASCII (0x21..=0x7E) with inner spaces
/// allowed but none at either end. CR and LF above all: they could forge base-string lines.
/// The error names the header, never the value (it may be a secret).
fn check_value(name: &'static str, value: &str) -> Result<(), Error> {
    let b = value.as_bytes();
    // Every byte lies in ' '..='~' exactly when none lies more than 94 above ' ' (a byte below
    // ' ' wraps around to far above). A maximum over all bytes, with no early exit, is one
    // pass the compiler vectorises; the values are checked on every signature.
    let farthest = b.iter().fold(0u8, |far, &c| far.max(c.wrapping_sub(b' ')));
    let ok = farthest <= b'~' - b' '
        && b.first().is_some_and(|&c| c != b' ')
        && b.last().is_some_and(|&c| c != b' ');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidHeaderValue(name))
    }
}

/// An `x-partner-client-id` value, validated: non-empty visible ASCII, inner spaces allowed,
/// none at either end.
///
/// ```
/// use omni_sign::{Error, PartnerClientId};
/// assert_eq!(PartnerClientId::try_from("ptnr_1")?.as_str(), "ptnr_1");
/// assert_eq!(
///     PartnerClientId::try_from("ptnr_1\n"),
///     Err(Error::InvalidHeaderValue("x-partner-client-id"))
/// );
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartnerClientId<'a>(&'a str);

impl<'a> PartnerClientId<'a> {
    /// Validates `value`. Error: [`Error::InvalidHeaderValue`] naming `x-partner-client-id`.
    pub fn new(value: &'a str) -> Result<Self, Error> {
        check_value(PARTNER_CLIENT_ID, value).map(|()| PartnerClientId(value))
    }

    /// The value.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl<'a> TryFrom<&'a str> for PartnerClientId<'a> {
    type Error = Error;

    fn try_from(value: &'a str) -> Result<Self, Error> {
        PartnerClientId::new(value)
    }
}

impl fmt::Display for PartnerClientId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for PartnerClientId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PartnerClientId").field(&self.0).finish()
    }
}

/// An `x-store-client-id` value, validated as [`PartnerClientId`] is.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreClientId<'a>(&'a str);

impl<'a> StoreClientId<'a> {
    /// Validates `value`. Error: [`Error::InvalidHeaderValue`] naming `x-store-client-id`.
    pub fn new(value: &'a str) -> Result<Self, Error> {
        check_value(STORE_CLIENT_ID, value).map(|()| StoreClientId(value))
    }

    /// The value.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl<'a> TryFrom<&'a str> for StoreClientId<'a> {
    type Error = Error;

    fn try_from(value: &'a str) -> Result<Self, Error> {
        StoreClientId::new(value)
    }
}

impl fmt::Display for StoreClientId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for StoreClientId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoreClientId").field(&self.0).finish()
    }
}

/// A borrowed `x-store-token` value, validated as [`PartnerClientId`] is. A secret: `Debug`
/// prints `StoreTokenRef(REDACTED)`, there is no `Display`, and the text is reached only
/// through [`StoreTokenRef::expose_secret`].
///
/// ```
/// use omni_sign::StoreTokenRef;
/// let token = StoreTokenRef::try_from("stkn_1G_R3r_5QTvwr_0O")?;
/// assert_eq!(format!("{token:?}"), "StoreTokenRef(REDACTED)");
/// # Ok::<(), omni_sign::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StoreTokenRef<'a>(&'a str);

impl<'a> StoreTokenRef<'a> {
    /// Validates `value`. Error: [`Error::InvalidHeaderValue`] naming `x-store-token` (never
    /// the value).
    pub fn new(value: &'a str) -> Result<Self, Error> {
        check_value(STORE_TOKEN, value).map(|()| StoreTokenRef(value))
    }

    /// The token text, to sign it or send it. Do not log it.
    pub fn expose_secret(&self) -> &'a str {
        self.0
    }
}

impl<'a> TryFrom<&'a str> for StoreTokenRef<'a> {
    type Error = Error;

    fn try_from(value: &'a str) -> Result<Self, Error> {
        StoreTokenRef::new(value)
    }
}

impl fmt::Debug for StoreTokenRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreTokenRef({})", crate::REDACTED)
    }
}

#[cfg(feature = "alloc")]
pub use owned::StoreToken;

#[cfg(feature = "alloc")]
mod owned {
    use alloc::string::String;
    use core::fmt;

    use zeroize::{Zeroize, ZeroizeOnDrop};

    use super::{StoreTokenRef, check_value};
    use crate::Error;
    use crate::headers::STORE_TOKEN;

    /// An owned `x-store-token` value, validated, for holding a token beyond one request. Its
    /// text is zeroed when it is dropped; `Debug` prints `StoreToken(REDACTED)`; it lends a
    /// [`StoreTokenRef`] to sign with.
    ///
    /// ```
    /// use omni_sign::{SignedHeaders, StoreToken, Timestamp};
    /// let token: StoreToken = "stkn_1G_R3r_5QTvwr_0O".parse()?;
    /// let headers = SignedHeaders::new("ptnr_1".try_into()?, Timestamp::from_millis(1))
    ///     .with_store("str_1".try_into()?, token.as_token_ref());
    /// assert_eq!(format!("{token:?}"), "StoreToken(REDACTED)");
    /// # let _ = headers;
    /// # Ok::<(), omni_sign::Error>(())
    /// ```
    #[derive(Clone)]
    pub struct StoreToken(String);

    impl StoreToken {
        /// Takes ownership of `value` and validates it. Error: [`Error::InvalidHeaderValue`]
        /// naming `x-store-token`; the rejected text is zeroed before the error is returned.
        pub fn new(value: impl Into<String>) -> Result<Self, Error> {
            let mut value = value.into();
            match check_value(STORE_TOKEN, &value) {
                Ok(()) => Ok(StoreToken(value)),
                Err(e) => {
                    value.zeroize();
                    Err(e)
                }
            }
        }

        /// The token, borrowed for signing.
        pub fn as_token_ref(&self) -> StoreTokenRef<'_> {
            StoreTokenRef(&self.0)
        }

        /// The token text, to sign it or send it. Do not log it.
        pub fn expose_secret(&self) -> &str {
            &self.0
        }
    }

    impl<'a> From<&'a StoreToken> for StoreTokenRef<'a> {
        fn from(token: &'a StoreToken) -> Self {
            token.as_token_ref()
        }
    }

    impl TryFrom<String> for StoreToken {
        type Error = Error;

        fn try_from(value: String) -> Result<Self, Error> {
            StoreToken::new(value)
        }
    }

    impl TryFrom<&str> for StoreToken {
        type Error = Error;

        fn try_from(value: &str) -> Result<Self, Error> {
            StoreToken::new(value)
        }
    }

    impl core::str::FromStr for StoreToken {
        type Err = Error;

        fn from_str(value: &str) -> Result<Self, Error> {
            StoreToken::new(value)
        }
    }

    impl Drop for StoreToken {
        fn drop(&mut self) {
            self.0.zeroize();
        }
    }

    impl ZeroizeOnDrop for StoreToken {}

    impl fmt::Debug for StoreToken {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "StoreToken({})", crate::REDACTED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_must_be_visible_ascii_without_spaces_at_either_end() {
        for bad in ["", " a", "a ", "a\nb", "a\rb", "a\tb", "\u{7f}", "é", "a\0"] {
            assert_eq!(
                PartnerClientId::try_from(bad),
                Err(Error::InvalidHeaderValue(PARTNER_CLIENT_ID)),
                "{bad:?}"
            );
            assert_eq!(
                StoreClientId::try_from(bad),
                Err(Error::InvalidHeaderValue(STORE_CLIENT_ID)),
                "{bad:?}"
            );
            assert_eq!(
                StoreTokenRef::try_from(bad),
                Err(Error::InvalidHeaderValue(STORE_TOKEN)),
                "{bad:?}"
            );
            assert_eq!(
                StoreToken::new(bad).unwrap_err(),
                Error::InvalidHeaderValue(STORE_TOKEN),
                "{bad:?}"
            );
        }
        for good in ["p", "ptnr a", "!~"] {
            assert_eq!(PartnerClientId::try_from(good).unwrap().as_str(), good);
            assert_eq!(StoreClientId::try_from(good).unwrap().as_str(), good);
            assert_eq!(StoreTokenRef::try_from(good).unwrap().expose_secret(), good);
            assert_eq!(StoreToken::new(good).unwrap().expose_secret(), good);
        }
    }

    #[test]
    fn every_byte_is_judged_by_the_visible_ascii_rule_wherever_it_stands() {
        // Each byte value, alone between visible characters, at each end of a long value
        // (past any vector width) and in its middle: accepted exactly when 0x20..=0x7E, a
        // space only inside.
        for byte in 0..=255u8 {
            let inner = (b' '..=b'~').contains(&byte);
            let at_an_end = inner && byte != b' ';
            for (value, want) in [
                (std::vec![b'a', byte, b'b'], inner),
                ([&[byte][..], &[b'x'; 40]].concat(), at_an_end),
                ([&[b'x'; 40][..], &[byte]].concat(), at_an_end),
                ([&[b'x'; 20][..], &[byte], &[b'y'; 20]].concat(), inner),
            ] {
                // A byte past 0x7F is not text alone: it stands as U+FFFD, whose three bytes
                // are all past 0x7F too.
                let text = String::from_utf8(value.clone())
                    .unwrap_or_else(|_| String::from_utf8_lossy(&value).into_owned());
                assert_eq!(PartnerClientId::new(&text).is_ok(), want, "{byte:#04x}");
            }
        }
    }

    #[test]
    fn tokens_are_redacted_and_ids_are_shown() {
        let owned = StoreToken::new("stkn_secret").unwrap();
        let shown = std::format!(
            "{:?} {:?} {:?} {:?} {}",
            owned,
            owned.as_token_ref(),
            PartnerClientId::new("ptnr_1").unwrap(),
            StoreClientId::new("str_1").unwrap(),
            StoreClientId::new("str_1").unwrap(),
        );
        assert_eq!(
            shown,
            "StoreToken(REDACTED) StoreTokenRef(REDACTED) PartnerClientId(\"ptnr_1\") \
             StoreClientId(\"str_1\") str_1"
        );
        assert_eq!(StoreTokenRef::from(&owned).expose_secret(), "stkn_secret");
        let err = StoreToken::new("stkn\nsecret").unwrap_err().to_string();
        assert!(!err.contains("stkn"), "{err}");
    }

    #[test]
    fn the_owned_token_is_zeroed_on_drop() {
        fn zeroed_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroed_on_drop::<StoreToken>();
    }
}
