//! Subscriptions that end: the directory gives each business-applications subscription a state;
//! an ended one may not be claimed, and the nightly run ends the claim holding it (an
//! association `expired`, a claim awaiting its customer `rejected`, both `subscription_ended`),
//! freeing the unit and telling the partner; through the ends the directory recorded and the
//! units' locks, never by reading other claims.

use chrono::{DateTime, TimeDelta, Utc};
use cpor_domain::clock::FixedClock;
use cpor_domain::time::format_instant;
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECOND_SUBSCRIPTION: &str = "22222222-3333-4444-5555-666666666666";

/// Contoso with two Dynamics 365 Sales subscriptions, each with `state` (and `ended_at` when it
/// ended).
fn directory(first: (&str, Option<DateTime<Utc>>), second: (&str, Option<DateTime<Utc>>)) -> Value {
    let subscription = |id: &str, (state, ended_at): (&str, Option<DateTime<Utc>>)| {
        let mut s = json!({ "subscription_id": id, "workload": "dynamics-sales", "state": state });
        if let Some(at) = ended_at {
            s["ended_at"] = json!(format_instant(at));
        }
        s
    };
    let mut data = reference_data();
    data["tenants"][0]["subscriptions"] = json!([
        subscription(CONTOSO_SALES_SUBSCRIPTION, first),
        subscription(SECOND_SUBSCRIPTION, second),
    ]);
    data
}

/// Fabrikam's claim on Contoso's Dynamics 365 Sales `subscription`.
fn bizapps_body(subscription: &str) -> Value {
    let mut body = claim_body("dynamics-sales");
    body["program"] = json!("osu-bizapps");
    body["subscription_id"] = json!(subscription);
    body
}

/// Waits until the partner contact was e-mailed with `subject_part` in the subject.
async fn partner_told(stack: &TestStack, subject_part: &str, times: usize) {
    let started = Instant::now();
    loop {
        let told = stack
            .outbox()
            .await
            .iter()
            .filter(|m| m["to"][0] == "sam@fabrikam.com")
            .filter(|m| {
                m["subject"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(subject_part)
            })
            .count();
        if told >= times {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the partner was not told {subject_part:?} {times} times"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_ended_subscription_may_not_be_claimed_and_one_in_grace_may() {
    let stack = TestStack::start().await;
    // GIVEN a subscription in grace and one that ended
    let ended = Utc::now() - TimeDelta::days(2);
    stack
        .seed(&directory(("grace", None), ("ended", Some(ended))))
        .await;
    // WHEN a partner claims each
    let refused = stack
        .submit(FABRIKAM, &bizapps_body(SECOND_SUBSCRIPTION))
        .await;
    let accepted = stack
        .submit(FABRIKAM, &bizapps_body(CONTOSO_SALES_SUBSCRIPTION))
        .await;
    // THEN the ended one is refused with its own code, and nothing is created
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.code(), "subscription_not_active");
    assert_eq!(accepted.status, 201, "{}", accepted.text);
    assert_eq!(stack.all_claims(FABRIKAM).await.len(), 1);
    // AND a directory that says a subscription ended without saying when is refused whole
    let mut bad = directory(("active", None), ("ended", None));
    bad["tenants"][0]["subscriptions"][1]
        .as_object_mut()
        .unwrap()
        .remove("ended_at");
    let answer = stack
        .send(Method::POST, "/_local/seed", None, Some(&bad), &[])
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    stack.stop().await;
}

#[tokio::test]
async fn the_nightly_run_ends_the_claims_of_ended_subscriptions_and_frees_their_units_once() {
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| s.clock = shared).await;
    stack
        .seed(&directory(("active", None), ("active", None)))
        .await;
    // GIVEN an official association on the first subscription, and a claim awaiting its
    // customer on the second
    let (notified, _) = stack
        .notified_claim(FABRIKAM, &bizapps_body(CONTOSO_SALES_SUBSCRIPTION))
        .await;
    let official_id = notified["claim_id"].as_str().unwrap().to_owned();
    let deadline = instant(&notified["opt_out_deadline"]);
    let run = stack.finalize(deadline + TimeDelta::milliseconds(1)).await;
    assert_eq!(run.json()["finalized"], 1, "{}", run.text);
    // (notified once the first became official: its window is still open on the night below)
    clock.set(deadline + TimeDelta::minutes(1));
    let (waiting, _) = stack
        .notified_claim(FABRIKAM, &bizapps_body(SECOND_SUBSCRIPTION))
        .await;
    let waiting_id = waiting["claim_id"].as_str().unwrap().to_owned();
    // WHEN the directory says both ended, and the next night comes
    let ended_at = deadline + TimeDelta::hours(1);
    stack
        .seed(&directory(
            ("ended", Some(ended_at)),
            ("ended", Some(ended_at)),
        ))
        .await;
    let night = ended_at + TimeDelta::hours(2);
    let run = stack.finalize(night).await;
    assert_eq!(run.status, 200, "{}", run.text);
    // THEN the association expired and the claim awaiting its customer was rejected, for good
    assert_eq!(
        run.json()["subscription_ends"],
        json!({ "ended": 2, "expired": 1, "rejected": 1, "unheld": 0, "resumed": 0, "failed": 0 })
    );
    let expired = stack.claim(FABRIKAM, &official_id).await;
    assert_eq!(expired["status"], "expired");
    let last = expired["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (
            last["event"].clone(),
            last["actor"].clone(),
            last["code"].clone()
        ),
        (
            json!("expired"),
            json!("system"),
            json!("subscription_ended")
        )
    );
    assert_eq!(
        expired["association"]["effective_until"],
        format_instant(night)
    );
    let rejected = stack.claim(FABRIKAM, &waiting_id).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        rejected["review"]["rejection"]["code"],
        "subscription_ended"
    );
    assert_eq!(rejected["review"]["dispute_until"], Value::Null);
    let dispute = stack
        .partner_move(
            FABRIKAM,
            &waiting_id,
            "dispute",
            &json!({ "justification": "The customer renewed." }),
        )
        .await;
    assert_eq!(dispute.status, 409, "{}", dispute.text);
    // AND both units are free, and no one is partner of record after the end
    assert!(stack.lock_holders().await.is_empty());
    let tenant = CONTOSO;
    let after = stack
        .review_get(
            "reviewer-alice",
            &format!(
                "/v1/review/partner-of-record?tenant_id={tenant}&subscription_id={CONTOSO_SALES_SUBSCRIPTION}&at={}",
                format_instant(night)
            ),
        )
        .await;
    assert_eq!(after.code(), "no_partner_of_record", "{}", after.text);
    // AND the partner is told of each
    partner_told(&stack, "has ended", 2).await;
    // AND the next night finds nothing more to do
    let again = stack.finalize(night + TimeDelta::days(1)).await.json();
    assert_eq!(again["subscription_ends"]["ended"], 0, "{again}");
    stack.stop().await;
}
