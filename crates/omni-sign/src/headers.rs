//! The signed header lines (`signed-headers` and `timestamp-window`).

use core::fmt;

use crate::{Error, PartnerClientId, StoreClientId, StoreTokenRef};

/// `x-partner-client-id`.
pub const PARTNER_CLIENT_ID: &str = "x-partner-client-id";
/// `x-store-client-id`.
pub const STORE_CLIENT_ID: &str = "x-store-client-id";
/// `x-store-token`.
pub const STORE_TOKEN: &str = "x-store-token";
/// `x-timestamp`.
pub const TIMESTAMP: &str = "x-timestamp";
/// `x-signature`.
pub const SIGNATURE: &str = "x-signature";

/// `x-timestamp`: integer epoch milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// A timestamp of `ms` milliseconds since the Unix epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    /// The milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Parses a received `x-timestamp` value: ASCII digits only, no sign, no leading zero
    /// (so the value signed is exactly the value written back), at most `u64::MAX`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bytes = text.as_bytes();
        let well_formed = !bytes.is_empty()
            && bytes.iter().all(u8::is_ascii_digit)
            && (bytes[0] != b'0' || bytes.len() == 1);
        if !well_formed {
            return Err(Error::MalformedTimestamp);
        }
        text.parse()
            .map(Timestamp)
            .map_err(|_| Error::MalformedTimestamp)
    }

    /// The decimal digits, written into `buf` (dtolnay's `itoa`: two digits per step from a
    /// table, where a plain loop divides once per digit; the timestamp is written on every
    /// signature).
    pub(crate) fn digits(self, buf: &mut itoa::Buffer) -> &str {
        buf.format(self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.digits(&mut itoa::Buffer::new()))
    }
}

/// The signed headers of one request: the partner client id, the optional store delegation
/// pair and the timestamp, each validated when it was made. Their lines are written lowercased
/// and sorted, as `name:value` with no spaces.
///
/// Borrowed and `Copy`: building one allocates nothing. `Debug` masks the store token.
///
/// ```
/// use omni_sign::{PartnerClientId, SignedHeaders, StoreClientId, StoreTokenRef, Timestamp};
/// let headers = SignedHeaders::new(PartnerClientId::new("ptnr_1")?, Timestamp::from_millis(5))
///     .with_store(StoreClientId::new("str_1")?, StoreTokenRef::new("stkn_1")?);
/// assert_eq!(headers.store_client_id().map(|id| id.as_str()), Some("str_1"));
/// # Ok::<(), omni_sign::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    partner_client_id: PartnerClientId<'a>,
    store: Option<(StoreClientId<'a>, StoreTokenRef<'a>)>,
    timestamp: Timestamp,
}

impl<'a> SignedHeaders<'a> {
    /// Headers of a partner-level call (no store delegation).
    pub fn new(partner_client_id: PartnerClientId<'a>, timestamp: Timestamp) -> Self {
        SignedHeaders {
            partner_client_id,
            store: None,
            timestamp,
        }
    }

    /// Adds store delegation: both `x-store-client-id` and `x-store-token`.
    pub fn with_store(
        mut self,
        store_client_id: StoreClientId<'a>,
        store_token: StoreTokenRef<'a>,
    ) -> Self {
        self.store = Some((store_client_id, store_token));
        self
    }

    /// Validates and builds from text, the store parts optional; one without the other is an
    /// error, never a silent omission (`signed-headers`). Values are checked in the order
    /// partner id, store id, store token.
    pub fn from_parts(
        partner_client_id: &'a str,
        store_client_id: Option<&'a str>,
        store_token: Option<&'a str>,
        timestamp: Timestamp,
    ) -> Result<Self, Error> {
        let headers = SignedHeaders::new(PartnerClientId::new(partner_client_id)?, timestamp);
        match (store_client_id, store_token) {
            (None, None) => Ok(headers),
            (Some(id), Some(token)) => {
                Ok(headers.with_store(StoreClientId::new(id)?, StoreTokenRef::new(token)?))
            }
            (Some(_), None) => Err(Error::StoreTokenMissing),
            (None, Some(_)) => Err(Error::StoreClientIdMissing),
        }
    }

    /// Picks the signed headers out of received `(name, value)` pairs, names matched without
    /// regard to case; other headers are ignored. A signed header given twice is an error.
    pub fn from_received<I>(headers: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut partner = None;
        let mut store_id = None;
        let mut store_token = None;
        let mut timestamp = None;
        for (name, value) in headers {
            let (slot, canonical) = if name.eq_ignore_ascii_case(PARTNER_CLIENT_ID) {
                (&mut partner, PARTNER_CLIENT_ID)
            } else if name.eq_ignore_ascii_case(STORE_CLIENT_ID) {
                (&mut store_id, STORE_CLIENT_ID)
            } else if name.eq_ignore_ascii_case(STORE_TOKEN) {
                (&mut store_token, STORE_TOKEN)
            } else if name.eq_ignore_ascii_case(TIMESTAMP) {
                (&mut timestamp, TIMESTAMP)
            } else {
                continue;
            };
            if slot.replace(value).is_some() {
                return Err(Error::DuplicateHeader(canonical));
            }
        }
        let partner = partner.ok_or(Error::MissingHeader(PARTNER_CLIENT_ID))?;
        let timestamp = Timestamp::parse(timestamp.ok_or(Error::MissingHeader(TIMESTAMP))?)?;
        SignedHeaders::from_parts(partner, store_id, store_token, timestamp)
    }

    /// `x-partner-client-id`.
    pub fn partner_client_id(&self) -> PartnerClientId<'a> {
        self.partner_client_id
    }

    /// `x-store-client-id`, when store-scoped.
    pub fn store_client_id(&self) -> Option<StoreClientId<'a>> {
        self.store.map(|(id, _)| id)
    }

    /// `x-store-token`, when store-scoped.
    pub fn store_token(&self) -> Option<StoreTokenRef<'a>> {
        self.store.map(|(_, token)| token)
    }

    /// `x-timestamp`.
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    /// Calls `f(name, value)` for each signed header in canonical (sorted) order, e.g. to set
    /// them on an outgoing request. The timestamp is passed as its decimal digits.
    pub fn for_each(&self, mut f: impl FnMut(&'static str, &str)) {
        f(PARTNER_CLIENT_ID, self.partner_client_id.as_str());
        if let Some((id, token)) = self.store {
            f(STORE_CLIENT_ID, id.as_str());
            f(STORE_TOKEN, token.expose_secret());
        }
        f(TIMESTAMP, self.timestamp.digits(&mut itoa::Buffer::new()));
    }
}

impl fmt::Debug for SignedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedHeaders")
            .field("partner_client_id", &self.partner_client_id.as_str())
            .field(
                "store_client_id",
                &self.store_client_id().map(|id| id.as_str()),
            )
            .field("store_token", &self.store.map(|_| crate::REDACTED))
            .field("timestamp", &self.timestamp.0)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn timestamp_parse() {
        assert_eq!(
            Timestamp::parse("1709024577000"),
            Ok(Timestamp(1709024577000))
        );
        assert_eq!(Timestamp::parse("0"), Ok(Timestamp(0)));
        assert_eq!(
            Timestamp::parse("18446744073709551615"),
            Ok(Timestamp(u64::MAX))
        );
        for bad in [
            "",
            "-1",
            "+1",
            "01",
            "1.0",
            "1e3",
            " 1",
            "1 ",
            "18446744073709551616",
            "١٢",
        ] {
            assert_eq!(
                Timestamp::parse(bad),
                Err(Error::MalformedTimestamp),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn timestamp_display_round_trips() {
        for n in [0, 7, 10, 1709024577000, u64::MAX] {
            let t = Timestamp(n);
            assert_eq!(t.to_string(), std::format!("{n}"));
            assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
        }
    }

    #[test]
    fn timestamp_digits_match_the_standard_formatter() {
        // Every digit count on both sides of each power of ten, and a sweep of other values.
        let mut cases: std::vec::Vec<u64> = (0..=20)
            .flat_map(|e| {
                let p = 10u64.checked_pow(e).unwrap_or(u64::MAX);
                [p.saturating_sub(1), p, p.saturating_add(1)]
            })
            .collect();
        cases.extend((0..200_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (i % 64)));
        cases.extend((0..100_000u64).map(|i| i * 1_009));
        for n in cases {
            assert_eq!(
                Timestamp(n).digits(&mut itoa::Buffer::new()),
                std::format!("{n}")
            );
        }
    }

    #[test]
    fn from_parts_validates_every_value() {
        let ts = Timestamp(1);
        assert_eq!(
            SignedHeaders::from_parts("p\n", None, None, ts),
            Err(Error::InvalidHeaderValue(PARTNER_CLIENT_ID))
        );
        assert_eq!(
            SignedHeaders::from_parts("p", Some("s\n"), Some("t"), ts),
            Err(Error::InvalidHeaderValue(STORE_CLIENT_ID))
        );
        assert_eq!(
            SignedHeaders::from_parts("p", Some("s"), Some("t\r\n"), ts),
            Err(Error::InvalidHeaderValue(STORE_TOKEN))
        );
        assert!(SignedHeaders::from_parts("ptnr a", Some("s"), Some("t"), ts).is_ok());
    }

    #[test]
    fn store_parts_come_in_pairs() {
        let ts = Timestamp(1);
        assert_eq!(
            SignedHeaders::from_parts("p", Some("s"), None, ts),
            Err(Error::StoreTokenMissing)
        );
        assert_eq!(
            SignedHeaders::from_parts("p", None, Some("t"), ts),
            Err(Error::StoreClientIdMissing)
        );
    }

    #[test]
    fn from_received_matches_names_case_insensitively() {
        let h = SignedHeaders::from_received([
            ("Content-Type", "application/json"),
            ("X-Timestamp", "5"),
            ("X-STORE-TOKEN", "t"),
            ("x-Partner-Client-Id", "p"),
            ("x-store-client-id", "s"),
        ])
        .unwrap();
        assert_eq!(
            h,
            SignedHeaders::from_parts("p", Some("s"), Some("t"), Timestamp(5)).unwrap()
        );
        assert_eq!(
            SignedHeaders::from_received([
                ("x-timestamp", "5"),
                ("x-partner-client-id", "p"),
                ("X-Partner-Client-Id", "q")
            ]),
            Err(Error::DuplicateHeader(PARTNER_CLIENT_ID))
        );
        assert_eq!(
            SignedHeaders::from_received([("x-timestamp", "5")]),
            Err(Error::MissingHeader(PARTNER_CLIENT_ID))
        );
        assert_eq!(
            SignedHeaders::from_received([("x-partner-client-id", "p")]),
            Err(Error::MissingHeader(TIMESTAMP))
        );
    }

    #[test]
    fn debug_masks_the_store_token() {
        let h =
            SignedHeaders::from_parts("p", Some("s"), Some("stkn_secret"), Timestamp(5)).unwrap();
        let out = std::format!("{h:?}");
        assert!(!out.contains("stkn_secret"), "{out}");
        assert!(out.contains("REDACTED"), "{out}");
    }
}
