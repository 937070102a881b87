//! Submitting claims: `POST /v1/claims`, every answer of the contract.

use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_valid_claim_is_accepted_as_submitted_with_its_location_and_registered_partner_name() {
    // GIVEN the manual review policy (the default)
    let stack = TestStack::start_manual().await;
    // GIVEN a valid claim from Fabrikam WHEN it is submitted
    let answer = stack.submit(FABRIKAM, &claim_body("teams")).await;
    // THEN it is created, submitted (waiting for a reviewer, its customer not e-mailed), named
    // from the registry, and located
    assert_eq!(answer.status, 201, "{}", answer.text);
    let claim = answer.json();
    let id = claim["claim_id"].as_str().unwrap();
    assert_eq!(
        answer.header("location"),
        Some(format!("/v1/claims/{id}").as_str())
    );
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(claim["status"], "submitted");
    assert_eq!(claim["customer_notification"]["status"], "not_sent");
    assert_eq!(
        claim["review"],
        json!({ "information_request": null, "response_due": null, "rejection": null, "dispute_until": null })
    );
    assert_eq!(claim["partner_id"], FABRIKAM);
    assert_eq!(claim["partner_name"], "Fabrikam Consulting");
    assert_eq!(claim["customer_contact"]["time_zone"], "Europe/Rome");
    for field in ["notified_at", "opt_out_deadline", "decided_at"] {
        assert_eq!(claim[field], Value::Null, "{field}");
    }
    assert!(claim["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        claim.get("version").is_none(),
        "internal fields stay internal"
    );
    stack.stop().await;
}

#[tokio::test]
async fn every_bad_field_is_named_at_once_and_nothing_is_stored() {
    let stack = TestStack::start().await;
    let mut body = claim_body("teams");
    body["tenant_id"] = json!("nope");
    body["customer_domain"] = json!("not a domain");
    body["customer_contact"]["email"] = json!("giulia-at-contoso");
    body["customer_contact"]["locale"] = json!("xx_YY_ZZ");
    body["proof_of_execution"]["signed_on"] = json!("2999-01-01");
    body["partner_id"] = json!("7654321");
    body["extra"] = json!(true);
    let answer = stack.submit(FABRIKAM, &body).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    let problem = answer.json();
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(problem["status"], 400);
    assert!(
        problem["type"].is_string()
            && problem["title"].is_string()
            && problem["detail"].is_string()
    );
    let mut found: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    let mut expected: Vec<(String, String)> = [
        ("tenant_id", "invalid_guid"),
        ("customer_domain", "invalid_domain"),
        ("customer_contact.email", "invalid_email"),
        ("customer_contact.locale", "invalid_locale"),
        ("proof_of_execution.signed_on", "poe_in_future"),
        ("partner_id", "unknown_field"),
        ("extra", "unknown_field"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    expected.sort();
    assert_eq!(found, expected);
    assert!(
        stack.all_claims(FABRIKAM).await.is_empty(),
        "bad input never reaches storage"
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_body_must_be_a_json_object_of_json_media_type_under_64_kib() {
    let stack = TestStack::start().await;
    let token = stack.admin(FABRIKAM);
    let post = |content_type: &'static str, body: String| {
        let request = stack
            .http
            .post(format!("{}/v1/claims", stack.base))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let problem: Value = response.json().await.unwrap_or(Value::Null);
            (
                status,
                problem["code"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    assert_eq!(
        post("application/json", "{not json".into()).await,
        (400, "malformed_json".into())
    );
    assert_eq!(
        post("application/json", "[1, 2]".into()).await,
        (400, "malformed_json".into())
    );
    assert_eq!(
        post("application/json", "".into()).await,
        (400, "malformed_json".into())
    );
    assert_eq!(
        post("text/plain", claim_body("teams").to_string()).await,
        (415, "unsupported_media_type".into())
    );
    assert_eq!(
        post(
            "application/json; charset=utf-8",
            claim_body("teams").to_string()
        )
        .await
        .0,
        201,
        "a charset parameter is fine"
    );
    // A body just over the limit, padded inside a field so it is still JSON.
    let mut big = claim_body("exchange");
    big["customer_contact"]["title"] = json!("x".repeat(64 * 1024));
    assert_eq!(
        post("application/json", big.to_string()).await,
        (413, "payload_too_large".into())
    );
    // At the limit exactly the size is accepted and the field rules apply instead.
    let mut at_limit = claim_body("exchange");
    let pad = 64 * 1024 - at_limit.to_string().len() - r#","pad":"""#.len();
    at_limit["pad"] = json!("y".repeat(pad));
    assert_eq!(at_limit.to_string().len(), 64 * 1024);
    assert_eq!(
        post("application/json", at_limit.to_string()).await,
        (400, "validation_failed".into())
    );
    stack.stop().await;
}

#[tokio::test]
async fn callers_without_a_valid_token_or_the_admin_role_are_refused() {
    let stack = TestStack::start().await;
    let body = claim_body("teams");
    let no_token = stack
        .send(Method::POST, "/v1/claims", None, Some(&body), &[])
        .await;
    assert_eq!(
        (no_token.status.as_u16(), no_token.code()),
        (401, "unauthenticated".into())
    );
    let forged =
        cpor_local::jwt::mint("not-the-secret", FABRIKAM, "incentives_admin", 600).unwrap();
    let expired = cpor_local::jwt::mint(
        &stack.settings().jwt_secret,
        FABRIKAM,
        "incentives_admin",
        -600,
    )
    .unwrap();
    let no_partner =
        cpor_local::jwt::mint(&stack.settings().jwt_secret, "", "incentives_admin", 600).unwrap();
    for token in [forged, expired, no_partner, "garbage".to_owned()] {
        let answer = stack
            .send(Method::POST, "/v1/claims", Some(&token), Some(&body), &[])
            .await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (401, "unauthenticated".into()),
            "{}",
            answer.text
        );
    }
    let user = stack.token(FABRIKAM, "incentives_user");
    let answer = stack
        .send(Method::POST, "/v1/claims", Some(&user), Some(&body), &[])
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (403, "forbidden".into())
    );
    assert!(stack.all_claims(FABRIKAM).await.is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn the_reference_data_refuses_claims_with_specific_codes() {
    let stack = TestStack::start().await;
    // a partner not enrolled in the program
    let answer = stack.submit(ADATUM, &claim_body("teams")).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (422, "partner_not_enrolled".into())
    );
    let unknown_partner = stack.submit("9999999", &claim_body("teams")).await;
    assert_eq!(unknown_partner.code(), "partner_not_enrolled");
    // a tenant not in the directory
    let mut body = claim_body("teams");
    body["tenant_id"] = json!("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    assert_eq!(stack.submit(FABRIKAM, &body).await.code(), "unknown_tenant");
    // a domain of another tenant
    let mut body = claim_body("teams");
    body["customer_domain"] = json!("litware.onmicrosoft.com");
    let answer = stack.submit(FABRIKAM, &body).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (422, "domain_tenant_mismatch".into())
    );
    // a subscription that is not the tenant's for that workload
    let mut body = claim_body("dynamics-finance");
    body["program"] = json!("osu-bizapps");
    body["subscription_id"] = json!(CONTOSO_SALES_SUBSCRIPTION);
    assert_eq!(
        stack.submit(FABRIKAM, &body).await.code(),
        "subscription_not_found"
    );
    // the right subscription is accepted
    body["workload"] = json!("dynamics-sales");
    assert_eq!(stack.submit(FABRIKAM, &body).await.status, 201);
    // Northwind is not enrolled in business applications
    assert_eq!(
        stack.submit(NORTHWIND, &body).await.code(),
        "partner_not_enrolled"
    );
    assert!(stack.all_claims(NORTHWIND).await.is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn a_claimed_workload_answers_409_naming_no_other_partner_but_the_callers_own_claim() {
    let stack = TestStack::start().await;
    let first = stack.submit(FABRIKAM, &claim_body("teams")).await.json();
    // GIVEN Fabrikam holds Contoso's Teams WHEN Northwind claims it
    let theirs = stack.submit(NORTHWIND, &claim_body("teams")).await;
    // THEN 409 without Fabrikam's identity or claim
    assert_eq!(
        (theirs.status.as_u16(), theirs.code()),
        (409, "workload_already_claimed".into())
    );
    assert!(theirs.json().get("existing_claim_id").is_none());
    for secret in [FABRIKAM, "Fabrikam", first["claim_id"].as_str().unwrap()] {
        assert!(!theirs.text.contains(secret), "the answer reveals {secret}");
    }
    // WHEN Fabrikam claims it again THEN 409 with its own claim's id
    let own = stack.submit(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(own.status, 409);
    assert_eq!(own.json()["existing_claim_id"], first["claim_id"]);
    // another workload of the same tenant is free, and so is the same workload in osa-sell? no:
    // the lock is per tenant and workload, whatever the program.
    let mut osa = claim_body("teams");
    osa["program"] = json!("osa-sell");
    assert_eq!(
        stack.submit(NORTHWIND, &osa).await.code(),
        "workload_already_claimed"
    );
    assert_eq!(
        stack
            .submit(NORTHWIND, &claim_body("exchange"))
            .await
            .status,
        201
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_same_idempotency_key_and_body_replays_the_first_answer_and_creates_nothing() {
    let stack = TestStack::start().await;
    let token = stack.admin(FABRIKAM);
    let body = claim_body("teams");
    let send = |body: Value, key: &'static str| {
        let token = token.clone();
        let stack = &stack;
        async move {
            stack
                .send(
                    Method::POST,
                    "/v1/claims",
                    Some(&token),
                    Some(&body),
                    &[("idempotency-key", key)],
                )
                .await
        }
    };
    let first = send(body.clone(), "order-4711").await;
    assert_eq!(first.status, 201);
    // the same body with keys in another order and other white space is the same body
    let reordered: Value =
        serde_json::from_str(&serde_json::to_string_pretty(&body).unwrap()).unwrap();
    let again = send(reordered, "order-4711").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json(), first.json(), "the first response again");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(stack.all_claims(FABRIKAM).await.len(), 1, "nothing created");
    // the same key with another body
    let reused = send(claim_body("exchange"), "order-4711").await;
    assert_eq!(
        (reused.status.as_u16(), reused.code()),
        (422, "idempotency_key_reused".into())
    );
    // keys belong to partners: Northwind's same key is its own
    let northwind = stack
        .send(
            Method::POST,
            "/v1/claims",
            Some(&stack.admin(NORTHWIND)),
            Some(&claim_body("exchange")),
            &[("idempotency-key", "order-4711")],
        )
        .await;
    assert_eq!(northwind.status, 201);
    // a malformed key is refused
    let long_key: &'static str = Box::leak("k".repeat(129).into_boxed_str());
    assert_eq!(
        send(claim_body("intune"), long_key).await.code(),
        "validation_failed"
    );
    stack.stop().await;
}

#[tokio::test]
async fn thirty_two_concurrent_claims_for_one_workload_make_exactly_one_holder() {
    let stack = TestStack::start().await;
    // GIVEN 32 claims for Contoso's Teams from two partners, sent at once
    let partners = [FABRIKAM, NORTHWIND];
    let body = claim_body("teams");
    let answers =
        futures::future::join_all((0..32).map(|i| stack.submit(partners[i % 2], &body))).await;
    // THEN exactly one is created and every other is a 409
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    let conflicts = answers
        .iter()
        .filter(|a| a.code() == "workload_already_claimed")
        .count();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(conflicts, 31);
    // AND the stored claims agree: one claim in all
    let stored = stack.all_claims(FABRIKAM).await.len() + stack.all_claims(NORTHWIND).await.len();
    assert_eq!(stored, 1);
    println!("concurrent claims: 32 attempts, 1 created, {conflicts} refused with 409");
    stack.stop().await;
}
