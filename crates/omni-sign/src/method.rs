//! The METHOD line.

use core::fmt;

use crate::Error;

/// A validated HTTP method: an uppercase HTTP token (`GET`, `POST`, `DELETE`, `PATCH`, `PUT`, ...).
///
/// A lowercase method is an error rather than being uppercased: the method signed must be the
/// method sent.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method<'a>(&'a str);

impl<'a> Method<'a> {
    /// `GET`.
    pub const GET: Method<'static> = Method("GET");
    /// `POST`.
    pub const POST: Method<'static> = Method("POST");
    /// `PUT`.
    pub const PUT: Method<'static> = Method("PUT");
    /// `PATCH`.
    pub const PATCH: Method<'static> = Method("PATCH");
    /// `DELETE`.
    pub const DELETE: Method<'static> = Method("DELETE");

    /// Validates `method`: one or more RFC 9110 token characters, no lowercase letters.
    pub fn new(method: &'a str) -> Result<Self, Error> {
        let valid = !method.is_empty()
            && method.bytes().all(|b| {
                b.is_ascii_uppercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
            });
        if valid {
            Ok(Method(method))
        } else {
            Err(Error::InvalidMethod)
        }
    }

    /// The method as text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_uppercase_tokens() {
        for m in [
            "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "M-SEARCH",
        ] {
            assert_eq!(Method::new(m).unwrap().as_str(), m);
        }
    }

    #[test]
    fn rejects_lowercase_empty_and_separators() {
        for m in [
            "", "get", "Post", "GET ", " GET", "GE T", "GET\n", "GÉT", "GET/",
        ] {
            assert_eq!(Method::new(m), Err(Error::InvalidMethod), "{m:?}");
        }
    }
}
