//! Local bearer tokens. In AWS the HTTP API's JWT authorizer verifies tokens; locally the
//! gateway does, with HS256 and a development secret (`CPOR_LOCAL_JWT_SECRET`, default
//! `local-dev-secret`: a development default, never a production secret).

use cpor_domain::Role;
use cpor_domain::claim::ReviewerId;
use cpor_domain::ids::PartnerId;
use cpor_domain::validation::{FieldCode, Invalid, ObjectReader, ValidationErrors};
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

/// How long a token of `POST /_local/token` (the console's local sign-in) lasts.
pub const SIGN_IN_SECONDS: i64 = 3600;

/// Who signs in locally (`POST /_local/token`): a partner's user with a role, or a reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalIdentity {
    /// `{"partner_id", "role"}`.
    Partner(PartnerId, Role),
    /// `{"reviewer_id"}`.
    Reviewer(ReviewerId),
}

impl LocalIdentity {
    /// Reads `{"partner_id": "1234567", "role": "incentives_admin" | "incentives_user"}` or
    /// `{"reviewer_id": "reviewer-1"}`, naming every refused field.
    pub fn read(body: &Value) -> Result<Self, ValidationErrors> {
        let Some(object) = body.as_object() else {
            return Err(ValidationErrors::single(
                "body",
                Invalid::new(
                    FieldCode::InvalidType,
                    "send {\"partner_id\", \"role\"} or {\"reviewer_id\"}",
                ),
            ));
        };
        let reader = ObjectReader::new(object);
        let mut errors = ValidationErrors::default();
        match (reader.value("partner_id"), reader.value("reviewer_id")) {
            (Some(_), None) => {
                reader.reject_unknown(&["partner_id", "role"], &mut errors);
                let partner = reader.required("partner_id", &mut errors, PartnerId::parse);
                let role = reader.required("role", &mut errors, |role| {
                    Role::parse(role).ok_or_else(|| {
                        Invalid::new(
                            FieldCode::InvalidValue,
                            "must be incentives_admin or incentives_user",
                        )
                    })
                });
                errors.into_result(|| Some(Self::Partner(partner?, role?)))
            }
            (None, Some(_)) => {
                reader.reject_unknown(&["reviewer_id"], &mut errors);
                let reviewer = reader.required("reviewer_id", &mut errors, |id| {
                    ReviewerId::parse(id).ok_or_else(|| {
                        Invalid::new(
                            FieldCode::InvalidValue,
                            "must be 1 to 256 characters, none a control character",
                        )
                    })
                });
                errors.into_result(|| reviewer.map(Self::Reviewer))
            }
            (Some(_), Some(_)) => Err(ValidationErrors::single(
                "reviewer_id",
                Invalid::new(
                    FieldCode::UnknownField,
                    "a partner's user or a reviewer, not both: send partner_id with role, or reviewer_id alone",
                ),
            )),
            (None, None) => Err(ValidationErrors::single(
                "partner_id",
                Invalid::new(
                    FieldCode::Required,
                    "send partner_id with role (a partner's user), or reviewer_id (a reviewer)",
                ),
            )),
        }
    }

    /// Its local token, the same as `make token` mints, valid for `ttl_seconds`.
    pub fn mint(
        &self,
        secret: &str,
        ttl_seconds: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        match self {
            Self::Partner(partner, role) => {
                mint(secret, partner.as_str(), role.as_str(), ttl_seconds)
            }
            Self::Reviewer(reviewer) => mint_reviewer(secret, reviewer.as_str(), ttl_seconds),
        }
    }
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

    /// The local sign-in takes a partner's user (6 to 10 digits and a role of the two) or a
    /// reviewer, and mints the token `make token` mints for them.
    #[test]
    fn a_local_sign_in_names_a_partner_s_user_or_a_reviewer_and_gets_their_token() {
        let partner =
            LocalIdentity::read(&json!({ "partner_id": "1234567", "role": "incentives_user" }))
                .unwrap();
        let claims = verify("s", &partner.mint("s", 60).unwrap()).unwrap();
        assert_eq!(claims["partner_id"], "1234567");
        assert_eq!(claims["role"], "incentives_user");
        assert_eq!(claims["sub"], "user-of-1234567");
        let reviewer = LocalIdentity::read(&json!({ "reviewer_id": " reviewer-1 " })).unwrap();
        let claims = verify("s", &reviewer.mint("s", 60).unwrap()).unwrap();
        assert_eq!(claims["sub"], "reviewer-1");
        assert_eq!(claims["role"], REVIEWER_ROLE);
    }

    /// Every refused field of a local sign-in is named, with its code.
    #[test]
    fn a_local_sign_in_names_every_refused_field() {
        let refused = |body: Value| -> Vec<(String, &'static str)> {
            LocalIdentity::read(&body)
                .unwrap_err()
                .errors()
                .iter()
                .map(|e| (e.field.clone(), e.code.as_str()))
                .collect()
        };
        let named = |pairs: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
            pairs.iter().map(|(f, c)| ((*f).to_owned(), *c)).collect()
        };
        assert_eq!(
            refused(json!({ "partner_id": "12", "role": "cpor_reviewer", "tenant": 1 })),
            named(&[
                ("tenant", "unknown_field"),
                ("partner_id", "invalid_value"),
                ("role", "invalid_value")
            ])
        );
        assert_eq!(
            refused(json!({ "partner_id": 1234567 })),
            named(&[("partner_id", "invalid_type"), ("role", "required")])
        );
        assert_eq!(
            refused(json!({ "reviewer_id": "  ", "role": "incentives_admin" })),
            named(&[("role", "unknown_field"), ("reviewer_id", "invalid_value")])
        );
        assert_eq!(
            refused(json!({ "reviewer_id": "r", "partner_id": "1234567" })),
            named(&[("reviewer_id", "unknown_field")])
        );
        assert_eq!(refused(json!({})), named(&[("partner_id", "required")]));
        assert_eq!(refused(json!([1])), named(&[("body", "invalid_type")]));
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
