//! Faults: with a fifth of all AWS calls failing (time-outs, broken connections, 500s, 503s,
//! and responses lost after the request took effect), no claim is lost or duplicated, no
//! e-mail goes out twice, no lock is orphaned, and every answer is a success or a retryable
//! problem.

use chrono::{DateTime, TimeDelta, Utc};
use cpor_local::faults::FaultPlan;
use cpor_tests::*;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

const TENANTS: usize = 30;
fn body(i: usize) -> Value {
    tenant_claim_body(
        i / M365_WORKLOADS.len(),
        M365_WORKLOADS[i % M365_WORKLOADS.len()],
    )
}

/// Retries a request while it answers a retryable problem, as a partner's tool would; returns
/// every status seen.
async fn until_done<F, Fut>(mut send: F) -> (Answer, Vec<u16>)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Answer>,
{
    let mut seen = Vec::new();
    loop {
        let answer = send().await;
        seen.push(answer.status.as_u16());
        if !matches!(answer.status.as_u16(), 500 | 503) || seen.len() >= 30 {
            return (answer, seen);
        }
        if answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/"))
        {
            assert_eq!(
                answer.header("content-type"),
                Some("application/problem+json"),
                "{}",
                answer.text
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_fifth_of_aws_calls_failing_nothing_is_lost_duplicated_or_half_written() {
    let plan = FaultPlan::new(0.0, 20261125);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    stack.seed_tenants(TENANTS).await;
    let claims = TENANTS * M365_WORKLOADS.len();

    // WHEN 300 claims are submitted, 16 at a time, with a fifth of the AWS calls failing
    plan.set_rate(0.2);
    let partners = [FABRIKAM, NORTHWIND];
    let started = Instant::now();
    let results: Vec<(usize, Answer, Vec<u16>)> = futures::stream::iter(0..claims)
        .map(|i| {
            let stack = &stack;
            async move {
                let key = format!("fault-run-{i}");
                let token = stack.admin(partners[i % 2]);
                let body = body(i);
                let headers = [("idempotency-key", key.as_str())];
                let (answer, seen) = until_done(|| {
                    stack.send(
                        Method::POST,
                        "/v1/claims",
                        Some(&token),
                        Some(&body),
                        &headers,
                    )
                })
                .await;
                (i, answer, seen)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    // THEN every answer was a success or a retryable problem, and every claim got its 201
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for (_, _, seen) in &results {
        for s in seen {
            *statuses.entry(*s).or_default() += 1;
        }
    }
    assert!(
        statuses.keys().all(|s| matches!(s, 201 | 500 | 503)),
        "{statuses:?}"
    );
    let mut ids: HashMap<usize, String> = HashMap::new();
    for (i, answer, _) in &results {
        assert_eq!(answer.status, 201, "claim {i}: {}", answer.text);
        ids.insert(*i, answer.json()["claim_id"].as_str().unwrap().to_owned());
    }
    println!(
        "submit: {claims} claims, {} requests, statuses {statuses:?}, {:?}",
        statuses.values().sum::<usize>(),
        started.elapsed()
    );

    // THEN no customer is e-mailed twice, and every notification is sent or held for an
    // operator (SES timed out, or its answer was lost: whether it went out is unknown)
    // (the test reads the table without faults: its own reads must not fail)
    let mut reader = stack.settings().clone();
    reader.faults = None;
    let reader = reader.sdk_config().await;
    let store = cpor_aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&reader),
        stack.settings().table.clone(),
    );
    let started = Instant::now();
    let (links, held) = loop {
        let (links, mut held, mut settled) = (outbox_links(&stack).await, Vec::new(), 0);
        for id in ids.values() {
            let claim_id = cpor_domain::ids::ClaimId::parse(id).unwrap();
            let state = store
                .notification_state(first_notice(claim_id))
                .await
                .unwrap();
            match state.as_ref().map(|(s, _)| s.as_str()) {
                Some("held") => {
                    held.push(id.clone());
                    settled += 1;
                }
                Some("sent") if links.contains_key(id) => settled += 1,
                _ => {}
            }
        }
        if settled == claims {
            break (links, held);
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "only {settled} of {claims} notified or held"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    println!(
        "notify: {} e-mails, none twice, {} held, {:?}",
        links.len(),
        held.len(),
        started.elapsed()
    );
    // WHEN, the incident over, an operator settles each held notification as SES's records say:
    // sent (its e-mail is in the outbox: record it, sending nothing) or not (lift the hold)
    plan.set_rate(0.0);
    let queue =
        cpor_aws::SqsNotificationQueue::new(aws_sdk_sqs::Client::new(&reader), stack.queue_url());
    for id in &held {
        let claim_id = cpor_domain::ids::ClaimId::parse(id).unwrap();
        if links.contains_key(id) {
            let claim = cpor_domain::ports::ClaimRepository::claim(&store, claim_id)
                .await
                .unwrap()
                .unwrap();
            store
                .confirm_sent(
                    &claim,
                    Utc::now(),
                    &cpor_domain::BusinessCalendar::default(),
                )
                .await
                .unwrap();
        } else {
            assert!(store.release_hold(first_notice(claim_id)).await.unwrap());
            cpor_domain::ports::NotificationQueue::enqueue(&queue, claim_id)
                .await
                .unwrap();
        }
    }
    // THEN every customer is notified, once
    let started = Instant::now();
    let links = loop {
        let links = outbox_links(&stack).await;
        if links.len() == claims {
            break links;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "only {} of {claims} notified",
            links.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    println!(
        "notify: {claims} e-mails, none twice, {:?}",
        started.elapsed()
    );
    plan.set_rate(0.2);

    // WHEN the customers of every other claim decline, still under faults
    let declined: HashSet<String> = ids
        .iter()
        .filter(|(i, _)| *i % 2 == 0)
        .map(|(_, id)| id.clone())
        .collect();
    let decline_statuses: Vec<Vec<u16>> = futures::stream::iter(declined.iter().cloned())
        .map(|id| {
            let stack = &stack;
            let link = links[&id].clone();
            async move { until_done(|| stack.post_form(&link)).await.1 }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for seen in &decline_statuses {
        assert_eq!(seen.last(), Some(&303), "{seen:?}");
        assert!(seen.iter().all(|s| matches!(s, 303 | 503)), "{seen:?}");
    }

    // AND finalization runs after every deadline (read by the test without faults: its own
    // reads must not fail), until a run leaves nothing failed
    plan.set_rate(0.0);
    let mut deadline: DateTime<Utc> = Utc::now();
    for partner in partners {
        for claim in stack.all_claims(partner).await {
            if let Some(d) = claim["opt_out_deadline"]
                .as_str()
                .and_then(cpor_domain::time::parse_instant)
            {
                deadline = deadline.max(d);
            }
        }
    }
    plan.set_rate(0.2);
    let mut runs = Vec::new();
    loop {
        let run = stack.finalize(deadline + TimeDelta::seconds(1)).await;
        runs.push(format!("{} {}", run.status, run.text));
        if run.status == 200 && run.json()["failed"] == 0 && run.json()["due"] == 0 {
            break;
        }
        assert!(runs.len() < 30, "{runs:?}");
    }
    println!("finalize runs until nothing was left: {runs:#?}");
    println!("faults injected: {:?}", plan.injected());
    println!("calls: {:?}", plan.calls());

    // THEN, read back without faults, every claim holds exactly one decision, its history is a
    // chain, and the locks are held by the associations and nothing else
    plan.set_rate(0.0);
    let mut stored = Vec::new();
    for partner in partners {
        stored.extend(stack.all_claims(partner).await);
    }
    assert_eq!(stored.len(), claims, "no claim lost, none duplicated");
    let pairs: HashSet<(String, String)> = stored
        .iter()
        .map(|c| {
            (
                c["tenant_id"].as_str().unwrap().to_owned(),
                c["workload"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), claims);
    let mut associated = HashSet::new();
    for claim in &stored {
        let id = claim["claim_id"].as_str().unwrap();
        let expected = if declined.contains(id) {
            "declined"
        } else {
            "associated"
        };
        assert_eq!(claim["status"], expected, "{claim}");
        if expected == "associated" {
            associated.insert(id.to_owned());
        }
        let full = stack
            .get(
                claim["partner_id"].as_str().unwrap(),
                &format!("/v1/claims/{id}"),
            )
            .await
            .json();
        let steps = history_steps(&full);
        assert_eq!(
            steps,
            vec![
                (Value::Null, json!("submitted")),
                (json!("submitted"), json!("approved")),
                (json!("approved"), json!("awaiting_customer")),
                (json!("awaiting_customer"), json!(expected)),
            ],
            "{id}"
        );
    }
    let locks = stack.lock_holders().await;
    assert_eq!(
        locks, associated,
        "each association holds its lock; declined claims hold none"
    );
    stack.stop().await;
}

#[tokio::test]
async fn finalization_interrupted_half_way_finishes_the_job_when_run_again() {
    let plan = FaultPlan::new(0.0, 7);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    let mut deadline = Utc::now();
    for tenant in [CONTOSO, LITWARE] {
        for w in M365_WORKLOADS {
            let body = seeded_tenant_claim_body(tenant, w);
            let (claim, _) = stack.notified_claim(FABRIKAM, &body).await;
            deadline = instant(&claim["opt_out_deadline"]);
        }
    }
    // WHEN the first run's writes mostly fail (the SDK's retries included)
    plan.set_targets(Some(&["DynamoDB.TransactWriteItems"]));
    plan.set_rate(0.8);
    let first = stack.finalize(deadline + TimeDelta::seconds(1)).await;
    plan.set_rate(0.0);
    let summary = first.json();
    println!(
        "interrupted run: {} {summary}; faults {:?}",
        first.status,
        plan.injected()
    );
    // THEN it stops half-way, says so with a retryable answer, and leaves consistent claims
    assert_eq!(
        first.status, 500,
        "a run with failures fails, so that the scheduler retries it"
    );
    let (finalized, failed) = (
        summary["finalized"].as_u64().unwrap(),
        summary["failed"].as_u64().unwrap(),
    );
    assert!(finalized > 0 && failed > 0, "{summary}");
    assert_eq!(
        finalized + failed + summary["already_decided"].as_u64().unwrap(),
        20
    );
    // AND the next run finishes the job, touching only what is left
    let second = stack
        .finalize(deadline + TimeDelta::seconds(1))
        .await
        .json();
    // (a write whose response was lost may have taken effect: it is no longer due)
    assert_eq!(second["failed"], 0, "{second}");
    assert!(
        second["due"].as_u64().unwrap() <= failed && second["finalized"] == second["due"],
        "{second}"
    );
    let mut statuses = Vec::new();
    for claim in stack.all_claims(FABRIKAM).await {
        assert_eq!(
            stack
                .claim(FABRIKAM, claim["claim_id"].as_str().unwrap())
                .await["history"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        statuses.push(claim["status"].clone());
    }
    assert!(statuses.iter().all(|s| s == "associated"), "{statuses:?}");
    assert_eq!(stack.lock_holders().await.len(), 20);
    stack.stop().await;
}

/// The opt-out link of each claim e-mailed so far, by claim id; fails the test when a claim was
/// e-mailed twice.
async fn outbox_links(stack: &TestStack) -> HashMap<String, String> {
    let mut links: HashMap<String, String> = HashMap::new();
    let mut per_claim: HashMap<String, usize> = HashMap::new();
    for message in &stack.customer_outbox().await {
        let link = link_in(message["body"].as_str().unwrap()).unwrap();
        let claim = link
            .rsplit('/')
            .next()
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .to_owned();
        *per_claim.entry(claim.clone()).or_default() += 1;
        links.insert(claim, link);
    }
    let duplicated: Vec<_> = per_claim.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "e-mails sent twice: {duplicated:?}");
    links
}

/// The first (and, without a corrected contact, only) notification of a claim.
fn first_notice(claim_id: cpor_domain::ids::ClaimId) -> cpor_domain::ports::NoticeRef {
    cpor_domain::ports::NoticeRef {
        claim_id,
        number: 1,
    }
}
