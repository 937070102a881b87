//! The signed opt-out token in the customer's link. It names the claim and the key that signed
//! it; it cannot be forged, altered or guessed without the server's secret.
//!
//! Form: `<claim id>.<key id>.<signature>`, where the signature is the URL-safe base64 (no
//! padding) of HMAC-SHA256(secret, "cpor-opt-out/v1|<claim id>|<key id>"). Every character is
//! one of `A-Z a-z 0-9 - _ .`, so the link survives mail clients unchanged.
//!
//! The link also names the claim's notification (its [`crate::claim::Notice`] number): the
//! first keeps the form above, so links e-mailed before notifications were counted still
//! work; a later one (after a corrected contact) is `<claim id>.<notice>.<key id>.<signature>`
//! over "cpor-opt-out/v2|<claim id>|<notice>|<key id>". The page answers only the link of the
//! notification in force.
//!
//! Rotation: because a token names its key, the signing secret can change while links already
//! e-mailed keep working. The keyring ([`OptOutKeyring::parse`]) holds the current key, which
//! signs, and older keys, which only verify, for as long as a link in force may use them (an
//! association's customer may end it at any time); an older key carries a time it retires
//! (`retire_at`) only when it must stop at once (a leak), from which on its links are
//! refused.

use crate::ids::ClaimId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
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
    retire_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("retire_at", &self.retire_at)
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
            retire_at: None,
        })
    }

    /// The same key, refusing the tokens it signed from `at` on.
    pub fn retiring_at(mut self, at: DateTime<Utc>) -> Self {
        self.retire_at = Some(at);
        self
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn mac(&self, claim_id: &str, notice: u32) -> HmacSha256 {
        // new_from_slice accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!());
        if notice == FIRST_NOTICE {
            mac.update(b"cpor-opt-out/v1|");
        } else {
            mac.update(b"cpor-opt-out/v2|");
        }
        mac.update(claim_id.as_bytes());
        mac.update(b"|");
        if notice != FIRST_NOTICE {
            mac.update(notice.to_string().as_bytes());
            mac.update(b"|");
        }
        mac.update(self.id.as_bytes());
        mac
    }
}

/// The notification whose link keeps the first form.
const FIRST_NOTICE: u32 = 1;

/// What a genuine link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptOutLink {
    pub claim_id: ClaimId,
    /// The number of the notification that carried it.
    pub notice: u32,
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
    /// Signed with a key that has retired (a leaked key, stopped on purpose).
    #[error("the token's key has retired")]
    RetiredKey,
}

/// Why a keyring was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// Not the keyring's JSON form.
    #[error(
        "the keyring is not valid JSON of the form {{\"current\": ID, \"keys\": [{{\"id\", \"secret\", \"retire_at\"?}}]}}: {0}"
    )]
    Malformed(String),
    /// A key is refused.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The current key is not among the keys.
    #[error("the current key {0:?} is not among the keys")]
    NoCurrent(String),
    /// The current key has a retirement time: it would stop verifying the links it signs.
    #[error("the current key {0:?} must not have a retire_at")]
    CurrentRetires(String),
    /// Two keys have the same id.
    #[error("two keys have the id {0:?}")]
    DuplicateId(String),
}

/// The keys that sign and verify opt-out tokens: the current one signs, and it and the older
/// ones still held verify.
#[derive(Debug, Clone)]
pub struct OptOutKeyring {
    current: SigningKey,
    previous: Vec<SigningKey>,
}

impl OptOutKeyring {
    /// A keyring that signs with `current` and also accepts `previous` (each until it retires).
    pub fn new(current: SigningKey, previous: Vec<SigningKey>) -> Self {
        Self { current, previous }
    }

    /// The keyring a secret holds: either a plain secret (at least 16 bytes), which becomes the
    /// single key `default_id`, or a JSON keyring:
    ///
    /// ```json
    /// {"current": "k2",
    ///  "keys": [{"id": "k2", "secret": "..."},
    ///           {"id": "k1", "secret": "...", "retire_at": "2026-12-21T00:00:00Z"}]}
    /// ```
    pub fn parse(text: &str, default_id: &str) -> Result<Self, KeyringError> {
        crate::rotation::KeyringDocument::read(text, default_id)?.keyring()
    }

    /// The id of the key that signs.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// The token for the link of a claim's first notification.
    pub fn sign(&self, claim_id: ClaimId) -> String {
        self.sign_notice(claim_id, FIRST_NOTICE)
    }

    /// The token for the link of notification `notice` of a claim.
    pub fn sign_notice(&self, claim_id: ClaimId, notice: u32) -> String {
        let id = claim_id.to_string();
        let signature =
            URL_SAFE_NO_PAD.encode(self.current.mac(&id, notice).finalize().into_bytes());
        if notice == FIRST_NOTICE {
            format!("{id}.{}.{signature}", self.current.id)
        } else {
            format!("{id}.{notice}.{}.{signature}", self.current.id)
        }
    }

    /// The claim a token names, if the token is genuine and its key has not retired by `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<ClaimId, TokenError> {
        self.verify_link(token, now).map(|link| link.claim_id)
    }

    /// The claim and notification a token names, if the token is genuine and its key has not
    /// retired by `now`. Comparison is in constant time.
    pub fn verify_link(&self, token: &str, now: DateTime<Utc>) -> Result<OptOutLink, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        let (claim, notice, key_id, signature) = match parts.as_slice() {
            [claim, key_id, signature] => (*claim, FIRST_NOTICE, *key_id, *signature),
            [claim, notice, key_id, signature] => {
                // Only the canonical text of a later notice: no `+`, no leading zeros, no 1.
                let number = notice
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > FIRST_NOTICE && n.to_string() == *notice)
                    .ok_or(TokenError::Malformed)?;
                (*claim, number, *key_id, *signature)
            }
            _ => return Err(TokenError::Malformed),
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
        key.mac(claim, notice)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        if key.retire_at.is_some_and(|at| now >= at) {
            return Err(TokenError::RetiredKey);
        }
        Ok(OptOutLink { claim_id, notice })
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

    fn now() -> DateTime<Utc> {
        chrono::Utc::now()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn a_token_is_the_documented_hmac_sha256_so_links_already_emailed_survive_a_crate_upgrade() {
        // GIVEN a key and a claim id
        let keyring = keyring("k1", "the-old-secret-16b");
        let claim = ClaimId::parse("01JDX3Z8Q6V6W4S0Y1B2C3D4E5").unwrap();
        // WHEN its link is signed
        let token = keyring.sign(claim);
        // THEN the signature is the one computed outside this crate (Python's hmac module) over
        // "cpor-opt-out/v1|<claim id>|<key id>", and it verifies
        assert_eq!(
            token,
            "01JDX3Z8Q6V6W4S0Y1B2C3D4E5.k1.c38-RfdAUTBtZcBttOM8iYYf8cOaK7JGzwadut4a8S4"
        );
        assert_eq!(keyring.verify(&token, now()), Ok(claim));
    }

    #[test]
    fn a_later_notification_s_link_names_it_and_verifies_only_as_itself() {
        // GIVEN a claim's links for its first and second notifications
        let keyring = keyring("k1", "the-old-secret-16b");
        let claim = claim();
        let first = keyring.sign_notice(claim, 1);
        let second = keyring.sign_notice(claim, 2);
        // THEN the first keeps the original form, the second names its number
        assert_eq!(first, keyring.sign(claim));
        assert_eq!(first.split('.').count(), 3);
        assert!(second.starts_with(&format!("{claim}.2.k1.")));
        assert_eq!(
            keyring.verify_link(&first, now()),
            Ok(OptOutLink {
                claim_id: claim,
                notice: 1
            })
        );
        assert_eq!(
            keyring.verify_link(&second, now()),
            Ok(OptOutLink {
                claim_id: claim,
                notice: 2
            })
        );
        // AND a number changed in the link, or written another way, is refused
        let signature = second.rsplit('.').next().unwrap();
        for forged in [
            format!("{claim}.3.k1.{signature}"),
            format!("{claim}.02.k1.{signature}"),
            format!("{claim}.1.k1.{signature}"),
            format!("{claim}.k1.{signature}"),
        ] {
            assert!(keyring.verify_link(&forged, now()).is_err(), "{forged}");
        }
    }

    #[test]
    fn after_a_rotation_old_links_verify_until_their_key_retires_and_new_links_use_the_new_key() {
        let before = OptOutKeyring::parse("the-old-secret-16b", "k1").unwrap();
        let old_link = before.sign(claim());
        let rotated = OptOutKeyring::parse(
            r#"{"current": "k2", "keys": [
                {"id": "k2", "secret": "the-new-secret-16b"},
                {"id": "k1", "secret": "the-old-secret-16b", "retire_at": "2026-12-21T00:00:00Z"}]}"#,
            "k1",
        )
        .unwrap();
        assert_eq!(rotated.current_key_id(), "k2");
        let new_link = rotated.sign(claim());
        assert!(new_link.contains(".k2."));
        assert!(
            rotated
                .verify(&old_link, at("2026-12-20T23:59:59.999Z"))
                .is_ok()
        );
        assert_eq!(
            rotated.verify(&old_link, at("2026-12-21T00:00:00Z")),
            Err(TokenError::RetiredKey)
        );
        assert!(
            rotated
                .verify(&new_link, at("2030-01-01T00:00:00Z"))
                .is_ok()
        );
        // the keyring before the rotation does not know the new key
        assert_eq!(before.verify(&new_link, now()), Err(TokenError::UnknownKey));
        // once the retired key is removed from the keyring, its links are unknown
        let removed = OptOutKeyring::parse(
            r#"{"current": "k2", "keys": [{"id": "k2", "secret": "the-new-secret-16b"}]}"#,
            "k1",
        )
        .unwrap();
        assert_eq!(
            removed.verify(&old_link, now()),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn a_keyring_without_its_current_key_with_a_retiring_current_key_or_twice_the_same_id_is_refused()
     {
        for (text, error) in [
            (
                r#"{"current": "k3", "keys": [{"id": "k2", "secret": "the-new-secret-16b"}]}"#,
                KeyringError::NoCurrent("k3".into()),
            ),
            (
                r#"{"current": "k2", "keys": [{"id": "k2", "secret": "the-new-secret-16b", "retire_at": "2026-12-21T00:00:00Z"}]}"#,
                KeyringError::CurrentRetires("k2".into()),
            ),
            (
                r#"{"current": "k2", "keys": [{"id": "k2", "secret": "the-new-secret-16b"}, {"id": "k2", "secret": "the-old-secret-16b"}]}"#,
                KeyringError::DuplicateId("k2".into()),
            ),
            (
                r#"{"current": "k2", "keys": [{"id": "k2", "secret": "short"}]}"#,
                KeyringError::Key(KeyError::ShortSecret("k2".into())),
            ),
        ] {
            assert_eq!(
                OptOutKeyring::parse(text, "k1").unwrap_err(),
                error,
                "{text}"
            );
        }
        assert!(matches!(
            OptOutKeyring::parse(r#"{"current": "k2", "kyes": []}"#, "k1"),
            Err(KeyringError::Malformed(_))
        ));
        assert!(matches!(
            OptOutKeyring::parse("short", "k1"),
            Err(KeyringError::Key(KeyError::ShortSecret(_)))
        ));
    }

    #[test]
    fn a_signed_token_names_its_claim_and_uses_only_url_safe_characters() {
        let ring = keyring("k1", "a-secret-of-sixteen+");
        let id = claim();
        let token = ring.sign(id);
        assert_eq!(ring.verify(&token, now()), Ok(id));
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
            ring.verify(&format!("{other_claim}.{rest}"), now()),
            Err(TokenError::BadSignature)
        );
        for altered in [
            token[..token.len() - 1].to_string(),
            format!("{token}A"),
            format!("{token}.x"),
            token.to_lowercase(),
            token.replacen(".k1.", ".k2.", 1),
        ] {
            assert!(ring.verify(&altered, now()).is_err(), "{altered}");
        }
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let ours = keyring("k1", "a-secret-of-sixteen+");
        let theirs = keyring("k1", "another-secret-of-16");
        assert_eq!(
            ours.verify(&theirs.sign(claim()), now()),
            Err(TokenError::BadSignature)
        );
        let unknown_key = keyring("k9", "a-secret-of-sixteen+");
        assert_eq!(
            ours.verify(&unknown_key.sign(claim()), now()),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn tokens_signed_by_a_previous_key_still_verify() {
        let old = SigningKey::new("k1", b"the-old-secret-16b").unwrap();
        let new = SigningKey::new("k2", b"the-new-secret-16b").unwrap();
        let before = OptOutKeyring::new(old.clone(), vec![]).sign(claim());
        let after = OptOutKeyring::new(new, vec![old]);
        assert!(after.verify(&before, now()).is_ok());
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
            prop_assert!(ring.verify(&text, now()).is_err());
        }
    }
}
