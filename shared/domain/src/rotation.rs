//! The opt-out keyring in its stored form (the secret's value), and the steps of a rotation:
//! add a new key that only verifies, promote it to sign (the old key then stops signing but
//! goes on verifying), and prune the keys that no link in force uses any more. A customer may
//! end an association at any time through the links they were e-mailed, so a key that signed
//! an association's link verifies for as long as the association lasts; only a leak justifies
//! a retirement time (`retire_at`), after which the functions refuse the key's links. Each
//! step keeps the keyring valid, so the secret never holds a keyring the functions would
//! refuse at start-up.
//!
//! The stored form is either a plain secret (one key, whose id the deployment names) or:
//!
//! ```json
//! {"current": "k2",
//!  "keys": [{"id": "k2", "secret": "..."},
//!           {"id": "k1", "secret": "...", "retire_at": "2026-12-21T00:00:00.000Z"}]}
//! ```

use crate::time::serde_instant;
use crate::token::{KeyringError, OptOutKeyring, SigningKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A keyring as stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringDocument {
    /// The id of the key that signs.
    pub current: String,
    /// Every key, the current one included.
    pub keys: Vec<KeyDocument>,
}

/// One key as stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDocument {
    /// The id the links carry.
    pub id: String,
    pub secret: String,
    /// From when on the key verifies nothing (never for the current key): set only when the
    /// key must stop at once (a leak).
    #[serde(
        default,
        with = "serde_instant::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub retire_at: Option<DateTime<Utc>>,
    /// When another key was promoted over it: it signed no link after this, so only the links
    /// of claims notified before may use it.
    #[serde(
        default,
        with = "serde_instant::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub signed_until: Option<DateTime<Utc>>,
}

impl fmt::Debug for KeyDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyDocument")
            .field("id", &self.id)
            .field("retire_at", &self.retire_at)
            .field("signed_until", &self.signed_until)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for KeyringDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringDocument")
            .field("current", &self.current)
            .field("keys", &self.keys)
            .finish()
    }
}

impl KeyringDocument {
    /// The stored keyring: a plain secret becomes the single key `default_id`. Refused unless
    /// it is a keyring the functions accept.
    pub fn read(text: &str, default_id: &str) -> Result<Self, KeyringError> {
        let document = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| KeyringError::Malformed(e.to_string()))?
        } else {
            Self {
                current: default_id.to_owned(),
                keys: vec![KeyDocument {
                    id: default_id.to_owned(),
                    secret: text.to_owned(),
                    retire_at: None,
                    signed_until: None,
                }],
            }
        };
        document.keyring()?;
        Ok(document)
    }

    /// The keyring the functions build from it.
    pub fn keyring(&self) -> Result<OptOutKeyring, KeyringError> {
        let mut current = None;
        let mut previous: Vec<SigningKey> = Vec::new();
        for key in &self.keys {
            let signing = SigningKey::new(&key.id, key.secret.as_bytes())?;
            let seen = current
                .iter()
                .chain(&previous)
                .any(|k: &SigningKey| k.id() == key.id);
            if seen {
                return Err(KeyringError::DuplicateId(key.id.clone()));
            }
            if key.id == self.current {
                if key.retire_at.is_some() {
                    return Err(KeyringError::CurrentRetires(key.id.clone()));
                }
                current = Some(signing);
            } else {
                previous.push(match key.retire_at {
                    Some(at) => signing.retiring_at(at),
                    None => signing,
                });
            }
        }
        let current = current.ok_or_else(|| KeyringError::NoCurrent(self.current.clone()))?;
        Ok(OptOutKeyring::new(current, previous))
    }

    /// The stored form (JSON).
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("a keyring serializes"))
    }

    /// The keyring without its secrets: ids and retirement times, for people.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "current": self.current,
            "keys": self.keys.iter().map(|k| serde_json::json!({
                "id": k.id,
                "retire_at": k.retire_at.map(crate::time::format_instant),
                "signed_until": k.signed_until.map(crate::time::format_instant),
            })).collect::<Vec<_>>(),
        })
    }

    /// The next free id of the form `k<n>`.
    pub fn next_key_id(&self) -> String {
        let highest = self
            .keys
            .iter()
            .filter_map(|k| k.id.strip_prefix('k').and_then(|n| n.parse::<u32>().ok()))
            .max()
            .unwrap_or(0);
        format!("k{}", highest + 1)
    }

    /// Step 1: adds a key that verifies but does not sign yet.
    pub fn add(&mut self, id: &str, secret: &str) -> Result<(), KeyringError> {
        if self.keys.iter().any(|k| k.id == id) {
            return Err(KeyringError::DuplicateId(id.to_owned()));
        }
        let mut next = self.clone();
        next.keys.push(KeyDocument {
            id: id.to_owned(),
            secret: secret.to_owned(),
            retire_at: None,
            signed_until: None,
        });
        next.keyring()?;
        *self = next;
        Ok(())
    }

    /// Step 2: `id` signs from `now` on; the key that signed until now stops signing and goes
    /// on verifying the links it signed, until it is pruned once none is in force, or until
    /// `retire_at` if one is given (a leak: its links then stop working).
    pub fn promote(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        retire_at: Option<DateTime<Utc>>,
    ) -> Result<(), KeyringError> {
        if id == self.current {
            return Ok(());
        }
        let mut next = self.clone();
        let Some(key) = next.keys.iter_mut().find(|k| k.id == id) else {
            return Err(KeyringError::NoCurrent(id.to_owned()));
        };
        key.retire_at = None;
        key.signed_until = None;
        let old = next.current.clone();
        if let Some(key) = next.keys.iter_mut().find(|k| k.id == old) {
            key.retire_at = retire_at;
            key.signed_until = Some(now);
        }
        next.current = id.to_owned();
        next.keyring()?;
        *self = next;
        Ok(())
    }

    /// What step 3 asks of each key that no longer signs: a key retired by `now` verifies
    /// nothing and goes; one that signed until a time goes once no link in force was signed
    /// before then (the caller asks the store).
    pub fn prune_candidates(&self, now: DateTime<Utc>) -> Vec<PruneCandidate> {
        self.keys
            .iter()
            .filter(|k| k.id != self.current)
            .filter_map(|k| match (k.retire_at, k.signed_until) {
                (Some(at), _) if at <= now => Some(PruneCandidate::Retired(k.id.clone())),
                (_, Some(until)) => Some(PruneCandidate::SignedUntil(k.id.clone(), until)),
                // Retiring later, promoted before `signed_until` was kept: as it says.
                (Some(_), None) | (None, None) => None,
            })
            .collect()
    }

    /// Step 3: removes the keys `ids` (never the current one); returns those removed.
    pub fn remove(&mut self, ids: &[String]) -> Vec<String> {
        let (removed, kept): (Vec<KeyDocument>, Vec<KeyDocument>) = std::mem::take(&mut self.keys)
            .into_iter()
            .partition(|k| k.id != self.current && ids.contains(&k.id));
        self.keys = kept;
        removed.into_iter().map(|k| k.id).collect()
    }

    /// The keys that verify but have never signed: those added and not yet promoted.
    pub fn staged(&self) -> Vec<&str> {
        self.keys
            .iter()
            .filter(|k| k.id != self.current && k.retire_at.is_none() && k.signed_until.is_none())
            .map(|k| k.id.as_str())
            .collect()
    }
}

/// A key that no longer signs, as step 3 considers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneCandidate {
    /// Past its retirement time: it verifies nothing.
    Retired(String),
    /// It signed links until this time: removed once none of those is in force.
    SignedUntil(String, DateTime<Utc>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClaimId;
    use crate::token::TokenError;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn a_rotation_in_three_steps_keeps_old_links_until_no_link_in_force_uses_the_old_key() {
        let now = at("2026-11-25T12:00:00Z");
        let claim = ClaimId::new_at(now);
        // GIVEN the plain secret a stack generates
        let mut document = KeyringDocument::read("the-old-secret-16b", "k1").unwrap();
        let old_link = document.keyring().unwrap().sign(claim);
        // WHEN a new key is added: links are still signed with k1, and a k2 link verifies
        let id = document.next_key_id();
        assert_eq!(id, "k2");
        document.add(&id, "the-new-secret-16b").unwrap();
        assert_eq!(document.staged(), ["k2"]);
        let ring = document.keyring().unwrap();
        assert_eq!(ring.current_key_id(), "k1");
        let k2_only = KeyringDocument::read(
            r#"{"current":"k2","keys":[{"id":"k2","secret":"the-new-secret-16b"}]}"#,
            "k1",
        )
        .unwrap();
        assert!(
            ring.verify(&k2_only.keyring().unwrap().sign(claim), now)
                .is_ok()
        );
        // AND k2 is promoted: k2 signs; k1 signs no more but verifies, years later still (an
        // association's customer may end it at any time through the link they were e-mailed)
        document.promote("k2", now, None).unwrap();
        let ring = document.keyring().unwrap();
        assert_eq!(ring.current_key_id(), "k2");
        assert!(document.staged().is_empty());
        assert!(
            ring.verify(&old_link, now + chrono::TimeDelta::days(3650))
                .is_ok()
        );
        // AND what is stored reads back the same
        assert_eq!(
            KeyringDocument::read(&document.to_text(), "k1").unwrap(),
            document
        );
        // AND pruning asks whether any link in force was signed before k1 stopped signing
        assert_eq!(
            document.prune_candidates(now),
            [PruneCandidate::SignedUntil("k1".into(), now)]
        );
        assert_eq!(document.remove(&["k1".into(), "k2".into()]), ["k1"]);
        assert_eq!(document.keys.len(), 1);
        assert_eq!(document.next_key_id(), "k3");
    }

    #[test]
    fn a_leaked_key_retired_at_a_time_verifies_nothing_from_then_and_is_pruned_without_asking() {
        let now = at("2026-11-25T12:00:00Z");
        let claim = ClaimId::new_at(now);
        let mut document = KeyringDocument::read("the-old-secret-16b", "k1").unwrap();
        let old_link = document.keyring().unwrap().sign(claim);
        document.add("k2", "the-new-secret-16b").unwrap();
        // WHEN k2 is promoted with k1 retiring at once
        document.promote("k2", now, Some(now)).unwrap();
        // THEN k1's links are refused, and pruning removes it whatever links it signed
        let ring = document.keyring().unwrap();
        assert_eq!(ring.verify(&old_link, now), Err(TokenError::RetiredKey));
        assert_eq!(
            document.prune_candidates(now),
            [PruneCandidate::Retired("k1".into())]
        );
        // AND a key retiring later is not a candidate before then
        assert!(
            document
                .prune_candidates(now - chrono::TimeDelta::seconds(1))
                .iter()
                .all(|c| !matches!(c, PruneCandidate::Retired(_)))
        );
    }

    #[test]
    fn steps_that_would_break_the_keyring_are_refused_and_change_nothing() {
        let mut document = KeyringDocument::read("the-old-secret-16b", "k1").unwrap();
        let before = document.clone();
        assert_eq!(
            document.add("k1", "another-secret-16b"),
            Err(KeyringError::DuplicateId("k1".into()))
        );
        assert!(document.add("k2", "short").is_err());
        assert!(document.add("K 2", "another-secret-16b").is_err());
        assert_eq!(
            document.promote("k9", Utc::now(), None),
            Err(KeyringError::NoCurrent("k9".into()))
        );
        assert_eq!(document, before);
    }

    #[test]
    fn the_summary_and_debug_forms_never_show_a_secret() {
        let mut document = KeyringDocument::read("the-old-secret-16b", "k1").unwrap();
        document.add("k2", "the-new-secret-16b").unwrap();
        let shown = format!("{} {document:?}", document.summary());
        assert!(!shown.contains("secret-16b"), "{shown}");
        assert!(shown.contains("k2"));
    }
}
