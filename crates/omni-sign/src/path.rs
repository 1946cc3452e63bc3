//! The PATH line (`path-rules`).

use core::fmt;

use crate::Error;

/// The PATH line of the base string: the path of the URL that is sent, with scheme, host,
/// query and fragment removed and a leading `/api/v1` segment stripped.
///
/// Built by [`canonical_path`]; `Display` writes it exactly as it is signed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CanonicalPath<'a>(&'a str);

impl<'a> CanonicalPath<'a> {
    /// The path as text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl fmt::Display for CanonicalPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for CanonicalPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

/// The prefix the guide strips, as a whole leading segment only.
const API_PREFIX: &str = "/api/v1";

/// Derives the signed PATH from the URL that is sent (`path-rules`).
///
/// `url` is an absolute URL (`https://host/api/v1/partner/x?q=1`) or a path (`/partner/x`).
/// Scheme, host, query and fragment are dropped; `/api/v1` is stripped only as a whole leading
/// segment (`/api/v1/x` -> `/x`, `/api/v10/x` unchanged, `/api/v1` alone -> `/`); an empty path
/// is `/`; percent-encoding and dot segments are kept exactly as sent.
///
/// Errors: a relative reference, a control character anywhere in `url`, or a space or non-ASCII
/// character in the path (no HTTP client sends those raw, so signing them would sign a path
/// that is never sent).
///
/// ```
/// use omni_sign::canonical_path;
/// let p = canonical_path("https://h.example/api/v1/partner/products?lang=id#top").unwrap();
/// assert_eq!(p.as_str(), "/partner/products");
/// assert_eq!(canonical_path("/api/v10/x").unwrap().as_str(), "/api/v10/x");
/// ```
pub fn canonical_path(url: &str) -> Result<CanonicalPath<'_>, Error> {
    // Every byte is looked at (a fold, with no early exit), so the check has no branch per byte.
    let has_control = url
        .bytes()
        .fold(false, |seen, b| seen | b.is_ascii_control());
    if has_control {
        return Err(Error::InvalidUrl("control character in the URL"));
    }
    // The fragment starts at the first `#`, the query at the first `?` before it: the target
    // ends at whichever comes first. (`memchr` looks at many bytes per instruction; the
    // delimiters are searched on every signature.)
    let target_len = memchr::memchr2(b'?', b'#', url.as_bytes()).unwrap_or(url.len());
    let target = &url[..target_len];
    let path = if target.starts_with('/') {
        target
    } else {
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://" and the authority.
        let scheme_len = target
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b"+-.".contains(&b)))
            .unwrap_or(target.len());
        let rest = &target[scheme_len..];
        let valid_scheme =
            scheme_len > 0 && target.as_bytes()[0].is_ascii_alphabetic() && rest.starts_with("://");
        if !valid_scheme {
            return Err(if url.contains("://") {
                Error::InvalidUrl("invalid URL scheme")
            } else {
                Error::InvalidUrl(
                    "expected an absolute URL (https://host/...) or a path starting with '/'",
                )
            });
        }
        // The authority runs up to the path's `/` (or to the end: an empty path).
        let authority_and_path = &rest["://".len()..];
        let authority_len =
            memchr::memchr(b'/', authority_and_path.as_bytes()).unwrap_or(authority_and_path.len());
        if authority_len == 0 {
            return Err(Error::InvalidUrl("missing host"));
        }
        &authority_and_path[authority_len..]
    };
    if memchr::memchr(b' ', path.as_bytes()).is_some() || !path.is_ascii() {
        return Err(Error::InvalidUrl(
            "space or non-ASCII character in the path: percent-encode it as it is sent",
        ));
    }
    let path = match path.strip_prefix(API_PREFIX) {
        Some("") => "/",
        Some(stripped) if stripped.starts_with('/') => stripped,
        _ if path.is_empty() => "/",
        _ => path,
    };
    Ok(CanonicalPath(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(url: &str) -> &str {
        canonical_path(url).unwrap().as_str()
    }

    #[test]
    fn strips_scheme_host_query_and_fragment() {
        assert_eq!(
            p("https://api.example.com/partner/products?lang=id&sku=SKU-1"),
            "/partner/products"
        );
        assert_eq!(p("http://127.0.0.1:8080/partner/x#frag"), "/partner/x");
        assert_eq!(p("https://user@h:1/partner/x?a#b"), "/partner/x");
        assert_eq!(p("/partner/x?q=/api/v1"), "/partner/x");
    }

    #[test]
    fn strips_api_v1_only_as_a_whole_leading_segment() {
        assert_eq!(
            p("https://partners-api.tocobagus.net/api/v1/partner/onboard/sessions"),
            "/partner/onboard/sessions"
        );
        assert_eq!(p("/api/v1"), "/");
        assert_eq!(p("/api/v1/"), "/");
        assert_eq!(p("/api/v1?x=1"), "/");
        assert_eq!(p("/api/v10/x"), "/api/v10/x");
        assert_eq!(p("/api/v1x"), "/api/v1x");
        assert_eq!(p("/api/v2/x"), "/api/v2/x");
        assert_eq!(p("/v1/api/v1/x"), "/v1/api/v1/x");
        assert_eq!(p("/api/v1/api/v1/x"), "/api/v1/x");
    }

    #[test]
    fn empty_path_is_root() {
        assert_eq!(p("https://h"), "/");
        assert_eq!(p("https://h?x=1"), "/");
        assert_eq!(p("https://h#f"), "/");
    }

    #[test]
    fn keeps_encoding_and_dot_segments_as_sent() {
        assert_eq!(p("/partner/a%2Fb/%E2%82%AC"), "/partner/a%2Fb/%E2%82%AC");
        assert_eq!(p("/partner/a%2fb"), "/partner/a%2fb");
        assert_eq!(p("/partner/./x/../y"), "/partner/./x/../y");
        assert_eq!(p("/partner//x"), "/partner//x");
    }

    #[test]
    fn rejects_what_cannot_be_sent() {
        for bad in [
            "",
            "partner/x",
            "://h/x",
            "1http://h/x",
            "https:///x",
            "/partner/x\n",
            "/partner/\rx",
            "/partner/\0",
            "https://h/a b",
            "/caf\u{e9}",
            "/x\u{7f}",
        ] {
            assert!(
                matches!(canonical_path(bad), Err(Error::InvalidUrl(_))),
                "{bad:?}"
            );
        }
    }
}
