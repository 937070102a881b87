//! The signed opt-out token in the customer's link. It names the claim and the key that signed
//! it; it cannot be forged, altered or guessed without the server's secret.
//!
//! Form: `<claim id>.<key id>.<signature>`, where the signature is the URL-safe base64 (no
//! padding) of HMAC-SHA256(secret, "cpor-opt-out/v1|<claim id>|<key id>"). Every character is
//! one of `A-Z a-z 0-9 - _ .`, so the link survives mail clients unchanged.

use crate::ids::ClaimId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// The fewest bytes a signing secret may have.
pub const MIN_SECRET_BYTES: usize = 16;

/// One signing key: an id that travels in the token, and the secret.
#[derive(Clone)]
pub struct SigningKey {
    id: String,
    secret: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why a signing key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key id is not 1 to 16 lower-case letters and digits.
    #[error("key id {0:?} must be 1 to 16 lower-case letters and digits")]
    BadId(String),
    /// The secret is too short to be safe.
    #[error("the secret of key {0:?} must have at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret(String),
}

impl SigningKey {
    /// A key with this id and secret.
    pub fn new(id: &str, secret: &[u8]) -> Result<Self, KeyError> {
        if id.is_empty()
            || id.len() > 16
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(KeyError::BadId(id.to_owned()));
        }
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::ShortSecret(id.to_owned()));
        }
        Ok(Self {
            id: id.to_owned(),
            secret: secret.to_vec(),
        })
    }

    fn mac(&self, claim_id: &str) -> HmacSha256 {
        // new_from_slice accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!());
        mac.update(b"cpor-opt-out/v1|");
        mac.update(claim_id.as_bytes());
        mac.update(b"|");
        mac.update(self.id.as_bytes());
        mac
    }
}

/// Why a token was refused. The page shows one "link not valid" answer for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the token's form.
    #[error("the token is malformed")]
    Malformed,
    /// Signed with a key this service does not hold.
    #[error("the token's key is unknown")]
    UnknownKey,
    /// The signature does not match.
    #[error("the token's signature does not match")]
    BadSignature,
}

/// The keys that sign and verify opt-out tokens: the current one signs, and it and the older
/// ones still held verify.
#[derive(Debug, Clone)]
pub struct OptOutKeyring {
    current: SigningKey,
    previous: Vec<SigningKey>,
}

impl OptOutKeyring {
    /// A keyring that signs with `current` and also accepts `previous`.
    pub fn new(current: SigningKey, previous: Vec<SigningKey>) -> Self {
        Self { current, previous }
    }

    /// The token for a claim's opt-out link.
    pub fn sign(&self, claim_id: ClaimId) -> String {
        let id = claim_id.to_string();
        let signature = URL_SAFE_NO_PAD.encode(self.current.mac(&id).finalize().into_bytes());
        format!("{id}.{}.{signature}", self.current.id)
    }

    /// The claim a token names, if the token is genuine. Comparison is in constant time.
    pub fn verify(&self, token: &str) -> Result<ClaimId, TokenError> {
        let mut parts = token.split('.');
        let (Some(claim), Some(key_id), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let claim_id = ClaimId::parse(claim).ok_or(TokenError::Malformed)?;
        // The canonical text of the id must be what was signed: no case variants.
        if claim_id.to_string() != claim {
            return Err(TokenError::Malformed);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
            .ok_or(TokenError::UnknownKey)?;
        key.mac(claim)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        Ok(claim_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keyring(id: &str, secret: &str) -> OptOutKeyring {
        OptOutKeyring::new(SigningKey::new(id, secret.as_bytes()).unwrap(), vec![])
    }

    fn claim() -> ClaimId {
        ClaimId::new_at(chrono::Utc::now())
    }

    #[test]
    fn a_signed_token_names_its_claim_and_uses_only_url_safe_characters() {
        let ring = keyring("k1", "a-secret-of-sixteen+");
        let id = claim();
        let token = ring.sign(id);
        assert_eq!(ring.verify(&token), Ok(id));
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{token}"
        );
    }

    #[test]
    fn a_token_for_another_claim_or_altered_in_any_place_is_refused() {
        let ring = keyring("k1", "a-secret-of-sixteen+");
        let token = ring.sign(claim());
        let other = ring.sign(claim());
        // swap the claim part of one token onto another's signature
        let (_, rest) = token.split_once('.').unwrap();
        let (other_claim, _) = other.split_once('.').unwrap();
        assert_eq!(
            ring.verify(&format!("{other_claim}.{rest}")),
            Err(TokenError::BadSignature)
        );
        for altered in [
            token[..token.len() - 1].to_string(),
            format!("{token}A"),
            format!("{token}.x"),
            token.to_lowercase(),
            token.replacen(".k1.", ".k2.", 1),
        ] {
            assert!(ring.verify(&altered).is_err(), "{altered}");
        }
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let ours = keyring("k1", "a-secret-of-sixteen+");
        let theirs = keyring("k1", "another-secret-of-16");
        assert_eq!(
            ours.verify(&theirs.sign(claim())),
            Err(TokenError::BadSignature)
        );
        let unknown_key = keyring("k9", "a-secret-of-sixteen+");
        assert_eq!(
            ours.verify(&unknown_key.sign(claim())),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn tokens_signed_by_a_previous_key_still_verify() {
        let old = SigningKey::new("k1", b"the-old-secret-16b").unwrap();
        let new = SigningKey::new("k2", b"the-new-secret-16b").unwrap();
        let before = OptOutKeyring::new(old.clone(), vec![]).sign(claim());
        let after = OptOutKeyring::new(new, vec![old]);
        assert!(after.verify(&before).is_ok());
    }

    #[test]
    fn short_secrets_and_odd_key_ids_are_refused() {
        assert!(matches!(
            SigningKey::new("k1", b"short"),
            Err(KeyError::ShortSecret(_))
        ));
        assert!(matches!(
            SigningKey::new("K.1", b"long-enough-secret"),
            Err(KeyError::BadId(_))
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_verifies_and_never_panics(text in ".{0,120}") {
            let ring = keyring("k1", "a-secret-of-sixteen+");
            prop_assert!(ring.verify(&text).is_err());
        }
    }
}
