//! What the console needs of the service: the catalogue it builds its forms and filters from,
//! the local sign-in, and the identity providers' own tokens, which the local gateway takes as
//! API Gateway's authorizers do.

use authorize_caller::oidc::Provider;
use authorize_caller::testing::TestIssuer;
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

/// `GET /v1/catalogue` with `token`, asking for `language` if any.
async fn catalogue(stack: &TestStack, token: Option<&str>, language: Option<&str>) -> Answer {
    let headers: Vec<(&str, &str)> = language
        .map(|l| ("accept-language", l))
        .into_iter()
        .collect();
    stack
        .send(Method::GET, "/v1/catalogue", token, None, &headers)
        .await
}

/// The program `code` of a catalogue answer.
fn program<'a>(answer: &'a Value, code: &str) -> &'a Value {
    answer["programs"]
        .as_array()
        .and_then(|programs| programs.iter().find(|p| p["program"] == code))
        .unwrap_or_else(|| panic!("no program {code} in {answer}"))
}

/// A partner's user (even a read-only one) and a reviewer both read the catalogue: every
/// program with its workloads and whether it needs a subscription, in the language they ask
/// for, which a browser may keep an hour.
#[tokio::test]
async fn the_catalogue_answers_partners_and_reviewers_in_their_language() {
    let stack = TestStack::start().await;
    let user = stack.token(FABRIKAM, "incentives_user");
    let reviewer = stack.reviewer_token("reviewer-1");
    for token in [&user, &reviewer] {
        // WHEN each asks in Japanese, then in German
        let japanese = catalogue(&stack, Some(token), Some("ja-JP,ja;q=0.9,en;q=0.5")).await;
        // THEN the answer is the catalogue, named in that language
        assert_eq!(japanese.status, 200, "{}", japanese.text);
        assert_eq!(japanese.header("content-language"), Some("ja"));
        assert_eq!(japanese.header("cache-control"), Some("max-age=3600"));
        assert_eq!(japanese.header("vary"), Some("Accept-Language"));
        let body = japanese.json();
        let codes: Vec<&str> = body["programs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["program"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["osa-sell", "osu-m365", "osu-bizapps"]);
        let bizapps = program(&body, "osu-bizapps");
        assert_eq!(
            bizapps["name"],
            "ビジネス アプリケーション向け Online Services Usage (OSU)"
        );
        assert_eq!(bizapps["needs_subscription"], true);
        assert_eq!(program(&body, "osu-m365")["needs_subscription"], false);
        assert_eq!(
            bizapps["workloads"][0],
            json!({ "workload": "dynamics-sales", "name": "Dynamics 365 Sales" })
        );
        assert_eq!(
            program(&body, "osa-sell")["workloads"]
                .as_array()
                .unwrap()
                .len(),
            10
        );
        let german = catalogue(&stack, Some(token), Some("de")).await.json();
        assert_eq!(
            program(&german, "osu-m365")["name"],
            "Online Services Usage (OSU) für Microsoft 365"
        );
    }
    stack.stop().await;
}

/// A reader asking for none of the six languages, or for none at all, reads English.
#[tokio::test]
async fn the_catalogue_falls_back_to_english() {
    let stack = TestStack::start().await;
    let token = stack.admin(FABRIKAM);
    for language in [Some("pt-BR, nl;q=0.8"), Some("*"), None] {
        let answer = catalogue(&stack, Some(&token), language).await;
        assert_eq!(answer.status, 200, "{language:?}");
        assert_eq!(
            answer.header("content-language"),
            Some("en"),
            "{language:?}"
        );
        assert_eq!(
            program(&answer.json(), "osu-bizapps")["name"],
            "Online Services Usage (OSU) for Business Applications"
        );
    }
    stack.stop().await;
}

/// Without a token the catalogue is 401, as API Gateway answers before the authorizer; a token
/// the authorizer refuses (expired, signed with another secret) is 403.
#[tokio::test]
async fn the_catalogue_is_401_without_a_token_and_403_with_a_refused_one() {
    let stack = TestStack::start().await;
    let missing = catalogue(&stack, None, None).await;
    assert_eq!(
        (missing.status.as_u16(), missing.code().as_str()),
        (401, "unauthenticated")
    );
    let secret = &stack.settings().jwt_secret;
    let expired = cpor_local::jwt::mint(secret, FABRIKAM, "incentives_admin", -60).unwrap();
    let foreign =
        cpor_local::jwt::mint("another-secret", FABRIKAM, "incentives_admin", 60).unwrap();
    for token in [expired.as_str(), &foreign, "not-a-token"] {
        let refused = catalogue(&stack, Some(token), None).await;
        assert_eq!(
            (refused.status.as_u16(), refused.code().as_str()),
            (403, "forbidden"),
            "{token}"
        );
    }
    stack.stop().await;
}

/// `POST /_local/token` with `body`.
async fn sign_in(stack: &TestStack, body: &Value) -> Answer {
    stack
        .send(Method::POST, "/_local/token", None, Some(body), &[])
        .await
}

/// The console's local sign-in: a partner's user or a reviewer gets the local token the API
/// takes on their own routes, for an hour, as an OAuth token answer.
#[tokio::test]
async fn a_local_sign_in_gets_a_token_the_api_takes() {
    let stack = TestStack::start().await;
    // GIVEN a partner's admin and a reviewer signed in locally
    let partner = sign_in(
        &stack,
        &json!({ "partner_id": FABRIKAM, "role": "incentives_admin" }),
    )
    .await;
    let reviewer = sign_in(&stack, &json!({ "reviewer_id": "reviewer-1" })).await;
    for answer in [&partner, &reviewer] {
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(answer.json()["token_type"], "Bearer");
        assert_eq!(answer.json()["expires_in"], 3600);
    }
    let token = |a: &Answer| a.json()["access_token"].as_str().unwrap().to_owned();
    let (partner, reviewer) = (token(&partner), token(&reviewer));
    // WHEN they call the API with their tokens
    // THEN the partner submits a claim, and the reviewer reads the queue and decides it
    let created = stack.submit_with(&partner, &claim_body("teams")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let queue = stack
        .send(Method::GET, "/v1/review/claims", Some(&reviewer), None, &[])
        .await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    // AND each kind stays on its own routes
    let crossed = stack
        .send(Method::GET, "/v1/claims", Some(&reviewer), None, &[])
        .await;
    assert_eq!(crossed.status, 403);
    // AND the tokens are the ones `make token` mints
    let claims = cpor_local::jwt::verify(&stack.settings().jwt_secret, &reviewer).unwrap();
    assert_eq!(claims["sub"], "reviewer-1");
    assert_eq!(claims["role"], "cpor_reviewer");
    stack.stop().await;
}

/// A local sign-in that names no one, both kinds at once, or bad fields is 400, naming each.
#[tokio::test]
async fn a_local_sign_in_with_bad_fields_is_400_naming_each() {
    let stack = TestStack::start().await;
    for (body, fields) in [
        (
            json!({ "partner_id": "12ab", "role": "owner" }),
            vec!["partner_id", "role"],
        ),
        (json!({ "partner_id": FABRIKAM }), vec!["role"]),
        (
            json!({ "partner_id": FABRIKAM, "reviewer_id": "r" }),
            vec!["reviewer_id"],
        ),
        (json!({ "reviewer_id": "" }), vec!["reviewer_id"]),
        (json!({}), vec!["partner_id"]),
    ] {
        let answer = sign_in(&stack, &body).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code().as_str()),
            (400, "validation_failed"),
            "{body}"
        );
        assert_eq!(answer.refused_fields(), fields, "{body}");
    }
    let answer = stack
        .http
        .post(format!("{}/_local/token", stack.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    stack.stop().await;
}

/// With the identity providers' issuers configured, the gateway takes their RS256 tokens as
/// the template's authorizers do: a partner's on the partner routes, a reviewer's on the review
/// routes, either on the catalogue (through authorize-caller), the local tokens still beside
/// them; another provider's token, or an expired one, is refused.
#[tokio::test]
async fn identity_providers_tokens_pass_the_gateway_as_in_aws() {
    let partners = TestIssuer::start().await;
    let reviewers = TestIssuer::start().await;
    let trusted = vec![
        partners.trusted_as(Provider::Partner, &["cpor-api", "partner-console"]),
        reviewers.trusted_as(Provider::Reviewer, &["review-console"]),
    ];
    let stack = TestStack::start_with(|s| s.trusted_issuers = trusted).await;
    let exp = chrono::Utc::now().timestamp() + 300;
    let partner = partners.sign(&json!({
        "iss": partners.issuer(), "client_id": "partner-console", "exp": exp,
        "sub": "alice", "partner_id": FABRIKAM, "role": "incentives_admin",
    }));
    let reviewer = reviewers.sign(&json!({
        "iss": reviewers.issuer(), "aud": "review-console", "exp": exp,
        "sub": "reviewer-9", "role": "cpor_reviewer",
    }));
    let status = |answer: Answer| answer.status.as_u16();
    // a partner's token on the partner routes
    let created = stack.submit_with(&partner, &claim_body("teams")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    // a reviewer's on the review routes
    let id = created.json()["claim_id"].as_str().unwrap().to_owned();
    let reviewed = stack
        .send(
            Method::GET,
            &format!("/v1/review/claims/{id}"),
            Some(&reviewer),
            None,
            &[],
        )
        .await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.text);
    // either on the catalogue, and a local token still
    for token in [&partner, &reviewer, &stack.admin(FABRIKAM)] {
        assert_eq!(status(catalogue(&stack, Some(token), None).await), 200);
    }
    // another provider's token on a route: 401, as its JWT authorizer answers
    let crossed = stack
        .send(Method::GET, "/v1/review/claims", Some(&partner), None, &[])
        .await;
    assert_eq!(crossed.status, 401, "{}", crossed.text);
    let crossed = stack
        .send(Method::GET, "/v1/claims", Some(&reviewer), None, &[])
        .await;
    assert_eq!(crossed.status, 401, "{}", crossed.text);
    // an expired one: 401 on a JWT authorizer's route, 403 on the catalogue's
    let expired = partners.sign(&json!({
        "iss": partners.issuer(), "aud": "cpor-api", "exp": exp - 600,
        "partner_id": FABRIKAM, "role": "incentives_admin",
    }));
    let listed = stack
        .send(Method::GET, "/v1/claims", Some(&expired), None, &[])
        .await;
    assert_eq!(listed.status, 401, "{}", listed.text);
    assert_eq!(status(catalogue(&stack, Some(&expired), None).await), 403);
    stack.stop().await;
}
