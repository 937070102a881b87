//! Signing a delivery as the Standard Webhooks specification says, so that a partner checks it
//! with any of that specification's libraries.
//!
//! The signed content is `<webhook-id>.<webhook-timestamp>.<body>`; its signature is
//! `v1,<standard base64 of HMAC-SHA256>` with the key that the secret's text (`whsec_` and the
//! standard base64 of the key) names. While a rotated-out secret still signs, the
//! `webhook-signature` header carries one signature per secret, separated by spaces: a
//! receiver that knows either secret accepts the delivery.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of a secret's text.
pub const SECRET_PREFIX: &str = "whsec_";

/// The version tag of a symmetric (HMAC-SHA256) signature.
const VERSION: &str = "v1";

/// A secret's text that does not name a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is `whsec_` and the standard base64 of its key")]
pub struct InvalidSecret;

/// The key a secret's text names: the bytes of the base64 after `whsec_`. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    /// The key of a secret's text (`whsec_...`).
    pub fn from_secret(text: &str) -> Result<Self, InvalidSecret> {
        let encoded = text.strip_prefix(SECRET_PREFIX).ok_or(InvalidSecret)?;
        let key = STANDARD.decode(encoded).map_err(|_| InvalidSecret)?;
        if key.is_empty() {
            return Err(InvalidSecret);
        }
        Ok(Self(key))
    }

    /// A key from its bytes.
    pub fn from_bytes(key: &[u8]) -> Self {
        Self(key.to_vec())
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        // new_from_slice accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The signature of a delivery: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("{VERSION},{}", STANDARD.encode(tag))
    }

    /// Whether a `webhook-signature` header carries a `v1` signature of this delivery by this
    /// key (compared in constant time); other versions and malformed entries are skipped.
    pub fn verifies(&self, header: &str, id: &str, timestamp: i64, body: &[u8]) -> bool {
        header.split(' ').any(|entry| {
            let Some((VERSION, encoded)) = entry.split_once(',') else {
                return false;
            };
            let Ok(tag) = STANDARD.decode(encoded) else {
                return false;
            };
            self.mac(id, timestamp, body).verify_slice(&tag).is_ok()
        })
    }
}

/// The `webhook-signature` header of a delivery signed by every key of `keys` (the current
/// secret's first), space-separated.
pub fn signature_header(keys: &[SigningKey], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|key| key.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The specification's published test vector: the Standard Webhooks reference libraries'
    /// signing test (github.com/standard-webhooks/standard-webhooks,
    /// `libraries/go/webhook_test.go`, `TestWebhookSign`; the other libraries' tests use the
    /// same secret, id, timestamp and payload).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const PAYLOAD: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn a_delivery_is_signed_as_the_specification_s_test_vector_says() {
        // GIVEN the specification's secret, id, timestamp and payload
        let key = SigningKey::from_secret(SECRET).unwrap();
        // WHEN signed THEN the signature is the published one, and it verifies
        assert_eq!(key.sign(ID, TIMESTAMP, PAYLOAD), EXPECTED);
        assert!(key.verifies(EXPECTED, ID, TIMESTAMP, PAYLOAD));
    }

    #[test]
    fn two_secrets_sign_with_two_space_separated_signatures_each_verifying() {
        // GIVEN the current secret and the one it replaced
        let current = SigningKey::from_bytes(&[7; 32]);
        let previous = SigningKey::from_secret(SECRET).unwrap();
        // WHEN both sign
        let header = signature_header(&[current.clone(), previous.clone()], ID, TIMESTAMP, PAYLOAD);
        // THEN the header is two signatures, and a receiver knowing either secret accepts it
        assert_eq!(header.split(' ').count(), 2);
        assert_eq!(header.split(' ').nth(1), Some(EXPECTED));
        assert!(current.verifies(&header, ID, TIMESTAMP, PAYLOAD));
        assert!(previous.verifies(&header, ID, TIMESTAMP, PAYLOAD));
        assert!(!SigningKey::from_bytes(&[8; 32]).verifies(&header, ID, TIMESTAMP, PAYLOAD));
    }

    #[test]
    fn a_secret_s_text_that_names_no_key_is_refused() {
        for text in [
            "",
            "whsec_",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ] {
            assert_eq!(SigningKey::from_secret(text), Err(InvalidSecret), "{text}");
        }
    }

    #[test]
    fn a_key_is_never_printed() {
        let key = SigningKey::from_secret(SECRET).unwrap();
        assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    }

    proptest! {
        /// Any change of the id, the timestamp or the body breaks the signature.
        #[test]
        fn a_signature_verifies_its_delivery_and_no_other(
            key in proptest::collection::vec(any::<u8>(), 1..64),
            body in proptest::collection::vec(any::<u8>(), 0..256),
            timestamp in 0i64..4_000_000_000,
            flip in any::<usize>(),
        ) {
            let key = SigningKey::from_bytes(&key);
            let header = key.sign(ID, timestamp, &body);
            prop_assert!(key.verifies(&header, ID, timestamp, &body));
            prop_assert!(!key.verifies(&header, "msg_other", timestamp, &body));
            prop_assert!(!key.verifies(&header, ID, timestamp + 1, &body));
            let mut altered = body.clone();
            if altered.is_empty() {
                altered.push(0);
            } else {
                let i = flip % altered.len();
                altered[i] ^= 1;
            }
            prop_assert!(!key.verifies(&header, ID, timestamp, &altered));
        }
    }
}
