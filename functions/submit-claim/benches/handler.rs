//! submit-claim's own work per request: the API Gateway event in, the caller and the headers
//! read, the body parsed and validated, the claim built, its idempotency fingerprint taken, and
//! the 201 answer rendered, on in-memory ports (no network). `make bench` reports the median.

// Tests: the house rules bind the service's code (Cargo.toml's workspace lints), not tests.
#![allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines)]

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequest,
};
use aws_lambda_events::http::{HeaderMap, HeaderValue, Method};
use chrono::Utc;
use cpor_domain::ReviewPolicy;
use cpor_domain::clock::SystemClock;
use cpor_domain::memory::MemoryStore;
use cpor_domain::reference::ReferenceData;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use submit_claim::SubmitClaimFunction;

const PARTNER: &str = "1234567";
const TENANT: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

fn reference_data() -> ReferenceData {
    serde_json::from_value(json!({
        "partners": [{ "partner_id": PARTNER, "name": "Fabrikam Consulting",
                       "programs": ["osa-sell", "osu-m365", "osu-bizapps"] }],
        "tenants": [{ "tenant_id": TENANT, "domains": ["contoso.onmicrosoft.com", "contoso.com"] }]
    }))
    .expect("reference data")
}

/// The event API Gateway's HTTP API hands the function for one `POST /v1/claims`, as the JWT
/// authorizer leaves it.
fn event() -> ApiGatewayV2httpRequest {
    let body = json!({
        "tenant_id": TENANT,
        "customer_domain": "contoso.onmicrosoft.com",
        "program": "osu-m365",
        "workload": "teams",
        "subscription_id": null,
        "customer_contact": { "name": "Giulia Rossi", "email": "giulia@contoso.com", "title": "IT Director",
                              "locale": "it", "time_zone": "Europe/Rome" },
        "partner_contact": { "name": "Sam Lee", "email": "sam@fabrikam.com" },
        "proof_of_execution": { "reference": "https://fabrikam.example/sow/4711.pdf",
                                "signed_on": (Utc::now().date_naive() - chrono::Days::new(30)).to_string() }
    });
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert(
        "idempotency-key",
        HeaderValue::from_static("01JBENCH-submit-claim-key"),
    );
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some("POST /v1/claims".into());
    event.raw_path = Some("/v1/claims".into());
    event.headers = headers;
    event.request_context.http.method = Method::POST;
    event.request_context.http.path = Some("/v1/claims".into());
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = HashMap::from([
        ("partner_id".to_owned(), PARTNER.to_owned()),
        ("role".to_owned(), "incentives_admin".to_owned()),
    ]);
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    event.request_context.authorizer = Some(authorizer);
    event.body = Some(body.to_string());
    event
}

/// A fresh function on empty in-memory ports: every request is a first submission (201),
/// approved at once in the same write (the most a submission does).
fn function(reference: &ReferenceData) -> SubmitClaimFunction {
    SubmitClaimFunction::on_ports(
        Arc::new(MemoryStore::with_reference_data(reference)),
        Arc::new(SystemClock),
        ReviewPolicy::Automatic,
    )
}

fn submit_claim(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let reference = reference_data();
    let template = event();
    // What is measured is the happy path: check once that it is one.
    let answer = runtime.block_on(function(&reference).handle(template.clone()));
    assert_eq!(answer.status_code, 201, "{:?}", answer.body);

    c.bench_function("submit-claim handler (in-memory ports)", |b| {
        b.iter_batched(
            || (function(&reference), template.clone()),
            |(function, event)| runtime.block_on(function.handle(event)),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, submit_claim);
criterion_main!(benches);
