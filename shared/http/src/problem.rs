//! Error answers as `application/problem+json` (RFC 9457) with the contract's stable codes.

use crate::response::with_body;
use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use cpor_domain::validation::ValidationErrors;
use serde_json::{Map, Value, json};

/// One error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The HTTP status.
    pub status: u16,
    /// The stable machine code, e.g. `validation_failed`.
    pub code: &'static str,
    /// A short summary of the kind of problem.
    pub title: &'static str,
    /// What happened in this case, for a person.
    pub detail: String,
    /// Further members (`errors`, `existing_claim_id`, ...).
    pub extra: Map<String, Value>,
}

impl Problem {
    /// A problem with no further members.
    pub fn new(
        status: u16,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    /// Adds a member.
    pub fn with(mut self, name: &str, value: Value) -> Self {
        self.extra.insert(name.to_owned(), value);
        self
    }

    /// 400 `validation_failed`, naming every refused field.
    pub fn validation(errors: &ValidationErrors) -> Self {
        let count = errors.errors().len();
        Self::new(
            400,
            "validation_failed",
            "The request has invalid fields",
            format!(
                "{count} field{} refused; see errors",
                if count == 1 { " was" } else { "s were" }
            ),
        )
        .with("errors", json!(errors.errors()))
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthenticated", "Authentication is required", detail)
    }

    /// 403 `forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", "Your role may not do this", detail)
    }

    /// 404 `claim_not_found`.
    pub fn claim_not_found() -> Self {
        Self::new(
            404,
            "claim_not_found",
            "No such claim",
            "no claim of yours has this id",
        )
    }

    /// 404 `export_not_found`: none of the caller's exports has this id (another's, or one
    /// expired, is not told apart).
    pub fn export_not_found() -> Self {
        Self::new(
            404,
            "export_not_found",
            "No such export",
            "no export of yours has this id (exports are kept 7 days)",
        )
    }

    /// 400 `malformed_json`: the body is JSON, but not an object.
    pub fn not_an_object() -> Self {
        Self::new(
            400,
            "malformed_json",
            "The body is not a JSON object",
            "the body must be a JSON object",
        )
    }

    /// 422 `contact_domain_mismatch`: the customer contact's address (`field`: its path in the
    /// body) is at none of the tenant's verified domains. Named in `errors` too, as a refused
    /// field is, so that a form marks the address.
    pub fn contact_domain_mismatch(
        field: &str,
        refusal: &cpor_domain::reference::ContactOutsideTenant,
    ) -> Self {
        let message = "must be at one of the customer tenant's verified domains, or a subdomain \
                       of one, such as the customer's domain named in the claim";
        let errors = ValidationErrors::single(
            field,
            cpor_domain::validation::Invalid::new(
                cpor_domain::validation::FieldCode::ContactDomainMismatch,
                message,
            ),
        );
        Self::new(
            422,
            "contact_domain_mismatch",
            "The customer contact is not at the customer's domain",
            refusal.to_string(),
        )
        .with("errors", json!(errors.errors()))
    }

    /// 409 `invalid_transition`: the claim's status does not allow this.
    ///
    /// The contract (`openapi.yaml`) has this problem carry `status`, the claim's status now, in place
    /// of RFC 9457's numeric `status` (the HTTP status, which the response's own status line
    /// still gives): an extra member replaces the standard one of the same name. docs/api.md,
    /// "Errors", says so to clients.
    pub fn invalid_transition(status: cpor_domain::ClaimStatus) -> Self {
        Self::new(
            409,
            "invalid_transition",
            "The claim's status does not allow this",
            format!("a claim that is {status} does not allow this"),
        )
        .with("status", json!(status.as_str()))
    }

    /// 409 `claim_already_final`.
    pub fn already_final(status: cpor_domain::ClaimStatus) -> Self {
        Self::new(
            409,
            "claim_already_final",
            "The claim is already final",
            format!("the claim is already {status}; it cannot change any more"),
        )
    }

    /// 503 `service_unavailable`: a dependency failed and the request may be retried.
    pub fn unavailable(detail: &impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "dependency unavailable");
        Self::new(
            503,
            "service_unavailable",
            "The service is temporarily unavailable",
            "a dependency did not answer; retry the request later",
        )
    }

    /// 429 `rate_limited`: the partner used this second's share of the partner API; retry in a
    /// second (`Retry-After: 1`).
    pub fn rate_limited() -> Self {
        Self::new(
            429,
            "rate_limited",
            "Too many requests from your organisation",
            "your organisation made more requests this second than its share of the partner API; \
             retry after the time in Retry-After",
        )
    }

    /// A route's answer: its response, or its problem (logged at info: a refusal is an answer,
    /// not an error of the service's).
    pub fn answer(routed: Result<ApiGatewayV2httpResponse, Problem>) -> ApiGatewayV2httpResponse {
        routed.unwrap_or_else(|problem| {
            tracing::info!(
                status = problem.status,
                code = problem.code,
                "request refused"
            );
            problem.into_response()
        })
    }

    /// The API Gateway response carrying this problem.
    pub fn into_response(self) -> ApiGatewayV2httpResponse {
        let status = self.status;
        let retry = status == 503 || self.code == "rate_limited";
        let mut response = with_body(
            status,
            "application/problem+json",
            self.into_body().to_string(),
        );
        if retry {
            response.headers.insert(
                "retry-after",
                aws_lambda_events::http::HeaderValue::from_static("1"),
            );
        }
        response
    }

    /// The problem+json body (a batch's row result carries it as its `problem`).
    pub fn into_body(self) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("urn:cpor:problem:{}", self.code)),
        );
        body.insert("title".into(), json!(self.title));
        body.insert("status".into(), json!(self.status));
        body.insert("detail".into(), json!(self.detail));
        body.insert("code".into(), json!(self.code));
        body.extend(self.extra);
        Value::Object(body)
    }
}
