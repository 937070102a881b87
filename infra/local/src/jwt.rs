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

/// The role of the vendor's reviewers' tokens.
pub const REVIEWER_ROLE: &str = cpor_http::request::REVIEWER_ROLE;

/// Mints a local token for `partner_id` with `role`, valid for `ttl_seconds`.
pub fn mint(
    secret: &str,
    partner_id: &str,
    role: &str,
    ttl_seconds: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let identity = json!({
        "sub": format!("user-of-{partner_id}"),
        "partner_id": partner_id,
        "role": role,
    });
    sign(secret, identity, ttl_seconds)
}

/// Mints a local reviewer's token (`role` `cpor_reviewer`, the reviewer's id in `sub`, no
/// `partner_id`), valid for `ttl_seconds`.
pub fn mint_reviewer(
    secret: &str,
    reviewer: &str,
    ttl_seconds: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    sign(
        secret,
        json!({ "sub": reviewer, "role": REVIEWER_ROLE }),
        ttl_seconds,
    )
}

/// Signs `identity` with the issuer, audience and lifetime of a local token.
fn sign(
    secret: &str,
    mut identity: Value,
    ttl_seconds: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = chrono::Utc::now().timestamp();
    let claims = identity.as_object_mut().expect("an object of claims");
    claims.insert("iss".into(), json!(ISSUER));
    claims.insert("aud".into(), json!(AUDIENCE));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + ttl_seconds));
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes())?,
    )
}

/// Verifies a token as the HTTP API's JWT authorizer does (signature, `iss`, `aud`, `exp` after
/// now, `nbf` when present not after now, with no leeway: API Gateway allows none) and returns
/// its claims as strings, the way API Gateway passes them to functions.
pub fn verify(secret: &str, token: &str) -> Result<HashMap<String, String>, String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.leeway = 0;
    validation.validate_nbf = true;
    // Fails only for an empty secret, which the settings never hold (empty means the default).
    let key = DecodingKey::from_secret(secret.as_bytes()).map_err(|e| e.to_string())?;
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|e| e.to_string())?;
    Ok(authorize_caller::oidc::claims_as_strings(data.claims))
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
    fn a_reviewer_s_token_names_the_reviewer_in_sub_and_no_partner() {
        let token = mint_reviewer("local-dev-secret", "reviewer-7", 60).unwrap();
        let claims = verify("local-dev-secret", &token).unwrap();
        assert_eq!(claims["sub"], "reviewer-7");
        assert_eq!(claims["role"], "cpor_reviewer");
        assert!(!claims.contains_key("partner_id"));
    }

    /// A token with these claims, signed with the local secret.
    fn signed(claims: Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"local-dev-secret").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_token_checked_as_api_gateway_checks_it_no_leeway_and_nbf_honoured() {
        let now = chrono::Utc::now().timestamp();
        let valid =
            json!({ "iss": ISSUER, "aud": AUDIENCE, "partner_id": "1234567", "exp": now + 60 });
        assert!(verify("local-dev-secret", &signed(valid.clone())).is_ok());
        // expired a few seconds ago: API Gateway refuses it (no 60 s of leeway)
        let mut just_expired = valid.clone();
        just_expired["exp"] = json!(now - 5);
        assert!(verify("local-dev-secret", &signed(just_expired)).is_err());
        // not valid before a time still to come
        let mut early = valid.clone();
        early["nbf"] = json!(now + 30);
        assert!(verify("local-dev-secret", &signed(early)).is_err());
        let mut started = valid.clone();
        started["nbf"] = json!(now - 30);
        assert!(verify("local-dev-secret", &signed(started)).is_ok());
        // another issuer or audience, or none
        for (claim, value) in [("iss", json!("someone-else")), ("aud", json!("other"))] {
            let mut wrong = valid.clone();
            wrong[claim] = value;
            assert!(
                verify("local-dev-secret", &signed(wrong)).is_err(),
                "{claim}"
            );
            let mut missing = valid.clone();
            missing.as_object_mut().unwrap().remove(claim);
            assert!(
                verify("local-dev-secret", &signed(missing)).is_err(),
                "no {claim}"
            );
        }
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
