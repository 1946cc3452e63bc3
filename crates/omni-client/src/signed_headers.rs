//! Writing the signed headers of one attempt, reusing the header values a client builds once.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use omni_sign::header::{PARTNER_CLIENT_ID, SIGNATURE, STORE_CLIENT_ID, STORE_TOKEN, TIMESTAMP};
use omni_sign::{Signature, SignatureFormat, SignedHeaders};

/// Sets the signed headers of `headers` and `x-signature` on `map` as
/// `omni_sign::http::set_signed_headers` does (replacing earlier values, `x-store-token` and
/// `x-signature` marked sensitive), but takes the partner and store client id values from
/// `partner_value` and `store_value`, built once per client and store handle, instead of
/// validating and copying them on every attempt. A prebuilt value is used only when its bytes
/// are exactly the signed value, so a stale one is never sent. The store token is never
/// prebuilt: a `HeaderValue` cannot be zeroed, so no long-lived copy of it is kept.
pub(crate) fn set_signed_headers_reusing(
    map: &mut HeaderMap,
    headers: &SignedHeaders<'_>,
    signature: &Signature,
    format: SignatureFormat,
    partner_value: &HeaderValue,
    store_value: Option<&HeaderValue>,
) -> Result<(), omni_sign::Error> {
    let partner = headers.partner_client_id().as_str();
    map.insert(
        HeaderName::from_static(PARTNER_CLIENT_ID),
        reuse_or_build(Some(partner_value), PARTNER_CLIENT_ID, partner)?,
    );
    if let (Some(id), Some(token)) = (headers.store_client_id(), headers.store_token()) {
        map.insert(
            HeaderName::from_static(STORE_CLIENT_ID),
            reuse_or_build(store_value, STORE_CLIENT_ID, id.as_str())?,
        );
        map.insert(
            HeaderName::from_static(STORE_TOKEN),
            sensitive(STORE_TOKEN, token.expose_secret())?,
        );
    }
    map.insert(
        HeaderName::from_static(TIMESTAMP),
        HeaderValue::from(headers.timestamp().as_millis()),
    );
    map.insert(
        HeaderName::from_static(SIGNATURE),
        sensitive(SIGNATURE, signature.encode(format).as_str())?,
    );
    Ok(())
}

/// `built` when its bytes are `value`'s, otherwise a new header value.
fn reuse_or_build(
    built: Option<&HeaderValue>,
    name: &'static str,
    value: &str,
) -> Result<HeaderValue, omni_sign::Error> {
    match built {
        Some(built) if built.as_bytes() == value.as_bytes() => Ok(built.clone()),
        // Signed values are validated visible ASCII, so this only fails on a bug elsewhere.
        _ => HeaderValue::from_str(value).map_err(|_| omni_sign::Error::InvalidHeaderValue(name)),
    }
}

/// A header value marked sensitive (kept out of `Debug` and HTTP/2 compression tables).
fn sensitive(name: &'static str, value: &str) -> Result<HeaderValue, omni_sign::Error> {
    let mut value = reuse_or_build(None, name, value)?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_sign::{Signer, Timestamp};

    #[test]
    fn writes_exactly_what_omni_sign_writes_reused_or_not() {
        let signer = Signer::new(b"s").unwrap();
        let partner = HeaderValue::from_static("ptnr_1");
        let store_id = HeaderValue::from_static("str_1");
        let stale = HeaderValue::from_static("str_other");
        for (store, store_value) in [
            (None, None),
            (Some(("str_1", "stkn_1")), Some(&store_id)),
            // A prebuilt value that differs from the signed one is not used.
            (Some(("str_1", "stkn_1")), Some(&stale)),
        ] {
            let headers = SignedHeaders::from_parts(
                "ptnr_1",
                store.map(|s| s.0),
                store.map(|s| s.1),
                Timestamp::from_millis(1_709_024_577_000),
            )
            .unwrap();
            let signature = signer
                .sign_request("GET", "http://h/api/v1/partner/x", &headers, b"")
                .unwrap();
            for format in [SignatureFormat::Prefixed, SignatureFormat::BareHex] {
                let mut expected = HeaderMap::new();
                omni_sign::http::set_signed_headers(&mut expected, &headers, &signature, format)
                    .unwrap();
                let mut written = HeaderMap::new();
                set_signed_headers_reusing(
                    &mut written,
                    &headers,
                    &signature,
                    format,
                    &partner,
                    store_value,
                )
                .unwrap();
                assert_eq!(written, expected);
                for (name, value) in &expected {
                    assert_eq!(written[name].is_sensitive(), value.is_sensitive(), "{name}");
                }
            }
        }
    }
}
