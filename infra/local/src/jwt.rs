//! Local bearer tokens. In AWS the HTTP API's JWT authorizer verifies tokens; locally the
//! gateway does, with HS256 and a development secret (`CPOR_LOCAL_JWT_SECRET`, default
//! `local-dev-secret`: a development default, never a production secret).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The issuer of local tokens.
pub const ISSUER: &str = "cpor-local";
/// The audience of local tokens.
pub const AUDIENCE: &str = "cpor";

/// Mints a local token for `partner_id` with `role`, valid for `ttl_seconds`.
pub fn mint(
    secret: &str,
    partner_id: &str,
    role: &str,
    ttl_seconds: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": format!("user-of-{partner_id}"),
        "partner_id": partner_id,
        "role": role,
        "iat": now,
        "exp": now + ttl_seconds,
    });
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes())?,
    )
}

/// Verifies a token as the HTTP API's JWT authorizer would (signature, `exp`, `iss`, `aud`)
/// and returns its claims as strings, the way API Gateway passes them to functions.
pub fn verify(secret: &str, token: &str) -> Result<HashMap<String, String>, String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    // Fails only for an empty secret, which the settings never hold (empty means the default).
    let key = DecodingKey::from_secret(secret.as_bytes()).map_err(|e| e.to_string())?;
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|e| e.to_string())?;
    Ok(data
        .claims
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_verifies_and_carries_its_claims_as_strings() {
        let token = mint("local-dev-secret", "1234567", "incentives_admin", 60).unwrap();
        let claims = verify("local-dev-secret", &token).unwrap();
        assert_eq!(claims["partner_id"], "1234567");
        assert_eq!(claims["role"], "incentives_admin");
    }

    #[test]
    fn tokens_with_another_key_expired_or_unsigned_are_refused() {
        let token = mint("another-secret", "1234567", "incentives_admin", 60).unwrap();
        assert!(verify("local-dev-secret", &token).is_err());
        let expired = mint("local-dev-secret", "1234567", "incentives_admin", -120).unwrap();
        assert!(verify("local-dev-secret", &expired).is_err());
        // alg "none": header {"alg":"none"}, no signature
        let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        let body = token.split('.').nth(1).unwrap();
        assert!(verify("local-dev-secret", &format!("{header}.{body}.")).is_err());
    }
}
