//! Data safety: a claim's history is append-only through every door, and claims that left the
//! lifecycle keep theirs.

use chrono::Utc;
use cpor_aws::DynamoStore;
use cpor_domain::claim::{Actor, ClaimStatus, HistoryEntry, HistoryEvent, Transition};
use cpor_domain::ids::ClaimId;
use cpor_domain::ports::{ApplyError, ClaimRepository};
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn no_door_rewrites_a_claims_history() {
    let stack = TestStack::start().await;
    let (claim, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = claim["claim_id"].as_str().unwrap();
    let before = stack.claim(FABRIKAM, id).await["history"].clone();
    let admin = stack.admin(FABRIKAM);
    let rewrite = json!({ "history": [{ "at": "2020-01-01T00:00:00Z", "actor": "customer", "from": null, "to": "declined" }] });
    // the API has no route that writes history
    for (method, path) in [
        (Method::PUT, format!("/v1/claims/{id}")),
        (Method::PATCH, format!("/v1/claims/{id}")),
        (Method::DELETE, format!("/v1/claims/{id}")),
        (Method::POST, format!("/v1/claims/{id}/history")),
        (Method::PUT, format!("/v1/claims/{id}/history")),
        (Method::POST, format!("/v1/claims/{id}")),
    ] {
        let answer = stack
            .send(method.clone(), &path, Some(&admin), Some(&rewrite), &[])
            .await;
        assert_eq!(answer.status, 404, "{method} {path}");
    }
    // the doors that write refuse a history in their bodies
    let mut body = claim_body("exchange");
    body["history"] = rewrite["history"].clone();
    assert_eq!(
        stack.submit(FABRIKAM, &body).await.code(),
        "validation_failed"
    );
    let path = format!("/v1/claims/{id}/withdraw");
    let answer = stack
        .send(
            Method::POST,
            &path,
            Some(&admin),
            Some(&json!({ "reason": "x", "history": [] })),
            &[],
        )
        .await;
    assert_eq!(answer.code(), "validation_failed");
    assert_eq!(
        stack
            .send(
                Method::POST,
                "/_local/seed",
                None,
                Some(&json!({ "claims": [] })),
                &[]
            )
            .await
            .status,
        400
    );
    // the customer's page only appends its one decision
    assert_eq!(
        stack
            .post_form(&format!("{link}?history=rewrite"))
            .await
            .status,
        303
    );

    // the store itself: a stale transition, and one forging an existing sequence, both fail
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await),
        stack.settings().table.clone(),
    );
    let claim_id = ClaimId::parse(id).unwrap();
    let stored = store.claim(claim_id).await.unwrap().unwrap();
    assert_eq!(stored.status(), ClaimStatus::Declined);
    let forged_entry = HistoryEntry {
        sequence: 1,
        at: Utc::now(),
        actor: Actor::System,
        reviewer: None,
        event: HistoryEvent::Associated,
        from: None,
        to: ClaimStatus::Associated,
        code: None,
        reason: Some("rewritten".into()),
        contact_change: None,
        association: None,
    };
    let mut forged_claim = stored.clone();
    forged_claim.version += 1;
    for (expected_version, entry) in [
        (stored.version - 1, forged_entry.clone()),
        (stored.version, forged_entry),
    ] {
        let transition = Transition {
            claim: forged_claim.clone(),
            expected_version,
            expected_status: ClaimStatus::Declined,
            entries: vec![entry],
        };
        assert_eq!(store.apply(&transition).await, Err(ApplyError::Conflict));
    }
    // THEN the history is what it was, plus the one decline
    let after = stack.claim(FABRIKAM, id).await["history"].clone();
    let (after, before) = (after.as_array().unwrap(), before.as_array().unwrap());
    assert_eq!(&after[..before.len()], before.as_slice());
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[before.len()]["to"], "declined");
    stack.stop().await;
}

#[tokio::test]
async fn declined_and_withdrawn_claims_keep_their_history() {
    let stack = TestStack::start().await;
    let (declined, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    stack.post_form(&link).await;
    let (withdrawn, _) = stack
        .notified_claim(FABRIKAM, &claim_body("exchange"))
        .await;
    stack
        .withdraw(
            FABRIKAM,
            withdrawn["claim_id"].as_str().unwrap(),
            "customer changed plans",
        )
        .await;
    for (claim, last) in [
        (declined, json!("declined")),
        (withdrawn, json!("withdrawn")),
    ] {
        let history: Vec<Value> = stack
            .claim(FABRIKAM, claim["claim_id"].as_str().unwrap())
            .await["history"]
            .as_array()
            .unwrap()
            .clone();
        let to: Vec<Value> = history.iter().map(|e| e["to"].clone()).collect();
        assert_eq!(
            to,
            vec![
                json!("submitted"),
                json!("approved"),
                json!("awaiting_customer"),
                last
            ]
        );
    }
    stack.stop().await;
}
