//! The local gateway: API Gateway's HTTP API in miniature. It matches the same routes, verifies
//! bearer tokens as the JWT authorizer would, builds the same v2 events, calls the functions
//! in-process and turns their answers back into HTTP. It also serves the local-only routes.

use crate::jwt;
use crate::outbox;
use crate::settings::LocalSettings;
use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequest, ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body as LambdaBody;
use aws_lambda_events::http::{HeaderValue, Method, StatusCode};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use cpor_aws::DynamoStore;
use cpor_aws::in_invocation;
use cpor_domain::reference::ReferenceData;
use cpor_domain::time::parse_instant;
use cpor_domain::validation::{FieldCode, Invalid, ValidationErrors};
use cpor_http::Problem;
use finalize_association::{FinalizeAssociationFunction, FinalizeError};
use manage_claims::ManageClaimsFunction;
use notify_customer::NotifyCustomerFunction;
use record_opt_out::RecordOptOutFunction;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use submit_claim::SubmitClaimFunction;
use tokio::sync::watch;

/// The largest request the gateway reads (API Gateway's own limit is far larger; the functions
/// refuse anything over 64 KiB with a clear answer).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// The functions and settings behind the gateway.
pub struct Gateway {
    /// submit-claim.
    pub submit: SubmitClaimFunction,
    /// manage-claims.
    pub manage: ManageClaimsFunction,
    /// record-opt-out.
    pub opt_out: RecordOptOutFunction,
    /// notify-customer (fed by the poller).
    pub notify: NotifyCustomerFunction,
    /// finalize-association (the timer and `/_local/finalize`).
    pub finalize: FinalizeAssociationFunction,
    /// The table, for `/_local/seed`.
    pub reference: DynamoStore,
    /// The settings.
    pub settings: LocalSettings,
    /// For reading the emulator's outbox.
    pub http: reqwest::Client,
    /// The queue client, for `/_local/redrive`.
    pub sqs: aws_sdk_sqs::Client,
    /// The notification queue.
    pub queue_url: String,
}

/// Which door a request goes to.
enum Target {
    Submit,
    Manage,
    OptOut,
    Seed,
    Outbox,
    Finalize,
    Redrive,
}

/// A matched route: API Gateway's route key, the target and the path parameters.
struct Route {
    key: &'static str,
    target: Target,
    params: HashMap<String, String>,
}

fn match_route(method: &Method, path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let param = |name: &str, value: &str| HashMap::from([(name.to_owned(), value.to_owned())]);
    let route = |key, target, params| {
        Some(Route {
            key,
            target,
            params,
        })
    };
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "claims"]) => route("POST /v1/claims", Target::Submit, HashMap::new()),
        ("GET", ["v1", "claims"]) => route("GET /v1/claims", Target::Manage, HashMap::new()),
        ("GET", ["v1", "claims", id]) if !id.is_empty() => route(
            "GET /v1/claims/{claim_id}",
            Target::Manage,
            param("claim_id", id),
        ),
        ("POST", ["v1", "claims", id, "withdraw"]) if !id.is_empty() => route(
            "POST /v1/claims/{claim_id}/withdraw",
            Target::Manage,
            param("claim_id", id),
        ),
        ("GET", ["opt-out", token]) if !token.is_empty() => route(
            "GET /opt-out/{token}",
            Target::OptOut,
            param("token", token),
        ),
        ("POST", ["opt-out", token]) if !token.is_empty() => route(
            "POST /opt-out/{token}",
            Target::OptOut,
            param("token", token),
        ),
        ("POST", ["_local", "seed"]) => route("POST /_local/seed", Target::Seed, HashMap::new()),
        ("GET", ["_local", "outbox"]) => {
            route("GET /_local/outbox", Target::Outbox, HashMap::new())
        }
        ("POST", ["_local", "finalize"]) => {
            route("POST /_local/finalize", Target::Finalize, HashMap::new())
        }
        ("POST", ["_local", "redrive"]) => {
            route("POST /_local/redrive", Target::Redrive, HashMap::new())
        }
        _ => None,
    }
}

/// Serves until `shutdown` changes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    gateway: Arc<Gateway>,
    mut shutdown: watch::Receiver<bool>,
) {
    let app = Router::new().fallback(handle).with_state(gateway);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = shutdown.changed().await;
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "the local gateway stopped");
    }
}

async fn handle(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let Some(route) = match_route(&parts.method, parts.uri.path()) else {
        return problem(Problem::new(
            404,
            "route_not_found",
            "No such route",
            format!(
                "{} {} is not a route of this API",
                parts.method,
                parts.uri.path()
            ),
        ));
    };
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return problem(Problem::new(
                413,
                "payload_too_large",
                "The body is too large",
                "the body is over the gateway's limit",
            ));
        }
    };
    let response = match route.target {
        Target::Submit | Target::Manage => match authorize(&gateway.settings, &parts.headers) {
            Err(detail) => problem(Problem::unauthenticated(detail)),
            Ok(claims) => {
                let event = to_event(&parts, &body, &route, Some(claims));
                let request_id = event.request_context.request_id.clone().unwrap_or_default();
                let answer = match route.target {
                    Target::Submit => {
                        in_invocation(
                            submit_claim::FUNCTION,
                            &request_id,
                            gateway.submit.handle(event),
                        )
                        .await
                    }
                    _ => {
                        in_invocation(
                            manage_claims::FUNCTION,
                            &request_id,
                            gateway.manage.handle(event),
                        )
                        .await
                    }
                };
                from_lambda(answer)
            }
        },
        Target::OptOut => {
            let event = to_event(&parts, &body, &route, None);
            let request_id = event.request_context.request_id.clone().unwrap_or_default();
            from_lambda(
                in_invocation(
                    record_opt_out::FUNCTION,
                    &request_id,
                    gateway.opt_out.handle(event),
                )
                .await,
            )
        }
        Target::Seed => seed(&gateway, &body).await,
        Target::Outbox => match outbox::read(&gateway.http, &gateway.settings.endpoint).await {
            Ok(messages) => json_response(200, &json!({ "messages": messages })),
            Err(e) => problem(Problem::unavailable(&e)),
        },
        Target::Finalize => finalize(&gateway, &body).await,
        Target::Redrive => {
            let dead_letters = gateway
                .queue_url
                .replace("-notifications", "-notifications-dlq");
            match cpor_aws::queue::redrive_dead_letters(
                &gateway.sqs,
                &dead_letters,
                &gateway.queue_url,
            )
            .await
            {
                Ok(moved) => json_response(200, &json!({ "redriven": moved })),
                Err(e) => problem(Problem::unavailable(&e)),
            }
        }
    };
    tracing::info!(
        route = route.key,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Verifies the bearer token as the JWT authorizer would; the claims go to the function.
fn authorize(
    settings: &LocalSettings,
    headers: &axum::http::HeaderMap,
) -> Result<HashMap<String, String>, String> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("send Authorization: Bearer <token>")?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or("the Authorization header must be Bearer <token>")?;
    jwt::verify(&settings.jwt_secret, token.trim())
        .map_err(|e| format!("the bearer token is not valid: {e}"))
}

fn to_event(
    parts: &axum::http::request::Parts,
    body: &Bytes,
    route: &Route,
    claims: Option<HashMap<String, String>>,
) -> ApiGatewayV2httpRequest {
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(route.key.into());
    event.raw_path = Some(parts.uri.path().to_owned());
    event.raw_query_string = Some(parts.uri.query().unwrap_or_default().to_owned());
    event.headers = parts.headers.clone();
    // API Gateway joins repeated query parameters with commas.
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
        query
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let joined: HashMap<String, String> =
        query.into_iter().map(|(k, v)| (k, v.join(","))).collect();
    event.query_string_parameters = joined.into();
    event.path_parameters = route.params.clone();
    event.request_context.route_key = Some(route.key.into());
    event.request_context.stage = Some("$default".into());
    event.request_context.request_id = Some(ulid::Ulid::new().to_string());
    event.request_context.time_epoch = Utc::now().timestamp_millis();
    event.request_context.http.method = parts.method.clone();
    event.request_context.http.path = Some(parts.uri.path().to_owned());
    event.request_context.http.protocol = Some("HTTP/1.1".into());
    event.request_context.http.source_ip = Some("127.0.0.1".into());
    if let Some(claims) = claims {
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims;
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        event.request_context.authorizer = Some(authorizer);
    }
    if !body.is_empty() {
        match std::str::from_utf8(body) {
            Ok(text) => event.body = Some(text.to_owned()),
            Err(_) => {
                event.body = Some(STANDARD.encode(body));
                event.is_base64_encoded = true;
            }
        }
    }
    event
}

fn from_lambda(answer: ApiGatewayV2httpResponse) -> Response {
    let status = u16::try_from(answer.status_code)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match answer.body {
        Some(LambdaBody::Text(text)) if answer.is_base64_encoded => {
            STANDARD.decode(text).unwrap_or_default()
        }
        Some(LambdaBody::Text(text)) => text.into_bytes(),
        Some(LambdaBody::Binary(bytes)) => bytes,
        _ => Vec::new(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().extend(answer.headers);
    response.headers_mut().extend(answer.multi_value_headers);
    for cookie in answer.cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append("set-cookie", value);
        }
    }
    response
}

fn json_response(status: u16, body: &Value) -> Response {
    from_lambda(cpor_http::json(status, body))
}

fn problem(problem: Problem) -> Response {
    from_lambda(problem.into_response())
}

async fn seed(gateway: &Gateway, body: &Bytes) -> Response {
    let document: Value = match serde_json::from_slice(body) {
        Ok(document) => document,
        Err(e) => {
            return problem(Problem::validation(&ValidationErrors::single(
                "body",
                Invalid::new(
                    FieldCode::InvalidValue,
                    format!("expected {{\"partners\": [...], \"tenants\": [...]}}: {e}"),
                ),
            )));
        }
    };
    // The same parser as `cpor-ops import`: every refused field is named.
    let data = match ReferenceData::parse(&document) {
        Ok(data) => data,
        Err(errors) => return problem(Problem::validation(&errors)),
    };
    match gateway.reference.put_reference_data(&data).await {
        Ok(()) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Err(e) => problem(Problem::unavailable(&e)),
    }
}

async fn finalize(gateway: &Gateway, body: &Bytes) -> Response {
    let now = if body.is_empty() {
        Some(gateway.settings.clock.now())
    } else {
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("now").and_then(Value::as_str).and_then(parse_instant))
    };
    let Some(now) = now else {
        return problem(Problem::validation(&ValidationErrors::single(
            "now",
            Invalid::new(
                FieldCode::InvalidValue,
                "send {\"now\": \"<RFC 3339 time>\"}, or no body for the current time",
            ),
        )));
    };
    let request_id = ulid::Ulid::new().to_string();
    let run = gateway.finalize.run(now);
    match in_invocation(finalize_association::FUNCTION, &request_id, run).await {
        Ok(summary) => json_response(200, &json!(summary)),
        Err(FinalizeError::Incomplete(summary)) => json_response(500, &json!(summary)),
        Err(FinalizeError::Unavailable(e)) => problem(Problem::unavailable(&e)),
    }
}
