//! authorize-caller: the HTTP API's Lambda authorizer of the routes that partners and reviewers
//! may both call (`GET /v1/catalogue`).
//!
//! An HTTP API route has one authorizer, and a JWT authorizer trusts one issuer; partners and
//! reviewers sign in at identity providers of their own. So these routes are behind this
//! function, which lets a request through when its bearer token is one that either JWT
//! authorizer would let through: issued by the partners' issuer for one of their audiences, or
//! by the reviewers' for one of theirs, checked as API Gateway checks it ([`oidc`]). It answers
//! in the simple format (`isAuthorized`), with the token's claims as the context.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

pub mod oidc;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use bytes::Bytes;
use cpor_aws::{ConfigError, Door, Wiring};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use oidc::{Fetch, TrustedIssuer, Verifier};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "authorize-caller";

/// The authorizer's answer: whether the request may pass, and the token's claims.
pub type Answer = ApiGatewayV2CustomAuthorizerSimpleResponse<HashMap<String, String>>;

/// The function: the trusted issuers and the keys read from them, kept between invocations.
pub struct AuthorizeCallerFunction {
    verifier: Verifier<WebFetch>,
}

impl AuthorizeCallerFunction {
    /// Trusting `trusted`.
    pub fn new(trusted: Vec<TrustedIssuer>) -> Self {
        Self {
            verifier: Verifier::new(trusted, WebFetch::default()),
        }
    }

    /// Lets the request through when its bearer token passes; otherwise API Gateway answers
    /// 403 (and 401 itself, without calling the function, when there is no token).
    pub async fn handle(&self, event: &ApiGatewayV2CustomAuthorizerV2Request) -> Answer {
        let mut answer = Answer::default();
        let Some(token) = bearer_token(event) else {
            tracing::info!(refusal = "no bearer token", "refused");
            return answer;
        };
        match self.verifier.verify(token).await {
            Ok(verified) => {
                tracing::info!(provider = ?verified.provider, "authorized");
                answer.is_authorized = true;
                answer.context = verified.claims;
            }
            Err(refusal) => tracing::info!(refusal = %refusal, "refused"),
        }
        answer
    }
}

/// The token of `Authorization: Bearer <token>` (API Gateway names the header as the identity
/// source too).
fn bearer_token(event: &ApiGatewayV2CustomAuthorizerV2Request) -> Option<&str> {
    let header = event
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .or_else(|| event.identity_source.as_ref()?.first().map(String::as_str))?;
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

impl Door for AuthorizeCallerFunction {
    const NAME: &'static str = FUNCTION;
    type Event = ApiGatewayV2CustomAuthorizerV2Request;
    type Output = Answer;
    type Error = Infallible;

    /// Trusting the issuers of `CPOR_PARTNER_ISSUER` and `CPOR_REVIEWER_ISSUER`, with their
    /// audiences (`CPOR_PARTNER_AUDIENCE`, `CPOR_REVIEWER_AUDIENCE`): one at least.
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        let trusted = TrustedIssuer::from_env(wiring.env())?;
        if trusted.is_empty() {
            return Err(ConfigError::Missing(cpor_aws::config::PARTNER_ISSUER));
        }
        Ok(Self::new(trusted))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Answer, Infallible> {
        Ok(self.handle(&event).await)
    }
}

/// The longest wait for an identity provider's document: its two reads (the discovery document,
/// the keys) end well within the function's 10 seconds.
const FETCH_TIMEOUT: Duration = Duration::from_secs(4);
/// The largest document read from an identity provider.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Reads identity providers' documents over HTTPS, trusting the system's certificates (any
/// provider's, not AWS's alone), or over plain HTTP to this machine (a local provider). Its
/// connector is made at the first read, not at start-up.
#[derive(Default)]
pub struct WebFetch {
    client: OnceLock<Result<HttpsClient, String>>,
}

impl WebFetch {
    fn client(&self) -> Result<&HttpsClient, String> {
        self.client
            .get_or_init(|| {
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
                    .map_err(|e| format!("the system's certificates could not be read: {e}"))?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl Fetch for WebFetch {
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        if !(url.starts_with("https://") || oidc::is_loopback_http(url)) {
            return Err(format!(
                "{url}: only https:// is read (http:// on loopback)"
            ));
        }
        let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let client = self.client()?;
        let read = async {
            let response = client.get(uri).await.map_err(|e| format!("{url}: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("{url} answered {}", response.status()));
            }
            let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES);
            let body = body.collect().await.map_err(|e| format!("{url}: {e}"))?;
            Ok(body.to_bytes().to_vec())
        };
        tokio::time::timeout(FETCH_TIMEOUT, read)
            .await
            .map_err(|_| format!("{url} did not answer within {FETCH_TIMEOUT:?}"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::Provider;
    use crate::testing::TestIssuer;
    use aws_lambda_events::http::HeaderValue;
    use serde_json::json;

    fn request(authorization: Option<&str>) -> ApiGatewayV2CustomAuthorizerV2Request {
        let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
        if let Some(value) = authorization {
            event
                .headers
                .insert("authorization", HeaderValue::from_str(value).unwrap());
        }
        event
    }

    /// A reviewer's token from the reviewers' issuer, or a partner's from the partners', is let
    /// through with its claims; anything else is not.
    #[tokio::test]
    async fn a_token_of_either_provider_passes_and_anything_else_does_not() {
        let partners = TestIssuer::start().await;
        let reviewers = TestIssuer::start().await;
        let function = AuthorizeCallerFunction::new(vec![
            partners.trusted_as(Provider::Partner, &["cpor"]),
            reviewers.trusted_as(Provider::Reviewer, &["review"]),
        ]);
        let exp = jsonwebtoken::get_current_timestamp() + 60;
        let partner = partners.sign(&json!({
            "iss": partners.issuer(), "aud": "cpor", "exp": exp,
            "partner_id": "1234567", "role": "incentives_user",
        }));
        let reviewer = reviewers.sign(&json!({
            "iss": reviewers.issuer(), "aud": "review", "exp": exp,
            "sub": "reviewer-1", "role": "cpor_reviewer",
        }));
        // a reviewer's claims signed by the partners' provider for the reviewers' audience
        let crossed = partners.sign(&json!({
            "iss": partners.issuer(), "aud": "review", "exp": exp, "role": "cpor_reviewer",
        }));
        for (token, passes) in [
            (format!("Bearer {partner}"), true),
            (format!("bearer {reviewer}"), true),
            (format!("Bearer {crossed}"), false),
            ("Bearer not-a-token".to_owned(), false),
            (format!("Basic {partner}"), false),
        ] {
            let answer = function.handle(&request(Some(&token))).await;
            assert_eq!(answer.is_authorized, passes, "{token}");
            assert_eq!(answer.context.is_empty(), !passes, "{token}");
        }
        let answer = function
            .handle(&request(Some(&format!("Bearer {reviewer}"))))
            .await;
        assert_eq!(answer.context["sub"], "reviewer-1");
        assert!(!function.handle(&request(None)).await.is_authorized);
    }

    /// The answer is API Gateway's simple format: `isAuthorized` and `context`.
    #[tokio::test]
    async fn the_answer_is_in_api_gateway_s_simple_format() {
        let issuer = TestIssuer::start().await;
        let function =
            AuthorizeCallerFunction::new(vec![issuer.trusted_as(Provider::Partner, &["cpor"])]);
        let answer = function.handle(&request(None)).await;
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({ "isAuthorized": false, "context": {} })
        );
    }

    /// Without a trusted issuer the function does not start, naming the setting.
    #[tokio::test]
    async fn without_an_issuer_the_function_does_not_start() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let env = cpor_aws::Env::default()
            .with(cpor_aws::config::PARTNER_ISSUER, "")
            .with(cpor_aws::config::REVIEWER_ISSUER, "");
        let built = AuthorizeCallerFunction::build(&Wiring::new(&sdk, &env)).await;
        assert!(matches!(
            built,
            Err(ConfigError::Missing("CPOR_PARTNER_ISSUER"))
        ));
    }

    /// Only https:// is read, and http:// to this machine.
    #[tokio::test]
    async fn documents_are_read_over_https_or_loopback_http_only() {
        let fetch = WebFetch::default();
        let refused = fetch.get("http://example.com/keys").await.unwrap_err();
        assert!(refused.contains("only https://"), "{refused}");
        let issuer = TestIssuer::start().await;
        let discovery = format!("{}/.well-known/openid-configuration", issuer.issuer());
        let body = fetch.get(&discovery).await.unwrap();
        let document: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(document["issuer"], issuer.issuer());
        let missing = fetch
            .get(&format!("{}/nothing", issuer.issuer()))
            .await
            .unwrap_err();
        assert!(missing.contains("404"), "{missing}");
    }
}
