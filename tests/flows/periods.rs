//! Associations as incentives use them: each association's effective period (from the approval
//! that led to it, until it stopped holding its unit) on the claim and its events, and the
//! partner of record of a unit at any instant, in one query of the periods written with the
//! claims' changes.

use chrono::{DateTime, Days, TimeDelta, Utc};
use cpor_domain::time::format_instant;
use cpor_local::faults::FaultPlan;
use cpor_tests::round_trips::calls;
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ALICE: &str = "reviewer-alice";

/// The time of the claim's last history entry named `event`.
fn entry_at(claim: &Value, event: &str) -> DateTime<Utc> {
    let entry = claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["event"] == event)
        .unwrap_or_else(|| panic!("no {event} entry: {claim}"));
    instant(&entry["at"])
}

/// `GET /v1/review/partner-of-record` of Contoso's Teams at `at` (now if none).
async fn partner_of_record(stack: &TestStack, at: Option<DateTime<Utc>>) -> Answer {
    let tenant = claim_body("teams")["tenant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut path = format!("/v1/review/partner-of-record?tenant_id={tenant}&workload=teams");
    if let Some(at) = at {
        path.push_str(&format!("&at={}", format_instant(at)));
    }
    stack.review_get(ALICE, &path).await
}

/// The claim holding Contoso's Teams at `at`, or `None` (404 `no_partner_of_record`).
async fn holder_at(stack: &TestStack, at: DateTime<Utc>) -> Option<String> {
    let answer = partner_of_record(stack, Some(at)).await;
    match answer.status.as_u16() {
        200 => Some(answer.json()["claim_id"].as_str().unwrap().to_owned()),
        404 => {
            assert_eq!(answer.code(), "no_partner_of_record", "{}", answer.text);
            None
        }
        other => panic!("{other}: {}", answer.text),
    }
}

/// Makes the notified claim official: the nightly run just after its window closed.
async fn official(stack: &TestStack, partner: &str, claim: &Value) -> Value {
    let id = claim["claim_id"].as_str().unwrap();
    let run = stack
        .finalize(instant(&claim["opt_out_deadline"]) + TimeDelta::milliseconds(1))
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    stack.wait_for_status(partner, id, "associated").await;
    stack.claim(partner, id).await
}

/// Waits until the bus delivered the event `event_id`, and returns its detail.
async fn event_detail(stack: &TestStack, event_id: &str) -> Value {
    let started = Instant::now();
    loop {
        let events = stack
            .send(Method::GET, "/_local/events", None, None, &[])
            .await
            .json();
        if let Some(event) = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["detail"]["event_id"] == event_id)
        {
            return event["detail"].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "event {event_id} was not delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `<claim_id>/<sequence>` of the claim's last history entry named `event`.
fn event_id(claim: &Value, event: &str) -> String {
    let entry = claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["event"] == event)
        .unwrap();
    format!(
        "{}/{}",
        claim["claim_id"].as_str().unwrap(),
        entry["sequence"]
    )
}

#[tokio::test]
async fn an_association_counts_from_its_approval_to_its_end_and_a_contest_s_winner_follows_without_overlap()
 {
    let stack = TestStack::start().await;
    // GIVEN Fabrikam's claim on Contoso's Teams, approved at submission, made official
    let (notified, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let fabrikam_id = notified["claim_id"].as_str().unwrap().to_owned();
    assert_eq!(notified["association"], Value::Null, "not yet official");
    let associated = official(&stack, FABRIKAM, &notified).await;
    let approved_at = entry_at(&associated, "approved");
    // THEN its association counts from the approval, not from the end of the window
    assert_eq!(
        associated["association"],
        json!({ "effective_from": format_instant(approved_at), "effective_until": null })
    );
    assert!(approved_at < entry_at(&associated, "associated"));
    // AND the event that starts it carries the period
    let detail = event_detail(&stack, &event_id(&associated, "associated")).await;
    assert_eq!(detail["effective_from"], format_instant(approved_at));
    assert_eq!(detail["effective_until"], Value::Null);
    // AND it is the partner of record from its approval on, not a millisecond before
    let ms = TimeDelta::milliseconds(1);
    assert_eq!(holder_at(&stack, approved_at - ms).await, None);
    assert_eq!(
        holder_at(&stack, approved_at).await.as_deref(),
        Some(fabrikam_id.as_str())
    );
    let now = partner_of_record(&stack, None).await;
    assert_eq!(now.status, 200, "{}", now.text);
    assert_eq!(
        now.json(),
        json!({
            "claim_id": fabrikam_id,
            "partner_id": FABRIKAM,
            "partner_name": associated["partner_name"],
            "program": "osu-m365",
            "effective_from": format_instant(approved_at),
            "effective_until": null,
        })
    );

    // WHEN Northwind contests the unit and a reviewer approves the contest
    let mut body = claim_body("teams");
    body["partner_contact"] = json!({ "name": "Ana Diaz", "email": "ana@northwind.example" });
    body["proof_of_execution"] = json!({
        "reference": "https://northwind.example/sow/88.pdf",
        "signed_on": (Utc::now().date_naive() - Days::new(1)).to_string(),
    });
    body["contest"] = json!({ "justification": "We run Teams for Contoso since last month." });
    let contest = stack.submit(NORTHWIND, &body).await;
    assert_eq!(contest.status, 201, "{}", contest.text);
    let northwind_id = contest.json()["claim_id"].as_str().unwrap().to_owned();
    let case = stack
        .review_get(ALICE, &format!("/v1/review/claims/{northwind_id}"))
        .await
        .json();
    let approval = stack
        .decide(
            ALICE,
            &northwind_id,
            "approve",
            &json!({ "compared": case["compared"] }),
        )
        .await;
    assert_eq!(approval.status, 200, "{}", approval.text);
    // THEN Fabrikam's association ends at the instant of that approval, on the claim and its event
    let superseded = stack.claim(FABRIKAM, &fabrikam_id).await;
    let handover = entry_at(&superseded, "superseded");
    assert_eq!(
        superseded["association"],
        json!({
            "effective_from": format_instant(approved_at),
            "effective_until": format_instant(handover),
        })
    );
    let detail = event_detail(&stack, &event_id(&superseded, "superseded")).await;
    assert_eq!(detail["effective_until"], format_instant(handover));
    // AND until Northwind's becomes official, no one is partner of record from the handover on
    assert_eq!(
        holder_at(&stack, handover - ms).await.as_deref(),
        Some(fabrikam_id.as_str())
    );
    assert_eq!(holder_at(&stack, handover).await, None);
    // WHEN Northwind's association becomes official
    let northwind = stack
        .wait_for_status(NORTHWIND, &northwind_id, "awaiting_customer")
        .await;
    let northwind = official(&stack, NORTHWIND, &northwind).await;
    // THEN it counts from its approval, the handover: the two periods meet and never overlap
    assert_eq!(
        northwind["association"]["effective_from"],
        format_instant(handover)
    );
    assert_eq!(
        holder_at(&stack, handover - ms).await.as_deref(),
        Some(fabrikam_id.as_str())
    );
    assert_eq!(
        holder_at(&stack, handover).await.as_deref(),
        Some(northwind_id.as_str())
    );
    // WHEN Northwind withdraws it
    let withdrawn = stack
        .withdraw(NORTHWIND, &northwind_id, "engagement ended")
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let withdrawn = stack.claim(NORTHWIND, &northwind_id).await;
    let end = entry_at(&withdrawn, "withdrawn");
    // THEN its period ends then: at its end it no longer counts
    assert_eq!(
        withdrawn["association"]["effective_until"],
        format_instant(end)
    );
    assert_eq!(
        holder_at(&stack, end - ms).await.as_deref(),
        Some(northwind_id.as_str())
    );
    assert_eq!(holder_at(&stack, end).await, None);
    stack.stop().await;
}

#[tokio::test]
async fn the_partner_of_record_is_one_query_with_fifty_periods_on_the_unit() {
    // GIVEN a stack whose AWS requests are counted, and fifty associations of Contoso's Teams
    // one after the other, each made official and then withdrawn
    let plan = FaultPlan::counting();
    let shared: Arc<FaultPlan> = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    let mut periods = Vec::new();
    for i in 0..50 {
        let partner = [FABRIKAM, NORTHWIND][i % 2];
        let (notified, _) = stack.notified_claim(partner, &claim_body("teams")).await;
        let claim = official(&stack, partner, &notified).await;
        let id = claim["claim_id"].as_str().unwrap().to_owned();
        assert_eq!(
            stack
                .withdraw(partner, &id, "engagement ended")
                .await
                .status,
            200
        );
        let claim = stack.claim(partner, &id).await;
        periods.push((
            id,
            entry_at(&claim, "approved"),
            entry_at(&claim, "withdrawn"),
        ));
    }
    // (once the e-mails that follow those changes went out: the table then changes no more)
    let mut sent = stack.outbox().await.len();
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let now_sent = stack.outbox().await.len();
        if now_sent == sent {
            break;
        }
        sent = now_sent;
    }
    // WHEN the partner of record is asked at the first, a middle and the last period, and
    // after them all
    for (id, from, until) in [&periods[0], &periods[25], &periods[49]] {
        let middle = *from + (*until - *from) / 2;
        let before = plan.calls();
        let holder = holder_at(&stack, middle).await;
        let after = plan.calls();
        // THEN each answer is right, and costs one query of the table (the stack's pollers read
        // the stream and the queues meanwhile: not the table)
        assert_eq!(holder.as_deref(), Some(id.as_str()));
        let spent: std::collections::BTreeMap<String, u64> = after
            .iter()
            .filter(|(op, _)| op.starts_with("DynamoDB."))
            .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(spent, calls(&[("DynamoDB.Query", 1)]));
    }
    assert_eq!(holder_at(&stack, periods[49].2).await, None);
    stack.stop().await;
}

#[tokio::test]
async fn the_partner_of_record_question_is_the_reviewers_and_names_its_unit() {
    let stack = TestStack::start().await;
    let tenant = claim_body("teams")["tenant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // WHEN a partner asks: 403; no token: 401
    let path = format!("/v1/review/partner-of-record?tenant_id={tenant}&workload=teams");
    let partner = stack.get(FABRIKAM, &path).await;
    assert_eq!(partner.status, 403, "{}", partner.text);
    let anonymous = stack.send(Method::GET, &path, None, None, &[]).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
    // WHEN a reviewer asks without a unit, of both a workload and a subscription, of a
    // business-applications workload, or at no instant: 400 naming each field
    for (query, field) in [
        (format!("tenant_id={tenant}"), "workload"),
        ("workload=teams".to_owned(), "tenant_id"),
        (
            format!("tenant_id={tenant}&workload=teams&subscription_id={tenant}"),
            "subscription_id",
        ),
        (
            format!("tenant_id={tenant}&workload=dynamics-sales"),
            "workload",
        ),
        (
            format!("tenant_id={tenant}&workload=teams&at=yesterday"),
            "at",
        ),
    ] {
        let answer = stack
            .review_get(ALICE, &format!("/v1/review/partner-of-record?{query}"))
            .await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.text);
        assert_eq!(answer.refused_fields(), [field], "{query}");
    }
    // WHEN the unit never had an association: 404
    assert_eq!(
        partner_of_record(&stack, None).await.code(),
        "no_partner_of_record"
    );
    stack.stop().await;
}
