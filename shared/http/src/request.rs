//! Reading API Gateway HTTP API (v2) requests.

use crate::problem::Problem;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cpor_domain::Language;
use cpor_domain::caller::{Caller, Role};
use cpor_domain::claim::ReviewerId;
use cpor_domain::ids::PartnerId;
use serde_json::Value;

/// The largest body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request header's value (API Gateway lower-cases names).
pub fn header<'a>(event: &'a ApiGatewayV2httpRequest, name: &str) -> Option<&'a str> {
    event.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The claim a request names in its path (`{claim_id}`), if that is a claim id.
pub fn claim_id(event: &ApiGatewayV2httpRequest) -> Option<cpor_domain::ids::ClaimId> {
    event
        .path_parameters
        .get("claim_id")
        .and_then(|id| cpor_domain::ids::ClaimId::parse(id))
}

/// The role of the vendor's reviewers' tokens.
pub const REVIEWER_ROLE: &str = "cpor_reviewer";

fn claims(
    event: &ApiGatewayV2httpRequest,
) -> Result<&std::collections::HashMap<String, String>, Problem> {
    event
        .request_context
        .authorizer
        .as_ref()
        .and_then(|a| a.jwt.as_ref())
        .map(|jwt| &jwt.claims)
        .ok_or_else(|| Problem::unauthenticated("a bearer token is required"))
}

/// The reviewer calling a review route: a token with `role` `cpor_reviewer` and their own id
/// in `sub`. A partner's token here is forbidden.
pub fn reviewer(event: &ApiGatewayV2httpRequest) -> Result<ReviewerId, Problem> {
    let claims = claims(event)?;
    if claims.get("role").map(String::as_str) != Some(REVIEWER_ROLE) {
        return Err(Problem::forbidden(
            "the review routes are for the vendor's reviewers (role cpor_reviewer)",
        ));
    }
    claims
        .get("sub")
        .and_then(|sub| ReviewerId::parse(sub))
        .ok_or_else(|| Problem::unauthenticated("a reviewer's token names its reviewer in sub"))
}

/// The caller, from the claims the JWT authorizer verified (`partner_id`, `role`). A
/// reviewer's token on a partner route is forbidden.
pub fn caller(event: &ApiGatewayV2httpRequest) -> Result<Caller, Problem> {
    let claims = claims(event)?;
    if claims.get("role").map(String::as_str) == Some(REVIEWER_ROLE) {
        return Err(Problem::forbidden(
            "the partner routes are for partners; reviewers use /v1/review/claims",
        ));
    }
    let partner_id = claims
        .get("partner_id")
        .ok_or_else(|| Problem::unauthenticated("the token has no partner_id claim"))?;
    let partner_id = PartnerId::parse(partner_id)
        .map_err(|_| Problem::unauthenticated("the token's partner_id is not 6 to 10 digits"))?;
    Ok(Caller {
        partner_id,
        role: claims.get("role").and_then(|r| Role::parse(r)),
    })
}

/// The request's body as bytes, decoded when API Gateway base64-encoded it (it does for the
/// media types it does not take for text), at most `max` bytes (413 `payload_too_large`).
pub fn raw_body(event: &ApiGatewayV2httpRequest, max: usize) -> Result<Vec<u8>, Problem> {
    let raw = match (&event.body, event.is_base64_encoded) {
        (None, _) => Vec::new(),
        (Some(body), false) => body.as_bytes().to_vec(),
        (Some(body), true) => STANDARD.decode(body).map_err(|_| {
            Problem::new(
                400,
                "malformed_json",
                "The body is not JSON",
                "the body could not be decoded",
            )
        })?,
    };
    if raw.len() > max {
        return Err(Problem::new(
            413,
            "payload_too_large",
            "The body is too large",
            format!(
                "the body has {} bytes; at most {max} are accepted",
                raw.len()
            ),
        ));
    }
    Ok(raw)
}

/// The request's media type (`Content-Type` without its parameters), lower-cased.
pub fn media_type(event: &ApiGatewayV2httpRequest) -> String {
    header(event, "content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The request's JSON body: `application/json`, at most 64 KiB, and JSON.
pub fn json_body(event: &ApiGatewayV2httpRequest) -> Result<Value, Problem> {
    let raw = raw_body(event, MAX_BODY_BYTES)?;
    let content_type = header(event, "content-type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    let json_type = media_type.eq_ignore_ascii_case("application/json")
        || (media_type.len() > 5
            && media_type
                .get(media_type.len() - 5..)
                .is_some_and(|t| t.eq_ignore_ascii_case("+json")));
    if !json_type {
        return Err(Problem::new(
            415,
            "unsupported_media_type",
            "The body must be JSON",
            format!(
                "send Content-Type: application/json (got {})",
                if content_type.is_empty() {
                    "none"
                } else {
                    content_type
                }
            ),
        ));
    }
    let value: Value = serde_json::from_slice(&raw).map_err(|e| {
        Problem::new(
            400,
            "malformed_json",
            "The body is not JSON",
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(Problem::new(
            400,
            "malformed_json",
            "The body is not a JSON object",
            "the body must be a JSON object",
        ))
    }
}

/// The language a reader's browser asks for (`Accept-Language`, by preference), where no claim
/// says it; English when it asks for none the service writes in.
pub fn reader_language(headers: &HeaderMap) -> Language {
    let Some(accepted) = headers.get("accept-language").and_then(|v| v.to_str().ok()) else {
        return Language::default();
    };
    let mut ranges: Vec<(f32, Language)> = accepted
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';').map(str::trim);
            let tag = parts.next()?;
            let quality = parts
                .find_map(|p| p.strip_prefix("q="))
                .map_or(Some(1.0), |q| q.parse::<f32>().ok())?;
            let language = Language::for_subtag(tag.split('-').next()?)?;
            (quality > 0.0).then_some((quality, language))
        })
        .collect();
    // Stable: among equal qualities the browser's order stands.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges.first().map_or_else(Language::default, |r| r.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::http::HeaderValue;

    fn asking(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("accept-language", HeaderValue::from_str(value).unwrap());
        headers
    }

    /// A reader is answered in the language their browser prefers among the six, by quality
    /// and then by order, and in English when it names none of them.
    #[test]
    fn a_reader_gets_the_browsers_preferred_language_or_english() {
        for (accepted, language) in [
            ("de-CH, de;q=0.9, en;q=0.8", Language::German),
            ("pt-BR, ja;q=0.5, en;q=0.4", Language::Japanese),
            ("en;q=0.3, fr;q=0.7", Language::French),
            ("it;q=0, es", Language::Spanish),
            ("pt-BR", Language::English),
            ("*", Language::English),
            ("", Language::English),
            ("garbage;q=x, it", Language::Italian),
        ] {
            assert_eq!(reader_language(&asking(accepted)), language, "{accepted}");
        }
        assert_eq!(reader_language(&HeaderMap::new()), Language::English);
    }
}
