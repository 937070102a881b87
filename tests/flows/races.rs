//! Races, against the emulator: many partners for one workload, a customer's opt-out against
//! the nightly finalization, a partner's withdrawal against it. Each race has one winner, and
//! the loser gets a clear answer, never an error.

use chrono::{TimeDelta, Utc};
use cpor_domain::clock::FixedClock;
use cpor_tests::*;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

#[tokio::test]
async fn partners_racing_for_one_workload_leave_one_holder_each_round_and_a_lock_naming_it() {
    let stack = TestStack::start().await;
    stack
        .seed(&json!({ "partners": [
            { "partner_id": "3333333", "name": "Contoso Partners", "programs": ["osu-m365"] },
            { "partner_id": "4444444", "name": "Tailspin", "programs": ["osu-m365"] }
        ] }))
        .await;
    let partners = [FABRIKAM, NORTHWIND, "3333333", "4444444"];
    let body = claim_body("teams");
    let mut attempts = 0;
    // Five rounds: 40 claims at once from four partners; then the holder withdraws.
    for round in 0..5 {
        let answers = futures::future::join_all(
            (0..40).map(|i| stack.submit(partners[(i + round) % 4], &body)),
        )
        .await;
        attempts += answers.len();
        let winners: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
        assert_eq!(winners.len(), 1, "round {round}");
        let winner = winners[0].json();
        let holder = winner["claim_id"].as_str().unwrap().to_owned();
        for loser in answers.iter().filter(|a| a.status != 201) {
            assert_eq!(loser.code(), "workload_already_claimed", "{}", loser.text);
            // only the holder's own partner learns which claim holds it
            let named = loser.json()["existing_claim_id"].clone();
            assert!(named.is_null() || named == holder.as_str(), "{named}");
        }
        assert_eq!(
            stack.lock_holders().await,
            HashSet::from([holder.clone()]),
            "round {round}"
        );
        let partner = winner["partner_id"].as_str().unwrap().to_owned();
        assert_eq!(
            stack.withdraw(&partner, &holder, "next round").await.status,
            200
        );
        assert!(stack.lock_holders().await.is_empty());
    }
    let mut stored = 0;
    for p in partners {
        stored += stack.all_claims(p).await.len();
    }
    assert_eq!(stored, 5, "one claim per round, no more");
    println!(
        "partner race: {attempts} attempts in 5 rounds, 5 created, {} refused with 409",
        attempts - 5
    );
    stack.stop().await;
}

/// Notifies one claim per workload of the two seeded tenants, all with the same deadline.
async fn twenty_notified(stack: &TestStack) -> (Vec<(String, String)>, chrono::DateTime<Utc>) {
    let mut claims = Vec::new();
    let mut deadline = None;
    for tenant in [CONTOSO, LITWARE] {
        for w in M365_WORKLOADS {
            let body = seeded_tenant_claim_body(tenant, w);
            let (claim, link) = stack.notified_claim(FABRIKAM, &body).await;
            let d = instant(&claim["opt_out_deadline"]);
            assert!(deadline.is_none_or(|x| x == d));
            deadline = Some(d);
            claims.push((claim["claim_id"].as_str().unwrap().to_owned(), link));
        }
    }
    (claims, deadline.unwrap())
}

#[tokio::test]
async fn an_opt_out_racing_finalization_ends_in_exactly_one_decision() {
    // GIVEN twenty claims whose windows close at the same instant, and a clock at that instant
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| s.clock = shared).await;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut races = 0;
    for round in 0..3 {
        let (claims, deadline) = twenty_notified(&stack).await;
        clock.set(deadline);
        // WHEN every customer declines at the deadline while three finalization runs, a
        // millisecond after it, go through the same claims
        let declines =
            futures::future::join_all(claims.iter().map(|(_, link)| stack.post_form(link)));
        let runs = futures::future::join_all(
            (0..3).map(|_| stack.finalize(deadline + TimeDelta::milliseconds(1))),
        );
        let (declines, runs) = tokio::join!(declines, runs);
        // THEN the customers all get the page back, never an error
        assert!(
            declines.iter().all(|a| a.status == 303),
            "{:?}",
            declines.iter().map(|a| a.status).collect::<Vec<_>>()
        );
        assert!(
            runs.iter()
                .all(|r| r.status == 200 && r.json()["failed"] == 0)
        );
        let finalized: u64 = runs
            .iter()
            .map(|r| r.json()["finalized"].as_u64().unwrap())
            .sum();
        // AND each claim holds exactly one decision, which its history and the lock agree with
        let holders = stack.lock_holders().await;
        let mut associated = 0;
        for (id, link) in &claims {
            let claim = stack.claim(FABRIKAM, id).await;
            let status = claim["status"].as_str().unwrap().to_owned();
            assert!(status == "declined" || status == "associated", "{claim}");
            assert_eq!(
                history_steps(&claim).last().unwrap(),
                &(json!("awaiting_customer"), json!(status.clone()))
            );
            assert_eq!(history_steps(&claim).len(), 4);
            assert_eq!(holders.contains(id), status == "associated");
            let page = stack.open(link).await;
            assert!(page.text.contains(&format!("data-state=\"{status}\"")));
            if status == "associated" {
                associated += 1;
            }
            *outcomes.entry(status).or_default() += 1;
            races += 1;
        }
        assert_eq!(
            finalized, associated,
            "every association was made by exactly one run"
        );
        // free the workloads for the next round
        for (id, _) in &claims {
            let claim = stack.claim(FABRIKAM, id).await;
            if claim["status"] == "associated" {
                assert_eq!(
                    stack
                        .withdraw(FABRIKAM, id, &format!("round {round} done"))
                        .await
                        .status,
                    200
                );
            }
        }
        clock.set(Utc::now());
    }
    println!("opt-out vs finalization: {races} races, outcomes {outcomes:?}");
    stack.stop().await;
}

#[tokio::test]
async fn a_withdrawal_racing_finalization_always_ends_withdrawn_with_a_truthful_history() {
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| s.clock = shared).await;
    let (claims, deadline) = twenty_notified(&stack).await;
    clock.set(deadline + TimeDelta::milliseconds(1));
    // WHEN the partner withdraws every claim while finalization runs
    let withdrawals = futures::future::join_all(
        claims
            .iter()
            .map(|(id, _)| stack.withdraw(FABRIKAM, id, "withdrawn in a race")),
    );
    let runs = futures::future::join_all(
        (0..3).map(|_| stack.finalize(deadline + TimeDelta::milliseconds(1))),
    );
    let (withdrawals, runs) = tokio::join!(withdrawals, runs);
    // THEN every withdrawal succeeds, and the history says whether the association came first
    assert!(
        withdrawals.iter().all(|a| a.status == 200),
        "{:?}",
        withdrawals
            .iter()
            .map(|a| a.text.clone())
            .collect::<Vec<_>>()
    );
    assert!(runs.iter().all(|r| r.status == 200));
    let mut after_association = 0;
    for (id, _) in &claims {
        let claim = stack.claim(FABRIKAM, id).await;
        assert_eq!(claim["status"], "withdrawn");
        let steps = history_steps(&claim);
        match steps.len() {
            4 => assert_eq!(steps[3], (json!("awaiting_customer"), json!("withdrawn"))),
            5 => {
                assert_eq!(steps[3], (json!("awaiting_customer"), json!("associated")));
                assert_eq!(steps[4], (json!("associated"), json!("withdrawn")));
                after_association += 1;
            }
            _ => panic!("{claim}"),
        }
    }
    assert!(stack.lock_holders().await.is_empty(), "every lock released");
    println!(
        "withdraw vs finalization: 20 races, {after_association} withdrawn after being associated, {} before",
        20 - after_association
    );
    stack.stop().await;
}
