//! The partner's own claims: list with filters and pages, one with its history, withdraw.

use chrono::{TimeDelta, Utc};
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

const WORKLOADS: [&str; 5] = ["exchange", "sharepoint", "onedrive", "teams", "intune"];

async fn submit_all(stack: &TestStack, partner: &str, workloads: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for w in workloads {
        let answer = stack.submit(partner, &claim_body(w)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        ids.push(answer.json()["claim_id"].as_str().unwrap().to_owned());
    }
    ids
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["claim_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn claims_are_listed_newest_first_in_pages_that_join_up_exactly() {
    let stack = TestStack::start().await;
    let created = submit_all(&stack, FABRIKAM, &WORKLOADS).await;
    submit_all(&stack, NORTHWIND, &["windows"]).await;
    // WHEN Fabrikam lists two at a time
    let mut seen = Vec::new();
    let mut path = "/v1/claims?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = stack.get(FABRIKAM, &path).await.json();
        pages += 1;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/claims?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    // THEN three pages hold its five claims, newest first, and none of Northwind's
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(pages, 3);
    assert_eq!(seen, newest_first);
    // AND a page of exactly the remaining claims ends the listing
    let page = stack.get(FABRIKAM, "/v1/claims?limit=5").await.json();
    assert_eq!(
        (ids(&page).len(), page["next_cursor"].clone()),
        (5, Value::Null)
    );
    // AND the default page holds them all
    assert_eq!(
        ids(&stack.get(FABRIKAM, "/v1/claims").await.json()).len(),
        5
    );
    stack.stop().await;
}

#[tokio::test]
async fn filters_match_exactly_and_bad_query_values_are_refused() {
    let stack = TestStack::start().await;
    let created = submit_all(&stack, FABRIKAM, &WORKLOADS).await;
    let mut osa = claim_body("purview");
    osa["program"] = json!("osa-sell");
    assert_eq!(stack.submit(FABRIKAM, &osa).await.status, 201);
    let mut litware = claim_body("teams");
    litware["tenant_id"] = json!(LITWARE);
    litware["customer_domain"] = json!("litware.onmicrosoft.com");
    litware["customer_contact"]["email"] = json!("it@litware.onmicrosoft.com");
    assert_eq!(stack.submit(FABRIKAM, &litware).await.status, 201);
    assert_eq!(
        stack
            .withdraw(FABRIKAM, &created[0], "duplicate")
            .await
            .status,
        200
    );

    let count = |query: &'static str| {
        let stack = &stack;
        async move {
            ids(&stack
                .get(FABRIKAM, &format!("/v1/claims?{query}"))
                .await
                .json())
            .len()
        }
    };
    assert_eq!(count("status=withdrawn").await, 1);
    assert_eq!(count("program=osa-sell").await, 1);
    assert_eq!(count("workload=teams").await, 2);
    assert_eq!(
        count(Box::leak(format!("tenant_id={LITWARE}").into_boxed_str())).await,
        1
    );
    assert_eq!(count("workload=teams&program=osu-m365&limit=1").await, 1);
    assert_eq!(count("workload=windows").await, 0);
    // filtered pages still join up: withdrawn excluded, two at a time
    let mut all = Vec::new();
    let mut path = "/v1/claims?program=osu-m365&limit=2".to_owned();
    loop {
        let page = stack.get(FABRIKAM, &path).await.json();
        all.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/claims?program=osu-m365&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(all.len(), 6);
    for bad in [
        "status=pending",
        "limit=0",
        "limit=101",
        "limit=ten",
        "program=x",
        "tenant_id=x",
        "cursor=forged",
        "colour=red",
    ] {
        let answer = stack.get(FABRIKAM, &format!("/v1/claims?{bad}")).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (400, "validation_failed".into()),
            "{bad}"
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_claim_shows_its_history_to_its_partner_only() {
    let stack = TestStack::start().await;
    let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = claim["claim_id"].as_str().unwrap();
    let history = claim["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(
        history[0],
        json!({ "sequence": 1, "at": claim["created_at"], "actor": "partner", "event": "submitted", "from": null, "to": "submitted", "code": null, "reason": null })
    );
    // (the stack approves at submission: the automatic review policy)
    assert_eq!(
        history[1],
        json!({ "sequence": 2, "at": claim["created_at"], "actor": "system", "event": "approved", "from": "submitted", "to": "approved", "code": "automatic_review", "reason": null })
    );
    assert_eq!(history[2]["actor"], "system");
    assert_eq!(history[2]["event"], "customer_notified");
    assert_eq!(history[2]["to"], "awaiting_customer");
    assert_eq!(history[2]["at"], claim["notified_at"]);
    // a viewer of the same partner may read it
    let user = stack.token(FABRIKAM, "incentives_user");
    let read = stack
        .send(
            Method::GET,
            &format!("/v1/claims/{id}"),
            Some(&user),
            None,
            &[],
        )
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(
        stack
            .send(Method::GET, "/v1/claims", Some(&user), None, &[])
            .await
            .status,
        200
    );
    // another partner, an unknown id and a malformed id all get the same 404
    for (partner, path) in [
        (NORTHWIND, format!("/v1/claims/{id}")),
        (FABRIKAM, "/v1/claims/01JDX3Z8Q6V6W4S0Y1B2C3D4E5".to_owned()),
        (FABRIKAM, "/v1/claims/not-a-claim".to_owned()),
    ] {
        let answer = stack.get(partner, &path).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (404, "claim_not_found".into()),
            "{path}"
        );
    }
    let withdraw = stack.withdraw(NORTHWIND, id, "not ours").await;
    assert_eq!(withdraw.code(), "claim_not_found");
    stack.stop().await;
}

#[tokio::test]
async fn withdrawing_needs_a_reason_and_the_admin_role_frees_the_workload_and_is_final() {
    let stack = TestStack::start().await;
    let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = claim["claim_id"].as_str().unwrap();
    let path = format!("/v1/claims/{id}/withdraw");
    // a viewer may not withdraw
    let user = stack.token(FABRIKAM, "incentives_user");
    let answer = stack
        .send(
            Method::POST,
            &path,
            Some(&user),
            Some(&json!({"reason": "x"})),
            &[],
        )
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (403, "forbidden".into())
    );
    // the reason is required, 1 to 500 characters, and the only field
    for body in [
        json!({}),
        json!({"reason": ""}),
        json!({"reason": "x".repeat(501)}),
        json!({"reason": 5}),
        json!({"reason": "ok", "when": "now"}),
    ] {
        let answer = stack
            .send(
                Method::POST,
                &path,
                Some(&stack.admin(FABRIKAM)),
                Some(&body),
                &[],
            )
            .await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (400, "validation_failed".into()),
            "{body}"
        );
    }
    assert_eq!(
        stack
            .get(FABRIKAM, &format!("/v1/claims/{id}"))
            .await
            .json()["status"],
        "awaiting_customer"
    );
    // WHEN withdrawn with a reason THEN it is withdrawn, decided, and its history says why
    let reason = "x".repeat(500);
    let answer = stack.withdraw(FABRIKAM, id, &reason).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let withdrawn = answer.json();
    assert_eq!(withdrawn["status"], "withdrawn");
    assert!(withdrawn["decided_at"].is_string());
    assert_eq!(
        withdrawn["opt_out_deadline"], claim["opt_out_deadline"],
        "the window stays on record"
    );
    let history = stack
        .get(FABRIKAM, &format!("/v1/claims/{id}"))
        .await
        .json()["history"]
        .clone();
    assert_eq!(history[3]["reason"], reason.as_str());
    assert_eq!(history[3]["actor"], "partner");
    // AND the tenant+workload is free for another partner
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.status,
        201
    );
    // AND it is final
    let again = stack.withdraw(FABRIKAM, id, "again").await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "claim_already_final".into())
    );
    stack.stop().await;
}

#[tokio::test]
async fn an_association_can_be_disassociated_and_a_declined_claim_cannot() {
    let stack = TestStack::start().await;
    let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = claim["claim_id"].as_str().unwrap();
    let deadline = instant(&claim["opt_out_deadline"]);
    assert_eq!(
        stack.finalize(deadline + TimeDelta::hours(1)).await.json()["finalized"],
        1
    );
    let answer = stack
        .withdraw(FABRIKAM, id, "the customer moved to another partner")
        .await;
    assert_eq!(answer.json()["status"], "withdrawn");
    let steps = history_steps(&stack.claim(FABRIKAM, id).await);
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("submitted")),
            (json!("submitted"), json!("approved")),
            (json!("approved"), json!("awaiting_customer")),
            (json!("awaiting_customer"), json!("associated")),
            (json!("associated"), json!("withdrawn")),
        ]
    );
    // a declined claim cannot be withdrawn
    let (other, link) = stack
        .notified_claim(FABRIKAM, &claim_body("exchange"))
        .await;
    assert_eq!(stack.post_form(&link).await.status, 303);
    let answer = stack
        .withdraw(FABRIKAM, other["claim_id"].as_str().unwrap(), "too late")
        .await;
    assert_eq!(answer.code(), "claim_already_final");
    let _ = Utc::now();
    stack.stop().await;
}

#[tokio::test]
async fn a_rare_filter_reads_a_bounded_amount_per_request_and_pages_on_with_a_cursor() {
    // GIVEN a partner with 250 claims, one tenant each, of which only the oldest matches the
    // filter (stored in bulk, as the service stores them)
    let plan = cpor_local::faults::FaultPlan::counting();
    let counting = plan.clone();
    // (no consumer of the events runs: deliver-webhooks queries each event's partner's
    // endpoints, which would count among the listing's queries)
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(counting);
        s.poll_notifications = false;
    })
    .await;
    let store = cpor_aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await),
        stack.settings().table.clone(),
    );
    let start = Utc::now() - TimeDelta::hours(1);
    let claims: Vec<_> = (0..250)
        .map(|i| {
            let at = start + TimeDelta::seconds(i64::try_from(i).unwrap());
            let body = tenant_claim_body(i, "teams");
            let subject = cpor_domain::submission::parse_submission(
                body.as_object().unwrap(),
                at.date_naive(),
            )
            .unwrap()
            .subject;
            let (claim, entry) = cpor_domain::Claim::submit(
                cpor_domain::ClaimId::new_at(at),
                cpor_domain::PartnerId::parse(FABRIKAM).unwrap(),
                "Fabrikam Consulting".into(),
                subject,
                at,
            );
            (claim, vec![entry])
        })
        .collect();
    store.seed_claims(&claims).await.unwrap();
    let rare = format!("/v1/claims?tenant_id={}&limit=25", tenant_id(0));
    // WHEN the partner lists with that filter
    plan.reset_counts();
    let first = stack.get(FABRIKAM, &rare).await;
    let queries = plan.calls().get("DynamoDB.Query").copied().unwrap_or(0);
    // THEN the request reads a bounded amount: a short (here empty) page, and a cursor
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(ids(&first.json()), Vec::<String>::new());
    let cursor = first.json()["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    assert!(queries <= 2, "{queries} queries for one page");
    // AND following the cursor finds the claim, on the last page
    let second = stack
        .get(FABRIKAM, &format!("{rare}&cursor={cursor}"))
        .await;
    assert_eq!(ids(&second.json()), vec![claims[0].0.id.to_string()]);
    assert_eq!(second.json()["next_cursor"], Value::Null);
    stack.stop().await;
}

/// A claim and its history always fit one answer: a partner adds at most 50 entries to a
/// claim's history by its moves; the next move is 429 `too_many_changes` and changes nothing,
/// and withdrawing stays possible.
#[tokio::test]
async fn a_partner_s_fifty_first_change_of_a_claim_is_429_too_many_changes() {
    // GIVEN a claim in review (its submission: one entry), its contact corrected 49 times
    let stack = TestStack::start_manual().await;
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await.json();
    let id = created["claim_id"].as_str().unwrap();
    for n in 0..49 {
        let contact = json!({ "name": format!("Contact {n}"), "email": "it@contoso.com" });
        let answer = stack.correct_contact(FABRIKAM, id, &contact).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    // WHEN the partner changes it once more
    let contact = json!({ "name": "One too many", "email": "it@contoso.com" });
    let answer = stack.correct_contact(FABRIKAM, id, &contact).await;
    // THEN it is 429 too_many_changes, the history unchanged at 50 entries
    assert_eq!(answer.status, 429, "{}", answer.text);
    assert_eq!(answer.json()["code"], "too_many_changes");
    let claim = stack.claim(FABRIKAM, id).await;
    assert_eq!(claim["history"].as_array().unwrap().len(), 50);
    assert_eq!(claim["customer_contact"]["name"], "Contact 48");
    // AND the partner can still withdraw it
    let answer = stack.withdraw(FABRIKAM, id, "engagement ended").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    stack.stop().await;
}
