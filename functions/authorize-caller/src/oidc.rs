//! Bearer tokens of the identity providers the service trusts (OpenID Connect, RS256), checked
//! as API Gateway's JWT authorizer checks them: the key named by the token's `kid`, from the
//! issuer's published keys (`<issuer>/.well-known/openid-configuration` → `jwks_uri`, kept and
//! read again when a token names a key not among them); the signature; `iss` exactly; `aud` one
//! of the accepted audiences (or, in a token without `aud`, `client_id`); `exp` after now,
//! `nbf` and `iat` (when present) not after now, with no leeway.
//!
//! The claims come back as strings, as API Gateway passes them to functions. Nothing here maps
//! them: a provider's tokens carry the claims the service reads (`partner_id` and `role` for a
//! partner's user; `role` `cpor_reviewer` and `sub` for a reviewer), as the local stack's own
//! tokens do.

use cpor_aws::config::{PARTNER_AUDIENCE, PARTNER_ISSUER, REVIEWER_AUDIENCE, REVIEWER_ISSUER};
use cpor_aws::{ConfigError, Env};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

/// Whose identity provider issued a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// The partners' (the HTTP API's `PartnerJwt` authorizer trusts it).
    Partner,
    /// The vendor's reviewers' (`ReviewerJwt`).
    Reviewer,
}

/// An issuer the service trusts, and the audiences its tokens may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    pub provider: Provider,
    /// `iss`, exactly as the tokens carry it (e.g. `https://cognito-idp.<region>.amazonaws.com/<pool>`).
    pub issuer: String,
    /// The accepted `aud` (or `client_id`) values: the API's own, and the console's client id.
    pub audiences: Vec<String>,
}

impl TrustedIssuer {
    /// The issuers the settings name: `CPOR_PARTNER_ISSUER` with `CPOR_PARTNER_AUDIENCE`, and
    /// `CPOR_REVIEWER_ISSUER` with `CPOR_REVIEWER_AUDIENCE` (audiences comma-separated). An
    /// issuer not set is not trusted; an issuer without an audience is refused, as API Gateway
    /// refuses a JWT authorizer without one.
    pub fn from_env(env: &Env) -> Result<Vec<Self>, ConfigError> {
        let mut trusted = Vec::new();
        for (provider, issuer, audience) in [
            (Provider::Partner, PARTNER_ISSUER, PARTNER_AUDIENCE),
            (Provider::Reviewer, REVIEWER_ISSUER, REVIEWER_AUDIENCE),
        ] {
            let Some(url) = env.get(issuer) else {
                continue;
            };
            if !(url.starts_with("https://") || is_loopback_http(&url)) {
                return Err(ConfigError::Invalid {
                    name: issuer,
                    problem: format!("{url} is not an https:// URL (http:// only on loopback)"),
                });
            }
            let audiences: Vec<String> = env
                .get(audience)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            if audiences.is_empty() {
                return Err(ConfigError::Invalid {
                    name: audience,
                    problem: format!("{issuer} is set: name the audiences its tokens may carry"),
                });
            }
            trusted.push(Self {
                provider,
                issuer: url,
                audiences,
            });
        }
        Ok(trusted)
    }
}

/// Whether `url` is plain HTTP to this machine (a local identity provider).
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Reads a document at a URL: an issuer's discovery document and its keys.
pub trait Fetch: Send + Sync {
    /// The body of a successful `GET url`.
    fn get(&self, url: &str) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the token is not a JWT ({0})")]
    Malformed(String),
    #[error("the token is signed with {0:?}; only RS256 is accepted")]
    Algorithm(Algorithm),
    #[error("the token's header names no key (kid)")]
    NoKeyId,
    #[error("the token's issuer {0:?} is not trusted here")]
    UntrustedIssuer(String),
    #[error("the issuer's keys could not be read: {0}")]
    KeysUnavailable(String),
    #[error("the issuer publishes no key {0:?}")]
    UnknownKey(String),
    #[error("the token's audience (aud, or client_id) is not one accepted here")]
    WrongAudience,
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

/// A token that passed, and whose identity provider issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub provider: Provider,
    /// Its claims, each as a string (a number or a list as its JSON text).
    pub claims: HashMap<String, String>,
}

/// How long after reading an issuer's keys a token naming another key does not make them be
/// read again: a stream of made-up `kid`s cannot turn into a stream of requests to the
/// provider.
pub const REFETCH_PAUSE: Duration = Duration::from_secs(30);

/// Checks tokens of the trusted issuers, keeping each issuer's keys once read.
pub struct Verifier<F> {
    trusted: Vec<TrustedIssuer>,
    fetch: F,
    refetch_pause: Duration,
    /// Each issuer's keys and when they were read. One lock: two tokens needing the keys read
    /// them once.
    keys: tokio::sync::Mutex<HashMap<String, (JwkSet, Instant)>>,
}

impl<F: Fetch> Verifier<F> {
    /// Trusts `trusted`, reading keys through `fetch`.
    pub fn new(trusted: Vec<TrustedIssuer>, fetch: F) -> Self {
        Self {
            trusted,
            fetch,
            refetch_pause: REFETCH_PAUSE,
            keys: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The same, with another pause before keys are read again for an unknown `kid`.
    #[must_use]
    pub fn with_refetch_pause(mut self, pause: Duration) -> Self {
        self.refetch_pause = pause;
        self
    }

    /// The issuers trusted.
    pub fn trusted(&self) -> &[TrustedIssuer] {
        &self.trusted
    }

    /// Checks `token`; its claims, and which provider issued it.
    pub async fn verify(&self, token: &str) -> Result<Verified, Refusal> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| Refusal::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(Refusal::Algorithm(header.alg));
        }
        let kid = header.kid.ok_or(Refusal::NoKeyId)?;
        // Which issuer's keys to check the signature with: the token's word, until they do.
        let unverified: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|e| Refusal::Malformed(e.to_string()))?;
        let issuer = unverified
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        // One provider may serve partners and reviewers alike, each with its audiences.
        let candidates: Vec<&TrustedIssuer> =
            self.trusted.iter().filter(|t| t.issuer == issuer).collect();
        if candidates.is_empty() {
            return Err(Refusal::UntrustedIssuer(issuer));
        }
        let jwk = self.key(&issuer, &kid).await?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| Refusal::Invalid(e.to_string()))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        // `aud` or `client_id`: checked below, as API Gateway checks them.
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| Refusal::Invalid(e.to_string()))?
            .claims;
        let issued_at = claims.get("iat").and_then(Value::as_i64);
        let now = jsonwebtoken::get_current_timestamp();
        if issued_at.is_some_and(|iat| u64::try_from(iat).map_or(true, |iat| iat > now)) {
            return Err(Refusal::Invalid("it is issued in the future (iat)".into()));
        }
        let provider = candidates
            .iter()
            .find(|t| audience_accepted(&claims, &t.audiences))
            .map(|t| t.provider)
            .ok_or(Refusal::WrongAudience)?;
        Ok(Verified {
            provider,
            claims: claims_as_strings(claims),
        })
    }

    /// The issuer's key `kid`: from the keys kept, or read again if they lack it (unless they
    /// were read within the pause).
    async fn key(&self, issuer: &str, kid: &str) -> Result<Jwk, Refusal> {
        let mut kept = self.keys.lock().await;
        if let Some((set, read_at)) = kept.get(issuer) {
            if let Some(jwk) = set.find(kid) {
                return Ok(jwk.clone());
            }
            if read_at.elapsed() < self.refetch_pause {
                return Err(Refusal::UnknownKey(kid.to_owned()));
            }
        }
        let set = self.read_keys(issuer).await?;
        let found = set.find(kid).cloned();
        kept.insert(issuer.to_owned(), (set, Instant::now()));
        found.ok_or_else(|| Refusal::UnknownKey(kid.to_owned()))
    }

    /// The issuer's signing keys, through its discovery document.
    async fn read_keys(&self, issuer: &str) -> Result<JwkSet, Refusal> {
        let unavailable = Refusal::KeysUnavailable;
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let document: Value =
            serde_json::from_slice(&self.fetch.get(&discovery).await.map_err(unavailable)?)
                .map_err(|e| unavailable(format!("{discovery}: {e}")))?;
        if document["issuer"].as_str() != Some(issuer) {
            return Err(unavailable(format!(
                "{discovery} names the issuer {}, not {issuer}",
                document["issuer"]
            )));
        }
        let jwks_uri = document["jwks_uri"]
            .as_str()
            .ok_or_else(|| unavailable(format!("{discovery} has no jwks_uri")))?;
        if !(jwks_uri.starts_with("https://") || is_loopback_http(jwks_uri)) {
            return Err(unavailable(format!(
                "the keys' address {jwks_uri} is not https://"
            )));
        }
        let keys: Value =
            serde_json::from_slice(&self.fetch.get(jwks_uri).await.map_err(unavailable)?)
                .map_err(|e| unavailable(format!("{jwks_uri}: {e}")))?;
        // A key of a kind this service does not read (or for encryption) is left out, not a
        // reason to refuse the others.
        let keys = keys["keys"]
            .as_array()
            .ok_or_else(|| unavailable(format!("{jwks_uri} is not a key set")))?
            .iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
            .filter(|key| key.common.public_key_use != Some(PublicKeyUse::Encryption))
            .collect();
        Ok(JwkSet { keys })
    }
}

/// A token's claims as API Gateway passes them to functions: each value as a string (a number,
/// a list or an object as its JSON text).
pub fn claims_as_strings(claims: Map<String, Value>) -> HashMap<String, String> {
    claims
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text,
                other @ (Value::Null
                | Value::Bool(_)
                | Value::Number(_)
                | Value::Array(_)
                | Value::Object(_)) => other.to_string(),
            };
            (name, text)
        })
        .collect()
}

/// Whether the token is for one of `audiences`: its `aud` (a string or a list) names one; a
/// token without `aud` is judged by its `client_id` (as Cognito's access tokens carry it).
fn audience_accepted(claims: &Map<String, Value>, audiences: &[String]) -> bool {
    let accepted = |value: &Value| {
        value
            .as_str()
            .is_some_and(|a| audiences.iter().any(|x| x == a))
    };
    match claims.get("aud") {
        Some(Value::Array(list)) => list.iter().any(accepted),
        Some(aud) => accepted(aud),
        None => claims.get("client_id").is_some_and(accepted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestIssuer;
    use serde_json::json;

    const AUDIENCE: &str = "cpor-api";

    fn partner(issuer: &TestIssuer) -> TrustedIssuer {
        issuer.trusted_as(Provider::Partner, &[AUDIENCE, "console-client"])
    }

    /// A partner's user's claims, valid for a minute from now.
    fn claims(issuer: &TestIssuer) -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({
            "iss": issuer.issuer(),
            "aud": AUDIENCE,
            "sub": "user-1",
            "partner_id": "1234567",
            "role": "incentives_admin",
            "iat": now,
            "exp": now + 60,
        })
    }

    async fn verifier(issuer: &TestIssuer) -> Verifier<crate::WebFetch> {
        Verifier::new(vec![partner(issuer)], crate::WebFetch::default())
    }

    /// A token of a trusted issuer, signed by its published key, for an accepted audience and
    /// within its lifetime, passes, with its claims as strings.
    #[tokio::test]
    async fn a_good_token_passes_with_its_claims_as_strings() {
        let issuer = TestIssuer::start().await;
        let verifier = verifier(&issuer).await;
        // One set of claims: built twice, a second could pass between them and move `exp`.
        let signed = claims(&issuer);
        let verified = verifier.verify(&issuer.sign(&signed)).await.unwrap();
        assert_eq!(verified.provider, Provider::Partner);
        assert_eq!(verified.claims["partner_id"], "1234567");
        assert_eq!(verified.claims["role"], "incentives_admin");
        assert_eq!(
            verified.claims["exp"],
            signed["exp"].to_string(),
            "numbers as their text"
        );
        // AND a second token is checked with the keys kept, without reading them again
        verifier
            .verify(&issuer.sign(&claims(&issuer)))
            .await
            .unwrap();
        assert_eq!(issuer.key_reads(), 1);
    }

    /// Another issuer, even one that publishes the same keys, is not trusted.
    #[tokio::test]
    async fn a_token_of_another_issuer_is_refused() {
        let issuer = TestIssuer::start().await;
        let verifier = verifier(&issuer).await;
        let mut other = claims(&issuer);
        other["iss"] = json!("https://someone-else.example.com");
        assert_eq!(
            verifier.verify(&issuer.sign(&other)).await,
            Err(Refusal::UntrustedIssuer(
                "https://someone-else.example.com".into()
            ))
        );
        assert_eq!(
            issuer.key_reads(),
            0,
            "nothing read for an untrusted issuer"
        );
    }

    /// `aud` must name an accepted audience (a list may); without `aud`, `client_id` must.
    #[tokio::test]
    async fn a_token_for_another_audience_is_refused_and_client_id_stands_in_for_a_missing_aud() {
        let issuer = TestIssuer::start().await;
        let verifier = verifier(&issuer).await;
        let with = |change: &dyn Fn(&mut Value)| {
            let mut c = claims(&issuer);
            change(&mut c);
            issuer.sign(&c)
        };
        let refused = [
            with(&|c| c["aud"] = json!("another-api")),
            with(&|c| c["aud"] = json!(["another-api", "a-third"])),
            with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
            with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
                c["client_id"] = json!("another-client");
            }),
            // `aud` is judged when present, whatever `client_id` says
            with(&|c| {
                c["aud"] = json!("another-api");
                c["client_id"] = json!("console-client");
            }),
        ];
        for token in refused {
            assert_eq!(verifier.verify(&token).await, Err(Refusal::WrongAudience));
        }
        let accepted = [
            with(&|c| c["aud"] = json!(["another-api", "console-client"])),
            with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
                c["client_id"] = json!("console-client");
            }),
        ];
        for token in accepted {
            assert!(verifier.verify(&token).await.is_ok());
        }
    }

    /// Expired a second ago is expired (no leeway), and `exp` is required.
    #[tokio::test]
    async fn an_expired_token_is_refused() {
        let issuer = TestIssuer::start().await;
        let verifier = verifier(&issuer).await;
        let now = jsonwebtoken::get_current_timestamp();
        let mut expired = claims(&issuer);
        expired["exp"] = json!(now - 1);
        let refusal = verifier.verify(&issuer.sign(&expired)).await.unwrap_err();
        assert!(
            matches!(&refusal, Refusal::Invalid(e) if e.contains("Expired")),
            "{refusal}"
        );
        let mut endless = claims(&issuer);
        endless.as_object_mut().unwrap().remove("exp");
        assert!(matches!(
            verifier.verify(&issuer.sign(&endless)).await,
            Err(Refusal::Invalid(_))
        ));
    }

    /// A token whose `nbf` or `iat` is still to come is not valid yet.
    #[tokio::test]
    async fn a_token_not_yet_valid_is_refused() {
        let issuer = TestIssuer::start().await;
        let verifier = verifier(&issuer).await;
        let now = jsonwebtoken::get_current_timestamp();
        for claim in ["nbf", "iat"] {
            let mut early = claims(&issuer);
            early[claim] = json!(now + 30);
            assert!(
                matches!(
                    verifier.verify(&issuer.sign(&early)).await,
                    Err(Refusal::Invalid(_))
                ),
                "{claim}"
            );
            let mut started = claims(&issuer);
            started[claim] = json!(now - 30);
            assert!(
                verifier.verify(&issuer.sign(&started)).await.is_ok(),
                "{claim}"
            );
        }
    }

    /// A key the issuer does not publish is refused; the keys are read again for it, but not
    /// again within the pause; a key the issuer published since is found by reading them again.
    #[tokio::test]
    async fn a_token_naming_an_unknown_key_is_refused_and_a_rotated_key_is_found() {
        let issuer = TestIssuer::start().await;
        let verifier = verifier(&issuer).await;
        verifier
            .verify(&issuer.sign(&claims(&issuer)))
            .await
            .unwrap();
        assert_eq!(issuer.key_reads(), 1);
        // GIVEN a token signed by a key the issuer never published
        let stranger = issuer.unpublished_token(&claims(&issuer));
        // WHEN it is checked within the pause: refused, and nothing read again
        for _ in 0..2 {
            assert!(matches!(
                verifier.verify(&stranger).await,
                Err(Refusal::UnknownKey(_))
            ));
        }
        assert_eq!(issuer.key_reads(), 1);
        // AND after the pause: the keys are read again, and the key is still unknown
        let verifier = verifier.with_refetch_pause(Duration::ZERO);
        assert!(matches!(
            verifier.verify(&stranger).await,
            Err(Refusal::UnknownKey(_))
        ));
        assert_eq!(issuer.key_reads(), 2);
        // AND a key the issuer published since (a rotation) is found by reading them again
        issuer.rotate();
        assert!(
            verifier
                .verify(&issuer.sign(&claims(&issuer)))
                .await
                .is_ok()
        );
        assert_eq!(issuer.key_reads(), 3);
    }

    /// A token signed by another key than the one its `kid` names, or altered after signing, or
    /// signed otherwise than with RS256, is refused.
    #[tokio::test]
    async fn a_token_with_a_bad_signature_is_refused() {
        let issuer = TestIssuer::start().await;
        let verifier = verifier(&issuer).await;
        let forged = issuer.forged_token(&claims(&issuer));
        assert!(matches!(
            verifier.verify(&forged).await,
            Err(Refusal::Invalid(e)) if e.contains("InvalidSignature")
        ));
        // the payload of a good token, changed: another partner
        let good = issuer.sign(&claims(&issuer));
        let mut parts: Vec<&str> = good.split('.').collect();
        let mut other = claims(&issuer);
        other["partner_id"] = json!("7654321");
        let payload = crate::testing::base64url(other.to_string().as_bytes());
        parts[1] = &payload;
        assert!(matches!(
            verifier.verify(&parts.join(".")).await,
            Err(Refusal::Invalid(_))
        ));
        // HS256 with the public key's bytes, or no signature at all
        let hs256 = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims(&issuer),
            &jsonwebtoken::EncodingKey::from_secret(b"anything").unwrap(),
        )
        .unwrap();
        assert_eq!(
            verifier.verify(&hs256).await,
            Err(Refusal::Algorithm(Algorithm::HS256))
        );
        let none = format!(
            "{}.{}.",
            crate::testing::base64url(br#"{"alg":"none","kid":"k"}"#),
            parts[1]
        );
        assert!(verifier.verify(&none).await.is_err());
    }

    /// One provider may issue partners' and reviewers' tokens: the audience tells them apart.
    #[tokio::test]
    async fn one_issuer_for_both_providers_is_told_apart_by_audience() {
        let issuer = TestIssuer::start().await;
        let reviewer = issuer.trusted_as(Provider::Reviewer, &["review-console"]);
        let verifier = Verifier::new(vec![partner(&issuer), reviewer], crate::WebFetch::default());
        let mut review = claims(&issuer);
        review["aud"] = json!("review-console");
        assert_eq!(
            verifier
                .verify(&issuer.sign(&review))
                .await
                .unwrap()
                .provider,
            Provider::Reviewer
        );
        assert_eq!(
            verifier
                .verify(&issuer.sign(&claims(&issuer)))
                .await
                .unwrap()
                .provider,
            Provider::Partner
        );
    }

    /// The settings name each provider's issuer with its audiences; an issuer without an
    /// audience, or in clear text off this machine, stops the start.
    #[test]
    fn the_settings_name_each_issuer_with_its_audiences() {
        let env = Env::default()
            .with(PARTNER_ISSUER, "https://idp.example.com/partners")
            .with(PARTNER_AUDIENCE, "cpor-api, console ,")
            .with(REVIEWER_ISSUER, "")
            .with(REVIEWER_AUDIENCE, "");
        assert_eq!(
            TrustedIssuer::from_env(&env).unwrap(),
            [TrustedIssuer {
                provider: Provider::Partner,
                issuer: "https://idp.example.com/partners".into(),
                audiences: vec!["cpor-api".into(), "console".into()],
            }]
        );
        let local = env
            .clone()
            .with(REVIEWER_ISSUER, "http://127.0.0.1:4000")
            .with(REVIEWER_AUDIENCE, "review-console");
        assert_eq!(TrustedIssuer::from_env(&local).unwrap().len(), 2);
        for (name, value) in [
            (PARTNER_AUDIENCE, ""),
            (PARTNER_ISSUER, "http://idp.example.com"),
        ] {
            let wrong = env.clone().with(name, value);
            assert!(
                matches!(
                    TrustedIssuer::from_env(&wrong),
                    Err(ConfigError::Invalid { .. })
                ),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn only_plain_http_to_this_machine_counts_as_loopback() {
        for url in [
            "http://127.0.0.1:4000",
            "http://localhost/x",
            "http://[::1]:80/",
        ] {
            assert!(is_loopback_http(url), "{url}");
        }
        for url in [
            "https://127.0.0.1",
            "http://127.0.0.1.example.com",
            "http://example.com",
            "http://localhost.evil",
        ] {
            assert!(!is_loopback_http(url), "{url}");
        }
    }
}
