//! The nightly finalization: only windows that have closed, safe to run twice, catching up
//! after missed nights.

use chrono::{TimeDelta, Utc};
use cpor_domain::clock::FixedClock;
use cpor_tests::*;
use std::sync::Arc;

fn deadline(claim: &serde_json::Value) -> chrono::DateTime<Utc> {
    instant(&claim["opt_out_deadline"])
}

#[tokio::test]
async fn only_closed_windows_are_finalized_and_a_second_run_changes_nothing() {
    let stack = TestStack::start().await;
    let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = claim["claim_id"].as_str().unwrap();
    let due = deadline(&claim);
    // at the deadline itself the window is still open
    let early = stack.finalize(due).await.json();
    assert_eq!(
        (early["due"].clone(), early["finalized"].clone()),
        (0.into(), 0.into())
    );
    // a millisecond later it closes
    let run = stack.finalize(due + TimeDelta::milliseconds(1)).await;
    assert_eq!(run.status, 200);
    assert_eq!(run.json()["finalized"], 1);
    let associated = stack.wait_for_status(FABRIKAM, id, "associated").await;
    assert_eq!(
        associated["decided_at"],
        "".to_owned() + &cpor_domain::time::format_instant(due + TimeDelta::milliseconds(1))
    );
    // run twice: nothing more
    let again = stack.finalize(due + TimeDelta::days(1)).await.json();
    assert_eq!(
        (again["due"].clone(), again["finalized"].clone()),
        (0.into(), 0.into())
    );
    assert_eq!(
        stack
            .get(FABRIKAM, &format!("/v1/claims/{id}"))
            .await
            .json()["history"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // the association still holds the workload
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.code(),
        "workload_already_claimed"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_run_after_missed_nights_catches_up_on_every_overdue_claim() {
    // GIVEN claims notified on three different days
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| s.clock = shared).await;
    let start = Utc::now();
    let mut deadlines = Vec::new();
    for (day, workload) in ["exchange", "teams", "intune"].iter().enumerate() {
        clock.set(start + TimeDelta::days(day as i64 * 3));
        let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body(workload)).await;
        deadlines.push(deadline(&claim));
    }
    // AND one declined, which must stay declined
    clock.set(start + TimeDelta::days(9));
    let (declined, link) = stack.notified_claim(FABRIKAM, &claim_body("windows")).await;
    assert_eq!(stack.post_form(&link).await.status, 303);
    // WHEN the first run comes only after the last deadline
    let run = stack
        .finalize(deadlines[2] + TimeDelta::days(3))
        .await
        .json();
    // THEN all three are finalized in that one run
    assert_eq!(run["finalized"], 3, "{run}");
    assert_eq!(run["failed"], 0);
    let statuses: Vec<String> = stack
        .all_claims(FABRIKAM)
        .await
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["workload"].as_str().unwrap(),
                c["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            "windows=declined",
            "intune=associated",
            "teams=associated",
            "exchange=associated"
        ]
    );
    let _ = declined;
    stack.stop().await;
}
