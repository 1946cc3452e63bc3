//! The pitfalls of the authentication guide a faulty signer falls into (`pitfall-names`).

use std::fmt;

/// A pitfall a faulty signer may have fallen into. Each has a stable [`Pitfall::name`]:
/// scripts and other languages match on it, so a name keeps its meaning and is never reused
/// (`pitfall-names`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Pitfall {
    /// `query-signed`: the query string was left on PATH.
    QuerySigned,
    /// `pretty-vs-minified-body`: the body hashed is a whitespace twin of the body sent
    /// (pretty-printed, minified or spaced), keys in the same order.
    PrettyVsMinifiedBody,
    /// `api-v1-not-stripped`: `/api/v1` was left on PATH.
    ApiV1NotStripped,
    /// `header-names-not-lowercased`: header names kept their case in the base string.
    HeaderNamesNotLowercased,
    /// `store-headers-left-out`: the store headers were sent but not signed.
    StoreHeadersLeftOut,
    /// `stale-timestamp`: x-timestamp is outside the window.
    StaleTimestamp,
    /// `bare-hex-under-strict`: bare hex sent to a verifier that only accepts `sha256=<hex>`.
    BareHexUnderStrict,
    /// `timestamp-in-seconds`: x-timestamp holds epoch seconds, not milliseconds: it is
    /// outside the window, and a thousand times it is inside. Always reported together with
    /// `stale-timestamp`.
    TimestampInSeconds,
    /// `body-keys-reordered`: the body hashed has the same members as the body sent in
    /// another key order (sorted by key, as Go's `encoding/json` writes a map and Python's
    /// `sort_keys=True` does).
    BodyKeysReordered,
}

impl Pitfall {
    /// Every pitfall, in the order they are listed in a combination.
    pub const ALL: [Pitfall; 9] = [
        Pitfall::QuerySigned,
        Pitfall::PrettyVsMinifiedBody,
        Pitfall::ApiV1NotStripped,
        Pitfall::HeaderNamesNotLowercased,
        Pitfall::StoreHeadersLeftOut,
        Pitfall::StaleTimestamp,
        Pitfall::BareHexUnderStrict,
        Pitfall::TimestampInSeconds,
        Pitfall::BodyKeysReordered,
    ];

    /// The stable name (`query-signed`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Pitfall::QuerySigned => "query-signed",
            Pitfall::PrettyVsMinifiedBody => "pretty-vs-minified-body",
            Pitfall::ApiV1NotStripped => "api-v1-not-stripped",
            Pitfall::HeaderNamesNotLowercased => "header-names-not-lowercased",
            Pitfall::StoreHeadersLeftOut => "store-headers-left-out",
            Pitfall::StaleTimestamp => "stale-timestamp",
            Pitfall::BareHexUnderStrict => "bare-hex-under-strict",
            Pitfall::TimestampInSeconds => "timestamp-in-seconds",
            Pitfall::BodyKeysReordered => "body-keys-reordered",
        }
    }

    /// The pitfall of that name.
    pub fn from_name(name: &str) -> Option<Pitfall> {
        Pitfall::ALL.into_iter().find(|p| p.name() == name)
    }

    /// One sentence: what the signer did and what to do instead, citing the decision.
    pub fn advice(self) -> &'static str {
        match self {
            Pitfall::QuerySigned => {
                "the signer kept the query string on PATH; sign the path without `?...` (path-rules)"
            }
            Pitfall::PrettyVsMinifiedBody => {
                "the body hashed is not the body sent (pretty-printed vs minified); hash the exact bytes sent (body-hash-exact-bytes)"
            }
            Pitfall::ApiV1NotStripped => {
                "the signer kept the leading /api/v1 on PATH; strip it before signing (path-rules)"
            }
            Pitfall::HeaderNamesNotLowercased => {
                "the signer wrote header names in mixed case; lowercase them before sorting (signed-headers)"
            }
            Pitfall::StoreHeadersLeftOut => {
                "x-store-client-id and x-store-token were sent but not signed; include them in the signed headers (signed-headers)"
            }
            Pitfall::StaleTimestamp => {
                "x-timestamp is outside the window; sync the clock and recompute x-timestamp and x-signature on every retry (timestamp-window and retry-resigns)"
            }
            Pitfall::BareHexUnderStrict => {
                "the signature is bare hex but this server only accepts sha256=<hex> (signature-format)"
            }
            Pitfall::TimestampInSeconds => {
                "x-timestamp is in epoch seconds; send epoch milliseconds (Date.now(), not Date.now()/1000) and sign that value (timestamp-window)"
            }
            Pitfall::BodyKeysReordered => {
                "the body hashed has its keys in another order than the body sent (re-serialised, e.g. sorted); serialise once and hash and send those exact bytes (body-hash-exact-bytes)"
            }
        }
    }
}

impl fmt::Display for Pitfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
