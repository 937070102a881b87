//! Successful answers.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use cpor_domain::claim::Claim;
use cpor_domain::claim_record::ClaimRecord;
use serde_json::Value;

pub(crate) fn with_body(
    status: u16,
    content_type: &'static str,
    body: String,
) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response
        .headers
        .insert("content-type", HeaderValue::from_static(content_type));
    response
        .headers
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response.body = Some(Body::Text(body));
    response
}

/// A JSON answer.
pub fn json(status: u16, body: &Value) -> ApiGatewayV2httpResponse {
    with_body(status, "application/json", body.to_string())
}

/// An HTML page.
pub fn html(status: u16, page: String) -> ApiGatewayV2httpResponse {
    let mut response = with_body(status, "text/html; charset=utf-8", page);
    // The page has no scripts and loads nothing; it must not be framed (a decline button).
    response.headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
        .headers
        .insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response.headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A 303 See Other to `location`.
pub fn redirect(location: &str) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 303;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers.insert("location", value);
    }
    response
        .headers
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

/// The claim resource of the contract: the stored record without its internal version and
/// withdrawal reason (the reason is in the history).
pub fn claim_resource(record: &ClaimRecord) -> Value {
    let mut value = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.remove("version");
        object.remove("withdrawal_reason");
    }
    value
}

/// The claim resource of a claim.
pub fn claim_value(claim: &Claim) -> Value {
    claim_resource(&ClaimRecord::from(claim))
}
