//! The signer against a freshly keyed `Hmac<Sha256>` over the `CanonicalRequest`'s base
//! string, for bodies and base strings whose lengths fall around every 64-byte block boundary
//! and around the padding boundary (55 or 56 bytes into a block decides whether the length
//! fits in the last block).

use hmac::{Hmac, KeyInit, Mac};
use omni_sign::{BodyHash, CanonicalRequest, SignedHeaders, Signer, Timestamp};
use proptest::prelude::*;
use sha2::Sha256;

/// HMAC-SHA256 computed from scratch: keyed here, fed the whole message at once.
fn reference(secret: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Offsets from a multiple of 64: around the block boundary, and around 55-56 (mod 64).
fn offset() -> impl Strategy<Value = i64> {
    prop_oneof![-2i64..=2, -10i64..=-7]
}

/// `blocks` whole blocks plus `offset` bytes, at least `min`.
fn near_boundary(min: usize, blocks: usize, offset: i64) -> usize {
    let mut len = (min.div_ceil(64) + blocks) * 64;
    len = len.saturating_add_signed(offset as isize);
    if len < min { len + 64 } else { len }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn signer_matches_a_freshly_keyed_hmac_around_block_boundaries(
        secret in "[!-~]{1,100}",
        partner in "[!-~]{1,20}",
        store in proptest::option::of(("[!-~]{1,20}", "[!-~]{1,30}")),
        timestamp in any::<u64>(),
        base_blocks in 0usize..6,
        base_offset in offset(),
        body_blocks in 0usize..6,
        body_offset in offset(),
        body_seed in any::<u8>(),
    ) {
        let body_len = near_boundary(0, body_blocks, body_offset);
        let body: Vec<u8> = (0..body_len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(body_seed))
            .collect();
        let headers = SignedHeaders::from_parts(
            &partner,
            store.as_ref().map(|(id, _)| id.as_str()),
            store.as_ref().map(|(_, token)| token.as_str()),
            Timestamp::from_millis(timestamp),
        )
        .expect("valid headers");
        // The path is padded so that the base string lands near a block boundary.
        let shortest = CanonicalRequest::new("POST", "/", headers, BodyHash::EMPTY)
            .expect("valid request")
            .base_string_len();
        let base_len = near_boundary(shortest, base_blocks, base_offset);
        let path = format!("/{}", "p".repeat(base_len - shortest));
        let request = CanonicalRequest::new("POST", &path, headers, BodyHash::of(&body))
            .expect("valid request");
        let base = request.to_base_string();
        prop_assert_eq!(base.len(), base_len);

        let want = reference(secret.as_bytes(), base.as_bytes());
        let signer = Signer::new(secret.as_bytes()).expect("non-empty secret");
        prop_assert_eq!(*signer.sign(&request).as_bytes(), want);
        let signed = signer.sign_request("POST", &path, &headers, &body).expect("valid");
        prop_assert_eq!(*signed.as_bytes(), want);
        prop_assert_eq!(*signer.sign_base_string(&base).as_bytes(), want);
    }
}
