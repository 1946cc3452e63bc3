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
    // Scans of our own (`any`, `first`) rather than `str::find`: this runs on every signature,
    // and a pattern searcher costs more than the rest of the base string's assembly.
    let bytes = url.as_bytes();
    if any(bytes, |b| (b < 0x20) | (b == 0x7f)) {
        return Err(Error::InvalidUrl("control character in the URL"));
    }
    let path_start = if bytes.first() == Some(&b'/') {
        0
    } else {
        // Nearly every URL signed is https (or http, to a sandbox): an eight-byte compare
        // instead of the scheme scan.
        let scheme_len = if bytes.starts_with(b"https://") {
            5
        } else if bytes.starts_with(b"http://") {
            4
        } else {
            bytes
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || b"+-.".contains(&b)))
                .unwrap_or(bytes.len())
        };
        let valid_scheme = scheme_len > 0
            && bytes[0].is_ascii_alphabetic()
            && bytes[scheme_len..].starts_with(b"://");
        if !valid_scheme {
            return Err(if url.contains("://") {
                Error::InvalidUrl("invalid URL scheme")
            } else {
                Error::InvalidUrl(
                    "expected an absolute URL (https://host/...) or a path starting with '/'",
                )
            });
        }
        let authority_start = scheme_len + 3;
        let authority_len = first(&bytes[authority_start..], |b| {
            (b == b'/') | (b == b'?') | (b == b'#')
        })
        .unwrap_or(bytes.len() - authority_start);
        if authority_len == 0 {
            return Err(Error::InvalidUrl("missing host"));
        }
        authority_start + authority_len
    };
    let rest = &bytes[path_start..];
    // One scan finds the end of the path or, before it, a byte that cannot be sent raw.
    let stop = first(rest, |b| {
        (b == b'?') | (b == b'#') | (b == b' ') | (b >= 0x80)
    });
    let path_len = stop.unwrap_or(rest.len());
    if matches!(rest.get(path_len), Some(&b) if b == b' ' || b >= 0x80) {
        return Err(Error::InvalidUrl(
            "space or non-ASCII character in the path: percent-encode it as it is sent",
        ));
    }
    let path_end = path_start + path_len;
    // Both ends are at ASCII bytes (or the end), so they are char boundaries.
    let path = url.get(path_start..path_end).unwrap_or("");
    let path = match path.strip_prefix(API_PREFIX) {
        Some("") => "/",
        Some(stripped) if stripped.starts_with('/') => stripped,
        _ if path.is_empty() => "/",
        _ => path,
    };
    Ok(CanonicalPath(path))
}

/// Whether any byte of `bytes` satisfies `pred`, sixteen at a time.
///
/// A fold over a fixed 16-byte array, with no early exit inside it, compiles to one SIMD
/// compare per condition and a mask test (`pcmpeqb`/`pmovmskb` on x86-64), so a URL is checked
/// in a handful of instructions per 16 bytes; a byte loop, or `Iterator::any`, costs several
/// per byte, and URL parsing was the largest non-hash cost of a signature. The bytes after the
/// last whole chunk are checked as the last 16 bytes of `bytes`, overlapping the chunk before.
#[inline(always)]
fn any(bytes: &[u8], pred: impl Fn(u8) -> bool + Copy) -> bool {
    first(bytes, pred).is_some()
}

/// The index of the first byte of `bytes` that satisfies `pred`: chunks of 16 tested as in
/// [`any`], then the one chunk that matched searched byte by byte.
#[inline(always)]
fn first(bytes: &[u8], pred: impl Fn(u8) -> bool + Copy) -> Option<usize> {
    let hit = |chunk: &[u8; 16]| chunk.iter().fold(false, |found, &b| found | pred(b));
    let within =
        |chunk: &[u8; 16], offset: usize| chunk.iter().position(|&b| pred(b)).map(|at| offset + at);
    let (chunks, rest) = bytes.as_chunks::<16>();
    for (i, chunk) in chunks.iter().enumerate() {
        if hit(chunk) {
            return within(chunk, i * 16);
        }
    }
    if rest.is_empty() {
        return None;
    }
    match bytes.last_chunk::<16>() {
        // Overlaps the last whole chunk, which had no match: the first hit is in `rest`.
        Some(last) => hit(last).then(|| within(last, bytes.len() - 16)).flatten(),
        None => rest.iter().position(|&b| pred(b)),
    }
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
    fn first_finds_the_first_match_in_every_position() {
        // Matches at every offset of a chunk, after whole chunks and in the overlapping tail,
        // between bytes that are near the targets.
        for len in 0..70 {
            for at in 0..=len {
                for filler in [b'a', 0, 0x80, 0xff, b'?' + 1, b'#' - 1] {
                    let mut bytes = std::vec![filler; len];
                    if at < len {
                        bytes[at] = b'#';
                    }
                    if at + 1 < len {
                        bytes[at + 1] = b'?';
                    }
                    let is_target = |b: u8| (b == b'?') | (b == b'#');
                    let want = bytes.iter().position(|&b| is_target(b));
                    assert_eq!(first(&bytes, is_target), want, "{len} {at} {filler}");
                    assert_eq!(
                        any(&bytes, is_target),
                        want.is_some(),
                        "{len} {at} {filler}"
                    );
                }
            }
        }
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
