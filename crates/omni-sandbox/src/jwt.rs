//! The onboard session token: a real HS256 JWT, signed with a key that lives only in this
//! sandbox process. Hand-rolled because it is four lines of HMAC and base64url.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The token lifetime the onboard page states: 3 minutes (`onboard-expiry`).
pub(crate) const LIFETIME_SECS: u64 = 180;
pub(crate) const ISSUER: &str = "omni-auth";
pub(crate) const AUDIENCE: &str = "omni-onboard";
const HEADER: &str = r#"{"alg":"HS256"}"#;

/// The sandbox's signing key, random per process.
pub(crate) struct Key(HmacSha256);

/// The claims, in the order of the documentation's sample token.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) iss: String,
    pub(crate) aud: String,
    pub(crate) sid: String,
    pub(crate) pid: String,
    #[serde(rename = "redirectUri")]
    pub(crate) redirect_uri: String,
    pub(crate) jti: String,
    pub(crate) iat: u64,
    pub(crate) exp: u64,
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Not a token of this shape: not three base64url parts, a header or claims that do not
    /// parse, another algorithm, a signature that is not 32 bytes.
    Malformed,
    /// Well formed, but its signature is not this key's: signed with another key, or changed
    /// after signing.
    ForeignSignature,
    /// Signed with this key, but not an onboard token (another issuer or audience).
    NotOnboard,
    /// Well signed, but `exp` has passed on the sandbox clock.
    Expired,
}

impl Key {
    pub(crate) fn random() -> Self {
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        // A 32-byte key is always accepted by HMAC.
        Key(HmacSha256::new_from_slice(&bytes).unwrap_or_else(|_| unreachable!()))
    }

    fn mac(&self, signing_input: &str) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(signing_input.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub(crate) fn encode(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let mut token = URL_SAFE_NO_PAD.encode(HEADER);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(payload));
        let signature = self.mac(&token);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        token
    }

    /// Checks the token's shape, then its signature, then issuer, audience and expiry at
    /// `now_secs`. The shape is read before the signature is checked only to tell a damaged
    /// token from one signed elsewhere; nothing unverified is returned.
    pub(crate) fn decode(&self, token: &str, now_secs: u64) -> Result<Claims, Rejection> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed);
        };
        let header: serde_json::Value = URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or(Rejection::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(Rejection::Malformed);
        }
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or(Rejection::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .filter(|s| s.len() == 32)
            .ok_or(Rejection::Malformed)?;
        let expected = self.mac(&token[..token.len() - signature_len(token)]);
        if !bool::from(expected.as_slice().ct_eq(&signature)) {
            return Err(Rejection::ForeignSignature);
        }
        if claims.iss != ISSUER || claims.aud != AUDIENCE {
            return Err(Rejection::NotOnboard);
        }
        if now_secs >= claims.exp {
            return Err(Rejection::Expired);
        }
        Ok(claims)
    }
}

/// The length of `token`'s last part and the dot before it.
fn signature_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |dot| token.len() - dot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iat: u64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sid: "s".into(),
            pid: "p".into(),
            redirect_uri: "https://x/".into(),
            jti: "j".into(),
            iat,
            exp: iat + LIFETIME_SECS,
        }
    }

    #[test]
    fn round_trip_expiry_and_tamper() {
        let key = Key::random();
        let token = key.encode(&claims(1000));
        assert!(token.starts_with("eyJhbGciOiJIUzI1NiJ9."), "{token}");
        assert_eq!(key.decode(&token, 1179).unwrap().sid, "s");
        assert_eq!(key.decode(&token, 1180).unwrap_err(), Rejection::Expired);
        let mut tampered = token.clone().into_bytes();
        // The first character of the signature: still 32 bytes, not this key's.
        let i = token.rfind('.').unwrap() + 1;
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            key.decode(&tampered, 1000).unwrap_err(),
            Rejection::ForeignSignature
        );
        assert_eq!(
            Key::random().decode(&token, 1000).unwrap_err(),
            Rejection::ForeignSignature
        );
        for mangled in [
            "a.b",
            "a.b.c.d",
            &token[..token.len() - 5],
            &token[10..],
            &token.replacen('.', "", 1),
        ] {
            assert_eq!(
                key.decode(mangled, 1000).unwrap_err(),
                Rejection::Malformed,
                "{mangled}"
            );
        }
        let other_audience = Claims {
            aud: "elsewhere".into(),
            ..claims(1000)
        };
        assert_eq!(
            key.decode(&key.encode(&other_audience), 1000).unwrap_err(),
            Rejection::NotOnboard
        );
    }
}
