//! Successful answers.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use serde::Serialize;

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
pub fn json(status: u16, body: &impl Serialize) -> ApiGatewayV2httpResponse {
    match serde_json::to_string(body) {
        Ok(text) => with_body(status, "application/json", text),
        // The answers are plain structs and JSON values: this is a bug, not a request's fault.
        Err(e) => {
            tracing::error!(error = %e, "an answer could not be written as JSON");
            with_body(500, "application/json", "{}".to_owned())
        }
    }
}

/// An HTML page.
pub fn html(status: u16, page: String) -> ApiGatewayV2httpResponse {
    let mut response = with_body(status, "text/html; charset=utf-8", page);
    // The page has no scripts and loads nothing; it must not be framed (a decline button).
    response.headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    // The link carries the customer's token: never over plain HTTP again, once seen over HTTPS.
    response.headers.insert(
        "strict-transport-security",
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
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

/// A 204 No Content: done, nothing to say.
pub fn no_content() -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 204;
    response
        .headers
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response
}
