//! Properties of the signing scheme, 1,000 generated cases each (issue 2, "Evidence it works").

use omni_sign::{
    BodyHash, CanonicalRequest, DEFAULT_TOLERANCE_MS, Error, ReceivedBody, ReceivedRequest,
    Signature, SignedHeaders, Signer, Timestamp, Verifier, canonical_path, header,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// A signed header value: visible ASCII, inner spaces allowed, none at either end
/// (`signed-headers`).
fn value() -> impl Strategy<Value = String> {
    "[!-~]([ -~]{0,14}[!-~])?"
}

/// A secret as partners hold them: printable text. (Arbitrary bytes would break the
/// "different secret, different signature" property for reasons of HMAC itself, not of this
/// crate: HMAC pads short keys with zero bytes, so `k` and `k\0` are the same key.)
fn secret() -> impl Strategy<Value = String> {
    "[!-~]{1,80}"
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("POST".to_owned()),
        Just("PUT".to_owned()),
        Just("PATCH".to_owned()),
        Just("DELETE".to_owned()),
        "[A-Z][A-Z0-9!#$%&'*+.^_`|~-]{0,7}",
    ]
}

/// A path as sent, never under `/api/`, so the signed PATH is the path itself.
fn path() -> impl Strategy<Value = String> {
    "/[a-zA-Z0-9%:@!$&'()*+,;=._~-]{0,12}(/[a-zA-Z0-9%._~-]{0,8}){0,3}"
        .prop_filter("not under /api/v1", |p| {
            p != "/api/v1" && !p.starts_with("/api/v1/")
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..200)
}

/// Realistic epoch milliseconds, far from both ends of `u64` so the window can be moved.
fn timestamp() -> impl Strategy<Value = u64> {
    1_000_000_000_000u64..=4_000_000_000_000
}

/// Signed headers from a partner id, an optional (store id, store token) pair and a timestamp.
fn headers_of<'a>(
    partner: &'a str,
    store: Option<&'a (String, String)>,
    ts: u64,
) -> Result<SignedHeaders<'a>, Error> {
    SignedHeaders::from_parts(
        partner,
        store.map(|(id, _)| id.as_str()),
        store.map(|(_, token)| token.as_str()),
        Timestamp::from_millis(ts),
    )
}

#[derive(Clone, Debug)]
struct Input {
    secret: String,
    method: String,
    path: String,
    partner: String,
    store: Option<(String, String)>,
    ts: u64,
    body: Vec<u8>,
}

fn input() -> impl Strategy<Value = Input> {
    (
        secret(),
        method(),
        path(),
        value(),
        prop::option::of((value(), value())),
        timestamp(),
        body(),
    )
        .prop_map(|(secret, method, path, partner, store, ts, body)| Input {
            secret,
            method,
            path,
            partner,
            store,
            ts,
            body,
        })
}

impl Input {
    fn headers(&self) -> SignedHeaders<'_> {
        headers_of(&self.partner, self.store.as_ref(), self.ts)
            .expect("generated headers are valid")
    }

    fn sign_url(&self, url: &str) -> Signature {
        Signer::new(self.secret.as_bytes())
            .unwrap()
            .sign_request(&self.method, url, &self.headers(), &self.body)
            .unwrap()
    }

    fn sign(&self) -> Signature {
        self.sign_url(&self.path)
    }

    /// The signed headers as `(name, value)` pairs, canonical names.
    fn header_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        self.headers()
            .for_each(|name, value| pairs.push((name, value.to_owned())));
        pairs
    }
}

/// Verifies `input` signed with its own secret, receiving `headers` (signature appended).
fn verify_received(input: &Input, headers: &[(String, String)], now: u64) -> Result<usize, Error> {
    let sig = input.sign().to_string();
    let mut received: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    received.push(("x-signature", &sig));
    let verifier = Verifier::new(input.secret.as_bytes())?;
    verifier
        .verify(
            &ReceivedRequest {
                method: &input.method,
                url: &input.path,
                headers: &received,
                body: ReceivedBody::Bytes(&input.body),
            },
            now,
        )
        .map(|ok| ok.key_index)
}

fn canonical_received(input: &Input) -> Vec<(String, String)> {
    input
        .header_pairs()
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect()
}

/// Flips the case of the letters of `name` where `mask` says so.
fn recase(name: &str, mask: u32) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask & (1 << (i % 32)) != 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// One signed component replaced by another value.
#[derive(Clone, Debug)]
enum Change {
    Method(String),
    Path(String),
    Partner(String),
    StoreId(String),
    StoreToken(String),
    Timestamp(u64),
    BodyByte(Index, u8),
    Secret(String),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        method().prop_map(Change::Method),
        path().prop_map(Change::Path),
        value().prop_map(Change::Partner),
        value().prop_map(Change::StoreId),
        value().prop_map(Change::StoreToken),
        timestamp().prop_map(Change::Timestamp),
        (any::<Index>(), 1u8..=255).prop_map(|(i, x)| Change::BodyByte(i, x)),
        secret().prop_map(Change::Secret),
    ]
}

/// Applies `change`; `None` when it does not change the input (same value, or no body or no
/// store to change).
fn apply(input: &Input, change: &Change) -> Option<Input> {
    let mut out = input.clone();
    match change {
        Change::Method(m) => out.method.clone_from(m),
        Change::Path(p) => {
            let old = canonical_path(&input.path).unwrap();
            if canonical_path(p).unwrap() == old {
                return None;
            }
            out.path.clone_from(p);
        }
        Change::Partner(v) => out.partner.clone_from(v),
        Change::StoreId(v) => out.store.as_mut()?.0.clone_from(v),
        Change::StoreToken(v) => out.store.as_mut()?.1.clone_from(v),
        Change::Timestamp(ts) => out.ts = *ts,
        Change::BodyByte(i, x) => {
            if out.body.is_empty() {
                return None;
            }
            let i = i.index(out.body.len());
            out.body[i] ^= x;
        }
        Change::Secret(s) => out.secret.clone_from(s),
    }
    let same = out.secret == input.secret
        && out.method == input.method
        && out.path == input.path
        && out.partner == input.partner
        && out.store == input.store
        && out.ts == input.ts
        && out.body == input.body;
    (!same).then_some(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn sign_then_verify_accepts(input in input(), skew in -300_000i64..=300_000) {
        let now = input.ts.checked_add_signed(skew).unwrap();
        prop_assert_eq!(verify_received(&input, &canonical_received(&input), now), Ok(0));
    }

    #[test]
    fn changing_one_signed_component_changes_the_signature(
        input in input(),
        change in change(),
    ) {
        let Some(changed) = apply(&input, &change) else {
            return Ok(());
        };
        prop_assert_ne!(input.sign(), changed.sign(), "{:?}", change);
        // And the verifier, holding the original secret, refuses the other signature.
        if !matches!(change, Change::Secret(_)) {
            let forged = Input { secret: input.secret.clone(), ..changed.clone() };
            let mut headers = canonical_received(&forged);
            let sig = input.sign().to_string();
            headers.push(("x-signature".to_owned(), sig));
            let received: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let verifier = Verifier::new(input.secret.as_bytes()).unwrap();
            let result = verifier.verify(
                &ReceivedRequest {
                    method: &forged.method,
                    url: &forged.path,
                    headers: &received,
                    body: ReceivedBody::Bytes(&forged.body),
                },
                forged.ts,
            );
            prop_assert_eq!(result.map(|ok| ok.key_index), Err(Error::SignatureMismatch));
        }
    }

    #[test]
    fn header_name_case_and_order_do_not_matter(
        input in input(),
        masks in prop::collection::vec(any::<u32>(), 4),
        order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
        extra in "[a-z-]{1,12}",
    ) {
        let pairs = input.header_pairs();
        let mut received: Vec<(String, String)> = order
            .iter()
            .filter_map(|&i| pairs.get(i))
            .zip(&masks)
            .map(|((name, value), &mask)| (recase(name, mask), value.clone()))
            .collect();
        // An unsigned header anywhere changes nothing either.
        if !extra.starts_with("x-") {
            received.insert(masks[0] as usize % (received.len() + 1), (extra, "ignored".to_owned()));
        }
        let from_received = SignedHeaders::from_received(
            received.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        );
        prop_assert_eq!(from_received, Ok(input.headers()));
        prop_assert_eq!(verify_received(&input, &received, input.ts), Ok(0));
    }

    #[test]
    fn query_and_fragment_do_not_matter(
        input in input(),
        query in prop::option::of("[ -~&&[^#]]{0,20}"),
        fragment in prop::option::of("[ -~]{0,20}"),
        host in prop::option::of("[a-z0-9.-]{1,12}(:[0-9]{1,5})?"),
        api_prefix in any::<bool>(),
    ) {
        let mut url = String::new();
        if let Some(host) = &host {
            url.push_str("https://");
            url.push_str(host);
        }
        if api_prefix {
            url.push_str("/api/v1");
        }
        url.push_str(&input.path);
        if let Some(q) = &query {
            url.push('?');
            url.push_str(q);
        }
        if let Some(f) = &fragment {
            url.push('#');
            url.push_str(f);
        }
        prop_assert_eq!(canonical_path(&url).unwrap().as_str(), input.path.as_str());
        prop_assert_eq!(input.sign_url(&url), input.sign());
    }

    #[test]
    fn window_boundary_is_exact(input in input(), later in any::<bool>()) {
        let headers = canonical_received(&input);
        let (inside, outside) = if later {
            (input.ts + DEFAULT_TOLERANCE_MS, input.ts + DEFAULT_TOLERANCE_MS + 1)
        } else {
            (input.ts - DEFAULT_TOLERANCE_MS, input.ts - DEFAULT_TOLERANCE_MS - 1)
        };
        prop_assert_eq!(verify_received(&input, &headers, inside), Ok(0));
        let refused = verify_received(&input, &headers, outside);
        let want_age = if later { 300_001 } else { -300_001 };
        prop_assert!(
            matches!(
                refused,
                Err(Error::TimestampOutsideWindow { age_ms, tolerance_ms: 300_000, .. })
                    if age_ms == want_age
            ),
            "{:?}",
            refused
        );
    }

    #[test]
    fn a_header_value_with_a_newline_is_rejected(
        input in input(),
        which in 0usize..3,
        at in any::<Index>(),
        newline in prop_oneof![Just("\n"), Just("\r"), Just("\r\n")],
    ) {
        let mut bad = input.clone();
        let (slot, name) = match (which, bad.store.as_mut()) {
            (1, Some((id, _))) => (id, header::STORE_CLIENT_ID),
            (2, Some((_, token))) => (token, header::STORE_TOKEN),
            _ => (&mut bad.partner, header::PARTNER_CLIENT_ID),
        };
        let at = at.index(slot.len() + 1);
        slot.insert_str(at, newline);
        let built = headers_of(&bad.partner, bad.store.as_ref(), bad.ts);
        prop_assert_eq!(built, Err(Error::InvalidHeaderValue(name)));
        // The server refuses it too, before any HMAC is computed.
        let mut received = canonical_received(&input);
        for (n, v) in &mut received {
            if n == name {
                v.clone_from(match name {
                    header::STORE_CLIENT_ID => &bad.store.as_ref().unwrap().0,
                    header::STORE_TOKEN => &bad.store.as_ref().unwrap().1,
                    _ => &bad.partner,
                });
            }
        }
        prop_assert_eq!(
            verify_received(&input, &received, input.ts),
            Err(Error::InvalidHeaderValue(name))
        );
    }

    #[test]
    fn distinct_valid_inputs_never_share_a_base_string(
        // Tiny alphabets, ':' included, so that near-identical inputs are common.
        a in small_input(),
        b in small_input(),
    ) {
        let (ra, rb) = (a.request(), b.request());
        let same_input = a == b;
        let same_base = ra.base_string().to_string() == rb.base_string().to_string();
        prop_assert_eq!(same_input, same_base, "{:?} / {:?}", a, b);
    }
}

#[derive(Clone, Debug, PartialEq)]
struct SmallInput {
    method: &'static str,
    path: String,
    partner: String,
    store: Option<(String, String)>,
    ts: u64,
    body: BodyHash,
}

fn small_value() -> impl Strategy<Value = String> {
    "[a:x]{1,3}"
}

fn small_input() -> impl Strategy<Value = SmallInput> {
    (
        prop::sample::select(vec!["GET", "POST", "P"]),
        "/[a:x/]{0,3}",
        small_value(),
        prop::option::of((small_value(), small_value())),
        0u64..12,
        prop::sample::select(vec![&b""[..], &b"a"[..], &b"x"[..]]),
    )
        .prop_map(|(method, path, partner, store, ts, body)| SmallInput {
            method,
            path,
            partner,
            store,
            ts,
            body: BodyHash::of(body),
        })
}

impl SmallInput {
    fn request(&self) -> CanonicalRequest<'_> {
        let headers = headers_of(&self.partner, self.store.as_ref(), self.ts).unwrap();
        CanonicalRequest::new(self.method, &self.path, headers, self.body).unwrap()
    }
}
