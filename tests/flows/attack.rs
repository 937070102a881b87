//! Bad input and attack: forged identities, other partners' ids and cursors, control characters
//! in every text field, and arbitrary bodies and links, none of which may crash a door or
//! reach storage.

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequest,
};
use aws_lambda_events::http::{HeaderValue, Method as LambdaMethod};
use cpor_tests::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;

fn token(alg: Algorithm, secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn claims(extra: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({ "iss": "cpor-local", "aud": "cpor", "exp": now + 600, "iat": now,
                        "partner_id": FABRIKAM, "role": "incentives_admin" });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

#[tokio::test]
async fn forged_expired_and_incomplete_bearer_tokens_are_refused() {
    let stack = TestStack::start().await;
    let secret = stack.settings().jwt_secret.clone();
    let good = token(Algorithm::HS256, &secret, claims(json!({})));
    let payload = good.split('.').nth(1).unwrap();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let now = chrono::Utc::now().timestamp();
    let cases = [
        ("alg none", unsigned),
        (
            "HS512 with the right secret",
            token(Algorithm::HS512, &secret, claims(json!({}))),
        ),
        (
            "another key",
            token(Algorithm::HS256, "guessed-secret", claims(json!({}))),
        ),
        (
            "expired",
            token(
                Algorithm::HS256,
                &secret,
                claims(json!({ "exp": now - 120 })),
            ),
        ),
        (
            "no expiry",
            token(Algorithm::HS256, &secret, claims(json!({ "exp": null }))),
        ),
        (
            "another audience",
            token(Algorithm::HS256, &secret, claims(json!({ "aud": "other" }))),
        ),
        (
            "another issuer",
            token(Algorithm::HS256, &secret, claims(json!({ "iss": "evil" }))),
        ),
        (
            "no partner_id",
            token(
                Algorithm::HS256,
                &secret,
                claims(json!({ "partner_id": null })),
            ),
        ),
        (
            "partner_id not digits",
            token(
                Algorithm::HS256,
                &secret,
                claims(json!({ "partner_id": "12345; DROP" })),
            ),
        ),
        (
            "signature of another token",
            format!("{}.{}", &good[..good.rfind('.').unwrap()], "AAAA"),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (case, bearer) in &cases {
        for (method, path) in [(Method::POST, "/v1/claims"), (Method::GET, "/v1/claims")] {
            let body = (method == Method::POST).then(|| claim_body("teams"));
            let answer = stack
                .send(method, path, Some(bearer), body.as_ref(), &[])
                .await;
            assert_eq!(
                (answer.status.as_u16(), answer.code()),
                (401, "unauthenticated".into()),
                "{case}: {}",
                answer.text
            );
        }
    }
    // another scheme than Bearer
    let basic = stack
        .send(
            Method::GET,
            "/v1/claims",
            None,
            None,
            &[("authorization", "Basic Zm9vOmJhcg==")],
        )
        .await;
    assert_eq!(basic.status, 401);
    // a valid token with a role this service does not know may do nothing
    let stranger = token(Algorithm::HS256, &secret, claims(json!({ "role": "root" })));
    assert_eq!(
        stack
            .send(Method::GET, "/v1/claims", Some(&stranger), None, &[])
            .await
            .code(),
        "forbidden"
    );
    let answer = stack.submit_with(&stranger, &claim_body("teams")).await;
    assert_eq!(answer.code(), "forbidden");
    // and in-process, an event without the authorizer's claims is refused by the function itself
    let mut event = ApiGatewayV2httpRequest::default();
    event.request_context.http.method = LambdaMethod::POST;
    event
        .headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    event.body = Some(claim_body("teams").to_string());
    assert_eq!(
        stack.functions().submit.handle(event).await.status_code,
        401
    );
    assert!(stack.all_claims(FABRIKAM).await.is_empty());
    println!(
        "bearer tokens: {} forged or incomplete kinds x 2 routes, all 401",
        cases.len()
    );
    stack.stop().await;
}

#[tokio::test]
async fn another_partners_claim_ids_and_cursors_reveal_and_change_nothing() {
    let stack = TestStack::start().await;
    for w in ["exchange", "teams"] {
        assert_eq!(stack.submit(FABRIKAM, &claim_body(w)).await.status, 201);
    }
    let mut theirs = Vec::new();
    for w in ["intune", "windows", "purview"] {
        theirs.push(stack.submit(NORTHWIND, &claim_body(w)).await.json());
    }
    let their_id = theirs[0]["claim_id"].as_str().unwrap();
    // their claim: the same 404 as an unknown one, for reading and withdrawing
    assert_eq!(
        stack
            .get(FABRIKAM, &format!("/v1/claims/{their_id}"))
            .await
            .code(),
        "claim_not_found"
    );
    assert_eq!(
        stack.withdraw(FABRIKAM, their_id, "hostile").await.code(),
        "claim_not_found"
    );
    assert_ne!(
        stack.claim(NORTHWIND, their_id).await["status"],
        "withdrawn"
    );
    // their cursor, used by Fabrikam, positions a listing of Fabrikam's own claims only
    let page = stack.get(NORTHWIND, "/v1/claims?limit=1").await.json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let ours = stack
        .get(FABRIKAM, &format!("/v1/claims?cursor={cursor}"))
        .await;
    assert_eq!(ours.status, 200);
    for claim in ours.json()["items"].as_array().unwrap() {
        assert_eq!(claim["partner_id"], FABRIKAM);
    }
    // forged cursors are refused, not followed
    for forged in [
        "AAAA",
        "YzE6",
        "YzE6Li4vLi4v",
        "%00",
        "c1:01JDX3Z8Q6V6W4S0Y1B2C3D4E5",
    ] {
        let answer = stack
            .get(FABRIKAM, &format!("/v1/claims?cursor={forged}"))
            .await;
        assert_eq!(answer.code(), "validation_failed", "{forged}");
    }
    stack.stop().await;
}

/// Every text field of the submit body, with a value that is otherwise valid.
const TEXT_FIELDS: [&str; 11] = [
    "tenant_id",
    "customer_domain",
    "workload",
    "customer_contact.name",
    "customer_contact.email",
    "customer_contact.title",
    "customer_contact.locale",
    "customer_contact.time_zone",
    "partner_contact.name",
    "partner_contact.email",
    "proof_of_execution.reference",
];

fn set(body: &mut Value, path: &str, value: Value) {
    let mut target = body;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        target = &mut target[*part];
    }
    target[*parts.last().unwrap()] = value;
}

fn get(body: &Value, path: &str) -> String {
    path.split('.')
        .fold(body, |v, p| &v[p])
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn control_characters_are_refused_in_every_text_field_and_markup_is_kept_as_text() {
    let stack = TestStack::start().await;
    let mut refused = 0;
    for field in TEXT_FIELDS {
        for bad in [
            "\u{0000}",
            "\r\nBcc: x@evil.example",
            "\u{001b}[31m",
            "\u{007f}",
        ] {
            let mut body = claim_body("teams");
            let value = format!("{}{bad}", get(&body, field));
            set(&mut body, field, json!(value));
            let answer = stack.submit(FABRIKAM, &body).await;
            assert_eq!(
                answer.code(),
                "validation_failed",
                "{field} with {bad:?}: {}",
                answer.text
            );
            assert_eq!(
                answer.refused_fields(),
                vec![field.to_owned()],
                "{field} with {bad:?}"
            );
            refused += 1;
        }
    }
    assert!(stack.all_claims(FABRIKAM).await.is_empty());
    // markup in free-text fields is text: stored and answered as typed (JSON is not HTML),
    // escaped wherever it is shown as HTML (see opt_out.rs)
    let mut body = claim_body("teams");
    set(
        &mut body,
        "customer_contact.name",
        json!("<script>alert(1)</script>"),
    );
    set(
        &mut body,
        "partner_contact.name",
        json!("Sam \"O'Neil\" & <b>Co</b>"),
    );
    let created = stack.submit(FABRIKAM, &body).await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.json()["customer_contact"]["name"],
        "<script>alert(1)</script>"
    );
    println!("control characters: {refused} bodies refused, each naming exactly its field");
    stack.stop().await;
}

/// Arbitrary JSON values, nested a little.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::hash_map("[a-z_.]{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid body with one field replaced by an arbitrary value, or a field added.
fn mutated_body() -> impl Strategy<Value = Value> {
    (prop::sample::select(TEXT_FIELDS.to_vec()), arbitrary_json()).prop_map(|(field, value)| {
        let mut body = claim_body("teams");
        set(&mut body, field, value);
        body
    })
}

fn submit_event(body: Vec<u8>, base64: bool) -> ApiGatewayV2httpRequest {
    let mut event = ApiGatewayV2httpRequest::default();
    event.request_context.http.method = LambdaMethod::POST;
    event
        .headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = HashMap::from([
        ("partner_id".to_owned(), FABRIKAM.to_owned()),
        ("role".to_owned(), "incentives_admin".to_owned()),
    ]);
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    event.request_context.authorizer = Some(authorizer);
    if base64 {
        use base64::Engine;
        event.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
        event.is_base64_encoded = true;
    } else {
        event.body = Some(String::from_utf8_lossy(&body).into_owned());
    }
    event
}

#[test]
fn arbitrary_bodies_and_links_never_crash_a_door_or_answer_a_server_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stack = runtime.block_on(TestStack::start());
    let mut runner = TestRunner::new(Config {
        cases: 150,
        failure_persistence: None,
        ..Config::default()
    });
    // arbitrary bytes, sent as they are and base64-encoded
    runner
        .run(
            &(prop::collection::vec(any::<u8>(), 0..300), any::<bool>()),
            |(bytes, base64)| {
                let status = runtime
                    .block_on(stack.functions().submit.handle(submit_event(bytes, base64)))
                    .status_code;
                prop_assert!(status < 500, "status {status}");
                Ok(())
            },
        )
        .unwrap();
    // arbitrary JSON, and valid bodies with one field replaced by anything
    for strategy in [arbitrary_json().boxed(), mutated_body().boxed()] {
        runner
            .run(&strategy, |value| {
                let response = runtime.block_on(
                    stack
                        .functions()
                        .submit
                        .handle(submit_event(value.to_string().into_bytes(), false)),
                );
                prop_assert!(
                    response.status_code < 500,
                    "status {}",
                    response.status_code
                );
                Ok(())
            })
            .unwrap();
    }
    // arbitrary links: the page door answers 404, never 5xx
    runner
        .run(&"[A-Za-z0-9._~%-]{0,120}", |token| {
            for method in [LambdaMethod::GET, LambdaMethod::POST] {
                let mut event = ApiGatewayV2httpRequest::default();
                event.request_context.http.method = method;
                event.path_parameters.insert("token".into(), token.clone());
                let status = runtime
                    .block_on(stack.functions().opt_out.handle(event))
                    .status_code;
                prop_assert_eq!(status, 404);
            }
            Ok(())
        })
        .unwrap();
    println!(
        "fuzz: 450 submit bodies (bytes, JSON, mutated claims) and 150 links x 2 methods; no 5xx"
    );
    runtime.block_on(stack.stop());
}

/// One partner's tool in a loop meets its own limit, never the others': each partner has a
/// share of the partner API a second (429 `rate_limited`, `Retry-After`), counted in the table,
/// so no partner can use up the routes' shared throttle. (The stack's clock stands still, so
/// every request falls in the same second however slow the machine.)
#[tokio::test]
async fn a_partner_flooding_the_api_meets_its_own_limit_and_another_partner_is_still_served() {
    // GIVEN a stack letting each partner make 3 requests a second, its clock standing still
    let second = chrono::Utc::now();
    let clock = std::sync::Arc::new(cpor_domain::clock::FixedClock::at(second));
    let stack = TestStack::start_with(|s| {
        s.partner_requests_per_second = 3;
        s.clock = clock.clone();
    })
    .await;
    // WHEN Fabrikam sends 12 requests at once
    let flood = futures::future::join_all((0..12).map(|_| stack.get(FABRIKAM, "/v1/claims"))).await;
    // THEN 3 go through, and the others are 429 rate_limited with Retry-After
    let served = flood.iter().filter(|a| a.status == 200).count();
    assert_eq!(served, 3);
    for answer in flood.iter().filter(|a| a.status != 200) {
        assert_eq!(answer.status, 429, "{}", answer.text);
        assert_eq!(answer.code(), "rate_limited", "{}", answer.text);
        assert_eq!(answer.header("retry-after"), Some("1"));
    }
    // AND a submission in the same second counts against the same share
    let submitted = stack.submit(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(submitted.status, 429, "{}", submitted.text);
    // AND Northwind, in the same second, is served
    assert_eq!(stack.get(NORTHWIND, "/v1/claims").await.status, 200);
    // AND the next second, Fabrikam is served again
    clock.set(second + chrono::TimeDelta::seconds(1));
    assert_eq!(stack.get(FABRIKAM, "/v1/claims").await.status, 200);
    stack.stop().await;
}
