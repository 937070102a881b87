//! The local gateway: API Gateway's HTTP API in miniature. It matches the same routes (the
//! table of `cpor_http::routes`), verifies bearer tokens as the JWT authorizer would, builds
//! the same v2 events, calls the functions in-process and turns their answers back into HTTP.
//! It also serves the local-only routes, which are never deployed.

use crate::authorizers::{Authorizers, Refused};
use crate::jwt;
use crate::settings::LocalSettings;
use crate::{feedback, outbox};
use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequest, ApiGatewayV2httpResponse,
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
use cpor_aws::in_invocation;
use cpor_aws::{Door, DynamoStore};
use cpor_domain::reference::ReferenceData;
use cpor_domain::time::parse_instant;
use cpor_domain::validation::{FieldCode, Invalid, ValidationErrors};
use cpor_http::Problem;
use cpor_http::routes::{self, Route};
use finalize_association::{FinalizeAssociationFunction, FinalizeError};
use manage_claims::ManageClaimsFunction;
use notify_customer::NotifyCustomerFunction;
use record_opt_out::RecordOptOutFunction;
use review_claims::ReviewClaimsFunction;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;
use submit_claim::SubmitClaimFunction;
use tokio::sync::watch;

/// The largest request the gateway reads: API Gateway's HTTP API takes 10 MB. The functions
/// refuse anything over their own limits with a clear answer (a claim's 64 KiB, a batch's
/// 5 MiB).
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

/// The functions and settings behind the gateway.
pub struct Gateway {
    /// submit-claim.
    pub submit: SubmitClaimFunction,
    /// manage-claims.
    pub manage: ManageClaimsFunction,
    /// review-claims.
    pub review: ReviewClaimsFunction,
    /// record-opt-out.
    pub opt_out: RecordOptOutFunction,
    /// notify-customer (fed by the poller).
    pub notify: NotifyCustomerFunction,
    /// notify-partner (fed by the partner e-mail queue's poller).
    pub notify_partner: notify_partner::NotifyPartnerFunction,
    /// finalize-association (the timer and `/_local/finalize`).
    pub finalize: FinalizeAssociationFunction,
    /// record-document (fed by the documents queue's poller).
    pub record_document: record_document::RecordDocumentFunction,
    /// run-export (fed by the exports queue's poller).
    pub run_export: run_export::RunExportFunction,
    /// process-claim-batch (fed by the claim batches' queue's poller).
    pub process_batch: process_claim_batch::ProcessClaimBatchFunction,
    /// deliver-webhooks (fed by the webhooks queue's poller).
    pub deliver_webhooks: deliver_webhooks::DeliverWebhooksFunction,
    /// record-email-feedback (fed by the e-mail feedback queue's poller).
    pub email_feedback: record_email_feedback::RecordEmailFeedbackFunction,
    /// The topic SES's feedback is published to, and its client, for `/_local/ses-feedback`.
    pub feedback_topic: (aws_sdk_sns::Client, String),
    /// publish-events (fed by the table stream's reader).
    pub publish: publish_events::PublishEventsFunction,
    /// What the bus delivered, for `/_local/events`.
    pub events: Arc<crate::events::EventLog>,
    /// The table, for `/_local/seed`.
    pub reference: DynamoStore,
    /// The HTTP API's authorizers.
    pub authorizers: Authorizers,
    /// The settings.
    pub settings: LocalSettings,
    /// For reading the emulator's outbox.
    pub http: reqwest::Client,
    /// The queue client, for `/_local/redrive`.
    pub sqs: aws_sdk_sqs::Client,
    /// The notification queue.
    pub queue_url: String,
}

/// The function behind a deployed route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HttpDoor {
    Submit,
    Manage,
    Review,
    OptOut,
}

impl HttpDoor {
    /// None for a function the gateway does not run (a test below makes sure there is none).
    fn serving(route: &Route) -> Option<Self> {
        match route.function {
            submit_claim::FUNCTION => Some(Self::Submit),
            manage_claims::FUNCTION => Some(Self::Manage),
            review_claims::FUNCTION => Some(Self::Review),
            record_opt_out::FUNCTION => Some(Self::OptOut),
            _ => None,
        }
    }
}

/// The local stack's own routes (`x-local-only` in openapi.yaml), kept out of the route table:
/// they are never deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LocalRoute {
    Seed,
    Outbox,
    Finalize,
    Redrive,
    SesFeedback,
    Events,
    Token,
}

const LOCAL_ROUTES: [(&str, LocalRoute); 7] = [
    ("POST /_local/seed", LocalRoute::Seed),
    ("GET /_local/outbox", LocalRoute::Outbox),
    ("POST /_local/finalize", LocalRoute::Finalize),
    ("POST /_local/redrive", LocalRoute::Redrive),
    ("POST /_local/ses-feedback", LocalRoute::SesFeedback),
    ("GET /_local/events", LocalRoute::Events),
    ("POST /_local/token", LocalRoute::Token),
];

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// A deployed route, its function and the values of its path parameters.
    Door(&'static Route, HttpDoor, HashMap<String, String>),
    Local(&'static str, LocalRoute),
}

impl Target {
    /// API Gateway's route key.
    fn key(&self) -> &'static str {
        match self {
            Self::Door(route, ..) => route.key,
            Self::Local(key, _) => key,
        }
    }
}

fn match_route(method: &Method, path: &str) -> Option<Target> {
    if let Some((route, parameters)) = routes::find(method.as_str(), path) {
        return HttpDoor::serving(route).map(|door| Target::Door(route, door, parameters));
    }
    LOCAL_ROUTES
        .iter()
        .find(|(key, _)| routes::path_parameters(key, method.as_str(), path).is_some())
        .map(|&(key, local)| Target::Local(key, local))
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
    if let Some(page) = crate::console::serve(&parts.method, parts.uri.path()).await {
        return page;
    }
    let Some(target) = match_route(&parts.method, parts.uri.path()) else {
        return problem(routes::not_found(format!(
            "{} {} is not a route of this API",
            parts.method,
            parts.uri.path()
        )));
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
    let response = match &target {
        Target::Door(route, door, parameters) => {
            let authorized = gateway
                .authorizers
                .authorize(route.access, route.key, &parts.headers)
                .await;
            match authorized {
                Err(Refused::Unauthenticated(detail)) => problem(Problem::unauthenticated(detail)),
                Err(Refused::Forbidden(detail)) => problem(Problem::forbidden(detail)),
                Ok(authorizer) => {
                    let event = to_event(&parts, &body, route.key, parameters, authorizer);
                    match door {
                        HttpDoor::Submit => invoke(&gateway.submit, event).await,
                        HttpDoor::Manage => invoke_signing(&gateway, &gateway.manage, event).await,
                        HttpDoor::Review => invoke_signing(&gateway, &gateway.review, event).await,
                        HttpDoor::OptOut => invoke(&gateway.opt_out, event).await,
                    }
                }
            }
        }
        Target::Local(_, LocalRoute::Seed) => seed(&gateway, &body).await,
        Target::Local(_, LocalRoute::Outbox) => {
            match outbox::read(&gateway.http, &gateway.settings.endpoint).await {
                Ok(messages) => json_response(200, &json!({ "messages": messages })),
                Err(e) => problem(Problem::unavailable(&e)),
            }
        }
        Target::Local(_, LocalRoute::Finalize) => finalize(&gateway, &body).await,
        Target::Local(_, LocalRoute::SesFeedback) => ses_feedback(&gateway, &body).await,
        Target::Local(_, LocalRoute::Events) => {
            json_response(200, &json!({ "events": gateway.events.snapshot() }))
        }
        Target::Local(_, LocalRoute::Token) => local_token(&gateway.settings, &body),
        Target::Local(_, LocalRoute::Redrive) => {
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
        route = target.key(),
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// `POST /_local/ses-feedback` with `{ "type": "bounce" | "complaint", "recipient" }`: SES's
/// notification for the last e-mail sent to `recipient`, published to the feedback topic (so
/// it travels SNS → SQS → record-email-feedback as in AWS); 204, or 404 when no e-mail went
/// there.
async fn ses_feedback(gateway: &Gateway, body: &Bytes) -> Response {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let kind = request["type"].as_str().and_then(feedback::Kind::parse);
    let recipient = request["recipient"].as_str().unwrap_or_default();
    let Some(kind) = kind.filter(|_| !recipient.is_empty()) else {
        return problem(Problem::new(
            400,
            "validation_failed",
            "The request has invalid fields",
            "send {\"type\": \"bounce\" | \"complaint\", \"recipient\": \"<address>\"}",
        ));
    };
    let sent = match outbox::read(&gateway.http, &gateway.settings.endpoint).await {
        Ok(messages) => messages
            .into_iter()
            .rev()
            .find(|m| m.to.iter().any(|to| to.eq_ignore_ascii_case(recipient))),
        Err(e) => return problem(Problem::unavailable(&e)),
    };
    let Some(sent) = sent else {
        return problem(Problem::new(
            404,
            "email_not_found",
            "No e-mail was sent to this address",
            format!("the emulator's SES sent nothing to {recipient}"),
        ));
    };
    let now = cpor_domain::time::format_instant(gateway.settings.clock.now());
    let notification = feedback::notification(kind, &sent, recipient, &now);
    let (sns, topic) = &gateway.feedback_topic;
    match sns
        .publish()
        .topic_arn(topic)
        .message(notification.to_string())
        .send()
        .await
    {
        Ok(_) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Err(e) => problem(Problem::unavailable(&cpor_aws::describe(&e))),
    }
}

/// Calls `function` with `event` in its invocation's span, as Lambda would.
async fn invoke<D>(function: &D, event: ApiGatewayV2httpRequest) -> Response
where
    D: Door<Event = ApiGatewayV2httpRequest, Output = ApiGatewayV2httpResponse, Error = Infallible>,
{
    let request_id = event.request_context.request_id.clone().unwrap_or_default();
    let Ok(answer) = in_invocation(D::NAME, &request_id, function.invoke(event)).await;
    from_lambda(answer)
}

/// [`invoke`] for a function that hands out presigned links (the documents'): each link is
/// recorded as a call of the function's, since AWS authorizes it against the signer's role.
async fn invoke_signing<D>(
    gateway: &Gateway,
    function: &D,
    event: ApiGatewayV2httpRequest,
) -> Response
where
    D: Door<Event = ApiGatewayV2httpRequest, Output = ApiGatewayV2httpResponse, Error = Infallible>,
{
    let request_id = event.request_context.request_id.clone().unwrap_or_default();
    let Ok(answer) = in_invocation(D::NAME, &request_id, function.invoke(event)).await;
    if let Some(calls) = &gateway.settings.aws_calls {
        for (method, url) in presigned_links(&answer) {
            calls.record_presigned(D::NAME, &method, &url);
        }
    }
    from_lambda(answer)
}

/// The presigned links in an answer: a redirect's location, an upload's URL, and the download
/// URLs of a claim's documents.
fn presigned_links(answer: &ApiGatewayV2httpResponse) -> Vec<(String, String)> {
    let signed = |url: &str| url.contains("X-Amz-Signature=");
    let mut links = Vec::new();
    if let Some(location) = answer.headers.get("location").and_then(|v| v.to_str().ok())
        && signed(location)
    {
        links.push(("GET".to_owned(), location.to_owned()));
    }
    let body: Value = match &answer.body {
        Some(LambdaBody::Text(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    if let (Some(method), Some(url)) = (
        body["upload"]["method"].as_str(),
        body["upload"]["url"].as_str(),
    ) {
        links.push((method.to_owned(), url.to_owned()));
    }
    // An export's file, once ready.
    if let Some(url) = body["download_url"].as_str() {
        links.push(("GET".to_owned(), url.to_owned()));
    }
    for document in body["documents"].as_array().into_iter().flatten() {
        if let Some(url) = document["download_url"].as_str() {
            links.push(("GET".to_owned(), url.to_owned()));
        }
    }
    links.retain(|(_, url)| signed(url));
    links
}

fn to_event(
    parts: &axum::http::request::Parts,
    body: &Bytes,
    route_key: &str,
    path_parameters: &HashMap<String, String>,
    authorizer: Option<ApiGatewayRequestAuthorizer>,
) -> ApiGatewayV2httpRequest {
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(route_key.into());
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
    event.path_parameters = path_parameters.clone();
    event.request_context.route_key = Some(route_key.into());
    event.request_context.stage = Some("$default".into());
    event.request_context.request_id = Some(ulid::Ulid::new().to_string());
    event.request_context.time_epoch = Utc::now().timestamp_millis();
    event.request_context.http.method = parts.method.clone();
    event.request_context.http.path = Some(parts.uri.path().to_owned());
    event.request_context.http.protocol = Some("HTTP/1.1".into());
    event.request_context.http.source_ip = Some("127.0.0.1".into());
    event.request_context.authorizer = authorizer;
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

/// `POST /_local/token`: the console's local sign-in. A partner's user
/// (`{"partner_id", "role"}`) or a reviewer (`{"reviewer_id"}`) gets the local token `make token`
/// mints, as an OAuth token answer; 400 naming every refused field.
fn local_token(settings: &LocalSettings, body: &Bytes) -> Response {
    let request: Value = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => {
            return problem(Problem::validation(&ValidationErrors::single(
                "body",
                Invalid::new(
                    FieldCode::InvalidType,
                    format!(
                        "send {{\"partner_id\", \"role\"}} or {{\"reviewer_id\"}} as JSON: {e}"
                    ),
                ),
            )));
        }
    };
    let identity = match jwt::LocalIdentity::read(&request) {
        Ok(identity) => identity,
        Err(errors) => return problem(Problem::validation(&errors)),
    };
    match identity.mint(&settings.jwt_secret, jwt::SIGN_IN_SECONDS) {
        Ok(token) => json_response(
            200,
            &json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": jwt::SIGN_IN_SECONDS,
            }),
        ),
        Err(e) => problem(Problem::new(
            500,
            "internal_error",
            "The token could not be signed",
            e.to_string(),
        )),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deployed_route_reaches_a_function_of_the_gateway() {
        // GIVEN the route table
        for route in routes::ROUTES {
            // WHEN a request comes by each route
            let path = route
                .path()
                .replace("{claim_id}", "01J")
                .replace("{token}", "a.b");
            let method = Method::from_bytes(route.method().as_bytes()).expect("a method");
            // THEN the gateway hands it to the function the table names
            match match_route(&method, &path) {
                Some(Target::Door(found, _, _)) => assert_eq!(found, route),
                other => panic!("{}: {other:?}", route.key),
            }
        }
    }

    #[test]
    fn the_local_routes_are_the_local_stack_s_own_and_never_a_deployed_one() {
        // GIVEN the local-only routes
        for (key, local) in LOCAL_ROUTES {
            let (method, path) = key.split_once(' ').expect("METHOD /path");
            // WHEN a request comes by each
            let target = match_route(
                &Method::from_bytes(method.as_bytes()).expect("a method"),
                path,
            );
            // THEN it is served locally, under /_local/, and the route table has no such route
            assert_eq!(target, Some(Target::Local(key, local)));
            assert!(path.starts_with("/_local/"), "{key}");
            assert!(routes::ROUTES.iter().all(|r| r.key != key), "{key}");
        }
        // AND a near miss is no route
        assert_eq!(match_route(&Method::GET, "/_local/seed"), None);
    }

    #[test]
    fn every_local_route_is_described_in_openapi_as_local_only() {
        // GIVEN the API description
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml"))
                .expect("openapi.yaml");
        let description: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("YAML");
        // WHEN each local route is looked up in it
        for (key, _) in LOCAL_ROUTES {
            let (method, path) = key.split_once(' ').expect("METHOD /path");
            let operation = &description["paths"][path][method.to_lowercase().as_str()];
            // THEN it is there, marked as never deployed
            assert_eq!(
                operation["x-local-only"],
                serde_yaml_ng::Value::Bool(true),
                "{key} is not described as a local-only operation"
            );
        }
    }
}
