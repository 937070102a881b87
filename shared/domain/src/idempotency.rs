//! Idempotent submission: the same key from the same partner with the same body, within a day,
//! answers the first response again and creates nothing.

use crate::claim::Claim;
use crate::ids::PartnerId;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How long a key is remembered.
pub const IDEMPOTENCY_WINDOW: TimeDelta = TimeDelta::hours(24);

/// An `Idempotency-Key`: 1 to 128 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses a key.
    pub fn parse(text: &str) -> Option<Self> {
        ((1..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic()))
            .then(|| Self(text.to_owned()))
    }

    /// A key the service derives itself (a batch's row's: [`crate::batch::row_key`]), which
    /// may hold spaces so that no client's key can be it.
    pub(crate) fn derived(text: String) -> Self {
        Self(text)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of a request body that ignores key order and white space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyFingerprint(String);

impl BodyFingerprint {
    /// The SHA-256 of the body's canonical JSON form (keys sorted, no white space).
    pub fn of(body: &Value) -> Self {
        let mut canonical = String::new();
        write_canonical(body, &mut canonical);
        let digest = Sha256::digest(canonical.as_bytes());
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar @ (Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)) => {
            out.push_str(&scalar.to_string());
        }
    }
}

/// What is remembered of a successful submission made with a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub partner_id: PartnerId,
    pub key: String,
    /// The body the key first came with.
    pub fingerprint: BodyFingerprint,
    /// The claim as the first response showed it: a replay answers it again.
    pub response: Claim,
    /// When the key was first used.
    pub created_at: DateTime<Utc>,
}

impl IdempotencyRecord {
    /// When the key may be used afresh.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.created_at + IDEMPOTENCY_WINDOW
    }

    /// True while the key still replays. Checked here, not left to the table's TTL, which may
    /// delete expired records days late.
    pub fn is_live_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprints_ignore_key_order_and_white_space_but_not_values() {
        let a: Value = serde_json::from_str(r#"{"b": [1, {"y":2,"x":1}], "a": "x"}"#).unwrap();
        let b = json!({"a": "x", "b": [1, {"x": 1, "y": 2}]});
        let c = json!({"a": "y", "b": [1, {"x": 1, "y": 2}]});
        assert_eq!(BodyFingerprint::of(&a), BodyFingerprint::of(&b));
        assert_ne!(BodyFingerprint::of(&a), BodyFingerprint::of(&c));
    }

    #[test]
    fn keys_are_one_to_128_visible_ascii_characters() {
        assert!(IdempotencyKey::parse("a").is_some());
        assert!(IdempotencyKey::parse(&"k".repeat(128)).is_some());
        assert!(IdempotencyKey::parse(&"k".repeat(129)).is_none());
        assert!(IdempotencyKey::parse("").is_none());
        assert!(IdempotencyKey::parse("has space").is_none());
        assert!(IdempotencyKey::parse("clé").is_none());
    }
}
