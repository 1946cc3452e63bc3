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
//! let headers = SignedHeaders::new("ptnr_1".try_into().unwrap(), Timestamp::from_millis(1709024577000));
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
    let mut result = Ok(());
    headers.for_each(|name, value| {
        if result.is_err() {
            return;
        }
        let header = match name {
            PARTNER_CLIENT_ID => PARTNER_CLIENT_ID_NAME,
            STORE_CLIENT_ID => STORE_CLIENT_ID_NAME,
            STORE_TOKEN => STORE_TOKEN_NAME,
            _ => TIMESTAMP_NAME,
        };
        result = header_value(name, value, name == STORE_TOKEN).map(|value| {
            map.insert(header, value);
        });
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
        let headers = SignedHeaders::new("p".try_into().unwrap(), Timestamp::from_millis(5));
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
            let headers = SignedHeaders::new("p".try_into().unwrap(), Timestamp::from_millis(ts));
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
        let headers = SignedHeaders::new("p".try_into().unwrap(), Timestamp::from_millis(5));
        assert_eq!(
            sign_request(&mut req, &signer, &headers, SignatureFormat::Prefixed),
            Err(Error::InvalidMethod)
        );
        assert!(req.headers().get("x-signature").is_none());
    }
}
