//! The HTTP API's authorizers, as the local gateway plays them: the partners' and the
//! reviewers' JWT authorizers, and the Lambda authorizer of the routes open to both
//! (authorize-caller, called in-process as API Gateway calls it).
//!
//! Two kinds of token pass them. The local stack's own (HS256, `CPOR_LOCAL_JWT_SECRET`: `make
//! token`, `POST /_local/token`) pass every authorizer: one secret stands for both identity
//! providers, and the functions keep each kind of caller to its routes. An identity provider's
//! (RS256), when the settings name its issuer (`CPOR_PARTNER_ISSUER`, `CPOR_REVIEWER_ISSUER`),
//! passes as in AWS: the partners' on the partner routes, the reviewers' on the review routes,
//! either on the routes open to both.

use crate::jwt;
use authorize_caller::AuthorizeCallerFunction;
use authorize_caller::oidc::{Provider, TrustedIssuer, Verifier};
use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use axum::http::HeaderMap;
use cpor_aws::Door;
use cpor_http::Access;
use serde_json::Value;
use std::collections::HashMap;

/// Why a request does not reach its function: API Gateway's 401 (no token, or one a JWT
/// authorizer refuses) or 403 (a token the Lambda authorizer refuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Unauthenticated(String),
    Forbidden(String),
}

/// The authorizers of the local gateway.
pub struct Authorizers {
    /// The secret of the local stack's own tokens.
    local_secret: String,
    /// The identity providers' issuers, for the JWT authorizers' part.
    providers: Verifier<authorize_caller::WebFetch>,
    /// The Lambda authorizer, built as in Lambda, when an issuer is named.
    either: Option<AuthorizeCallerFunction>,
}

impl Authorizers {
    /// Local tokens signed with `local_secret`, and the tokens of `trusted`; `either` is
    /// authorize-caller, built on the same issuers.
    pub fn new(
        local_secret: &str,
        trusted: Vec<TrustedIssuer>,
        either: Option<AuthorizeCallerFunction>,
    ) -> Self {
        Self {
            local_secret: local_secret.to_owned(),
            providers: Verifier::new(trusted, authorize_caller::WebFetch::default()),
            either,
        }
    }

    /// What the route's authorizer hands the function (the JWT authorizer's claims, or the
    /// Lambda authorizer's context), or why the request stops here.
    pub async fn authorize(
        &self,
        access: Access,
        route_key: &str,
        headers: &HeaderMap,
    ) -> Result<Option<ApiGatewayRequestAuthorizer>, Refused> {
        let provider = match access {
            Access::Public => return Ok(None),
            Access::Partner => Provider::Partner,
            Access::Reviewer => Provider::Reviewer,
            Access::PartnerOrReviewer => return self.either(route_key, headers).await.map(Some),
        };
        let token = bearer(headers).map_err(Refused::Unauthenticated)?;
        let claims = if is_local(token) {
            jwt::verify(&self.local_secret, token)
        } else {
            self.of_provider(provider, token).await
        };
        let claims = claims
            .map_err(|e| Refused::Unauthenticated(format!("the bearer token is not valid: {e}")))?;
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims;
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        Ok(Some(authorizer))
    }

    /// The claims of an identity provider's token, if `provider`'s JWT authorizer would take
    /// it: its issuer is that provider's.
    async fn of_provider(
        &self,
        provider: Provider,
        token: &str,
    ) -> Result<HashMap<String, String>, String> {
        if self.providers.trusted().is_empty() {
            return Err(
                "it is not a local token (HS256), and no identity provider is configured \
                 (CPOR_PARTNER_ISSUER, CPOR_REVIEWER_ISSUER)"
                    .into(),
            );
        }
        let verified = self
            .providers
            .verify(token)
            .await
            .map_err(|e| e.to_string())?;
        if verified.provider == provider {
            Ok(verified.claims)
        } else {
            Err(format!(
                "it is issued for the {:?} identity provider's routes, not this route's",
                verified.provider
            ))
        }
    }

    /// The Lambda authorizer: 401 without a token (API Gateway does not call the function),
    /// a local token as the JWT authorizers take it, any other through authorize-caller.
    async fn either(
        &self,
        route_key: &str,
        headers: &HeaderMap,
    ) -> Result<ApiGatewayRequestAuthorizer, Refused> {
        let header = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Refused::Unauthenticated("send Authorization: Bearer <token>".into()))?;
        let context = match bearer(headers) {
            Ok(token) if is_local(token) => jwt::verify(&self.local_secret, token)
                .map_err(|e| Refused::Forbidden(format!("the local token is not valid: {e}")))?,
            _ => self.call_authorizer(route_key, header).await?,
        };
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.fields = context
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        Ok(authorizer)
    }

    /// authorize-caller's answer to the request, as API Gateway asks for it.
    async fn call_authorizer(
        &self,
        route_key: &str,
        header: &str,
    ) -> Result<HashMap<String, String>, Refused> {
        let Some(function) = &self.either else {
            return Err(Refused::Forbidden(
                "the token is not a local one (HS256), and no identity provider is configured \
                 (CPOR_PARTNER_ISSUER, CPOR_REVIEWER_ISSUER)"
                    .into(),
            ));
        };
        let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
        event.version = Some("2.0".into());
        event.type_ = Some("REQUEST".into());
        event.route_key = Some(route_key.to_owned());
        event.identity_source = Some(vec![header.to_owned()]);
        if let Ok(value) = header.parse() {
            event.headers.insert("authorization", value);
        }
        let request_id = ulid::Ulid::new().to_string();
        let Ok(answer) = cpor_aws::in_invocation(
            AuthorizeCallerFunction::NAME,
            &request_id,
            function.invoke(event),
        )
        .await;
        if answer.is_authorized {
            Ok(answer.context)
        } else {
            Err(Refused::Forbidden(
                "the authorizer refused the token (its log says why)".into(),
            ))
        }
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Result<&str, String> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("send Authorization: Bearer <token>")?;
    let (_, token) = header
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .ok_or("the Authorization header must be Bearer <token>")?;
    Ok(token.trim())
}

/// Whether a token is one of the local stack's own (HS256).
fn is_local(token: &str) -> bool {
    jsonwebtoken::decode_header(token).is_ok_and(|h| h.alg == jsonwebtoken::Algorithm::HS256)
}

#[cfg(test)]
mod tests {
    use super::*;
    use authorize_caller::testing::TestIssuer;
    use axum::http::HeaderValue;
    use serde_json::json;

    const SECRET: &str = "local-dev-secret";

    fn with_token(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        headers
    }

    /// The local gateway's authorizers trusting a partners' and a reviewers' issuer.
    fn authorizers(partners: &TestIssuer, reviewers: &TestIssuer) -> Authorizers {
        let trusted = vec![
            partners.trusted_as(Provider::Partner, &["cpor"]),
            reviewers.trusted_as(Provider::Reviewer, &["review"]),
        ];
        let either = AuthorizeCallerFunction::new(trusted.clone());
        Authorizers::new(SECRET, trusted, Some(either))
    }

    fn claims(issuer: &TestIssuer, audience: &str, identity: Value) -> Value {
        let mut claims = identity;
        claims["iss"] = json!(issuer.issuer());
        claims["aud"] = json!(audience);
        claims["exp"] = json!(jsonwebtoken::get_current_timestamp() + 60);
        claims
    }

    /// A provider's RS256 token passes its own routes' JWT authorizer, with the same claims a
    /// local token carries, and is refused (401) by the other provider's.
    #[tokio::test]
    async fn a_provider_s_token_passes_its_own_routes_and_no_other_s() {
        let (partners, reviewers) = (TestIssuer::start().await, TestIssuer::start().await);
        let authorizers = authorizers(&partners, &reviewers);
        let partner = partners.sign(&claims(
            &partners,
            "cpor",
            json!({ "partner_id": "1234567", "role": "incentives_admin" }),
        ));
        let reviewer = reviewers.sign(&claims(
            &reviewers,
            "review",
            json!({ "sub": "reviewer-1", "role": "cpor_reviewer" }),
        ));
        let passed = authorizers
            .authorize(Access::Partner, "GET /v1/claims", &with_token(&partner))
            .await
            .unwrap()
            .unwrap();
        let local = jwt::verify(
            SECRET,
            &jwt::mint(SECRET, "1234567", "incentives_admin", 60).unwrap(),
        )
        .unwrap();
        let claims = &passed.jwt.unwrap().claims;
        for name in ["partner_id", "role"] {
            assert_eq!(claims[name], local[name], "{name}");
        }
        assert!(
            authorizers
                .authorize(
                    Access::Reviewer,
                    "GET /v1/review/claims",
                    &with_token(&reviewer)
                )
                .await
                .is_ok()
        );
        for (access, token) in [(Access::Reviewer, &partner), (Access::Partner, &reviewer)] {
            assert!(matches!(
                authorizers
                    .authorize(access, "GET /v1/claims", &with_token(token))
                    .await,
                Err(Refused::Unauthenticated(_))
            ));
        }
    }

    /// On a route open to both: a token of either provider, or a local one, passes as the
    /// Lambda authorizer's context; no token is 401, a refused token 403.
    #[tokio::test]
    async fn either_provider_s_token_passes_the_routes_open_to_both() {
        let (partners, reviewers) = (TestIssuer::start().await, TestIssuer::start().await);
        let authorizers = authorizers(&partners, &reviewers);
        let key = "GET /v1/catalogue";
        let reviewer = reviewers.sign(&claims(
            &reviewers,
            "review",
            json!({ "sub": "reviewer-1", "role": "cpor_reviewer" }),
        ));
        let local = jwt::mint_reviewer(SECRET, "reviewer-2", 60).unwrap();
        for (token, sub) in [(&reviewer, "reviewer-1"), (&local, "reviewer-2")] {
            let passed = authorizers
                .authorize(Access::PartnerOrReviewer, key, &with_token(token))
                .await
                .unwrap()
                .unwrap();
            assert!(passed.jwt.is_none());
            assert_eq!(passed.fields["sub"], json!(sub));
        }
        assert!(matches!(
            authorizers
                .authorize(Access::PartnerOrReviewer, key, &HeaderMap::new())
                .await,
            Err(Refused::Unauthenticated(_))
        ));
        let expired = jwt::mint(SECRET, "1234567", "incentives_admin", -60).unwrap();
        let wrong_audience = partners.sign(&claims(&partners, "review", json!({})));
        for token in [expired.as_str(), &wrong_audience, "garbage"] {
            assert!(
                matches!(
                    authorizers
                        .authorize(Access::PartnerOrReviewer, key, &with_token(token))
                        .await,
                    Err(Refused::Forbidden(_))
                ),
                "{token}"
            );
        }
    }

    /// With no issuer named, only local tokens pass, and the others are refused saying so.
    #[tokio::test]
    async fn without_an_issuer_only_local_tokens_pass() {
        let authorizers = Authorizers::new(SECRET, Vec::new(), None);
        let issuer = TestIssuer::start().await;
        let foreign = issuer.sign(&claims(&issuer, "cpor", json!({ "partner_id": "1234567" })));
        let refused = authorizers
            .authorize(Access::Partner, "GET /v1/claims", &with_token(&foreign))
            .await;
        assert!(
            matches!(&refused, Err(Refused::Unauthenticated(e)) if e.contains("CPOR_PARTNER_ISSUER")),
            "{refused:?}"
        );
        let local = jwt::mint(SECRET, "1234567", "incentives_user", 60).unwrap();
        assert!(
            authorizers
                .authorize(Access::Partner, "GET /v1/claims", &with_token(&local))
                .await
                .is_ok()
        );
        assert!(matches!(
            authorizers
                .authorize(
                    Access::PartnerOrReviewer,
                    "GET /v1/catalogue",
                    &with_token(&foreign)
                )
                .await,
            Err(Refused::Forbidden(_))
        ));
    }
}
