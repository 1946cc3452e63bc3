//! The shared token at rest (`fleet-token-store`): key names, the token fingerprint, and the
//! sealed (encrypted and authenticated) entry format.
//!
//! Everything is derived from the credential set with HKDF-SHA256 (salt: a fixed label; input
//! key material: the pass-key; info: a purpose label and the client-id):
//!
//! - an AES-256-GCM key that seals the entry;
//! - a fingerprint key: the fingerprint of a token is the first 16 bytes of its HMAC-SHA256 under
//!   that key, so it identifies a token without revealing it to anyone without the pass-key;
//! - a key id: it goes into the namespace, so a pass-key rotation starts a fresh entry.
//!
//! The namespace is a SHA-256 of (token URL, client-id, key id): key names never show the
//! client-id or anything about the token.
//!
//! An entry is `version (1 byte) | fingerprint (16) | nonce (12) | ciphertext | tag (16)`; the
//! associated data is the key name, the version and the fingerprint, so an entry copied under
//! another key name, written with another pass-key, tampered with or truncated fails to open.
//! The plaintext is `expires wall ms (u64 BE) | lifetime ms (u64 BE) | expires_at (u64 BE,
//! u64::MAX: none) | token`: the expiry is inside the authenticated part.

use std::fmt;
use std::time::Duration;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, Generate, KeyInit, Nonce, Payload};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// The entry format version; part of the associated data.
pub(crate) const FORMAT_VERSION: u8 = 1;
const SALT: &[u8] = b"omni onekyc fleet token store v1";
/// Prefix of every key name the fleet store writes.
pub const KEY_PREFIX: &str = "omni:onekyc:";
pub(crate) const FINGERPRINT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + FINGERPRINT_LEN;
const PLAIN_FIXED_LEN: usize = 24;
const NO_EXPIRES_AT: u64 = u64::MAX;

/// Identifies one token without revealing it (see the module documentation).
pub(crate) type Fingerprint = [u8; FINGERPRINT_LEN];

/// The keys and key names of one credential set's shared entry.
pub(crate) struct Sealer {
    cipher: Aes256Gcm,
    fingerprint_key: Zeroizing<[u8; 32]>,
    token_key: String,
    lock_key: String,
}

/// A token as stored in the shared entry, opened.
pub(crate) struct Opened {
    pub(crate) token: SecretString,
    pub(crate) fingerprint: Fingerprint,
    /// Wall-clock expiry (since the Unix epoch).
    pub(crate) expires_wall: Duration,
    /// The lifetime the writer saw (used for the refresh margin of short-lived tokens).
    pub(crate) lifetime: Duration,
    pub(crate) expires_at_unix: Option<u64>,
}

/// Why an entry was refused; never carries any of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Shorter than the smallest possible entry.
    Truncated,
    /// Another format version.
    Version,
    /// Authentication failed: tampered, swapped, or sealed with another pass-key.
    Authentication,
    /// Authenticated but not a well-formed token (cannot happen with entries this code wrote).
    Content,
}

impl Sealer {
    /// Derives the keys of the credential set (`token_url`, `client_id`, `pass_key`).
    pub(crate) fn new(token_url: &str, client_id: &str, pass_key: &SecretString) -> Self {
        // The pseudo-random key is as secret as the pass-key. `Hkdf::new` would drop its copy
        // without wiping it, so it is extracted here and wiped; the `Hkdf` keeps it only inside
        // its `Hmac` state, which zeroes itself on drop (the workspace's `zeroize` features).
        let (mut prk, hkdf) =
            Hkdf::<Sha256>::extract(Some(SALT), pass_key.expose_secret().as_bytes());
        prk.as_mut_slice().zeroize();
        let derive = |label: &[u8], out: &mut [u8]| {
            let mut info = Zeroizing::new(Vec::with_capacity(label.len() + 1 + client_id.len()));
            info.extend_from_slice(label);
            info.push(0);
            info.extend_from_slice(client_id.as_bytes());
            // Output lengths of 16 and 32 bytes are far below HKDF-SHA256's 8160-byte limit.
            #[expect(clippy::expect_used, reason = "16 and 32 bytes are valid HKDF lengths")]
            hkdf.expand(&info, out)
                .expect("HKDF output length within limits");
        };
        let mut aead_key = Zeroizing::new([0u8; 32]);
        derive(b"aes-256-gcm key", aead_key.as_mut());
        let mut fingerprint_key = Zeroizing::new([0u8; 32]);
        derive(b"token fingerprint key", fingerprint_key.as_mut());
        let mut key_id = [0u8; 16];
        derive(b"key id", &mut key_id);

        let mut namespace = Sha256::new();
        for part in [
            b"omni onekyc fleet namespace".as_slice(),
            token_url.as_bytes(),
            client_id.as_bytes(),
            &key_id,
        ] {
            // Length-prefixed, so no two different triples hash the same input.
            namespace.update((part.len() as u64).to_be_bytes());
            namespace.update(part);
        }
        key_id.zeroize();
        let namespace = hex::encode(&namespace.finalize()[..16]);
        Self {
            // From the zeroed-on-drop buffer directly: no unzeroed copy of the key is left behind.
            #[expect(clippy::expect_used, reason = "the buffer is exactly 32 bytes")]
            cipher: Aes256Gcm::new_from_slice(aead_key.as_ref())
                .expect("a 32-byte key for AES-256"),
            fingerprint_key,
            token_key: format!("{KEY_PREFIX}{namespace}:token"),
            lock_key: format!("{KEY_PREFIX}{namespace}:lock"),
        }
    }

    /// Name of the key holding the sealed token.
    pub(crate) fn token_key(&self) -> &str {
        &self.token_key
    }

    /// Name of the key of the refresh lock.
    pub(crate) fn lock_key(&self) -> &str {
        &self.lock_key
    }

    /// The fingerprint of `token` (HMAC-SHA256 under the fingerprint key, first 16 bytes).
    pub(crate) fn fingerprint(&self, token: &str) -> Fingerprint {
        #[expect(clippy::expect_used, reason = "HMAC takes keys of any length")]
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.fingerprint_key.as_ref())
            .expect("HMAC takes keys of any length");
        mac.update(token.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; FINGERPRINT_LEN];
        out.copy_from_slice(&full[..FINGERPRINT_LEN]);
        out
    }

    /// The prefix an entry holding the token with `fingerprint` starts with (for compare-and-delete).
    pub(crate) fn entry_prefix(fingerprint: &Fingerprint) -> Vec<u8> {
        let mut prefix = Vec::with_capacity(HEADER_LEN);
        prefix.push(FORMAT_VERSION);
        prefix.extend_from_slice(fingerprint);
        prefix
    }

    fn associated_data(&self, header: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(self.token_key.len() + header.len());
        aad.extend_from_slice(self.token_key.as_bytes());
        aad.extend_from_slice(header);
        aad
    }

    /// Seals a token for the shared entry.
    pub(crate) fn seal(
        &self,
        token: &str,
        expires_wall: Duration,
        lifetime: Duration,
        expires_at_unix: Option<u64>,
    ) -> Vec<u8> {
        let header = Self::entry_prefix(&self.fingerprint(token));
        let mut plain = Zeroizing::new(Vec::with_capacity(PLAIN_FIXED_LEN + token.len()));
        plain.extend_from_slice(&millis(expires_wall).to_be_bytes());
        plain.extend_from_slice(&millis(lifetime).to_be_bytes());
        plain.extend_from_slice(&expires_at_unix.unwrap_or(NO_EXPIRES_AT).to_be_bytes());
        plain.extend_from_slice(token.as_bytes());
        let nonce = Nonce::<Aes256Gcm>::generate();
        let aad = self.associated_data(&header);
        #[expect(
            clippy::expect_used,
            reason = "a token is far below AES-GCM's message limit"
        )]
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encrypts any message under 64 GiB");
        let mut entry = header;
        entry.extend_from_slice(&nonce);
        entry.extend_from_slice(&sealed);
        entry
    }

    /// Opens an entry read from the shared store; anything not sealed by this credential set
    /// under this key name is refused.
    pub(crate) fn open(&self, entry: &[u8]) -> Result<Opened, Refused> {
        if entry.len() < HEADER_LEN + NONCE_LEN + TAG_LEN + PLAIN_FIXED_LEN + 1 {
            return Err(Refused::Truncated);
        }
        if entry[0] != FORMAT_VERSION {
            return Err(Refused::Version);
        }
        let (header, rest) = entry.split_at(HEADER_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| Refused::Truncated)?;
        let aad = self.associated_data(header);
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| Refused::Authentication)?,
        );
        let (fixed, token) = plain.split_at(PLAIN_FIXED_LEN);
        let field = |i: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&fixed[i * 8..i * 8 + 8]);
            u64::from_be_bytes(bytes)
        };
        let token = std::str::from_utf8(token).map_err(|_| Refused::Content)?;
        let mut fingerprint = [0u8; FINGERPRINT_LEN];
        fingerprint.copy_from_slice(&header[1..]);
        if token.is_empty() || self.fingerprint(token) != fingerprint {
            return Err(Refused::Content);
        }
        let expires_at = field(2);
        Ok(Opened {
            token: SecretString::from(token),
            fingerprint,
            expires_wall: Duration::from_millis(field(0)),
            lifetime: Duration::from_millis(field(1)),
            expires_at_unix: (expires_at != NO_EXPIRES_AT).then_some(expires_at),
        })
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key names are not secret; the keys are.
        f.debug_struct("Sealer")
            .field("token_key", &self.token_key)
            .field("keys", &crate::REDACTED)
            .finish()
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://127.0.0.1:1/onekyc-token/v1/esign/partner/authentication";
    const ID: &str = "b31fa508-331c-4e9e-9a60-b0f28c3f7e13";
    const KEY: &str = "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b";
    const OTHER_KEY: &str = "9d1e2f30-0000-4000-8000-000000000001";
    const TOKEN: &str = "tok-secret-value";

    fn sealer(key: &str) -> Sealer {
        Sealer::new(URL, ID, &SecretString::from(key))
    }

    fn sealed(s: &Sealer) -> Vec<u8> {
        s.seal(
            TOKEN,
            Duration::from_secs(1_800_000_000),
            Duration::from_secs(1800),
            Some(42),
        )
    }

    #[test]
    fn round_trip_keeps_every_field() {
        let s = sealer(KEY);
        let opened = s.open(&sealed(&s)).unwrap();
        assert_eq!(opened.token.expose_secret(), TOKEN);
        assert_eq!(opened.fingerprint, s.fingerprint(TOKEN));
        assert_eq!(opened.expires_wall, Duration::from_secs(1_800_000_000));
        assert_eq!(opened.lifetime, Duration::from_secs(1800));
        assert_eq!(opened.expires_at_unix, Some(42));
        let none = s.seal(TOKEN, Duration::ZERO, Duration::ZERO, None);
        assert_eq!(s.open(&none).unwrap().expires_at_unix, None);
    }

    #[test]
    fn every_flipped_byte_and_every_truncation_is_refused() {
        let s = sealer(KEY);
        let entry = sealed(&s);
        for i in 0..entry.len() {
            let mut bad = entry.clone();
            bad[i] ^= 0x01;
            assert!(s.open(&bad).is_err(), "flipped byte {i} accepted");
        }
        for len in 0..entry.len() {
            assert!(
                s.open(&entry[..len]).is_err(),
                "truncated to {len} accepted"
            );
        }
        let mut longer = entry.clone();
        longer.push(0);
        assert_eq!(s.open(&longer).err(), Some(Refused::Authentication));
    }

    #[test]
    fn another_pass_key_or_another_key_name_cannot_open() {
        let ours = sealer(KEY);
        let theirs = sealer(OTHER_KEY);
        assert_eq!(
            ours.open(&sealed(&theirs)).err(),
            Some(Refused::Authentication)
        );
        // A rotation moves to another namespace rather than fighting over one entry.
        assert_ne!(ours.token_key(), theirs.token_key());
        // Same pass-key, another token URL: another key name, and the AAD binds the name.
        let elsewhere = Sealer::new("http://127.0.0.1:2/x", ID, &SecretString::from(KEY));
        assert_ne!(elsewhere.token_key(), ours.token_key());
        assert_eq!(
            elsewhere.open(&sealed(&ours)).err(),
            Some(Refused::Authentication)
        );
    }

    #[test]
    fn key_names_and_entries_reveal_no_credential_or_token() {
        let s = sealer(KEY);
        for name in [s.token_key(), s.lock_key()] {
            assert!(name.starts_with(KEY_PREFIX), "{name}");
            assert!(!name.contains(ID) && !name.contains(KEY) && !name.contains(TOKEN));
        }
        let entry = sealed(&s);
        let needle = TOKEN.as_bytes();
        assert!(!entry.windows(needle.len()).any(|w| w == needle));
        assert!(!format!("{s:?}").contains(KEY));
        // Two seals of one token differ (fresh nonce) but share the fingerprint prefix.
        let again = sealed(&s);
        assert_ne!(entry, again);
        let prefix = Sealer::entry_prefix(&s.fingerprint(TOKEN));
        assert!(entry.starts_with(&prefix) && again.starts_with(&prefix));
        assert_ne!(s.fingerprint(TOKEN), sealer(OTHER_KEY).fingerprint(TOKEN));
    }
}
