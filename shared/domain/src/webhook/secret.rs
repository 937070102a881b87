//! An endpoint's signing secret, as the Standard Webhooks specification writes it: `whsec_` and
//! the standard base64 of the key's bytes (32, from the OS's random source).
//!
//! It is shown to the partner once (at registration and at each rotation), stored only
//! encrypted, and never written to a log: its `Debug` is redacted and it has no `Display`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

/// The prefix of a secret's text.
pub const PREFIX: &str = "whsec_";

/// The key's length in bytes.
pub const KEY_BYTES: usize = 32;

/// The OS's random source could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the OS's random source failed: {0}")]
pub struct NoRandomness(String);

/// A webhook's signing secret.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret([u8; KEY_BYTES]);

impl WebhookSecret {
    /// A new secret from the OS's random source.
    pub fn generate() -> Result<Self, NoRandomness> {
        let mut key = [0u8; KEY_BYTES];
        getrandom::fill(&mut key).map_err(|e| NoRandomness(e.to_string()))?;
        Ok(Self(key))
    }

    /// Parses a secret's text (`whsec_` and the base64 of 32 bytes); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let encoded = text.strip_prefix(PREFIX)?;
        let bytes = STANDARD.decode(encoded).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// The secret's text, as the partner is shown it (and as it is encrypted for the table).
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(self.0))
    }

    /// The HMAC key: the bytes the text encodes.
    pub fn key(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_whsec_and_the_base64_of_32_random_bytes() {
        // GIVEN two secrets from the OS's random source
        let (a, b) = (
            WebhookSecret::generate().unwrap(),
            WebhookSecret::generate().unwrap(),
        );
        // THEN each is written whsec_ and base64, reads back as itself, and they differ
        let text = a.expose();
        assert!(text.starts_with("whsec_"), "{text}");
        assert_eq!(STANDARD.decode(&text[6..]).unwrap().len(), 32);
        assert_eq!(WebhookSecret::parse(&text), Some(a.clone()));
        assert_eq!(a.key().len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn the_specification_s_example_secret_reads_as_its_bytes() {
        // GIVEN the secret of the Standard Webhooks specification's example
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .map(|s| s.key().to_vec());
        // THEN it is 24 bytes, which this service never issues: refused, as any length but 32
        assert_eq!(secret, None);
        // AND a 32-byte key written as the specification writes keys is read as its bytes
        let bytes = [7u8; 32];
        let text = format!("whsec_{}", STANDARD.encode(bytes));
        assert_eq!(WebhookSecret::parse(&text).unwrap().key(), &bytes);
    }

    #[test]
    fn text_that_is_not_a_secret_is_refused() {
        for text in ["", "whsec_", "whsec_!!!!", "sk_AAAA", "whsec_AAAA"] {
            assert!(WebhookSecret::parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let secret = WebhookSecret::generate().unwrap();
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(!shown.contains(&secret.expose()[6..]), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
