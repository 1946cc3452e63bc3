//! The canonical request and its base string.

use core::fmt;

use crate::{BodyHash, CanonicalPath, Error, Method, SignedHeaders, canonical_path};

/// Receives the pieces of a base string in order. The signer streams them into the MAC; the
/// debugging forms write them to a formatter. One writer serves both, so what is shown is
/// exactly what is signed.
pub(crate) trait Sink {
    fn put(&mut self, piece: &[u8]);
}

/// Everything the base string is made of, validated.
///
/// ```
/// use omni_sign::{BodyHash, CanonicalRequest, SignedHeaders, Timestamp};
/// let headers = SignedHeaders::new("ptnr_1".try_into().unwrap(), Timestamp::from_millis(1709024577000));
/// let req = CanonicalRequest::new("GET", "https://h/api/v1/partner/x?q=1", headers, BodyHash::EMPTY).unwrap();
/// assert_eq!(
///     req.base_string().to_string(),
///     "GET\n/partner/x\nx-partner-client-id:ptnr_1\nx-timestamp:1709024577000\n\
///      e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CanonicalRequest<'a> {
    method: Method<'a>,
    path: CanonicalPath<'a>,
    headers: SignedHeaders<'a>,
    body_hash: BodyHash,
}

impl<'a> CanonicalRequest<'a> {
    /// Validates `method`, derives the path from `url` (see [`canonical_path`]) and keeps the
    /// headers and body hash.
    pub fn new(
        method: &'a str,
        url: &'a str,
        headers: SignedHeaders<'a>,
        body_hash: BodyHash,
    ) -> Result<Self, Error> {
        Ok(CanonicalRequest {
            method: Method::new(method)?,
            path: canonical_path(url)?,
            headers,
            body_hash,
        })
    }

    /// Assembles already-validated parts.
    pub fn from_parts(
        method: Method<'a>,
        path: CanonicalPath<'a>,
        headers: SignedHeaders<'a>,
        body_hash: BodyHash,
    ) -> Self {
        CanonicalRequest {
            method,
            path,
            headers,
            body_hash,
        }
    }

    /// METHOD.
    pub fn method(&self) -> Method<'a> {
        self.method
    }

    /// PATH.
    pub fn path(&self) -> CanonicalPath<'a> {
        self.path
    }

    /// The signed headers.
    pub fn headers(&self) -> &SignedHeaders<'a> {
        &self.headers
    }

    /// BODYHASH.
    pub fn body_hash(&self) -> BodyHash {
        self.body_hash
    }

    /// The exact base string, `Display`-able. It holds the store token: for logs use
    /// [`CanonicalRequest::redacted`].
    pub fn base_string(&self) -> BaseString<'_, 'a> {
        BaseString {
            request: self,
            redact: false,
        }
    }

    /// The base string with the store token masked, for logs and error messages.
    pub fn redacted(&self) -> BaseString<'_, 'a> {
        BaseString {
            request: self,
            redact: true,
        }
    }

    /// Writes the exact base string into `out`.
    pub fn write_base_string<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        write!(out, "{}", self.base_string())
    }

    /// The exact base string as a `String`.
    #[cfg(feature = "alloc")]
    pub fn to_base_string(&self) -> alloc::string::String {
        use alloc::string::ToString;
        self.base_string().to_string()
    }

    /// Length in bytes of the exact base string.
    pub fn base_string_len(&self) -> usize {
        struct Count(usize);
        impl Sink for Count {
            fn put(&mut self, piece: &[u8]) {
                self.0 += piece.len();
            }
        }
        let mut n = Count(0);
        self.write_into(&mut n, false);
        n.0
    }

    /// Streams the base string into `sink`: METHOD, PATH, the header lines in canonical
    /// (sorted) order, BODYHASH, joined by single `\n` and with no trailing newline. With
    /// `redact`, the store token is replaced by [`crate::REDACTED`].
    pub(crate) fn write_into<S: Sink>(&self, sink: &mut S, redact: bool) {
        // Each header line's newline and name are one piece;
        // `line_prefixes_match_the_header_names` ties them to the name constants.
        let headers = &self.headers;
        sink.put(self.method.as_str().as_bytes());
        sink.put(b"\n");
        sink.put(self.path.as_str().as_bytes());
        sink.put(b"\nx-partner-client-id:");
        sink.put(headers.partner_client_id().as_str().as_bytes());
        if let (Some(id), Some(token)) = (headers.store_client_id(), headers.store_token()) {
            sink.put(b"\nx-store-client-id:");
            sink.put(id.as_str().as_bytes());
            sink.put(b"\nx-store-token:");
            let token = if redact {
                crate::REDACTED
            } else {
                token.expose_secret()
            };
            sink.put(token.as_bytes());
        }
        sink.put(b"\nx-timestamp:");
        sink.put(
            headers
                .timestamp()
                .digits(&mut itoa::Buffer::new())
                .as_bytes(),
        );
        sink.put(b"\n");
        sink.put(&self.body_hash.to_hex());
    }
}

impl fmt::Debug for CanonicalRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CanonicalRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers)
            .field("body_hash", &self.body_hash)
            .finish()
    }
}

/// A base string ready to be written, exact or redacted (see [`CanonicalRequest::base_string`]).
#[derive(Clone, Copy)]
pub struct BaseString<'r, 'a> {
    request: &'r CanonicalRequest<'a>,
    redact: bool,
}

impl fmt::Display for BaseString<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Fmt<'f, 'g> {
            f: &'f mut fmt::Formatter<'g>,
            result: fmt::Result,
        }
        impl Sink for Fmt<'_, '_> {
            fn put(&mut self, piece: &[u8]) {
                if self.result.is_ok() {
                    // Every piece is validated ASCII.
                    self.result = match core::str::from_utf8(piece) {
                        Ok(s) => self.f.write_str(s),
                        Err(_) => Err(fmt::Error),
                    };
                }
            }
        }
        let mut sink = Fmt { f, result: Ok(()) };
        self.request.write_into(&mut sink, self.redact);
        sink.result
    }
}

impl fmt::Debug for BaseString<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug never shows the store token, whatever form was asked for.
        let redacted = BaseString {
            request: self.request,
            redact: true,
        };
        write!(f, "BaseString({redacted})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use std::string::ToString;

    const GUIDE_GET: &str = "GET
/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e
x-partner-client-id:ptnr_1s4UqMnO64
x-store-client-id:str_TGIxyboe7-Rz
x-store-token:stkn_1G_R3r_5QTvwr_0O
x-timestamp:1709024577000
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn guide_get() -> CanonicalRequest<'static> {
        let headers = SignedHeaders::from_parts(
            "ptnr_1s4UqMnO64",
            Some("str_TGIxyboe7-Rz"),
            Some("stkn_1G_R3r_5QTvwr_0O"),
            Timestamp::from_millis(1709024577000),
        )
        .unwrap();
        CanonicalRequest::new(
            "GET",
            "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e?page=2",
            headers,
            BodyHash::of(b""),
        )
        .unwrap()
    }

    #[test]
    fn guide_get_example_verbatim() {
        let req = guide_get();
        assert_eq!(req.base_string().to_string(), GUIDE_GET);
        assert_eq!(req.to_base_string(), GUIDE_GET);
        assert_eq!(req.base_string_len(), GUIDE_GET.len());
        let mut s = std::string::String::new();
        req.write_base_string(&mut s).unwrap();
        assert_eq!(s, GUIDE_GET);
    }

    #[test]
    fn line_prefixes_match_the_header_names() {
        let headers =
            SignedHeaders::from_parts("p", Some("s"), Some("t"), Timestamp::from_millis(7))
                .unwrap();
        let req = CanonicalRequest::new("GET", "/", headers, BodyHash::EMPTY).unwrap();
        let mut want = std::string::String::from("GET\n/");
        headers.for_each(|name, value| want.push_str(&std::format!("\n{name}:{value}")));
        want.push_str(&std::format!("\n{}", BodyHash::EMPTY));
        assert_eq!(req.to_base_string(), want);
    }

    #[test]
    fn redacted_form_masks_only_the_store_token() {
        let req = guide_get();
        let red = req.redacted().to_string();
        assert_eq!(
            red,
            GUIDE_GET.replace("stkn_1G_R3r_5QTvwr_0O", crate::REDACTED)
        );
        for shown in [
            std::format!("{req:?}"),
            std::format!("{:?}", req.base_string()),
        ] {
            assert!(!shown.contains("stkn_1G_R3r_5QTvwr_0O"), "{shown}");
        }
    }
}
