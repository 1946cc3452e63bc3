//! Signing [`http::Request`] values (feature `http`), so users of hyper, ureq, reqwest or any
//! other client built on the `http` crate share the exact signing path of omni-client.
//!
//! ```
//! use omni_sign::{Signer, SignedHeaders, SignatureFormat, Timestamp};
//!
//! let signer = Signer::new(b"partner-secret").unwrap();
//! let mut request = http::Request::post("https://h.example/api/v1/partner/onboard/sessions")
//!     .header("content-type", "application/json")
//!     .body(br#"{"redirectUri":"https://example.com/done"}"#.to_vec())
//!     .unwrap();
//! let headers = SignedHeaders::new("ptnr_1", Timestamp::from_millis(1709024577000)).unwrap();
//! omni_sign::http::sign_request(&mut request, &signer, &headers, SignatureFormat::Prefixed)
//!     .unwrap();
//! assert_eq!(request.headers()["x-timestamp"], "1709024577000");
//! assert!(request.headers()["x-signature"].to_str().unwrap().starts_with("sha256="));
//! ```

use alloc::string::ToString;

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::headers::{PARTNER_CLIENT_ID, SIGNATURE, STORE_CLIENT_ID, STORE_TOKEN, TIMESTAMP};
use crate::{Error, Signature, SignatureFormat, SignedHeaders, Signer};

/// Signs `request` in place: the method, the URI exactly as it is held (absolute or a path; the
/// PATH is derived from it as [`canonical_path`](crate::canonical_path) does, `path-rules`) and the body bytes as they will be sent (`body-hash-exact-bytes`). Sets the signed headers of `headers`
/// and `x-signature` in `format`, replacing any earlier values of those names (so a retry can
/// re-sign the same request). `x-store-token` and `x-signature` are marked sensitive, which
/// keeps them out of `Debug` output and HTTP/2 header compression tables.
///
/// Returns the signature. Errors: a method that is not an uppercase token, a URI whose path
/// cannot be signed as it is sent.
pub fn sign_request<B: AsRef<[u8]>>(
    request: &mut http::Request<B>,
    signer: &Signer,
    headers: &SignedHeaders<'_>,
    format: SignatureFormat,
) -> Result<Signature, Error> {
    let uri = request.uri().to_string();
    let signature = signer.sign_request(
        request.method().as_str(),
        &uri,
        headers,
        request.body().as_ref(),
    )?;
    set_signed_headers(request.headers_mut(), headers, &signature, format)?;
    Ok(signature)
}

/// Sets the signed headers of `headers` and `x-signature: <signature in format>` on `map`,
/// replacing earlier values of those names. `x-store-token` and `x-signature` are marked
/// sensitive. For clients that compute the [`Signature`] themselves (with
/// [`Signer::sign`]) and only need the headers written the same way.
pub fn set_signed_headers(
    map: &mut HeaderMap,
    headers: &SignedHeaders<'_>,
    signature: &Signature,
    format: SignatureFormat,
) -> Result<(), Error> {
    set_signed_headers_reusing(map, headers, signature, format, &ReusableValues::default())
}

/// Header values a client builds once and reuses for every request, since they never change
/// for a client or store handle. The store token is not among them on purpose: a
/// `HeaderValue` cannot be zeroed, so no long-lived copy of the secret is kept.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReusableValues<'v> {
    /// A prebuilt `x-partner-client-id` value.
    pub partner_client_id: Option<&'v HeaderValue>,
    /// A prebuilt `x-store-client-id` value.
    pub store_client_id: Option<&'v HeaderValue>,
}

/// [`set_signed_headers`], taking the partner and store client id values from `reuse`
/// instead of validating and copying them again. A reused value is taken only when its bytes
/// are exactly the signed value, so a stale one can never be sent.
pub fn set_signed_headers_reusing(
    map: &mut HeaderMap,
    headers: &SignedHeaders<'_>,
    signature: &Signature,
    format: SignatureFormat,
    reuse: &ReusableValues<'_>,
) -> Result<(), Error> {
    let mut result = Ok(());
    headers.for_each(|name, value| {
        if result.is_err() {
            return;
        }
        let (header, reused) = match name {
            PARTNER_CLIENT_ID => (PARTNER_CLIENT_ID_NAME, reuse.partner_client_id),
            STORE_CLIENT_ID => (STORE_CLIENT_ID_NAME, reuse.store_client_id),
            STORE_TOKEN => (STORE_TOKEN_NAME, None),
            _ => (TIMESTAMP_NAME, None),
        };
        let value = match reused {
            Some(built) if built.as_bytes() == value.as_bytes() => Ok(built.clone()),
            _ => header_value(name, value, name == STORE_TOKEN),
        };
        match value {
            Ok(value) => {
                map.insert(header, value);
            }
            Err(e) => result = Err(e),
        }
    });
    result?;
    let text = signature.encode(format);
    map.insert(
        SIGNATURE_NAME,
        header_value(SIGNATURE, text.as_str(), true)?,
    );
    Ok(())
}

const PARTNER_CLIENT_ID_NAME: HeaderName = HeaderName::from_static(PARTNER_CLIENT_ID);
const STORE_CLIENT_ID_NAME: HeaderName = HeaderName::from_static(STORE_CLIENT_ID);
const STORE_TOKEN_NAME: HeaderName = HeaderName::from_static(STORE_TOKEN);
const TIMESTAMP_NAME: HeaderName = HeaderName::from_static(TIMESTAMP);
const SIGNATURE_NAME: HeaderName = HeaderName::from_static(SIGNATURE);

fn header_value(name: &'static str, value: &str, sensitive: bool) -> Result<HeaderValue, Error> {
    // Signed values are validated visible ASCII, so this only fails on a bug elsewhere; it is
    // still reported rather than unwrapped.
    let mut value =
        HeaderValue::from_bytes(value.as_bytes()).map_err(|_| Error::InvalidHeaderValue(name))?;
    value.set_sensitive(sensitive);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BodyHash, CanonicalRequest, Timestamp};
    use std::format;
    use std::vec::Vec;

    fn store_headers() -> SignedHeaders<'static> {
        SignedHeaders::from_parts(
            "ptnr_1s4UqMnO64",
            Some("str_TGIxyboe7-Rz"),
            Some("stkn_1G_R3r_5QTvwr_0O"),
            Timestamp::from_millis(1709024577000),
        )
        .unwrap()
    }

    #[test]
    fn signs_the_guides_get_example_and_sets_every_header() {
        let signer = Signer::new(b"secret").unwrap();
        let url = "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e?page=2";
        let mut req = http::Request::get(url).body(Vec::new()).unwrap();
        let sig = sign_request(
            &mut req,
            &signer,
            &store_headers(),
            SignatureFormat::Prefixed,
        )
        .unwrap();
        let expected = signer
            .sign(&CanonicalRequest::new("GET", url, store_headers(), BodyHash::EMPTY).unwrap());
        assert_eq!(sig, expected);
        let h = req.headers();
        assert_eq!(h["x-partner-client-id"], "ptnr_1s4UqMnO64");
        assert_eq!(h["x-store-client-id"], "str_TGIxyboe7-Rz");
        assert_eq!(h["x-store-token"], "stkn_1G_R3r_5QTvwr_0O");
        assert_eq!(h["x-timestamp"], "1709024577000");
        assert_eq!(h["x-signature"], format!("{expected}").as_str());
        assert!(h["x-store-token"].is_sensitive());
        assert!(h["x-signature"].is_sensitive());
        assert!(!h["x-partner-client-id"].is_sensitive());
        let shown = format!("{req:?}");
        assert!(!shown.contains("stkn_1G_R3r_5QTvwr_0O"), "{shown}");
    }

    #[test]
    fn body_is_hashed_as_held_and_bare_hex_is_available() {
        let signer = Signer::new(b"secret").unwrap();
        let body = br#"{"name":"Sample","sku":"SKU-1"}"#;
        let mut req = http::Request::post("/api/v1/partner/products?lang=id")
            .body(&body[..])
            .unwrap();
        let headers = SignedHeaders::new("p", Timestamp::from_millis(5)).unwrap();
        let sig = sign_request(&mut req, &signer, &headers, SignatureFormat::BareHex).unwrap();
        let expected = signer
            .sign_request("POST", "/partner/products", &headers, body)
            .unwrap();
        assert_eq!(sig, expected);
        assert_eq!(req.headers()["x-signature"], expected.bare_hex().as_str());
        assert!(req.headers().get("x-store-token").is_none());
    }

    #[test]
    fn re_signing_replaces_the_earlier_values() {
        let signer = Signer::new(b"secret").unwrap();
        let mut req = http::Request::get("https://h/api/v1/partner/x")
            .header("x-timestamp", "1")
            .header("x-timestamp", "2")
            .body(Vec::new())
            .unwrap();
        for ts in [10, 20] {
            let headers = SignedHeaders::new("p", Timestamp::from_millis(ts)).unwrap();
            sign_request(&mut req, &signer, &headers, SignatureFormat::Prefixed).unwrap();
        }
        let values: Vec<_> = req.headers().get_all("x-timestamp").iter().collect();
        assert_eq!(values, [&"20"]);
        assert_eq!(req.headers().get_all("x-signature").iter().count(), 1);
    }

    #[test]
    fn a_lowercase_extension_method_is_rejected() {
        let signer = Signer::new(b"secret").unwrap();
        let mut req = http::Request::builder()
            .method(http::Method::from_bytes(b"patch").unwrap())
            .uri("/partner/x")
            .body(Vec::new())
            .unwrap();
        let headers = SignedHeaders::new("p", Timestamp::from_millis(5)).unwrap();
        assert_eq!(
            sign_request(&mut req, &signer, &headers, SignatureFormat::Prefixed),
            Err(Error::InvalidMethod)
        );
        assert!(req.headers().get("x-signature").is_none());
    }

    #[test]
    fn reused_values_write_exactly_what_fresh_ones_write() {
        let signer = Signer::new(b"s").unwrap();
        let partner = HeaderValue::from_static("ptnr_1");
        let store_id = HeaderValue::from_static("str_1");
        let stale = HeaderValue::from_static("str_other");
        let reuse = |p, s| ReusableValues {
            partner_client_id: p,
            store_client_id: s,
        };
        for (store, reuse) in [
            (None, reuse(Some(&partner), None)),
            (
                Some(("str_1", "stkn_1")),
                reuse(Some(&partner), Some(&store_id)),
            ),
            // A reused value that differs from the signed one is not used.
            (Some(("str_1", "stkn_1")), reuse(None, Some(&stale))),
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
                set_signed_headers(&mut expected, &headers, &signature, format).unwrap();
                let mut written = HeaderMap::new();
                set_signed_headers_reusing(&mut written, &headers, &signature, format, &reuse)
                    .unwrap();
                assert_eq!(written, expected);
                assert_eq!(written["x-partner-client-id"], "ptnr_1");
                if store.is_some() {
                    assert_eq!(written["x-store-client-id"], "str_1");
                }
                for (name, value) in &expected {
                    assert_eq!(written[name].is_sensitive(), value.is_sensitive(), "{name}");
                }
                let sensitive = |n: &str| written.get(n).is_some_and(HeaderValue::is_sensitive);
                assert!(sensitive("x-signature"));
                assert_eq!(sensitive("x-store-token"), store.is_some());
            }
        }
    }
}
